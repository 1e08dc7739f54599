"""A chart of kind ``table``: a numbered, captioned HTML table whose cells are figures.

Its endnote marks go on its source line, as a chart's do, never in a cell: a mark after a
number in a cell would read as an exponent ("40³"). Every cell is a figure's short text.
"""

from __future__ import annotations

from html import escape

from brief.pipeline.charts import RenderedChart
from brief.pipeline.citations import typographic


def table_html(chart: RenderedChart, number: int, note_mark: str) -> str:
    """The table as a captioned figure: "Table N." with the takeaway, units, cells, source line."""
    assert chart.table is not None, "only a table chart has cells"
    head, *body = chart.table
    # The corner cell heads nothing: a plain cell, so a screen reader does not announce it.
    header = "<td></td>" + "".join(f'<th scope="col" class="num">{escape(text)}</th>' for text in head[1:])
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>' + "".join(_cell(c) for c in cells) + "</tr>"
        for label, *cells in body
    )
    return (
        f'<figure class="chart chart-table chart-{chart.width}" id="table-{chart.id}">'
        f'<figcaption><span class="chart-title"><span class="chart-number">Table {number}.</span> '
        f"{escape(typographic(chart.title))}</span>"
        f'<span class="chart-subtitle">{escape(typographic(chart.subtitle))}</span>'
        f"</figcaption>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="chart-source">{escape(chart.source_line)}{note_mark}</p>'
        f"</figure>"
    )


def _cell(text: str) -> str:
    return f'<td class="num">{escape(text)}</td>'
