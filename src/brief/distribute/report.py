"""What the ledger knows: ``brief distribute status`` (a table, CSV or JSON), ``trace`` (whose
copy a PDF is), ``impact`` (which accepted copies printed a figure) and ``settle`` (an
operator's answer about a message left unknown)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from brief.distribute.ledger import Row, open_ledger, read_only
from brief.distribute.stamp import read_copy
from brief.distribute.states import OFFERED, State
from brief.errors import BriefError, DistributionError, UsageError
from brief.model.counting import counted
from brief.publish import printed
from brief.publish.csvcells import safe_cell
from brief.workspace.hidden import invisible_at
from brief.workspace.load import load_workspace, nearest

LEDGER = Path("out") / "distribution.sqlite"
COPY_ID = re.compile(r"[0-9a-f]{12}")
# The table's columns: who got which copy of which edition, when, and from which kind of run.
SHOWN = ("distribution", "brief", "edition", "name", "email", "copy_id", "state", "sent_at", "run", "reply")
# The export's columns (CSV and JSON): the ledger's, with the brief and the kind of run.
EXPORTED = (
    "distribution", "brief", "audience", "variant", "language", "edition", "name", "email", "organisation",
    "line", "copy_no", "copy_id", "state", "sent_at", "dry_run", "reply", "attempts", "message_id", "folder",
    "marking", "sha256", "message_sha256", "updated", "supersedes",
)  # fmt: skip


def _shown(cell: str) -> str:
    # A terminal runs escape sequences: a reply (or a name from an older ledger) with control
    # or invisible characters is shown with "?" in their place.
    while (found := invisible_at(cell)) is not None:
        cell = cell[: found[0]] + "?" + cell[found[0] + 1 :]
    return cell


@dataclass(frozen=True)
class Filter:
    """Which rows ``status`` shows: of one brief, one address (whatever its case), one state."""

    brief: str | None = None
    email: str | None = None
    state: str | None = None

    def keeps(self, row: Row, brief: str) -> bool:
        """Whether *row* (of a distribution of *brief*) is shown."""
        return (
            (self.brief is None or brief == self.brief)
            and (self.email is None or row.email.lower() == self.email.lower())
            and (self.state is None or row.state == self.state)
        )


def _records(rows: list[Row], briefs: dict[str, str], keep: Filter) -> list[dict[str, object]]:
    """One record per row kept, with its brief, when it was last offered to the server (UTC:
    handed over, or else — refused at its envelope, or in a ledger of schema 2 — the server's
    answer) and whether its distribution was only a dry run (no row of it ever offered)."""
    sent = {r.distribution for r in rows if r.state in OFFERED or r.sent_at}
    records = []
    for row in rows:
        brief = briefs.get(row.distribution, "")
        if not keep.keeps(row, brief):
            continue
        record: dict[str, object] = {**asdict(row), "brief": brief, "dry_run": row.distribution not in sent}
        record["sent_at"] = row.sent_at or (row.updated if row.state in OFFERED else None)
        record["marking"] = json.loads(row.marking) if row.marking else {}
        records.append({column: record[column] for column in EXPORTED})
    return records


def _cell(record: dict[str, object], column: str) -> str:
    """A record's value as the table shows it."""
    if column == "run":
        return "dry run" if record["dry_run"] else "sent"
    value = record[column]
    if column == "edition":
        parts = (record["audience"], record["variant"], record["language"], str(value or "")[:8])
        return " ".join(str(p) for p in parts if p)
    if column == "sent_at":
        return f"{str(value)[:19].replace('T', ' ')} UTC" if value else ""
    return str(value or "")


def status(root: Path, fmt: str, keep: Filter | None = None) -> str:
    """The rows of every distribution (those *keep* keeps), as a table, CSV or JSON."""
    ledger = read_only(root / LEDGER)
    rows: list[Row] = ledger.rows() if ledger else []
    briefs = ledger.distributions() if ledger else {}
    if ledger:
        ledger.close()
    records = _records(rows, briefs, keep or Filter())
    if fmt == "json":
        return json.dumps(records, indent=2) + "\n"
    if fmt == "csv":
        return _csv_text(EXPORTED, [[_csv_value(v) for v in r.values()] for r in records])
    return _table_text(SHOWN, [[_shown(_cell(r, c)[:40]) for c in SHOWN] for r in records])


