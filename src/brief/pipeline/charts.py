"""Stage 3, chart: build each Altair chart from figures and render it to SVG.

Charts are registered by kind (``bar``, ``dumbbell``, ``slope``); each builder gets rows
whose numbers come only from resolved figures. The brand supplies colours and fonts, and
the same font files are registered with vl-convert so labels are measured as printed.
Altair is imported here and nowhere else; the chart worker needs only :mod:`brief.pipeline.draw`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brief.errors import ChartError
from brief.model.schema import ChartSpec
from brief.model.units import UNITS
from brief.pipeline.citations import source_line
from brief.pipeline.draw import VL_VERSION, draw_specs, register_fonts
from brief.pipeline.resolve import Job, ResolvedFigure
from brief.workspace.brand import Brand

# Chart widths in CSS pixels (1/96 in). FULL matches the text width set by @page in
# templates/style.css (8.5in − 2 × 0.915in = 6.67in = 640px); HALF is one of two columns.
FULL_WIDTH_PX = 640
HALF_WIDTH_PX = 306


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


Row = dict[str, Any]
Builder = Callable[[list[Row], ChartSpec, Brand, int], Any]
_BUILDERS: dict[str, Builder] = {}
_KIND_NAMES = {"bar": "Bar chart", "dumbbell": "Dot plot comparing two dates",
               "slope": "Slope chart"}


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register a chart builder for *kind* (charts by name, not an if-chain). A builder
    returns the Altair chart's marks and encodings for a plot *width* pixels wide; its size,
    autosize and theme are added to the Vega-Lite spec afterwards."""
    def register(fn: Builder) -> Builder:
        _BUILDERS[kind] = fn
        return fn
    return register


def _colour_for(label: str, spec: ChartSpec, brand: Brand) -> str:
    """Countries keep their brand colour; others are highlighted only when asked."""
    rules = brand.chart
    if label in rules.series_colors:
        return brand.hex(rules.series_colors[label])
    if label in spec.highlight:
        return brand.hex(rules.highlight)
    return brand.hex(rules.muted)


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
        "axis": {"labelFont": font, "titleFont": font, "labelColor": ink, "titleColor": grey,
                 "labelFontSize": 10.5, "titleFontSize": 9.5, "titleFontWeight": "normal",
                 "domainColor": brand.color.resolve(brand.color.palette.get("rule", grey)),
                 "gridColor": brand.hex("light"), "tickColor": grey, "labelPadding": 4},
        "legend": {"labelFont": font, "titleFont": font, "labelFontSize": 10, "labelColor": ink,
                   "orient": "top", "title": None, "symbolSize": 70},
        "text": {"font": font, "fontSize": 10, "color": ink},
    }


@builder("bar")
def _bar(rows: list[Row], spec: ChartSpec, brand: Brand, width: int) -> Any:
    import altair as alt

    order = [r["label"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False)),
        # Headroom past the longest bar for its value label.
        x=alt.X("value:Q", axis=None,
                scale=alt.Scale(domain=[0, max(r["value"] for r in rows) * 1.2], nice=False)),
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
    unit_axis = UNITS[rows[0]["unit"]].axis
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False)))
    line = base.mark_rule(color=brand.hex("secondary"), strokeWidth=1.5).encode(
        x=alt.X("min(value):Q", title=unit_axis, scale=alt.Scale(domainMin=0, nice=True),
                axis=alt.Axis(tickCount=8)),
        x2="max(value):Q")
    points = base.mark_circle(size=110, opacity=1).encode(
        x="value:Q",
        color=alt.Color("series:N", sort=series,
                        scale=alt.Scale(domain=series, range=colours[: len(series)])))
    labels = base.mark_text(dy=-11, fontSize=9.5, color=brand.hex("secondary")).encode(
        x="value:Q", text="short:N")
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
    colours = [_colour_for(label, spec, brand) for label in labels]
    x = alt.X("series:N", sort=series, title=None,
              axis=alt.Axis(labelAngle=0, ticks=False, domain=False, labelPadding=6),
              scale=alt.Scale(padding=0.35))
    y = alt.Y("value:Q", axis=None, scale=alt.Scale(domainMin=0, nice=False))
    colour = alt.Color("label:N", sort=labels, scale=alt.Scale(domain=labels, range=colours),
                       legend=alt.Legend(orient="top", direction="vertical", labelLimit=width))
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
                .encode(text="short:N"))
    layered = alt.layer(base.mark_line(strokeWidth=2.2), base.mark_circle(size=55, opacity=1), *ends)
    return layered


