"""Chart kinds: one module per family of charts, each turning rows into a Vega-Lite spec.

This package is Altair's one home (the architecture test holds it to that). Builders are
registered by kind (charts by name, not an if-chain); each gets rows whose numbers come only
from resolved figures, and returns the Altair chart's marks and encodings for a plot of a
given width. Its size, autosize and theme are added to the Vega-Lite spec afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.workspace.brand import Brand

Builder = Callable[[list[Row], ChartSpec, Brand, int], Any]
BUILDERS: dict[str, Builder] = {}


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register a chart builder for *kind*."""

    def register(fn: Builder) -> Builder:
        BUILDERS[kind] = fn
        return fn

    return register


# The kinds register themselves on import (after `builder` exists).
from brief.pipeline.chartkinds import bars, dots, line, pairs  # noqa: E402,F401
