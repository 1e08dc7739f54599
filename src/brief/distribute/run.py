"""``brief distribute``: prepare every copy (a dry run stops there), then, with ``send``,
hand each message to the server once, the ledger recording each step before the next."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from brief.distribute import copies, editions
from brief.distribute.ledger import Ledger, Row, open_ledger
from brief.distribute.message import dated, undated
from brief.distribute.rules import check_recipients
from brief.distribute.smtp import Connection, Server, SmtpError
from brief.distribute.states import OFFERED, State
from brief.errors import DistributionError, UsageError
from brief.model.counting import counted
from brief.model.marking import Recipient
from brief.pipeline.resolve import pick_brief
from brief.workspace.load import load_workspace
from brief.workspace.recipients import read_recipients

RETRIES = 4  # attempts of a message the server refuses for now (4xx)


@dataclass(frozen=True)
class Request:
    """What ``brief distribute`` was asked to do."""

    root: Path
    recipients: Path
    brief: str | None = None
    send: bool = False
    sender: str | None = None
    server: Server | None = None
    rate: float | None = None
    resume: bool = False
    resend_unknown: bool = False
    allow_draft: bool = False
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    backoff: float = 0.5
    resend: frozenset[str] = frozenset()  # addresses (lower case) sent an edition they already have, on purpose
    resend_all: bool = False
    retry_refused: bool = False
    again: str | None = None  # the command that continues the run, when it is not ``distribute RECIPIENTS``

    def resends(self, email: str) -> bool:
        """The recipient is to be sent the edition even if an earlier distribution had it accepted."""
        return self.resend_all or email.lower() in self.resend


@dataclass
class Summary:
    """What a run did: the rows as the ledger has them now, and what to say about them."""

    distribution: str
    rows: list[Row]  # the rows acted on: those skipped as already received are not among them
    lines: list[str]
    largest: int = 0
    sent: bool = False
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """Every recipient is accepted (a send) or prepared (a dry run)."""
        done = (State.ACCEPTED,) if self.sent else (State.ACCEPTED, State.STAMPED)
        return all(r.state in done for r in self.rows)


def _load(request: Request) -> editions.Distribution:
    if request.sender is not None:
        check_sender(request.sender)
    ws = load_workspace(request.root)
    brief = pick_brief(ws, request.brief)
    marking = brief.distribution
    if request.send and marking is not None and marking.status == "draft" and not request.allow_draft:
        origin = ws.origin("brief", brief.id)
        raise UsageError("the brief is marked draft", origin.path, hint="send a draft only with --allow-draft")
    variants = ws.variants.get(brief.id, [])
    chosen: dict[str, editions.Choice] = {}

    def choose(r: Recipient) -> None:
        chosen[r.email] = editions.edition_for(r, brief, variants, request.recipients)

    recipients = read_recipients(request.recipients, set(brief.audiences), choose)
    check_recipients(request.recipients, marking, recipients, request.now)
    pdfs = {c: editions.built(request.root, brief, c, request.now) for c in sorted(set(chosen.values()))}
    others = sorted({c.language for c in chosen.values()} - {brief.language})
    localised = {lang: pick_brief(load_workspace(request.root, language=lang), brief.id) for lang in others}
    default = f"distribution@{marking.domains[0] if marking and marking.domains else 'localhost'}"
    sender = request.sender or default
    return editions.Distribution(
        id=editions.distribution_id(brief, request.recipients.read_bytes(), pdfs, sender),
        brief=brief,
        marking=marking,
        recipients_path=request.recipients,
        recipients=recipients,
        editions=pdfs,
        created=request.now,
        sender=sender,
        out=request.root / "out" / "distribution",
        chosen=chosen,
        variants={v.id: v.params for v in variants},
        localised=localised,
    )


def check_sender(sender: str) -> None:
    """``--from`` is one plain address: it goes into every message's From header and the
    envelope, so a line break, a control character or a display name would be injected there."""
    hidden = [c for c in sender if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace()]
    problem = f"contains {hidden[0]!r}" if hidden else None
    if problem is None:
        try:
            address = Address(addr_spec=sender)
            if not address.username or "." not in address.domain.strip(".") or address.addr_spec != sender:
                problem = "is not one address like name@example.org"
        except (ValueError, HeaderParseError, IndexError):
            problem = "is not an e-mail address"
    if problem:
        raise UsageError(f"--from {sender!r} {problem}", hint="give the sender's address: --from briefs@example.org")


@dataclass(frozen=True)
class Prepared:
    """A distribution ready to send: the rows to act on, and the recipients passed over."""

    d: editions.Distribution
    largest: int
    skipped: frozenset[str]  # addresses (as in the file) that already received their edition


def _planned(request: Request, ledger: Ledger, d: editions.Distribution, known: bool) -> tuple[list[Row], set[str]]:
    """The distribution's rows in the ledger (new ones recorded now) and the addresses passed
    over: a recipient who has an accepted copy of the same edition from another distribution
    is not sent it again (unless ``--resend`` names them), so that fixing one address in the
    recipients file and running again sends one message, not one to everyone."""
    wanted = editions.planned_rows(d, ledger)  # the same copy IDs and Message-IDs every time
    unknown = sorted(request.resend - {r.email.lower() for r in wanted})
    if unknown:
        raise UsageError(
            f"--resend {unknown[0]}: not in the file", request.recipients, hint="give an address in the file"
        )
    if known:
        # rows planned before the ledger recorded editions: no variant could be distributed then
        ledger.record_editions(d.id, {c.audience: h for c, h in editions.edition_hashes(d).items() if not c.variant})
    had = {r.email: r for r in ledger.rows(d.id)} if known else {}
    received = ledger.received({r.edition for r in wanted if r.edition}, d.id)
    skipped = {
        r.email
        for r in wanted
        if (r.email.lower(), r.edition) in received
        and not request.resends(r.email)
        and (r.email not in had or had[r.email].state in (State.PLANNED, State.STAMPED))
    }
    new = [r for r in wanted if r.email not in had and r.email not in skipped]
    if new:
        copies.check_messages(d, request.root, new)  # every template and size, before any row is recorded
        if known:
            ledger.add(new)
        else:
            ledger.plan(d.id, d.brief.id, d.created.isoformat(), str(request.recipients), new[0].marking, new)
    return [r for r in ledger.rows(d.id) if r.email not in skipped], skipped


def prepare(request: Request, ledger: Ledger) -> Prepared:
    """Plan (or find) the distribution and stamp every copy not yet stamped."""
    d = _load(request)
    known = ledger.distribution(d.id)
    if known is not None:
        d = replace(d, created=dt.datetime.fromisoformat(known[0]))
    last = ledger.latest(d.brief.id, str(request.recipients)) if known is None and request.resume else None
    if last is not None:  # with no earlier distribution of the brief, nothing can be sent twice
        raise UsageError(
            f"--resume would start a new distribution {d.id}, not continue {last}: the recipients file, "
            "an edition, the marking or the sender has changed since",
            request.recipients,
            hint="run without --resume to start a new one (who already has an edition is not sent it again)",
        )
    rows, skipped = _planned(request, ledger, d, known is not None)
    started = [r for r in rows if r.state in OFFERED]
    if request.send and started and not (request.resume or request.retry_refused):
        counts = Counter(r.state for r in started)
        named = {State.ACCEPTED: "accepted", State.REFUSED: "refused", State.SENDING: "unknown"}
        said = ", ".join(f"{counts[s]} {word}" for s, word in named.items() if counts[s])
        raise UsageError(
            f"distribution {d.id} was sent before ({said} of {len(rows)})",
            request.recipients,
            hint="add --resume to send the rest (accepted messages are never sent again), --retry-refused to try "
            "the refused ones again",
        )
    font = None
    largest = 0
    for row in rows:
        pdf, eml = copies.copy_files(d.out, row)
        made = pdf.is_file() and eml.is_file() and row.message_sha256 is not None
        if row.state == State.PLANNED or (row.state == State.STAMPED and not made):
            # The stamp's font is cut to the characters of every recipient's stamp, so that a
            # copy made again, in a run that passes over other recipients, is the same bytes.
            font = font or copies.font_for(request.root, editions.planned_rows(d, ledger), d.created)
            largest = max(largest, copies.make_copy(d, request.root, row, font, ledger))
            # The message that may be sent is the one written now: --send refuses any other.
            if not ledger.message(d.id, row.email, message_hash(undated(eml.read_bytes()))):
                raise DistributionError(f"another run has changed the row of {row.email}", ledger.path)
        elif eml.is_file():
            largest = max(largest, eml.stat().st_size)
    return Prepared(d, largest, frozenset(skipped))


def message_hash(message: bytes) -> str:
    """The hash the ledger records of a message (of its :func:`undated` form)."""
    return hashlib.sha256(message).hexdigest()


def clock() -> dt.datetime:
    """Now, for a message's Date header as it is sent."""
    return dt.datetime.now(dt.UTC)


