"""Bars: horizontal bars, columns, stacked bars and grouped bars.

Values are printed beside (or inside) their bars, so no value axis is drawn; bar lengths
start at zero. Nothing is summed for display: a stack's total is not a figure.
"""

from __future__ import annotations

from typing import Any

from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds import builder
from brief.pipeline.chartkinds.theme import on_fill
from brief.workspace.brand import Brand

# Room past the longest bar for its value label, as a share of the longest value.
HEADROOM = 1.2
# Roughly how wide a character of a 10 px label is, and how much of the width the category
# labels of a horizontal bar chart take: enough to tell whether a value fits in its segment.
CHAR_PX = 6.2
LABEL_SHARE = 0.3


def _top(rows: list[Row]) -> float:
    return max([r["value"] for r in rows] + [0.0]) or 1.0


def _category_axis(alt: Any, order: list[str], **options: Any) -> Any:
    return alt.Axis(ticks=False, domain=False, **options)


@builder("bar")
def bar(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One horizontal bar per label, its value at the bar's end."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=_category_axis(alt, order)),
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domain=[0, _top(rows) * HEADROOM], nice=False)),
    )
    bars = base.mark_bar(height={"band": 0.68}).encode(color=alt.Color("colour:N", scale=None))
    labels = base.mark_text(align="left", dx=4, baseline="middle").encode(text="text:N")
    return bars + labels


@builder("column")
def column(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One vertical bar per label, its value above the bar."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X(
            "label:N",
            sort=order,
            title=None,
            # A long name wraps at its spaces rather than being cut short.
            axis=_category_axis(alt, order, labelAngle=0, labelExpr="split(datum.label, ' ')", labelLimit=width),
        ),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(domain=[0, _top(rows) * 1.15], nice=False)),
    )
    bars = base.mark_bar(width={"band": 0.7}).encode(color=alt.Color("colour:N", scale=None))
    labels = base.mark_text(baseline="bottom", dy=-3).encode(text="text:N")
    return bars + labels


def series_colours(rows: list[Row]) -> dict[str, str]:
    """Each series' colour, as the brief's colour key gave it to its rows."""
    return {r["series"]: r["colour"] for r in rows}


def _legend(alt: Any, width: int) -> Any:
    return alt.Legend(orient="top", direction="horizontal", labelLimit=width, symbolType="square")


@builder("stacked")
def stacked(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One horizontal bar per label, split into its series; each value inside its segment
    where it fits (in ink or white, whichever reads better on the segment's colour)."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = series_colours(rows)
    ends: dict[tuple[str, str | None], float] = {}  # by label and small multiple
    for r in sorted(rows, key=lambda r: series.index(r["series"])):
        bar = (r["label"], r["panel"])
        r["start"] = ends.get(bar, 0.0)
        r["end"] = ends[bar] = r["start"] + r["value"]
        r["mid"] = (r["start"] + r["end"]) / 2
        r["fill"] = colours[r["series"]]
        r["ink"] = on_fill(r["fill"], brand)
    top = max(ends.values()) or 1.0
    px_per_unit = width * (1 - LABEL_SHARE) / top
    for r in rows:
        # A value that does not fit its segment is left to the alt text and the table of figures.
        r["fits"] = r["value"] * px_per_unit >= len(r["short"]) * CHAR_PX + 6
    y = alt.Y("label:N", sort=order, title=None, axis=_category_axis(alt, order))
    scale = alt.Scale(domain=[0, top], nice=False)
    base = alt.Chart(alt.Data(values=rows)).encode(y=y)
    bars = base.mark_bar(height={"band": 0.68}, stroke=brand.hex("background"), strokeWidth=1).encode(
        x=alt.X("start:Q", axis=None, scale=scale),
        x2="end:Q",
        color=alt.Color(
            "series:N",
            sort=series,
            scale=alt.Scale(domain=series, range=[colours[s] for s in series]),
            legend=_legend(alt, width),
        ),
    )
    labels = (
        base.transform_filter(alt.datum.fits)
        .mark_text(baseline="middle")
        .encode(x=alt.X("mid:Q", scale=scale), text="short:N", color=alt.Color("ink:N", scale=None))
    )
    return bars + labels


@builder("grouped")
def grouped(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One group of horizontal bars per label, a bar per series, each value at its bar's end."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = series_colours(rows)
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=_category_axis(alt, order), scale=alt.Scale(paddingInner=0.25)),
        yOffset=alt.YOffset("series:N", sort=series, scale=alt.Scale(paddingInner=0.08)),
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domain=[0, _top(rows) * HEADROOM], nice=False)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "series:N",
            sort=series,
            scale=alt.Scale(domain=series, range=[colours[s] for s in series]),
            legend=_legend(alt, width),
        )
    )
    labels = base.mark_text(align="left", dx=4, baseline="middle", fontSize=9.5).encode(text="short:N")
    return bars + labels
