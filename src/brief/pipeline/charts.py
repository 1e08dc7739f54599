"""Stage 3, chart: build each Altair chart from figures and render it to SVG.

Charts are registered by kind (``bar``, ``dumbbell``, ``slope``); each builder gets rows
whose numbers come only from resolved figures. The brand supplies colours and fonts, and
the same font files are registered with vl-convert so labels are measured as printed.
Altair is imported here and nowhere else; the chart worker needs only :mod:`brief.pipeline.draw`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brief.errors import ChartError
from brief.model.page import chart_widths
from brief.model.page_schema import PageSetup
from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row, alt_text, chart_rows, colour_for
from brief.pipeline.citations import source_line
from brief.pipeline.draw import DrawJob, draw_specs, export_spec
from brief.pipeline.resolve import Job, ResolvedFigure
from brief.workspace.brand import Brand

# Chart widths in CSS pixels (1/96 in) on brief's default page (letter, portrait): the text
# measure and a half-width column. A brief's own page set-up gives its own (brief.model.page).
FULL_WIDTH_PX, HALF_WIDTH_PX = chart_widths(PageSetup())


@dataclass(frozen=True)
class RenderedChart:
    """A chart ready to place: its SVG (None until drawn), its size, the words around it,
    and the figures behind it."""

    id: str
    title: str
    subtitle: str
    source_line: str
    alt: str
    svg: str | None
    width: str
    figures: tuple[ResolvedFigure, ...]
    key: str = ""
    # The SVG's width and height in CSS pixels, known before it is drawn: the spec sets
    # both and autosize "fit" makes the drawing exactly that size (a test checks it).
    size: tuple[int, int] = (0, 0)

    @property
    def url(self) -> str:
        """The chart's image in the PDF's HTML: the typesetter is handed the SVG by this name."""
        return f"chart:{self.key}"


Builder = Callable[[list[Row], ChartSpec, Brand, int], Any]
_BUILDERS: dict[str, Builder] = {}


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register a chart builder for *kind* (charts by name, not an if-chain). A builder
    returns the Altair chart's marks and encodings for a plot *width* pixels wide; its size,
    autosize and theme are added to the Vega-Lite spec afterwards."""

    def register(fn: Builder) -> Builder:
        _BUILDERS[kind] = fn
        return fn

    return register


def _css_family(family: str) -> str:
    """The family as a quoted CSS name: vl-convert's renderer reads font names as CSS, where
    an unquoted name containing a number ("Source Sans 3") is invalid and silently falls back."""
    return f"'{family}'"


def _theme(brand: Brand) -> dict[str, Any]:
    font = _css_family(brand.typography.headings.family)
    ink = brand.hex("foreground")
    grey = brand.hex("secondary")
    return {
        "background": "transparent",
        "font": font,
        "padding": {"left": 2, "right": 2, "top": 4, "bottom": 2},
        "view": {"stroke": None},
        "axis": {
            "labelFont": font,
            "titleFont": font,
            "labelColor": ink,
            "titleColor": grey,
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
        "text": {"font": font, "fontSize": 10, "color": ink},
    }


@builder("bar")
def _bar(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    import altair as alt

    order = [r["label"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False)),
        # Headroom past the longest bar for its value label.
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domain=[0, max(r["value"] for r in rows) * 1.2], nice=False)),
    )
    bars = base.mark_bar(height={"band": 0.68}).encode(color=alt.Color("colour:N", scale=None))
    labels = base.mark_text(align="left", dx=4, baseline="middle").encode(text="text:N")
    return bars + labels


@builder("dumbbell")
def _dumbbell(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    import altair as alt

    order = list(dict.fromkeys(r["label"] for r in rows))
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = [brand.hex(brand.chart.muted), brand.hex(brand.chart.highlight)]
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
        color=alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=colours[: len(series)])),
    )
    labels = base.mark_text(dy=-11, fontSize=9.5, color=brand.hex("secondary")).encode(x="value:Q", text="short:N")
    return line + points + labels


