"""The chart theme from the brand: fonts, text colours and axis styling, as Vega-Lite config.

Every colour comes from the brand file; text is only ever drawn in a colour that meets WCAG AA
contrast (4.5:1) against the page, so a muted series colour never becomes a label colour.
"""

from __future__ import annotations

from typing import Any

from brief.model.contrast import TEXT_MIN as MIN_CONTRAST
from brief.model.contrast import contrast
from brief.model.language import DEFAULT, number_separators
from brief.pipeline.colours import series_palette
from brief.workspace.brand import Brand


def css_family(family: str) -> str:
    """The family as a quoted CSS name: vl-convert's renderer reads font names as CSS, where
    an unquoted name containing a number ("Source Sans 3") is invalid and silently falls back."""
    return f"'{family}'"


def page(brand: Brand) -> str:
    """The colour charts are printed on (their own background is transparent)."""
    return brand.hex("background")


def text_colour(colour: str, brand: Brand) -> str:
    """*colour* for text when it is legible on the page, else the brand's ink."""
    return colour if contrast(colour, page(brand)) >= MIN_CONTRAST else brand.hex("foreground")


def quiet_text(brand: Brand) -> str:
    """The colour of secondary chart text (axis titles, annotations): the brand's secondary
    colour where it is legible, else ink."""
    return text_colour(brand.hex("secondary"), brand)


def on_fill(fill: str, brand: Brand) -> str:
    """Text drawn inside a bar of colour *fill*: page colour or ink, whichever reads better."""
    ink, paper = brand.hex("foreground"), page(brand)
    return paper if contrast(paper, fill) >= contrast(ink, fill) else ink


def theme(brand: Brand, language: str = DEFAULT) -> dict[str, Any]:
    """The Vega-Lite ``config`` every chart is drawn with; axis numbers in *language*'s
    separators."""
    font = css_family(brand.typography.headings.family)
    ink = brand.hex("foreground")
    grey = brand.hex("secondary")
    config: dict[str, Any] = {
        "background": "transparent",
        "font": font,
        "padding": {"left": 2, "right": 2, "top": 4, "bottom": 2},
        "view": {"stroke": None},
        "axis": {
            "labelFont": font,
            "titleFont": font,
            "labelColor": ink,
            "titleColor": quiet_text(brand),
            "labelFontSize": 10.5,
            "titleFontSize": 9.5,
            "titleFontWeight": "normal",
            "domainColor": brand.color.resolve(brand.color.palette.get("rule", grey)),
            "gridColor": brand.hex("light"),
            "tickColor": grey,
            "labelPadding": 4,
        },
        "legend": {
            "labelFont": font,
            "titleFont": font,
            "labelFontSize": 10,
            "labelColor": ink,
            "orient": "top",
            "title": None,
            "symbolSize": 70,
        },
        "header": {"labelFont": font, "labelFontSize": 10.5, "labelColor": ink, "title": None},
        "text": {"font": font, "fontSize": 10, "color": ink},
        # For a spec of one's own: marks and series in the brand's colours, not Vega's.
        "mark": {"color": brand.hex(brand.chart.highlight)},
        "range": {"category": series_palette(brand)},
    }
    decimal, thousands = number_separators(language)
    if (decimal, thousands) != (".", ","):  # Vega's own default is English
        config["locale"] = {
            "number": {"decimal": decimal, "thousands": thousands, "grouping": [3], "currency": ["", ""]}
        }
    return config
