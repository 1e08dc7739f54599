"""Stage 2, resolve (brief.pipeline.resolve): derived figures, brief and audience selection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from brief.errors import DataError, WorkspaceError
from brief.pipeline.resolve import Job, pick_brief, resolve_figures
from brief.workspace.load import load_workspace
from helpers import REPO, job_for, replace_in

DERIVED = [
    # id, value, text
    ("widgets_ratio", 276300 / 46100, "6.0 times"),
    ("widgets_difference", 230200, "230,200"),
    ("beta_share_of_alpha", 46100 / 276300 * 100, "16.7%"),
    ("share_rise", 27, "27.0 percentage points"),
    ("share_growth", 56.25, "56.3%"),  # (75 − 48) ÷ 48 × 100, half-up to one decimal
]


@pytest.mark.parametrize(("fid", "value", "text"), DERIVED, ids=[d[0] for d in DERIVED])
def test_derived_figures_are_computed(mini_job: Job, fid: str, value: float, text: str) -> None:
    """Each operation (ratio, difference, share, pp_change, percent_change) computes its value,
    and a derived figure is written with its own decimals (one by default)."""
    fig = mini_job.figures[fid]
    assert fig.value == pytest.approx(value)
    assert fig.text() == text


def test_every_operation_is_covered(mini_job: Job) -> None:
    """The fixture exercises every derivation operation the model allows."""
    from typing import get_args

    from brief.model.schema import Operation

    ws = load_workspace(mini_job.root)
    used = {ws.figures[fid].derive.op for fid, _, _ in DERIVED}  # type: ignore[union-attr]
    # sum, product and cagr, with their unit rules, are built in test_numbers.py.
    assert used == set(get_args(Operation)) - {"sum", "product", "cagr"}


def test_pp_change_is_later_minus_earlier(mini_job: Job) -> None:
    """pp_change is b − a: from 48% to 75% is a rise of 27 percentage points, not a fall."""
    assert mini_job.figures["share_rise"].value > 0
    assert mini_job.figures["share_rise"].unit == "pp"


def test_base_figure_is_its_own_base(mini_job: Job) -> None:
    """A base figure's bases are itself, and it has no derivation text."""
    fig = mini_job.figures["widgets_alpha"]
    assert [b.id for b in fig.bases] == ["widgets_alpha"]
    assert fig.derivation is None
    assert fig.source_ids == ("report-a",)


def test_derived_bases_are_flattened(mini_job: Job) -> None:
    """A figure derived from derived figures lists the base figures (and sources) behind them."""
    fig = mini_job.figures["rise_per_ratio"]
    assert [b.id for b in fig.bases] == ["share_2023", "share_2024", "widgets_alpha", "widgets_beta"]
    assert fig.source_ids == ("survey-b", "report-a")
    assert fig.as_of == "2024-06"  # the latest input's date
    assert fig.text() == "4.50 times"


def test_derivation_text(mini_job: Job) -> None:
    """The derivation is written with the inputs' formatted values and lower-cased labels."""
    assert mini_job.figures["widgets_ratio"].derivation == (
        "276,300 (Widgets installed by Alpha, 2024) ÷ 46,100 (Widgets installed by Beta, 2024)"
    )
    assert mini_job.figures["share_rise"].derivation == (
        "48% (Share of firms using gadgets, 2023) → 75% (Share of firms using gadgets, 2024)"
    )


def test_claim_attribution_carries_through(mini: Path) -> None:
    """A figure derived from a claimed figure is still attributed to the claimant."""
    (mini / "data" / "figures" / "zz.yaml").write_text(
        "- id: claimed_ratio\n  label: Claimed gadgets per widget ratio\n  unit: ratio\n"
        "  derive: {op: ratio, of: [gadgets_claimed, widgets_ratio]}\n",
        encoding="utf-8",
    )
    figures = resolve_figures(load_workspace(mini))
    assert figures["claimed_ratio"].claimed_by == "Gadget Corp"


def test_division_by_zero_names_the_zero_divisor(mini: Path) -> None:
    """A ratio whose denominator is zero is a DataError at the derived figure naming the divisor."""
    replace_in(mini / "data" / "figures" / "widgets.yaml", "value: 46100", "value: 0")
    with pytest.raises(DataError) as info:
        job_for(load_workspace(mini))
    assert info.value.message == "figure 'widgets_ratio' divides by 'widgets_beta', which is zero"
    assert info.value.path is not None and info.value.path.name == "widgets.yaml"


def test_percent_change_from_zero_names_the_zero_figure(mini: Path) -> None:
    """A percent change from a zero base names the base (the first input), which is zero."""
    replace_in(mini / "data" / "figures" / "shares.yaml", "value: 48", "value: 0")
    with pytest.raises(DataError) as info:
        job_for(load_workspace(mini))
    assert info.value.message == "figure 'share_growth' divides by 'share_2023', which is zero"


def test_derived_score_difference_is_a_whole_number() -> None:
    """The Chatbot Arena score gap (1,385 − 1,362, unit score) is written 23, like its unit."""
    figures = resolve_figures(load_workspace(REPO))
    assert figures["chatbot_arena_score_gap_feb2025"].text() == "23"


