"""One template, many variants: a brief with ``for_each`` (examples/country-profiles).

Each row of data/countries.csv is a variant: ``{id}`` and ``{name}`` in figure ids, chart
texts and the title are filled in from it, templates see it as ``variant``, and ``brief
build --all`` writes one file per variant, each recorded in the manifest.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.errors import WorkspaceError
from brief.pipeline.check import check
from brief.workspace.load import load_workspace
from helpers import REPO, job_for, line_number, render_job, replace_in

EXAMPLE = REPO / "examples" / "country-profiles"


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """A writable copy of the example, as it is (the layout, stylesheet and fonts are the
    built-in theme's)."""
    root = tmp_path / "profiles"
    shutil.copytree(EXAMPLE, root)
    return root


def no_drawing(job: object) -> list[str]:
    """Stand-in SVGs: rendering needs a chart's size, not its drawing."""
    return ['<svg xmlns="http://www.w3.org/2000/svg"/>'] * len(job.specs)  # type: ignore[attr-defined]


def problems(root: Path) -> list[tuple[str, int | None, str]]:
    """``(file, line, message)`` of every problem ``brief check`` finds."""
    return [(p.path.name if p.path else "", p.line, p.message) for p in check(root, render=True).sorted()]


def test_the_example_checks_clean(profiles: Path) -> None:
    """The example workspace has no problems, and it has five variants."""
    assert problems(profiles) == []
    assert [v.id for v in load_workspace(profiles).variants["profiles"]] == ["us", "china", "japan", "uk", "canada"]


def test_each_variant_fills_in_its_figures_and_texts(profiles: Path) -> None:
    """Each variant's title, chart rows, chart title and fig() calls take its parameters;
    templates read it as `variant`; its file name carries its id."""
    ws = load_workspace(profiles)
    china = job_for(ws, "profile", variant="china")
    assert china.brief.title == "China: AI at a glance"
    assert china.output_name == "profiles-profile-china.pdf"
    chart = china.brief.charts["robots"]
    assert chart.highlight == ["China"]
    assert china.brief.subtitle == "Investment, models, robots, patents and public opinion, from the AI Index 2025"
    html = render_job(ws, china, draw=no_drawing).html
    assert "$9.3B" in html and "83%" in html and "276,300" in html
    us = render_job(ws, job_for(ws, "profile", variant="us"), draw=no_drawing).html
    assert "<h1>United States: AI at a glance</h1>" in us and "$109.1B" in us and "39%" in us


def test_a_variant_must_be_named(profiles: Path) -> None:
    """A build of a brief with variants names one (or builds all); an unknown one is refused
    with the ids to choose from."""
    ws = load_workspace(profiles)
    with pytest.raises(WorkspaceError, match="has 5 variants; name one") as info:
        job_for(ws, "profile")
    assert "--variant" in (info.value.hint or "") and "--all" in (info.value.hint or "")
    with pytest.raises(WorkspaceError, match="no variant 'chinaa'") as info:
        job_for(ws, "profile", variant="chinaa")
    assert "china" in (info.value.hint or "")


def test_check_names_the_line_of_each_bad_row(profiles: Path) -> None:
    """A repeated id, an id that cannot name a file and a missing id column are problems at
    the row's line of the CSV file."""
    countries = profiles / "data" / "countries.csv"
    countries.write_text("id,name,place\nus,United States,the US\nus,Again,again\nBad Id,X,x\n", encoding="utf-8")
    assert problems(profiles) == [
        ("countries.csv", 3, "duplicate variant id 'us' (first at line 2)"),
        ("countries.csv", 4, "variant id 'Bad Id' cannot name a file"),
    ]
    countries.write_text("name,place\nChina,China\n", encoding="utf-8")
    assert problems(profiles) == [("countries.csv", 1, "no id column")]
    countries.unlink()
    brief = profiles / "briefs" / "profiles.yaml"
    assert problems(profiles) == [
        ("profiles.yaml", line_number(brief, "for_each:"), "for_each: data/countries.csv does not exist")
    ]


def test_check_names_a_figure_a_variant_lacks(profiles: Path) -> None:
    """A variant whose figure does not exist is a problem at the template's fig() line,
    naming the variant; a variant that has the figure is not named."""
    section = profiles / "templates" / "profile" / "profile.md.j2"
    section.write_text(
        'Investment: {{ fig("private_ai_investment_2024_{id}") }}.\n\n'
        'Optimism: {{ fig("ai_optimism_{id}_2024") }}.\n\n' + section.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    found = problems(profiles)
    assert (
        "profile.md.j2",
        line_number(section, "private_ai_investment_2024_{id}"),
        "unknown figure 'private_ai_investment_2024_japan' in variant 'japan'",
    ) in found
    assert (
        "profile.md.j2",
        line_number(section, "ai_optimism_{id}_2024"),
        "unknown figure 'ai_optimism_japan_2024' in variant 'japan'",
    ) in found
    # Canada's optimism figure exists: that line is fine for this variant.
    assert "unknown figure 'ai_optimism_canada_2024' in variant 'canada'" not in {p[2] for p in found}
    assert not [p for p in found if p[0] == "profiles.yaml"]


def test_a_placeholder_that_is_not_a_parameter(profiles: Path) -> None:
    """A placeholder no parameter fills is named, with the parameters there are."""
    section = profiles / "templates" / "profile" / "profile.md.j2"
    text = section.read_text(encoding="utf-8")
    section.write_text('{{ fig("notable_models_2024_{country}") }}\n\n' + text, encoding="utf-8")
    report = check(profiles)
    found = {(p.line, p.message, p.hint) for p in report.problems}
    hint = "{country} is not a parameter; the variants have: id, name, place, focus"
    line = line_number(section, "notable_models_2024_{country}")
    assert found == {
        (line, f"unknown figure 'notable_models_2024_{{country}}' in variant {v!r}", hint)
        for v in ("us", "china", "japan", "uk", "canada")
    }


def test_variants_as_a_list_in_the_brief_file(profiles: Path) -> None:
    """for_each may be a list in the brief file; a row without a usable id is named at its line."""
    brief = profiles / "briefs" / "profiles.yaml"
    replace_in(
        brief,
        "for_each: data/countries.csv",
        "for_each:\n  - {id: china, name: China, place: China}\n  - {name: Nowhere, place: nowhere}",
    )
    assert problems(profiles) == [("profiles.yaml", line_number(brief, "Nowhere"), "variant id '' cannot name a file")]


@pytest.mark.slow
def test_build_all_writes_every_variant(profiles: Path) -> None:
    """`brief build --all` builds every profile (in parallel), one PDF each, one page each,
    each with its own numbers, and the manifest records each variant."""
    from pypdf import PdfReader

    result = CliRunner().invoke(cli, ["-C", str(profiles), "build", "--all"])
    assert result.exit_code == 0, result.output
    out = profiles / "out"
    ids = ["canada", "china", "japan", "uk", "us"]
    assert sorted(p.name for p in out.glob("*.pdf")) == [f"profiles-profile-{v}.pdf" for v in ids]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert {name: entry["variant"] for name, entry in manifest.items()} == {f"profiles-profile-{v}.pdf": v for v in ids}
    for name, numbers in (("us", ["$109.1B", "39%", "37,600"]), ("china", ["$9.3B", "83%", "276,300"])):
        reader = PdfReader(out / f"profiles-profile-{name}.pdf")
        assert len(reader.pages) == 1
        text = re.sub(r"\s+", " ", reader.pages[0].extract_text()).replace("\u00a0", " ")
        assert all(n in text for n in numbers), (name, text)
    one = CliRunner().invoke(cli, ["-C", str(profiles), "build", "-a", "profile", "--variant", "china", "--force"])
    assert one.exit_code == 0 and "profiles-profile-china.pdf" in one.output
