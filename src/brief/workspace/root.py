"""Finding the workspace: kept apart from the loader so that finding it stays cheap."""

from __future__ import annotations

from pathlib import Path

from brief.errors import WorkspaceError


def find_root(start: Path) -> Path:
    """The nearest folder at or above *start* that holds ``briefs/``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "briefs").is_dir():
            return folder
    raise WorkspaceError(
        f"no workspace here: neither {start} nor a parent holds a briefs/ folder",
        hint="run inside a workspace or pass -C DIR",
    )
