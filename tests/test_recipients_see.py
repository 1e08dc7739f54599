"""What recipients see, measured in every edition they can receive: the flagship's policy,
executive and technical editions, the starter (`brief init`) and both examples, each built once
as a PDF and as an HTML edition.

On paper: a measure of at most 90 characters a line (median of the body lines), no typewriter
quote or apostrophe, no character (note marks included) under 6 pt, every marking and a
recipient's stamp at least 10 mm from the paper's edge, and charts set side by side on one
baseline. In the charts: data marks 3:1 and text 4.5:1 against the page. On a phone (390 px,
mobile emulation): body text 16 px or more, no sideways scrolling, chart text 11 px or more.
"""

from __future__ import annotations

import ctypes
import re
import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from brief.commands.init import init_workspace
from brief.distribute.copies import FONT
from brief.distribute.stamp import StampText, stamp_copy, stamp_font
from brief.model.contrast import MARK_MIN, TEXT_MIN, contrast
from brief.pipeline.build import build
from helpers import REPO, THEME, copy_workspace, flagship_budget, request_for
from test_html_mobile import MEASURE, PHONE

FLAGSHIP = ("executive", "policy", "technical")
# Each edition: the workspace it is built from (None: the repository's), brief, audience, variant.
EDITIONS: dict[str, tuple[Path | None, str | None, str, str | None]] = {
    **{a: (REPO, None, a, None) for a in FLAGSHIP},
    "starter": (None, None, "policy", None),
    "country-profiles": (REPO / "examples" / "country-profiles", "profiles", "profile", "us"),
    "de-brief": (REPO / "examples" / "de-brief", "halbleiter", "policy", None),
}
MAX_MEASURE = 90
# Each edition is built twice (PDF and HTML) and read in Chromium: about a minute in all.
pytestmark = pytest.mark.slow
TEN_MM = 10 / 25.4 * 72  # in points
WIDE = {"viewport": {"width": 1280, "height": 900}}


@dataclass(frozen=True)
class Edition:
    """One edition as a recipient gets it: the PDF, a stamped copy of it, and the HTML edition."""

    pdf: Path
    stamped: Path
    html: Path


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Edition]:
    """Every edition built once, as a PDF (and a copy stamped for a recipient) and as HTML."""
    built = {}
    for name, (source, brief_id, audience, variant) in EDITIONS.items():
        root = tmp_path_factory.mktemp(name) / "ws"
        if source is None:
            init_workspace(root)
        else:
            copy_workspace(source, root)
        pdf = build(request_for(root, brief_id, audience, variant=variant)).path
        html = build(request_for(root, brief_id, audience, variant=variant, format="html")).path
        built[name] = Edition(pdf, stamp(pdf), html)
    return built


def stamp(pdf: Path) -> Path:
    """A copy of *pdf* stamped as `brief distribute` stamps it, for a recipient with a long name."""
    text = StampText(
        copy_id="K7QF-2M9X",
        who="Prepared for Alexandra Montgomery-Rivera, Committee on Science, Space, and Technology",
        rest="copy 12 of 40 · 1 December 2026",
    )
    font = stamp_font([THEME / "fonts" / FONT], text.characters())
    out = pdf.with_name(pdf.stem + "-stamped.pdf")
    out.write_bytes(stamp_copy(pdf.read_bytes(), font, text, text.copy_id))
    return out


# Reading the PDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Char:
    page: int
    char: str
    x: float
    y: float  # baseline, from the foot of the page
    size: float  # points, as printed (font size times the text matrix's scale)
    font: str


def chars(path: Path) -> list[Char]:
    """Every character pdfium reads on every page, spaces included, in content order."""
    out = []
    matrix = pdfium_raw.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    name, flags = ctypes.create_string_buffer(128), ctypes.c_int()
    pdf = pdfium.PdfDocument(path)
    for index in range(len(pdf)):
        text = pdf[index].get_textpage()
        for k in range(pdfium_raw.FPDFText_CountChars(text)):
            char = chr(pdfium_raw.FPDFText_GetUnicode(text, k))
            if char in "\r\n\x02":  # line ends and hyphens pdfium adds; not printed characters
                continue
            pdfium_raw.FPDFText_GetCharOrigin(text, k, ctypes.byref(x), ctypes.byref(y))
            pdfium_raw.FPDFText_GetMatrix(text, k, ctypes.byref(matrix))
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            pdfium_raw.FPDFText_GetFontInfo(text, k, name, len(name), ctypes.byref(flags))
            size = pdfium_raw.FPDFText_GetFontSize(text, k) * scale
            out.append(Char(index, char, x.value, y.value, size, name.value.decode("latin-1")))
    pdf.close()
    return out


