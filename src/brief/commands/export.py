"""``brief charts``: every chart of an audience as a file of its own, for slides."""

from __future__ import annotations

from pathlib import Path

from brief.model.request import BuildRequest, edition_stem
from brief.pipeline.charts import export_chart
from brief.pipeline.prepare import resolved
from brief.publish.atomic import write_atomic


def export_charts(request: BuildRequest, fmt: str, scale: float) -> list[Path]:
    """Write ``out/charts/BRIEF-AUDIENCE/CHART.svg`` (or ``.png``) for each chart the audience
    places; for a variant (a brief with ``for_each``), ``out/charts/BRIEF-AUDIENCE-VARIANT/``;
    for a brief in several languages, in the request's language (default: its first), with the
    language's tag after them. Checked and resolved as a build is (:func:`~brief.pipeline.prepare.resolved`)."""
    ready = resolved(request)
    job = ready.job
    stem = edition_stem(job.brief.id, job.audience_name, job.variant.get("id", ""), job.named_language)
    folder = ready.workspace.out_dir / "charts" / stem
    written = []
    for chart_id in job.audience.charts:
        if job.brief.charts[chart_id].kind == "table":
            continue  # a table is text in the PDF, not an image
        data = export_chart(chart_id, job.brief.charts[chart_id], job, ready.brand, fmt, scale)
        written.append(write_atomic(folder / f"{chart_id}.{fmt}", data))
    return written
