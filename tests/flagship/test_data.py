"""The curated data in data/: the seed traps are ruled out in the data itself."""

from __future__ import annotations

import re

import pytest

from brief.pipeline.resolve import resolve_figures
from brief.workspace.load import Workspace, load_workspace
from helpers import REPO


@pytest.fixture(scope="module")
def ws() -> Workspace:
    """The repository's workspace, loaded once (read only)."""
    return load_workspace(REPO)


def test_benchmark_leads_are_in_percentage_points(ws: Workspace) -> None:
    """Every US-lead figure (id us_lead_*) is stored in pp, so it can never print as "%"."""
    leads = {fid: fig.unit for fid, fig in ws.figures.items() if fid.startswith("us_lead_")}
    assert len(leads) == 8  # MMLU, MMMU, MATH, HumanEval × end of 2023, end of 2024
    assert set(leads.values()) == {"pp"}


def test_lead_labels_are_stored_in_pp(ws: Workspace) -> None:
    """Any figure whose label speaks of a lead over China on a benchmark is in pp."""
    for fid, fig in ws.figures.items():
        if re.search(r"lead over China on (MMLU|MMMU|MATH|HumanEval)", fig.label):
            assert fig.unit == "pp", fid


def test_organisational_use_rises_are_in_pp(ws: Workspace) -> None:
    """Rises in a share of organisations (27 and 23) are percentage points, not percent."""
    rises = {fid: fig for fid, fig in ws.figures.items() if fid.startswith("org_ai_use_growth_")}
    assert {fid: (f.value, f.unit) for fid, f in rises.items()} == {
        "org_ai_use_growth_greater_china": (27, "pp"),
        "org_ai_use_growth_europe": (23, "pp"),
    }


def test_swe_bench_is_global_not_chinese(ws: Workspace) -> None:
    """The SWE-bench 71.7 is labelled a worldwide best (by OpenAI o3), not a Chinese result."""
    fig = ws.figures["swe_bench_best_global_2024"]
    assert fig.value == 71.7
    assert "worldwide" in fig.label and "OpenAI o3" in fig.label
    assert "China" not in fig.label and "Chinese" not in fig.label


def test_only_the_2025_ai_index_edition(ws: Workspace) -> None:
    """No figure, source or brief field names the 2024 edition of the AI Index."""
    texts = [str(fig.model_dump()) for fig in ws.figures.values()]
    texts += [str(src.model_dump()) for src in ws.sources.values()]
    texts += [str(brief.model_dump()) for brief in ws.briefs.values()]
    wrong = re.compile(r"AI Index (Report )?2024|2024 AI Index")
    assert not [t for t in texts if wrong.search(t)]
    assert ws.sources["ai-index-2025"].title == "Artificial Intelligence Index Report 2025"


def test_every_source_is_cited_by_a_figure(ws: Workspace) -> None:
    """As sources.yaml promises, every source is cited by at least one figure."""
    cited = {fig.source for fig in ws.figures.values() if fig.source}
    assert set(ws.sources) == cited


def test_claims_are_attributed(ws: Workspace) -> None:
    """Every figure from a secondary source (claims.yaml) names its claimant."""
    path = REPO / "data" / "figures" / "claims.yaml"
    claims = [fid for fid in ws.figures if ws.origin("figure", fid).path == path]
    assert claims
    assert all(ws.figures[fid].claimed_by for fid in claims)


@pytest.mark.parametrize(
    ("fid", "text"),
    [
        ("private_ai_investment_ratio_us_china", "11.7 times"),
        ("industrial_robots_ratio_china_japan", "6.0 times"),
        ("industrial_robots_ratio_china_us", "7.3 times"),
    ],
    ids=["investment-us-china", "robots-china-japan", "robots-china-us"],
)
def test_derived_figures_match_the_report(fid: str, text: str) -> None:
    """Derived figures reproduce the report's stated values (data/README.md)."""
    assert resolve_figures(load_workspace(REPO))[fid].text() == text


def test_two_arena_gaps_are_distinct_figures(ws: Workspace) -> None:
    """The two February 2025 "1.70%" gaps are separate figures with different labels."""
    us_china = ws.figures["chatbot_arena_us_china_gap_feb2025"]
    open_closed = ws.figures["open_vs_closed_gap_feb2025"]
    assert (us_china.value, us_china.decimals) == (open_closed.value, open_closed.decimals) == (1.70, 2)
    assert "top Chinese model" in us_china.label
    assert "open-weight" in open_closed.label and "Chinese" not in open_closed.label
