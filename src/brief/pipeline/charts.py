"""Stage 3, chart: build each chart's Vega-Lite spec from figures and render it to SVG.

Each kind (``bar``, ``column``, ``stacked``, ``grouped``, ``dumbbell``, ``slope``, ``line``, a
``vega_lite`` spec of one's own, small multiples of any) is built in
:mod:`brief.pipeline.chartkinds`, Altair's one home, from rows whose numbers come only from
resolved figures; a ``table`` is not drawn but set as HTML by the render stage. The brand
supplies colours and fonts, and the same font files are registered with vl-convert so labels
are measured as printed. The chart worker needs only :mod:`brief.pipeline.draw`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brief.errors import ChartError
from brief.model.page import chart_widths
from brief.model.page_schema import PageSetup
from brief.model.schema import ChartSpec
from brief.pipeline.chart_data import Row, alt_text, chart_rows
from brief.pipeline.chartkinds.spec import vega_lite
from brief.pipeline.chartkinds.theme import theme
from brief.pipeline.citations import source_line, typographic
from brief.pipeline.colours import colour_key
from brief.pipeline.draw import DrawJob, check_engine_can_start, draw_specs, export_spec
from brief.pipeline.resolve import Job, ResolvedFigure
from brief.workspace.brand import Brand
from brief.workspace.vegalite import load_vega_lite

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
    # both and autosize "fit" makes the drawing exactly that size (a test checks it). Small
    # multiples are fitted to the width once drawn, and their height is known from then on.
    size: tuple[int, int] = (0, 0)
    kind: str = "bar"
    # A table's cells (a header row, then one row per label), set as HTML instead of drawn.
    table: tuple[tuple[str, ...], ...] | None = None

    @property
    def url(self) -> str:
        """The chart's image in the PDF's HTML: the typesetter is handed the SVG by this name."""
        return f"chart:{self.key}"


def _font_dirs(brand: Brand) -> list[Path]:
    return sorted({f.parent for f in brand.font_files()})


@dataclass(frozen=True)
class Drawing:
    """What drawing one chart needs: its spec and rows, the brand, the page set-up (its width),
    the brief's language (axis numbers), and the spec file of a ``vega_lite`` chart."""

    chart_id: str
    spec: ChartSpec
    rows: list[Row]
    brand: Brand
    page: PageSetup
    language: str
    own: dict[str, Any] | None = None
    # Pixels, where the chart is drawn for a screen rather than the page's column.
    screen_width: int = 0

    @property
    def width(self) -> int:
        """The drawing's width in pixels."""
        return self.screen_width or _width(self.spec, self.page)

    def vega_lite(self) -> dict[str, Any]:
        """The chart's whole Vega-Lite spec."""
        return vega_lite(self.spec, self.rows, self.brand, self.width, custom=self.own, language=self.language)

    @property
    def key(self) -> str:
        """The chart cache's key: everything the drawing depends on, and the fonts."""
        from brief.publish import cache

        theme_config = theme(self.brand, self.language)
        parts = {"spec": self.spec.model_dump(), "rows": self.rows, "theme": theme_config, "own": self.own}
        return cache.chart_key({**parts, "width": self.width}, self.brand.font_files())


def _width(spec: ChartSpec, page: PageSetup | None = None) -> int:
    full, half = chart_widths(page or PageSetup())
    return full if spec.width == "full" else half


def _own_spec(spec: ChartSpec, job: Job) -> dict[str, Any] | None:
    """The checked spec file of a ``vega_lite`` chart (a refusal names the file and line)."""
    if spec.kind != "vega_lite" or spec.spec is None:
        return None
    return load_vega_lite(job.root / spec.spec, job.root)


_SVG_SIZE = re.compile(r'(<svg\b[^>]*?\swidth=")([\d.]+)("[^>]*?\sheight=")([\d.]+)(")')


def svg_size(svg: str) -> tuple[int, int]:
    """The width and height an SVG declares, in CSS pixels (rounded)."""
    found = _SVG_SIZE.search(svg)
    return (round(float(found[2])), round(float(found[4]))) if found else (0, 0)


def fit_width(svg: str, width: int) -> str:
    """*svg* declared *width* pixels wide, its height scaled to match (its viewBox keeps the
    drawing's own coordinates): small multiples cannot be drawn to an exact size."""
    found = _SVG_SIZE.search(svg)
    if found is None:
        return svg
    drawn_width, drawn_height = float(found[2]), float(found[4])
    height = round(drawn_height * width / drawn_width) if drawn_width else round(drawn_height)
    return _SVG_SIZE.sub(lambda m: f"{m[1]}{width}{m[3]}{height}{m[5]}", svg, count=1)


