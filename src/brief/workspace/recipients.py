"""Read a recipients CSV (``name,email,organisation,audience`` and any other columns) into
:class:`~brief.model.marking.Recipient` rows, each problem reported with its line."""

from __future__ import annotations

import csv
import io
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from pydantic import ValidationError

from brief.errors import DataError
from brief.model.marking import Recipient

REQUIRED = ("name", "email", "organisation", "audience")
MAX_BYTES = 20 * 1024 * 1024


def _address_problem(text: str) -> str | None:
    if not text or any(c in text for c in ' ,;<>"\r\n'):
        return f"{text!r} is not one e-mail address"
    try:
        address = Address(addr_spec=text)
    except (ValueError, HeaderParseError, IndexError):
        return f"{text!r} is not an e-mail address"
    if not address.username or "." not in address.domain or address.domain.startswith("."):
        return f"{text!r} is not an e-mail address (user@example.org)"
    return None


def _row(path: Path, line: int, row: dict[str, str], audiences: set[str]) -> Recipient:
    cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
    problem = _address_problem(cells["email"])
    if problem:
        raise DataError(problem, path, line, hint="write one address per row, like name@example.org")
    if cells["audience"] not in audiences:
        raise DataError(
            f"unknown audience {cells['audience']!r}",
            path,
            line,
            hint=f"the brief has: {', '.join(sorted(audiences))}",
        )
    extra = {k: v for k, v in cells.items() if k not in (*REQUIRED, "channel")}
    try:
        fields: dict[str, object] = {k: cells[k] for k in REQUIRED} | {"line": line, "extra": extra}
        if cells.get("channel"):
            fields["channel"] = cells["channel"]
        return Recipient.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise DataError(f"{where}: {error['msg']}", path, line, hint="fix this row") from None


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the recipients file ({exc.strerror})", path) from None
    if len(data) > MAX_BYTES:
        raise DataError("the recipients file is over 20 MB", path, hint="split it into several distributions")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("the recipients file is not UTF-8", path, hint=f"re-save it as UTF-8 ({exc.reason})") from None


def read_recipients(path: Path, audiences: set[str]) -> list[Recipient]:
    """Every row of *path*, checked: an address each, known audiences, no address twice.
    All problems are reported together, each with its line."""
    reader = csv.DictReader(io.StringIO(_text(path), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(
            f"the header lacks {', '.join(missing)}", path, 1, hint=f"the first line names {','.join(REQUIRED)}"
        )
    reader.fieldnames = header
    out: list[Recipient] = []
    problems: list[DataError] = []
    seen: dict[str, int] = {}
    start = reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        try:
            recipient = _row(path, line, row, audiences)
        except DataError as exc:
            problems.append(exc)
            continue
        key = recipient.email.lower()
        if key in seen:
            problems.append(DataError(f"{recipient.email} is listed twice", path, line, hint=f"see line {seen[key]}"))
            continue
        seen[key] = line
        out.append(recipient)
    if not out and not problems:
        problems.append(DataError("the recipients file has no rows", path, 2, hint="add one row per recipient"))
    if problems:
        error = DataError(problems[0].message, path, problems[0].line, problems[0].hint)
        error.problems = list(problems)
        raise error
    return out
