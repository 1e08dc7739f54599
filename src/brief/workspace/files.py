"""Reading workspace files safely: regular files inside the workspace, size checked first.

A data, brief, brand or font file is read only when it is a regular file (not a FIFO, which
would block forever, nor a device such as ``/dev/zero``, which never ends), when it and any
symlink leading to it lie inside the workspace, and when it is within the size limit. The
size is taken from the open file (``fstat``) before reading, and at most ``limit + 1`` bytes
are read, so a file that grows while it is read cannot exhaust memory either.

This module imports nothing but the standard library and our errors: the no-op build check
uses it too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from brief.errors import DataError

# Data and brief files are hand-written: anything larger is a mistake (an export dropped in
# the wrong folder) and would only make every build slow.
MAX_BYTES = 5 * 1024 * 1024
# Font files are larger (a CJK family is 10-20 MB each) but still bounded.
MAX_FONT_BYTES = 64 * 1024 * 1024


def _mb(size: int) -> str:
    return f"{size // 1024 // 1024} MB"


def outside(path: Path, root: Path) -> bool:
    """Whether *path*, with every symlink and ``..`` resolved, lies outside *root*."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return True
    return False


def open_input(path: Path, root: Path | None = None, limit: int = MAX_BYTES) -> int:
    """Open *path* for reading and return its descriptor, or raise a :class:`DataError` saying
    why it may not be read: outside *root*, not a regular file, over *limit*, unreadable."""
    if root is not None and outside(path, root):
        raise DataError(
            "refused: the file is a link to somewhere outside the workspace",
            path,
            hint="copy the file into the workspace instead of linking to it",
        )
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DataError(
            f"cannot read file ({exc.strerror or exc})",
            path,
            hint="check that the file exists and that you may read it",
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO (named pipe)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket"
                if stat.S_ISSOCK(info.st_mode)
                else "not a regular file"
            )
            raise DataError(
                f"refused: this is {kind}, not a regular file",
                path,
                hint="only regular files are read from briefs/, data/ and templates/",
            )
        if info.st_size > limit:
            raise DataError(
                f"file is {info.st_size / 1024 / 1024:.1f} MB, over the {_mb(limit)} limit "
                "for data, brief and template files"
                if limit == MAX_BYTES
                else f"file is {info.st_size / 1024 / 1024:.1f} MB, over the {_mb(limit)} limit",
                path,
                hint="keep large tables out of the workspace, or split them",
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_input(path: Path, root: Path | None = None, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the workspace file *path* (see :func:`open_input` for what is refused)."""
    fd = open_input(path, root, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror or exc})", path) from None
    finally:
        os.close(fd)
    if size > limit:
        raise DataError(
            f"file grew past the {_mb(limit)} limit while it was read",
            path,
            hint="keep large files out of the workspace, or split them",
        )
    return b"".join(chunks)


def check_input(path: Path, root: Path | None = None, limit: int = MAX_BYTES) -> None:
    """Raise a :class:`DataError` unless :func:`read_input` could read *path* (nothing is read)."""
    os.close(open_input(path, root, limit))
