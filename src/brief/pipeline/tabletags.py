"""One table in the PDF's tag tree for one HTML table, however many pages it runs over.

WeasyPrint 70 builds the structure tree page by page, so a table that breaks across four pages
becomes four ``Table`` elements, each with its own header row (the ``<thead>`` it repeats on
every page): a screen reader announces four tables and reads the header four times. The
:func:`install` hook joins them: the rows of every later part move into the first part's
``TBody``, their cells point to the first part's header cells, and each repeated header row is
left out of the tree, as WeasyPrint leaves out the page's margin boxes. The repeated header is
still drawn on each page.

This module is handed WeasyPrint's tagging module (:mod:`brief.pipeline.typeset` imports it),
so that WeasyPrint is imported in one place only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_MARK = "_brief_one_table"


def install(tags: Any) -> None:
    """Wrap ``tags._build_box_tree`` (it calls itself through the module, so every box passes
    through the wrapper); once only."""
    original = tags._build_box_tree
    if getattr(original, _MARK, False):
        return

    def build(box: Any, parent: Any, pdf: Any, page_number: int, *rest: Any) -> Iterator[Any]:
        state = pdf.__dict__.setdefault(_MARK, {"tables": {}, "elements": {}})
        for element in original(box, parent, pdf, page_number, *rest):
            state["elements"][element.reference] = element
            html = getattr(box, "element", None)
            if element["S"] != "/Table" or html is None:
                yield element
            elif html not in state["tables"]:
                state["tables"][html] = element
                yield element
            else:  # a later page's part of a table already begun
                _join(state["tables"][html], element, state["elements"])

    setattr(build, _MARK, True)
    tags._build_box_tree = build


def _join(first: Any, part: Any, elements: dict[bytes, Any]) -> None:
    """Move *part*'s body rows into *first*; leave its repeated header out of the tree."""
    bodies = [elements[ref] for ref in first["K"] if ref in elements and elements[ref]["S"] == "/TBody"]
    repeated = _header_ids(part, elements)
    for ref in part["K"]:
        child = elements.get(ref)
        if child is None or child["S"] == "/THead":
            continue
        rows = list(child["K"]) if child["S"] == "/TBody" else [ref]
        target = bodies[-1] if bodies and child["S"] == "/TBody" else first
        for row_ref in rows:
            row = elements.get(row_ref)
            if row is None:
                continue
            row["P"] = target.reference
            target["K"].append(row_ref)
            _retarget(row, repeated, f"{part.number}-", f"{first.number}-", elements)


def _header_ids(table: Any, elements: dict[bytes, Any]) -> set[str]:
    """The ids of the header cells in *table*'s THead."""
    ids = set()
    for ref in table["K"]:
        head = elements.get(ref)
        if head is None or head["S"] != "/THead":
            continue
        for row in (elements.get(r) for r in head["K"]):
            for cell in (elements.get(c) for c in (row["K"] if row is not None else [])):
                if cell is not None and "ID" in cell:
                    ids.add(str(cell["ID"].string))
    return ids


def _retarget(row: Any, repeated: set[str], old: str, new: str, elements: dict[bytes, Any]) -> None:
    # WeasyPrint names a header cell "<table's object number>-<row>-<column>": the first
    # part's header rows are the same rows and columns as the repeated ones.
    for ref in row["K"]:
        cell = elements.get(ref)
        attributes = cell.get("A") if cell is not None else None
        if attributes is None or "Headers" not in attributes:
            continue
        for header in attributes["Headers"]:
            if str(header.string) in repeated:
                header.string = new + str(header.string)[len(old) :]
