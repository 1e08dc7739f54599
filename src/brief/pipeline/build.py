"""The pipeline, top to bottom: prepare (check → resolve → charts → render) → typeset → publish.

Everything is read and checked before anything is written, and the output is written last,
atomically, with its manifest entry. The two heavy stages (drawing charts with vl-convert and
typesetting with WeasyPrint) are called through :class:`Engines`: in this process by default,
or in worker processes that :mod:`brief.runtime` started early. The pipeline does not know
which.
"""

from __future__ import annotations

import time
from pathlib import Path

from brief.errors import BriefError, BudgetError
from brief.model.counting import counted
from brief.model.request import BuildRequest
from brief.model.results import BuildResult
from brief.pipeline.engines import IN_PROCESS, Engines
from brief.pipeline.html_edition import html_edition, screen_charts
from brief.pipeline.prepare import Prepared, prepare, templates_for, typeset_job
from brief.pipeline.record import attachments_for, record_for
from brief.pipeline.resolve import Job
from brief.publish.manifest import Record
from brief.publish.outputs import publish


def build(request: BuildRequest, engines: Engines = IN_PROCESS) -> BuildResult:
    """Build one brief for one audience into the workspace's out/ folder.

    The same checks as ``brief check`` run first; any error stops the build before anything
    is written. With ``request.strict`` warnings and a page count over budget are errors too.
    """
    started = time.perf_counter()
    prepared = prepare(request, engines)
    job, ws, name = prepared.job, prepared.workspace, prepared.output_name
    record = record_for(prepared)
    warnings = list(prepared.warnings)
    if request.format == "html":
        page = _html_edition(prepared, engines)
        return _result(job, publish(ws.out_dir, name, page, 0, record, warnings), 0, started, warnings)
    done = engines.typeset(typeset_job(prepared, attachments_for(prepared, record)))
    _within_budget(prepared, done.pages)
    path = publish(ws.out_dir, name, done.pdf, done.pages, record, warnings)
    return _result(job, path, done.pages, started, warnings)


def _html_edition(prepared: Prepared, engines: Engines) -> bytes:
    """The HTML edition of a prepared document: its charts drawn again for screens."""
    charts = prepared.rendered.charts.values()
    drawn = {c.id: c.svg for c in charts if c.svg}
    screen = screen_charts(prepared, engines.draw)
    return html_edition(prepared.rendered.html, list(prepared.templates.roots), drawn, screen).encode("utf-8")


def _within_budget(prepared: Prepared, pages: int) -> None:
    job = prepared.job
    if prepared.request.strict and pages > job.audience.page_budget:
        origin = prepared.workspace.origin("audience", f"{job.brief.id}:{job.audience_name}")
        raise BudgetError(
            f"audience {job.audience_name!r} is {counted(pages, 'page')}, "
            f"over its budget of {job.audience.page_budget}",
            origin.path,
            origin.line,
            hint="shorten the text or raise page_budget; nothing was written",
        )


def _result(job: Job, path: Path, pages: int, started: float, warnings: list[BriefError]) -> BuildResult:
    return BuildResult(
        path=path,
        pages=pages,
        seconds=time.perf_counter() - started,
        brief=job.brief.id,
        audience=job.audience_name,
        page_budget=job.audience.page_budget,
        warnings=[w.problem(job.root) for w in warnings],
    )


__all__ = ["IN_PROCESS", "Engines", "Prepared", "Record", "build", "prepare", "templates_for"]
