"""Checks of charts beyond their schema: what a spec of one's own may print.

The file was already read and refused if it loads anything (:mod:`brief.workspace.vegalite`);
here its text is held to the rule every template is held to: numbers come from figures.
"""

from __future__ import annotations

from brief.errors import BriefError, DataError
from brief.model.schema import Brief
from brief.pipeline.check_templates import hand_typed_numbers
from brief.workspace.files import read_input
from brief.workspace.load import Workspace
from brief.workspace.vegalite import MAX_SPEC_BYTES, load_vega_lite

# In a spec of one's own, where a typed number would be printed (a label, a title, a constant).
_PRINTED_KEYS = ("text", "title", "subtitle", "value", "label")


def _typed_numbers(node: object) -> list[str]:
    """Numbers typed into the printed strings of a Vega-Lite spec, and constants plotted with
    ``datum`` (a number the rows did not bring)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _PRINTED_KEYS and isinstance(value, str):
                found += [token for _, token in hand_typed_numbers(value)]
            elif key == "datum" and isinstance(value, int | float) and not isinstance(value, bool):
                found.append(str(value))
            else:
                found += _typed_numbers(value)
    elif isinstance(node, list):
        for item in node:
            found += _typed_numbers(item)
    return found


def own_spec_problems(ws: Workspace, brief: Brief) -> list[BriefError]:
    """A spec of one's own (kind ``vega_lite``) prints only the rows' numbers: a number typed
    into its text or plotted as a constant has no source, and is an error."""
    problems: list[BriefError] = []
    for cid, chart in brief.charts.items():
        if chart.spec is None:
            continue
        path = ws.root / chart.spec
        lines = read_input(path, ws.root, MAX_SPEC_BYTES).decode("utf-8").splitlines()
        for token in dict.fromkeys(_typed_numbers(load_vega_lite(path, ws.root))):
            line = next((n for n, text in enumerate(lines, 1) if token in text), None)
            problems.append(
                DataError(
                    f"chart {cid!r}: the spec has a hand-typed number {token!r}",
                    path,
                    line,
                    hint="numbers come from the chart's rows (fields value, short, long), which come from figures",
                )
            )
    return problems
