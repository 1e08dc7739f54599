"""``brief init``: a new workspace that builds at once, from the starter or an example."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from brief.errors import WorkspaceError
from brief.workspace.theme import WORKSPACE_FILES, WORKSPACE_FOLDERS, examples, starter_dir

# Package data cannot carry a file whose name starts with a dot through every installer
# untouched, so the starter's ignore file is stored without it.
_RENAMED = {"gitignore": ".gitignore"}


@dataclass(frozen=True)
class Initialised:
    """What ``brief init`` wrote."""

    folder: Path
    files: list[Path]
    briefs: list[str]


def init_workspace(target: Path, example: str | None = None, force: bool = False) -> Initialised:
    """Write a workspace into *target*: the starter brief, or the example named *example*.

    A folder that already holds anything is refused unless *force*; then only the files the
    workspace is made of are written (over ones of the same name), and nothing is deleted."""
    source = _source(example)
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} is a file, not a folder", hint="name a new or empty folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise WorkspaceError(
            f"{target} is not empty",
            hint="name a new or empty folder, or pass --force to add the workspace's files to it",
        )
    files = [(path, Path(_RENAMED.get(rel.as_posix(), rel.as_posix()))) for path, rel in _files(source)]
    for _, rel in files:
        _refuse_links(target, rel)
    written = [_copy(path, target / rel) for path, rel in files]
    (target / "out").mkdir(parents=True, exist_ok=True)
    briefs = sorted(p.stem for p in (target / "briefs").glob("*.yaml"))
    return Initialised(target, written, briefs)


def _source(example: str | None) -> Path:
    if example is None:
        return starter_dir()
    found = examples()
    if example not in found:
        raise WorkspaceError(
            f"no example named {example!r}",
            hint=f"choose from: {', '.join(found)}" if found else "this installation ships no examples",
        )
    return found[example]


def _files(source: Path) -> list[tuple[Path, Path]]:
    """Every file of the workspace at *source*, with its path relative to it."""
    if source == starter_dir():
        tops = [source]
    else:
        tops = [source / name for name in WORKSPACE_FOLDERS if (source / name).is_dir()]
    out: list[tuple[Path, Path]] = [(source / f, Path(f)) for f in WORKSPACE_FILES if (source / f).is_file()]
    for top in tops:
        for path in sorted(top.rglob("*")):
            rel = path.relative_to(source)
            if path.is_file() and "__pycache__" not in rel.parts and rel.parts[0] != "out":
                out.append((path, rel))
    return out


def _refuse_links(target: Path, rel: Path) -> None:
    """Refuse, before anything is written, a symlink (or anything but a folder or a regular
    file) where --force would write *rel* in *target*: the file it leads to may be anyone's,
    anywhere, and it is not ours to replace. Refusing is safer than replacing the link, which
    the user may have made on purpose."""
    here = target
    for i, part in enumerate(rel.parts):
        here = here / part
        last = i == len(rel.parts) - 1
        try:
            mode = here.lstat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise WorkspaceError(f"cannot write {here} ({exc.strerror or exc})", here) from None
        if stat.S_ISLNK(mode):
            raise WorkspaceError(
                "this is a symbolic link: brief init --force does not write through it",
                here,
                hint="remove or rename the link, then run brief init --force again",
            )
        if not (stat.S_ISREG(mode) if last else stat.S_ISDIR(mode)):
            raise WorkspaceError(
                f"this is in the way: it is not a {'regular file' if last else 'folder'}",
                here,
                hint="remove or rename it, then run brief init --force again",
            )


def _copy(path: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: a link put there since the check above is refused, not written through.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(dest, flags, 0o666)
    except OSError as exc:
        raise WorkspaceError(f"cannot write {dest} ({exc.strerror or exc})", dest) from None
    with open(fd, "wb") as out, path.open("rb") as src:
        shutil.copyfileobj(src, out)
    return dest
