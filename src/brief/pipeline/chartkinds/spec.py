"""From rows to a whole Vega-Lite spec: a kind's marks, small multiples, or a spec of one's
own, then the chart's size, autosize and the brand's theme."""

from __future__ import annotations

from typing import Any

from brief.model.language import DEFAULT
from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds import BUILDERS
from brief.pipeline.chartkinds.bars import CHAR_PX
from brief.pipeline.chartkinds.theme import theme
from brief.workspace.brand import Brand

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# An average character of a line's end label (10 px semibold), in pixels.
LABEL_CHAR_PX = 5.5
# Space between small multiples (pixels).
PANEL_SPACING = 14


def facet_panels(rows: list[Row]) -> list[str]:
    """The small multiples' titles, in the order of the rows."""
    return list(dict.fromkeys(r["panel"] for r in rows))


def _margins(spec: ChartSpec, rows: list[Row]) -> tuple[int, int]:
    """Roughly how far a panel's labels reach past its plot, left (category names or the value
    axis, drawn once per row of panels) and right (a line's end labels, in every gap)."""
    names = max(len(r["label"]) for r in rows) * CHAR_PX + 10
    left = {"bar": names, "stacked": names, "grouped": names, "dumbbell": names, "line": 48}
    if spec.kind == "line":
        right = max((len(r["label"]) + len(r["short"]) + 1) * LABEL_CHAR_PX for r in rows) + 10
    else:
        right = 0
    return int(left.get(spec.kind, 4)), int(right)


def panel_size(spec: ChartSpec, rows: list[Row], width: int) -> tuple[int, int, int, int]:
    """Columns of small multiples, the space between them, and each panel's plot width and
    height, chosen so that the whole drawing comes out about *width* wide."""
    assert spec.facet is not None
    columns = min(spec.facet.columns, len(facet_panels(rows)))
    left, right = _margins(spec, rows)
    # Panels are spaced from the edge of all they draw (end labels included): "bounds: full".
    plot_width = (width - left - right * columns - PANEL_SPACING * (columns - 1)) // columns
    return columns, PANEL_SPACING, max(plot_width, 40), spec.height


def _faceted(rows: list[Row], spec: ChartSpec, brand: Brand, width: int, language: str) -> dict[str, Any]:
    """The kind's chart drawn once per panel, on shared scales. A facet cannot be sized with
    autosize "fit", so the panels are sized to come out about the chart's width and the
    drawing is fitted to it exactly afterwards (:func:`brief.pipeline.charts.fit_width`)."""
    assert spec.facet is not None
    columns, spacing, plot_width, plot_height = panel_size(spec, rows, width)
    inner = BUILDERS[spec.kind](rows, spec, brand, plot_width).to_dict(validate=False)
    data = inner.pop("data")
    body = {k: v for k, v in inner.items() if k not in ("$schema", "config", "datasets")}
    return {
        "$schema": SCHEMA,
        "data": data,
        "facet": {"field": "panel", "type": "nominal", "sort": facet_panels(rows), "title": None},
        "columns": columns,
        "spacing": spacing,
        "spec": {**body, "width": plot_width, "height": plot_height},
        "autosize": {"type": "pad"},
        "config": theme(brand, language),
    }


def _own(rows: list[Row], custom: dict[str, Any]) -> dict[str, Any]:
    """A spec of one's own (already checked by :mod:`brief.workspace.vegalite`) with the
    chart's rows as its only data."""
    return {"$schema": SCHEMA, **custom, "data": {"values": rows}}


def vega_lite(
    spec: ChartSpec,
    rows: list[Row],
    brand: Brand,
    width: int,
    validate: bool = False,
    custom: dict[str, Any] | None = None,
    language: str = DEFAULT,
) -> dict[str, Any]:
    """The whole Vega-Lite spec of a chart *width* pixels wide, themed by *brand*, its axis
    numbers written in *language*. With
    *validate*, Altair checks it against the Vega-Lite schema (the tests do; builds skip it)."""
    from altair import TopLevelSpec
    from altair.utils.schemapi import debug_mode

    # Altair checks every object against the schema as it is made, unless told not to (0.05 s
    # a build): the builders are fixed code, and the test suite validates every chart they make.
    with debug_mode(validate):
        if spec.facet is not None:
            vega: dict[str, Any] = _faceted(rows, spec, brand, width, language)
        else:
            vega = (
                _own(rows, custom or {})
                if spec.kind == "vega_lite"
                else BUILDERS[spec.kind](rows, spec, brand, width).to_dict(validate=False)
            )
            # The size, autosize and theme go straight into the spec: set on the chart with
            # .properties() and .configure(), each would copy the whole layered chart (0.1 s a
            # build). "fit" makes the whole SVG, labels included, exactly the size set here,
            # so it is placed at 100% and text keeps the size the theme gives it.
            vega.update(
                width=width,
                height=spec.height,
                autosize={"type": "fit", "contains": "padding"},
                config=theme(brand, language),
            )
    if validate:
        TopLevelSpec.validate(vega)
    return vega
