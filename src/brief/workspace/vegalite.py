"""A Vega-Lite spec file of one's own (a chart of kind ``vega_lite``), read as hostile input.

The file may say how to draw, never what to draw: its data are the chart's rows, bound to
figures by the brief file, so every number keeps its source. It may not load anything (no
``url``, ``data`` or ``datasets``, no image marks, no links), and its size and nesting are
bounded. Its ``config``, size and background are replaced by the theme's, so it looks like
every other chart.
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
# Marks that fetch what they draw.
FORBIDDEN_MARKS = frozenset({"image"})
# Keys the theme sets: the file's own are dropped.
THEME_KEYS = ("config", "width", "height", "autosize", "padding", "background", "$schema")
_COMPOSITE = ("facet", "concat", "hconcat", "vconcat", "repeat")
_HINT = "a spec of one's own draws the chart's rows (bound to figures in the brief file); it loads nothing"


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
            if key in ("mark", "type") and isinstance(value, str) and value in FORBIDDEN_MARKS:
                raise DataError("refused: image marks load files", path, _line_of(text, '"image"'), hint=_HINT)
            _walk(value, depth + 1, text, path, count)
    elif isinstance(node, list):
        for item in node:
            _walk(item, depth + 1, text, path, count)
    elif isinstance(node, str) and "://" in node:
        raise DataError("refused: the spec names a URL", path, _line_of(text, node[:40]), hint=_HINT)


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
