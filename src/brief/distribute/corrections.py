"""``brief distribute corrections``: who holds an edition whose printed text has changed since.

Every recipient's latest accepted copy of an edition (brief, audience, variant, language) is
compared with the current build of that edition by what each prints, as the builds recorded it
in ``out/editions/`` (:mod:`brief.publish.printed`): each figure's printed text and a digest of
the narrative. A rebuild that changed only bytes or inputs (a new font version, a reordered
data file) changes nothing a reader sees, and corrects nobody; a figure only the technical
edition prints corrects only the technical edition's readers. Sending is in
:mod:`brief.distribute.correcting`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brief.distribute import editions as editions_of
from brief.distribute.editions import Choice
from brief.distribute.ledger import Ledger, Row
from brief.distribute.states import State
from brief.model.counting import counted
from brief.model.language import DEFAULT, caption
from brief.model.marking import Marking
from brief.model.schema import Brief
from brief.pipeline.citations import short_title
from brief.pipeline.resolve import pick_brief
from brief.publish import printed
from brief.workspace.load import Workspace, load_workspace

NOT_PRINTED = "(not printed)"


@dataclass(frozen=True)
class Changed:
    """A figure whose printed text differs between a recipient's copy and the current build."""

    figure: str
    label: str
    old: tuple[str, ...]  # every text the old edition printed it as (empty: it did not print it)
    new: tuple[str, ...]
    source: str  # where the new value comes from

    @property
    def before(self) -> str:
        """What the old copy printed, in one line."""
        return "; ".join(self.old) or NOT_PRINTED

    @property
    def after(self) -> str:
        """What the current edition prints, in one line."""
        return "; ".join(self.new) or NOT_PRINTED

    def as_dict(self) -> dict[str, str]:
        """What an email template sees of it: the old and the new text each in its fullest
        form (a figure printed as "276,300 robots" in the text and "276,300" in a chart's
        label reads "276,300 robots" in a letter, not both)."""
        return {
            "figure": self.figure,
            "label": self.label,
            "old": max(self.old, key=len, default=NOT_PRINTED),
            "new": max(self.new, key=len, default=NOT_PRINTED),
            "source": self.source,
        }


@dataclass(frozen=True)
class Difference:
    """What changed between two editions of the same brief and audience."""

    figures: tuple[Changed, ...]
    narrative: bool | None  # None: an edition built before narratives were recorded

    @property
    def changed(self) -> bool:
        """Whether a reader would see it: a figure's text, or the narrative."""
        return bool(self.figures) or self.narrative is True


@dataclass
class Stale:
    """One changed edition: the copies of it that are out of date, and what changed."""

    choice: Choice  # the edition: audience, variant, language
    old: str  # the SHA-256 of the edition the copies were stamped from
    new: str  # of the current build
    difference: Difference
    copies: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """Everything ``corrections`` found for one brief."""

    brief: Brief
    marking: Marking | None
    editions: dict[Choice, bytes]  # the current build of each edition a recipient holds
    stale: list[Stale]
    current: int  # recipients whose copy is the current build, or prints the same
    unjudged: int  # copies of editions whose printed text was not recorded, or no longer built


def difference(ws: Workspace, old: dict[str, Any], new: dict[str, Any]) -> Difference:
    """What *new* (a kept edition's record) prints differently from *old*, with each figure's
    label and source in the language *ws* was read in."""
    changed = []
    for fid in dict.fromkeys([*old["printed"], *new["printed"]]):
        before, after = tuple(old["printed"].get(fid, ())), tuple(new["printed"].get(fid, ()))
        if before != after:
            figure = ws.figures.get(fid)
            label = figure.label if figure else fid
            changed.append(Changed(fid, label, before, after, _source(ws, fid, ws.language or DEFAULT)))
    was, now = old.get(printed.NARRATIVE), new.get(printed.NARRATIVE)
    return Difference(tuple(changed), None if not was or not now else was != now)


def _source(ws: Workspace, figure_id: str, language: str) -> str:
    """Where a figure's value comes from, as a reader would cite it."""
    figure = ws.figures.get(figure_id)
    if figure is None:
        return ""
    if figure.derive is not None:
        inputs = [ws.figures[f].label if f in ws.figures else f for f in figure.derive.of]
        joined = (
            inputs[0] if len(inputs) == 1 else caption("{a} and {b}", language, a=", ".join(inputs[:-1]), b=inputs[-1])
        )
        return caption("calculated from {inputs}", language, inputs=joined)
    if figure.source is None or figure.source not in ws.sources:
        return ""
    return ", ".join(p for p in (short_title(ws.sources[figure.source]), figure.locator) if p)


