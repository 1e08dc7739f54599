"""Read YAML and validate it into models, keeping line numbers for every error.

Parsing is libyaml's (through PyYAML's C loader): about thirty times faster than a
pure-Python parser, which matters because every build and every preview refresh reads
every data file. The scalars follow YAML 1.2's core schema, so ``yes`` and ``no`` stay
strings and ``2025-04`` is not a date. Each mapping and list remembers the line of each
of its keys and items, for error messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from brief.errors import BriefError, DataError, DataProblems
from brief.model.units import MAX_VALUE_TEXT, Written
from brief.workspace.files import MAX_BYTES as MAX_BYTES  # re-exported
from brief.workspace.files import read_input
from brief.workspace.hidden import check_text
from brief.workspace.messages import explain

M = TypeVar("M", bound=BaseModel)


def read_text(path: Path, limit: int = MAX_BYTES, root: Path | None = None) -> str:
    """The file's text, or a :class:`DataError` saying why it cannot be used. Only a regular
    file inside *root* (when given) and within *limit* is read (:func:`read_input`)."""
    data = read_input(path, root, limit)
    if b"\0" in data:
        raise DataError("binary file, not text", path, hint="data files are UTF-8 YAML or CSV")
    try:
        # A byte order mark (which some editors write first) says "UTF-8"; it is not text.
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path, line, hint="save the file as UTF-8"
        ) from None


class YamlMap(dict[Any, Any]):
    """A parsed YAML mapping that knows its own line and the line of each key (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlSeq(list[Any]):
    """A parsed YAML list that knows its own line and the line of each item (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


_STR, _NULL, _BOOL, _INT, _FLOAT, _DATE, _MERGE = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int", "float", "timestamp", "merge")
)


# PyYAML's wheels carry libyaml; the pure-Python parser is the (slower) fallback.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """libyaml's parser with YAML 1.2 core-schema resolution for plain scalars."""

    # Replaced, not extended: YAML 1.1's resolvers would read yes/no as booleans.
    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}


