"""One recipient's message: the edition's email template (``emails/BRIEF/AUDIENCE.LANG.j2``,
``emails/BRIEF/AUDIENCE.j2``, ``emails/AUDIENCE.LANG.j2`` or ``emails/AUDIENCE.j2``, whichever
is found first; blocks ``subject``, ``text`` and ``html``) rendered in the sandbox, the TLP label first in
the subject and in both parts, the stamped PDF attached, a Message-ID that is the same
every time the same distribution is sent to the same recipient."""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import email.utils
import functools
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from brief.errors import BriefError, TemplateError, template_location
from brief.model.language import DEFAULT, candidates, caption, format_date
from brief.model.marking import TLP_BACKGROUND, TLP_COLOURS, Marking, Recipient
from brief.workspace.sandbox import BriefSandbox, TemplateRefused, inert
from brief.workspace.templates import TemplateSet

EMAILS = "emails"  # the workspace's folder of email templates: per audience, brief and language
BLOCKS = ("subject", "text", "html")


@dataclass(frozen=True)
class Letter:
    """A recipient's message before it is encoded: what the template wrote."""

    subject: str
    text: str
    html: str


@functools.lru_cache(maxsize=4)
def _environment(folder: Path) -> BriefSandbox:
    # One sandbox per folder, so each template is compiled once per distribution, not per copy.
    env = TemplateSet(folder, ".").environment()
    assert isinstance(env, BriefSandbox)
    env.filters["date"] = _date
    return env


@jinja2.pass_context
def _date(context: jinja2.runtime.Context, value: object, parts: int = 3) -> str:
    """``{{ brief.date | date }}``: a date (or ISO text, an embargo's say) as the edition's
    language writes it, "2 March 2027" or "2. März 2027"; ``date(2)`` month and year."""
    edition = context.get("edition") or {}
    if isinstance(value, str):
        text = value
        try:
            value = dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
        except ValueError:
            raise TypeError(f"date: {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"date: a {type(value).__name__} is not a date")
    return format_date(value, edition.get("language") or DEFAULT, parts)


def template_names(audience: str, brief: str | None = None, language: str | None = None) -> list[str]:
    """The email templates an edition's message may come from, first found first: the brief's
    own for the language (``BRIEF/AUDIENCE.de-DE.j2``, then ``BRIEF/AUDIENCE.de.j2``), the
    brief's own, the workspace's for the language, then the audience's (``AUDIENCE.j2``)."""
    tags = candidates(language) if language else ()
    per_language = [f"{audience}.{tag}.j2" for tag in tags]
    mine = [f"{brief}/{name}" for name in (*per_language, f"{audience}.j2")] if brief else []
    return [*mine, *per_language, f"{audience}.j2"]


def template_for(root: Path, audience: str, brief: str | None = None, language: str | None = None) -> str:
    """The edition's email template: the first of :func:`template_names` in ``emails/`` (else
    the audience's, which is then reported missing)."""
    names = template_names(audience, brief, language)
    return next((n for n in names if (root / EMAILS / n).is_file()), names[-1])


def render_letter(
    root: Path,
    audience: str,
    values: dict[str, Any],
    brief: str | None = None,
    language: str | None = None,
    name: str | None = None,
) -> Letter:
    """Render the three blocks of the edition's email template (*name*, found by
    :func:`template_for` when not given) with *values*.
    The emails are not build inputs: changing one does not make the built editions stale.
    Whatever the template does wrong or the sandbox refuses is a :class:`TemplateError` naming
    the template (and its line, when known)."""
    names = template_names(audience, brief, language)
    name = name or template_for(root, audience, brief, language)
    path = root / EMAILS / name
    env = _environment(root / EMAILS)
    env.budget.start()
    try:
        template = env.get_template(name)
        missing = [b for b in BLOCKS if b not in template.blocks]
        if missing:
            raise TemplateError(
                f"the email template has no block {', '.join(missing)}",
                Path(template.filename or name),
                hint="write {% block subject %}, {% block text %} and {% block html %}",
            )
        context = template.new_context(inert(values))
        parts = ["".join(template.blocks[b](context)).strip() for b in BLOCKS]
    except BriefError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise _not_found(exc, path, audience, names) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"the email template does not parse: {exc.message}", exc.filename, exc.lineno) from None
    except TemplateRefused as exc:
        # The sandbox's refusals (work, size, depth, a file outside emails/), at the line it
        # names or else at the line of ours that asked for it.
        where, line = (exc.path, exc.line) if exc.line is not None else (path, _line(exc, path))
        raise TemplateError(f"the email template was refused: {exc}", where, line, hint=exc.hint) from None
    except (jinja2.TemplateError, TypeError) as exc:
        raise TemplateError(f"the email template failed: {exc}", path, _line(exc, path), hint=_HINT) from None
    except RecursionError:
        raise TemplateError(
            "the email template nests too deeply", path, hint="a macro or include that calls itself without end?"
        ) from None
    except Exception as exc:  # the template's own mistake: 1/0, a wrong argument...
        raise TemplateError(f"the email template failed: {exc or type(exc).__name__}", path, _line(exc, path)) from None
    return Letter(" ".join(parts[0].split()), parts[1], parts[2])


