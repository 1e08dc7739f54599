"""Finding a distribution's editions: which edition each recipient gets (its audience, variant
and language, :func:`edition_for`), the built PDF of each, checked against the manifest and the
current inputs, and the ledger's ``planned`` rows. Making the copies is :mod:`copies`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from brief.distribute import copyid
from brief.distribute.ledger import Ledger, Row
from brief.distribute.states import State
from brief.errors import DataError, DistributionError
from brief.model.marking import Marking, Recipient
from brief.model.request import named_language, output_name
from brief.model.schema import Brief
from brief.model.variants import Variant
from brief.publish.manifest import read_manifest, recorded
from brief.publish.verify import verify
from brief.workspace.recipients import unknown_cell


@dataclass(frozen=True, order=True)
class Choice:
    """Which edition of the brief a recipient gets: audience, variant (its id, or empty for a
    brief without ``for_each``) and language (a BCP 47 tag)."""

    audience: str
    variant: str = ""
    language: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.audience, self.variant) if p)


@dataclass(frozen=True)
class Distribution:
    """One brief sent to one recipients file: what every copy is made from."""

    id: str
    brief: Brief
    marking: Marking | None
    recipients_path: Path
    recipients: list[Recipient]
    editions: dict[Choice, bytes]  # each edition a recipient gets: its built PDF
    created: dt.datetime
    sender: str
    out: Path
    chosen: dict[str, Choice] = field(default_factory=dict)  # address → its edition (else the audience's)
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # variant id → its parameters
    # The brief as read in each other language an edition is sent in (its title, subtitle).
    localised: Mapping[str, Brief] = field(default_factory=dict)

    def brief_in(self, language: str) -> Brief:
        """The brief's texts in *language* (the brief itself for its first language)."""
        return self.localised.get(language, self.brief)

    def choice(self, recipient: Recipient) -> Choice:
        """The edition *recipient* gets."""
        return self.chosen.get(recipient.email) or Choice(recipient.audience, "", self.brief.language)


def languages(brief: Brief) -> list[str]:
    """The languages the brief is built in: its ``languages``, else its one ``language``."""
    return brief.editions_languages


def edition_for(recipient: Recipient, brief: Brief, variants: Sequence[Variant], path: Path) -> Choice:
    """The edition *recipient* gets, from the row's ``audience``, ``variant`` and ``language``
    cells; a :class:`DataError` at the row's line when the brief has no such edition. (The
    reader of the recipients file has checked the audience.)"""
    ids = [v.id for v in variants]
    if recipient.variant and not ids:
        raise DataError(
            f"the brief has no variants, but the row names variant {recipient.variant!r}",
            path,
            recipient.line,
            hint="leave the variant cell empty for a brief without for_each",
        )
    if ids and recipient.variant not in ids:
        if not recipient.variant:
            raise DataError(
                "the brief has one edition per variant (for_each): the row names none",
                path,
                recipient.line,
                hint=f"write one of its variants in the row's variant column: {', '.join(sorted(ids))}",
            )
        raise unknown_cell(path, recipient.line, "variant", recipient.variant, ids)
    written = languages(brief)
    cell = recipient.language.lower()
    # The tag as written (any case), or a bare language for the brief's one tag of it ("de": de-DE).
    language = next((t for t in written if t.lower() == cell), None) or next(
        (t for t in written if "-" not in cell and t.split("-")[0].lower() == cell), None
    )
    if recipient.language and language is None:
        raise unknown_cell(path, recipient.line, "language", recipient.language, written, " (or leave the cell empty)")
    return Choice(recipient.audience, recipient.variant, language or written[0])


def pdf_name(brief: Brief, choice: Choice) -> str:
    """The built PDF of the edition, as the build names it in out/."""
    language = named_language(choice.language, brief.editions_languages)
    return output_name(brief.id, choice.audience, variant=choice.variant, language=language)


