"""``brief distribute``: prepare every copy (a dry run stops there), then, with ``send``,
hand each message to the server once, the ledger recording each step before the next."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from brief.distribute import plan
from brief.distribute.ledger import Ledger, Row, open_ledger
from brief.distribute.rules import check_recipients
from brief.distribute.smtp import Connection, Server
from brief.errors import DistributionError, UsageError
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


@dataclass
class Summary:
    """What a run did: the rows as the ledger has them now, and what to say about them."""

    distribution: str
    rows: list[Row]
    lines: list[str]
    largest: int = 0

    @property
    def ok(self) -> bool:
        """Every recipient is accepted (sent) or prepared (dry run)."""
        return all(r.state in ("accepted", "stamped") for r in self.rows)


def _load(request: Request) -> plan.Distribution:
    ws = load_workspace(request.root)
    brief = pick_brief(ws, request.brief)
    marking = brief.distribution
    if request.send and marking is not None and marking.status == "draft" and not request.allow_draft:
        origin = ws.origin("brief", brief.id)
        raise UsageError("the brief is marked draft", origin.path, hint="send a draft only with --allow-draft")
    recipients = read_recipients(request.recipients, set(brief.audiences))
    check_recipients(request.recipients, marking, recipients, request.now)
    editions = {a: plan.edition(request.root, brief, a, request.now) for a in sorted({r.audience for r in recipients})}
    default = f"distribution@{marking.domains[0] if marking and marking.domains else 'localhost'}"
    sender = request.sender or default
    dist = plan.distribution_id(brief, request.recipients.read_bytes(), editions, sender)
    return plan.Distribution(
        dist, brief, marking, request.recipients, recipients, editions, request.now, sender,
        request.root / "out" / "distribution",
    )  # fmt: skip


def prepare(request: Request, ledger: Ledger) -> tuple[plan.Distribution, int]:
    """Plan (or find) the distribution and stamp every copy not yet stamped; the largest message."""
    d = _load(request)
    known = ledger.distribution(d.id)
    if known is not None:
        d = plan.Distribution(**{**d.__dict__, "created": dt.datetime.fromisoformat(known[0])})
    rows = ledger.rows(d.id) if known else plan.planned_rows(d)
    if known is None:
        plan.check_messages(d, request.root, rows)  # every template and size, before any row is recorded
        ledger.plan(d.id, d.brief.id, d.created.isoformat(), str(request.recipients), rows[0].marking, rows)
    started = [r for r in rows if r.state in ("sending", "accepted", "refused")]
    if request.send and started and not request.resume:
        raise UsageError(
            f"distribution {d.id} was already sent to {len(started)} of {len(rows)} recipients",
            request.recipients,
            hint="add --resume to send the rest (accepted messages are never sent again)",
        )
    font = None
    largest = 0
    for row in rows:
        pdf, eml = plan.copy_files(d.out, row)
        if row.state in ("planned", "stamped") and not (row.state == "stamped" and pdf.is_file() and eml.is_file()):
            font = font or plan.font_for(request.root, rows, d.created)
            largest = max(largest, plan.make_copy(d, request.root, row, font, ledger))
        elif eml.is_file():
            largest = max(largest, eml.stat().st_size)
    return d, largest


def _send_one(conn: Connection, ledger: Ledger, d: plan.Distribution, row: Row, backoff: float) -> str:
    import hashlib

    pdf, eml = plan.copy_files(d.out, row)
    if not pdf.is_file() or hashlib.sha256(pdf.read_bytes()).hexdigest() != row.sha256:
        raise DistributionError(
            f"the copy for {row.email} is not the one the ledger recorded",
            pdf,
            hint="do not edit out/distribution/ while a distribution is under way",
        )
    message = eml.read_bytes()
    for attempt in range(RETRIES):
        if not ledger.sending(d.id, row.email, row.state if attempt == 0 else "stamped"):
            return "skipped"  # another run has it
        outcome = conn.send(d.sender, row.email, message)
        if outcome.verdict in ("accepted", "refused"):
            ledger.settle(d.id, row.email, outcome.verdict, outcome.reply)
            return outcome.verdict
        if outcome.verdict == "unknown":
            return "unknown"  # left in `sending`: the server may have it
        ledger.settle(d.id, row.email, "stamped", outcome.reply)  # not delivered: may be sent again
        if attempt < RETRIES - 1:
            time.sleep(backoff * 2**attempt)
    return "deferred"


def send(request: Request, ledger: Ledger, d: plan.Distribution, say: Callable[[str], None]) -> None:
    """Send every message not yet accepted or refused, one at a time, at most ``rate`` a second."""
    assert request.server is not None
    conn = Connection(request.server)
    last = 0.0
    try:
        for row in ledger.rows(d.id):
            if row.state == "sending" and not request.resend_unknown:
                say(f"unknown: {row.email} (line {row.line}) was being sent when a run stopped; {row.message_id}")
                continue
            if row.state not in ("stamped", "sending"):
                continue
            if request.rate:
                time.sleep(max(0.0, last + 1 / request.rate - time.monotonic()))
            last = time.monotonic()
            verdict = _send_one(conn, ledger, d, row, request.backoff)
            if verdict not in ("accepted",):
                say(f"{verdict}: {row.email} (line {row.line}) {ledger.reply(d.id, row.email) or ''}".rstrip())
    finally:
        conn.close()


def distribute(request: Request, say: Callable[[str], None]) -> Summary:
    """Prepare every copy and, with ``request.send``, send them; the summary of the ledger."""
    if request.send and request.server is None:
        raise UsageError("--send needs a server", hint="give --smtp HOST[:PORT]")
    ledger = open_ledger(request.root / "out" / "distribution.sqlite")
    try:
        d, largest = prepare(request, ledger)
        if request.send:
            send(request, ledger, d, say)
        rows = ledger.rows(d.id)
    finally:
        ledger.close()
    return Summary(d.id, rows, summary_lines(d, rows, largest, request.send), largest)


def summary_lines(d: plan.Distribution, rows: list[Row], largest: int, sent: bool) -> list[str]:
    """Recipients per audience, the markings, the largest message and the rows' states."""
    audiences = Counter(r.audience for r in rows)
    states = Counter(r.state for r in rows)
    marking = d.marking.labels(d.created) if d.marking else []
    return [
        f"distribution {d.id}: {d.brief.id}, {len(rows)} recipients "
        f"({', '.join(f'{n} {a}' for a, n in sorted(audiences.items()))})",
        f"markings: {' · '.join(marking) if marking else 'none'}",
        f"largest message: {largest / 1024:.0f} KB",
        ("sent: " if sent else "dry run: ") + ", ".join(f"{n} {s}" for s, n in sorted(states.items())),
        *([] if sent else ["copies and messages in out/distribution/"]),
    ]
