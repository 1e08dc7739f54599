"""data/units.yaml: a workspace's own units, read as hostile input (every problem with its
file and line), extending and overriding brief's packaged defaults (brief/model/units.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from brief.model.units import UNITS, format_value
from brief.pipeline.check import check
from brief.workspace.load import load_workspace
from brief.workspace.units import read_units
from helpers import job_for, line_number, replace_in

GOOD = """\
# units of our own
wafers_per_month:
  long: "{n} wafers per month"
  short: "{n} wpm"
  axis: wafers per month
  decimals: 0
  nonnegative: true
  languages:
    de: {long: "{n} Wafer pro Monat", short: "{n} Wafer/Monat", axis: Wafer pro Monat}
gbp_million:
  currency: GBP
  scale: million
count:
  long: "{n} units"
  short: "{n}"
  axis: units
  decimals: 0
"""


def write_units(root: Path, text: str) -> Path:
    path = root / "data" / "units.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_defaults_are_the_built_in_units() -> None:
    """The defaults file holds the units brief has always had."""
    assert set(UNITS) == {
        "pp",
        "percent",
        "usd_billion",
        "usd_million",
        "cny_billion",
        "count",
        "ratio",
        "per_year",
        "score",
        "percent_per_year",
    }


def test_a_workspace_adds_and_overrides_units(mini: Path) -> None:
    """Figures may use the workspace's units; an override replaces the default by name;
    the defaults stay as they are for other workspaces."""
    write_units(mini, GOOD)
    replace_in(
        mini / "data" / "figures" / "widgets.yaml",
        "value: 276300\n  unit: count",
        "value: 276300\n  unit: wafers_per_month",
    )
    # Alpha is no longer in Beta's unit, so it cannot share Beta's chart axis.
    replace_in(mini / "briefs" / "mini.yaml", "      - {label: Alpha, figure: widgets_alpha}\n", "")
    ws = load_workspace(mini)
    assert ws.units["count"].long == "{n} units" and UNITS["count"].long == "{n}"
    job = job_for(ws)
    assert job.figures["widgets_alpha"].text() == "276,300 wafers per month"
    assert job.figures["widgets_beta"].text() == "46,100 units"
    assert format_value(2.5, "gbp_million", 1, units=ws.units) == "£2.5 million"
    assert format_value(2.5, "gbp_million", 1, "short", ws.units) == "£2.5M"
    assert format_value(1200, "wafers_per_month", None, units=ws.units, language="de-DE") == "1.200 Wafer pro Monat"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- a\n- b\n", 1, "a units file is a mapping of unit names to units"),
        (
            "ok:\n  long: '{n} x'\n  short: '{n}x'\n  axis: x\nBad-Name:\n  long: '{n}'\n",
            5,
            "'Bad-Name' is not a unit name",
        ),
        ("widgets:\n  long: '{n} widgets'\n  short: '{n.__class__}'\n  axis: widgets\n", 3, "must hold {n}"),
        ("widgets:\n  long: '{n} widgets'\n  short: '{n}'\n", 1, "a unit needs long, short and axis"),
        ("money:\n  currency: XYZ\n  scale: billion\n", 1, "'XYZ' is not an ISO 4217 currency code"),
        ("money:\n  currency: EUR\n  scale: zillion\n", 3, "scale: Input should be"),
        (
            "widgets:\n  long: '{n}'\n  short: '{n}'\n  axis: w\n  colour: red\n",
            5,
            "unknown key 'colour'; valid keys: long, short, axis",
        ),
        (
            "pp:\n  long: '{n}%'\n  short: '{n}%'\n  axis: points\n",
            1,
            "unit 'pp': percentage points are never written '%'",
        ),
        ("gap:\n  long: '{n} percentage points'\n  short: '{n}%'\n  axis: pp\n", 1, "never written '%'"),
        ("w: 3\n", 1, "unit 'w' is not a mapping"),
    ],
)
def test_a_bad_units_file_is_reported_at_its_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    """Each bad unit is a problem with the file's line; good units beside it are still read."""
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    units, problems = read_units(path)
    assert [p.line for p in problems] == [line], [str(p) for p in problems]
    assert message in problems[0].message
    if text.startswith("ok:"):
        assert set(units) == {"ok"}


def test_check_reports_an_unknown_unit_at_its_line(ws: Path) -> None:
    """brief check names the figure file and the line of the unit, and the units it knows."""
    write_units(ws, GOOD)
    figures = ws / "data" / "figures" / "widgets.yaml"
    replace_in(figures, "value: 46100\n  unit: count", "value: 46100\n  unit: wafers_a_month")
    problems = [p for p in check(ws).problems if p.severity == "error"]
    assert len(problems) == 1
    assert problems[0].path == figures
    assert problems[0].line == line_number(figures, "unit: wafers_a_month")
    assert "unknown unit 'wafers_a_month'" in problems[0].message and "wafers_per_month" in problems[0].message


def test_a_bad_units_file_fails_check_and_leaves_figures_alone(ws: Path) -> None:
    """A broken unit is reported at its line; a figure in a known unit still loads."""
    path = write_units(ws, "widgets:\n  long: '{n} widgets'\n  short: '{n}'\n  axis: widgets\n  decimals: 9\n")
    problems = [p for p in check(ws).problems if p.severity == "error"]
    assert [(p.path, p.line) for p in problems] == [(path, 5)]
    assert "decimals" in problems[0].message
