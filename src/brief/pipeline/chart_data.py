"""What a chart shows, as data: its rows (every number taken from a figure, formatted by its
unit) and the alt text made from them. No Altair here: the chart stage builds specs from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brief.model.language import DEFAULT, caption
from brief.model.schema import ChartSpec
from brief.pipeline.citations import typographic
from brief.pipeline.colours import colour_key, row_colour
from brief.pipeline.resolve import ResolvedFigure
from brief.workspace.brand import Brand

Row = dict[str, Any]
_KIND_NAMES = {
    "bar": "Bar chart",
    "column": "Column chart",
    "stacked": "Stacked bar chart",
    "grouped": "Grouped bar chart",
    "dumbbell": "Dot plot comparing two dates",
    "dot": "Dot plot",
    "slope": "Slope chart",
    "line": "Line chart",
    "table": "Table",
    "vega_lite": "Chart",
}
# A line whose end is within this share of its start is "about level", not rising or falling.
_LEVEL = 0.01


def chart_rows(
    spec: ChartSpec, figures: dict[str, ResolvedFigure], brand: Brand, key: Mapping[str, str] | None = None
) -> list[Row]:
    """The data a chart plots, one row per mark, every number taken from a figure, each mark in
    its series' colour from the brief's colour *key* (:func:`brief.pipeline.colours.colour_key`;
    this chart's own when not given). Labels get the PDF's typography (curly apostrophes), in
    the PDF and in exported slide charts alike."""
    key = colour_key([spec], brand) if key is None else key
    rows = []
    for row in spec.rows:
        fig = figures[row.figure]
        rows.append(
            {
                "label": typographic(row.label),
                "series": typographic(row.series) if row.series is not None else None,
                "panel": typographic(row.panel) if row.panel is not None else None,
                "figure": fig.id,
                "value": float(fig.value),
                "text": fig.text("short"),
                "short": fig.text("short"),
                "long": fig.text("long"),
                "unit": fig.unit,
                "axis": fig.axis,
                "colour": row_colour(spec, row, key, brand),
            }
        )
    if spec.facet is not None:
        # Whatever field picks the small multiple, the rows name it as their panel.
        for r in rows:
            r["panel"] = r[spec.facet.by]
    if spec.axis == "normalised":
        _index(rows)
    return rows


def _index(rows: list[Row]) -> None:
    """Each line's values as an index, 100 at its first point (``axis: normalised``)."""
    first: dict[str, float] = {}
    for r in rows:
        base = first.setdefault(r["label"], r["value"])
        r["value"] = r["value"] / base * 100 if base else 0.0


def _line_story(label: str, points: list[Row], language: str) -> str:
    start, end = points[0], points[-1]
    peak = max(points, key=lambda r: r["value"])
    change = end["value"] - start["value"]
    if abs(change) <= _LEVEL * abs(start["value"]):
        trend = "about level overall"
    else:
        trend = "rising overall" if change > 0 else "falling overall"
    return caption(
        "{label}: from {start} in {start_at} to {end} in {end_at}, peaking at {peak} in {peak_at}; {trend}",
        language,
        label=label,
        start=start["long"],
        start_at=start["series"],
        end=end["long"],
        end_at=end["series"],
        peak=peak["long"],
        peak_at=peak["series"],
        trend=caption(trend, language),
    )


def alt_text(spec: ChartSpec, rows: list[Row], language: str = DEFAULT) -> str:
    """Alt text from the chart's data, in the brief's *language*: what it shows, its values,
    and the takeaway. A line chart's gives each line's start, end, peak and trend rather than
    every point."""
    kind = caption(_KIND_NAMES[spec.kind], language)
    if spec.facet is not None:
        kind = caption("Small multiples ({kind}, one panel each)", language, kind=kind[0].lower() + kind[1:], Kind=kind)
    if spec.kind in ("bar", "column"):
        values = "; ".join(f"{r['label']}: {r['long']}" for r in rows)
    elif spec.kind == "line":
        lines: dict[str, list[Row]] = {}
        for r in rows:
            lines.setdefault(r["label"], []).append(r)
        values = "; ".join(_line_story(label, points, language) for label, points in lines.items())
    else:
        grouped: dict[str, list[str]] = {}
        for r in rows:
            shown = r["long"] if r["series"] is None else f"{r['long']} ({r['series']})"
            grouped.setdefault(r["label"], []).append(shown)
        values = "; ".join(f"{label}: {', '.join(v)}" for label, v in grouped.items())
    # {what} is the subtitle run into the sentence (English lower-cases its first letter);
    # {What} is the subtitle as written (German keeps its capitals).
    return caption(
        "{kind} of {what}. {values}. {title}",
        language,
        kind=kind,
        what=spec.subtitle[0].lower() + spec.subtitle[1:],
        What=spec.subtitle,
        values=values,
        title=typographic(spec.title),
    )
