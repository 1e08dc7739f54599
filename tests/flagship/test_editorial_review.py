"""The second editorial review's findings (M1–M11, L1–L13), pinned wherever a reader could check
them in the text: in all three editions as their PDFs and rendered HTML print them.

The grades behind the figures (A, B, B–, D) decide what is printed; the reader never sees them,
nor any account of how the report was read. Lead changes are the report's claim, never the
brief's. Each finding below names its id.

The policy edition is built once per session by tests/conftest.py, the other two by
tests/flagship/conftest.py."""

from __future__ import annotations

import html as htmllib
import re

import pytest
import yaml

from helpers import REPO, PolicyBuild, spaced, squashed

pytestmark = pytest.mark.slow

EDITIONS = ["policy", "executive", "technical"]
SENTENCE_END = re.compile(r"(?<=[.;!?])[\u2019\u201d\"')]*\s+(?=[A-Z\u201c\"(])")


@pytest.fixture(scope="module")
def editions(
    policy_build: PolicyBuild, policy_text: str, other_builds: dict[str, tuple[PolicyBuild, str]]
) -> dict[str, tuple[PolicyBuild, str]]:
    """Every edition's build and PDF text, by audience."""
    return {"policy": (policy_build, policy_text), **other_builds}


def plain(html: str) -> str:
    """Rendered HTML as text: no note marks, tags or entities."""
    html = re.sub(r'<a class="note-ref".*?</a>|<span class="note-sep">.*?</span>', "", html, flags=re.S)
    return spaced(htmllib.unescape(re.sub(r"<[^>]+>", " ", html))).replace("\u2060", "")


def body(build: PolicyBuild) -> str:
    """The narrative sections' HTML, without charts, endnotes or the figures table."""
    html = build.rendered.html
    html = html[html.index('<section class="section') : html.index('<section class="endnotes"')]
    html = re.sub(r'<section class="section section-appendix-figures">.*?</section>', " ", html, flags=re.S)
    return re.sub(r"<figure\b.*?</figure>", " ", html, flags=re.S)


def prose(build: PolicyBuild) -> list[str]:
    """The narrative's sentences, paragraph by paragraph (see test_editions.prose)."""
    out: list[str] = []
    for _, inner in re.findall(r"<(p|li|h2|h3)\b[^>]*>(.*?)</\1>", body(build), flags=re.S):
        out += SENTENCE_END.split(plain(inner))
    return out


def section(build: PolicyBuild, heading: str) -> str:
    """The text from the h2 *heading* to the next h2."""
    text = body(build)
    start = text.index(f">{heading}</h2>")
    end = text.find("<h2", start)
    return plain(text[start : end if end != -1 else len(text)])


def notes_text(build: PolicyBuild) -> str:
    """All endnotes, as text."""
    return " ".join(plain(n.html) for n in build.rendered.notes)


def chart_text() -> str:
    """Every chart title and subtitle in the brief file."""
    brief = yaml.safe_load((REPO / "briefs" / "us-china-ai-gap.yaml").read_text(encoding="utf-8"))
    return " ".join(f"{c['title']} {c.get('subtitle', '')}" for c in brief["charts"].values())


