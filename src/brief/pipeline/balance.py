"""Balanced columns (the notes, the contents) found in one step instead of a creep of 3 px.

WeasyPrint 70 balances a multi-column box by laying its columns out at a trial height and,
while they do not hold everything, raising the height by the least that would move one more
child up into a column. It measures that child by laying it out in no room at all, so that it
places only the child's first line. A note that must not break inside (``break-inside:
avoid``: every note and contents entry) then seems to need one line's room when it needs all
of its own, and the height creeps up a few points at a time: six more layouts of every note on
the technical edition's last page (0.25 s), one or two on the others.

:func:`install` measures such a child whole instead, in unbounded room, which is the
increment WeasyPrint means to find. The height of the columns is that of their content, not
of the trial, so where WeasyPrint alone found the least height that holds them the PDF is the
same, byte for byte: the flagship's three editions, the country profiles and the starter. Where
its creep overshot, the columns are now the better balanced: the German example's notes were
five lines against three, and are four against four (a line shorter). A child that may break
inside is measured as before.

This module is handed WeasyPrint's layout modules (:mod:`brief.pipeline.typeset` imports
them), so that WeasyPrint is imported in one place only.
"""

from __future__ import annotations

import threading
from math import inf
from typing import Any

_MARK = "_brief_balanced"
_AVOID = frozenset({"avoid", "avoid-column", "avoid-page"})


def install(column: Any, block: Any) -> None:
    """Wrap ``column._create_column_box`` (to know a column box when one is laid out),
    ``block.block_box_layout`` (the column layout looks it up in the module on every call)
    and ``block.columns_layout`` (to forget the column boxes after each); once only."""
    if getattr(block.block_box_layout, _MARK, False):
        return
    # Typesetting may run on several threads of one process (BRIEF_WORKERS=0 with --all).
    local = threading.local()
    create, lay_out, columns = column._create_column_box, block.block_box_layout, block.columns_layout

    def column_box(*args: Any, **kwargs: Any) -> Any:
        box = create(*args, **kwargs)
        local.__dict__.setdefault("boxes", []).append(box)
        return box

    def block_box_layout(context: Any, box: Any, bottom_space: float, skip_stack: Any, *rest: Any, **kw: Any) -> Any:
        # The column layout's measure of the next child: no room (bottom_space inf) from
        # where the column stopped, in one of its own column boxes.
        if bottom_space == inf and skip_stack and any(b is box for b in getattr(local, "boxes", ())):
            ((index, inside),) = skip_stack.items()
            child = box.children[index] if inside is None and index < len(box.children) else None
            if child is not None and child.style["break_inside"] in _AVOID and child.is_in_normal_flow():
                box, bottom_space = box.copy_with_children(box.children[: index + 1]), -inf
        return lay_out(context, box, bottom_space, skip_stack, *rest, **kw)

    def columns_layout(*args: Any, **kwargs: Any) -> Any:
        boxes = local.__dict__.setdefault("boxes", [])
        depth = len(boxes)
        try:
            return columns(*args, **kwargs)
        finally:
            del boxes[depth:]  # a column box inside a column box keeps its parent's

    setattr(block_box_layout, _MARK, True)
    column._create_column_box = column_box
    block.block_box_layout = block_box_layout
    block.columns_layout = columns_layout
