"""A chart on its own, for slides: the chart's spec with its takeaway title, subtitle and
source line drawn in, in the same typography as the PDF (the caller passes typographic text)."""

from __future__ import annotations

from typing import Any

from brief.model.language import DEFAULT
from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds.spec import SCHEMA, vega_lite
from brief.pipeline.chartkinds.theme import css_family, quiet_text, theme
from brief.workspace.brand import Brand


def slide_spec(
    spec: ChartSpec,
    rows: list[Row],
    brand: Brand,
    width: int,
    words: tuple[str, str, str],
    custom: dict[str, Any] | None = None,
    language: str = DEFAULT,
) -> dict[str, Any]:
    """The Vega-Lite spec of a slide chart: *words* are its title, subtitle and source line."""
    from altair import TopLevelSpec

    title, subtitle, source = words
    font = css_family(brand.typography.headings.family)
    body = vega_lite(spec, rows, brand, width, custom=custom, language=language)
    for key in ("$schema", "config", "autosize"):
        body.pop(key, None)
    source_view = {
        "data": {"values": [{"text": source}]},
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "top",
            "font": font,
            "fontSize": 9,
            "color": quiet_text(brand),
            "x": 0,
            "y": 0,
        },
        "encoding": {"text": {"field": "text", "type": "nominal"}},
        "width": width,
        "height": 14,
    }
    slide = {
        "$schema": SCHEMA,
        "vconcat": [body, source_view],
        "spacing": 10,
        # The title goes on the whole figure, so it sits above any legend.
        "title": {
            "text": title,
            "subtitle": [subtitle],
            "anchor": "start",
            "font": font,
            "fontSize": 15,
            "subtitleFont": font,
            "subtitleFontSize": 11,
            "subtitleColor": quiet_text(brand),
            "color": brand.hex("foreground"),
            "offset": 10,
        },
        "background": "white",
        "padding": 14,
        "config": {**theme(brand, language), "background": "white"},
    }
    TopLevelSpec.validate(slide)
    return slide
