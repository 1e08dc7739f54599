"""A distribution prepared: recipients read and checked against the marking, the built
editions found, the ledger's rows planned, and each recipient's stamped copy and message
written to ``out/distribution/NAME/`` (a dry run stops here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from brief.distribute import copyid
from brief.distribute.ledger import Ledger, Row
from brief.distribute.message import Envelope, compose, encoded_size, render_letter, template_values, with_tlp
from brief.distribute.stamp import StampFont, StampText, stamp_copy, stamp_font
from brief.distribute.states import State
from brief.errors import BriefError, DataError, DistributionError, DistributionProblems
from brief.model.marking import Marking, Recipient
from brief.model.request import copy_names, output_name
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
    hint = f"build every audience first: brief build {brief.id} --all"
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
            hint=f"build it again dated now: SOURCE_DATE_EPOCH=$(date +%s) brief build {brief.id} --all --force",
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


def edition_hashes(d: Distribution) -> dict[str, str]:
    """Each audience's edition as the ledger knows it: the SHA-256 of the built PDF, before stamping."""
    return {audience: hashlib.sha256(pdf).hexdigest() for audience, pdf in d.editions.items()}


# Latin letters that are not a base letter and an accent, so NFKD leaves them as they are.
_LETTERS = str.maketrans({"ß": "ss", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE",
                          "œ": "oe", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i"})  # fmt: skip


def _latin(name: str) -> str:
    """*name* with its accents taken off ("Chloé" → "Chloe", "Müller" → "Muller"), for a folder name."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.translate(_LETTERS)


def _folders(recipients: list[Recipient]) -> dict[str, str]:
    # Counted once, not searched per row: 100,000 recipients must not take minutes to plan.
    slugs = {r.email: re.sub(r"[^a-z0-9]+", "-", _latin(r.name).lower()).strip("-") or "recipient" for r in recipients}
    taken: dict[str, int] = {}
    for slug in slugs.values():
        taken[slug] = taken.get(slug, 0) + 1
    lines = {r.email: r.line for r in recipients}
    return {e: s if taken[s] == 1 else f"{s}-{lines[e]}" for e, s in slugs.items()}


def planned_rows(d: Distribution, ledger: Ledger) -> list[Row]:
    """A ``planned`` ledger row for each recipient: copy number, copy ID (keyed with the
    ledger's secret, see :mod:`brief.distribute.copyid`), Message-ID, folder."""
    key = copyid.secret(ledger)
    domain = d.sender.rpartition("@")[2] or "localhost"
    marking = json.dumps(d.marking.record(d.created) if d.marking else {}, sort_keys=True)
    folders = _folders(d.recipients)
    editions = edition_hashes(d)
    rows = []
    for n, r in enumerate(d.recipients, 1):
        copy_id = copyid.copy_id(key, d.id, r.email)
        message_id = f"<{copy_id}.{d.id}@{domain}>"
        rows.append(
            Row(d.id, r.email, r.line, r.name, r.organisation, r.audience, n, copy_id, message_id, folders[r.email],
                marking, None, State.PLANNED, None, 0, d.created.isoformat(), edition=editions[r.audience],
                language=d.brief.language)
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
        raise DistributionProblems(problems, problems[0].message)
    return font


def copy_files(out: Path, row: Row) -> tuple[Path, Path]:
    """Where the row's stamped PDF and message are written."""
    pdf, eml = copy_names(row.distribution, row.copy_no)
    return out / row.folder / pdf, out / row.folder / eml


def make_copy(d: Distribution, root: Path, row: Row, font: StampFont, ledger: Ledger) -> int:
    """Stamp the row's copy, write it and its message, record it ``stamped``; the message's size."""
    pdf = stamp_copy(d.editions[row.audience], font, stamp_line(row, len(d.recipients), d.created), row.copy_id)
    message = message_for(d, root, row, pdf)
    pdf_path, eml_path = copy_files(d.out, row)
    write_atomic(pdf_path, pdf)
    write_atomic(eml_path, message)
    ledger.stamped(d.id, row.email, hashlib.sha256(pdf).hexdigest())
    return len(message)


def _values(d: Distribution, row: Row) -> dict[str, object]:
    """What the row's email template sees."""
    copy = {"number": row.copy_no, "of": len(d.recipients), "id": row.copy_id, "date": d.created.date()}
    brief = {"id": d.brief.id, "title": d.brief.title, "subtitle": d.brief.subtitle or "", "date": d.brief.date}
    return template_values(recipient_of(d, row), d.marking, brief, copy)


def _limit(d: Distribution) -> float:
    # The limit is the whole message as sent: headers, both parts as the template wrote them,
    # and the PDF in base64; with a link the PDF is left out, never the limit raised.
    return (d.marking.max_message_mb if d.marking else DEFAULT_LIMIT_MB) * 1024 * 1024


def _too_large(d: Distribution, row: Row, size: int, link: str | None, least: bool = False) -> DistributionError:
    return DistributionError(
        f"the message to {row.email} would carry {size / 1048576:.2f} MB{' or more' if least else ''}"
        f"{' without the PDF' if link is not None else ''}, over the {_limit(d) / 1048576:g} MB limit",
        d.recipients_path,
        row.line,
        hint="raise distribution: max_message_mb, set distribution: link to send a link instead of the PDF, "
        f"or make emails/{row.audience}.j2 shorter",
    )


def message_for(d: Distribution, root: Path, row: Row, pdf: bytes) -> bytes:
    """The row's message as sent, *pdf* attached (or the marking's link instead, when the PDF
    would make it too large); a :class:`DistributionError` when it is over the limit anyway."""
    marking = d.marking
    letter = with_tlp(render_letter(root, row.audience, _values(d, row)), marking.tlp if marking else None)
    name = output_name(d.brief.id, row.audience)
    envelope = Envelope(
        d.sender, recipient_of(d, row), row.message_id, _date(d.created), name, marking.unsubscribe if marking else None
    )
    link = marking.link if marking else None
    message = compose(letter, envelope, pdf, link)
    if len(message) > _limit(d) and link is not None:
        message = compose(letter, envelope, None, link)
    if len(message) > _limit(d):
        raise _too_large(d, row, len(message), link)
    return message


def check_messages(d: Distribution, root: Path, rows: list[Row]) -> None:
    """Render every row's letter before the ledger records the distribution: a template the
    sandbox refuses, or a message that must be over the limit (its text alone, or with the
    edition in base64 when there is no link), stops the run with one error and no row left
    ``planned``. Only the letters are rendered (a message is composed as its copy is made):
    100,000 recipients must not wait minutes for their first copy."""
    link = d.marking.link if d.marking else None
    attached = {audience: encoded_size(pdf) for audience, pdf in d.editions.items()}
    for row in rows:
        letter = render_letter(root, row.audience, _values(d, row))
        least = len(letter.subject) + len(letter.text) + len(letter.html) + (0 if link else attached[row.audience])
        if least > _limit(d):
            raise _too_large(d, row, least, link, least=True)


def _date(when: dt.datetime) -> str:
    import email.utils

    return email.utils.format_datetime(when)


def recipient_of(d: Distribution, row: Row) -> Recipient:
    """The recipient a ledger row was planned for: the row's copy number is its place in the
    recipients file (looked up, not searched, so that planning stays linear in the rows)."""
    recipient = d.recipients[row.copy_no - 1] if 0 < row.copy_no <= len(d.recipients) else None
    if recipient is None or recipient.email != row.email:
        raise DistributionError(
            f"the ledger's copy {row.copy_no} is not planned for {row.email}",
            d.recipients_path,
            row.line,
            hint="the recipients file changed under the distribution: run it again without --resume",
        )
    return recipient
