"""Two-date charts: the dumbbell (a dot per date on one line per label) and the slope chart."""

from __future__ import annotations

from typing import Any

from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row
from brief.pipeline.chartkinds import builder
from brief.pipeline.chartkinds.bars import series_colours
from brief.pipeline.chartkinds.theme import quiet_text, text_colour
from brief.workspace.brand import Brand


@builder("dumbbell")
def dumbbell(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """A dot per date on one line per label, each date in its colour from the brief's key."""
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = series_colours(rows)
    unit_axis = rows[0]["axis"]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False))
    )
    line = base.mark_rule(color=brand.hex("secondary"), strokeWidth=1.5).encode(
        x=alt.X("min(value):Q", title=unit_axis, scale=alt.Scale(domainMin=0, nice=True), axis=alt.Axis(tickCount=8)),
        x2="max(value):Q",
    )
    points = base.mark_circle(size=110, opacity=1).encode(
        x="value:Q",
        color=alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=[colours[s] for s in series])),
    )
    labels = base.mark_text(dy=-11, fontSize=9.5, color=quiet_text(brand)).encode(x="value:Q", text="short:N")
    return line + points + labels


@builder("slope")
def slope(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    """One line per label between two dates, values at both ends."""
    import altair as alt

    # At each end (of each small multiple), nudge the higher label up and the lower one down so that close
    # (or equal) values stay readable.
    for point in {(r["series"], r["panel"]) for r in rows}:
        at = sorted((r for r in rows if (r["series"], r["panel"]) == point), key=lambda r: -r["value"])
        for rank, r in enumerate(at):
            r["offset"] = (rank - (len(at) - 1) / 2) * 11

    series = list(dict.fromkeys(r["series"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    colours = [next(r["colour"] for r in rows if r["label"] == label) for label in labels]
    x = alt.X(
        "series:N",
        sort=series,
        title=None,
        axis=alt.Axis(labelAngle=0, ticks=False, domain=False, labelPadding=6),
        scale=alt.Scale(padding=0.35),
    )
    y = alt.Y("value:Q", axis=None, scale=alt.Scale(domainMin=0, nice=False))
    colour = alt.Color(
        "label:N",
        sort=labels,
        scale=alt.Scale(domain=labels, range=colours),
        legend=alt.Legend(orient="top", direction="vertical", labelLimit=width),
    )
    data = alt.Data(values=rows)  # one object, so that Altair writes it once, for every layer
    base = alt.Chart(data).encode(x=x, y=y, color=colour)
    first, last = series[0], series[-1]
    # Value labels at both ends; one layer per label and end, because a text mark's
    # pixel offset (dy) cannot be encoded from data on a quantitative axis. The text takes
    # its line's colour only where that colour is legible on the page (a muted grey is not).
    plain = alt.Chart(data).encode(x=x, y=y)
    ends = []
    for r in rows:
        if r["series"] in (first, last):
            right = r["series"] == last
            ends.append(
                plain.transform_filter((alt.datum.series == r["series"]) & (alt.datum.label == r["label"]))
                .mark_text(
                    align="left" if right else "right",
                    dx=8 if right else -8,
                    dy=r["offset"],
                    color=text_colour(r["colour"], brand),
                )
                .encode(text="short:N")
            )
    return alt.layer(base.mark_line(strokeWidth=2.2), base.mark_circle(size=55, opacity=1), *ends)
