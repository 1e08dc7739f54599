"""What a build records about itself: the manifest record and, for archival PDF/A-3, the files
attached to the PDF (the figures it prints, with their sources, and the build record)."""

from __future__ import annotations

import csv
import io

from brief.model.request import ARCHIVAL, BuildRequest
from brief.model.units import raw_number
from brief.pipeline.citations import short_title
from brief.pipeline.render import Rendered
from brief.pipeline.resolve import Job
from brief.pipeline.typeset import Attached
from brief.publish.csvcells import safe_cell
from brief.publish.manifest import Record, file_digests, inputs_digest, tool_versions


def record_for(request: BuildRequest, job: Job) -> Record:
    """What this build is made from: a digest of every input file, the tools and the date."""
    digests = file_digests(job.root, request.overlay)
    overlay = request.overlay.resolve() if request.overlay else None
    if overlay is not None and overlay.is_relative_to(job.root.resolve()):
        overlay = overlay.relative_to(job.root.resolve())
    return Record(
        job.brief.id,
        job.audience_name,
        "html" if request.format == "html" else request.standard,
        inputs_digest(digests),
        digests,
        tool_versions(),
        request.source_date_epoch,
        overlay.as_posix() if overlay else None,
        job.variant.get("id", ""),
    )


def attachments_for(request: BuildRequest, job: Job, rendered: Rendered, record: Record) -> tuple[Attached, ...]:
    """The files an archival PDF (``a-3a``, ``a-3b``) carries; none for the other standards."""
    if request.standard not in ARCHIVAL:
        return ()
    return (
        Attached(
            "figures.csv",
            figures_csv(job, rendered.figures_used),
            "Every figure this brief prints: value, unit, date, source and locator",
        ),
        Attached(
            "build-record.json",
            record.as_json(),
            "What this PDF was built from: input file hashes and tool versions",
            "Source",
        ),
    )


def figures_csv(job: Job, figure_ids: list[str]) -> bytes:
    """The figures a document prints, one row each, with value, unit, date and source."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["id", "label", "value", "unit", "printed_as", "as_of", "source_id", "source", "locator", "url", "calculation"]
    )
    for fid in figure_ids:
        fig = job.figures[fid]
        bases = [b for b in fig.bases if b.source]
        writer.writerow(
            [
                safe_cell(cell)
                for cell in [
                    fid,
                    fig.label,
                    raw_number(fig.value),
                    fig.unit,
                    fig.text(),
                    fig.as_of,
                    "; ".join(b.source or "" for b in bases),
                    "; ".join(short_title(job.sources[b.source]) for b in bases if b.source),
                    "; ".join(b.locator or "" for b in bases),
                    "; ".join(job.sources[b.source].URL or "" for b in bases if b.source),
                    fig.derivation or "",
                ]
            ]
        )
    return out.getvalue().encode("utf-8")
