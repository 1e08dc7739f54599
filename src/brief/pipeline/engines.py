"""Where the two heavy stages run: :class:`Engines`, in this process unless the caller hands
in others (``brief.runtime`` backs them with worker processes).

Kept apart and light (it imports only the light stage modules) so that the command can start
its workers before it imports the rest of the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brief.pipeline.draw import DrawJob, draw_specs
from brief.pipeline.typeset import Typeset, TypesetJob, typeset


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Engines:
    """Where the heavy stages run. *checked* is called once the checks pass, so a worker may
    warm up then (a build whose checks fail never needs WeasyPrint)."""

    draw: Callable[[DrawJob], list[str]] = draw_specs
    typeset: Callable[[TypesetJob], Typeset] = typeset
    checked: Callable[[], None] = _nothing


IN_PROCESS = Engines()