def _recorded(d: editions.Distribution, row: Row) -> bytes:
    """The row's message as the ledger recorded it when the copy was stamped (else an error)."""
    pdf, eml = copies.copy_files(d.out, row)
    hint = "do not edit out/distribution/ while a distribution is under way"
    if not pdf.is_file() or hashlib.sha256(pdf.read_bytes()).hexdigest() != row.sha256:
        raise DistributionError(f"the copy for {row.email} is not the one the ledger recorded", pdf, hint=hint)
    message = eml.read_bytes() if eml.is_file() else b""
    # A ledger of schema 2 hashed the whole message, its Date included: either form is as recorded.
    recorded = row.message_sha256 in (message_hash(undated(message)), message_hash(message))
    if row.message_sha256 is None or not recorded:
        raise DistributionError(f"the message for {row.email} is not the one the ledger recorded", eml, hint=hint)
    return message


def _send_one(conn: Connection, ledger: Ledger, d: editions.Distribution, row: Row, backoff: float) -> str:
    message = _recorded(d, row)  # read once: what was checked is what is sent
    state = row.state
    outcome = None
    for attempt in range(RETRIES):
        # The row is claimed (`sending`) only once the server has accepted the envelope: what
        # fails before that (the connection, the session, the sender) leaves it as it was.
        claim = functools.partial(ledger.sending, d.id, row.email, state)
        outcome = conn.send(d.sender, row.email, dated(message, clock()), claim)
        if outcome.verdict == "skipped":
            return "skipped"  # another run has it
        state = State.SENDING if outcome.handed else state
        if outcome.verdict == "unknown":
            return "unknown"  # left in `sending`: the server may have it
        if outcome.verdict in ("accepted", "refused"):
            settled = ledger.settle(d.id, row.email, State(outcome.verdict), outcome.reply, state)
            return outcome.verdict if settled else "skipped"
        back = State.STAMPED if state == State.SENDING and outcome.handed else state  # not delivered: may be sent again
        if not ledger.settle(d.id, row.email, back, outcome.reply, state):
            return "skipped"
        state = back
        if attempt < RETRIES - 1:
            time.sleep(backoff * 2**attempt)
    if outcome is not None and outcome.session:
        s = conn.server
        raise SmtpError(f"{s.host}:{s.port} takes no message now ({outcome.reply})", hint="try again later")
    return "deferred"


