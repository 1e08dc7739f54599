"""The traps of moving the brief to the AI Index 2026, in all three editions as their PDFs print
them: no trend across two editions unless the sentence says so, Arena gaps never in percentage
points, "reopened" never attached to the US–China comparison, top-100 paper counts never as
percentages, the 2025 notable-model counts in no edition (the versions of the report disagree on
them), no advice to go and check the newer edition, and every figure on page 1 with its year.

The policy edition is built once per session by tests/conftest.py, the other two by
tests/flagship/conftest.py."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from brief.workspace.load import Workspace, load_workspace
from helpers import REPO, PolicyBuild, spaced, squashed

pytestmark = pytest.mark.slow

EDITIONS = ["policy", "executive", "technical"]
SENTENCE_END = re.compile(r"(?<=[.;!?])[\u2019\u201d\"')]*\s+(?=[A-Z\u201c\"(])")
COUNTRY = re.compile(r"\b(China|Chinese|US|U\.S\.|United States|American)\b")


@pytest.fixture(scope="module")
def ws() -> Workspace:
    """The repository's workspace, loaded once (read only)."""
    return load_workspace(REPO)


@pytest.fixture(scope="module")
def editions(
    policy_build: PolicyBuild, policy_text: str, other_builds: dict[str, tuple[PolicyBuild, str]]
) -> dict[str, tuple[PolicyBuild, str]]:
    """Every edition's build and PDF text, by audience."""
    return {"policy": (policy_build, policy_text), **other_builds}


def sentences(text: str) -> list[str]:
    """*text* in sentences (line breaks and hyphenation folded; the word joiner that keeps a
    note mark on its word's line is dropped, so it cannot hide a sentence end)."""
    return SENTENCE_END.split(spaced(text).replace("\u2060", ""))


def prose(build: PolicyBuild) -> list[str]:
    """The sentences of the edition's narrative, paragraph by paragraph, from the HTML the PDF is
    typeset from: no charts, endnotes, note marks or figures table, and no sentence running from
    one paragraph into the next."""
    html = build.rendered.html
    html = html[html.index('<section class="section') : html.index('<section class="endnotes"')]
    html = re.sub(r'<section class="section section-appendix-figures">.*?</section>', " ", html, flags=re.S)
    html = re.sub(r"<figure\b.*?</figure>", " ", html, flags=re.S)
    html = re.sub(r'<a class="note-ref".*?</a>|<span class="note-sep">.*?</span>', "", html, flags=re.S)
    out = []
    for _, inner in re.findall(r"<(p|li)\b[^>]*>(.*?)</\1>", html, flags=re.S):
        out += sentences(htmllib.unescape(re.sub(r"<[^>]+>", "", inner)))
    return out


def printed(build: PolicyBuild, fid: str) -> re.Pattern[str]:
    """A pattern for figure *fid* as printed (long or short form), not inside a longer number."""
    fig = build.job.figures[fid]
    forms = "|".join(re.escape(spaced(fig.text(style))) for style in ("long", "short"))
    return re.compile(rf"(?<![\d.,])(?:{forms})(?![\d%]|[.,]\d)")


def editions_of(build: PolicyBuild, fid: str) -> set[str]:
    """The AI Index editions ("2025", "2026") behind figure *fid*."""
    return {
        base.source.removeprefix("ai-index-")[:4]
        for base in build.job.figures[fid].bases
        if base.source and base.source.startswith("ai-index-")
    }


