"""Print typography: one typographic pass over every string that reaches a page (the narrative
and the YAML alike), generated notes as sentences, note marks of at least 6 pt, numeric table
columns right-aligned, and the appendix table tagged as one table.

The PDFs are measured as a reader meets them: their text (pdftotext), the size of every
character (pypdfium2: font size times the text matrix's scale) and the structure tree (pikepdf).
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from tests.test_distribution import struct_elements

import brief
from brief.commands.init import init_workspace
from brief.pipeline.build import build
from brief.pipeline.citations import Notes
from brief.pipeline.resolve import Job
from brief.pipeline.typography import typographic
from brief.workspace.load import load_workspace
from helpers import REPO, copy_workspace, job_for, request_for

EDITIONS = ("executive", "policy", "technical")
PRINTED = (*EDITIONS, "starter", "de-brief", "country-profiles")
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)</word>')


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The flagship's three editions, the starter's and the examples', built once."""
    root = copy_workspace(REPO, tmp_path_factory.mktemp("typography") / "ws")
    built = {audience: build(request_for(root, None, audience)).path for audience in EDITIONS}
    starter = tmp_path_factory.mktemp("starter") / "ws"
    init_workspace(starter)
    built["starter"] = build(request_for(starter, None, "policy")).path
    for example, brief_id, variant in (("de-brief", "halbleiter", None), ("country-profiles", "profiles", "us")):
        copy = copy_workspace(REPO / "examples" / example, tmp_path_factory.mktemp(example) / "ws")
        audience = "profile" if variant else "policy"
        built[example] = build(request_for(copy, brief_id, audience, variant=variant)).path
    return built


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext extracts it (reading order, not layout)."""
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def char_sizes(path: Path) -> list[tuple[int, str, float]]:
    """Every printed character as (page, character, size in points)."""
    out = []
    matrix = pdfium_raw.FS_MATRIX()
    pdf = pdfium.PdfDocument(path)
    for index in range(len(pdf)):
        text = pdf[index].get_textpage()
        for k in range(pdfium_raw.FPDFText_CountChars(text)):
            char = chr(pdfium_raw.FPDFText_GetUnicode(text, k))
            if char.isspace():
                continue
            pdfium_raw.FPDFText_GetMatrix(text, k, ctypes.byref(matrix))
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            out.append((index, char, pdfium_raw.FPDFText_GetFontSize(text, k) * scale))
    pdf.close()
    return out


# The typographic pass itself --------------------------------------------------------------


def test_yaml_strings_get_the_narratives_quotes_and_dashes() -> None:
    """Apostrophes, double and single quotes, dashes and ellipses as the narrative's typographer
    writes them, in the brief's language."""
    assert typographic("China's share of the world's papers", "en-US") == "China’s share of the world’s papers"
    assert typographic("institutions' papers", "en-US") == "institutions’ papers"
    assert typographic("so-called \"Notable\" and 'frontier' models", "en-GB") == (
        "so-called “Notable” and ‘frontier’ models"
    )
    assert typographic('die "Spitze" -- 2024...', "de-DE") == "die „Spitze“ – 2024…"
    assert typographic("pp. 65--66 --- or so", "en-US") == "pp. 65–66 — or so"


def test_numbers_ids_and_locators_are_left_alone() -> None:
    """Numbers, ids, URLs and locator letters pass unchanged: "(c)" is a subsection, not ©."""
    for text in ("1,405", "$5.6 million", "2024-12", "fig. 2.1.3", "§2(c), table 4(r)", "arena_top_us", "n/a"):
        assert typographic(text, "en-US") == text


def test_the_job_carries_the_typeset_strings(mini: Path) -> None:
    """resolve() sets a figure's label and note, a source's title and a chart's title as the
    narrative is set, and leaves ids and values alone."""
    figures = mini / "data" / "figures"
    path = next(p for p in sorted(figures.glob("*.yaml")) if "label:" in p.read_text())
    text = path.read_text()
    label = re.search(r"label: (.+)", text)
    assert label is not None
    path.write_text(text.replace(label.group(0), 'label: "The region\'s \\"big\\" total -- so far"', 1))
    job: Job = job_for(load_workspace(mini))
    labels = [f.label for f in job.figures.values()]
    assert "The region’s “big” total – so far" in labels
    assert not any("'" in label or '"' in label for label in labels)


# Generated notes --------------------------------------------------------------------------


