"""The dot plot: a dot per label (and series) on a value axis that need not start at zero.

For a scale with no meaningful zero (an Elo-type score, a rating, an index) a bar from zero
makes 1,405 and 1,400 look the same; dots on an axis padded around the data show the gap.
Every value is printed beside its dot, so the axis only gives the scale.
"""

from __future__ import annotations

from typing import Any, Literal

from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds import builder
from brief.pipeline.chartkinds.bars import CHAR_PX, LABEL_SHARE
from brief.pipeline.chartkinds.theme import text_colour
from brief.workspace.brand import Brand

# Pixels between a dot's centre and its value label, and past the label to the plot's edge.
LABEL_DX = 9
LABEL_ROOM = 6


def domain(rows: list[Row], width: int) -> tuple[float, float]:
    """The value axis: the data's range, padded on each side by enough for a value label
    beside the outermost dots (and never less than a sixth of the range)."""
    values = [float(r["value"]) for r in rows]
    low, high = min(values), max(values)
    span = high - low or max(abs(high) * 0.02, 1.0)
    plot_px = width * (1 - LABEL_SHARE)
    room = max(len(r["short"]) for r in rows) * CHAR_PX + LABEL_DX + LABEL_ROOM
    pad = max(room * span / max(plot_px - 2 * room, plot_px / 4), span / 6)
    return low - pad, high + pad


def _place_labels(rows: list[Row]) -> None:
    """Each dot's label goes outside its row's group: the lowest value's to the left, the
    highest's (or a single dot's) to the right, any between above its dot."""
    groups: dict[tuple[str, str | None], list[Row]] = {}
    for r in rows:
        groups.setdefault((r["label"], r["panel"]), []).append(r)
    for group in groups.values():
        ranked = sorted(group, key=lambda r: r["value"])
        for rank, r in enumerate(ranked):
            side = "right" if rank == len(ranked) - 1 else "left" if rank == 0 else "above"
            r["side"] = side


@builder("dot")
def dot(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """A dot per label (a dot per series on each label's line, when rows have a series), its
    value beside it, on a value axis padded around the data rather than starting at zero."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    _place_labels(rows)
    for r in rows:
        r["ink"] = text_colour(r["colour"], brand)
        r["key"] = r["series"] if r["series"] is not None else r["label"]
    keys = list(dict.fromkeys(r["key"] for r in rows))
    colours = {r["key"]: r["colour"] for r in rows}
    low, high = domain(rows, width)
    scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    data = alt.Data(values=rows)  # one object, so that Altair writes it once, for every layer
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False, grid=True)),
        x=alt.X("value:Q", scale=scale, title=rows[0]["axis"], axis=alt.Axis(tickCount=4, grid=False)),
    )
    with_series = any(r["series"] is not None for r in rows)
    legend = alt.Legend(orient="top", direction="horizontal", labelLimit=width) if with_series else None
    dots = base.mark_circle(size=90, opacity=1).encode(
        color=alt.Color(
            "key:N", sort=keys, scale=alt.Scale(domain=keys, range=[colours[k] for k in keys]), legend=legend
        )
    )
    layers = [dots]
    placements: dict[str, tuple[Literal["left", "center", "right"], int, int]] = {
        "right": ("left", LABEL_DX, 0),
        "left": ("right", -LABEL_DX, 0),
        "above": ("center", 0, -11),
    }
    for side, (align, dx, dy) in placements.items():
        layers.append(
            base.transform_filter(alt.datum.side == side)
            .mark_text(align=align, dx=dx, dy=dy, baseline="middle", fontSize=9.5)
            .encode(text="short:N", color=alt.Color("ink:N", scale=None))
        )
    return alt.layer(*layers)