def send(request: Request, ledger: Ledger, prepared: Prepared, say: Callable[[str], None]) -> None:
    """Send every message not yet accepted or refused (refused ones too with ``retry_refused``),
    one at a time, at most ``rate`` a second; a recipient passed over is not sent anything."""
    assert request.server is not None
    d = prepared.d
    conn = Connection(request.server)
    last = 0.0
    to_send = (State.STAMPED, State.SENDING, State.REFUSED) if request.retry_refused else (State.STAMPED, State.SENDING)
    try:
        for row in ledger.rows(d.id):
            if row.email in prepared.skipped or row.state not in to_send:
                continue
            if row.state == State.SENDING and not request.resend_unknown:
                say(
                    f"unknown: {row.email} (line {row.line}) was being sent when a run stopped; {row.message_id}: "
                    "settle it with brief distribute settle MESSAGE-ID accepted|resend, or --resend-unknown"
                )
                continue
            if request.rate:
                time.sleep(max(0.0, last + 1 / request.rate - time.monotonic()))
            last = time.monotonic()
            verdict = _send_one(conn, ledger, d, row, request.backoff)
            if verdict not in ("accepted",):
                say(f"{verdict}: {row.email} (line {row.line}) {ledger.reply(d.id, row.email) or ''}".rstrip())
    except SmtpError as exc:
        rows = ledger.rows(d.id)
        waiting = sum(r.state in (State.PLANNED, State.STAMPED) for r in rows)
        raise SmtpError(
            f"{exc.message}; nothing more was handed over ({waiting} of {counted(len(rows), 'message')} not sent)",
            hint=f"{exc.hint}, then continue with: {again(request)}",
        ) from None
    finally:
        conn.close()