def test_a_url_ends_its_sentence(mini_job: Job) -> None:
    """The URL of a first full reference is followed by a full stop, so the next sentence does
    not run on from it."""
    notes = Notes(mini_job.sources, print_notes=True)
    notes.for_figure(mini_job.figures["widgets_alpha"])
    notes.finalise([1])
    assert re.search(r"</a>\.(\s|$)", notes.notes[0].html)


def test_other_sources_are_named_in_lower_case_after_the_colon(mini_job: Job) -> None:
    """ "…label: other sources give 7 (Title, locator)." with nested brackets, not parentheses."""
    from dataclasses import replace

    alpha = mini_job.figures["widgets_alpha"]
    other = alpha.bases[0].model_copy(update={"id": "elsewhere", "value": 7, "locator": "p. 3 (data: X)"})
    notes = Notes(mini_job.sources)
    notes.for_figure(replace(alpha, preferred="The report counts every site.", alternatives=(other,)))
    notes.finalise([1])
    html = notes.notes[0].html
    assert f"{alpha.label}: other sources give 7 (" in html
    assert "p. 3 [data: X])" in html
    assert "Other sources" not in html


# The printed editions -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("edition", PRINTED)
def test_no_straight_quotes_in_print(pdfs: dict[str, Path], edition: str) -> None:
    """No typewriter quote or apostrophe anywhere in the extracted text (URLs aside)."""
    text = _URL.sub("", pdf_text(pdfs[edition]))
    straight = [text[max(0, m.start() - 30) : m.end() + 10] for m in re.finditer("['\"]", text)]
    assert straight == []


@pytest.mark.slow
@pytest.mark.parametrize("edition", PRINTED)
def test_no_text_under_six_points(pdfs: dict[str, Path], edition: str) -> None:
    """Every character on every page, note marks in source lines included, is at least 6 pt."""
    small = [(page + 1, char, round(size, 2)) for page, char, size in char_sizes(pdfs[edition]) if size < 5.995]
    assert small == []


@pytest.mark.slow
def test_appendix_values_are_right_aligned(pdfs: dict[str, Path]) -> None:
    """In the technical edition's figures-and-sources table the values end at one x position on
    each page (within 0.5 pt), and they are set in tabular figures."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdfs["technical"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("<page ")
    in_table = [i for i, page in enumerate(pages) if ">Value</word>" in page and ">Source</word>" in page]
    assert len(in_table) >= 3
    for index in in_table:
        words = re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)</word>', pages[index]
        )
        header = next((float(x0), float(x1)) for x0, _, x1, w in words if w == "Value")
        as_of = next(float(x0) for x0, _, _, w in words if w == "As")
        # A row's first line has a date in the "As of" column; its value's last word ends right
        # of where "Value" starts (no word of the figure column does) and left of "As of".
        dated = {y0 for x0, y0, _, word in words if abs(float(x0) - as_of) < 1 and re.match(r"\d{4}", word)}
        rows: dict[str, float] = defaultdict(float)
        for _, y0, x1, _ in words:
            if y0 in dated and header[0] < float(x1) < as_of - 2:
                rows[y0] = max(rows[y0], float(x1))
        ends = sorted(rows.values())
        assert len(ends) >= 10
        assert ends[-1] - ends[0] < 0.5, f"page {index}: value column ends from {ends[0]} to {ends[-1]}"
        assert abs(ends[-1] - header[1]) < 0.5  # the header too


def test_appendix_values_use_tabular_figures() -> None:
    """The stylesheet sets the appendix's value column in tabular figures, right-aligned."""
    css = (Path(brief.__file__).parent / "theme" / "style.css").read_text()
    rule = re.search(r"\.figures-table td\.num[^{]*\{([^}]*)\}", css)
    assert rule is not None and "tabular-nums" in rule.group(1)
    assert re.search(r"\.figures-table \.num \{[^}]*text-align: right", css)


@pytest.mark.slow
def test_appendix_table_is_one_table_in_the_tag_tree(pdfs: dict[str, Path]) -> None:
    """The technical edition's figures-and-sources table runs over several pages, its header
    repeated on each, but is one Table structure element with one header row."""
    with pikepdf.open(pdfs["technical"]) as pdf:
        elements = struct_elements(pdf.Root.StructTreeRoot)
        tables = [e for e in elements if e.S == "/Table"]
        appendix = [t for t in tables if len([e for e in struct_elements(t.K) if e.S == "/TR"]) > 40]
        assert len(appendix) == 1
        heads = [e for e in struct_elements(appendix[0].K) if e.S == "/THead"]
        assert len(heads) == 1
        assert len([e for e in struct_elements(heads[0].K) if e.S == "/TH"]) == 4