def test_no_process_language_and_b_minus_attributed(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M10, L4: no edition tells the reader how the report was read ("one copy of the report",
    "research desk", grades, PDF versions); the technical edition attributes each B– figure to
    the report instead."""
    process = re.compile(
        r"\bcop(y|ies) of the report|\bone copy\b|\bcopies\b|research desk|\bgraded?\b|revised PDF|"
        r"first release|\bwe (could|found|read|confirmed)\b",
        re.I,
    )
    for audience in EDITIONS:
        build, text = editions[audience]
        found = [m.group(0) for m in process.finditer(spaced(text) + " " + notes_text(build))]
        assert found == [], audience
    build, _ = editions["technical"]
    b_minus = [fid for fid in build.rendered.figures_used if (build.job.figures[fid].note or "").startswith("Grade B–")]
    assert len(b_minus) >= 8
    others = {
        build.job.figures[fid].text(style)
        for fid in build.rendered.figures_used
        if fid not in b_minus
        for style in ("long", "short")
    }
    for fid in b_minus:
        if build.job.figures[fid].text() in others:  # 54% of one thing, 54% of another: proves nothing
            continue
        shown = {re.escape(spaced(build.job.figures[fid].text(s))) for s in ("long", "short")}
        pattern = re.compile(rf"(?<![\d.,])(?:{'|'.join(shown)})(?![\d%]|[.,]\d)")
        said = [s for s in prose(build) if pattern.search(s)]
        assert said, fid
        assert all(re.search(r"report|chapter|2026 edition", s) for s in said), fid


@pytest.mark.parametrize("audience", EDITIONS)
def test_lead_changes_are_the_reports_claim(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """M1: "changed hands", "traded the lead" and the like appear only as the report's claim,
    in the text and in chart titles; and each edition says the US was ahead at both dates."""
    said = prose(editions[audience][0])
    claim = re.compile(r"changed hands|trad(ed|ing|e) the lead|lead (was|has been) traded|lead changes", re.I)
    for sentence in said:
        if claim.search(sentence):
            assert re.search(r"\breport\b|AI Index", sentence), sentence
    assert not claim.search(chart_text())
    assert "can vanish within months" not in spaced(editions[audience][1])
    assert re.search(r"both dates|two dates", " ".join(said))


@pytest.mark.parametrize("audience", EDITIONS)
def test_top_100_trend_with_both_dates(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """M3: every edition gives the same-edition trend in the top-100 most-cited papers, 2021 and
    2024, next to the 2024 counts."""
    build, _ = editions[audience]
    used = set(build.rendered.figures_used)
    assert {"us_top100_cited_papers_fall_since_2021", "china_top100_cited_papers_rise_since_2021"} <= used
    text = " ".join(prose(build))
    assert re.search(r"2021", text) and re.search(r"2024", text)
    said = prose(build)
    # The 2024 count and the change since 2021, in one sentence or two consecutive ones.
    pairs = [" ".join(said[i : i + 2]) for i in range(len(said))]
    trend = [p for p in pairs if "2021" in p and re.search(r"(?<![\d.,])46(?![\d%])", p)]
    assert trend, audience


def test_talent_is_in_the_technical_edition(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M8: the technical edition prints both talent figures and says what they measure; the
    other two give the longer series as well."""
    build, _ = editions["technical"]
    assert {"us_ai_talent_inflow_decline_2025", "us_ai_talent_inflow_decline_since_2017"} <= set(
        build.rendered.figures_used
    )
    talent = " ".join(s for s in prose(build) if re.search(r"flow|stock|moving to the United States", s))
    assert "flow" in talent and "stock" in talent
    for audience in ("policy", "executive"):
        assert "us_ai_talent_inflow_decline_since_2017" in editions[audience][0].rendered.figures_used, audience


def test_patent_shares_are_never_set_against_citation_shares(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M2: China's share of patents granted (74.2%) is never set "against" the US share of
    citations (51.9%); each is given with its like-for-like counterpart."""
    for audience in EDITIONS:
        text = spaced(editions[audience][1])
        assert not re.search(r"74\.2%[^.;]{0,60}\bagainst\b[^.;]{0,20}51\.9%", text), audience
    for sentence in prose(editions["executive"][0]):
        if "74.2%" in sentence:
            assert "12.1%" in sentence, sentence
        if "51.9%" in sentence:
            assert "29.8%" in sentence, sentence


@pytest.mark.parametrize("audience", EDITIONS)
def test_percentage_points_spelt_out_at_first_use(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """L2 and our issue: the first "pp" in each edition's narrative is "percentage points (pp)"."""
    text = " ".join(prose(editions[audience][0]))
    first = re.search(r"\bpp\b", text)
    assert first, audience
    context = text[max(0, first.start() - 80) : first.end() + 1]
    assert text[: first.end() + 1].endswith("percentage points (pp)"), context


def test_executive_bottom_line(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """Our issue: the executive bottom line is at most three sentences and carries no note
    marks (the evidence below it does); M3: it no longer says "protect the lead in research"."""
    html = editions["executive"][0].rendered.html
    box = re.search(r'<div class="bottom-line">(.*?)</div>', html, flags=re.S)
    assert box
    assert "note-ref" not in box.group(1)
    text = plain(box.group(1)).removeprefix("Bottom line.").strip()
    sentences = re.split(r"(?<=[.!?])[\u2019\u201d\"')]*\s+(?=[A-Z\u201c\"])", text)
    assert 1 <= len(sentences) <= 3, sentences
    assert "high-impact research" not in text


def test_executive_lists_are_not_split_across_pages(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """Our issue: neither list of the executive edition (five numbers, what to watch) runs from
    one page to the next."""
    from pypdf import PdfReader

    build, _ = editions["executive"]
    pages = [squashed(p.extract_text()) for p in PdfReader(build.result.path).pages]
    lists = re.findall(r"<(ol|ul)\b[^>]*>(.*?)</\1>", body(build), flags=re.S)
    assert len(lists) == 2
    for _, inner in lists:
        items = [squashed(plain(i))[:40] for i in re.findall(r"<li\b[^>]*>(.*?)</li>", inner, flags=re.S)]
        first = [n for n, page in enumerate(pages) if items[0] in page]
        last = [n for n, page in enumerate(pages) if items[-1] in page]
        assert len(first) == 1 and first == last, (items[0], first, items[-1], last)


def test_february_2025_arena_note_names_no_model_for_the_2025_edition(
    editions: dict[str, tuple[PolicyBuild, str]],
) -> None:
    """M9, L6: the endnote that gives the AI Index 2025's February 2025 values does not attach
    the 2026 edition's model name to them, and the technical edition invents no mechanism for
    the difference."""
    for audience in EDITIONS:
        notes = notes_text(editions[audience][0])
        assert "1,385" in notes, audience
        for sentence in re.split(r"(?<=[.)])\s+(?=[A-Z])", notes):
            if "1,385" in sentence:
                assert "o1-2024-12-17" not in sentence, sentence
    text = spaced(editions["technical"][1])
    assert "revised as votes accumulate" not in text
    assert "does not say why" in text


@pytest.mark.parametrize("audience", ["policy", "executive"])
def test_compute_evidence_is_dated(editions: dict[str, tuple[PolicyBuild, str]], audience: str) -> None:
    """M4: in the short editions every sentence about Chinese training compute dates the data."""
    said = [s for s in prose(editions[audience][0]) if re.search(r"training compute|compute for China", s)]
    assert said
    for sentence in said:
        assert re.search(r"January 2025|early 2025", sentence), sentence
    assert "latest data that measure it" not in spaced(editions[audience][1])


def test_policy_sections_put_each_claim_where_it_belongs(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M5, M6, M7: DeepSeek's cost is not filed as a Chinese lead; organisational use is framed
    as close; state money is not under "Where the US still leads"."""
    build, _ = editions["policy"]
    china = section(build, "Where China leads")
    assert "DeepSeek" not in china and "Efficiency" not in china
    assert "regions are close" in china
    assert "is in robots, not in organisational use" not in china
    us = section(build, "Where the US still leads")
    assert not re.search(r"\bstate\b", us, re.I)
    assert re.search(r"State money", " ".join(prose(build)))


def test_data_centres_replace_mmlu_in_the_executive_edition(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M11, L10: the US data-centre count is printed in the executive and policy editions; the
    executive edition's five numbers no longer lead with a two-year-old MMLU gap."""
    for audience in ("policy", "executive"):
        assert "data_centres_2025_us" in editions[audience][0].rendered.figures_used, audience
    exec_used = editions["executive"][0].rendered.figures_used
    assert "us_lead_mmlu_end2024" not in exec_used and "us_lead_mmlu_end2023" not in exec_used


@pytest.mark.parametrize("audience", EDITIONS)
def test_open_weight_frontier_and_chinese_developers_named(
    editions: dict[str, tuple[PolicyBuild, str]], audience: str
) -> None:
    """M11, L3: the top open-weight model (GLM-5) is printed with its score in every edition;
    the policy and technical editions name Claude Opus 4.6 and ByteDance."""
    build, text = editions[audience]
    assert "arena_score_top_open_mar2026" in build.rendered.figures_used
    assert "GLM-5" in spaced(text)
    if audience != "executive":
        assert "Claude Opus 4.6" in spaced(text) and "ByteDance" in spaced(text)


def test_driverless_rides_are_never_set_against_each_other(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M11: Apollo Go's yearly rides are printed as evidence of deployment that is AI; where
    Waymo's weekly trips stand beside them, the sentence or the next says they differ in kind."""
    for audience in EDITIONS:
        build, _ = editions[audience]
        assert "apollo_go_driverless_rides_2025" in build.rendered.figures_used, audience
        said = prose(build)
        for i, sentence in enumerate(said):
            if "Waymo" in sentence:
                assert re.search(r"weekly rate", " ".join(said[i : i + 2])), sentence


def test_investment_ratio_is_about_23_times(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """L1: the 2025 ratio is "about 23 times" in every edition, "more than twenty-three times" in
    the chart title; never 23.1 times, never "more than twenty"."""
    for audience in EDITIONS:
        text = spaced(editions[audience][1])
        assert "23.1 times" not in text, audience
        assert "about 23 times" in text.replace("About", "about"), audience
    titles = chart_text()
    assert "more than twenty-three times" in titles and "more than twenty times" not in titles


def test_wording_of_headings_and_survey_years(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """L9, L11, L8: "nearly level", "most recent edition", the optimism survey's year in the
    sentence, and robots called one measure of deployment, not of AI use."""
    policy = " ".join(prose(editions["policy"][0]))
    assert "nearly level" in policy and "performance is level" not in policy
    assert "the last edition to make" not in chart_text()
    for sentence in prose(editions["policy"][0]):
        if "optimistic public" in sentence:
            assert "2024" in sentence, sentence
    executive = " ".join(prose(editions["executive"][0]))
    assert "not of AI use" in executive


def test_technical_caveats(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """L5, L7, L12, L13: no orphaned January 2024 Arena gap from the other edition; the CCID
    and CAICT industry estimates together; China's share of world robot installations; the
    figures table grouped by section, with "about 75%"."""
    build, _ = editions["technical"]
    used = build.rendered.figures_used
    assert "chatbot_arena_us_china_gap_jan2024" not in used
    assert {"china_ai_industry_scale_2024", "caict_core_ai_industry_scale_2024"} <= set(used)
    assert "china_share_world_robot_installations_2024" in used
    order = list(dict.fromkeys(used))
    benchmarks = [i for i, fid in enumerate(order) if fid.startswith("us_lead_")]
    assert benchmarks == list(range(benchmarks[0], benchmarks[0] + len(benchmarks)))
    table = re.search(r'<table class="figures-table">(.*?)</table>', build.rendered.html, flags=re.S)
    assert table and "about 75%" in plain(table.group(1))


def test_report_cited_as_published_with_its_data_cut_off(editions: dict[str, tuple[PolicyBuild, str]]) -> None:
    """M10 and the review's currency notes: the AI Index 2026 is cited as its publisher cites it
    (April 13, 2026, no version), and every edition states its data cut-off and the next edition."""
    for audience in EDITIONS:
        build, text = editions[audience]
        notes = notes_text(build)
        assert "Artificial Intelligence Index Report 2026 (Stanford University, April 13, 2026)" in notes, audience
        # squashed: a line may end in a hyphenated "develop-ments"
        assert "laterdevelopmentsarenotreflected" in squashed(text).lower(), audience
        assert "2027" in spaced(text), audience