@builder("slope")
def _slope(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    import altair as alt

    # At each end, nudge the higher label up and the lower one down so that close
    # (or equal) values stay readable.
    for point in {r["series"] for r in rows}:
        at = sorted((r for r in rows if r["series"] == point), key=lambda r: -r["value"])
        for rank, r in enumerate(at):
            r["offset"] = (rank - (len(at) - 1) / 2) * 11

    series = list(dict.fromkeys(r["series"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    colours = [colour_for(label, spec, brand) for label in labels]
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
    base = alt.Chart(alt.Data(values=rows)).encode(x=x, y=y, color=colour)
    first, last = series[0], series[-1]
    # Value labels at both ends; one layer per label and end, because a text mark's
    # pixel offset (dy) cannot be encoded from data on a quantitative axis.
    ends = []
    for r in rows:
        if r["series"] in (first, last):
            right = r["series"] == last
            ends.append(
                base.transform_filter((alt.datum.series == r["series"]) & (alt.datum.label == r["label"]))
                .mark_text(align="left" if right else "right", dx=8 if right else -8, dy=r["offset"])
                .encode(text="short:N")
            )
    layered = alt.layer(base.mark_line(strokeWidth=2.2), base.mark_circle(size=55, opacity=1), *ends)
    return layered


def _font_dirs(brand: Brand) -> list[Path]:
    return sorted({f.parent for f in brand.font_files()})


def _key(spec: ChartSpec, rows: list[Row], brand: Brand, page: PageSetup) -> str:
    from brief.publish import cache

    return cache.chart_key(
        {"spec": spec.model_dump(), "rows": rows, "theme": _theme(brand), "width": _width(spec, page)},
        brand.font_files(),
    )


def _width(spec: ChartSpec, page: PageSetup) -> int:
    full, half = chart_widths(page)
    return full if spec.width == "full" else half


@dataclass(frozen=True)
class ChartPlan:
    """Every chart one build places (an SVG where the cache had it), and those still to draw,
    by cache key, with what drawing them needs."""

    charts: dict[str, RenderedChart]
    to_draw: dict[str, tuple[str, ChartSpec, list[Row], Brand, PageSetup]]
    fonts: tuple[Path, ...]
    brief_path: Path

    def draw_job(self, drawn: Mapping[str, str] | None = None) -> DrawJob:
        """The Vega-Lite specs (built with Altair) of the charts still to draw, except those in
        *drawn* (by cache key: drawn for another build of the same run)."""
        specs = tuple(
            (chart_id, _vega_lite(spec, rows, brand, _width(spec, page)))
            for key, (chart_id, spec, rows, brand, page) in self.to_draw.items()
            if key not in (drawn or {})
        )
        return DrawJob(specs, self.fonts, self.brief_path)


def plan_charts(job: Job, brand: Brand, cache_folder: Path | None) -> ChartPlan:
    """Every chart the job's audience places, with its SVG where the chart cache in
    *cache_folder* has it; :func:`draw_charts` draws the rest."""
    specs = job.brief.charts
    for chart_id in job.audience.charts:
        if chart_id not in specs:
            raise ChartError(
                f"audience {job.audience_name!r} lists unknown chart {chart_id!r}",
                job.brief_path,
                hint=f"charts in this brief: {', '.join(specs) or 'none'}",
            )
    return _plan([(c, specs[c]) for c in job.audience.charts], job, brand, cache_folder)


def draw_charts(
    plan: ChartPlan, draw: Callable[[DrawJob], list[str]], cache_folder: Path | None
) -> dict[str, RenderedChart]:
    """The plan's charts, each with its SVG: those not cached are drawn by *draw* (vl-convert,
    here or in a worker process) and stored in the cache."""
    from brief.publish import cache

    if not plan.to_draw:
        return plan.charts
    job = plan.draw_job()
    svgs = dict(zip(plan.to_draw, draw(job), strict=True))
    for key, svg in svgs.items():
        cache.put(cache_folder, key, svg)
    return {
        chart_id: chart if chart.svg is not None else replace(chart, svg=svgs[chart.key])
        for chart_id, chart in plan.charts.items()
    }


def render_charts(job: Job, brand: Brand, cache_folder: Path | None = None) -> dict[str, RenderedChart]:
    """Every chart the job's audience places, drawn here (or taken from the cache)."""
    return draw_charts(plan_charts(job, brand, cache_folder), draw_specs, cache_folder)


def render_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand) -> RenderedChart:
    """One chart, drawn here."""
    return draw_charts(_plan([(chart_id, spec)], job, brand, None), draw_specs, None)[chart_id]


def _plan(charts: list[tuple[str, ChartSpec]], job: Job, brand: Brand, cache_folder: Path | None) -> ChartPlan:
    from brief.publish import cache

    rows_of = {chart_id: chart_rows(spec, job.figures, brand) for chart_id, spec in charts}
    page = job.brief.page
    keys = {chart_id: _key(spec, rows_of[chart_id], brand, page) for chart_id, spec in charts}
    svgs = {key: svg for key in keys.values() if (svg := cache.get(cache_folder, key)) is not None}
    missing = {keys[c]: (c, spec, rows_of[c], brand, page) for c, spec in charts if keys[c] not in svgs}
    out = {}
    for chart_id, spec in charts:
        figures = tuple(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
        out[chart_id] = RenderedChart(
            id=chart_id,
            title=spec.title,
            subtitle=spec.subtitle,
            source_line=source_line(list(figures), job.sources, job.brief.language),
            alt=alt_text(spec, rows_of[chart_id]),
            svg=svgs.get(keys[chart_id]),
            width=spec.width,
            figures=figures,
            key=keys[chart_id],
            size=(_width(spec, page), spec.height),
        )
    return ChartPlan(out, missing, tuple(_font_dirs(brand)), job.brief_path)


def _vega_lite(spec: ChartSpec, rows: list[Row], brand: Brand, width: int, validate: bool = False) -> dict[str, Any]:
    from altair import TopLevelSpec
    from altair.utils.schemapi import debug_mode

    # Altair checks every object against the schema as it is made, unless told not to (0.05 s
    # a build): the builders are fixed code, and the test suite validates every chart they make.
    with debug_mode(validate):
        vega_lite: dict[str, Any] = _BUILDERS[spec.kind](rows, spec, brand, width).to_dict(validate=False)
    # The size, autosize and theme go straight into the spec: set on the chart with
    # .properties() and .configure(), each would copy the whole layered chart (0.1 s a build).
    # "fit" makes the whole SVG, labels included, exactly the size set here, so it is placed
    # at 100% and text keeps the size the theme gives it.
    vega_lite.update(
        width=width, height=spec.height, autosize={"type": "fit", "contains": "padding"}, config=_theme(brand)
    )
    if validate:
        TopLevelSpec.validate(vega_lite)
    return vega_lite


def export_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand, fmt: str = "svg", scale: float = 1.0) -> bytes:
    """A chart on its own, for slides: its takeaway title, subtitle and source line drawn in.

    *fmt* is ``svg`` or ``png`` (at *scale* times its size in CSS pixels).
    """
    import altair as alt

    rows = chart_rows(spec, job.figures, brand)
    figures = list(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
    font = _css_family(brand.typography.headings.family)
    body = _BUILDERS[spec.kind](rows, spec, brand, FULL_WIDTH_PX).properties(width=FULL_WIDTH_PX, height=spec.height)
    # The title goes on the whole figure, so it sits above the legend.
    title = alt.TitleParams(
        spec.title,
        subtitle=[spec.subtitle],
        anchor="start",
        font=font,
        fontSize=15,
        subtitleFont=font,
        subtitleFontSize=11,
        subtitleColor=brand.hex("secondary"),
        color=brand.hex("foreground"),
        offset=10,
    )
    source = (
        alt.Chart(alt.Data(values=[{"text": source_line(figures, job.sources, job.brief.language)}]))
        .mark_text(
            align="left",
            baseline="top",
            font=font,
            fontSize=9,
            color=brand.hex("secondary"),
            x=0,
            y=0,
        )
        .encode(text="text:N")
        .properties(width=FULL_WIDTH_PX, height=14)
    )
    chart = (
        alt.vconcat(body, source, spacing=10)
        .properties(title=title, background="white", padding=14)
        .configure(**{**_theme(brand), "background": "white"})
    )
    return export_spec(chart_id, chart.to_dict(validate=True), _font_dirs(brand), job.brief_path, fmt, scale)
