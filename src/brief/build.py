"""The pipeline, top to bottom: load → resolve → chart → render → typeset → publish.

Everything is read and checked before anything is written, and the PDF is written
last, atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brief import workers
from brief.brand import load_brand
from brief.chart import render_charts
from brief.check import check
from brief.errors import BriefError, BudgetError, CheckFailed, TemplateError, WorkspaceError
from brief.load import Workspace
from brief.provenance import (
    Record,
    created_marker,
    figures_csv,
    file_digests,
    inputs_digest,
    tool_versions,
    update_manifest,
)
from brief.publish import write_atomic
from brief.render import Rendered, render
from brief.resolve import Job, resolve
from brief.templates import TemplateSet
from brief.typeset import STANDARDS, Attached, Typeset, typeset


@dataclass(frozen=True)
class BuildResult:
    """What one build wrote."""

    path: Path
    pages: int
    seconds: float
    brief: str
    audience: str
    page_budget: int
    warnings: list[BriefError] = field(default_factory=list)


def templates_for(ws: Workspace, job: Job, overlay: Path | None = None) -> TemplateSet:
    """The template folders of the job's audience, with the user's overlay on top."""
    return TemplateSet(ws.templates_dir, job.template_folder, overlay.resolve() if overlay else None)


def render_job(ws: Workspace, job: Job, overlay: Path | None = None, engine: Any = None) -> Rendered:
    """Charts and HTML for one job (everything before typesetting); *engine* is a chart
    worker to draw charts the cache does not have."""
    templates = templates_for(ws, job, overlay)
    if not templates.has_audience_folder():
        raise TemplateError(f"no template folder for audience {job.audience_name!r}",
                            ws.templates_dir / job.template_folder,
                            hint=f"create templates/{job.template_folder}/ with the audience's sections")
    brand = load_brand(templates)
    charts = render_charts(job, brand, engine)
    return render(job, charts, brand, templates)


@dataclass
class Prepared:
    """A build up to typesetting: checked, rendered, with its provenance record."""

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

    def typeset_args(self) -> tuple[Any, ...]:
        """The arguments of :func:`brief.typeset.typeset` (here or in a typesetter worker)."""
        return (self.html, self.ws.templates_dir, STANDARDS[self.standard],
                [self.overlay] if self.overlay else None, self.attachments, self.job.created)


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
    early (see :mod:`brief.workers`); without them the build starts its own.
    """
    if running is None:
        with workers.started(workers.stage_roles(fmt)) as mine:
            return build(root, brief_id, audience, overlay, strict, standard, fmt, mine)
    prepared = prepare(root, brief_id, audience, overlay, strict, standard, fmt, running.get("chart"),
                       running.get("typeset"))
    if "chart" in running:
        running["chart"].close()  # its engine's memory is free before layout needs the most
    if isinstance(prepared, BuildResult):
        return prepared
    typesetter = running.get("typeset")
    result = workers.run(typesetter, typeset, *prepared.typeset_args())
    return finish(prepared, result)


def prepare(root: Path, brief_id: str | None, audience: str, overlay: Path | None = None, strict: bool = False,
            standard: str = "ua-1", fmt: str = "pdf", engine: workers.Worker | None = None,
            typesetter: workers.Worker | None = None) -> Prepared | BuildResult:
    """Check, resolve and render one build (charts drawn by *engine* when given; a
    *typesetter* is told to warm up once the checks pass). The HTML edition is written here
    and its result returned; a PDF build returns what :func:`finish` needs once the PDF is
    typeset."""
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
    rendered = render_job(ws, job, overlay, engine)
    if fmt == "html":
        from brief.html_edition import html_edition

        roots = [ws.templates_dir, *([overlay] if overlay else [])]
        page = html_edition(rendered.html, roots).encode("utf-8")
        path = write_atomic(ws.out_dir / job.output_name.replace(".pdf", ".html"), page)
        return BuildResult(path=path, pages=0, seconds=time.perf_counter() - started, brief=job.brief.id,
                           audience=audience, page_budget=job.audience.page_budget, warnings=report.warnings)
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
                    standard, overlay)


def finish(prepared: Prepared, result: Typeset) -> BuildResult:
    """Write a typeset PDF and its manifest entry (nothing is written if it is over budget
    under ``--strict``)."""
    ws, job, audience = prepared.ws, prepared.job, prepared.audience
    if prepared.strict and result.pages > job.audience.page_budget:
        origin = ws.origin("audience", f"{job.brief.id}:{audience}")
        raise BudgetError(f"audience {audience!r} is {result.pages} pages, over its budget of "
                          f"{job.audience.page_budget}", origin.path, origin.line,
                          hint="shorten the text or raise page_budget; nothing was written")
    path = write_atomic(ws.out_dir / job.output_name, result.pdf)
    update_manifest(ws.out_dir, path, result.pages, prepared.record)
    return BuildResult(path=path, pages=result.pages, seconds=time.perf_counter() - prepared.started,
                       brief=job.brief.id, audience=audience, page_budget=job.audience.page_budget,
                       warnings=prepared.warnings)
