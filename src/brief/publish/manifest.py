"""Provenance: what a PDF was built from, recorded so anyone can check it.

``out/manifest.json`` lists, per output file (PDF or HTML edition), its hash, size and pages,
the brief and audience, the PDF standard, the template overlay, which files are its inputs
(:class:`~brief.publish.inputs.Scope`: those the edition uses, not the whole workspace), a
digest of them and a short one of each, and the versions of the tools. ``brief verify``
(:mod:`brief.publish.verify`) recomputes both hashes. In an archival PDF/A-3 the figures the
document prints (with their sources) and the build record travel inside the PDF as attachments.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import DataError, PublishError, WorkspaceError
from brief.model.request import BuildRequest, Edition, named_language, output_name
from brief.model.request import edition_of as edition_of  # re-exported: entries name editions
from brief.publish import inputs, printed
from brief.publish.inputs import INPUT_FOLDERS, UNUSABLE, Scope, inputs_digest
from brief.workspace.files import MAX_FONT_BYTES, open_input, outside, read_input
from brief.workspace.root import brief_languages
from brief.workspace.theme import theme_dir

TOOLS = ("brief", "weasyprint", "altair", "vl-convert-python")

# What a folder named like an input file is called (its digest is UNUSABLE).
_INPUT_SUFFIXES = (".yaml", ".yml", ".csv", ".j2")

# Bounds of the walk over one input folder (briefs/, data/, templates/, an overlay, the
# theme): a workspace holds hundreds of files, and a folder far beyond these is none (the
# manifest that names an overlay can be edited to name /usr or a home folder).
MAX_INPUT_ENTRIES = 10_000
MAX_INPUT_BYTES = 1024 * 1024 * 1024


def file_digests(root: Path, overlay: Path | None = None) -> dict[str, str]:
    """sha256 of every input file, keyed by its path relative to the workspace (or ``overlay:``).

    Only regular files inside their folder's root are read (FIFOs, devices and links out of
    the workspace are not; see :mod:`brief.workspace.files`); each of those, and a folder named
    like an input file, gets a digest starting with :data:`UNUSABLE` instead. Hidden folders
    are not entered. Raises :class:`~brief.errors.WorkspaceError` for a folder with more than
    :data:`MAX_INPUT_ENTRIES` files and folders or :data:`MAX_INPUT_BYTES` of files."""
    out: dict[str, str] = {}
    layers = [(root / f, f, root) for f in INPUT_FOLDERS] + ([(overlay, "overlay:", overlay)] if overlay else [])
    # The built-in theme is an input too: a reinstall may change it under the same version.
    layers.append((theme_dir(), "theme:", theme_dir()))
    for folder, prefix, base in layers:
        if not folder.is_dir():
            continue
        for parts, digest in _folder_digests(folder, base):
            key = f"{prefix}/{'/'.join(parts)}" if not prefix.endswith(":") else prefix + "/".join(parts)
            out[key] = digest
    return dict(sorted(out.items()))


def _folder_digests(folder: Path, base: Path) -> Iterator[tuple[tuple[str, ...], str]]:
    """``(path parts under folder, digest)`` of each input in *folder*, within the bounds."""
    seen = size = 0
    for top, dirs, files in os.walk(folder, followlinks=False):
        here = Path(top)
        # Pruned here, so a hidden folder (.git) is never walked, let alone counted.
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        seen += len(dirs) + len(files)
        if seen > MAX_INPUT_ENTRIES:
            raise WorkspaceError(
                f"{folder} holds more than {MAX_INPUT_ENTRIES:,} files and folders: not a workspace or template folder",
                folder,
                hint="keep only the brief's inputs in it",
            )
        for name in dirs:
            path = here / name
            if path.is_symlink():
                # A link to a folder inside: its files are listed where they are.
                if outside(path, base):
                    yield path.relative_to(folder).parts, UNUSABLE + "outside"
            elif name.endswith(_INPUT_SUFFIXES):
                yield path.relative_to(folder).parts, UNUSABLE + "folder"
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            digest, read = _digest(path, base)
            size += read
            if size > MAX_INPUT_BYTES:
                raise WorkspaceError(
                    f"{folder} holds more than {MAX_INPUT_BYTES // 1024 // 1024:,} MB of files: "
                    "not a workspace or template folder",
                    folder,
                    hint="keep only the brief's inputs in it",
                )
            yield path.relative_to(folder).parts, digest


def _digest(path: Path, base: Path) -> tuple[str, int]:
    """sha256 of a regular file inside *base*, read in chunks up to the largest input allowed,
    and the bytes read."""
    try:
        fd = open_input(path, base, MAX_FONT_BYTES)
    except DataError as exc:
        return UNUSABLE + exc.message, 0
    h = hashlib.sha256()
    size = 0
    try:
        while chunk := os.read(fd, 1024 * 1024):
            size += len(chunk)
            if size > MAX_FONT_BYTES:
                return UNUSABLE + "too large", size
            h.update(chunk)
    except OSError as exc:
        return UNUSABLE + str(exc.strerror), size
    finally:
        os.close(fd)
    return h.hexdigest(), size


def edition_inputs(
    root: Path, overlay: Path | None, scope: Scope | None, digests: dict[str, str] | None = None
) -> dict[str, str]:
    """The digests (as :func:`file_digests`) of the files an edition with *scope* uses (see
    :func:`brief.publish.inputs.select`); with no *scope*, of every file. *digests*:
    :func:`file_digests`, when already taken."""
    digests = file_digests(root, overlay) if digests is None else digests
    return digests if scope is None else inputs.select(scope, digests, root)


def tool_versions() -> dict[str, str]:
    """Versions of brief and the libraries that shape the output, read without importing them.

    Most come from the names of the installed metadata folders (``weasyprint-70.0.dist-info``),
    found on ``sys.path`` in the order Python finds packages: one directory listing each,
    where reading each package's metadata would take a no-op build 10 ms longer.
    """
    wanted = {_normal(tool): tool for tool in TOOLS}
    out: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, found = name.removesuffix(".dist-info").rpartition("-")
                tool = wanted.get(_normal(dist))
                if tool is not None and tool not in out:
                    out[tool] = found
    for tool in TOOLS:
        if tool not in out:  # installed some other way (an .egg-info, a zip)
            from importlib.metadata import PackageNotFoundError, version

            try:
                out[tool] = version(tool)
            except PackageNotFoundError:
                out[tool] = "not installed"
    return {tool: out[tool] for tool in TOOLS}


def _normal(name: str) -> str:
    # Package names compare without case, and "-", "_" and "." are the same (PEP 503).
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclass(frozen=True)
class Record:
    """What a build was made from (everything in a manifest entry but the output's own hash)."""

    brief: str
    audience: str
    standard: str
    inputs_sha256: str
    inputs: dict[str, str]
    versions: dict[str, str]
    source_date_epoch: str = ""
    # The --templates folder the build used (relative to the workspace when inside it), so
    # `brief verify` checks the same inputs without being told again.
    overlay: str | None = None
    # The variant's id, for a brief built once per variant (``for_each``).
    variant: str = ""
    # The brief's distribution markings as printed (None when it declares none).
    marking: dict[str, str | None] | None = None
    # Which files are the edition's inputs (None: all of the workspace's).
    scope: Scope | None = None
    # What the edition printed: each figure, as what, and a digest of the narrative, its figures
    # left out (:mod:`brief.publish.printed`); the output's own, so not in as_json.
    printed: dict[str, list[str]] | None = None
    narrative: str = ""
    language: str = ""  # the language in the edition's name, for a brief built in several

    def as_json(self) -> bytes:
        """The record as JSON (attached to archival PDF/A-3 documents)."""
        fields = {k: v for k, v in vars(self).items() if (k not in _LEFT_OUT_EMPTY or v) and k not in printed.OWN}
        if self.scope is not None:
            fields["scope"] = self.scope.as_dict()
        return json.dumps(fields, indent=2, sort_keys=True).encode("utf-8")


_LEFT_OUT_EMPTY = ("variant", "scope", "language")
MANIFEST = "manifest.json"
# A manifest entry is under a kilobyte: this is tens of thousands of editions.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_FIELDS: dict[str, type] = {
    "sha256": str,
    "size": int,
    "pages": int,
    "brief": str,
    "audience": str,
    "standard": str,
    "inputs_sha256": str,
    "versions": dict,
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@contextlib.contextmanager
def locked(out_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the lock on *out_dir* (``flock`` on the folder itself): everything that reads and
    writes the PDFs and the manifest together does it under this lock, and it leaves no lock
    file behind. Waiting for it can be interrupted (Ctrl-C). Without *wait*, a lock another
    process holds is not waited for: the block runs without it, told so by False."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir, os.O_RDONLY)
    except OSError as exc:
        raise PublishError(
            f"cannot lock {out_dir.name}/ ({exc.strerror or exc})",
            out_dir,
            hint="out must be a folder you can read and write",
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def entry_of(sha256: str, size: int, pages: int, record: Record) -> dict[str, Any]:
    """The manifest entry of a PDF with hash *sha256*, *size* bytes and *pages* pages."""
    return (
        {
            "sha256": sha256,
            "size": size,
            "pages": pages,
            "brief": record.brief,
            "audience": record.audience,
            "standard": record.standard,
            "inputs_sha256": record.inputs_sha256,
            "versions": record.versions,
            "source_date_epoch": record.source_date_epoch,
            "overlay": record.overlay,
        }
        | ({"variant": record.variant} if record.variant else {})
        | ({"language": record.language} if record.language else {})
        | ({"marking": record.marking} if record.marking else {})
        | ({"scope": record.scope.as_dict(), "inputs": inputs.short_digests(record.inputs)} if record.scope else {})
        | ({"printed": record.printed, printed.NARRATIVE: record.narrative} if record.printed else {})
    )


def entry_problem(entry: object, pending: bool = True) -> str | None:
    """What is wrong with a manifest entry, or None. An entry written while its PDF was being
    replaced also holds the one it replaces (``previous``, an entry or null), so that
    whichever of the two PDFs is on disk after a crash is recognised (see :func:`recorded`)."""
    if not isinstance(entry, dict):
        return f"it is {_json_type(entry)}, not an object"
    for key, kind in _FIELDS.items():
        if key not in entry:
            return f"{key!r} is missing"
        value = entry[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{key!r} is {_json_type(value)}, not {_json_type(kind())}"
    if not _SHA256.fullmatch(entry["sha256"]):
        return "'sha256' is not a SHA-256 hex digest"
    if entry["size"] < 0 or entry["pages"] < 0:
        return "'size' and 'pages' cannot be negative"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in entry["versions"].items()):
        return "'versions' must map tool names to version strings"
    if not isinstance(entry.get("source_date_epoch", ""), str):
        return f"'source_date_epoch' is {_json_type(entry['source_date_epoch'])}, not a string"
    if not isinstance(entry.get("overlay"), (str, type(None))):
        return f"'overlay' is {_json_type(entry['overlay'])}, not a string or null"
    if (why := inputs.scope_problem(entry) or printed.problem(entry)) is not None:
        return why
    if "previous" in entry:
        previous = entry["previous"]
        if not pending:
            return "'previous' inside 'previous'"
        if previous is not None and (why := entry_problem(previous, pending=False)) is not None:
            return f"'previous': {why}"
    return None


def recorded(entry: dict[str, Any], sha256: str) -> dict[str, Any]:
    """The entry (checked by :func:`entry_problem`) that describes a PDF whose hash is *sha256*:
    the previous one when a replacement was interrupted before the new PDF reached the
    disk, else the entry itself (without ``previous``)."""
    previous = entry.get("previous")
    if previous is not None and entry["sha256"] != sha256 and previous["sha256"] == sha256:
        return dict(previous)
    return {k: v for k, v in entry.items() if k != "previous"}


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as written to disk."""
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def up_to_date(request: BuildRequest) -> tuple[Path, int] | None:
    """``(pdf, pages)`` when the PDF in out/ is the edition *request* names (:func:`asked_edition`),
    built from exactly the current inputs (those the edition uses: :func:`edition_inputs`),
    with the same standard and tools, and is intact; else None. Reads files only: no pipeline."""
    root, overlay, standard, edition = request.root, request.overlay, request.standard, asked_edition(request)
    if edition is None:
        return None
    name = output_name(edition.brief, edition.audience, standard, variant=edition.variant, language=edition.language)
    pdf = root / "out" / name
    manifest_path = root / "out" / MANIFEST
    if not pdf.is_file() or not manifest_path.is_file():
        return None
    try:
        entry = read_manifest(manifest_path)["outputs"].get(pdf.name)
    except WorkspaceError:
        return None
    if not isinstance(entry, dict) or edition_of(entry) != edition:
        return None  # not an entry, or another edition's file of the same name: the build says whose
    try:
        digests = edition_inputs(root, overlay, inputs.scope_of(entry) if entry_problem(entry) is None else None)
    except WorkspaceError:
        return None  # let the build say so
    if any(d.startswith(UNUSABLE) for d in digests.values()):
        return None  # an input the build cannot read: let the build say so
    same = (
        entry.get("standard") == standard
        and entry.get("source_date_epoch", "") == request.source_date_epoch
        and entry.get("versions") == tool_versions()
        and entry.get("inputs_sha256") == inputs_digest(digests)
        and entry.get("sha256") == hashlib.sha256(pdf.read_bytes()).hexdigest()
    )
    return (pdf, int(entry.get("pages", 0))) if same else None


def asked_edition(request: BuildRequest) -> Edition | None:
    """The edition *request* names, as out/ names it (a language tag only for a brief in several),
    told from the brief file alone; None when it cannot be (the build then says why)."""
    found = [request.brief] if request.brief else [p.stem for p in (request.root / "briefs").glob("*.yaml")]
    languages = brief_languages(request.root, request.brief)
    if len(found) != 1 or languages is None or request.language not in (None, *languages):
        return None
    language = named_language(request.language or languages[0], languages)
    return Edition(Path(found[0]).stem, request.audience, request.variant or "", language)


def manifest_text(path: Path) -> str:
    """The text of the manifest at *path*, read as a workspace input is (a regular file, at
    most :data:`MAX_MANIFEST_BYTES`): anyone may edit out/, and a FIFO or a link to a device
    there must not hang or exhaust a build. Raises :class:`~brief.errors.DataError` saying why."""
    data = read_input(path, None, MAX_MANIFEST_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest, or explain why it cannot be used."""
    try:
        manifest = json.loads(manifest_text(path))
    except DataError as exc:
        raise WorkspaceError(
            f"cannot read the manifest ({exc.message})", path, hint="rebuild to write a new one"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise WorkspaceError(f"cannot read the manifest ({exc})", path, hint="rebuild to write a new one") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        raise WorkspaceError("not a brief manifest", path, hint="rebuild to write a new one")
    return manifest
