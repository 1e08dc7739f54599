"""Page set-up: the paper, its margins, and the text measure every chart is drawn to.

This is the one place that knows how wide the text is. The print stylesheet's page size,
margins and chart column widths are written from it (:func:`page_css`), and the chart stage
draws each chart at the width of the column it is placed in (:func:`chart_widths`), so a
chart is placed at 100% on A4, letter, legal and landscape pages alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from brief.model.page_schema import PageSetup

CSS_PX_PER_IN = 96
# Paper, portrait, in inches (ISO 216 for A4; US sizes by definition).
PAPER_IN = {"letter": (8.5, 11.0), "a4": (210 / 25.4, 297 / 25.4), "legal": (8.5, 14.0)}
_CSS_SIZE = {"letter": "Letter", "a4": "A4", "legal": "Legal"}
_PER_IN = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72}
# Between two charts side by side, and between a half-width chart and the text beside it.
GUTTER_IN = 0.25
# A half-width chart beside text is this much narrower than a column of a pair, so the
# text beside it keeps a little more room.
HALF_INSET_IN = 0.02


def inches(length: str) -> float:
    """A CSS length in in, mm, cm or pt (as :class:`~brief.model.schema.Margins` allows), in inches."""
    for suffix, factor in _PER_IN.items():
        if length.endswith(suffix):
            return float(length.removesuffix(suffix)) * factor
    raise ValueError(f"{length!r} is not a length in in, mm, cm or pt")


@dataclass(frozen=True)
class Geometry:
    """The page and its text measure, in inches."""

    width: float
    height: float
    measure: float

    @property
    def column(self) -> float:
        """One of two charts side by side."""
        return (self.measure - GUTTER_IN) / 2

    @property
    def half(self) -> float:
        """A half-width chart with text beside it."""
        return self.column - HALF_INSET_IN


def geometry(page: PageSetup) -> Geometry:
    """The paper size after orientation, and the width left for text between the margins."""
    width, height = PAPER_IN[page.size]
    if page.orientation == "landscape":
        width, height = height, width
    measure = width - inches(page.margins.left) - inches(page.margins.right)
    return Geometry(width, height, measure)


def problems(page: PageSetup) -> list[str]:
    """Why *page* cannot hold a brief (margins that leave too little paper), or nothing."""
    g = geometry(page)
    tall = g.height - inches(page.margins.top) - inches(page.margins.bottom)
    found = []
    if g.measure < 4:
        found.append(f"the margins leave {g.measure:.2f}in of text across the page; leave at least 4in")
    if tall < 4:
        found.append(f"the margins leave {tall:.2f}in of text down the page; leave at least 4in")
    return found


def chart_widths(page: PageSetup) -> tuple[int, int]:
    """The width, in CSS pixels, of a full-width chart and of a half-width one."""
    g = geometry(page)
    return round(g.measure * CSS_PX_PER_IN), round(g.half * CSS_PX_PER_IN)


def page_css(page: PageSetup, footer: str = "Page {page} of {pages}") -> str:
    """The stylesheet rules that follow from the page set-up: paper, margins, the page
    number (*footer*, with ``{page}`` and ``{pages}``, e.g. ``Seite {page} von {pages}``)
    and the chart columns."""
    g = geometry(page)
    m = page.margins
    content = " ".join(
        _css_string(piece) if i % 2 == 0 else f"counter({piece})"
        for i, piece in enumerate(re.split(r"\{(pages?)\}", footer))
        if piece or i % 2
    )
    return (
        f"@page {{ size: {_CSS_SIZE[page.size]} {page.orientation}; margin: {m.top} {m.right} {m.bottom} {m.left};\n"
        f"  @bottom-right {{ content: {content}; }} }}\n"
        # Print only: the HTML edition sets its own widths for screens. A half-width chart
        # in a pair takes the pair's column: the later rule wins.
        f"@media print {{\n"
        f"  figure.chart.chart-half {{ width: {g.half:.4g}in; margin-left: {GUTTER_IN}in; }}\n"
        f"  .chart-row figure.chart {{ width: {g.column:.4g}in; }}\n"
        f"}}\n"
    )


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
