"""What a build records about itself: the manifest record and, for archival PDF/A-3, the files
attached to the PDF (the figures it prints, with their sources, and the build record)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import posixpath
from pathlib import Path

from brief.errors import DataError
from brief.model.language import candidates
from brief.model.request import ARCHIVAL
from brief.model.units import raw_number
from brief.pipeline.citations import short_title
from brief.pipeline.prepare import Prepared
from brief.pipeline.render import Rendered
from brief.pipeline.resolve import Job
from brief.pipeline.typeset import Attached
from brief.publish.csvcells import safe_cell
from brief.publish.inputs import UNUSABLE, Scope, inputs_digest
from brief.publish.manifest import Record, edition_inputs, file_digests, tool_versions
from brief.workspace.files import read_input
from brief.workspace.load import Workspace


def record_for(prepared: Prepared) -> Record:
    """What a prepared document is made from: a digest of each file it uses
    (:func:`scope_of_job`), the tools and the date."""
    request, job, rendered, ws = prepared.request, prepared.job, prepared.rendered, prepared.workspace
    every = file_digests(job.root, request.overlay)
    scope = scope_of_job(job, rendered, ws, every)
    digests = edition_inputs(job.root, request.overlay, scope, every)
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
        job.brief.distribution.record(job.created) if job.brief.distribution else None,
        scope,
        rendered.printed,
        rendered.narrative,
        job.named_language,
    )


def scope_of_job(job: Job, rendered: Rendered, ws: Workspace, digests: dict[str, str]) -> Scope:
    """Which of the workspace's files this edition uses (see :class:`Scope`): its brief file and
    template folder, the files the brief file names, and the figures it prints, with the base
    figures they are computed from, the ones they were preferred to, and their quantities.
    Other audiences' template folders are left out, unless one holds this audience's folder
    (or is inside it), a link to a folder leads to it, or this edition's templates name it
    (*digests*: the workspace's files)."""
    own = job.template_folder
    used = [*rendered.figures_used, *(row.figure for chart in job.brief.charts.values() for row in chart.rows)]
    words: set[str] = set()
    for fid in used:
        words.add(fid)
        figure = job.figures.get(fid)
        for base in (*figure.bases, *figure.alternatives) if figure else ():
            words.update(w for w in (base.id, base.quantity) if w)
    named = [chart.spec for chart in job.brief.charts.values() if chart.spec]
    if isinstance(job.brief.for_each, str):
        named.append(job.brief.for_each)
    root = job.root.resolve()
    brief_file = Path(os.path.relpath(job.brief_path, job.root)).as_posix()
    real = job.brief_path.resolve()
    if real.is_relative_to(root) and real.relative_to(root).as_posix() != brief_file:
        named.append(real.relative_to(root).as_posix())  # a link in briefs/: both files are read
    folders = {a.templates or name for b in ws.briefs.values() for name, a in b.audiences.items()}
    mentioned = _template_text(job.root, own, digests)
    linked = _linked_folders(ws.templates_dir)
    others = {
        f
        for f in folders
        if not _nested(f, own) and f"{f}/" not in mentioned and not any(_nested(f, t) for t in linked)
    }
    return Scope(
        brief_file,
        (own,),
        tuple(sorted(others | _other_languages(job, own, mentioned))),
        tuple(sorted({posixpath.normpath(n) for n in named})),
        tuple(sorted(words)),
    )


def _other_languages(job: Job, own: str, mentioned: str) -> set[str]:
    """The audience folder's folders of the brief's other languages (``policy/de-DE`` for the
    English edition): their templates are not this edition's inputs."""
    mine = set(candidates(job.brief.language))
    tags = {tag for language in job.brief.editions_languages for tag in candidates(language)} - mine
    return {f"{own}/{tag}" for tag in tags if f"{tag}/" not in mentioned}


def _nested(a: str, b: str) -> bool:
    return a == b or a.startswith(f"{b}/") or b.startswith(f"{a}/")


def _linked_folders(templates: Path) -> list[str]:
    """The folders under templates/ that a link to a folder leads to: their files are read
    under the link's name too, which another audience's folder may be."""
    inside = templates.resolve()
    found = []
    for top, dirs, _ in os.walk(templates):
        for name in dirs:
            target = (Path(top) / name).resolve()
            if (Path(top) / name).is_symlink() and target.is_relative_to(inside):
                found.append(target.relative_to(inside).as_posix())
    return found


def _template_text(root: Path, own: str, digests: dict[str, str]) -> str:
    """The text of the templates an edition reads first (its folder's and templates/'s own
    files), to find another audience's folder they name in an include."""
    texts = []
    for key, digest in digests.items():
        folder, _, rest = key.partition("/")
        ours = folder == "templates" and (rest.startswith(f"{own}/") or "/" not in rest)
        if ours and not digest.startswith(UNUSABLE) and key.endswith((".j2", ".css", ".html", ".md")):
            with contextlib.suppress(DataError):
                texts.append(read_input(root / key, root).decode("utf-8", "replace"))
    return "\n".join(texts)


def attachments_for(prepared: Prepared, record: Record) -> tuple[Attached, ...]:
    """The files an archival PDF (``a-3a``, ``a-3b``) carries, *record* among them; none for
    the other standards."""
    if prepared.request.standard not in ARCHIVAL:
        return ()
    return (
        Attached(
            "figures.csv",
            figures_csv(prepared.job, prepared.rendered.figures_used),
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
