"""Stage 3, chart: build each Altair chart from figures and render it to SVG.

Charts are registered by kind (``bar``, ``dumbbell``, ``slope``); each builder gets rows
whose numbers come only from resolved figures. The brand supplies colours and fonts, and
the same font files are registered with vl-convert so labels are measured as printed.
Altair and vl-convert are imported here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.brand import Brand
from brief.citations import source_line
from brief.errors import ChartError
from brief.models import ChartSpec
from brief.resolve import Job, ResolvedFigure
from brief.units import UNITS

# Chart widths in CSS pixels (1/96 in). FULL matches the text width set by @page in
# templates/style.css (8.5in − 2 × 0.915in = 6.67in = 640px); HALF is one of two columns.
FULL_WIDTH_PX = 640
HALF_WIDTH_PX = 306


@dataclass(frozen=True)
class RenderedChart:
    """A chart ready to place: SVG, the words around it, and the figures behind it."""

    id: str
    title: str
    subtitle: str
    source_line: str
    alt: str
    svg: str
    width: str
    figures: tuple[ResolvedFigure, ...]


Row = dict[str, Any]
Builder = Callable[[list[Row], ChartSpec, Brand, int], Any]
_BUILDERS: dict[str, Builder] = {}
_KIND_NAMES = {"bar": "Bar chart", "dumbbell": "Dot plot comparing two dates",
               "slope": "Slope chart"}


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register a chart builder for *kind* (charts by name, not an if-chain)."""
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
    return (bars + labels).properties(width=width, height=spec.height)


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
    return (line + points + labels).properties(width=width, height=spec.height)


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
    return layered.properties(width=width, height=spec.height)


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


_fonts_registered: set[Path] = set()


def _font_dirs(brand: Brand) -> list[Path]:
    return sorted({f.parent for f in brand.font_files()})


def _register_fonts(vlc: Any, font_dirs: list[Path]) -> None:
    # vl-convert measures label text with its own font lookup; give it the brand's font
    # folders, once per process.
    for folder in font_dirs:
        if folder not in _fonts_registered:
            vlc.register_font_directory(str(folder))
            _fonts_registered.add(folder)


def draw_specs(specs: list[tuple[str, dict[str, Any]]], font_dirs: list[Path], brief_path: Path) -> list[str]:
    """The SVG of each ``(chart id, Vega-Lite spec)``, in order, drawn by vl-convert with
    the fonts in *font_dirs* (the chart worker's job; also run in-process)."""
    import vl_convert as vlc

    _register_fonts(vlc, font_dirs)
    svgs = []
    for chart_id, spec in specs:
        try:
            svgs.append(str(vlc.vegalite_to_svg(spec, vl_version="v6_4", allowed_base_urls=[])))
        except Exception as exc:  # vl-convert raises plain ValueErrors with JS messages
            raise ChartError(f"chart {chart_id!r} failed to render: {exc}", brief_path) from None
    return svgs


def warm_up() -> None:
    """Start vl-convert's JavaScript engine, which takes about 0.4 s on its first use."""
    import vl_convert as vlc

    vlc.vegalite_to_svg({"mark": "point"}, vl_version="v6_4", allowed_base_urls=[])


def render_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand) -> RenderedChart:
    """Build one chart with Altair and render it to SVG with vl-convert (or take it from
    the chart cache, without importing either)."""
    return _render([(chart_id, spec)], job, brand)[chart_id]


def _key(spec: ChartSpec, rows: list[Row], brand: Brand) -> str:
    from brief import cache

    return cache.chart_key({"spec": spec.model_dump(), "rows": rows, "theme": _theme(brand),
                            "width": _width(spec)}, brand.font_files())


def _width(spec: ChartSpec) -> int:
    return FULL_WIDTH_PX if spec.width == "full" else HALF_WIDTH_PX


