"""Which audience a command uses when none is named, decided without loading the workspace.

Kept apart from :mod:`.resolve` so a no-op build (which only compares digests) never imports
the models."""

from __future__ import annotations

from pathlib import Path

from brief.workspace.root import first_audience


def default_audience(root: Path, brief_id: str | None) -> str:
    """The audience a command uses when none is named: the brief's only or first one.

    Read from the brief file alone when it can be; otherwise the workspace is loaded, so the
    reason (no brief, several briefs, a brief file in error) is the loader's own message."""
    found = first_audience(root, brief_id)
    if found is not None:
        return found
    from brief.pipeline.resolve import pick_brief
    from brief.workspace.load import load_workspace

    brief = pick_brief(load_workspace(root), brief_id)
    return next(iter(brief.audiences))
