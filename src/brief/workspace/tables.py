"""Figures kept in a spreadsheet: ``data/figures/*.csv``, one figure per row.

The header names figure fields (``id,label,value,unit,as_of,source,locator`` and optionally
``note``, ``decimals``, ``claimed_by``, ``quantity``, ``preferred``, ``historic``); an empty cell is an
absent field. Every problem names the file and the line (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from brief.errors import BriefError, DataError
from brief.model.counting import counted
from brief.model.schema import Figure
from brief.model.units import MAX_VALUE_TEXT, UNITS, Unit, Written
from brief.workspace.hidden import check_text
from brief.workspace.messages import explain
from brief.workspace.yamlio import MAX_DIGITS, read_text

REQUIRED = ("id", "label", "value", "unit", "as_of", "source", "locator")
OPTIONAL = ("note", "decimals", "claimed_by", "quantity", "preferred", "historic")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


def _number(text: str, column: str, path: Path, line: int) -> int | float:
    cleaned = text.strip()
    if len(cleaned) > MAX_DIGITS:
        raise DataError(
            f"{column}: a number {len(cleaned):,} characters long",
            path,
            line,
            hint=f"figure values are below {MAX_VALUE_TEXT} in size; write a smaller unit",
        )
    if _INT.match(cleaned):
        return int(cleaned)
    if _FLOAT.match(cleaned):
        return Written(cleaned)  # keeps the decimals as written: 20.0 prints "20.0"
    raise DataError(
        f"{column}: {text!r} is not a number",
        path,
        line,
        hint="write plain numbers: 276300 or 17.5, no units, commas or % signs",
    )


def read_figures_csv(
    path: Path, root: Path | None = None, units: Mapping[str, Unit] = UNITS
) -> tuple[list[tuple[int, Figure]], list[BriefError]]:
    """The figures in a CSV file with their lines, and every problem found (only a regular
    file inside *root*, the workspace, when given, is read; figures may use *units*)."""
    problems: list[BriefError] = []
    reader = csv.reader(io.StringIO(read_text(path, root=root), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        return [], [DataError(f"CSV error: {exc}", path, 1)]
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        what = "; ".join(
            p
            for p in (
                f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}" if missing else "",
                f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}" if unknown else "",
            )
            if p
        )
        return [], [DataError(what, path, 1, hint=f"the header names fields: {', '.join(REQUIRED + OPTIONAL)}")]
    figures: list[tuple[int, Figure]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    DataError(
                        f"row has {counted(len(row), 'cell')}, the header has {len(header)}",
                        path,
                        line,
                        hint="check for a missing or extra comma (quote cells that contain one)",
                    )
                )
                continue
            fields: dict[str, Any] = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip()}
            try:
                for cell in fields.values():
                    check_text(cell, path, line)
                for column in ("value", "decimals"):
                    if column in fields:
                        fields[column] = _number(fields[column], column, path, line)
                figures.append((line, Figure.model_validate(fields, context={"units": units})))
            except BriefError as exc:
                problems.append(exc)
            except ValidationError as exc:
                problems += [DataError(message, path, line) for _, message in explain(exc.errors(), Figure)]
    except csv.Error as exc:
        problems.append(DataError(f"CSV error: {exc}", path, reader.line_num))
    return figures, problems
