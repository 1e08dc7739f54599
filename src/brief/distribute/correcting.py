"""Sending corrections: each recipient of a changed edition (:mod:`brief.distribute.corrections`)
gets one message from ``emails/correction.j2`` (the theme's when the workspace has none), which
says what changed, with a new stamped copy of the current build attached.

The corrections of one edition (brief, audience, current build, sender) are a distribution of
their own in the ledger, and each row records the copy it supersedes. They go through the same
states as any distribution (planned → stamped → sending → accepted), sent by the same loop
(:func:`brief.distribute.run.send`), so exactly-once and ``--resume`` hold as for
``brief distribute``. A correction accepted makes its copy the recipient's latest: a second run
finds nobody to correct.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from brief.distribute import copies, copyid, editions
from brief.distribute.corrections import Difference, Found, Stale, choice_of, describe, difference, find
from brief.distribute.ledger import Ledger, Row, open_ledger
from brief.distribute.message import (
    Letter,
    render_letter,
    template_names,
    template_values,
    undated,
)
from brief.distribute.rules import check_recipients
from brief.distribute.run import Prepared, Request, Summary, check_sender, message_hash, send
from brief.distribute.stamp import StampFont, StampText, stamp_copy
from brief.distribute.states import OFFERED, State
from brief.errors import DistributionError, UsageError
from brief.model.language import caption, format_date
from brief.model.marking import Recipient
from brief.model.schema import Brief
from brief.model.variants import fill
from brief.pipeline.resolve import pick_brief
from brief.publish import printed
from brief.publish.atomic import write_atomic
from brief.workspace.load import Workspace, load_workspace
from brief.workspace.theme import theme_dir

TEMPLATE = "correction"  # emails/correction.j2
RECIPIENTS = "corrections"  # what the ledger records as a correction distribution's recipients file


def correction_id(brief: str, audience: str, edition: str, sender: str) -> str:
    """The correction distribution of one edition (*edition*: its current build's SHA-256, which
    tells its variant and language apart too): the same however often it is run or resumed."""
    return hashlib.sha256(f"correction\0{brief}\0{audience}\0{edition}\0{sender.lower()}".encode()).hexdigest()[:16]


def _recipient(row: Row) -> Recipient:
    return Recipient(
        line=row.line, name=row.name, email=row.email, organisation=row.organisation, audience=row.audience
    )


def _stamp(row: Row, created: dt.datetime, language: str) -> StampText:
    """The correction's stamp, in the edition's language: its own copy ID, whom it is for,
    and the copy it replaces."""
    who = f"{row.name}, {row.organisation}" if row.organisation else row.name
    replaces = caption("replaces copy {copy}", language, copy=row.supersedes or "")
    return StampText(
        row.copy_id,
        caption("Prepared for {who}", language, who=who),
        f"{replaces} · {format_date(created.date(), language)}",
        caption("copy ID", language),
    )


def _letter(root: Path, values: dict[str, Any], brief: str, language: str) -> Letter:
    """The workspace's correction letter for the edition, found as any email template is
    (``emails/BRIEF/correction.LANG.j2`` before ``emails/correction.j2``), else the theme's
    (which has English and German): a workspace that wrote only a German letter still sends
    its English readers the theme's English one."""
    own = any((root / "emails" / name).is_file() for name in template_names(TEMPLATE, brief, language))
    return render_letter(root if own else theme_dir(), TEMPLATE, values, brief, language)


