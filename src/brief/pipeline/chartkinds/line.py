"""Line charts: one or more series over time, each named by a label at its end (no legend).

With ``axis: dual`` the rows fall into two units, each with its own value axis (left and
right); with ``axis: normalised`` each line is an index, 100 at its first point.
"""

from __future__ import annotations

import re
from typing import Any

from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds import builder
from brief.pipeline.chartkinds.bars import CHAR_PX
from brief.pipeline.chartkinds.theme import text_colour
from brief.workspace.brand import Brand

_YEAR = re.compile(r"^\d{4}$")
# Space kept between two end labels, and the plot height lost to the date axis (pixels).
LABEL_GAP_PX = 12
AXIS_PX = 24


def _domain(values: list[float]) -> tuple[float, float]:
    low, high = min([*values, 0.0]), max([*values, 0.0])
    return low, (high + (high - low) * 0.08) or 1.0


def _place_end_labels(ends: list[Row], domains: dict[str, tuple[float, float]], plot_px: float) -> None:
    """Give each line's end label a height (``label_y``, in its axis's units) so that no two
    labels overlap: positions are spread in pixels, bottom up, then moved down as one block
    if the top one would leave the plot."""

    def px(r: Row) -> float:
        low, high = domains[r["scale"]]
        return (float(r["value"]) - low) / (high - low) * plot_px

    placed = sorted(ends, key=px)
    heights: list[float] = []
    for r in placed:
        heights.append(max(px(r), heights[-1] + LABEL_GAP_PX) if heights else px(r))
    overflow = max(heights[-1] - plot_px, 0) if heights else 0
    for r, h in zip(placed, heights, strict=True):
        low, high = domains[r["scale"]]
        r["label_y"] = low + (h - overflow) / plot_px * (high - low)


def _prepare(rows: list[Row], spec: ChartSpec, brand: Brand) -> tuple[Any, list[str]]:
    """The x field and its order; each row gets its axis, its end flag and its label text."""
    dates = list(dict.fromkeys(r["series"] for r in rows))
    years = all(_YEAR.match(d) for d in dates)
    units = list(dict.fromkeys(r["unit"] for r in rows))
    for r in rows:
        r["x"] = int(r["series"]) if years else r["series"]
        r["scale"] = r["unit"] if spec.axis == "dual" else "shared"
        r["end"] = False
        r["ink"] = text_colour(r["colour"], brand)
    groups: dict[tuple[str, str | None], list[Row]] = {}
    for r in rows:
        groups.setdefault((r["label"], r["panel"]), []).append(r)
    for points in groups.values():
        last = points[-1]
        last["end"] = True
        last["end_text"] = f"{last['label']} {last['short']}" if spec.axis != "normalised" else last["label"]
    return ("x:Q" if years else "x:O"), (units if spec.axis == "dual" else ["shared"])


@builder("line")
def line(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One line per label over the dates in ``series``, labelled at its end with its name
    and last value, in its colour where that is legible."""
    import altair as alt

    x_field, axes = _prepare(rows, spec, brand)
    labels = list(dict.fromkeys(r["label"] for r in rows))
    domains = {a: _domain([r["value"] for r in rows if r["scale"] == a]) for a in axes}
    for panel in {r["panel"] for r in rows}:
        ends = [r for r in rows if r["end"] and r["panel"] == panel]
        _place_end_labels(ends, domains, spec.height - AXIS_PX)
    dates = list(dict.fromkeys(r["x"] for r in rows))
    x_axis = (
        alt.Axis(format="d", tickCount=min(len(dates), 6), grid=False) if x_field == "x:Q" else alt.Axis(labelAngle=0)
    )
    x_scale = alt.Scale(domain=[min(dates), max(dates)], nice=False) if x_field == "x:Q" else alt.Scale(padding=0.2)
    data = alt.Data(values=rows)  # one object, so that Altair writes it once, for every layer
    colour = alt.Color(
        "label:N", sort=labels, scale=alt.Scale(domain=labels, range=_colours(rows, labels)), legend=None
    )
    layers = []
    for i, axis in enumerate(axes):
        low, high = domains[axis]
        y_scale = alt.Scale(domain=[low, high], nice=False)
        y = alt.Y("value:Q", scale=y_scale, axis=_value_axis(alt, spec, rows, axis, i))
        base = alt.Chart(data).encode(x=alt.X(x_field, title=None, axis=x_axis, scale=x_scale, sort=dates))
        if spec.axis == "dual":
            base = base.transform_filter(alt.datum.scale == axis)
        lines = base.mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(size=18)).encode(
            y=y, color=colour, detail="label:N"
        )
        # With a second value axis on the right, the end labels stand clear of its tick labels.
        dx = 6 + (len(f"{high:,.0f}") * CHAR_PX + 12 if spec.axis == "dual" else 0)
        ends = (
            base.transform_filter(alt.datum.end)
            .mark_text(align="left", dx=dx, baseline="middle", fontWeight=600)
            .encode(y=alt.Y("label_y:Q", scale=y_scale), text="end_text:N", color=alt.Color("ink:N", scale=None))
        )
        layers.append(alt.layer(lines, ends))
    chart = layers[0] if len(layers) == 1 else alt.layer(*layers).resolve_scale(y="independent")
    return chart


def _value_axis(alt: Any, spec: ChartSpec, rows: list[Row], axis: str, i: int) -> Any:
    """The value axis: titled by its unit (or as an index); on a dual chart the second is on
    the right, and each title stands level above its axis, where it cannot be misread as the
    other's."""
    title = "index, first point = 100" if spec.axis == "normalised" else _unit_axis(rows, axis)
    if spec.axis != "dual":
        return alt.Axis(title=title, tickCount=4)
    side = {"orient": "left", "titleAlign": "right"} if i == 0 else {"orient": "right", "titleAlign": "left"}
    return alt.Axis(title=title, tickCount=4, titleAngle=0, titleX=0, titleY=-12, titleBaseline="bottom", **side)


def _unit_axis(rows: list[Row], scale: str) -> str:
    """The unit of the rows on *scale*, as an axis title (in the brief's language)."""
    return str(next(r["axis"] for r in rows if r["scale"] == scale))


def _colours(rows: list[Row], labels: list[str]) -> list[str]:
    first: dict[str, str] = {}
    for r in rows:
        first.setdefault(r["label"], r["colour"])
    return [first[label] for label in labels]
