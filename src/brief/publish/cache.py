"""A content-addressed cache for rendered charts, shared by every build on the machine.

The key is a hash of everything that decides a chart's SVG: its spec and data, the theme,
the font files, the package's own code (all of it: the charts are built in
``pipeline/chartkinds/`` from modules all over it) and the vl-convert version. A hit skips importing
Altair and vl-convert altogether. Entries are written atomically, so concurrent builds can
share the cache; a corrupt or missing entry is simply rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from brief.errors import BriefError
from brief.publish.atomic import write_atomic
from brief.workspace.theme import theme_dir, theme_files


@cache
def _code_digest() -> str:
    # The chart builders are code: a change to any of them must miss the cache. They are
    # spread over pipeline/chartkinds/ and the modules those import (captions, number formats,
    # page widths), so the whole package is hashed rather than a list of names that goes
    # stale when a module is added; once per process, a few milliseconds.
    h = hashlib.sha256()
    for path in package_files():
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    # So is the built-in theme (its brand and fonts shape every chart), package data that a
    # reinstall can change without a new version number.
    for path in theme_files():
        h.update(path.relative_to(theme_dir()).as_posix().encode() + b"\0" + path.read_bytes())
    from brief.publish.manifest import tool_versions

    h.update(tool_versions()["vl-convert-python"].encode())
    return h.hexdigest()


_PACKAGE = Path(__file__).resolve().parent.parent


def package_files() -> list[Path]:
    """The package's own files that the chart cache key covers, in a stable order: its code and
    data, without the built-in theme (hashed apart) or compiled bytecode."""
    theme = _PACKAGE / "theme"
    return sorted(
        p
        for p in _PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.is_relative_to(theme) and p.suffix != ".pyc"
    )


def _file_digest(path: Path) -> str:
    # Looked up by the file's size and time too: a warm typesetter or the preview lives on
    # while the user replaces a font.
    info = path.stat()
    return _digest_of(path, info.st_size, info.st_mtime_ns)


@cache
def _digest_of(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chart_key(payload: dict[str, Any], font_files: list[Path]) -> str:
    """The cache key for a chart described by *payload* and drawn with *font_files*."""
    h = hashlib.sha256(_code_digest().encode())
    h.update(json.dumps(payload, sort_keys=True, default=str).encode())
    for font in sorted(font_files):
        h.update(_file_digest(font).encode())
    return h.hexdigest()


def is_empty(folder: Path | None) -> bool:
    """True when nothing has been cached in *folder* yet (a first build on this machine)."""
    try:
        return folder is None or not any(folder.iterdir())
    except OSError:
        return True


def get(folder: Path | None, key: str) -> str | None:
    """The SVG cached in *folder* under *key*, or None: also when there is no cache, and for an
    entry that is not a whole SVG document (empty, cut short, junk, a folder), which is drawn
    again and replaced."""
    if folder is None:
        return None
    try:
        text = (folder / key[:2] / f"{key}.svg").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    body = text.strip()
    if not (body.startswith(("<svg", "<?xml")) and body.endswith(("</svg>", "/>"))):
        return None
    return text


def put(folder: Path | None, key: str, text: str) -> None:
    """Store *text* in *folder* under *key*; a cache that cannot be written is not an error."""
    if folder is not None:
        with contextlib.suppress(BriefError):
            write_atomic(folder / key[:2] / f"{key}.svg", text.encode("utf-8"))