def body_lines(path: Path) -> list[str]:
    """The lines of running text: characters in the body's typeface (the serif) at its size
    (the commonest size of that face, 9 pt or more: notes and captions are smaller), gathered
    by page and baseline. Note marks, set in the sans, are not counted; the spaces between
    words are. Two columns on one baseline are two lines."""
    found = chars(path)
    sizes = Counter(round(c.size, 1) for c in found if "Serif" in c.font and c.size >= 9 and not c.char.isspace())
    body = sizes.most_common(1)[0][0]
    lines: dict[tuple[int, float], list[tuple[float, str]]] = {}
    last = None
    for c in found:
        if c.char.isspace():
            if last is not None:
                lines[last].append((c.x, " "))
        elif "Serif" in c.font and abs(c.size - body) < 0.15:
            last = (c.page, round(c.y * 2) / 2)
            lines.setdefault(last, []).append((c.x, c.char))
    out = []
    for placed in lines.values():
        placed.sort()
        text, previous = "", None
        for x, char in placed:
            if previous is not None and x - previous > 6 * body and char != " ":
                out.append(text)
                text = ""
            text += char
            previous = x
        out.append(text)
    return [" ".join(t.split()) for t in out if t.strip()]


def median_characters_per_line(path: Path) -> float:
    """The median number of characters (spaces between words included) of the body lines."""
    return statistics.median(len(line) for line in body_lines(path))


def closest_to_edge(path: Path) -> float:
    """The least distance (pt) from any text or shape drawn on a page itself (a marking, the
    stamp, the running heads; not what is inside a chart's drawing) to the paper's edge; a
    page-sized background aside."""
    document = pdfium.PdfDocument(path)
    closest = float("inf")
    for page in document:
        width, height = page.get_width(), page.get_height()
        for obj in page.get_objects(max_depth=0):
            left, bottom, right, top = obj.get_bounds()
            if obj.type not in (pdfium_raw.FPDF_PAGEOBJ_TEXT, pdfium_raw.FPDF_PAGEOBJ_PATH):
                continue
            if (right - left) * (top - bottom) > width * height / 2:
                continue
            closest = min(closest, left, bottom, width - right, height - top)
    document.close()
    return closest


# On paper ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_measure_is_at_most_90_characters(editions: dict[str, Edition], edition: str) -> None:
    """A median of 90 characters or fewer in a body line (65-85 is comfortable reading); the
    flagship and the starter, whose pages the theme sets, 65 or more as well."""
    median = median_characters_per_line(editions[edition].pdf)
    assert median <= MAX_MEASURE, median
    if edition in (*FLAGSHIP, "starter"):
        assert median >= 65, median


