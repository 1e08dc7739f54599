"""The pages' furniture as a reader sees it: the colophon on the last page of every edition, the
contents list of a long edition with the right page numbers, a draft's watermark in the theme's
font drawn over the panels, and every marking at least 10 mm from the paper's edge."""

from __future__ import annotations

import ctypes
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdfium2.raw as raw
import pytest

from helpers import REPO, copy_workspace, replace_in, request_for

pytestmark = pytest.mark.slow

BRIEF = "us-china-ai-gap"
BUDGETS = {"executive": 2, "policy": 4, "technical": 12}
TEN_MM = 10 / 25.4 * 72  # 28.35 pt


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def flagship(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three flagship editions, built once in a copy of the workspace."""
    from brief.pipeline.build import build

    root = copy_workspace(REPO, tmp_path_factory.mktemp("furniture") / "ws")
    return {audience: build(request_for(root, None, audience)).path for audience in BUDGETS}


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flagship's policy edition as an embargoed draft: three marking lines at the top."""
    from brief.pipeline.build import build

    root = copy_workspace(REPO, tmp_path_factory.mktemp("draft") / "ws")
    brief_file = root / "briefs" / f"{BRIEF}.yaml"
    replace_in(brief_file, "  status: final\n", "  status: draft\n  embargo: 2027-01-05T09:00:00Z\n")
    return build(request_for(root, None, "policy")).path


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter workspace, as `brief init` writes it, built."""
    from brief.pipeline.build import build

    root = tmp_path_factory.mktemp("starter") / "ws"
    subprocess.run([sys.executable, "-m", "brief", "init", str(root)], check=True, capture_output=True)
    return build(request_for(root, None, "policy")).path


@pytest.mark.parametrize("audience", list(BUDGETS))
def test_the_colophon_ends_every_flagship_edition_within_its_budget(flagship: dict[str, Path], audience: str) -> None:
    pages = _pages(flagship[audience])
    assert len(pages) <= BUDGETS[audience]
    last = " ".join(pages[-1].split())
    assert "Suggested citation: Open Policy Briefs research team. The US–China AI Gap." in last
    assert f"{audience.capitalize()} brief. Open Policy Briefs, December 1, 2026." in last
    assert "CC BY 4.0" in last
    assert f"Edition {BRIEF}-{audience} (en-US), made with brief " in last
    assert not any("Suggested citation" in page for page in pages[:-1])


def test_the_starter_has_a_colophon_without_a_colophon_block(starter: Path) -> None:
    pages = _pages(starter)
    last = " ".join(pages[-1].split())
    assert "Suggested citation: Your name. Capital and compute in the AI race. Policy brief." in last
    assert "© 2026 Your organisation" in last and "Edition first-brief-policy (en-US)" in last


def test_the_technical_edition_lists_its_contents_with_their_pages(flagship: dict[str, Path]) -> None:
    pages = _pages(flagship["technical"])
    assert "CONTENTS" in pages[0]
    # Two columns in -layout text: split each line at the number that ends its first entry.
    entries: list[tuple[str, int]] = []
    for line in pages[0].split("CONTENTS")[1].splitlines():
        entries += [(t.strip(), int(n)) for t, n in re.findall(r"([A-Z][^.]*?)\s?(?:\. ?){3,}\s*(\d+)", line)]
    assert len(entries) >= 10, entries
    names = [name for name, _ in entries]
    assert "How the gaps are measured" in names and "Figures and sources" in names and "Notes" in names
    for name, number in entries:
        starts = [
            # A heading alone on its line: the contents' own entries have leaders and numbers.
            i + 1
            for i, page in enumerate(pages)
            if re.search(rf"^\s*{re.escape(name)}\s*$", page, re.M)
        ]
        assert starts and starts[0] == number, (name, number, starts)


def test_the_contents_list_is_a_list_of_links(flagship: dict[str, Path]) -> None:
    import pikepdf

    def links(element: pikepdf.Dictionary) -> int:
        kids = element.get("/K")
        kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        own = 1 if element.get("/S") == "/Link" else 0
        return own + sum(links(k) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k)

    def lists(element: pikepdf.Dictionary) -> list[int]:
        kids = element.get("/K")
        kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        found = [links(element)] if element.get("/S") == "/L" else []
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found += lists(kid)
        return found

    with pikepdf.open(flagship["technical"]) as pdf:
        found = lists(pdf.Root.StructTreeRoot.K[0])
    # The contents list: a list whose every item is a link (one per section and the notes).
    assert any(count >= 10 for count in found), found


def test_the_policy_edition_has_no_contents_list(flagship: dict[str, Path]) -> None:
    assert not any("CONTENTS" in page for page in _pages(flagship["policy"]))


def test_the_draft_watermark_is_in_the_theme_font(draft: Path) -> None:
    fonts = subprocess.run(["pdffonts", str(draft)], capture_output=True, text=True, check=True).stdout
    assert "DejaVu" not in fonts
    families = {line.split()[0].split("+")[-1].split("-")[0] for line in fonts.splitlines()[2:]}
    assert families == {"Source"}, fonts


def test_the_draft_watermark_is_drawn_over_the_key_findings_panel(draft: Path) -> None:
    """In drawing order the watermark's letters come after the panel's mist background, and
    the watermark is drawn inside an artifact (it is not read aloud)."""
    import pikepdf
    import pypdfium2

    document = pypdfium2.PdfDocument(str(draft))
    page = document[0]
    textpage = page.get_textpage()
    order = list(page.get_objects(max_depth=4))
    panel = [i for i, obj in enumerate(order) if obj.type == 2 and _fill(obj) == (0xEE, 0xF2, 0xF6)]
    letters = {i: _text(textpage, obj) for i, obj in enumerate(order) if obj.type == 1 and _size(obj) >= 100}
    document.close()
    assert "".join(letters.values()).replace(" ", "") == "DRAFT"
    assert panel and min(letters) > max(panel), (panel, letters)
    with pikepdf.open(draft) as pdf:
        marked: list[str] = []
        artifacts = 0
        for operands, operator in pikepdf.parse_content_stream(pdf.pages[0]):
            if str(operator) in ("BMC", "BDC"):
                marked.append(str(operands[0]))
            elif str(operator) == "EMC":
                marked.pop()
            elif str(operator) == "Do" and "/Artifact" in marked:
                artifacts += 1
    assert artifacts, "no form is drawn as an artifact"


def _fill(obj: Any) -> tuple[int, int, int] | None:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not raw.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a):
        return None
    return r.value, g.value, b.value


def _size(obj: Any) -> float:
    size = ctypes.c_float()
    raw.FPDFTextObj_GetFontSize(obj.raw, size)
    return size.value


def _text(textpage: Any, obj: Any) -> str:
    length = raw.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
    buffer = (ctypes.c_ushort * length)()
    raw.FPDFTextObj_GetText(obj.raw, textpage.raw, buffer, length)
    return bytes(buffer).decode("utf-16-le").rstrip("\x00").strip()


def _closest_to_edge(pdf: Path) -> float:
    """The least distance (pt) from any text or shape drawn on the page itself (not inside a
    chart's drawing) to the paper's edge, over every page; a page-sized background aside."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    closest = 1e9
    for page in document:
        width, height = page.get_width(), page.get_height()
        for obj in page.get_objects(max_depth=0):
            left, bottom, right, top = obj.get_bounds()
            if obj.type not in (1, 2) or (right - left) * (top - bottom) > width * height / 2:
                continue
            closest = min(closest, left, bottom, width - right, height - top)
    document.close()
    return closest


def test_every_marking_is_10mm_from_the_edge(flagship: dict[str, Path], draft: Path, starter: Path) -> None:
    for pdf in [*flagship.values(), draft, starter]:
        assert _closest_to_edge(pdf) >= TEN_MM, pdf.name