def test_label_case_in_derivations(mini: Path) -> None:
    """A derivation quotes its inputs' labels as written: no guessing at proper nouns."""
    (mini / "data" / "figures" / "zz.yaml").write_text(
        "- id: inv\n  label: Private investment in widgets\n  value: 10\n  unit: usd_billion\n"
        "  as_of: '2024'\n  source: report-a\n  locator: p. 1\n"
        "- id: us_inv\n  label: US investment in widgets\n  value: 5\n  unit: usd_billion\n"
        "  as_of: '2024'\n  source: report-a\n  locator: p. 1\n"
        "- id: inv_ratio\n  label: Ratio of the two\n  unit: ratio\n"
        "  derive: {op: ratio, of: [inv, us_inv]}\n",
        encoding="utf-8",
    )
    derivation = resolve_figures(load_workspace(mini))["inv_ratio"].derivation
    assert derivation == "$10 billion (Private investment in widgets) ÷ $5 billion (US investment in widgets)"


def test_proper_noun_labels_keep_their_capital(tmp_path: Path) -> None:
    """Deriving from "China's share of granted AI patents" keeps the capital C in the note."""
    root = tmp_path / "ws"
    shutil.copytree(REPO / "briefs", root / "briefs")
    shutil.copytree(REPO / "data", root / "data")
    (root / "data" / "figures" / "zz.yaml").write_text(
        "- id: patent_share_ratio\n  label: China's share of AI patents over the US share\n"
        "  unit: ratio\n  decimals: 1\n"
        "  derive: {op: ratio, of: [china_share_ai_patents_2023, us_share_ai_patents_2023]}\n",
        encoding="utf-8",
    )
    derivation = resolve_figures(load_workspace(root))["patent_share_ratio"].derivation or ""
    assert "(China's share of granted AI patents worldwide, 2023)" in derivation


# --- picking the brief and the audience -----------------------------------------------


def test_pick_the_only_brief(mini: Path) -> None:
    """With one brief and none named, that brief is used."""
    assert pick_brief(load_workspace(mini), None).id == "mini"


def test_pick_brief_with_no_brief(mini: Path) -> None:
    """With no brief at all, the error says to add one."""
    (mini / "briefs" / "mini.yaml").unlink()
    with pytest.raises(WorkspaceError) as info:
        pick_brief(load_workspace(mini), None)
    assert info.value.message == "no brief in briefs/"
    assert "briefs/NAME.yaml" in (info.value.hint or "")


@pytest.fixture
def two_briefs(mini: Path) -> Path:
    """The mini workspace with a second brief, other.yaml."""
    shutil.copy(mini / "briefs" / "mini.yaml", mini / "briefs" / "other.yaml")
    return mini


def test_two_briefs_need_a_name(two_briefs: Path) -> None:
    """With two briefs and none named, the error says how to name one and lists both."""
    with pytest.raises(WorkspaceError) as info:
        pick_brief(load_workspace(two_briefs), None)
    assert info.value.message == "this workspace holds 2 briefs; name one"
    assert info.value.hint == "give its name as the BRIEF argument (e.g. brief build mini); choose from: mini, other"


@pytest.mark.parametrize("name", ["other", "other.yaml", "briefs/other.yaml"], ids=["id", "file-name", "path"])
def test_pick_named_brief(two_briefs: Path, name: str) -> None:
    """A brief can be named by id, file name or path (its stem is used)."""
    assert pick_brief(load_workspace(two_briefs), name).id == "other"


def test_unknown_brief_name(two_briefs: Path) -> None:
    """Naming a brief that does not exist lists the ones that do."""
    with pytest.raises(WorkspaceError) as info:
        pick_brief(load_workspace(two_briefs), "nope")
    assert info.value.message == "no brief named 'nope'"
    assert info.value.hint == "choose from: mini, other"


def test_resolve_builds_a_job(mini: Path) -> None:
    """resolve() selects the audience and resolves every figure; the job names its output file."""
    job = job_for(load_workspace(mini))
    assert job.audience_name == "policy"
    assert job.audience.sections == ["intro"]
    assert job.output_name == "mini-policy.pdf"
    assert job.brief_path.name == "mini.yaml"
    assert set(job.figures) == set(load_workspace(mini).figures)


def test_unknown_audience_lists_valid_audiences(mini: Path) -> None:
    """An audience the brief does not define is a WorkspaceError listing the valid audiences."""
    with pytest.raises(WorkspaceError) as info:
        job_for(load_workspace(mini), "nope")
    assert info.value.message == "brief 'mini' has no audience 'nope'"
    assert info.value.hint == "choose from: policy, press"
    assert info.value.path is not None and info.value.path.name == "mini.yaml"


@pytest.mark.parametrize("epoch", ["99999999999999999", "-5", "abc", "253402300800", "1.5"])
def test_an_absurd_source_date_epoch_is_one_error(mini: Path, monkeypatch: pytest.MonkeyPatch, epoch: str) -> None:
    """SOURCE_DATE_EPOCH that is not a count of seconds from 1970 to the year 9999 is a
    WorkspaceError naming the variable (too large a number was an OSError traceback)."""
    from brief.model.request import source_date

    with pytest.raises(WorkspaceError, match=rf"^SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970"):
        source_date(epoch)


def test_a_sensible_source_date_epoch_is_the_date_recorded(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0 and a present-day value are accepted as they are."""
    import datetime as dt

    from brief.model.request import source_date
    from brief.pipeline.resolve import build_time

    for epoch, year in (("0", 1970), ("1767225600", 2026)):
        assert build_time(dt.date(2025, 5, 1), source_date(epoch)).year == year
    assert source_date("") is None and build_time(dt.date(2025, 5, 1)) == dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
