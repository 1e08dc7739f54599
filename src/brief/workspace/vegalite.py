"""A Vega-Lite spec file of one's own (a chart of kind ``vega_lite``), read as hostile input.

The file may say how to draw, never what to draw: its data are the chart's rows, bound to
figures by the brief file, so every number keeps its source. It may not load anything (no
``url``, ``data`` or ``datasets``, no image marks, no links), and its size and nesting are
bounded. Its ``config``, size and background are replaced by the theme's, so it looks like
every other chart.

It draws the rows as they are. Vega expressions are refused wherever the Vega-Lite schema
allows one (vl-convert runs them with no time or memory bound: a catastrophic regular
expression, ``sequence()`` or ``pad()`` hold a build for minutes or gigabytes), and so is
everything that makes numbers the rows do not have (transforms, aggregates, bins, imputed
values, normalised stacks, format strings): a number the reader sees comes from a figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from brief.errors import DataError
from brief.workspace.files import read_input

MAX_SPEC_BYTES = 256 * 1024
MAX_DEPTH = 24
MAX_NODES = 20_000
# Keys that load or point elsewhere, or bring data of their own.
FORBIDDEN_KEYS = frozenset({"url", "data", "datasets", "href", "loader", "signals", "usermeta"})
# Keys whose strings are Vega expressions or that declare parameters (which hold expressions
# and selections): every property the Vega-Lite schema types as an expression, an expression
# reference or a predicate, or names a parameter by (a test derives the list from the schema).
EXPRESSION_KEYS = frozenset({"expr", "calculate", "filter", "test", "labelExpr", "params", "param", "and", "or", "not"})
# Keys that make numbers the rows do not have: every transform (calculate, fold, window,
# joinaggregate, aggregate, regression, density, pivot, stack...), the encoding's own
# aggregate, bin and impute, and format strings (".0%" prints 285.9 as 28,590%).
VALUE_MAKING_KEYS = frozenset({"transform", "aggregate", "bin", "impute", "format", "formatType"})
# Stacks that turn the rows into shares (numbers no figure holds).
VALUE_MAKING_STACKS = frozenset({"normalize"})
# Counts the engine loops over (ticks, a nice domain's steps, a colour scheme's colours): a
# tick count of a million ran V8 out of memory.
COUNT_KEYS = frozenset({"tickCount", "nice", "count", "lobes"})
MAX_COUNT = 100
# Keys whose value is printed as it is: a number there has no source.
PRINTED_KEYS = frozenset({"text", "title", "subtitle"})
# Marks that fetch what they draw.
FORBIDDEN_MARKS = frozenset({"image"})
# Keys the theme sets: the file's own are dropped.
THEME_KEYS = ("config", "width", "height", "autosize", "padding", "background", "$schema")
_COMPOSITE = ("facet", "concat", "hconcat", "vconcat", "repeat")
_HINT = "a spec of one's own draws the chart's rows (bound to figures in the brief file); it loads nothing"
_EXPRESSION_HINT = (
    "a spec of one's own has no Vega expressions, params or tests: encode the rows' fields "
    "(label, series, panel, value, short, long) directly"
)
_VALUE_HINT = (
    "every number a chart shows comes from a figure: plot and print the rows' fields as they are "
    "(value, short, long), and add a figure to the brief file for any other number"
)


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def _walk(node: Any, depth: int, text: str, path: Path, count: list[int]) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise DataError(f"the spec has over {MAX_NODES} values", path, hint="a chart spec is small: simplify it")
    if depth > MAX_DEPTH:
        raise DataError(f"the spec nests deeper than {MAX_DEPTH} levels", path, hint="simplify the spec")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in FORBIDDEN_KEYS:
                raise DataError(f"refused: the spec has {key!r}", path, _line_of(text, f'"{key}"'), hint=_HINT)
            _check_drawing_key(key, value, text, path)
            if key in ("mark", "type") and isinstance(value, str) and value in FORBIDDEN_MARKS:
                raise DataError("refused: image marks load files", path, _line_of(text, '"image"'), hint=_HINT)
            _walk(value, depth + 1, text, path, count)
    elif isinstance(node, list):
        for item in node:
            _walk(item, depth + 1, text, path, count)
    elif isinstance(node, str) and "://" in node:
        raise DataError("refused: the spec names a URL", path, _line_of(text, node[:40]), hint=_HINT)


def _check_drawing_key(key: str, value: Any, text: str, path: Path) -> None:
    """Refuse *key* if it runs an expression, makes a number the rows do not have, or sets an
    unbounded count."""
    line = _line_of(text, f'"{key}"')
    if key in EXPRESSION_KEYS:
        message = f"refused: the spec has {key!r}, a Vega expression or parameter (unbounded time and memory)"
        raise DataError(message, path, line, hint=_EXPRESSION_HINT)
    if key in VALUE_MAKING_KEYS or (key == "stack" and isinstance(value, str) and value in VALUE_MAKING_STACKS):
        shown = key if key != "stack" else f'stack "{value}"'
        message = f"refused: the spec has {shown!r}, which makes numbers no figure holds"
        raise DataError(message, path, line, hint=_VALUE_HINT)
    if key in PRINTED_KEYS and any(_is_number(v) for v in _printed(value)):
        raise DataError(f"refused: the spec types a number into its {key!r} (no source)", path, line, hint=_VALUE_HINT)
    if key in COUNT_KEYS and not isinstance(value, bool) and not (_is_number(value) and value <= MAX_COUNT):
        hint = "ticks, steps and colours are counted in tens"
        raise DataError(f"refused: {key!r} is not a number up to {MAX_COUNT}", path, line, hint=hint)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _printed(value: Any) -> list[Any]:
    """What a printed key (a text, a title) shows: itself, its lines, or its constant value
    (numbers typed into strings are found by the check of a spec's text)."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value.get("value")]
    return [value]


def load_vega_lite(path: Path, root: Path) -> dict[str, Any]:
    """The Vega-Lite spec in *path* (inside the workspace *root*), without the keys the theme
    sets; a :class:`DataError` with the file and line says why it is refused."""
    raw = read_input(path, root, MAX_SPEC_BYTES)
    try:
        text = raw.decode("utf-8")
        spec = json.loads(text)
    except UnicodeDecodeError:
        raise DataError("the spec is not UTF-8 text", path, hint="save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"the spec is not JSON: {exc.msg}", path, exc.lineno, hint="check the JSON syntax") from None
    except RecursionError:
        raise DataError(f"the spec nests deeper than {MAX_DEPTH} levels", path, hint="simplify the spec") from None
    if not isinstance(spec, dict):
        raise DataError("a Vega-Lite spec is a JSON object ({...})", path, 1, hint="start from the example in the docs")
    if not any(k in spec for k in ("mark", "layer")) or any(k in spec for k in _COMPOSITE):
        raise DataError(
            "the spec needs a 'mark' or a 'layer' at its top (no facet, concat or repeat)",
            path,
            1,
            hint="one view, drawn at the chart's size; for small multiples use a built-in kind with facet",
        )
    _walk({k: v for k, v in spec.items() if k != "$schema"}, 0, text, path, [0])
    return {k: v for k, v in spec.items() if k not in THEME_KEYS}
