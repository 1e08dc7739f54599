"""A distribution prepared: recipients read and checked against the marking, the built
editions found, the ledger's rows planned, and each recipient's stamped copy and message
written to ``out/distribution/NAME/`` (a dry run stops here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from brief.distribute import copyid
from brief.distribute.ledger import Ledger, Row
from brief.distribute.message import Envelope, compose, encoded_size, render_letter, template_values, with_tlp
from brief.distribute.stamp import StampFont, StampText, stamp_copy, stamp_font
from brief.errors import BriefError, DataError, DistributionError
from brief.model.marking import Marking, Recipient
from brief.model.request import output_name
from brief.model.schema import Brief
from brief.publish.atomic import write_atomic
from brief.publish.manifest import read_manifest, recorded
from brief.publish.verify import verify
from brief.workspace.files import MAX_FONT_BYTES, check_input

FONT = "SourceSans3-Regular.ttf"
DEFAULT_LIMIT_MB = 10.0
SYSTEM_FONTS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


@dataclass(frozen=True)
class Distribution:
    """One brief sent to one recipients file: what every copy is made from."""

    id: str
    brief: Brief
    marking: Marking | None
    recipients_path: Path
    recipients: list[Recipient]
    editions: dict[str, bytes]
    created: dt.datetime
    sender: str
    out: Path


def edition(root: Path, brief: Brief, audience: str, now: dt.datetime) -> bytes:
    """The built PDF of *audience*, checked against the manifest and the current inputs."""
    pdf = root / "out" / output_name(brief.id, audience)
    hint = "build every audience first: brief build --all"
    if not pdf.is_file() or not (root / "out" / "manifest.json").is_file():
        raise DistributionError(f"{audience!r} has not been built", pdf, hint=hint)
    verdict = verify(pdf, root / "out" / "manifest.json", root)
    if not verdict.ok:
        raise DistributionError(f"{pdf.name} is not the build of the current inputs", pdf, hint=hint)
    data = pdf.read_bytes()
    entry = recorded(
        read_manifest(root / "out" / "manifest.json")["outputs"][pdf.name], hashlib.sha256(data).hexdigest()
    )
    shown = (entry.get("marking") or {}).get("embargo_shown") == "yes"
    if shown and brief.distribution is not None and not brief.distribution.embargoed_at(now):
        raise DistributionError(
            f"{pdf.name} shows an embargo that has passed",
            pdf,
            hint="build it again dated now: SOURCE_DATE_EPOCH=$(date +%s) brief build --all --force",
        )
    return data


def distribution_id(brief: Brief, recipients_file: bytes, editions: dict[str, bytes], sender: str) -> str:
    """The same for the same brief, marking, editions, recipients file and sender (so a resumed
    run, or a send after a dry run, finds its rows and messages); anything else is a new one."""
    h = hashlib.sha256(f"{brief.id}\0{sender.lower()}\0".encode())
    h.update((brief.distribution.model_dump_json() if brief.distribution else "").encode())
    for audience in sorted(editions):
        h.update(f"\0{audience}\0{hashlib.sha256(editions[audience]).hexdigest()}".encode())
    h.update(b"\0" + hashlib.sha256(recipients_file).digest())
    return h.hexdigest()[:16]


def _folders(recipients: list[Recipient]) -> dict[str, str]:
    slugs = {r.email: re.sub(r"[^a-z0-9]+", "-", r.name.lower()).strip("-") or "recipient" for r in recipients}
    taken = [s for s in slugs.values()]
    return {
        e: s if taken.count(s) == 1 else f"{s}-{r.line}" for r, (e, s) in zip(recipients, slugs.items(), strict=True)
    }


def planned_rows(d: Distribution, ledger: Ledger) -> list[Row]:
    """A ``planned`` ledger row for each recipient: copy number, copy ID (keyed with the
    ledger's secret, see :mod:`brief.distribute.copyid`), Message-ID, folder."""
    key = copyid.secret(ledger)
    domain = d.sender.rpartition("@")[2] or "localhost"
    marking = json.dumps(d.marking.record(d.created) if d.marking else {}, sort_keys=True)
    folders = _folders(d.recipients)
    rows = []
    for n, r in enumerate(d.recipients, 1):
        copy_id = copyid.copy_id(key, d.id, r.email)
        message_id = f"<{copy_id}.{d.id}@{domain}>"
        rows.append(
            Row(d.id, r.email, r.line, r.name, r.organisation, r.audience, n, copy_id, message_id, folders[r.email],
                marking, None, "planned", None, 0, d.created.isoformat())
        )  # fmt: skip
    return rows


def stamp_line(row: Row, total: int, created: dt.datetime) -> StampText:
    """What is printed at the foot of every page of the copy: its copy ID first, so that a
    name too long for the page is what gets cut short, never the ID."""
    who = f"{row.name}, {row.organisation}" if row.organisation else row.name
    return StampText(
        row.copy_id, f"Prepared for {who}", f"copy {row.copy_no} of {total} · {created.strftime('%-d %B %Y')}"
    )


def _fallback_fonts(root: Path) -> Iterator[Path]:
    """TrueType fonts for characters the theme's font lacks (a name in Chinese, say): the
    workspace's templates/fonts/, the theme's, then the system's, each in name order. A file
    that is not a regular file within the font size limit is passed over, never opened."""
    theme = Path(__file__).resolve().parent.parent / "theme" / "fonts"
    folders = [root / "templates" / "fonts", theme, *(Path(f).expanduser() for f in SYSTEM_FONTS)]
    for folder in folders:
        for path in sorted(folder.glob("**/*.tt[cf]"))[:2000]:  # .ttc: a TrueType collection, its first font
            try:
                check_input(path, None, MAX_FONT_BYTES)
            except DataError:
                continue
            yield path


def font_for(root: Path, rows: list[Row], created: dt.datetime) -> StampFont:
    """The stamp's fonts, cut down to the characters of every stamp in the distribution. A
    row whose stamp has a character no font has is refused (never printed as '?')."""
    path = root / "templates" / "fonts" / FONT  # the workspace's own copy of the theme's fonts, else the theme's
    if not path.is_file():
        path = Path(__file__).resolve().parent.parent / "theme" / "fonts" / FONT
    check_input(path, None, MAX_FONT_BYTES)
    texts = [stamp_line(r, len(rows), created).characters() for r in rows]
    font = stamp_font(itertools.chain([path], _fallback_fonts(root)), "".join(texts))
    problems: list[BriefError] = [
        DistributionError(
            f"recipients line {row.line} ({row.email}): the stamp cannot print {missing!r}, no font has it",
            hint="add a TrueType font (.ttf) with these characters to templates/fonts/",
        )
        for row, text in zip(rows, texts, strict=True)
        if (missing := font.missing(text))
    ]
    if problems:
        error = problems[0]
        error.problems = problems
        raise error
    return font


def copy_files(out: Path, row: Row) -> tuple[Path, Path]:
    """Where the row's stamped PDF and message are written."""
    folder = out / row.folder
    return (
        folder / f"{row.distribution[:8]}-copy-{row.copy_no}.pdf",
        folder / f"{row.distribution[:8]}-copy-{row.copy_no}.eml",
    )


def make_copy(d: Distribution, root: Path, row: Row, font: StampFont, ledger: Ledger) -> int:
    """Stamp the row's copy, write it and its message, record it ``stamped``; the message's size."""
    recipient = next(r for r in d.recipients if r.email == row.email)
    pdf = stamp_copy(d.editions[row.audience], font, stamp_line(row, len(d.recipients), d.created), row.copy_id)
    marking = d.marking
    limit = (marking.max_message_mb if marking else DEFAULT_LIMIT_MB) * 1024 * 1024
    attach: bytes | None = pdf
    if encoded_size(pdf) > limit:
        if marking is None or marking.link is None:
            raise DistributionError(
                f"the message to {row.email} would carry {encoded_size(pdf) / 1048576:.1f} MB, over the limit",
                d.recipients_path,
                row.line,
                hint="raise distribution: max_message_mb, or set distribution: link to send a link instead",
            )
        attach = None
    copy = {"number": row.copy_no, "of": len(d.recipients), "id": row.copy_id, "date": d.created.date()}
    brief = {"id": d.brief.id, "title": d.brief.title, "subtitle": d.brief.subtitle or "", "date": d.brief.date}
    values = template_values(recipient, marking, brief, copy)
    letter = with_tlp(render_letter(root, row.audience, values), marking.tlp if marking else None)
    name = output_name(d.brief.id, row.audience)
    envelope = Envelope(
        d.sender, recipient, row.message_id, _date(d.created), name, marking.unsubscribe if marking else None
    )
    message = compose(letter, envelope, attach, marking.link if marking else None)
    pdf_path, eml_path = copy_files(d.out, row)
    write_atomic(pdf_path, pdf)
    write_atomic(eml_path, message)
    ledger.stamped(d.id, row.email, hashlib.sha256(pdf).hexdigest())
    return len(message)


def _date(when: dt.datetime) -> str:
    import email.utils

    return email.utils.format_datetime(when)
