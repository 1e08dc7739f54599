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
from brief.typeset import STANDARDS, Attached, typeset


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


def render_job(ws: Workspace, job: Job, overlay: Path | None = None) -> Rendered:
    """Charts and HTML for one job (everything before typesetting)."""
    templates = templates_for(ws, job, overlay)
    if not templates.has_audience_folder():
        raise TemplateError(f"no template folder for audience {job.audience_name!r}",
                            ws.templates_dir / job.template_folder,
                            hint=f"create templates/{job.template_folder}/ with the audience's sections")
    brand = load_brand(templates)
    charts = render_charts(job, brand)
    return render(job, charts, brand, templates)


def build(root: Path, brief_id: str | None, audience: str, overlay: Path | None = None,
          strict: bool = False, standard: str = "ua-1", fmt: str = "pdf") -> BuildResult:
    """Build one brief for one audience into the workspace's out/ folder.

    The same checks as ``brief check`` run first; any error stops the build before
    anything is written. *overlay* is a folder of templates that wins over the
    workspace's; with *strict*, warnings and a page count over budget are errors.
    *standard* is ``ua-1`` (tagged, accessible), ``a-3b`` (archival, with the figures
    and the build record attached) or ``none``. *fmt* ``html`` writes the self-contained
    HTML edition instead of the PDF.
    """
    if standard not in STANDARDS:
        raise WorkspaceError(f"unknown PDF standard {standard!r}", hint=f"choose from: {', '.join(STANDARDS)}")
    started = time.perf_counter()
    report = check(root, brief_id, [audience], overlay)
    if report.errors or (strict and report.warnings):
        raise CheckFailed(report.sorted())
    ws = report.workspace
    job = resolve(ws, brief_id, audience)
    rendered = render_job(ws, job, overlay)
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
    result = typeset(rendered.html, ws.templates_dir, STANDARDS[standard], allowed=[overlay] if overlay else None,
                     attachments=attachments, created=job.created)
    if strict and result.pages > job.audience.page_budget:
        origin = ws.origin("audience", f"{job.brief.id}:{audience}")
        raise BudgetError(f"audience {audience!r} is {result.pages} pages, over its budget of "
                          f"{job.audience.page_budget}", origin.path, origin.line,
                          hint="shorten the text or raise page_budget; nothing was written")
    path = write_atomic(ws.out_dir / job.output_name, result.pdf)
    update_manifest(ws.out_dir, path, result.pages, record)
    return BuildResult(path=path, pages=result.pages, seconds=time.perf_counter() - started,
                       brief=job.brief.id, audience=audience, page_budget=job.audience.page_budget,
                       warnings=report.warnings)
