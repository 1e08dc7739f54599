"""examples/country-profiles as a recipient gets it: at least five one-page profiles, each
opening with its country's key numbers and using its page (not 40% of it blank), and the
example copies with ``brief init --example`` and checks clean under ``--strict``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.workspace.load import load_workspace
from helpers import job_for, render_job

# What each profile's key-numbers panel must print: its headline numbers, in their short form.
KEY_NUMBERS = {
    "us": ["$109.1B", "40", "37,600", "39%", "14.2%"],
    "china": ["$9.3B", "15", "276,300", "69.7%", "83%"],
    "japan": ["46,100", "276,300", "6.0×", "37,600"],
    "uk": ["$4.5B", "24.1×", "$109.1B", "$9.3B"],
    "canada": ["40%", "39%", "83%", "36%"],
}
MOST_BLANK = 0.25  # of the text area, below the last line
PT_PER_IN = 72


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example as `brief init --example country-profiles` copies it."""
    root = tmp_path_factory.mktemp("init") / "profiles"
    result = CliRunner().invoke(cli, ["init", str(root), "--example", "country-profiles"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def built(workspace: Path) -> Path:
    """Every profile, built."""
    result = CliRunner().invoke(cli, ["-C", str(workspace), "build", "--all"])
    assert result.exit_code == 0, result.output
    return workspace / "out"


def _no_drawing(job: object) -> list[str]:
    return ['<svg xmlns="http://www.w3.org/2000/svg"/>'] * len(job.specs)  # type: ignore[attr-defined]


def _panel(html: str) -> str:
    """The text of the key-numbers panel, marks and tags stripped."""
    found = re.search(r'<div class="key-numbers">(.*?)</div></div>\n', html, re.S)
    assert found, "no key-numbers panel"
    text = re.sub(r'<a class="note-ref"[^>]*>\d+</a>', "", found.group(1))
    return re.sub(r"<[^>]+>", " ", text).replace("\u00a0", " ").replace("\u2060", "")


def test_five_countries_check_clean_under_strict(workspace: Path) -> None:
    """The copied example has at least five variants, and `brief check --strict` finds no
    problem in any of them."""
    assert len(load_workspace(workspace).variants["profiles"]) >= 5
    result = CliRunner().invoke(cli, ["-C", str(workspace), "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_at_least_five_countries_each_with_its_key_numbers_panel(workspace: Path) -> None:
    """Each variant opens with a panel of three to five numbers, each from a figure and with
    its source mark; the panel holds the country's own headline numbers."""
    ws = load_workspace(workspace)
    ids = [v.id for v in ws.variants["profiles"]]
    assert len(ids) >= 5 and set(KEY_NUMBERS) <= set(ids), ids
    for variant, numbers in KEY_NUMBERS.items():
        html = render_job(ws, job_for(ws, "profile", variant=variant), draw=_no_drawing).html
        section = html[html.index("<main>") :]
        assert section.index('class="key-numbers"') < section.index("<p>"), "the panel opens the profile"
        panel = _panel(html)
        for number in numbers:
            assert re.search(rf"(^|\s){re.escape(number)}(\s|$)", panel), (variant, number, panel)
        raw = re.search(r'<div class="key-numbers">(.*?)</div></div>\n', html, re.S).group(1)  # type: ignore[union-attr]
        values = re.findall(r'<p class="key-value">(.*?)</p>', raw)
        assert 3 <= len(values) <= 5, (variant, values)
        assert all('data-figure="' in v and 'class="note-ref"' in v for v in values), (variant, values)


def _lowest_body_point(pdf: Path, bottom_margin: float) -> tuple[float, float]:
    """The lowest bottom (pt from the paper's foot) of anything drawn in the text area, and
    the page's height; the running footer in the bottom margin aside."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    page = document[0]
    height = page.get_height()
    bottoms = [obj.get_bounds()[1] for obj in page.get_objects(max_depth=0) if obj.get_bounds()[3] > bottom_margin]
    document.close()
    return min(bottoms), height


@pytest.mark.slow
def test_each_profile_is_one_full_page_with_its_numbers(workspace: Path, built: Path) -> None:
    """One page per country, its key numbers in the PDF's text, and at most a quarter of the
    text area left blank below the last line."""
    from pypdf import PdfReader

    margins = load_workspace(workspace).briefs["profiles"].page.margins
    top, bottom = (float(m.removesuffix("in")) * PT_PER_IN for m in (margins.top, margins.bottom))
    for variant, numbers in KEY_NUMBERS.items():
        pdf = built / f"profiles-profile-{variant}.pdf"
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1, variant
        text = re.sub(r"\s+", " ", reader.pages[0].extract_text()).replace("\u00a0", " ")
        assert all(n in text for n in numbers), (variant, text)
        lowest, height = _lowest_body_point(pdf, bottom)
        blank = (lowest - bottom) / (height - top - bottom)
        assert blank <= MOST_BLANK, f"{variant}: {blank:.0%} of the text area is blank"
