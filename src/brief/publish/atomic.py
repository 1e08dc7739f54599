"""Stage 6, publish: write a file atomically.

The bytes go to a temporary file in the same folder (``.NAME.xxxxxxxx.tmp``), flushed to
disk, and are renamed over the target, so a reader never sees half a file and a failed
write leaves the previous one intact. :func:`stage` and :func:`commit` are the two halves,
for a caller that must do something between them (see :mod:`brief.publish.outputs`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from brief.errors import PublishError

TEMP_SUFFIX = ".tmp"


def write_atomic(target: Path, data: bytes) -> Path:
    """Write *data* to *target* via a temporary file and an atomic rename.

    Any failure (no permission, a full disk, an interrupt) leaves *target* as it was,
    removes the temporary file and raises (:class:`PublishError` naming the file for an
    ``OSError``).
    """
    return commit(stage(target, data), target)


def stage(target: Path, data: bytes) -> Path:
    """Write *data* to a new temporary file beside *target* (mode 0644, on disk) and return
    its path; on any failure the temporary file is removed."""
    make_folder(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise PublishError(
            f"cannot write into {target.parent} ({exc.strerror or exc})", target, hint=_hint(exc)
        ) from None
    tmp = Path(name)
    try:
        try:
            handle = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except OSError as exc:
        discard(tmp)
        raise _failed(target, exc) from None
    except BaseException:
        discard(tmp)
        raise
    return tmp


def make_folder(target: Path) -> None:
    """Create the folder *target* goes into, or raise :class:`PublishError` naming *target*."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot write into {target.parent} ({exc.strerror or exc})", target, hint=_hint(exc)
        ) from None


def commit(tmp: Path, target: Path) -> Path:
    """Rename the staged *tmp* over *target* and make the rename durable; on failure *tmp*
    is removed and *target* is as it was."""
    try:
        os.replace(tmp, target)
    except OSError as exc:
        discard(tmp)
        raise _failed(target, exc) from None
    except BaseException:
        discard(tmp)
        raise
    _sync_folder(target.parent)
    return target


def discard(tmp: Path) -> None:
    """Remove a temporary file if it is there; never raises for a file that cannot be removed."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    # The rename itself reaches the disk only with its folder: without this, a power cut
    # could undo it, or undo it and not a later one.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems cannot: the rename is as durable as they make it
            os.fsync(fd)
    finally:
        os.close(fd)


def _failed(target: Path, exc: OSError) -> PublishError:
    return PublishError(
        f"cannot write {target.name} ({exc.strerror or exc}); the previous file is unchanged", target, hint=_hint(exc)
    )


def _hint(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full: free some space and build again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "out/ is not writable: check its permissions"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "out must be a folder: move the file called out away"
    return "check that out/ is a writable folder"