@dataclass(frozen=True)
class ChartPlan:
    """Every chart one build places (an SVG where the cache had it), and those still to draw,
    by cache key, with what drawing them needs."""

    charts: dict[str, RenderedChart]
    to_draw: dict[str, Drawing]
    fonts: tuple[Path, ...]
    brief_path: Path

    def draw_job(self, drawn: Mapping[str, str] | None = None) -> DrawJob:
        """The Vega-Lite specs (built with Altair) of the charts still to draw, except those in
        *drawn* (by cache key: drawn for another build of the same run)."""
        specs = tuple(
            (drawing.chart_id, drawing.vega_lite()) for key, drawing in self.to_draw.items() if key not in (drawn or {})
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
    if not plan.to_draw:
        return plan.charts
    check_engine_can_start()
    return with_drawings(plan, draw(plan.draw_job()), cache_folder)


def with_drawings(plan: ChartPlan, drawn: list[str], cache_folder: Path | None) -> dict[str, RenderedChart]:
    """The plan's charts with *drawn*, the SVGs of its charts still to draw (in order), which
    are stored in the chart cache."""
    from brief.publish import cache

    svgs = dict(zip(plan.to_draw, drawn, strict=True))
    for key, svg in svgs.items():
        drawing = plan.to_draw[key]
        # A drawing for screens keeps its size: the page that shows it reads the size off it.
        if drawing.spec.facet is not None and not drawing.screen_width:
            svgs[key] = svg = fit_width(svg, drawing.width)
        cache.put(cache_folder, key, svg)
    return {
        chart_id: chart
        if chart.svg is not None
        else replace(chart, svg=svgs[chart.key], size=svg_size(svgs[chart.key]))
        for chart_id, chart in plan.charts.items()
    }


def render_charts(job: Job, brand: Brand, cache_folder: Path | None = None) -> dict[str, RenderedChart]:
    """Every chart the job's audience places, drawn here (or taken from the cache)."""
    return draw_charts(plan_charts(job, brand, cache_folder), draw_specs, cache_folder)


def render_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand) -> RenderedChart:
    """One chart, drawn here."""
    return draw_charts(_plan([(chart_id, spec)], job, brand, None), draw_specs, None)[chart_id]


def table_cells(rows: list[Row]) -> tuple[tuple[str, ...], ...]:
    """A table's cells: a header row of series, then each label with its figures (short form);
    a pair with no figure is an en dash."""
    columns = list(dict.fromkeys(r["series"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    cells = {(r["label"], r["series"]): r["short"] for r in rows}
    body = [(label, *(cells.get((label, c), "–") for c in columns)) for label in labels]
    return (("", *columns), *body)


def draw_for_screen(
    chart_ids: list[str],
    width: int,
    job: Job,
    brand: Brand,
    draw: Callable[[DrawJob], list[str]],
    cache_folder: Path | None,
    one_column: bool = False,
) -> dict[str, str]:
    """The SVG of each chart of *chart_ids* drawn about *width* pixels wide (the HTML edition's
    drawings for screens; small multiples come out about that wide, not fitted to it, and in
    one column with *one_column*), drawn by *draw* or taken from the chart cache, by chart id."""
    specs = {c: job.brief.charts[c] for c in chart_ids}
    if one_column:
        specs = {
            c: spec.model_copy(update={"facet": spec.facet.model_copy(update={"columns": 1})}) if spec.facet else spec
            for c, spec in specs.items()
        }
    plan = _plan(list(specs.items()), job, brand, cache_folder, width)
    return {c: chart.svg for c, chart in draw_charts(plan, draw, cache_folder).items() if chart.svg}


def _plan(
    charts: list[tuple[str, ChartSpec]], job: Job, brand: Brand, cache_folder: Path | None, screen_width: int = 0
) -> ChartPlan:
    from brief.publish import cache

    key = colour_key(job.brief.charts.values(), brand)  # the whole brief's: a series' colour never changes
    rows_of = {chart_id: chart_rows(spec, job.figures, brand, key) for chart_id, spec in charts}
    drawn = [(c, spec) for c, spec in charts if spec.kind != "table"]
    page, language = job.brief.page, job.brief.language
    drawings = {
        c: Drawing(c, spec, rows_of[c], brand, page, language, _own_spec(spec, job), screen_width) for c, spec in drawn
    }
    keys = {c: d.key for c, d in drawings.items()}
    svgs = {key: svg for key in keys.values() if (svg := cache.get(cache_folder, key)) is not None}
    missing = {keys[c]: d for c, d in drawings.items() if keys[c] not in svgs}
    out = {}
    for chart_id, spec in charts:
        figures = tuple(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
        svg = "" if spec.kind == "table" else svgs.get(keys[chart_id])
        out[chart_id] = RenderedChart(
            id=chart_id,
            title=spec.title,
            subtitle=spec.subtitle,
            source_line=source_line(list(figures), job.sources, job.brief.language),
            alt=alt_text(spec, rows_of[chart_id], job.brief.language),
            svg=svg,
            width=spec.width,
            figures=figures,
            key=keys.get(chart_id, ""),
            size=svg_size(svg) if svg and spec.facet is not None else (_width(spec, page), spec.height),
            kind=spec.kind,
            table=table_cells(rows_of[chart_id]) if spec.kind == "table" else None,
        )
    return ChartPlan(out, missing, tuple(_font_dirs(brand)), job.brief_path)


def _vega_lite(spec: ChartSpec, rows: list[Row], brand: Brand, width: int, validate: bool = False) -> dict[str, Any]:
    """A chart's whole Vega-Lite spec (kept for the tests that validate every built-in kind)."""
    return vega_lite(spec, rows, brand, width, validate=validate)


def export_chart(chart_id: str, spec: ChartSpec, job: Job, brand: Brand, fmt: str = "svg", scale: float = 1.0) -> bytes:
    """A chart on its own, for slides: its takeaway title, subtitle and source line drawn in,
    with the PDF's typography (curly apostrophes). *fmt* is ``svg`` or ``png`` (at *scale*
    times its size in CSS pixels)."""
    from brief.pipeline.chartkinds.export import slide_spec

    if spec.kind == "table":
        raise ChartError(f"chart {chart_id!r} is a table: it is set as text in the PDF, not drawn", job.brief_path)
    rows = chart_rows(spec, job.figures, brand, colour_key(job.brief.charts.values(), brand))
    figures = list(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
    words = (
        typographic(spec.title),
        typographic(spec.subtitle),
        source_line(figures, job.sources, job.brief.language),
    )
    slide = slide_spec(spec, rows, brand, FULL_WIDTH_PX, words, _own_spec(spec, job), job.brief.language)
    check_engine_can_start()
    return export_spec(chart_id, slide, _font_dirs(brand), job.brief_path, fmt, scale)
