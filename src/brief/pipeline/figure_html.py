"""A placed chart as HTML: a numbered, captioned figure around its image, or around a table.

A chart of kind ``table`` is a table whose cells are figures (each its short text). Its
endnote marks go on its source line, as a chart's do, never in a cell: a mark after a number
in a cell would read as an exponent ("40³").
"""

from __future__ import annotations

import base64
from html import escape

from brief.errors import ChartError
from brief.model.language import DEFAULT, caption
from brief.pipeline.charts import RenderedChart
from brief.pipeline.citations import typographic


def figure_html(chart: RenderedChart, number: int, note_mark: str, inline: bool, language: str = DEFAULT) -> str:
    """The chart as a captioned figure: "Figure N." with the takeaway, units, image (inline, or
    named by URL for the typesetter), alt text and source line."""
    if len(chart.alt.strip()) < 20:
        # An accessible PDF needs real alt text on every figure: never ship a chart without it.
        raise ChartError(f"chart {chart.id!r} has no usable alt text", hint="every chart needs rows with figures")
    if inline:
        assert chart.svg is not None, "an inline chart is drawn before it is placed"
        src = "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    else:
        src = chart.url
    label = caption("Figure {number}.", language, number=str(number))
    return (
        f'<figure class="chart chart-{chart.width}" id="figure-{chart.id}">'
        f'<figcaption><span class="chart-title"><span class="chart-number">{escape(label)}</span> '
        f"{escape(typographic(chart.title))}</span>"
        f'<span class="chart-subtitle">{escape(typographic(chart.subtitle))}</span>'
        f"</figcaption>"
        f'<img src="{src}" alt="{escape(chart.alt, quote=True)}">'
        f'<p class="chart-source">{escape(chart.source_line)}{note_mark}</p>'
        f"</figure>"
    )


def table_html(chart: RenderedChart, number: int, note_mark: str, language: str = DEFAULT) -> str:
    """The table as a captioned figure: "Table N." with the takeaway, units, cells, source line."""
    assert chart.table is not None, "only a table chart has cells"
    number_label = caption("Table {number}.", language, number=str(number))
    head, *body = chart.table
    # The corner cell heads nothing: a plain cell, so a screen reader does not announce it.
    header = "<td></td>" + "".join(f'<th scope="col" class="num">{escape(text)}</th>' for text in head[1:])
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>' + "".join(_cell(c) for c in cells) + "</tr>"
        for label, *cells in body
    )
    return (
        f'<figure class="chart chart-table chart-{chart.width}" id="table-{chart.id}">'
        f'<figcaption><span class="chart-title"><span class="chart-number">{escape(number_label)}</span> '
        f"{escape(typographic(chart.title))}</span>"
        f'<span class="chart-subtitle">{escape(typographic(chart.subtitle))}</span>'
        f"</figcaption>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="chart-source">{escape(chart.source_line)}{note_mark}</p>'
        f"</figure>"
    )


def _cell(text: str) -> str:
    return f'<td class="num">{escape(text)}</td>'
