"""Stage 6, publish: put a PDF and its manifest entry into out/ together.

:func:`publish` is the only writer of PDFs and of ``out/manifest.json``. Under the lock on
out/ it reads the manifest, decides and writes, so concurrent builds take turns, and it
writes in an order that a crash at any point (even ``kill -9``) leaves recoverable:

1. the new PDF goes to a temporary file beside its target, on disk;
2. the manifest gets the new entry, keyed by the new PDF's hash, which still holds the
   entry it replaces (``previous``): whichever PDF is on disk matches one of them;
3. the temporary file is renamed over the PDF;
4. the manifest is written again without ``previous``.

Readers (``brief verify``) pick the entry that matches the PDF on disk; the next publish
settles any such entry and removes the temporary files a killed build left. Signals that
stop a build (Ctrl-C, ``SIGTERM``, ``SIGHUP``) wait until the PDF and the manifest agree;
one arriving before the lock is taken stops the build with nothing written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from brief.errors import BriefError, BriefWarning, DataError, PublishError
from brief.model.request import Edition
from brief.publish import printed
from brief.publish.atomic import TEMP_SUFFIX, commit, discard, make_folder, stage, write_atomic
from brief.publish.manifest import (
    MANIFEST,
    Record,
    edition_of,
    entry_of,
    entry_problem,
    locked,
    manifest_bytes,
    manifest_text,
    recorded,
)

# Temporary files of other writers into out/ (exported charts, the figure tables) are written
# without the lock: one older than this belongs to a build that died.
STALE_SECONDS = 600
_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def publish(
    out_dir: Path, name: str, data: bytes, pages: int, record: Record, warnings: list[BriefError] | None = None
) -> Path:
    """Write *data* as ``out_dir/name`` and its manifest entry (*pages*, *record*), both or
    neither; return the PDF's path.

    A manifest that cannot be used (not JSON, the wrong shape, malformed entries) is
    rebuilt, with a warning appended to *warnings* (logged when that is None). Raises
    :class:`~brief.errors.PublishError` when out/ cannot be written: the PDF and the
    manifest are then as they were.
    """
    target = out_dir / name
    entry = entry_of(hashlib.sha256(data).hexdigest(), len(data), pages, record)
    make_folder(target)
    with locked(out_dir), deferred_signals():
        sweep(out_dir)
        manifest, problem = load(out_dir)
        if problem is not None:
            _warn(warnings, problem)
        outputs: dict[str, Any] = manifest["outputs"]
        before = outputs.get(name)
        _same_edition(target, before, record)
        # Before the PDF: a kept edition no PDF came of is harmless, a sent one not kept is not.
        printed.keep(out_dir, entry)
        tmp = stage(target, data)
        try:
            outputs[name] = {**entry, "previous": before}
            _write(out_dir, manifest)
            try:
                commit(tmp, target)
            except BaseException:
                # The PDF is as it was: so is its entry (should this fail too, the entry
                # written above still describes the PDF on disk).
                _restore(outputs, name, before)
                with contextlib.suppress(BriefError):
                    _write(out_dir, manifest)
                raise
            outputs[name] = entry
            try:
                _write(out_dir, manifest)
            except BriefError as exc:
                reason = exc.message.split(";")[0]
                _warn(
                    warnings,
                    BriefWarning(
                        f"{reason}; it records the new PDF, still with the entry it replaced",
                        exc.path,
                        hint="the next build tidies it",
                    ),
                )
        finally:
            discard(tmp)
    return target


def load(out_dir: Path) -> tuple[dict[str, Any], BriefWarning | None]:
    """The manifest of *out_dir* with interrupted replacements settled, and a warning when
    it could not all be used: what cannot be used is left out (all of it, when the file is
    not a manifest)."""
    path = out_dir / MANIFEST
    fresh: dict[str, Any] = {"format": 1, "outputs": {}}
    if not (path.exists() or path.is_symlink()):
        return fresh, None
    try:
        manifest = json.loads(manifest_text(path))
    except DataError as exc:
        return fresh, _rebuilt(path, f"cannot read the manifest ({exc.message})")
    except (RecursionError, ValueError) as exc:
        return fresh, _rebuilt(path, f"cannot read the manifest ({exc})")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        return fresh, _rebuilt(path, "not a brief manifest (no 'outputs' object)")
    if manifest.get("format", 1) != 1:
        return fresh, _rebuilt(path, f"unknown manifest format {manifest.get('format')!r}")
    outputs: dict[str, Any] = {}
    dropped: list[str] = []
    for name, entry in manifest["outputs"].items():
        why = "not a file name in out/" if Path(name).name != name or name.startswith(".") else entry_problem(entry)
        if why is not None:
            dropped.append(f"{name}: {why}")
        elif (settled := _settle(out_dir / name, entry)) is not None:
            outputs[name] = settled
    manifest = {**manifest, "format": 1, "outputs": outputs}
    if not dropped:
        return manifest, None
    more = f" and {len(dropped) - 1} more" if len(dropped) > 1 else ""
    return manifest, BriefWarning(
        f"left out malformed entries ({dropped[0]}{more})", path, hint="build those PDFs again to record them"
    )


def _rebuilt(path: Path, problem: str) -> BriefWarning:
    return BriefWarning(
        f"{problem}; writing a new one", path, hint="PDFs built before have no entry until they are built again"
    )


def tidy(out_dir: Path) -> list[Path]:
    """What a build does first, for a build that has nothing to write ("up to date"): remove
    the temporary files killed builds left in *out_dir*. A build that holds the lock now
    sweeps them itself, so it is not waited for. Returns what was removed."""
    if not out_dir.is_dir():
        return []
    with locked(out_dir, wait=False) as mine:
        return sweep(out_dir) if mine else []


def sweep(out_dir: Path) -> list[Path]:
    """Remove the temporary files that killed builds left in *out_dir* (called under its
    lock): those of the PDFs and the manifest, which only a lock holder writes, and any other
    older than :data:`STALE_SECONDS`. Returns what was removed."""
    removed = []
    now = time.time()
    # The kept editions' records (out/editions/) are written under the same lock.
    kept = list((out_dir / printed.EDITIONS).glob(f".*{TEMP_SUFFIX}"))
    for path in [*out_dir.glob(f".*{TEMP_SUFFIX}"), *kept]:
        ours = path in kept or path.name.startswith(f".{MANIFEST}.") or ".pdf." in path.name or ".html." in path.name
        with contextlib.suppress(OSError):
            if path.is_file() and (ours or now - path.stat().st_mtime > STALE_SECONDS):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP until the block ends, then deliver them (a
    Ctrl-C becomes a KeyboardInterrupt there). Only the main thread receives signals in
    Python; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    saved = {}
    try:
        for signum in _DEFERRED:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN and handler is not None:
                saved[signum] = signal.signal(signum, hold)
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        for held in dict.fromkeys(caught):
            signal.raise_signal(held)


def _settle(pdf: Path, entry: dict[str, Any]) -> dict[str, Any] | None:
    # An entry with "previous" was written by a publish that did not finish: keep the
    # entry of the PDF that is on disk (none when neither PDF is).
    if "previous" not in entry:
        return entry
    try:
        actual = hashlib.sha256(pdf.read_bytes()).hexdigest()
    except OSError:
        return None if entry["previous"] is None else recorded(entry, "")
    return recorded(entry, actual)


def _same_edition(target: Path, before: dict[str, Any] | None, record: Record) -> None:
    # A file of this name recorded for another edition is that edition's, even with --force:
    # the check refuses two editions of one name in the workspace, so this one is left from
    # a brief or audience since renamed, and only its owner may remove it.
    if before is None:
        return
    theirs, ours = edition_of(before), Edition(record.brief, record.audience, record.variant, record.language)
    if theirs != ours:
        raise PublishError(
            f"{target.name} is the edition of {theirs}, not of {ours}: it was not replaced",
            target,
            hint=f"remove out/{target.name} if it is no longer wanted, then build again",
        )


def _restore(outputs: dict[str, Any], name: str, before: dict[str, Any] | None) -> None:
    if before is None:
        outputs.pop(name, None)
    else:
        outputs[name] = before


def _write(out_dir: Path, manifest: dict[str, Any]) -> None:
    write_atomic(out_dir / MANIFEST, manifest_bytes(manifest))


def _warn(warnings: list[BriefError] | None, warning: BriefWarning) -> None:
    if warnings is None:
        logging.getLogger("brief").warning("warning: %s", warning.format())
    else:
        warnings.append(warning)


def none_built(root: Path) -> bool:
    """Whether the workspace at *root* has no manifest in out/, so that no edition can be up to
    date: everything asked for will be built."""
    return not (root / "out" / MANIFEST).is_file()