def again(request: Request) -> str:
    """The command that continues this distribution."""
    if request.again is not None:
        return request.again
    return f"brief distribute {os.path.relpath(request.recipients)} --send --resume (and the same options)"


def distribute(request: Request, say: Callable[[str], None]) -> Summary:
    """Prepare every copy and, with ``request.send``, send them; the summary of the ledger."""
    if request.send and request.server is None:
        raise UsageError("--send needs a server", hint="give --smtp HOST[:PORT]")
    ledger = open_ledger(request.root / "out" / "distribution.sqlite", exclusive=True)
    try:
        prepared = prepare(request, ledger)
        if request.send:
            send(request, ledger, prepared, say)
        rows = [r for r in ledger.rows(prepared.d.id) if r.email not in prepared.skipped]
    finally:
        ledger.close()
    lines = summary_lines(prepared, rows, request.send)
    if request.send:
        lines += _unsent(rows, request)
    return Summary(prepared.d.id, rows, lines, prepared.largest, request.send, len(prepared.skipped))


def summary_lines(prepared: Prepared, rows: list[Row], sent: bool) -> list[str]:
    """Recipients per audience, the markings, the largest message, the rows' states and who was
    passed over as having the edition already."""
    d = prepared.d
    several = len(d.brief.editions_languages) > 1
    # "policy", "profile/us" for a variant, "policy/de-DE" for a brief in several languages
    audiences = Counter(
        "/".join([str(d.choice(r))] + ([d.choice(r).language] if several else [])) for r in d.recipients
    )
    states = Counter(r.state for r in rows)
    marking = d.marking.labels(d.created) if d.marking else []
    done = ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "nothing to " + ("send" if sent else "prepare")
    skipped = len(prepared.skipped)
    return [
        f"distribution {d.id}: {d.brief.id}, {counted(len(d.recipients), 'recipient')} "
        f"({', '.join(f'{n} {a}' for a, n in sorted(audiences.items()))})",
        f"markings: {' · '.join(marking) if marking else 'none'}",
        *([f"largest message: {prepared.largest / 1024:.0f} KB"] if rows else []),
        ("sent: " if sent else "dry run: ") + done,
        *(
            [f"skipped: {skipped} already received this edition (send it again with --resend ADDRESS or --resend-all)"]
            if skipped
            else []
        ),
        *([] if sent else ["copies and messages in out/distribution/"]),
        *(
            [f"warning: the sender is {d.sender}: no --from, and the brief's distribution: names no domains"]
            if d.sender.endswith("@localhost")
            else []
        ),
    ]


def _unsent(rows: list[Row], request: Request) -> list[str]:
    """What a send left undelivered, and what to do about it."""
    states = Counter(r.state for r in rows)
    waiting = states[State.PLANNED] + states[State.STAMPED]
    lines = (
        [f"{waiting} not sent yet (the server did not take them): continue with: {again(request)}"] if waiting else []
    )
    if states[State.SENDING]:
        lines.append(
            f"{states[State.SENDING]} unknown (the server may have them): settle each with brief distribute settle "
            "MESSAGE-ID accepted|resend, or send them again with --resend-unknown"
        )
    if states[State.REFUSED]:
        lines.append(
            f"{states[State.REFUSED]} refused by the server: see brief distribute status; "
            f"to try them again: {again(request).replace('--resume', '--retry-refused')}"
        )
    return lines
