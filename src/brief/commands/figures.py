"""``brief figures``: every figure with its value, unit, date, source and where it is used.

CSV and JSON are for spreadsheets: the raw number (``value``), its ``unit`` and the text a
brief prints (``printed_as``) are separate columns, and numbers carry no float noise.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from brief.errors import CheckFailed
from brief.model.language import DEFAULT, caption
from brief.model.units import raw_number
from brief.pipeline.check import check
from brief.pipeline.citations import short_title
from brief.pipeline.resolve import pick_brief, resolve_figures
from brief.publish.csvcells import safe_cell

COLUMNS = ("id", "label", "value", "unit", "printed_as", "as_of", "source", "used_by")
# The text table is for reading: the printed value stands for value and unit.
TABLE = ("id", "printed_as", "as_of", "source", "used_by")


def figure_rows(root: Path, brief_id: str | None) -> list[dict[str, str]]:
    """One row per figure: every figure of the workspace, or with *brief_id* only those that
    brief uses (``used_by`` names ``brief/audience`` pairs), printed as that brief prints them
    (in its first language)."""
    report = check(root, brief_id)
    if report.errors:
        raise CheckFailed(report.sorted())
    ws = report.workspace
    language = pick_brief(ws, brief_id).language if brief_id else DEFAULT
    resolved = resolve_figures(ws, language)
    rows = []
    for fid, fig in resolved.items():
        sources = (
            "; ".join(
                ", ".join(p for p in (short_title(ws.sources[b.source]), b.locator) if p) for b in fig.bases if b.source
            )
            if fig.derivation is None
            else caption("calculated: {derivation}", language, derivation=fig.derivation)
        )
        used = [
            f"{bid}/{aud}" for bid, audiences in report.usage.items() for aud, figs in audiences.items() if fid in figs
        ]
        if brief_id is not None and not used:
            continue
        rows.append(
            {
                "id": fid,
                "label": fig.label,
                "value": raw_number(fig.value),
                "unit": fig.unit,
                "printed_as": fig.text(),
                "as_of": fig.as_of,
                "source": sources,
                "used_by": ", ".join(used),
            }
        )
    return rows


def write_rows(rows: list[dict[str, str]], fmt: str) -> str:
    """Rows as an aligned text table, CSV or JSON (where ``value`` is a JSON number)."""
    if fmt == "json":
        numbers: list[dict[str, Any]] = [{**row, "value": json.loads(row["value"])} for row in rows]
        return json.dumps(numbers, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
        return out.getvalue()
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in TABLE}
    lines = ["  ".join(c.ljust(widths[c]) for c in TABLE).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in TABLE).rstrip() for r in rows]
    return "\n".join(lines) + "\n"