def chart_rows(spec: ChartSpec, figures: dict[str, ResolvedFigure], brand: Brand) -> list[Row]:
    """The data a chart plots, one row per mark, every number taken from a figure."""
    rows = []
    for row in spec.rows:
        fig = figures[row.figure]
        rows.append({"label": row.label, "series": row.series, "value": float(fig.value),
                     "text": fig.text("short"), "short": fig.text("short"), "long": fig.text("long"),
                     "unit": fig.unit, "colour": _colour_for(row.label, spec, brand)})
    return rows


def alt_text(spec: ChartSpec, rows: list[Row]) -> str:
    """Alt text from the chart's data: what it shows, every value, and the takeaway."""
    kind = _KIND_NAMES[spec.kind]
    if spec.kind == "bar":
        values = "; ".join(f"{r['label']}: {r['long']}" for r in rows)
    else:
        grouped: dict[str, list[str]] = {}
        for r in rows:
            grouped.setdefault(r["label"], []).append(f"{r['long']} ({r['series']})")
        values = "; ".join(f"{label}: {', '.join(v)}" for label, v in grouped.items())
    return f"{kind} of {spec.subtitle[0].lower()}{spec.subtitle[1:]}. {values}. {spec.title}"


def _font_dirs(brand: Brand) -> list[Path]:
    return sorted({f.parent for f in brand.font_files()})


def render_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand) -> RenderedChart:
    """Build one chart with Altair and render it to SVG with vl-convert (or take it from
    the chart cache, without importing either)."""
    charts, todo = _plan([(chart_id, spec)], job, brand)
    return with_svgs(charts, todo.draw())[chart_id]


def _key(spec: ChartSpec, rows: list[Row], brand: Brand) -> str:
    from brief.publish import cache

    return cache.chart_key({"spec": spec.model_dump(), "rows": rows, "theme": _theme(brand),
                            "width": _width(spec)}, brand.font_files())


def _width(spec: ChartSpec) -> int:
    return FULL_WIDTH_PX if spec.width == "full" else HALF_WIDTH_PX


@dataclass(frozen=True)
class ChartsToDraw:
    """The charts of one build that the chart cache does not have, by cache key."""

    charts: dict[str, tuple[str, ChartSpec, list[Row], Brand]]
    fonts: list[Path]
    brief_path: Path

    def __bool__(self) -> bool:
        return bool(self.charts)

    def draw(self, engine: Any = None, drawn: dict[str, str] | None = None) -> dict[str, str]:
        """Each chart's SVG by cache key, built with Altair here and drawn by vl-convert in
        *engine* (a chart worker) if given, else here too; stored in the chart cache.
        Charts in *drawn* (key to SVG, from another build of the same run) are not drawn again."""
        return self.start(engine, drawn)()

    def start(self, engine: Any = None, drawn: dict[str, str] | None = None) -> Callable[[], dict[str, str]]:
        """:meth:`draw`, handed to *engine* without waiting: the specs are built here now, and
        the function returned waits for the SVGs."""
        from brief.publish import cache
        from brief.runtime.workers import run_later

        drawn = drawn or {}
        todo = {key: chart for key, chart in self.charts.items() if key not in drawn}
        svgs = {key: drawn[key] for key in self.charts if key in drawn}
        if not todo:
            return lambda: svgs
        specs = [(chart_id, _vega_lite(spec, rows, brand, _width(spec)))
                 for chart_id, spec, rows, brand in todo.values()]
        waiting = run_later(engine, draw_specs, specs, self.fonts, self.brief_path)

        def finished() -> dict[str, str]:
            for key, svg in zip(todo, waiting(), strict=True):
                cache.put("charts", key, svg)
                svgs[key] = svg
            return svgs

        return finished


def with_svgs(charts: dict[str, RenderedChart], svgs: dict[str, str]) -> dict[str, RenderedChart]:
    """*charts* with the SVGs (by cache key) of those not drawn before."""
    return {chart_id: chart if chart.svg is not None else replace(chart, svg=svgs[chart.key])
            for chart_id, chart in charts.items()}