for _tag, _pattern, _first in [
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^(?:[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    (
        _DATE,
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ ]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$",
        list("0123456789"),
    ),
    (_MERGE, r"^<<$", ["<"]),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


_BUILDING = object()  # marks a node whose children are being built: an alias to it is a cycle

# Hand-written data is shallow and uses an alias for a few shared fields. Anything beyond these
# bounds is a mistake or an attack ("billion laughs": a few hundred bytes of nested aliases that
# expand to gigabytes), refused while the tree is built, before anything is copied.
MAX_DEPTH = 100
MAX_ALIAS_VALUES = 100_000  # values that aliases may add to a file, counted as if copied out
MAX_DIGITS = 100  # an integer literal longer than this is not a statistic (and int() of it is slow)


class _Budget:
    """What one file's tree may still grow by: aliased values, counted as they are reused."""

    def __init__(self) -> None:
        self.alias_values = 0
        self.sizes: dict[int, int] = {}  # id(node) -> values in its expanded subtree


def _scalar(node: yaml.ScalarNode) -> Any:
    value: str = node.value
    tag = node.tag
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        digits = value.replace("_", "")
        if digits[:2] in ("0o", "0x"):
            return int(digits[2:], 8 if digits[1] == "o" else 16)
        return int(digits)
    if tag == _FLOAT:
        lowered = value.lower().replace("_", "")
        if lowered.lstrip("+-") == ".inf":
            return float("-inf") if lowered.startswith("-") else float("inf")
        # Written keeps the decimals as written: 9.0 prints "9.0", not "9".
        return float("nan") if lowered == ".nan" else Written(lowered)
    if tag == _DATE:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(
            value.replace(" ", "T", 1).replace("t", "T").replace(" ", "").replace("Z", "+00:00")
        )
    return value


def _build_scalar(node: yaml.ScalarNode, path: Path, line: int) -> Any:
    if node.tag == _INT and len(node.value) > MAX_DIGITS:
        raise DataError(
            f"a number {len(node.value):,} digits long",
            path,
            line,
            hint=f"figure values are below {MAX_VALUE_TEXT} in size; write a smaller unit",
        )
    try:
        value = _scalar(node)
    except ValueError:
        shown = node.value if len(node.value) <= 40 else node.value[:20] + "…"
        raise DataError(
            f"invalid {node.tag.rsplit(':', 1)[-1]} {shown!r}",
            path,
            line,
            hint="quote the value if it is meant as text",
        ) from None
    if isinstance(value, str):
        check_text(value, path, line)
    return value


def _build_sequence(node: yaml.SequenceNode, path: Path, made: dict[int, Any], budget: _Budget, depth: int) -> YamlSeq:
    made[id(node)] = _BUILDING
    seq = YamlSeq(node.start_mark.line + 1)
    for item in node.value:
        seq.append(_build(item, path, made, budget, depth + 1))
        seq.item_lines.append(item.start_mark.line + 1)
    made[id(node)] = seq
    budget.sizes[id(node)] = 1 + sum(budget.sizes.get(id(item), 1) for item in node.value)
    return seq


def _build_mapping(node: yaml.MappingNode, path: Path, made: dict[int, Any], budget: _Budget, depth: int) -> YamlMap:
    made[id(node)] = _BUILDING
    mapping = YamlMap(node.start_mark.line + 1)
    merges = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merges.append((key_node, value_node))
            continue
        key = _build(key_node, path, made, budget, depth + 1)
        if isinstance(key, (dict, list)):
            raise DataError("a mapping key must be a plain value", path, key_node.start_mark.line + 1)
        key_line = key_node.start_mark.line + 1
        if key in mapping:
            error = DataError(
                f"YAML syntax error: duplicate key {key!r} (first on line {mapping.key_lines[key]})",
                path,
                key_line,
                hint="remove or rename one of the two",
            )
            error.column = key_node.start_mark.column + 1
            raise error
        mapping[key] = _build(value_node, path, made, budget, depth + 1)
        mapping.key_lines[key] = key_line
    # "<<" fills in only what the mapping does not say itself, wherever it is written.
    for key_node, value_node in merges:
        merged = _build(value_node, path, made, budget, depth + 1)
        for source in merged if isinstance(merged, list) else [merged]:
            if not isinstance(source, YamlMap):
                raise DataError("'<<' merges a mapping or a list of mappings", path, key_node.start_mark.line + 1)
            for k, v in source.items():
                if k not in mapping:
                    mapping[k] = v
                    mapping.key_lines[k] = source.key_lines[k]
    made[id(node)] = mapping
    budget.sizes[id(node)] = 1 + sum(budget.sizes.get(id(k), 1) + budget.sizes.get(id(v), 1) for k, v in node.value)
    return mapping


def _build(node: yaml.Node, path: Path, made: dict[int, Any], budget: _Budget, depth: int = 0) -> Any:
    line = node.start_mark.line + 1
    if id(node) in made:  # an alias of a node already built (anchors and "<<" merges)
        if made[id(node)] is _BUILDING:
            raise DataError(
                "this anchored mapping or list includes itself through an alias",
                path,
                line,
                hint="a value cannot contain itself; copy the fields instead",
            )
        # Built once and shared here, but every later copy (plain(), validation) expands it.
        budget.alias_values += budget.sizes.get(id(node), 1)
        if budget.alias_values > MAX_ALIAS_VALUES:
            raise DataError(
                f"aliases expand to more than {MAX_ALIAS_VALUES:,} values",
                path,
                line,
                hint="an alias repeats a few shared fields; nested aliases that multiply are refused",
            )
        return made[id(node)]
    if depth > MAX_DEPTH:
        raise DataError(
            f"YAML nested more than {MAX_DEPTH} levels deep",
            path,
            line,
            hint="flatten the structure: data and brief files need only a few levels",
        )
    if isinstance(node, yaml.ScalarNode):
        return _build_scalar(node, path, line)
    if isinstance(node, yaml.SequenceNode):
        return _build_sequence(node, path, made, budget, depth)
    assert isinstance(node, yaml.MappingNode)
    return _build_mapping(node, path, made, budget, depth)


def read_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse *path* into plain values, :class:`YamlMap` and :class:`YamlSeq` (which keep
    line numbers); a syntax error becomes a :class:`DataError` with its line and column.
    Only a regular file inside *root* (the workspace, when given) is read."""
    text = read_text(path, root=root)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        at = text.count("\n", 0, int(exc.position or 0)) + 1
        raise DataError(
            f"unreadable character {chr(exc.character)!r} in YAML ({exc.reason})"
            if isinstance(exc.character, int)
            else f"unreadable character in YAML ({exc.reason})",
            path,
            at,
            hint="remove the control character from this line",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        error = DataError(
            f"YAML syntax error: {problem}", path, line, hint="check indentation and quoting on this line"
        )
        error.column = mark.column + 1 if mark is not None else None
        raise error from None
    except yaml.YAMLError as exc:
        raise DataError(f"YAML syntax error: {exc}", path, hint="check indentation and quoting") from None
    except RecursionError:
        raise DataError("YAML nested too deeply", path, hint="flatten the structure") from None
    if node is None:
        return None
    try:
        return _build(node, path, {}, _Budget())
    except RecursionError:
        raise DataError("YAML nested too deeply", path, hint="flatten the structure") from None


def line_of(node: Any, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest element of *loc* found in a parsed YAML tree."""
    line: int | None = None
    for key in loc:
        if isinstance(node, YamlMap) and key in node:
            line = node.key_lines[key]
            node = node[key]
        elif isinstance(node, YamlSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.item_lines[key]
            node = node[key]
        else:
            break
    if line is None and isinstance(node, (YamlMap, YamlSeq)):
        line = node.line
    return line


def plain(node: Any) -> Any:
    """Convert the parsed containers into plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return node if isinstance(node, Written) else float(node)
    if isinstance(node, str):
        return str(node)
    return node


def validate(model: type[M], node: Any, path: Path, context: dict[str, Any] | None = None) -> M:
    """Validate one parsed YAML entry into *model* (with pydantic's validation *context*);
    an error names the file and the line."""
    try:
        return model.model_validate(plain(node), context=context)
    except ValidationError as exc:
        hint = _HINTS.get(model.__name__)
        problems: list[BriefError] = sorted(
            (DataError(message, path, line_of(node, loc), hint=hint) for loc, message in explain(exc.errors(), model)),
            key=lambda p: p.line or 0,
        )
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''} in this entry)" if more else ""
        raise DataProblems(problems, problems[0].message + suffix) from None


_HINTS = {
    "Figure": "a figure has id, label, value, unit, as_of, source and locator, or derive (brief docs reference)",
    "Source": "a source has CSL-JSON fields: id, type, title, issued, and author, publisher, URL as known",
    "Brief": "a brief has title, date, authors, charts and audiences (brief new brief NAME makes one)",
    "UnitSpec": "a unit has long, short and axis (with {n} for the number), or currency and scale",
    "Brand": "brief docs reference lists the fields (a subset of Quarto's _brand.yml)",
}
