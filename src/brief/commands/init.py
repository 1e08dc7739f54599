"""``brief init``: a new workspace that builds at once, from the starter or an example."""

from __future__ import annotations

import shutil
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
    written = [_copy(path, target / _RENAMED.get(rel.as_posix(), rel.as_posix())) for path, rel in _files(source)]
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


def _copy(path: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest)
    return dest
