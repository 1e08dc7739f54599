"""``brief check`` agrees with ``brief build``: whatever a build refuses, check has already
reported, with the same file, line and message."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief.workspace.templates
from brief.cli import cli
from helpers import REPO, THEME, copy_workspace, replace_in
from test_bad_input import CASES as BUILD_CASES

Breaker = Callable[[Path], object]
BRIEF = "briefs/us-china-ai-gap.yaml"


def run(root: Path, *args: str) -> Result:
    """``brief -C ROOT ARGS`` in process."""
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def chart_not_placed(root: Path) -> None:
    # Listed for the executive audience, placed by none of its templates.
    replace_in(
        root / BRIEF,
        "    charts: [arena_gap, private_investment]\n",
        "    charts: [arena_gap, private_investment, robots]\n",
    )


def chart_not_listed(root: Path) -> None:
    # Placed by the executive's bottom line, no longer listed.
    replace_in(root / BRIEF, "    charts: [arena_gap, private_investment]\n", "    charts: [arena_gap]\n")


def audience_without_templates(root: Path) -> None:
    shutil.rmtree(root / "templates" / "executive")


def brand_font_missing(root: Path) -> None:
    # A brand without a fonts list inherits the theme's (a partial brand.yml is valid); a font
    # file the brand names that is not there is an error in both.
    path = root / "templates" / "brand.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("fonts/SourceSans3-Bold.ttf", "fonts/NoSuchFont-Bold.ttf"), encoding="utf-8")


def layout_not_a_file(root: Path) -> None:
    # A FIFO where a layout override would be: reading it would block the build forever.
    os.mkfifo(root / "templates" / "base.html.j2")


def section_missing(root: Path) -> None:
    (root / "templates" / "executive" / "what-to-watch.md.j2").unlink()


# Each case, with the audience whose build it breaks.
CASES: dict[str, tuple[Breaker, str]] = {
    **{name: (breaker, "policy") for name, (breaker, _) in BUILD_CASES.items()},
    "chart-not-placed": (chart_not_placed, "executive"),
    "chart-not-listed": (chart_not_listed, "executive"),
    "audience-without-templates": (audience_without_templates, "executive"),
    "brand-font-missing": (brand_font_missing, "executive"),
    "layout-not-a-file": (layout_not_a_file, "executive"),
    "section-missing": (section_missing, "executive"),
}


def errors_of(result: Result) -> list[str]:
    """The error lines a command printed (check ends with a count; that is not one)."""
    return [line for line in result.output.splitlines() if ": error: " in line or line.startswith("error: ")]


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_check_reports_what_build_refuses(tmp_path: Path, case: str) -> None:
    """For every kind of bad input, check exits 1 and its errors include the one build stops on."""
    root = copy_workspace(REPO, tmp_path / "ws")
    breaker, audience = CASES[case]
    breaker(root)
    checked = run(root, "check")
    built = run(root, "build", "--audience", audience, "--force")
    assert built.exit_code == 1, built.output
    assert checked.exit_code == 1, checked.output
    first = errors_of(built)[0]
    assert first in errors_of(checked), (first, checked.stderr)


@pytest.mark.slow
def test_a_damaged_theme_is_reported_by_check_and_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation whose theme lost its stylesheet: both commands name the file and say
    how to repair it, instead of typesetting without the stylesheet."""
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    (theme / "style.css").unlink()
    monkeypatch.setattr(brief.workspace.templates, "theme_dir", lambda: theme)
    root = copy_workspace(REPO, tmp_path / "ws")
    checked, built = run(root, "check"), run(root, "build", "--force")
    for result in (checked, built):
        assert result.exit_code == 1
        [line] = [e for e in errors_of(result) if "style.css" in e]
        assert "the built-in theme's style.css cannot be used" in line and "reinstall brief" in line


def test_no_brand_file_is_a_warning(tmp_path: Path) -> None:
    """A workspace without templates/brand.yml builds with the theme's brand, and check says
    so (the masthead would not name the user's organisation)."""
    root = copy_workspace(REPO, tmp_path / "ws")
    (root / "templates" / "brand.yml").unlink()
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert "templates/brand.yml: warning: no brand file: the built-in theme's brand is used" in result.output