# An attribute error names what the object has. A marking has every field (none or false
# when the brief does not set it), so what may truly be missing is a column only some rows have.
_HINT = "spell the name as one of those it has; a column only some rows have: {{ recipient.column | default('') }}"


def _not_found(exc: jinja2.TemplateNotFound, path: Path, audience: str, names: list[str]) -> TemplateError:
    # The edition's own template missing, or a template it includes, imports or extends.
    if exc.name in names:
        return TemplateError(
            f"no email template for audience {audience!r}",
            path,
            hint=f"write {EMAILS}/{names[-1]} (or, for this brief or language, {EMAILS}/{names[0]}); "
            "brief docs distributing shows one",
        )
    return TemplateError(
        f"the email template uses {exc.name!r}, which is not in {EMAILS}/",
        path,
        _line(exc, path),
        hint=f"an email template includes only other templates in {EMAILS}/",
    )


def _line(exc: BaseException, path: Path) -> int | None:
    return template_location(exc.__traceback__, [path])[1]


def with_tlp(letter: Letter, tlp: str | None) -> Letter:
    """The letter with the TLP label leading the subject and the first line of each part
    (TLP 2.0: the label comes first), whether or not the template wrote it."""
    if tlp is None:
        return letter
    subject = letter.subject if letter.subject.startswith(tlp) else f"{tlp} {letter.subject}"
    text = letter.text if letter.text.startswith(tlp) else f"{tlp}\n\n{letter.text}"
    label = (
        f'<p><span style="background:{TLP_BACKGROUND};color:{TLP_COLOURS[tlp]};font-weight:bold;'
        f'padding:2px 6px;font-family:sans-serif">{escape(tlp)}</span></p>\n'
    )
    return Letter(subject, text, str(Markup(label)) + letter.html)


@dataclass(frozen=True)
class Envelope:
    """Everything about a message that is not the template's text."""

    sender: str
    recipient: Recipient
    message_id: str
    date: str
    attachment_name: str
    unsubscribe: str | None = None
    language: str = DEFAULT  # the edition's: what the message itself adds is written in it


def encoded_size(data: bytes) -> int:
    """The attachment's size in the message: base64 in 76-character lines."""
    return len(base64.encodebytes(data))


def compose(letter: Letter, envelope: Envelope, pdf: bytes | None, link: str | None = None) -> bytes:
    """The message as sent (CRLF line ends): text and HTML parts, and the PDF attached (or,
    when *pdf* is None, the *link* to it in both parts)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    r = envelope.recipient
    msg["From"] = envelope.sender
    msg["To"] = email.utils.formataddr((r.name, r.email))
    msg["Subject"] = letter.subject
    msg["Date"] = envelope.date
    msg["Message-ID"] = envelope.message_id
    if envelope.unsubscribe:
        msg["List-Unsubscribe"] = f"<{envelope.unsubscribe}>"
        if envelope.unsubscribe.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text, html = letter.text, letter.html
    if pdf is None and link:
        label = caption("The brief:", envelope.language)
        text += f"\n\n{label} {link}\n"
        html += f'\n<p>{escape(label)} <a href="{escape(link)}">{escape(link)}</a></p>\n'
    msg.set_content(text + "\n")
    msg.add_alternative(html + "\n", subtype="html")
    if pdf is not None:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=envelope.attachment_name)
    return msg.as_bytes()


# The first Date header of a message's head, with any continuation lines.
_DATE = re.compile(rb"(?im)^Date:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*")


def _with_date(message: bytes, value: bytes) -> bytes:
    head, blank, body = message.partition(b"\r\n\r\n")
    head = _DATE.sub(b"Date: " + value + b"\r\n", head + b"\r\n", count=1)
    return head[:-2] + blank + body


def undated(message: bytes) -> bytes:
    """The message with its Date header left empty: what the ledger's hash of a message covers.
    The Date is set when the message is sent (:func:`dated`), so it is the one header a run may
    change; every other byte, a header added beside the Date included, must be as recorded."""
    return _with_date(message, b"")


def dated(message: bytes, when: dt.datetime) -> bytes:
    """The message with its Date header set to *when* (the moment it is handed to the server)."""
    return _with_date(message, email.utils.format_datetime(when).encode("ascii"))


def template_values(
    recipient: Recipient, marking: Marking | None, brief: dict[str, Any], copy: dict[str, Any]
) -> dict[str, Any]:
    """What an email template sees: the recipient's columns, the brief, the marking and the copy."""
    columns = {**recipient.extra, **recipient.model_dump(exclude={"extra", "line"})}
    return {
        "recipient": columns,
        "brief": brief,
        # A brief without a distribution: block has every field of the marking, none or false.
        "marking": marking.model_dump(mode="json") if marking else dict.fromkeys(Marking.model_fields),
        "copy": copy,
    }