@pytest.mark.parametrize("edition", FLAGSHIP)
def test_the_flagship_keeps_its_page_budget(editions: dict[str, Edition], edition: str) -> None:
    """A shorter measure, and still 2 / 4 / 12 pages."""
    assert len(pdfium.PdfDocument(editions[edition].pdf)) == flagship_budget(edition)


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_typewriter_quotes(editions: dict[str, Edition], edition: str) -> None:
    """No straight quote or apostrophe anywhere in the extracted text (URLs aside)."""
    text = subprocess.run(
        ["pdftotext", str(editions[edition].pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"https?://\S+", "", text)
    assert [text[max(0, m.start() - 30) : m.end() + 10] for m in re.finditer("['\"]", text)] == []


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_character_under_6_points(editions: dict[str, Edition], edition: str) -> None:
    """Every printed character, the note marks in text and in source lines too, is 6 pt or more."""
    found = chars(editions[edition].pdf)
    marks = [c for c in found if c.char.isdigit() and "Sans" in c.font and c.size < 7.5]
    assert marks, "no note marks found"
    small = {(c.page + 1, c.char, round(c.size, 2)) for c in found if not c.char.isspace() and c.size < 5.995}
    assert small == set()


@pytest.mark.parametrize("edition", EDITIONS)
def test_markings_and_the_stamp_are_10mm_from_the_edge(editions: dict[str, Edition], edition: str) -> None:
    """Nothing on the page, the recipient's stamp included, within 10 mm of the paper's edge,
    where office printers clip."""
    assert closest_to_edge(editions[edition].pdf) >= TEN_MM
    assert closest_to_edge(editions[edition].stamped) >= TEN_MM


def source_lines(path: Path) -> list[tuple[int, float, float]]:
    """Where each chart's source line starts: (page, x, baseline)."""
    found = chars(path)
    text = "".join(c.char for c in found)
    return [
        (found[m.start()].page, found[m.start()].x, found[m.start()].y)
        for m in re.finditer(r"(Sources?|Quellen?):", text)
    ]


@pytest.mark.parametrize("edition", FLAGSHIP)
def test_charts_side_by_side_share_a_baseline_on_paper(editions: dict[str, Edition], edition: str) -> None:
    """The source lines of two charts set side by side start on one baseline, so the drawings
    above them end on one line too, whatever the length of their titles."""
    html = editions[edition].html.read_text(encoding="utf-8")
    pairs = html.count('class="chart-row"')
    starts = source_lines(editions[edition].pdf)
    right = [s for s in starts if s[1] > 200]  # the second chart of a pair starts mid-page
    assert len(right) == pairs > 0
    for page, _, y in right:
        assert any(p == page and x < 100 and abs(y - y2) < 0.5 for p, x, y2 in starts), (page, y)


# In the charts and on a phone ------------------------------------------------------------------------

# The colours every chart paints, as its SVG says (fill and stroke attributes, never inherited
# defaults), with the Vega role of the mark they belong to; axis furniture (grid, domain,
# ticks) is the scale, not data.
CHART_COLOURS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart-screen svg')) {
    for (const el of svg.querySelectorAll('*')) {
      if (el.tagName === 'g' || el.closest('.role-axis-grid, .role-axis-domain, .role-axis-tick')) continue;
      const classes = (el.closest('[class*="role-"]')?.getAttribute('class') ?? '').split(' ');
      const role = classes.find(c => c.startsWith('role-')) ?? '';
      const what = el.tagName === 'text' ? 'text' : 'mark';
      for (const attr of ['fill', 'stroke']) {
        const colour = el.getAttribute(attr);
        if (colour && colour !== 'none' && !colour.startsWith('url(')) out.push([role, what, colour]);
      }
    }
  }
  return out;
}"""
PAIRS = """() => [...document.querySelectorAll('.chart-row')].map(row => [...row.querySelectorAll('figure')].map(f => [
  f.querySelector('svg.chart-screen').getBoundingClientRect().bottom,
  f.querySelector('.chart-source').getBoundingClientRect().top,
]))"""


def _hex(colour: str) -> str:
    colour = {"white": "#ffffff", "black": "#000000"}.get(colour.strip().lower(), colour.strip().lower())
    if re.fullmatch(r"#[0-9a-f]{3}", colour):
        colour = "#" + "".join(c * 2 for c in colour[1:])
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    return colour


def in_browser(browser: Any, path: Path, context: dict[str, Any], script: str) -> Any:
    """What *script* finds in the page at *path*, opened in a new browser context."""
    ctx = browser.new_context(**context)
    try:
        page = ctx.new_page()
        page.goto(path.as_uri())
        return page.evaluate(script)
    finally:
        ctx.close()


@pytest.mark.parametrize("edition", EDITIONS)
def test_chart_marks_and_text_have_contrast(browser: Any, editions: dict[str, Edition], edition: str) -> None:
    """Every data mark 3:1 and every chart text 4.5:1 against the page (WCAG 1.4.11, 1.4.3)."""
    page = "#ffffff"
    painted = in_browser(browser, editions[edition].html, PHONE, CHART_COLOURS)
    assert painted
    failures = {
        (role, what, colour)
        for role, what, colour in painted
        if role and _hex(colour) != page and contrast(_hex(colour), page) < (TEXT_MIN if what == "text" else MARK_MIN)
    }
    assert failures == set()


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_phone_reads_the_html_edition(browser: Any, editions: dict[str, Edition], edition: str) -> None:
    """At 390 px with mobile emulation: body text 16 px or more, nothing wider than the screen,
    every chart text 11 px or more as shown."""
    found = in_browser(browser, editions[edition].html, PHONE, MEASURE)
    assert (found["innerWidth"], found["zoom"]) == (390, 1)
    assert found["body"] >= 16 and min(found["prose"]) >= 16
    assert found["scrollWidth"] <= 390
    assert found["texts"] and min(size for size, _ in found["texts"]) >= 11, min(found["texts"])


@pytest.mark.parametrize("edition", FLAGSHIP)
def test_charts_side_by_side_share_a_baseline_on_a_wide_screen(
    browser: Any, editions: dict[str, Edition], edition: str
) -> None:
    """At 1280 px, where pairs sit side by side: both drawings end on one line and both source
    lines start on one."""
    pairs = in_browser(browser, editions[edition].html, WIDE, PAIRS)
    assert pairs
    for (bottom, source), (bottom2, source2) in pairs:
        assert abs(bottom - bottom2) < 1 and abs(source - source2) < 1, pairs


def test_screen_pairs_keep_room_for_sources_only_where_they_sit_side_by_side() -> None:
    """The theme keeps room for a three-line source line at the width where the HTML edition sets
    pairs side by side, not below it, where a stacked chart's short source would leave a hole."""
    from brief.pipeline.html_edition import WIDE_COLUMN_PX

    screen = (THEME / "screen.css").read_text(encoding="utf-8")
    assert f"@container brief (min-width: {WIDE_COLUMN_PX}px) {{ .chart-row .chart-source {{ min-height" in screen
