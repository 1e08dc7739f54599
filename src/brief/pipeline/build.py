"""The pipeline, top to bottom: check → resolve → charts → render → typeset → publish.

Everything is read and checked before anything is written, and the output is written last,
atomically, with its manifest entry. The two heavy stages (drawing charts with vl-convert and
typesetting with WeasyPrint) are called through :class:`Engines`: in this process by default,
or in worker processes that :mod:`brief.runtime` started early. The pipeline does not know
which.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from brief.errors import BriefError, BudgetError, TemplateError
from brief.model.request import BuildRequest, output_name
from brief.model.results import BuildResult
from brief.pipeline import typeset as typeset_stage
from brief.pipeline.charts import draw_charts, plan_charts
from brief.pipeline.check import checked_for
from brief.pipeline.draw import DrawJob, draw_specs
from brief.pipeline.engines import IN_PROCESS, Engines
from brief.pipeline.html_edition import html_edition, screen_charts
from brief.pipeline.record import attachments_for, record_for
from brief.pipeline.render import Rendered, render
from brief.pipeline.resolve import Job, resolve
from brief.pipeline.typeset import TypesetJob
from brief.publish.manifest import Record
from brief.publish.outputs import publish
from brief.workspace.brand import load_brand
from brief.workspace.load import Workspace
from brief.workspace.templates import TemplateSet


def build(request: BuildRequest, engines: Engines = IN_PROCESS) -> BuildResult:
    """Build one brief for one audience into the workspace's out/ folder.

    The same checks as ``brief check`` run first; any error stops the build before anything
    is written. With ``request.strict`` warnings and a page count over budget are errors too.
    """
    started = time.perf_counter()
    report = checked_for(request)
    engines.checked()
    ws = report.workspace
    job = resolve(ws, request.brief, request.audience, request.source_date, request.variant, request.language)
    templates = templates_for(ws, job, request.overlay)
    brand = load_brand(templates)
    charts = draw_charts(plan_charts(job, brand, _chart_cache(request)), engines.draw, _chart_cache(request))
    rendered = render(job, charts, brand, templates, inline=request.format == "html")
    record = record_for(request, job, rendered, ws)
    name = output_name(
        job.brief.id, job.audience_name, request.standard, request.format, job.variant.get("id", ""), job.named_language
    )
    if request.format == "html":
        drawn = {c.id: c.svg for c in rendered.charts.values() if c.svg}
        screen = screen_charts(job, brand, rendered.charts.values(), engines.draw, _chart_cache(request))
        page = html_edition(rendered.html, list(templates.roots), drawn, screen).encode("utf-8")
        warnings = list(report.warnings)
        return _result(request, job, publish(ws.out_dir, name, page, 0, record, warnings), 0, started, warnings)
    done = engines.typeset(
        TypesetJob(
            rendered.html,
            tuple(templates.roots),
            {c.url: c.svg or "" for c in rendered.charts.values()},
            typeset_stage.VARIANTS[request.standard],
            attachments_for(request, job, rendered, record),
            job.created,
            max_pages=typeset_stage.page_limit(job.audience.page_budget),
        )
    )
    _within_budget(request, ws, job, done.pages)
    warnings = list(report.warnings)
    path = publish(ws.out_dir, name, done.pdf, done.pages, record, warnings)
    return _result(request, job, path, done.pages, started, warnings)


def templates_for(ws: Workspace, job: Job, overlay: Path | None = None) -> TemplateSet:
    """The template folders of the job's audience, with the user's overlay on top."""
    templates = TemplateSet(
        ws.templates_dir, job.template_folder, overlay.resolve() if overlay else None, language=job.brief.language
    )
    if not templates.has_audience_folder():
        raise TemplateError(
            f"no template folder for audience {job.audience_name!r}",
            ws.templates_dir / job.template_folder,
            hint=f"create templates/{job.template_folder}/ with the audience's sections",
        )
    return templates


def render_job(
    ws: Workspace,
    job: Job,
    overlay: Path | None = None,
    *,
    templates: TemplateSet | None = None,
    draw: Callable[[DrawJob], list[str]] = draw_specs,
    cache_folder: Path | None = None,
    inline: bool = True,
) -> Rendered:
    """Charts and HTML for one job (stages 3 and 4), with *overlay* (or the given *templates*).
    With *inline* each chart's SVG is in the HTML; without, the HTML names each chart by URL
    and the typesetter is handed the SVGs."""
    templates = templates or templates_for(ws, job, overlay)
    brand = load_brand(templates)
    charts = draw_charts(plan_charts(job, brand, cache_folder), draw, cache_folder)
    return render(job, charts, brand, templates, inline=inline)


def _chart_cache(request: BuildRequest) -> Path | None:
    return request.cache_dir / "charts" if request.cache_dir else None


def _within_budget(request: BuildRequest, ws: Workspace, job: Job, pages: int) -> None:
    if request.strict and pages > job.audience.page_budget:
        origin = ws.origin("audience", f"{job.brief.id}:{job.audience_name}")
        raise BudgetError(
            f"audience {job.audience_name!r} is {pages} pages, over its budget of {job.audience.page_budget}",
            origin.path,
            origin.line,
            hint="shorten the text or raise page_budget; nothing was written",
        )


def _result(
    request: BuildRequest, job: Job, path: Path, pages: int, started: float, warnings: list[BriefError]
) -> BuildResult:
    return BuildResult(
        path=path,
        pages=pages,
        seconds=time.perf_counter() - started,
        brief=job.brief.id,
        audience=job.audience_name,
        page_budget=job.audience.page_budget,
        warnings=warnings,
    )


__all__ = ["IN_PROCESS", "Engines", "Record", "build", "render_job", "templates_for"]