def _csv_text(header: Sequence[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    # Names, organisations and the server's replies come from outside: no cell may be a formula.
    writer.writerows([[safe_cell(v) if isinstance(v, str) else v for v in row] for row in rows])
    return out.getvalue()


def _table_text(header: Sequence[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell (cells are cut to 40 characters by the caller)."""
    table = [list(header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in table)


def _csv_value(value: object) -> object:
    # The marking is an object in JSON; in a CSV cell it is its JSON text, checked like any text.
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value


@dataclass(frozen=True)
class Traced:
    """What a trace found, as lines to print, and whether it names a recipient."""

    lines: list[str]
    named: bool


def trace(root: Path, pdf: Path) -> Traced:
    """Whose copy *pdf* is. Every copy ID in it is reported: the document information's and
    each page's stamp. A recipient is named only when the file is byte for byte a copy the
    ledger recorded, or when every page carries the same one stamp and the document
    information (if any) agrees; otherwise the trace says what it found and names nobody."""
    found = read_copy(pdf)
    meta = found.metadata if found.metadata is None or COPY_ID.fullmatch(found.metadata) else None
    ids = list(dict.fromkeys([*([meta] if meta else []), *(i for page in found.pages for i in page)]))
    if not ids and found.metadata is None:
        raise DistributionError("no copy ID in this PDF", pdf, hint="trace a copy that brief distribute stamped")
    ledger = read_only(root / LEDGER)
    rows = ledger.rows() if ledger else []
    if ledger:
        ledger.close()
    by_id = {r.copy_id: r for r in rows}
    lines = [f"document information: {_metadata_shown(found.metadata)}", *_pages(found.pages)]
    same = next((r for r in rows if r.sha256 == found.sha256), None)
    stamps = {tuple(page) for page in found.pages}
    agree = len(stamps) == 1 and len(found.pages[0]) == 1 and meta in (None, found.pages[0][0])
    agree = agree and (found.metadata is None or meta is not None)
    if same is None and not agree:
        several = len({i for page in found.pages for i in page}) > 1 and all(len(p) == 1 for p in found.pages)
        lines.append(
            "several copies: the pages carry different copy IDs"
            if several and meta in (None, *(i for p in found.pages for i in p))
            else "inconsistent: the copy IDs in this file do not agree"
        )
        lines += [f"copy ID {i}: {_where(by_id.get(i))}" for i in ids]
        lines.append(f"the file is no copy the ledger recorded byte for byte (sha256 {found.sha256})")
        lines.append("no recipient is named: the evidence does not agree")
        return Traced(lines, named=False)
    row = same or by_id.get(ids[0])
    if row is None:
        raise DistributionError(
            f"copy ID {ids[0]} is not in this workspace's ledger", pdf, hint="trace it in the workspace that sent it"
        )
    lines += [
        f"copy ID {row.copy_id}: {_where(row)}",
        "the file is byte for byte the copy recorded in the ledger"
        if same
        else f"the file is not the copy recorded in the ledger (sha256 {found.sha256}, recorded {row.sha256}); "
        "its stamps and document information agree",
        f"prepared for {row.name} <{row.email}>{', ' + row.organisation if row.organisation else ''} "
        f"(recipients line {row.line})",
        f"state: {row.state}{' — ' + row.reply if row.reply else ''}",
    ]
    return Traced(lines, named=True)


def trace_id(root: Path, copy_id: str) -> Traced:
    """Whose copy carries *copy_id*, read off a printed page, a scan or a photo (where no PDF
    is left to read): the ledger's row of that copy."""
    wanted = copy_id.strip().lower()
    if not COPY_ID.fullmatch(wanted):
        raise UsageError(
            f"{copy_id!r} is not a copy ID", hint="a copy ID is 12 characters, 0-9 and a-f, as stamped on every page"
        )
    ledger = read_only(root / LEDGER)
    row = ledger.by_copy_id(wanted) if ledger else None
    if ledger:
        ledger.close()
    if row is None:
        raise DistributionError(
            f"copy ID {wanted} is not in this workspace's ledger",
            root / LEDGER,
            hint="check each character against the page, or trace it in the workspace that sent it",
        )
    lines = [
        f"copy ID {row.copy_id}: {_where(row)}",
        f"prepared for {row.name} <{row.email}>{', ' + row.organisation if row.organisation else ''} "
        f"(recipients line {row.line})",
        f"state: {row.state}{' — ' + row.reply if row.reply else ''}",
        "the ID was given, not read from a file: whether the page is unaltered cannot be told",
    ]
    return Traced([_shown(line) for line in lines], named=True)


def _metadata_shown(metadata: str | None) -> str:
    if metadata is None:
        return "no copy ID"
    return f"copy ID {metadata}" if COPY_ID.fullmatch(metadata) else f"{metadata!r} (not a copy ID)"


def _where(row: Row | None) -> str:
    return f"copy {row.copy_no} of distribution {row.distribution} ({row.audience})" if row else "not in this ledger"


def _pages(pages: list[list[str]]) -> list[str]:
    """One line per run of pages that carry the same stamps: ``pages 1-4: copy ID …``."""
    lines: list[str] = []
    start = 0
    for n in range(1, len(pages) + 1):
        if n == len(pages) or pages[n] != pages[start]:
            span = f"page {start + 1}" if n == start + 1 else f"pages {start + 1}-{n}"
            ids = pages[start]
            said = "no stamp" if not ids else ", ".join(f"copy ID {i}" for i in ids)
            lines.append(f"{span}: {said}{' (several stamps on one page)' if len(ids) > 1 else ''}")
            start = n
    return lines


def forget(root: Path, dist: str) -> str:
    """Remove a distribution that never handed a message to a server (its rows and its copies
    in ``out/distribution/``): a dry run not wanted, or a run whose checks failed. One that did
    hand something over is kept, as the record of what was sent."""
    from brief.distribute.copies import copy_files

    ledger = open_ledger(root / LEDGER, exclusive=True)
    try:
        found = [d for d in ledger.distributions() if d.startswith(dist.lower())] if len(dist) >= 8 else []
        if len(found) != 1:
            raise DistributionError(
                f"no distribution {dist} in the ledger" if not found else f"{dist} names {len(found)} distributions",
                root / LEDGER,
                hint="give its ID (at least 8 characters) as brief distribute status shows it",
            )
        rows = ledger.rows(found[0])
        ledger.forget(found[0])
    finally:
        ledger.close()
    for row in rows:
        for path in copy_files(root / "out" / "distribution", row):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when no other distribution's copy is in the folder
    copies = "its copy" if len(rows) == 1 else "their copies"
    return (
        f"distribution {found[0]} forgotten: {counted(len(rows), 'row')} and {copies} removed (nothing had been sent)"
    )


def settle(root: Path, message_id: str, answer: str) -> str:
    """Record what the operator found about a message left ``sending``: ``accepted`` (the
    server's log has it) or ``resend`` (it does not: the next --resume sends it)."""
    ledger = open_ledger(root / LEDGER)
    try:
        row = next((r for r in ledger.rows() if r.message_id == message_id), None)
        if row is None or row.state != State.SENDING:
            raise DistributionError(
                f"no message {message_id} is waiting to be settled", root / LEDGER, hint="see brief distribute status"
            )
        state = State.ACCEPTED if answer == "accepted" else State.STAMPED
        ledger.settle(row.distribution, row.email, state, f"settled by hand: {answer}")
    finally:
        ledger.close()
    return f"{row.email}: {state}"


# ``impact``'s columns (CSV and JSON); the table shows the recipient, the edition, when and what.
IMPACTED = (
    "name", "email", "organisation", "brief", "audience", "variant", "language", "edition", "distribution",
    "copy_id", "sent_at", "printed",
)  # fmt: skip
IMPACT_SHOWN = ("name", "email", "edition", "sent_at", "printed")


@dataclass(frozen=True)
class Impact:
    """What ``impact`` prints, and notes about copies it cannot judge (for stderr)."""

    text: str
    notes: list[str]


def impact(root: Path, figure_id: str, fmt: str) -> Impact:
    """Every accepted copy whose edition printed *figure_id*: who, which edition, when sent and
    as what text (from ``out/editions/``, kept per edition, so a rebuild does not change what
    an older copy printed). Raises :class:`~brief.errors.UsageError` for a figure neither the
    workspace nor any kept edition knows."""
    ledger = read_only(root / LEDGER)
    rows = [r for r in (ledger.rows() if ledger else []) if r.state == State.ACCEPTED]
    if ledger:
        ledger.close()
    editions = {sha: printed.edition(root / "out", sha) for sha in dict.fromkeys(r.edition or "" for r in rows)}
    known = {fid for kept in editions.values() if kept for fid in kept["printed"]} | _workspace_figures(root)
    if figure_id not in known:
        raise UsageError(f"unknown figure {figure_id!r}", hint=nearest(figure_id, dict.fromkeys(known)))
    records, unknown = [], 0
    for row in rows:
        kept = editions[row.edition or ""]
        if kept is None:
            unknown += 1
        elif figure_id in kept["printed"]:
            record = {**asdict(row), **{k: kept[k] for k in ("brief", "audience", "variant")}}
            records.append({c: record.get(c) for c in IMPACTED} | {"printed": kept["printed"][figure_id]})
    are = "copy is of an edition" if unknown == 1 else "copies are of editions"
    notes = [f"{unknown} accepted {are} whose printed figures were not recorded"] if unknown else []
    if not records and fmt == "table":
        return Impact(f"no accepted copy printed {figure_id}\n", notes)
    return Impact(_impact_text(records, fmt), notes)


def _workspace_figures(root: Path) -> set[str]:
    """The ids of the workspace's figures (none when it cannot be loaded: the kept editions still say)."""
    try:
        return set(load_workspace(root).figures)
    except BriefError:
        return set()


def _impact_text(records: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(records, indent=2) + "\n"
    if fmt == "csv":
        return _csv_text(IMPACTED, [["; ".join(v) if isinstance(v, list) else v for v in r.values()] for r in records])
    rows = []
    for r in records:
        shown = {**r, "printed": "; ".join(r["printed"]) if isinstance(r["printed"], list) else ""}
        rows.append([_shown(_cell(shown, c)[:40]) for c in IMPACT_SHOWN])
    return _table_text(IMPACT_SHOWN, rows)
