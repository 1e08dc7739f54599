"""``brief charts``: every chart of an audience as a file of its own, for slides."""

from __future__ import annotations

from pathlib import Path

from brief.errors import CheckFailed
from brief.model.request import edition_stem
from brief.pipeline.build import templates_for
from brief.pipeline.charts import export_chart
from brief.pipeline.check import check
from brief.pipeline.resolve import resolve
from brief.publish.atomic import write_atomic
from brief.workspace.brand import load_brand


def export_charts(
    root: Path,
    brief_id: str | None,
    audience: str,
    fmt: str,
    scale: float,
    variant: str | None = None,
    language: str | None = None,
) -> list[Path]:
    """Write ``out/charts/BRIEF-AUDIENCE/CHART.svg`` (or ``.png``) for each chart the audience
    places; for a variant (a brief with ``for_each``), ``out/charts/BRIEF-AUDIENCE-VARIANT/``;
    for a brief in several languages, in *language* (default: its first), with the language's
    tag after them."""
    report = check(root, brief_id, [audience], language=language)
    if report.errors:
        raise CheckFailed(report.sorted())
    ws = report.workspace
    job = resolve(ws, brief_id, audience, variant=variant, language=language)
    brand = load_brand(templates_for(ws, job))
    folder = ws.out_dir / "charts" / edition_stem(job.brief.id, audience, job.variant.get("id", ""), job.named_language)
    written = []
    for chart_id in job.audience.charts:
        if job.brief.charts[chart_id].kind == "table":
            continue  # a table is text in the PDF, not an image
        data = export_chart(chart_id, job.brief.charts[chart_id], job, brand, fmt, scale)
        written.append(write_atomic(folder / f"{chart_id}.{fmt}", data))
    return written
