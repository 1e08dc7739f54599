"""One way to prepare a document: check → resolve → templates and brand → charts → render.

``brief build``, the preview, ``brief check`` (its render stage) and ``brief charts`` all
start here, so what each of them reads, in which order, and with which options, is written
once. What comes after differs (typeset and publish, rasterise, report, export a chart), but
the typesetter's job is made in one place too: :func:`typeset_job`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from brief.errors import BriefError, TemplateError
from brief.model.request import BuildRequest, output_name
from brief.pipeline import typeset as typeset_stage
from brief.pipeline.charts import ChartPlan, draw_charts, plan_charts, with_drawings
from brief.pipeline.draw import DrawJob, check_engine_can_start
from brief.pipeline.engines import IN_PROCESS, Engines
from brief.pipeline.render import Rendered, render
from brief.pipeline.resolve import Job, resolve
from brief.pipeline.typeset import Attached, TypesetJob
from brief.workspace.brand import Brand, load_brand
from brief.workspace.load import Workspace
from brief.workspace.templates import TemplateSet

Draw = Callable[[DrawJob], list[str]]


@dataclass(frozen=True)
class Resolved:
    """What a document is made from, once the checks pass: the workspace, the resolved job,
    its template folders and brand, and the check's warnings."""

    request: BuildRequest
    workspace: Workspace
    job: Job
    templates: TemplateSet
    brand: Brand
    warnings: tuple[BriefError, ...] = ()

    @property
    def output_name(self) -> str:
        """The file this document is written to in out/: its edition's name, with the
        request's PDF standard or format."""
        job, request = self.job, self.request
        variant = job.variant.get("id", "")
        return output_name(
            job.brief.id, job.audience_name, request.standard, request.format, variant, job.named_language
        )


@dataclass(frozen=True, kw_only=True)
class Prepared(Resolved):
    """The rendered document: everything in :class:`Resolved`, with its charts and HTML."""

    rendered: Rendered


def resolved(request: BuildRequest, engines: Engines = IN_PROCESS, *, checked: Workspace | None = None) -> Resolved:
    """Check what *request* builds (unless *checked*, a workspace the caller has checked
    already), tell *engines* the checks passed, then resolve the job, its templates and brand.
    Raises :class:`~brief.errors.CheckFailed` with every problem when the checks fail."""
    from brief.pipeline.check import checked_for

    warnings: tuple[BriefError, ...] = ()
    if checked is None:
        report = checked_for(request)
        checked, warnings = report.workspace, tuple(report.warnings)
    engines.checked()
    job = resolve(checked, request)
    templates = templates_for(checked, job, request.overlay)
    return Resolved(request, checked, job, templates, load_brand(templates), warnings)


def prepare(
    request: BuildRequest, engines: Engines = IN_PROCESS, *, checked: Workspace | None = None, draw: bool = True
) -> Prepared:
    """The rendered document *request* asks for (see :func:`resolved`). Charts are drawn by
    *engines* (through the chart cache), or with *draw* False only planned: the check renders
    without drawing, since only a chart's size matters to the HTML. The HTML edition has its
    charts inline; a PDF's HTML names them by URL and the typesetter is handed the SVGs."""
    ready = resolved(request, engines, checked=checked)
    return prepare_job(ready, engines.draw if draw else None)


def prepare_job(ready: Resolved, draw: Draw | None) -> Prepared:
    """Charts and HTML for a resolved job: drawn with *draw*, or only planned when None."""
    cache = chart_cache(ready.request)
    plan = plan_charts(ready.job, ready.brand, cache if draw else None)
    inline = ready.request.format == "html"
    if draw is None or not plan.to_draw:
        rendered = render(ready.job, plan.charts, ready.brand, ready.templates, inline=inline)
    elif inline or any(d.spec.facet is not None for d in plan.to_draw.values()):
        # The HTML holds the drawings, or the size of small multiples, known once drawn.
        rendered = render(ready.job, draw_charts(plan, draw, cache), ready.brand, ready.templates, inline=inline)
    else:
        rendered = _render_while_drawn(ready, plan, draw, cache)
    return Prepared(**{**vars(ready), "rendered": rendered})


def _render_while_drawn(ready: Resolved, plan: ChartPlan, draw: Draw, cache: Path | None) -> Rendered:
    """The PDF's HTML, rendered while its charts are drawn (in a chart worker, or by vl-convert
    on a thread here): it names each chart by URL and needs only its size, which is known
    before it is drawn. The specs are built first, so the drawing starts before the render."""
    check_engine_can_start()
    job = plan.draw_job()
    pool = ThreadPoolExecutor(1, thread_name_prefix="draw")
    try:
        drawing = pool.submit(draw, job)
        try:
            rendered = render(ready.job, plan.charts, ready.brand, ready.templates, inline=False)
        except BriefError:
            # As if drawn first: a chart that fails is the error, and charts drawn are kept
            # for the next build (the preview's, once the template is mended).
            with_drawings(plan, drawing.result(), cache)
            raise
        return replace(rendered, charts=with_drawings(plan, drawing.result(), cache))
    finally:
        # Interrupted, the command does not wait for the drawing: it stops the workers.
        pool.shutdown(wait=False, cancel_futures=True)


def typeset_job(prepared: Prepared, attachments: Sequence[Attached] = ()) -> TypesetJob:
    """What the typesetter is handed for a prepared document: its HTML and template folders,
    the charts' SVGs by URL, the request's PDF standard, *attachments* (an archival edition's
    files), the date the PDF records and the bounds of its audience's page budget."""
    rendered = prepared.rendered
    return TypesetJob(
        rendered.html,
        tuple(prepared.templates.roots),
        {c.url: c.svg or "" for c in rendered.charts.values()},
        typeset_stage.VARIANTS[prepared.request.standard],
        tuple(attachments),
        prepared.job.created,
        max_pages=typeset_stage.page_limit(prepared.job.audience.page_budget),
    )


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


def chart_cache(request: BuildRequest) -> Path | None:
    """Where drawn charts are kept between builds, or None."""
    return request.cache_dir / "charts" if request.cache_dir else None
