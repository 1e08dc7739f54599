"""End to end: the real policy brief, built once per session (conftest.policy_build), inspected
with pypdf and pikepdf."""

from __future__ import annotations

import re
from html import unescape

import pikepdf
import pytest
from pypdf import PdfReader

from helpers import PolicyBuild, squashed

pytestmark = pytest.mark.slow

FIGURE_SPAN = re.compile(r'<span class="figure-value" data-figure="([^"]+)">([^<]*)</span>')


def test_build_result(policy_build: PolicyBuild) -> None:
    """build() writes out/BRIEF-AUDIENCE.pdf and reports pages, time and budget."""
    result = policy_build.result
    assert result.path == policy_build.root.resolve() / "out" / "us-china-ai-gap-policy.pdf"
    assert result.path.read_bytes().startswith(b"%PDF-")
    assert (result.brief, result.audience, result.page_budget) == ("us-china-ai-gap", "policy", 4)
    assert result.seconds > 0
    # the PDF and the manifest, and no temporary files left
    assert sorted(result.path.parent.iterdir()) == sorted(
        [result.path, result.path.parent / "editions", result.path.parent / "manifest.json"]
    )


def test_page_count_and_size(policy_build: PolicyBuild) -> None:
    """The brief has 2–4 pages, within its budget, all US Letter (612 × 792 pt)."""
    reader = PdfReader(policy_build.pdf)
    assert 2 <= len(reader.pages) <= 4
    assert len(reader.pages) == policy_build.result.pages <= policy_build.result.page_budget
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)


def test_metadata(policy_build: PolicyBuild) -> None:
    """Title, author, subject and keywords come from the brief file; the keywords end with its
    distribution markings (TLP label and banner)."""
    brief = policy_build.job.brief
    meta = PdfReader(policy_build.pdf).metadata
    assert meta is not None
    assert meta.title == f"{brief.title}: {brief.subtitle}"
    assert meta.author == "Open Policy Briefs research team"
    assert meta.subject == brief.subject
    assert brief.distribution is not None
    markings = brief.distribution.labels(policy_build.job.created)
    assert markings[0] == "TLP:AMBER"
    assert meta["/Keywords"] == ", ".join([*brief.keywords, *markings])
    assert meta.creator == "brief"


def test_language(policy_build: PolicyBuild) -> None:
    """The document language is en-US (catalog /Lang), as accessibility checkers require."""
    with pikepdf.open(policy_build.pdf) as pdf:
        assert str(pdf.Root.Lang) == "en-US"


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"]


def test_all_fonts_embedded(policy_build: PolicyBuild) -> None:
    """Every font that draws glyphs has its font program embedded (FontFile, 2 or 3)."""
    with pikepdf.open(policy_build.pdf) as pdf:
        fonts = _fonts(pdf)
        assert fonts
        for font in fonts:
            if font.get("/Subtype") in ("/Type0", "/Type3"):
                continue  # Type0 draws with its descendant; Type3 glyphs are drawn inline
            descriptor = font.get("/FontDescriptor")
            assert descriptor is not None, font.get("/BaseFont")
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()), font.get("/BaseFont")


def test_only_brand_fonts(policy_build: PolicyBuild) -> None:
    """Only Source Serif 4 and Source Sans 3 are used (no DejaVu or other system fallback),
    and both are used."""
    with pikepdf.open(policy_build.pdf) as pdf:
        names = {str(font.get("/BaseFont")).split("+", 1)[-1] for font in _fonts(pdf)}
    assert names
    families = set()
    for name in names:
        match = re.match(r"(Source-Serif-4|Source-Sans-3)\b", name)
        assert match, name
        families.add(match.group(1))
    assert families == {"Source-Serif-4", "Source-Sans-3"}
    assert not any("DejaVu" in n for n in names)


def test_every_text_figure_is_printed_in_its_unit(policy_build: PolicyBuild, policy_text: str) -> None:
    """Each number the narrative prints via fig() is in the PDF text exactly as formatted by its
    unit, and that text is what format_value gives for the figure."""
    spans = FIGURE_SPAN.findall(policy_build.rendered.html)
    assert len(spans) > 40
    text = squashed(policy_text)
    missing = []
    for fid, shown in spans:
        fig = policy_build.job.figures[fid]
        shown = unescape(shown)
        assert shown.replace("\u00a0", " ") in (fig.text("long"), fig.text("short")), fid
        if squashed(shown) not in text:
            missing.append((fid, shown))
    assert missing == []


def test_every_chart_value_is_printed(policy_build: PolicyBuild, policy_text: str) -> None:
    """Every figure used (charts included) appears in the PDF in its long or short form."""
    text = squashed(policy_text)
    used = policy_build.rendered.figures_used
    assert len(used) > 40
    missing = [
        fid
        for fid in used
        if squashed(policy_build.job.figures[fid].text("long")) not in text
        and squashed(policy_build.job.figures[fid].text("short")) not in text
    ]
    assert missing == []


def _endnotes(text: str) -> str:
    parts = re.split(r"^Notes$", text, flags=re.M)
    assert len(parts) == 2, "expected one Notes heading"
    return parts[1]


def test_every_cited_source_is_in_the_endnotes(policy_build: PolicyBuild, policy_text: str) -> None:
    """Every source cited gets its full title (and URL, if any) in the endnotes; sources
    cited more than once also appear by short title."""
    notes = squashed(_endnotes(policy_text))
    cited = {sid for note in policy_build.rendered.notes for sid in note.source_ids}
    assert cited == {"ai-index-2026", "ai-index-2025", "epoch-china-compute-trends", "deepseek-v3-report"}
    for sid in cited:
        source = policy_build.job.sources[sid]
        assert squashed(source.title) in notes, sid
        if source.URL:
            assert squashed(source.URL) in notes, sid
    assert squashed("AI Index 2025, ch.") in notes


def test_endnotes_are_numbered_in_full(policy_build: PolicyBuild, policy_text: str) -> None:
    """The endnotes list one numbered entry per note."""
    count = len(policy_build.rendered.notes)
    numbers = [int(n) for n in re.findall(r"^(\d+)\.\s*$", _endnotes(policy_text), flags=re.M)]
    # pypdf gives the markers of another numbered list on the same page (the implications)
    # after the page's other text: the endnotes' own markers are the run from the last 1.
    start = len(numbers) - 1 - numbers[::-1].index(1)
    assert numbers[start:] == list(range(1, count + 1))
