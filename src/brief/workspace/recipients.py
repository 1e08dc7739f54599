"""Read a recipients CSV (``name,email,organisation,audience`` and any other columns) into
:class:`~brief.model.marking.Recipient` rows, each problem reported with its line."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from brief.errors import DataError, DataProblems
from brief.model.marking import Recipient
from brief.workspace.files import read_input
from brief.workspace.hidden import invisible_at
from brief.workspace.load import nearest

REQUIRED = ("name", "email", "organisation", "audience")
# variant and language choose the edition (a `for_each` brief's variant, one of its languages)
KNOWN = (*REQUIRED, "channel", "variant", "language")
MAX_BYTES = 20 * 1024 * 1024
# Headings people give the channel column. A column is matched by name only, so one misspelt
# would silently become an extra column and every row `individual` (under TLP:RED, a list
# passing as a person): such a heading is an error, as is one close to any known column.
_CHANNEL_WORDS = {"type", "kind", "list", "mailinglist", "channeltype", "addresstype", "recipienttype"}
_CHANNELS = {"individual", "list", "public"}
_Row = dict[str | None, Any]  # a row as csv.DictReader gives it (None: the cells past the header)


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


def unknown_cell(path: Path, line: int, what: str, value: str, known: Sequence[str], hint: str = "") -> DataError:
    """A row naming an audience, variant or language the brief does not have: the error at its
    line, with the nearest names and every name the brief has."""
    listed = f"the brief has: {', '.join(sorted(known))}"
    close = nearest(value, dict.fromkeys(known))
    shown = value if len(value) <= 40 else value[:40] + "…"  # a cell from someone else's file: not echoed whole
    return DataError(
        f"unknown {what} {shown!r}",
        path,
        line,
        hint=(f"{close} {listed}" if close.startswith("did you mean") else listed) + hint,
    )


def _row(path: Path, line: int, row: _Row, audiences: set[str], record: str) -> Recipient:
    cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
    problem = _address_problem(cells["email"])
    if problem:
        raise DataError(problem, path, line, hint="write one address per row, like name@example.org")
    if cells["audience"] not in audiences:
        raise unknown_cell(path, line, "audience", cells["audience"], sorted(audiences))
    hidden = _hidden(path, line, record, [(k, v) for k, v in row.items() if k is not None and isinstance(v, str)])
    if hidden is not None:
        raise hidden
    extra = {k: v for k, v in cells.items() if k not in KNOWN}
    try:
        fields: dict[str, object] = {k: cells[k] for k in REQUIRED} | {"line": line, "extra": extra}
        fields |= {k: cells[k] for k in ("channel", "variant", "language") if cells.get(k)}
        return Recipient.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise DataError(f"{where}: {error['msg']}", path, line, hint="fix this row") from None


def _text(path: Path) -> str:
    # The type and size are checked on the open file before anything is read: a FIFO would
    # block and /dev/zero would never end.
    try:
        data = read_input(path, None, MAX_BYTES)
    except DataError as exc:
        raise DataError(exc.message, path, hint="a recipients file is a CSV file of at most 20 MB") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("the recipients file is not UTF-8", path, hint=f"re-save it as UTF-8 ({exc.reason})") from None


class _Lines:
    """The file's physical lines, as the CSV reader takes them; ``record()`` gives back the
    ones taken since the last call (one record, which a quoted cell may spread over lines)."""

    def __init__(self, text: str) -> None:
        self._lines: Iterator[str] = iter(io.StringIO(text, newline=""))
        self._taken: list[str] = []
        self.count = 0  # lines taken so far: the line of a record the reader fails on

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        self.count += 1
        return line

    def record(self) -> str:
        """The text of the record read last, without the blank lines the reader skipped before it."""
        taken, self._taken = self._taken, []
        return "".join(taken).lstrip("\r\n")


_BREAK = re.compile(r"\r\n|\r|\n")


def _place(record: str, cells: list[str], cell: int, index: int) -> tuple[int, int]:
    """Line offset and column (1-based) in *record* of the character at *index* of ``cells[cell]``:
    the CSV reader copies every character but quotes and commas, so it is that character's
    n-th occurrence in the record, n counted through the cells before it."""
    char = cells[cell][index]
    nth = sum(c.count(char) for c in cells[:cell]) + cells[cell].count(char, 0, index)
    at = -1
    for _ in range(nth + 1):
        at = record.find(char, at + 1)
    if at < 0:  # not found as written: name the record's start
        return 0, 1
    breaks = list(_BREAK.finditer(record, 0, at))
    return len(breaks), at - (breaks[-1].end() if breaks else 0) + 1


def _hidden(path: Path, line: int, record: str, named: list[tuple[str, str]]) -> DataError | None:
    """An error at the first control or invisible character of the record's cells, given as
    ``(column, text)`` (or at a line break in a known column, which goes into a mail header or
    the one-line stamp), else None."""
    cells = [v for _, v in named]
    for n, (column, value) in enumerate(named):
        found = invisible_at(value)
        broken = _BREAK.search(value) if column.strip() in KNOWN else None
        if broken is not None and (found is None or broken.start() <= found[0]):
            found = (broken.start(), "a line break")
        if found is None:
            continue
        offset, col = _place(record, cells, n, found[0])
        what = found[1] if found[1] == "a line break" else f"invisible or control character {found[1]}"
        error = DataError(
            f"{what} in column {column.strip()!r}",
            path,
            line + offset,
            hint="delete it: a cell may not hide bidi overrides, zero-width or control characters, "
            "and a name, address or organisation is one line",
        )
        error.column = col
        return error
    return None


def _key(column: str) -> str:
    # "E-Mail", "e_mail " and "emails" are all "email"
    return re.sub(r"[\W_]+", "", column.casefold()).removesuffix("s")


def _lookalike(column: str, header: list[str]) -> str | None:
    """The known column, absent from *header*, that *column* seems meant to be (other case,
    spacing, plural, a close misspelling or a usual synonym of ``channel``), or None."""
    absent = [k for k in KNOWN if k not in header]
    if column in KNOWN or not absent:
        return None
    key = _key(column)
    if key in _CHANNEL_WORDS and "channel" in absent:
        return "channel"
    for known in absent:
        if key == _key(known) or difflib.SequenceMatcher(None, key, _key(known)).ratio() >= 0.8:
            return known
    return None


def _check_header(path: Path, header: list[str]) -> None:
    """Raise one error for every required column missing and every column that looks like a
    known one but is spelt otherwise."""
    problems = [
        DataError(
            f"column {column!r} is not a known column; it looks like {known!r}",
            path,
            1,
            hint=f"spell it {known} (lower case), or give the extra column another name",
        )
        for column in header
        if (known := _lookalike(column, header)) is not None
    ]
    missing = [c for c in REQUIRED if c not in header]
    if missing and not problems:
        problems.append(
            DataError(
                f"the header lacks {', '.join(missing)}", path, 1, hint=f"the first line names {','.join(REQUIRED)}"
            )
        )
    if problems:
        raise DataProblems(problems, problems[0].message)


def _channel_like(path: Path, header: list[str], out: list[Recipient]) -> None:
    """Without a ``channel`` column, an extra column that holds only channel words, some
    ``list`` or ``public``, was meant to be it: an error rather than every row ``individual``."""
    if "channel" in header:
        return
    for column in header:
        values = {r.extra.get(column, "").lower() for r in out} - {""}
        if column not in KNOWN and values and values <= _CHANNELS and values != {"individual"}:
            raise DataError(
                f"column {column!r} holds channels ({', '.join(sorted(values))}) but is not named channel",
                path,
                1,
                hint="name the column channel, or every row is sent as to an individual",
            )


def _records(path: Path, reader: csv.DictReader[str], lines: _Lines) -> Iterator[tuple[int, str, _Row]]:
    """Each row with its first line and its text; a row the CSV reader cannot take (a cell over
    its size limit) is an error naming its line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            raise DataError(
                f"a cell is over {limit:,} characters" if "field larger" in str(exc) else f"not CSV: {exc}",
                path,
                lines.count,
                hint="a recipients file holds names and addresses, one row per recipient",
            ) from None
        record = lines.record()
        yield reader.line_num - len(_BREAK.findall(record.rstrip("\r\n"))), record, row


