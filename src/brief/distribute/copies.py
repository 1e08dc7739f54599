"""Making a distribution's copies: each recipient's edition stamped (in the edition's
language) and its message composed from the email template, both written to
``out/distribution/NAME/`` and the row recorded ``stamped``. Which edition each recipient
gets is :mod:`editions`."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path

from brief.distribute.editions import Choice, Distribution, pdf_name, recipient_of
from brief.distribute.ledger import Ledger, Row
from brief.distribute.message import (
    Envelope,
    Letter,
    compose,
    encoded_size,
    render_letter,
    template_for,
    template_values,
    with_tlp,
)
from brief.distribute.stamp import StampFont, StampText, stamp_copy, stamp_font
from brief.errors import BriefError, DataError, DistributionError, DistributionProblems
from brief.model.language import DEFAULT, caption, format_date
from brief.model.marking import Recipient
from brief.model.request import copy_names
from brief.model.variants import fill
from brief.publish.atomic import write_atomic
from brief.workspace.files import MAX_FONT_BYTES, check_input

FONT = "SourceSans3-Regular.ttf"
DEFAULT_LIMIT_MB = 10.0
SYSTEM_FONTS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


def stamp_line(row: Row, total: int, created: dt.datetime) -> StampText:
    """What is printed at the foot of every page of the copy, in the edition's language: its
    copy ID first, so that a name too long for the page is what gets cut short, never the ID."""
    language = row.language or DEFAULT
    who = f"{row.name}, {row.organisation}" if row.organisation else row.name
    rest = caption("copy {number} of {total}", language, number=str(row.copy_no), total=str(total))
    return StampText(
        row.copy_id,
        caption("Prepared for {who}", language, who=who),
        f"{rest} · {format_date(created.date(), language)}",
        caption("copy ID", language),
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
    source = d.editions[d.choice(recipient_of(d, row))]
    pdf = stamp_copy(source, font, stamp_line(row, len(d.recipients), d.created), row.copy_id)
    message = message_for(d, root, row, pdf)
    pdf_path, eml_path = copy_files(d.out, row)
    write_atomic(pdf_path, pdf)
    write_atomic(eml_path, message)
    ledger.stamped(d.id, row.email, hashlib.sha256(pdf).hexdigest())
    return len(message)


def _values(d: Distribution, row: Row) -> dict[str, object]:
    """What the row's email template sees."""
    recipient = recipient_of(d, row)
    choice = d.choice(recipient)
    params = d.variants.get(choice.variant, {})
    written = d.brief_in(choice.language)
    copy = {"number": row.copy_no, "of": len(d.recipients), "id": row.copy_id, "date": d.created.date()}
    brief = {
        "id": d.brief.id,
        "title": fill(written.title, params),
        "subtitle": fill(written.subtitle or "", params),
        "date": d.brief.date,
    }
    edition = {"audience": choice.audience, "variant": choice.variant, "language": choice.language}
    return template_values(recipient, d.marking, brief, copy) | {"edition": edition, "variant": dict(params)}


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
        f"or make the email template for {row.audience} shorter",
    )


def message_for(d: Distribution, root: Path, row: Row, pdf: bytes) -> bytes:
    """The row's message as sent, *pdf* attached (or the marking's link instead, when the PDF
    would make it too large); a :class:`DistributionError` when it is over the limit anyway."""
    choice = d.choice(recipient_of(d, row))
    letter = render_letter(root, choice.audience, _values(d, row), d.brief.id, choice.language)
    return sealed(d, row, recipient_of(d, row), choice, letter, pdf)


def sealed(d: Distribution, row: Row, recipient: Recipient, choice: Choice, letter: Letter, pdf: bytes | None) -> bytes:
    """A rendered *letter* as the message sent to *recipient*: the marking's TLP line and
    headers, dated at the distribution's creation, *pdf* attached as the edition's file (or the
    marking's link instead, when the PDF would make it too large); a :class:`DistributionError`
    when it is over the limit anyway. Every message ``brief`` sends (a copy, a correction) is
    made here."""
    marking = d.marking
    envelope = Envelope(
        d.sender,
        recipient,
        row.message_id,
        email.utils.format_datetime(d.created),
        pdf_name(d.brief, choice),
        marking.unsubscribe if marking else None,
        choice.language,
    )
    letter = with_tlp(letter, marking.tlp if marking else None)
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
    attached = {choice: encoded_size(pdf) for choice, pdf in d.editions.items()}
    # Found once per edition, not per row: looking costs a stat of every name it may have.
    names = {c: template_for(root, c.audience, d.brief.id, c.language) for c in d.editions}
    for row in rows:
        choice = d.choice(recipient_of(d, row))
        letter = render_letter(root, choice.audience, _values(d, row), d.brief.id, choice.language, names[choice])
        least = len(letter.subject) + len(letter.text) + len(letter.html) + (0 if link else attached[choice])
        if least > _limit(d):
            raise _too_large(d, row, least, link, least=True)
