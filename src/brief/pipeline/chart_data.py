"""What a chart shows, as data: its rows (every number taken from a figure, formatted by its
unit) and the alt text made from them. No Altair here: the chart stage builds specs from these.
"""

from __future__ import annotations

from typing import Any

from brief.model.schema import ChartSpec
from brief.pipeline.resolve import ResolvedFigure
from brief.workspace.brand import Brand

Row = dict[str, Any]
_KIND_NAMES = {"bar": "Bar chart", "dumbbell": "Dot plot comparing two dates", "slope": "Slope chart"}


def colour_for(label: str, spec: ChartSpec, brand: Brand) -> str:
    """Countries keep their brand colour; others are highlighted only when asked."""
    rules = brand.chart
    if label in rules.series_colors:
        return brand.hex(rules.series_colors[label])
    if label in spec.highlight:
        return brand.hex(rules.highlight)
    return brand.hex(rules.muted)


def chart_rows(spec: ChartSpec, figures: dict[str, ResolvedFigure], brand: Brand) -> list[Row]:
    """The data a chart plots, one row per mark, every number taken from a figure."""
    rows = []
    for row in spec.rows:
        fig = figures[row.figure]
        rows.append(
            {
                "label": row.label,
                "series": row.series,
                "value": float(fig.value),
                "text": fig.text("short"),
                "short": fig.text("short"),
                "long": fig.text("long"),
                "unit": fig.unit,
                "axis": fig.axis,
                "colour": colour_for(row.label, spec, brand),
            }
        )
    return rows


def alt_text(spec: ChartSpec, rows: list[Row]) -> str:
    """Alt text from the chart's data: what it shows, every value, and the takeaway."""
    kind = _KIND_NAMES[spec.kind]
    if spec.kind == "bar":
        values = "; ".join(f"{r['label']}: {r['long']}" for r in rows)
    else:
        grouped: dict[str, list[str]] = {}
        for r in rows:
            grouped.setdefault(r["label"], []).append(f"{r['long']} ({r['series']})")
        values = "; ".join(f"{label}: {', '.join(v)}" for label, v in grouped.items())
    return f"{kind} of {spec.subtitle[0].lower()}{spec.subtitle[1:]}. {values}. {spec.title}"