def read_recipients(
    path: Path, audiences: set[str], check: Callable[[Recipient], object] | None = None
) -> list[Recipient]:
    """Every row of *path*, checked: an address each, known audiences, no address twice, no
    hidden or control characters, and whatever *check* raises as a :class:`DataError` (the
    edition a row names, say). All problems are reported together, each with its line."""
    lines = _Lines(_text(path))
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        raise DataError(f"the header is not CSV: {exc}", path, 1, hint="the first line names the columns") from None
    header_record = lines.record()
    hidden = _hidden(path, 1, header_record, list(zip(fieldnames, fieldnames, strict=True)))
    if hidden is not None:
        raise hidden
    header = [h.strip() for h in fieldnames]
    _check_header(path, header)
    reader.fieldnames = header
    out: list[Recipient] = []
    problems: list[DataError] = []
    seen: dict[str, int] = {}
    try:
        for line, record, row in _records(path, reader, lines):
            try:
                recipient = _row(path, line, row, audiences, record)
                if check is not None:
                    check(recipient)
            except DataError as exc:
                problems.append(exc)
                continue
            key = recipient.email.lower()
            if key in seen:
                problems.append(
                    DataError(f"{recipient.email} is listed twice", path, line, hint=f"see line {seen[key]}")
                )
                continue
            seen[key] = line
            out.append(recipient)
    except DataError as exc:
        problems.append(exc)
    if not problems:
        _channel_like(path, header, out)
    if not out and not problems:
        problems.append(DataError("the recipients file has no rows", path, 2, hint="add one row per recipient"))
    if problems:
        raise DataProblems(problems, problems[0].message)
    return out
