"""Stage 6, publish: write the PDF into out/ atomically.

The bytes go to a temporary file in the same folder and are renamed over the target,
so a reader never sees half a PDF and a failed build leaves the previous one intact.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from brief.errors import PublishError


def write_atomic(target: Path, data: bytes) -> Path:
    """Write *data* to *target* via a temporary file and an atomic rename.

    Any failure (no permission, a full disk) leaves *target* as it was, removes the
    temporary file and raises :class:`PublishError` naming the file.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise PublishError(f"cannot write into {target.parent} ({exc.strerror or exc})", target,
                           hint=_hint(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PublishError(f"cannot write {target.name} ({exc.strerror or exc}); the previous file is unchanged",
                           target, hint=_hint(exc)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _hint(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full: free some space and build again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "out/ is not writable: check its permissions"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "out must be a folder: move the file called out away"
    return "check that out/ is a writable folder"
