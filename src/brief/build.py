"""The pipeline, top to bottom: load → resolve → chart → render → typeset → publish.

Everything is read and checked before anything is written, and the PDF is written
last, atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from brief.brand import load_brand
from brief.chart import render_charts
from brief.check import check
from brief.errors import BriefError, CheckFailed, TemplateError
from brief.load import Workspace
from brief.publish import write_atomic
from brief.render import Rendered, render
from brief.resolve import Job, resolve
from brief.typeset import typeset


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


def template_path(ws: Workspace, audience: str) -> list[Path]:
    """Template folders searched for an audience, first match wins."""
    return [ws.templates_dir / audience, ws.templates_dir]


def render_job(ws: Workspace, job: Job) -> Rendered:
    """Charts and HTML for one job (everything before typesetting)."""
    search = template_path(ws, job.audience_name)
    if not search[0].is_dir():
        raise TemplateError(f"no template folder for audience {job.audience_name!r}", search[0],
                            hint=f"create templates/{job.audience_name}/ with the audience's sections")
    brand = load_brand(ws.templates_dir)
    charts = render_charts(job, brand, ws.templates_dir / "fonts")
    return render(job, charts, brand, search)


def build(root: Path, brief_id: str | None, audience: str) -> BuildResult:
    """Build one brief for one audience into the workspace's out/ folder.

    The same checks as ``brief check`` run first; any error stops the build before
    anything is written.
    """
    started = time.perf_counter()
    report = check(root, brief_id, [audience])
    if report.errors:
        raise CheckFailed(report.sorted())
    ws = report.workspace
    job = resolve(ws, brief_id, audience)
    rendered = render_job(ws, job)
    result = typeset(rendered.html, ws.templates_dir)
    path = write_atomic(ws.out_dir / job.output_name, result.pdf)
    return BuildResult(path=path, pages=result.pages, seconds=time.perf_counter() - started,
                       brief=job.brief.id, audience=audience, page_budget=job.audience.page_budget,
                       warnings=report.warnings)