class Corrector:
    """The corrections of one brief, as the ledger and the current builds have them."""

    def __init__(self, request: Request, ledger: Ledger, found: Found, sender: str) -> None:
        self.request = request
        self.ledger = ledger
        self.found = found
        self.sender = sender
        self.kept: dict[str, dict[str, Any] | None] = {}
        self.read: dict[str, Workspace] = {}

    def workspace_in(self, language: str) -> Workspace:
        """The workspace with its texts (the brief's title, figures' labels) in *language*."""
        if language not in self.read:
            self.read[language] = load_workspace(self.request.root, language=language)
        return self.read[language]

    def brief_in(self, language: str) -> Brief:
        """The brief's texts (title, subtitle) in *language*."""
        return pick_brief(self.workspace_in(language), self.found.brief.id)

    def _difference(self, old: str, new: str, language: str) -> Difference:
        for sha in (old, new):
            if sha not in self.kept:
                self.kept[sha] = printed.edition(self.request.root / "out", sha)
        before, after = self.kept[old], self.kept[new]
        if before is None or after is None:
            raise DistributionError(f"the printed figures of edition {old[:8]} were not kept", self.ledger.path)
        return difference(self.workspace_in(language), before, after)

    def distribution(self, choice: editions.Choice, stale: list[Stale]) -> tuple[editions.Distribution, set[str]]:
        """Plan (or find) the correction distribution of the edition's current build; the
        addresses of its rows no longer to be corrected (corrected since by another copy)."""
        brief, new = self.found.brief, stale[0].new
        dist = correction_id(brief.id, choice.audience, new, self.sender)
        known = self.ledger.distribution(dist)
        created = dt.datetime.fromisoformat(known[0]) if known else self.request.now
        d = editions.Distribution(
            id=dist,
            brief=brief,
            marking=self.found.marking,
            recipients_path=self.ledger.path,
            recipients=[],
            editions={choice: self.found.editions[choice]},
            created=created,
            sender=self.sender,
            out=self.request.root / "out" / "distribution",
        )
        have = {r.email.lower(): r.email for r in self.ledger.rows(dist)} if known else {}
        wanted = {row.email.lower(): row for s in stale for row in s.copies}
        rows = self._rows(d, [row for email, row in wanted.items() if email not in have], len(have))
        if rows:
            check_recipients(self.ledger.path, d.marking, [_recipient(r) for r in rows], self.request.now)
            # The letter renders before any row is recorded. One row is enough: every correction
            # of an edition is the same template, changes and copy, and only the columns the
            # ledger keeps of a recipient (name, address, organisation) differ.
            self._message(d, rows[0], d.editions[choice])
            if known:
                self.ledger.add(rows)
            else:
                marking = rows[0].marking
                self.ledger.plan(dist, brief.id, created.isoformat(), RECIPIENTS, marking, rows)
        return d, {address for email, address in have.items() if email not in wanted}

    def _rows(self, d: editions.Distribution, old: list[Row], before: int) -> list[Row]:
        key = copyid.secret(self.ledger)
        domain = d.sender.rpartition("@")[2] or "localhost"
        marking = json.dumps(d.marking.record(d.created) if d.marking else {}, sort_keys=True)
        sha = hashlib.sha256(d.editions[next(iter(d.editions))]).hexdigest()
        rows = []
        for n, was in enumerate(old, before + 1):
            copy_id = copyid.copy_id(key, d.id, was.email)
            rows.append(
                Row(d.id, was.email, n, was.name, was.organisation, was.audience, n, copy_id,
                    f"<{copy_id}.{d.id}@{domain}>", was.folder, marking, None, State.PLANNED, None, 0,
                    d.created.isoformat(), edition=sha, variant=was.variant, language=was.language,
                    supersedes=was.copy_id)
            )  # fmt: skip
        return rows

    def _message(self, d: editions.Distribution, row: Row, pdf: bytes | None) -> bytes:
        """The correction's message (with *pdf* attached, or the marking's link when too large)."""
        old = self.ledger.by_copy_id(row.supersedes or "")
        if old is None:
            raise DistributionError(f"the copy {row.supersedes} a correction replaces is not in the ledger", d.out)
        choice = choice_of(row, d.brief)
        change = self._difference(old.edition or "", row.edition or "", choice.language)
        sent = dt.datetime.fromisoformat((old.sent_at or old.updated).replace("Z", "+00:00"))
        copy = {"number": row.copy_no, "id": row.copy_id, "date": d.created.date(), "replaces": old.copy_id}
        written = self.brief_in(choice.language)
        # A variant's title is filled from its row ("{name}: AI at a glance" → "Japan: AI at a glance").
        params = next((v.params for v in self.workspace_in(choice.language).variants.get(d.brief.id, [])
                       if v.id == choice.variant), {})  # fmt: skip
        brief = {
            "id": d.brief.id,
            "title": fill(written.title, params),
            "subtitle": fill(written.subtitle or "", params),
            "date": d.brief.date,
            "authors": list(written.authors),
        }
        sent_on = format_date(sent.date(), choice.language)
        values = template_values(_recipient(row), d.marking, brief, copy | {"sent": sent_on})
        # The edition, as any email template sees it: its language is what `| date` writes in.
        edition = {"audience": choice.audience, "variant": choice.variant, "language": choice.language}
        values |= {"edition": edition, "variant": dict(params)}
        values |= {"changes": [c.as_dict() for c in change.figures], "narrative_changed": change.narrative is True}
        letter = _letter(self.request.root, values, d.brief.id, choice.language)
        return copies.sealed(d, row, _recipient(row), choice, letter, pdf)

    def stamp(self, d: editions.Distribution, skipped: set[str]) -> int:
        """Stamp every copy not yet stamped and write its message; the largest message's size."""
        largest = 0
        font: StampFont | None = None
        rows = self.ledger.rows(d.id)
        for row in rows:
            if row.email in skipped:
                continue
            pdf_path, eml = copies.copy_files(d.out, row)
            made = pdf_path.is_file() and eml.is_file() and row.message_sha256 is not None
            if row.state == State.PLANNED or (row.state == State.STAMPED and not made):
                # The font is cut to every stamp of the distribution, so a copy made again is the same bytes.
                language = choice_of(row, d.brief).language
                font = font or copies.font_for(
                    self.request.root,
                    [replace(r, name=f"{r.name} {_stamp(r, d.created, language).rest}") for r in rows],
                    d.created,
                )
                stamp = _stamp(row, d.created, language)
                pdf = stamp_copy(d.editions[choice_of(row, d.brief)], font, stamp, row.copy_id)
                message = self._message(d, row, pdf)
                write_atomic(pdf_path, pdf)
                write_atomic(eml, message)
                self.ledger.stamped(d.id, row.email, hashlib.sha256(pdf).hexdigest())
                if not self.ledger.message(d.id, row.email, message_hash(undated(message))):
                    raise DistributionError(f"another run has changed the row of {row.email}", self.ledger.path)
                largest = max(largest, len(message))
            elif eml.is_file():
                largest = max(largest, eml.stat().st_size)
        return largest