def built(root: Path, brief: Brief, choice: Choice, now: dt.datetime) -> bytes:
    """The built PDF of the edition, checked against the manifest and the current inputs."""
    pdf = root / "out" / pdf_name(brief, choice)
    hint = f"build every audience first: brief build {brief.id} --all"
    if not pdf.is_file() or not (root / "out" / "manifest.json").is_file():
        raise DistributionError(f"{str(choice)!r} has not been built", pdf, hint=hint)
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


def distribution_id(brief: Brief, recipients_file: bytes, editions: dict[Choice, bytes], sender: str) -> str:
    """The same for the same brief, marking, editions, recipients file and sender (so a resumed
    run, or a send after a dry run, finds its rows and messages); anything else is a new one."""
    h = hashlib.sha256(f"{brief.id}\0{sender.lower()}\0".encode())
    h.update((brief.distribution.model_dump_json() if brief.distribution else "").encode())
    for choice in sorted(editions):
        # An edition without a variant is named by its audience alone, as before variants
        # could be distributed: a ledger's distributions keep their IDs.
        name = choice.audience + (f"\0{choice.variant}" if choice.variant else "")
        h.update(f"\0{name}\0{hashlib.sha256(editions[choice]).hexdigest()}".encode())
    h.update(b"\0" + hashlib.sha256(recipients_file).digest())
    return h.hexdigest()[:16]


def edition_hashes(d: Distribution) -> dict[Choice, str]:
    """Each edition as the ledger knows it: the SHA-256 of the built PDF, before stamping."""
    return {choice: hashlib.sha256(pdf).hexdigest() for choice, pdf in d.editions.items()}


# Latin letters that are not a base letter and an accent, so NFKD leaves them as they are.
_LETTERS = str.maketrans({"ß": "ss", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE",
                          "œ": "oe", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i"})  # fmt: skip


def _latin(name: str) -> str:
    """*name* with its accents taken off ("Chloé" → "Chloe", "Müller" → "Muller"), for a folder name."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.translate(_LETTERS)


def folders(recipients: list[Recipient]) -> dict[str, str]:
    """Each recipient's folder under out/distribution/: the name in lower case, its accents
    taken off; a name two recipients share gets the row's line."""
    # Counted once, not searched per row: 100,000 recipients must not take minutes to plan.
    slugs = {r.email: re.sub(r"[^a-z0-9]+", "-", _latin(r.name).lower()).strip("-") or "recipient" for r in recipients}
    taken: dict[str, int] = {}
    for slug in slugs.values():
        taken[slug] = taken.get(slug, 0) + 1
    lines = {r.email: r.line for r in recipients}
    return {e: s if taken[s] == 1 else f"{s}-{lines[e]}" for e, s in slugs.items()}


def planned_rows(d: Distribution, ledger: Ledger) -> list[Row]:
    """A ``planned`` ledger row for each recipient: copy number, copy ID (keyed with the
    ledger's secret, see :mod:`brief.distribute.copyid`), Message-ID, folder, edition."""
    key = copyid.secret(ledger)
    domain = d.sender.rpartition("@")[2] or "localhost"
    marking = json.dumps(d.marking.record(d.created) if d.marking else {}, sort_keys=True)
    folder = folders(d.recipients)
    editions = edition_hashes(d)
    rows = []
    for n, r in enumerate(d.recipients, 1):
        copy_id = copyid.copy_id(key, d.id, r.email)
        choice = d.choice(r)
        rows.append(
            Row(
                distribution=d.id,
                email=r.email,
                line=r.line,
                name=r.name,
                organisation=r.organisation,
                audience=r.audience,
                copy_no=n,
                copy_id=copy_id,
                message_id=f"<{copy_id}.{d.id}@{domain}>",
                folder=folder[r.email],
                marking=marking,
                sha256=None,
                state=State.PLANNED,
                reply=None,
                attempts=0,
                updated=d.created.isoformat(),
                edition=editions[choice],
                variant=choice.variant or None,
                language=choice.language,
            )
        )
    return rows


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
