"""Helpers that tests import: workspace copies, file edits, text folding, requests and renders.

Fixtures live in conftest.py (pytest finds them there); everything a test calls by name lives
here, so importing it never depends on pytest's conftest machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from brief.model.request import BuildRequest
from brief.pipeline.draw import DrawJob, draw_specs
from brief.pipeline.prepare import Resolved, prepare_job, templates_for
from brief.pipeline.render import Rendered
from brief.pipeline.resolve import Job
from brief.workspace.brand import load_brand
from brief.workspace.load import Workspace


def render_job(
    ws: Workspace,
    job: Job,
    overlay: Path | None = None,
    *,
    draw: Callable[[DrawJob], list[str]] = draw_specs,
    inline: bool = True,
) -> Rendered:
    """Charts and HTML for a job a test resolved itself, as :func:`brief.pipeline.prepare.prepare`
    makes them (with *overlay*, no chart cache): with *inline* each chart's SVG is in the HTML
    (the HTML edition's), without, the HTML names each chart by URL (the PDF's)."""
    request = BuildRequest(
        root=ws.root,
        brief=job.brief.id,
        audience=job.audience_name,
        overlay=overlay,
        format="html" if inline else "pdf",
    )
    templates = templates_for(ws, job, overlay)
    return prepare_job(Resolved(request, ws, job, templates, load_brand(templates)), draw).rendered
