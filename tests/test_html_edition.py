"""The HTML edition in a browser (headless Chromium, via Playwright): paired charts side by
side on a wide screen and one above the other on a narrow one; one column of notes on a
narrow screen, two on a wide one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from brief.pipeline.build import build
from helpers import replace_in, request_for

pytestmark = pytest.mark.slow

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


@pytest.fixture
def paired(ws: Path) -> Path:
    """The mini brief's HTML edition with its two charts paired (both half width)."""
    brief = ws / "briefs" / "mini.yaml"
    replace_in(brief, "    kind: dumbbell\n", "    kind: dumbbell\n    width: half\n")
    replace_in(brief, "    charts: [counts]", "    charts: [counts, shares]")
    section = ws / "templates" / "policy" / "intro.md.j2"
    replace_in(section, '{{ chart("counts") }}', '{{ chart("counts", "shares") }}')
    return build(request_for(ws, format="html")).path


def layout(browser: Any, page_path: Path, viewport: dict[str, int], shot: Path) -> dict[str, Any]:
    """The two charts' boxes and the notes' column count at *viewport* (screenshot in *shot*)."""
    page = browser.new_page(viewport=viewport)
    try:
        page.goto(page_path.as_uri())
        boxes = [f.bounding_box() for f in page.locator(".chart-row figure.chart").all()]
        columns = page.eval_on_selector(".endnotes ol", "e => getComputedStyle(e).columnCount")
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    return {"boxes": boxes, "columns": columns}


def test_paired_charts_sit_side_by_side_on_a_wide_screen(browser: Any, paired: Path, tmp_path: Path) -> None:
    """Wide: the second chart is beside the first (same top, to its right), both inside the
    text column; narrow: it is below the first, and the notes run in one column."""
    wide = layout(browser, paired, WIDE, tmp_path / "wide.png")
    first, second = wide["boxes"]
    assert abs(first["y"] - second["y"]) < 2 and second["x"] >= first["x"] + first["width"]
    assert second["x"] + second["width"] <= WIDE["width"]
    assert wide["columns"] == "2"
    narrow = layout(browser, paired, NARROW, tmp_path / "narrow.png")
    first, second = narrow["boxes"]
    assert second["y"] >= first["y"] + first["height"] and abs(first["x"] - second["x"]) < 2
    assert second["width"] <= NARROW["width"]
    assert narrow["columns"] == "1"
