"""``brief figures``: every figure with its value, date, source and where it is used."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from brief.errors import CheckFailed
from brief.pipeline.check import check
from brief.pipeline.citations import short_title
from brief.pipeline.resolve import resolve_figures
from brief.publish.csvcells import safe_cell

COLUMNS = ("id", "value", "as_of", "source", "used_by")


def figure_rows(root: Path, brief_id: str | None) -> list[dict[str, str]]:
    """One row per figure in the workspace; ``used_by`` names ``brief/audience`` pairs."""
    report = check(root, brief_id)
    if report.errors:
        raise CheckFailed(report.sorted())
    ws = report.workspace
    resolved = resolve_figures(ws)
    rows = []
    for fid, fig in resolved.items():
        sources = (
            "; ".join(
                ", ".join(p for p in (short_title(ws.sources[b.source]), b.locator) if p) for b in fig.bases if b.source
            )
            if fig.derivation is None
            else f"calculated: {fig.derivation}"
        )
        used = [
            f"{bid}/{aud}" for bid, audiences in report.usage.items() for aud, figs in audiences.items() if fid in figs
        ]
        rows.append({"id": fid, "value": fig.text(), "as_of": fig.as_of, "source": sources, "used_by": ", ".join(used)})
    return rows


def write_rows(rows: list[dict[str, str]], fmt: str) -> str:
    """Rows as an aligned text table, CSV or JSON."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
        return out.getvalue()
    shown = ("id", "value", "as_of", "used_by")
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in shown}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in shown).rstrip() for r in rows]
    return "\n".join(lines) + "\n"
