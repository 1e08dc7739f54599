"""The pipeline, top to bottom: load → resolve → chart → render → typeset → publish.

Everything is read and checked before anything is written, and the PDF is written
last, atomically.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import BriefError, BudgetError, CheckFailed, TemplateError, WorkspaceError
from brief.model.results import BuildResult
from brief.pipeline.charts import ChartsToDraw, RenderedChart, plan_charts, render_charts, with_svgs
from brief.pipeline.check import check
from brief.pipeline.render import Rendered, render
from brief.pipeline.resolve import Job, resolve
from brief.pipeline.typeset import STANDARDS, Attached, ChartImage, Typeset, typeset
from brief.publish.atomic import write_atomic
from brief.publish.manifest import (
    Record,
    created_marker,
    figures_csv,
    file_digests,
    inputs_digest,
    tool_versions,
)
from brief.publish.outputs import publish
from brief.runtime import workers
from brief.workspace.brand import load_brand
from brief.workspace.load import Workspace
from brief.workspace.templates import TemplateSet


def templates_for(ws: Workspace, job: Job, overlay: Path | None = None) -> TemplateSet:
    """The template folders of the job's audience, with the user's overlay on top."""
    return TemplateSet(ws.templates_dir, job.template_folder, overlay.resolve() if overlay else None)


def _templates(ws: Workspace, job: Job, overlay: Path | None) -> TemplateSet:
    templates = templates_for(ws, job, overlay)
    if not templates.has_audience_folder():
        raise TemplateError(f"no template folder for audience {job.audience_name!r}",
                            ws.templates_dir / job.template_folder,
                            hint=f"create templates/{job.template_folder}/ with the audience's sections")
    return templates


def render_job(ws: Workspace, job: Job, overlay: Path | None = None, engine: Any = None) -> Rendered:
    """Charts and HTML for one job (everything before typesetting), every chart's SVG in the
    HTML; *engine* is a chart worker to draw charts the cache does not have."""
    templates = _templates(ws, job, overlay)
    brand = load_brand(templates)
    return render(job, render_charts(job, brand, engine), brand, templates)


@dataclass
class Prepared:
    """A build up to typesetting: checked, rendered, with its provenance record; its charts
    may still have to be drawn (``todo``)."""

    ws: Workspace
    job: Job
    audience: str
    strict: bool
    started: float
    warnings: list[BriefError]
    html: str
    record: Record
    attachments: list[Attached]
    standard: str
    overlay: Path | None
    charts: dict[str, RenderedChart]
    todo: ChartsToDraw

    def typeset_args(self, svgs: dict[str, str] | None = None, late: Any = None) -> tuple[Any, ...]:
        """The arguments of :func:`brief.pipeline.typeset.typeset` (here or in a typesetter worker),
        with the SVGs drawn so far (*svgs*, by cache key) and how to wait for the rest."""
        charts = with_svgs(self.charts, svgs) if svgs is not None else self.charts
        images = {c.url: ChartImage(*c.size, c.svg) for c in charts.values()}
        return (self.html, self.ws.templates_dir, STANDARDS[self.standard],
                [self.overlay] if self.overlay else None, self.attachments, self.job.created, images, late)

    def late_svgs(self, svgs: dict[str, str]) -> dict[str, str]:
        """The SVGs a typesetter waits for (see :func:`typeset_while_drawing`), by URL."""
        return {c.url: svgs[c.key] for c in self.charts.values() if c.svg is None}


def build(root: Path, brief_id: str | None, audience: str, overlay: Path | None = None,
          strict: bool = False, standard: str = "ua-1", fmt: str = "pdf",
          running: dict[str, workers.Worker] | None = None) -> BuildResult:
    """Build one brief for one audience into the workspace's out/ folder.

    The same checks as ``brief check`` run first; any error stops the build before
    anything is written. *overlay* is a folder of templates that wins over the
    workspace's; with *strict*, warnings and a page count over budget are errors.
    *standard* is ``ua-1`` (tagged, accessible), ``a-3b`` (archival, with the figures
    and the build record attached) or ``none``. *fmt* ``html`` writes the self-contained
    HTML edition instead of the PDF. *running* are stage workers the caller started
    early (see :mod:`brief.runtime.workers`); without them the build starts its own.
    """
    if running is None:
        with workers.started(workers.stage_roles(fmt)) as mine:
            return build(root, brief_id, audience, overlay, strict, standard, fmt, mine)
    prepared = prepare(root, brief_id, audience, overlay, strict, standard, fmt, running.get("chart"),
                       running.get("typeset"))
    if isinstance(prepared, BuildResult):
        return prepared
    typesetter, engine = running.get("typeset"), running.get("chart")
    if typesetter is not None:
        again = typeset_while_drawing(prepared, typesetter, engine)
        if engine is not None:
            engine.close()  # its memory is free for the rest of the layout
        return finish(prepared, collect(typesetter, again))
    svgs = prepared.todo.draw(engine)
    if engine is not None:
        engine.close()
    return finish(prepared, typeset(*prepared.typeset_args(svgs)))


def build_here(root: Path, brief_id: str | None, audience: str, overlay: Path | None, strict: bool, standard: str,
               environ: dict[str, str], cwd: str) -> BuildResult:
    """:func:`build`, everything in this process, run for a ``brief build`` in another
    process (a warm typesetter's second job, see :func:`brief.runtime.workers.build_warm`): in that
    process's environment and working folder, both put back afterwards."""
    saved_environ, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(environ)
    try:
        os.chdir(cwd)
        prepared = prepare(root, brief_id, audience, overlay, strict, standard)
        assert isinstance(prepared, Prepared)  # a PDF build returns what finish() needs
        if not prepared.todo:
            return finish(prepared, typeset(*prepared.typeset_args()))
        # Drawn by a chart worker of their own (fonts registered with vl-convert stay for the
        # life of its process, and this one serves every workspace of the user's), while the
        # brief is laid out here.
        with workers.started(["chart"]) as running:
            drawing = prepared.todo.start(running["chart"])
            result = typeset(*prepared.typeset_args(late=lambda: prepared.late_svgs(drawing())))
        return finish(prepared, result)
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        os.chdir(saved_cwd)


def typeset_while_drawing(prepared: Prepared, typesetter: workers.Worker,
                          engine: workers.Worker | None) -> tuple[Any, ...]:
    """Hand *prepared* to *typesetter*, draw its charts meanwhile (in *engine*, or here) and
    send them after it: layout needs only their sizes. Returns the arguments to typeset it
    again with, should the typesetter die."""
    if not prepared.todo:  # every chart came from the cache
        typesetter.submit(*prepared.typeset_args())
        return prepared.typeset_args()
    later = workers.Later.new()
    typesetter.submit(*prepared.typeset_args(late=later))
    try:
        drawn = prepared.todo.draw(engine)
    except BaseException:
        typesetter.send_later(later, None)  # it gives this brief up and is free for the next
        raise
    typesetter.send_later(later, prepared.late_svgs(drawn))
    return prepared.typeset_args(drawn)


def collect(typesetter: workers.Worker, again: tuple[Any, ...]) -> Typeset:
    """The typesetter's result; typeset here, from the arguments *again*, if it died."""
    try:
        return typesetter.result()  # type: ignore[no-any-return]
    except workers.WorkerCrashed as exc:
        logging.getLogger("brief").warning("warning: %s; continuing in this process", exc.message)
    return typeset(*again)


def prepare(root: Path, brief_id: str | None, audience: str, overlay: Path | None = None, strict: bool = False,
            standard: str = "ua-1", fmt: str = "pdf", engine: workers.Worker | None = None,
            typesetter: workers.Worker | None = None) -> Prepared | BuildResult:
    """Check, resolve and render one build (a *typesetter* is told to warm up once the checks
    pass). The HTML edition is written here, its charts drawn by *engine* when given, and its
    result returned; a PDF build returns what :func:`finish` needs once the PDF is typeset,
    its charts not drawn yet (see :func:`typeset_while_drawing`)."""
    if standard not in STANDARDS:
        raise WorkspaceError(f"unknown PDF standard {standard!r}", hint=f"choose from: {', '.join(STANDARDS)}")
    started = time.perf_counter()
    report = check(root, brief_id, [audience], overlay)
    if report.errors or (strict and report.warnings):
        raise CheckFailed(report.sorted())
    if typesetter is not None:
        typesetter.warm()  # now: WeasyPrint's import no longer competes with loading and checking
    ws = report.workspace
    job = resolve(ws, brief_id, audience)
    if fmt == "html":
        from brief.pipeline.html_edition import html_edition

        rendered = render_job(ws, job, overlay, engine)
        roots = [ws.templates_dir, *([overlay] if overlay else [])]
        page = html_edition(rendered.html, roots).encode("utf-8")
        path = write_atomic(ws.out_dir / job.output_name.replace(".pdf", ".html"), page)
        return BuildResult(path=path, pages=0, seconds=time.perf_counter() - started, brief=job.brief.id,
                           audience=audience, page_budget=job.audience.page_budget, warnings=report.warnings)
    templates = _templates(ws, job, overlay)
    brand = load_brand(templates)
    charts, todo = plan_charts(job, brand)
    rendered = render(job, charts, brand, templates, inline=False)
    digests = file_digests(ws.root, overlay)
    record = Record(job.brief.id, audience, standard, inputs_digest(digests), digests, tool_versions(),
                    created_marker())
    attachments = [
        Attached("figures.csv", figures_csv(job, rendered.figures_used),
                 "Every figure this brief prints: value, unit, date, source and locator"),
        Attached("build-record.json", record.as_json(),
                 "What this PDF was built from: input file hashes and tool versions", "Source"),
    ] if standard == "a-3b" else []
    return Prepared(ws, job, audience, strict, started, report.warnings, rendered.html, record, attachments,
                    standard, overlay, charts, todo)


def finish(prepared: Prepared, result: Typeset) -> BuildResult:
    """Write a typeset PDF and its manifest entry (nothing is written if it is over budget
    under ``--strict``)."""
    ws, job, audience = prepared.ws, prepared.job, prepared.audience
    if prepared.strict and result.pages > job.audience.page_budget:
        origin = ws.origin("audience", f"{job.brief.id}:{audience}")
        raise BudgetError(f"audience {audience!r} is {result.pages} pages, over its budget of "
                          f"{job.audience.page_budget}", origin.path, origin.line,
                          hint="shorten the text or raise page_budget; nothing was written")
    path = publish(ws.out_dir, job.output_name, result.pdf, result.pages, prepared.record, prepared.warnings)
    return BuildResult(path=path, pages=result.pages, seconds=time.perf_counter() - prepared.started,
                       brief=job.brief.id, audience=audience, page_budget=job.audience.page_budget,
                       warnings=prepared.warnings)