def _draw_batch(batch: dict[str, tuple[str, ChartSpec, list[Row], Brand]], fonts: list[Path], brief_path: Path,
                engine: Any) -> dict[str, str]:
    from brief import cache

    # Altair runs here; vl-convert in the chart worker when the build started one (its
    # engine warmed up meanwhile), else here too.
    todo = [(chart_id, _vega_lite(spec, rows, brand, _width(spec))) for chart_id, spec, rows, brand in batch.values()]
    from brief.workers import run

    svgs = run(engine, draw_specs, todo, fonts, brief_path)
    for key, svg in zip(batch, svgs, strict=True):
        cache.put("charts", key, svg)
    return dict(zip(batch, svgs, strict=True))


def _render(charts: list[tuple[str, ChartSpec]], job: Job, brand: Brand,
            engine: Any = None) -> dict[str, RenderedChart]:
    from brief import cache

    rows_of = {chart_id: chart_rows(spec, job.figures, brand) for chart_id, spec in charts}
    keys = {chart_id: _key(spec, rows_of[chart_id], brand) for chart_id, spec in charts}
    svgs = {key: svg for key in keys.values() if (svg := cache.get("charts", key)) is not None}
    missing = {keys[c]: (c, spec, rows_of[c], brand) for c, spec in charts if keys[c] not in svgs}
    if missing:
        svgs.update(_draw_batch(missing, _font_dirs(brand), job.brief_path, engine))
    out = {}
    for chart_id, spec in charts:
        figures = tuple(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
        out[chart_id] = RenderedChart(id=chart_id, title=spec.title, subtitle=spec.subtitle,
                                      source_line=source_line(list(figures), job.sources),
                                      alt=alt_text(spec, rows_of[chart_id]), svg=svgs[keys[chart_id]],
                                      width=spec.width, figures=figures)
    return out


def _vega_lite(spec: ChartSpec, rows: list[Row], brand: Brand, width: int, validate: bool = False) -> dict[str, Any]:
    # "fit" makes the whole SVG, labels included, exactly the width of its column, so
    # it is placed at 100% and text keeps the size the theme gives it.
    chart = _BUILDERS[spec.kind](rows, spec, brand, width).properties(
        autosize={"type": "fit", "contains": "padding"}).configure(**_theme(brand))
    # Not validated against the Vega-Lite schema here (0.1 s a build): the builders are
    # fixed code, and the test suite validates every chart they make.
    return chart.to_dict(validate=validate)  # type: ignore[no-any-return]


def export_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand, fmt: str = "svg",
                 scale: float = 1.0) -> bytes:
    """A chart on its own, for slides: its takeaway title, subtitle and source line drawn in.

    *fmt* is ``svg`` or ``png`` (at *scale* times its size in CSS pixels).
    """
    import altair as alt
    import vl_convert as vlc

    _register_fonts(vlc, _font_dirs(brand))
    rows = chart_rows(spec, job.figures, brand)
    figures = list(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
    font = _css_family(brand.typography.headings.family)
    body = _BUILDERS[spec.kind](rows, spec, brand, FULL_WIDTH_PX)
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
            return bytes(vlc.vegalite_to_png(spec_dict, vl_version="v6_4", scale=scale, allowed_base_urls=[]))
        return str(vlc.vegalite_to_svg(spec_dict, vl_version="v6_4", allowed_base_urls=[])).encode("utf-8")
    except Exception as exc:  # vl-convert raises plain ValueErrors with JS messages
        raise ChartError(f"chart {chart_id!r} failed to export: {exc}", job.brief_path) from exc


def render_charts(job: Job, brand: Brand, engine: Any = None) -> dict[str, RenderedChart]:
    """Render every chart the job's audience places; charts not in the cache are drawn by
    *engine* (a chart worker) if given, else in this process."""
    charts = job.brief.charts
    for chart_id in job.audience.charts:
        if chart_id not in charts:
            raise ChartError(f"audience {job.audience_name!r} lists unknown chart {chart_id!r}",
                             job.brief_path, hint=f"charts in this brief: {', '.join(charts) or 'none'}")
    return _render([(c, charts[c]) for c in job.audience.charts], job, brand, engine)