def _started(request: Request, ledger: Ledger, d: editions.Distribution, skipped: set[str]) -> None:
    """A correction send already under way is continued only with ``--resume`` (as ``distribute``)."""
    rows = [r for r in ledger.rows(d.id) if r.email not in skipped]
    waiting = [r for r in rows if r.state in (State.PLANNED, State.STAMPED, State.SENDING)]
    if request.send and waiting and any(r.state in OFFERED for r in rows) and not request.resume:
        raise UsageError(
            f"the corrections {d.id} were sent before ({len(waiting)} of {len(rows)} not accepted yet)",
            hint="add --resume to send the rest (accepted messages are never sent again)",
        )


def correct(request: Request, say: Callable[[str], None]) -> Summary:
    """Find who holds a changed edition; prepare (and with ``request.send``, send) each of
    them one correction. The summary: what changed, for whom, and what was done."""
    if request.send and request.server is None:
        raise UsageError("--send needs a server", hint="give --smtp HOST[:PORT]")
    if request.sender is not None:
        check_sender(request.sender)
    ledger = open_ledger(request.root / "out" / "distribution.sqlite", exclusive=True)
    try:
        found = find(request.root, ledger, request.brief, request.now)
        marking = found.marking
        if request.send and marking is not None and marking.status == "draft" and not request.allow_draft:
            raise UsageError("the brief is marked draft", hint="send a draft only with --allow-draft")
        default = f"distribution@{marking.domains[0] if marking and marking.domains else 'localhost'}"
        corrector = Corrector(request, ledger, found, request.sender or default)
        by_edition: dict[editions.Choice, list[Stale]] = {}
        for s in found.stale:
            by_edition.setdefault(s.choice, []).append(s)
        planned = [corrector.distribution(choice, stale) for choice, stale in sorted(by_edition.items())]
        largest = 0
        for d, skipped in planned:
            _started(request, ledger, d, skipped)
            largest = max(largest, corrector.stamp(d, skipped))
        if request.send:
            for d, skipped in planned:
                send(request, ledger, Prepared(d, largest, frozenset(skipped)), say)
        rows = [r for d, skipped in planned for r in ledger.rows(d.id) if r.email not in skipped]
    finally:
        ledger.close()
    return Summary(",".join(d.id for d, _ in planned), rows, _lines(found, rows, request), largest, request.send)


def _lines(found: Found, rows: list[Row], request: Request) -> list[str]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    done = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to correct"
    lines = describe(found)
    lines.append(("sent: " if request.send else "dry run: ") + done)
    if not request.send and rows:
        lines.append("corrected copies and messages in out/distribution/; send them with --send")
    return lines