def _plan(charts: list[tuple[str, ChartSpec]], job: Job, brand: Brand) -> tuple[dict[str, RenderedChart], ChartsToDraw]:
    from brief.publish import cache

    rows_of = {chart_id: chart_rows(spec, job.figures, brand) for chart_id, spec in charts}
    keys = {chart_id: _key(spec, rows_of[chart_id], brand) for chart_id, spec in charts}
    svgs = {key: svg for key in keys.values() if (svg := cache.get("charts", key)) is not None}
    missing = {keys[c]: (c, spec, rows_of[c], brand) for c, spec in charts if keys[c] not in svgs}
    out = {}
    for chart_id, spec in charts:
        figures = tuple(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
        out[chart_id] = RenderedChart(id=chart_id, title=spec.title, subtitle=spec.subtitle,
                                      source_line=source_line(list(figures), job.sources),
                                      alt=alt_text(spec, rows_of[chart_id]), svg=svgs.get(keys[chart_id]),
                                      width=spec.width, figures=figures, key=keys[chart_id],
                                      size=(_width(spec), spec.height))
    return out, ChartsToDraw(missing, _font_dirs(brand), job.brief_path)


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
    vega_lite.update(width=width, height=spec.height, autosize={"type": "fit", "contains": "padding"},
                     config=_theme(brand))
    if validate:
        TopLevelSpec.validate(vega_lite)
    return vega_lite


def export_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand, fmt: str = "svg",
                 scale: float = 1.0) -> bytes:
    """A chart on its own, for slides: its takeaway title, subtitle and source line drawn in.

    *fmt* is ``svg`` or ``png`` (at *scale* times its size in CSS pixels).
    """
    import altair as alt
    import vl_convert as vlc

    register_fonts(_font_dirs(brand))
    rows = chart_rows(spec, job.figures, brand)
    figures = list(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
    font = _css_family(brand.typography.headings.family)
    body = _BUILDERS[spec.kind](rows, spec, brand, FULL_WIDTH_PX).properties(width=FULL_WIDTH_PX, height=spec.height)
    # The title goes on the whole figure, so it sits above the legend.
    title = alt.TitleParams(spec.title, subtitle=[spec.subtitle], anchor="start", font=font, fontSize=15,
                            subtitleFont=font, subtitleFontSize=11, subtitleColor=brand.hex("secondary"),
                            color=brand.hex("foreground"), offset=10)
    source = alt.Chart(alt.Data(values=[{"text": source_line(figures, job.sources)}])).mark_text(
        align="left", baseline="top", font=font, fontSize=9, color=brand.hex("secondary"), x=0, y=0,
    ).encode(text="text:N").properties(width=FULL_WIDTH_PX, height=14)
    chart = alt.vconcat(body, source, spacing=10).properties(
        title=title, background="white", padding=14).configure(**{**_theme(brand), "background": "white"})
    spec_dict = chart.to_dict(validate=True)
    try:
        if fmt == "png":
            return bytes(vlc.vegalite_to_png(spec_dict, vl_version=VL_VERSION, scale=scale, allowed_base_urls=[]))
        return str(vlc.vegalite_to_svg(spec_dict, vl_version=VL_VERSION, allowed_base_urls=[])).encode("utf-8")
    except Exception as exc:  # vl-convert raises plain ValueErrors with JS messages
        raise ChartError(f"chart {chart_id!r} failed to export: {exc}", job.brief_path) from exc


def plan_charts(job: Job, brand: Brand) -> tuple[dict[str, RenderedChart], ChartsToDraw]:
    """Every chart the job's audience places, with its SVG where the chart cache has it, and
    the charts still to draw (their SVG is None until :func:`with_svgs` adds it)."""
    charts = job.brief.charts
    for chart_id in job.audience.charts:
        if chart_id not in charts:
            raise ChartError(f"audience {job.audience_name!r} lists unknown chart {chart_id!r}",
                             job.brief_path, hint=f"charts in this brief: {', '.join(charts) or 'none'}")
    return _plan([(c, charts[c]) for c in job.audience.charts], job, brand)


def render_charts(job: Job, brand: Brand, engine: Any = None) -> dict[str, RenderedChart]:
    """Every chart the job's audience places, with its SVG; charts not in the cache are
    drawn by *engine* (a chart worker) if given, else in this process."""
    charts, todo = plan_charts(job, brand)
    return with_svgs(charts, todo.draw(engine)) if todo else charts
