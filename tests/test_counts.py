"""Counts in messages are in good English: one of a thing is never "1 things" (every count a
user reads is made by :func:`brief.model.counting.counted`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from brief.errors import WorkspaceError
from brief.pipeline.check import check
from brief.workspace.load import load_workspace
from helpers import REPO, copy_workspace, job_for, replace_in


def test_a_window_of_one_month_is_one_month(ws: Path) -> None:
    """A freshness window of one month is "1 month"; a figure two months old, "2 months"."""
    replace_in(
        ws / "briefs" / "mini.yaml",
        "keywords: [widgets, gadgets]\n",
        "keywords: [widgets, gadgets]\nfreshness_months: 1\n",
    )
    replace_in(ws / "data" / "figures" / "shares.yaml", 'as_of: "2023"', 'as_of: "2025-03"')
    [warning] = [p for p in check(ws).warnings if p.message.startswith("figure 'share_2023'")]
    assert "2025-03, 2 months before the brief's date" in warning.message
    assert warning.message.endswith("the brief's freshness window is 1 month")


def test_a_brief_with_one_variant_has_one_variant(tmp_path: Path) -> None:
    """A brief with a single variant, built without naming it, says it has "1 variant"."""
    root = tmp_path / "profiles"
    shutil.copytree(REPO / "examples" / "country-profiles", root)
    countries = root / "data" / "countries.csv"
    countries.write_text("\n".join(countries.read_text(encoding="utf-8").splitlines()[:2]) + "\n", encoding="utf-8")
    with pytest.raises(WorkspaceError) as info:
        job_for(load_workspace(root), "profile")
    assert info.value.message == "brief 'profiles' has 1 variant; name one"


def test_a_row_of_one_cell_has_one_cell(tmp_path: Path) -> None:
    """A figures table row holding one cell says so, in the singular."""
    root = copy_workspace(REPO, tmp_path / "ws")
    table = root / "data" / "figures" / "opinion.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    table.write_text("\n".join([lines[0], "lonely", *lines[1:]]) + "\n", encoding="utf-8")
    messages = [p.message for p in load_workspace(root, collect=True).problems]
    assert "row has 1 cell, the header has 8" in messages
