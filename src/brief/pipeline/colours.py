"""Which colour each series has, once for the whole brief: a series keeps its colour in every
chart, and no colour stands for two series. Every colour comes from the brand file.

A series is whatever a chart tells apart by colour: a country the brand names, a highlighted
label, a stack segment, a date of a dumbbell, a line. Everything else is drawn in the brand's
muted colour, which means "the rest" and never one series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from brief.model.schema import ChartRow, ChartSpec
from brief.workspace.brand import Brand

# Kinds that colour each mark by its row's `series` (the others colour by `label`).
BY_SERIES = ("stacked", "grouped", "dumbbell", "dot")


def series_palette(brand: Brand) -> list[str]:
    """Every colour a chart may give a series, in order: the highlight, the brand's series
    colours, its other-series colours, then the secondary and muted colours."""
    rules = brand.chart
    names = [rules.highlight, *rules.series_colors.values(), *rules.other_series, "secondary", rules.muted]
    return list(dict.fromkeys(brand.hex(n) for n in names))


def free_colours(brand: Brand, named_in_brief: Iterable[str] = ()) -> list[str]:
    """The colours for series the brand does not name, in turn: the highlight, the brand's
    other-series colours, then the secondary colour; never the colour of a named series the
    brief shows (*named_in_brief*), nor the muted one."""
    rules = brand.chart
    taken = {brand.hex(rules.series_colors[n]) for n in named_in_brief} | {brand.hex(rules.muted)}
    names = [rules.highlight, *rules.other_series, "secondary"]
    return [c for c in dict.fromkeys(brand.hex(n) for n in names) if c not in taken] or [brand.hex(rules.muted)]


def _by_series(spec: ChartSpec, row: ChartRow) -> bool:
    return spec.kind in BY_SERIES and row.series is not None


def _coloured(spec: ChartSpec, row: ChartRow, named: Mapping[str, str]) -> str | None:
    """The name *row*'s mark is coloured by, or None when it is drawn muted."""
    if _by_series(spec, row):
        return row.series
    own = row.label in named or row.label in spec.highlight
    # Without a highlight, every line is told apart by colour (a muted grey for all would not).
    return row.label if own or (spec.kind == "line" and not spec.highlight) else None


def colour_key(charts: Iterable[ChartSpec], brand: Brand) -> dict[str, str]:
    """Series name → colour for every chart of a brief (in the order the brief declares them,
    so that which audience is built does not change a colour)."""
    named = brand.chart.series_colors
    names = [n for spec in charts for row in spec.rows if (n := _coloured(spec, row, named)) is not None]
    names = list(dict.fromkeys(names))
    key = {n: brand.hex(named[n]) for n in names if n in named}
    free = free_colours(brand, key)
    # Past the last free colour a brief has more series than its brand has colours for.
    key.update({n: free[i % len(free)] for i, n in enumerate(n for n in names if n not in named)})
    return key


def row_colour(spec: ChartSpec, row: ChartRow, key: Mapping[str, str], brand: Brand) -> str:
    """The colour of *row*'s mark: its series' colour from *key*, else the muted colour."""
    name = _coloured(spec, row, brand.chart.series_colors)
    return key[name] if name is not None and name in key else brand.hex(brand.chart.muted)
