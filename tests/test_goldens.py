"""Golden files as a specification: the flagship brief's rendered HTML and its charts'
Vega-Lite specs are exactly what tests/golden/ holds.

tests/golden/us-china-ai-gap/ has, for each audience (policy, executive, technical), the HTML
handed to the typesetter (AUDIENCE.html) and the Vega-Lite spec of every chart it places
(AUDIENCE/CHART.vl.json); tests/goldens.py says how they are made (fixed date, paths and
chart cache keys replaced by placeholders, nothing drawn).

A change meant to change the output fails here with a diff. Regenerate the goldens with
one command, from the repository's root, and review them before committing:

    python scripts/regenerate-goldens
    git diff tests/golden
"""

from __future__ import annotations

import difflib
import json
import re

import pytest

from goldens import AUDIENCES, BRIEF, GOLDEN, KINDS_BRIEF, REGENERATE, golden_files, stored_files

DIFF_LINES = 60


@pytest.fixture(scope="module")
def made() -> dict[str, str]:
    """The golden files as the workspace and code make them now."""
    return golden_files()


def diff(name: str, expected: str, actual: str) -> str:
    """The first lines of a unified diff of *name*, golden against current."""
    lines = list(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"tests/golden/{name} (golden)",
            f"{name} (now)",
            n=2,
        )
    )
    cut = "" if len(lines) <= DIFF_LINES else f"... ({len(lines) - DIFF_LINES} more diff lines)\n"
    return "".join(lines[:DIFF_LINES]) + cut


def test_golden_files_are_the_expected_set(made: dict[str, str]) -> None:
    """One HTML file per audience and one spec per chart it places: none missing, none stale."""
    stored = set(stored_files())
    assert set(made) == stored, (
        f"missing: {sorted(set(made) - stored)}; stale: {sorted(stored - set(made))}; regenerate with: {REGENERATE}"
    )
    assert {name for name in made if name.endswith(".html") and name.startswith(BRIEF)} == {
        f"{BRIEF}/{a}.html" for a in AUDIENCES
    }


def mismatches(made: dict[str, str], names: list[str]) -> str:
    """The failure message for the golden files *names* that differ from what is *made* now:
    which, how to regenerate, and the first lines of the diff."""
    differ = [
        name
        for name in names
        if not (GOLDEN / name).is_file() or (GOLDEN / name).read_text(encoding="utf-8") != made[name]
    ]
    if not differ:
        return ""
    diffs = "".join(
        diff(name, (GOLDEN / name).read_text(encoding="utf-8") if (GOLDEN / name).is_file() else "", made[name])
        for name in differ
    )
    return (
        f"not as in tests/golden/: {', '.join(differ)}; if the change is meant, regenerate with "
        f"`{REGENERATE}` and review `git diff tests/golden`\n" + "".join(diffs.splitlines(True)[:DIFF_LINES])
    )


@pytest.mark.parametrize("audience", AUDIENCES)
def test_html_matches_golden(made: dict[str, str], audience: str) -> None:
    """The HTML handed to the typesetter for AUDIENCE is its golden file, byte for byte."""
    message = mismatches(made, [f"{BRIEF}/{audience}.html"])
    if message:
        pytest.fail(message, pytrace=False)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_chart_specs_match_golden(made: dict[str, str], audience: str) -> None:
    """The Vega-Lite spec of every chart AUDIENCE places is its golden file, byte for byte."""
    specs = [name for name in sorted(made) if name.startswith(f"{BRIEF}/{audience}/")]
    assert specs and all(name.endswith(".vl.json") for name in specs)
    message = mismatches(made, specs)
    if message:
        pytest.fail(message, pytrace=False)


KIND_CHARTS = ["capacity", "fabs", "funding", "funding_side", "capacity_panels", "fabs_dots"]
KIND_FILES = [f"{chart}.vl.json" for chart in KIND_CHARTS] + ["shares_table.html"]


@pytest.mark.parametrize("golden", KIND_FILES)
def test_chart_kinds_match_golden(made: dict[str, str], golden: str) -> None:
    """The Vega-Lite spec of each chart kind (line, column, stacked, grouped, small multiples,
    a spec of one's own) in tests/fixtures/kinds, and the HTML of its table (a table is not
    drawn), is its golden file, byte for byte."""
    name = f"{KINDS_BRIEF}/{golden}"
    assert name in made
    message = mismatches(made, [name])
    if message:
        pytest.fail(message, pytrace=False)


def test_goldens_hold_nothing_machine_specific() -> None:
    """No absolute file URI or chart cache key leaks into a golden file; specs are Vega-Lite JSON."""
    for name, text in stored_files().items():
        assert "file:///" not in text and not re.search(r"chart:[0-9a-f]{64}", text), name
        if name.endswith(".html") and name.startswith(BRIEF):
            assert "file://{THEME}/style.css" in text, name
        elif name.endswith(".vl.json"):
            assert json.loads(text)["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), name


def test_a_change_shows_a_diff_and_the_command(made: dict[str, str]) -> None:
    """The failure message has teeth: a changed word shows as a -/+ pair in the diff."""
    name = f"{BRIEF}/policy.html"
    changed = made[name].replace("<main>", "<main>\n<p>an extra paragraph</p>", 1)
    assert changed != made[name]
    shown = mismatches({name: changed}, [name])
    assert "+<p>an extra paragraph</p>" in shown and REGENERATE in shown
    assert shown.splitlines()[1].startswith("--- tests/golden/")
