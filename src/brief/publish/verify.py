"""``brief verify``: is this file one that brief built, from the inputs the workspace holds now?

The inputs are the files the edition uses (its brief file, figure files, templates: see
:func:`~brief.publish.manifest.edition_inputs`), so an edit to another brief leaves it verified;
when one of its own changed, the first that did is named.

The file is looked up in the manifest by its SHA-256, not by its name, so a PDF or HTML
edition that was copied, mailed or renamed still verifies. The manifest entry records the
template overlay the build used, so the same inputs are checked without being named again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import WorkspaceError
from brief.model.counting import counted
from brief.publish.inputs import changes, inputs_digest, scope_of
from brief.publish.manifest import MANIFEST, edition_inputs, entry_problem, read_manifest, recorded
from brief.workspace.root import find_root


@dataclass(frozen=True)
class Verdict:
    """The outcome of ``brief verify``: each check with a line to print."""

    pdf_matches: bool
    inputs_match: bool
    lines: list[str]

    @property
    def ok(self) -> bool:
        """Both the file and its inputs are as recorded."""
        return self.pdf_matches and self.inputs_match


def where_to_check(file: Path, manifest: Path | None, start: Path, workspace_given: bool) -> tuple[Path, Path]:
    """``(manifest, workspace)`` for checking *file*: the manifest named, else the one beside
    the file (a file in the out/ folder it was built into), else the workspace's; the workspace
    named with -C (*workspace_given*, at *start*), else the manifest's, else the one at *start*."""
    if manifest is None and not workspace_given and (file.parent / MANIFEST).is_file():
        manifest = file.parent / MANIFEST
    root = find_root(manifest.resolve().parent if manifest is not None and not workspace_given else start)
    return (manifest or root / "out" / MANIFEST).resolve(), root


def find_entry(outputs: dict[str, Any], name: str, sha256: str, manifest: Path) -> tuple[str, dict[str, Any]] | None:
    """``(recorded name, entry)`` of the output whose hash is *sha256*; None when no entry has
    it. The entry under the file's own name must be well formed (a malformed one is an error);
    others that are malformed are passed over."""
    own = outputs.get(name)
    if own is not None and (problem := entry_problem(own)) is not None:
        raise WorkspaceError(
            f"the manifest's entry for {name} is malformed: {problem}",
            manifest,
            hint="build it again to write a new entry",
        )
    candidates = [(name, own)] if own is not None else []
    candidates += [(n, e) for n, e in outputs.items() if n != name and entry_problem(e) is None]
    for recorded_name, entry in candidates:
        settled = recorded(entry, sha256)
        if settled["sha256"] == sha256:
            return recorded_name, settled
    return None


def verify(
    file: Path,
    manifest: Path,
    root: Path,
    overlay: Path | None = None,
    copy_ids: Callable[[Path], list[str]] | None = None,
) -> Verdict:
    """Is *file* an output *manifest* records, and are the inputs of the workspace at *root*
    (with the overlay the build used, or *overlay* when given) unchanged? A file that is none
    but carries a copy ID (*copy_ids* reads them: stamping is a later layer's) is a stamped
    copy, and the verdict says how to trace it."""
    if not manifest.is_file():
        raise WorkspaceError(
            "no manifest here", manifest, hint="name it with --manifest out/manifest.json, or -C WORKSPACE"
        )
    outputs: dict[str, Any] = read_manifest(manifest)["outputs"]
    actual = hashlib.sha256(file.read_bytes()).hexdigest()
    found = find_entry(outputs, file.name, actual, manifest)
    if found is None:
        own = outputs.get(file.name)
        short = f"sha256 {actual[:16]}…"
        line = (
            f"FAILED: {file.name} differs from the file brief built ({short}, expected {own['sha256'][:16]}…)"
            if own is not None
            else f"FAILED: {file.name} is none of the {counted(len(outputs), 'file')} the manifest records ({short})"
        )
        ids = copy_ids(file) if copy_ids is not None else []
        if ids:
            line = (
                f"FAILED: {file.name} is not an edition brief built but a stamped copy of one (copy ID "
                f"{', '.join(ids[:3])}): to see whose copy it is and whether it is as sent, run "
                f"brief distribute trace {shlex.quote(str(file))}"
            )
        return Verdict(False, False, [line])
    name, entry = found
    also = "" if name == file.name else f" as {name}"
    lines = [f"ok: {file.name} is the file built for {_edition(entry)}{also} (sha256 {actual[:16]}…)"]
    used = overlay or _recorded_overlay(entry, root)
    if used is not None and not used.is_dir():
        lines.append(f"FAILED: the template overlay it was built with, {used}, is not there")
        return Verdict(True, False, lines)
    if overlay is None and used is not None and (why := _not_an_overlay(used, root)) is not None:
        lines.append(f"FAILED: the manifest names {used} as the template overlay, {why}; name it with --templates")
        return Verdict(True, False, lines)
    try:
        current = edition_inputs(root, used, scope_of(entry))
    except WorkspaceError as exc:
        lines.append(f"FAILED: {exc.message}")
        return Verdict(True, False, lines)
    inputs_ok = inputs_digest(current) == entry["inputs_sha256"]
    with_overlay = f" and the overlay {entry['overlay']}" if used is not None and entry.get("overlay") else ""
    lines.append(
        f"ok: the {counted(len(current), 'file')} it uses from the theme, briefs/, data/ and templates/{with_overlay} "
        "are the inputs it was built from"
        if inputs_ok
        else "FAILED: the workspace's inputs have changed since it was built" + _first_change(entry, current)
    )
    return Verdict(True, inputs_ok, lines)


def _first_change(entry: dict[str, Any], current: dict[str, str]) -> str:
    """``: X changed`` (with how many more), naming the first input that differs; empty for an
    entry that records no digest per input (written by an older brief)."""
    found = changes(entry.get("inputs"), current)
    if not found:
        return ""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f": {found[0]}{more}"


def _recorded_overlay(entry: dict[str, Any], root: Path) -> Path | None:
    overlay = entry.get("overlay")
    return (root / overlay).resolve() if isinstance(overlay, str) else None


# What a template overlay holds (the files a build looks up in it): one of these at its top
# or in a folder just below (an audience's) is what makes a folder outside the workspace one.
_TEMPLATE_FILES = ("*.j2", "*.css", "brand.yml")
# How many entries are looked at to find one: an overlay has a few dozen.
_LOOK_AT = 2_000


def _not_an_overlay(folder: Path, root: Path) -> str | None:
    """Why the overlay a manifest records (*folder*, resolved) is not walked without being
    named: the manifest is a file anyone may edit, so the folder it names is trusted only
    inside the workspace, or when it holds templates. None when it may be walked (within the
    bounds of :func:`~brief.publish.manifest.file_digests`)."""
    if folder.is_relative_to(root.resolve()):
        return None
    if folder != Path(folder.anchor) and folder != Path.home() and _holds_templates(folder):
        return None
    return "outside the workspace and not a template folder"


def _holds_templates(folder: Path) -> bool:
    budget = _LOOK_AT
    folders = [folder]
    for i, here in enumerate(folders):
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    budget -= 1
                    if budget < 0:
                        return False
                    if any(fnmatch.fnmatchcase(entry.name, p) for p in _TEMPLATE_FILES) and entry.is_file():
                        return True
                    if i == 0 and entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                        folders.append(Path(entry.path))
        except OSError:
            continue
    return False


def _edition(entry: dict[str, Any]) -> str:
    """``brief/audience`` (then the variant and the language, when the entry records them)."""
    return "/".join(str(entry[key]) for key in ("brief", "audience", "variant", "language") if entry.get(key))
