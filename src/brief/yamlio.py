"""Read YAML and validate it into models, keeping line numbers for every error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError

from brief.errors import BriefError, DataError

M = TypeVar("M", bound=BaseModel)


# Data and brief files are hand-written: anything larger is a mistake (an export dropped in
# the wrong folder) and would only make every build slow.
MAX_BYTES = 5 * 1024 * 1024


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The file's text, or a :class:`DataError` saying why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise DataError(f"file is {size / 1024 / 1024:.1f} MB, over the {limit // 1024 // 1024} MB limit "
                            "for data, brief and template files", path,
                            hint="keep large tables out of the workspace, or split them")
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", path) from None
    if b"\0" in data:
        raise DataError("binary file, not text", path, hint="data files are UTF-8 YAML or CSV")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path, line,
                        hint="save the file as UTF-8") from None


def read_yaml(path: Path) -> Any:
    """Parse *path* with positions kept; a syntax error becomes a :class:`DataError` with its line."""
    yaml = YAML(typ="rt")
    text = read_text(path)
    try:
        return yaml.load(text)
    except ReaderError as exc:
        at = text.count("\n", 0, int(exc.position or 0)) + 1
        raise DataError(f"unreadable character {exc.character!r} in YAML ({exc.reason})", path, at,
                        hint="remove the control character from this line") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        error = DataError(f"YAML syntax error: {problem}", path, line,
                          hint="check indentation and quoting on this line")
        error.column = mark.column + 1 if mark is not None else None
        raise error from None


def line_of(node: Any, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest element of *loc* found in a parsed YAML tree."""
    line: int | None = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(node, (CommentedMap, CommentedSeq)):
        line = node.lc.line + 1
    return line


def plain(node: Any) -> Any:
    """Convert ruamel's round-trip containers into plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def validate(model: type[M], node: Any, path: Path) -> M:
    """Validate one parsed YAML entry into *model*; an error names the file and the line."""
    try:
        return model.model_validate(plain(node))
    except ValidationError as exc:
        # A union (float | int) fails once per member at the same place: report a place once.
        by_loc = {tuple(e["loc"][:1]): e for e in reversed(exc.errors())}
        hint = _HINTS.get(model.__name__)
        problems: list[BriefError] = sorted((_problem(e, node, path, hint) for e in by_loc.values()),
                                            key=lambda p: p.line or 0)
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''} in this entry)" if more else ""
        first = DataError(problems[0].message + suffix, path, problems[0].line, hint=hint)
        first.problems = problems
        raise first from None


_TYPE_TAGS = {"float", "int", "str", "bool", "list", "dict", "date", "is-instance[date]"}


_HINTS = {
    "Figure": "a figure has id, label, value, unit, as_of, source and locator, or derive (docs/customising.md)",
    "Source": "a source has CSL-JSON fields: id, type, title, issued, and author, publisher, URL as known",
    "Brief": "a brief has title, date, authors, charts and audiences (brief new brief NAME makes one)",
    "Brand": "see templates/brand.yml for the fields (a subset of Quarto's _brand.yml)",
}


def _problem(error: Any, node: Any, path: Path, hint: str | None = None) -> DataError:
    # Drop pydantic's own tags: validator names and the members of a union ("value.float").
    loc = [p for i, p in enumerate(error["loc"])
           if not str(p).startswith("function-") and not (i and p in _TYPE_TAGS)]
    field = ".".join(str(p) for p in loc)
    message = error["msg"].removeprefix("Value error, ")
    return DataError(f"{field}: {message}" if field else message, path, line_of(node, loc), hint=hint)