@pytest.mark.parametrize("audience", EDITIONS)
def test_no_cross_edition_trend_unless_labelled(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """A sentence that prints figures from both AI Index editions says that they are two editions."""
    build, _ = editions[audience]
    texts: dict[str, set[str]] = {"2025": set(), "2026": set()}
    for fid in build.rendered.figures_used:
        found = editions_of(build, fid)
        if len(found) == 1:
            fig = build.job.figures[fid]
            texts[found.pop()] |= {fig.text("long"), fig.text("short")}
    # A value printed by figures of both editions (80% of one thing, 80% of another) would match
    # either: it proves nothing, so it is left out.
    by_edition = {
        edition: [re.compile(rf"(?<![\d.,]){re.escape(spaced(s))}(?![\d%]|[.,]\d)") for s in own - texts[other]]
        for edition, own, other in (("2025", texts["2025"], "2026"), ("2026", texts["2026"], "2025"))
    }
    mixed = []
    for sentence in prose(build):
        old = any(p.search(sentence) for p in by_edition["2025"])
        new = any(p.search(sentence) for p in by_edition["2026"])
        if old and new and "edition" not in sentence:
            mixed.append(sentence)
    assert mixed == []


@pytest.mark.parametrize("audience", EDITIONS)
def test_no_spliced_trend_words(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """The splices the research desk named never appear: the 2024 and 2025 investment ratios or
    totals joined by "from … to", nor the patent, publication or notable-model series."""
    text = spaced(editions[audience][1])
    for spliced in (
        r"from 11\.7 times to 23\.1",
        r"from \$109\.1 billion to \$285\.9",
        r"from 69\.7% to 74\.2%",
        r"from 23\.2% to 17\.8%",
        r"from 40 to 59",
        r"from 1\.70% (in February 2025 )?to 0\.4%",
    ):
        assert not re.search(spliced, text), spliced
    # "Widened" is not the report's word for the investment gap (its 2024 and 2025 ratios come
    # from two editions); it may describe the open- vs closed-weight gap only.
    for sentence in prose(editions[audience][0]):
        if re.search(r"\bwiden", sentence, re.I):
            assert not re.search(r"investment|times", sentence), sentence


@pytest.mark.parametrize("audience", EDITIONS)
def test_arena_gaps_never_in_percentage_points(
    editions: dict[str, tuple[PolicyBuild, str]], ws: Workspace, audience: str
) -> None:
    """Every Arena gap is a relative difference: printed with "%", never as percentage points."""
    build, text = editions[audience]
    text = spaced(text)
    gaps = [fid for fid, fig in ws.figures.items() if "Arena lead" in fig.label]
    assert len(gaps) >= 6
    for fid in gaps:
        value = build.job.figures[fid].text().removesuffix("%")
        assert not re.search(rf"(?<![\d.,]){re.escape(value)} ?(pp|percentage points?)\b", text), fid


def test_arena_gaps_are_stored_as_percent(ws: Workspace) -> None:
    """In the data, every Arena lead (US–China or open–closed) is a percent, never pp."""
    gaps = {fid: fig.unit for fid, fig in ws.figures.items() if "Arena lead" in fig.label}
    assert set(gaps.values()) == {"percent"}, gaps


@pytest.mark.parametrize("audience", EDITIONS)
def test_reopened_is_never_about_the_two_countries(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """ "Reopened" is the report's word for the open- vs closed-weight gap: a sentence using it names
    no country, and it or the sentence before it names the open/closed comparison."""
    said = prose(editions[audience][0])
    for i, sentence in enumerate(said):
        if re.search(r"reopen", sentence, re.I):
            assert not COUNTRY.search(sentence), sentence
            context = " ".join(said[max(0, i - 1) : i + 1])
            assert re.search(r"open-weight|closed-weight|closed weights|ways of releasing", context), sentence


@pytest.mark.parametrize("audience", EDITIONS)
def test_top_100_counts_never_as_percentages(
    editions: dict[str, tuple[PolicyBuild, str]], ws: Workspace, audience: str
) -> None:
    """The top-100 most-cited papers are counts (46 and 41 in 2024), never "46%"."""
    build, text = editions[audience]
    text = spaced(text)
    counts = [fid for fid in build.rendered.figures_used if "100 most-cited" in ws.figures[fid].label]
    if audience != "executive":
        assert counts
    for fid in counts:
        assert ws.figures[fid].unit == "count", fid
        value = str(ws.figures[fid].value)
        assert not re.search(rf"(?<![\d.,]){value} ?(%|percent\b)", text), fid


@pytest.mark.parametrize("audience", EDITIONS)
def test_unsettled_model_counts_are_never_printed(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """The versions of the report disagree on the 2025 notable-model counts (grade D): no edition
    prints either version's counts; each says only that the US produced more. (Updated after the
    second editorial review: the technical edition used to print them as unsettled.)"""
    build, _ = editions[audience]
    unsettled = {
        "notable_models_2025_us",
        "notable_models_2025_china",
        "notable_models_2025_us_first_release",
        "notable_models_2025_china_first_release",
    }
    assert not unsettled & set(build.rendered.figures_used)


@pytest.mark.parametrize("audience", EDITIONS)
def test_no_advice_to_check_the_newer_edition(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """The brief uses the newer edition itself: it no longer hands the reader the update."""
    text = spaced(editions[audience][1])
    for stale in ("does not use it", "Check whether it confirms", "its figures are not used here", "A newer AI Index"):
        assert stale not in text, stale


@pytest.mark.parametrize("audience", EDITIONS)
def test_every_figure_on_page_one_names_its_year(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """On page 1, every sentence that prints a figure names a year (charts name theirs in their
    subtitles or labels, and are left out here)."""
    from pypdf import PdfReader

    build, _ = editions[audience]
    page = squashed(PdfReader(build.result.path).pages[0].extract_text())
    patterns = [printed(build, fid) for fid in build.rendered.figures_used]
    on_page_one = [s for s in prose(build) if squashed(s[:50]) in page]
    assert len(on_page_one) >= 5
    undated = [s for s in on_page_one if any(p.search(s) for p in patterns) and not re.search(r"\b20\d\d\b", s)]
    assert undated == []


def test_every_2026_figure_is_graded(ws: Workspace) -> None:
    """Every figure from the AI Index 2026 carries the research desk's grade, and those graded
    B– or D are printed only in the technical edition."""
    from brief.pipeline.check import check

    graded = {}
    for fid, fig in ws.figures.items():
        if fig.source and fig.source.startswith("ai-index-2026"):
            match = re.match(r"Grade (A|B–|B|D)(?!\w)", fig.note or "")
            assert match, fid
            graded[fid] = match.group(1)
    assert {"A", "B", "B–", "D"} <= set(graded.values())
    usage = check(REPO).usage["us-china-ai-gap"]
    short = usage["policy"] | usage["executive"]
    assert not [fid for fid, grade in graded.items() if grade in ("B–", "D") and fid in short]
