"""What the ledger knows: ``brief distribute status`` (a table, CSV or JSON), ``trace`` (whose
copy a PDF is) and ``settle`` (an operator's answer about a message left unknown)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

from brief.distribute.ledger import Row, open_ledger, read_only
from brief.distribute.stamp import copy_id_of
from brief.errors import DistributionError
from brief.publish.csvcells import safe_cell
from brief.workspace.yamlio import invisible_at

LEDGER = Path("out") / "distribution.sqlite"
SHOWN = ("distribution", "line", "name", "email", "audience", "copy_no", "copy_id", "state", "attempts", "reply")


def _shown(cell: str) -> str:
    # A terminal runs escape sequences: a reply (or a name from an older ledger) with control
    # or invisible characters is shown with "?" in their place.
    while (found := invisible_at(cell)) is not None:
        cell = cell[: found[0]] + "?" + cell[found[0] + 1 :]
    return cell


def status(root: Path, fmt: str) -> str:
    """Every row of every distribution, as a table, CSV or JSON."""
    ledger = read_only(root / LEDGER)
    rows: list[Row] = ledger.rows() if ledger else []
    if ledger:
        ledger.close()
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(Row.__dataclass_fields__)
        # Names, organisations and the server's replies come from outside: no cell may be a formula.
        writer.writerows([[safe_cell(v) if isinstance(v, str) else v for v in asdict(r).values()] for r in rows])
        return out.getvalue()
    table = [list(SHOWN)] + [[_shown(str(getattr(r, c) or "")[:40]) for c in SHOWN] for r in rows]
    widths = [min(40, max(len(row[i]) for row in table)) for i in range(len(SHOWN))]
    return "".join(
        "  ".join(cell[:40].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in table
    )


def trace(root: Path, pdf: Path) -> list[str]:
    """Who a stamped copy was made for (from its metadata, or its pages when that was stripped)."""
    copy_id = copy_id_of(pdf)
    if copy_id is None:
        raise DistributionError("no copy ID in this PDF", pdf, hint="trace a copy that brief distribute stamped")
    ledger = read_only(root / LEDGER)
    row = ledger.by_copy_id(copy_id) if ledger else None
    if ledger:
        ledger.close()
    if row is None:
        raise DistributionError(
            f"copy ID {copy_id} is not in this workspace's ledger", pdf, hint="trace it in the workspace that sent it"
        )
    return [
        f"copy ID {copy_id}: copy {row.copy_no} of distribution {row.distribution} ({row.audience})",
        f"prepared for {row.name} <{row.email}>{', ' + row.organisation if row.organisation else ''} "
        f"(recipients line {row.line})",
        f"state: {row.state}{' — ' + row.reply if row.reply else ''}; sha256 {row.sha256}",
    ]


def settle(root: Path, message_id: str, answer: str) -> str:
    """Record what the operator found about a message left ``sending``: ``accepted`` (the
    server's log has it) or ``resend`` (it does not: the next --resume sends it)."""
    ledger = open_ledger(root / LEDGER)
    try:
        row = next((r for r in ledger.rows() if r.message_id == message_id), None)
        if row is None or row.state != "sending":
            raise DistributionError(
                f"no message {message_id} is waiting to be settled", root / LEDGER, hint="see brief distribute status"
            )
        state = "accepted" if answer == "accepted" else "stamped"
        ledger.settle(row.distribution, row.email, state, f"settled by hand: {answer}")
    finally:
        ledger.close()
    return f"{row.email}: {state}"