def latest(ledger: Ledger, brief: str) -> list[Row]:
    """Each recipient's last accepted copy of each edition of *brief* (an address in any case
    is one recipient): the copy a correction would replace."""
    briefs = ledger.distributions()
    last: dict[tuple[str, str, str, str], Row] = {}
    for row in ledger.rows():
        if row.state != State.ACCEPTED or briefs.get(row.distribution) != brief:
            continue
        key = (row.email.lower(), row.audience, row.variant or "", row.language or "")
        held = last.get(key)
        if held is None or (row.sent_at or row.updated) >= (held.sent_at or held.updated):
            last[key] = row
    return list(last.values())


def find(root: Path, ledger: Ledger, brief_id: str | None, now: dt.datetime) -> Found:
    """Every accepted copy of the brief that the current builds correct, grouped by edition."""
    ws = load_workspace(root)
    brief = pick_brief(ws, brief_id)
    copies = latest(ledger, brief.id)
    # An edition the brief no longer has (an audience, variant or language taken out) is not judged.
    variants = {v.id for v in ws.variants.get(brief.id, [])}
    held = [(r, choice_of(r, brief)) for r in copies]
    held = [
        (r, c)
        for r, c in held
        if c.audience in brief.audiences
        and (c.variant in variants if variants else not c.variant)
        and c.language in brief.editions_languages
    ]
    editions = {c: editions_of.built(root, brief, c, now) for c in sorted({c for _, c in held})}
    shas = {choice: hashlib.sha256(pdf).hexdigest() for choice, pdf in editions.items()}
    kept: Callable[[str], dict[str, Any] | None] = _cached(root / "out")
    # Each figure's label and source as the edition's language writes them (each language read once).
    written = {lang: load_workspace(root, language=lang) for lang in {c.language for _, c in held}}
    stale: dict[tuple[Choice, str], Stale] = {}
    current, unjudged = 0, len(copies) - len(held)
    for row, choice in held:
        new = shas[choice]
        if row.edition == new:
            current += 1
            continue
        old_record, new_record = kept(row.edition or ""), kept(new)
        if old_record is None or new_record is None:
            unjudged += 1
            continue
        key = (choice, row.edition or "")
        if key not in stale:
            change = difference(written.get(choice.language, ws), old_record, new_record)
            stale[key] = Stale(choice, row.edition or "", new, change)
        if stale[key].difference.changed:
            stale[key].copies.append(row)
        else:
            current += 1
    changed = [s for s in stale.values() if s.copies]
    return Found(brief, brief.distribution, editions, changed, current, unjudged)


def choice_of(row: Row, brief: Brief) -> Choice:
    """The edition a ledger row's copy was made from (a row from before editions had a
    language: the brief's first)."""
    return Choice(row.audience, row.variant or "", row.language or brief.editions_languages[0])


def _cached(out: Path) -> Callable[[str], dict[str, Any] | None]:
    """:func:`brief.publish.printed.edition`, each edition read once."""
    seen: dict[str, dict[str, Any] | None] = {}

    def kept(sha: str) -> dict[str, Any] | None:
        if sha not in seen:
            seen[sha] = printed.edition(out, sha)
        return seen[sha]

    return kept


def describe(found: Found) -> list[str]:
    """The dry run's list: each changed edition, what changed in it, and who holds it."""
    people = sum(len(s.copies) for s in found.stale)
    lines = [
        f"corrections for {found.brief.id}: {counted(len(found.stale), 'edition')} changed, "
        f"{counted(people, 'recipient')} to correct"
    ]
    for s in found.stale:
        held = counted(len(s.copies), "recipient")
        lines.append(f"{s.choice} edition ({s.choice.language}) {s.old[:8]} → {s.new[:8]}: {held}")
        for c in s.difference.figures:
            source = f" (source: {c.source})" if c.source else ""
            lines.append(f"  {c.figure}: {c.before} → {c.after}{source}")
        narrative = {True: "changed", False: "unchanged", None: "not recorded for the older edition"}
        lines.append(f"  narrative: {narrative[s.difference.narrative]}")
        for row in s.copies:
            sent = (row.sent_at or row.updated)[:16].replace("T", " ")
            lines.append(f"    {row.name} <{row.email}>, copy {row.copy_id}, sent {sent} UTC")
    if found.current:
        holds = "holds" if found.current == 1 else "hold"  # the verb agrees: "1 holds", "2 hold"
        lines.append(f"unchanged: {found.current} {holds} an edition that prints what the current build prints")
    if found.unjudged:
        lines.append(
            f"not judged: {counted(found.unjudged, 'copy', 'copies')} (of editions built before their printed "
            "figures were kept, or that the brief no longer has)"
        )
    return lines
