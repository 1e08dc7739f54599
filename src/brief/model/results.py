"""What a build reports, as plain values.

Kept apart from the pipeline so that reading one imports nothing heavy: a warm typesetter
that ran a whole build sends its result back to a ``brief build`` that has imported none of
the pipeline (see :func:`brief.runtime.workers.build_warm`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import Problem


@dataclass(frozen=True)
class BuildResult:
    """What one build wrote."""

    path: Path
    pages: int
    seconds: float
    brief: str
    audience: str
    page_budget: int
    # What the check and the publish step warned of, paths relative to the workspace.
    warnings: list[Problem] = field(default_factory=list)
    # True when nothing was built: the file in out/ was already made from the current inputs.
    up_to_date: bool = False
