"""Audiences: overlays, brand, page budgets, scaffolds and parallel builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.build import build
from brief.pipeline.charts import render_charts
from brief.workspace.brand import load_brand
from brief.workspace.load import load_workspace
from brief.workspace.templates import TemplateSet
from helpers import REPO, THEME, copy_workspace, job_for, render_job, replace_in, request_for

OVERLAY_BASE = """\
{% extends "!workspace/base.html.j2" %}
{% block title_block %}<header class="title-block"><h1>Overlaid: {{ brief.title }}</h1></header>{% endblock %}
"""


def run(*args: str) -> object:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A writable copy of the repository's workspace."""
    return copy_workspace(REPO, tmp_path / "ws")


def test_overlay_search_order(tmp_path: Path) -> None:
    """Overlay before workspace before the built-in theme, and the audience's folder before the
    top level, in each."""
    templates = TemplateSet(tmp_path / "ws", "policy", tmp_path / "mine")
    assert templates.search_path == [
        tmp_path / "mine" / "policy",
        tmp_path / "mine",
        tmp_path / "ws" / "policy",
        tmp_path / "ws",
        THEME,
    ]


@pytest.mark.slow
def test_overlay_changes_one_block_and_one_rule_only(ws: Path, tmp_path: Path) -> None:
    """An overlay replacing the title block and adding one CSS rule changes exactly those:
    the sections, notes and charts are the same HTML as without it."""
    overlay = tmp_path / "mine"
    overlay.mkdir()
    (overlay / "base.html.j2").write_text(OVERLAY_BASE, encoding="utf-8")
    (overlay / "custom.css").write_text("h2 { color: #7a1f5c; }\n", encoding="utf-8")
    workspace = load_workspace(ws)
    job = job_for(workspace)
    plain = render_job(workspace, job).html
    overlaid = render_job(workspace, job, overlay).html

    def body(html: str) -> str:
        return html.split("</header>", 1)[1].strip()

    assert body(plain) == body(overlaid)
    assert "<h1>Overlaid: The US–China AI Gap</h1>" in overlaid and "Overlaid" not in plain
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', overlaid)
    # The overlay's custom.css takes the place of the workspace's (templates are looked up in
    # layers: the overlay first), after the theme's stylesheet.
    assert sheets == [
        *(s for s in re.findall(r'<link rel="stylesheet" href="([^"]+)">', plain) if not s.endswith("/custom.css")),
        (overlay / "custom.css").resolve().as_uri(),
    ]


@pytest.mark.slow
def test_overlay_section_wins_over_the_workspace(ws: Path, tmp_path: Path) -> None:
    """A section file in the overlay's audience folder replaces the workspace's; the PDF shows it."""
    overlay = tmp_path / "mine"
    (overlay / "policy").mkdir(parents=True)
    (overlay / "policy" / "method.md.j2").write_text(
        "## Note on method\n\nOur own method note, from the overlay.\n", encoding="utf-8"
    )
    result = run("-C", str(ws), "build", "--audience", "policy", "--templates", str(overlay))
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(ws / "out" / "us-china-ai-gap-policy.pdf").pages)
    assert "Our own method note, from the overlay." in text
    assert "Note on method and caveats" not in text


def test_overlay_cannot_read_outside_its_folders(ws: Path, tmp_path: Path) -> None:
    """The !workspace/ prefix reaches only the workspace's templates, not arbitrary paths."""
    overlay = tmp_path / "mine"
    overlay.mkdir()
    env = TemplateSet(ws / "templates", "policy", overlay).environment()
    import jinja2

    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("!workspace/../../briefs/us-china-ai-gap.yaml")


@pytest.mark.slow
def test_brand_change_changes_text_and_chart_colours(ws: Path) -> None:
    """Changing a palette colour in brand.yml changes the CSS variable and the charts' fills."""
    replace_in(ws / "templates" / "brand.yml", 'navy: "#1f3a5f"', 'navy: "#0b5d4b"')
    brand = load_brand(TemplateSet(ws / "templates", "policy"))
    assert brand.css_variables()["--color-primary"] == "#0b5d4b"
    assert brand.css_variables()["--series-united-states"] == "#0b5d4b"
    job = job_for(load_workspace(ws))
    svg = render_charts(job, brand)["private_investment"].svg
    assert 'fill="#0b5d4b"' in svg and "#1f3a5f" not in svg


@pytest.mark.slow
def test_over_budget_is_a_warning_and_an_error_with_strict(ws: Path) -> None:
    """Over its page budget, a build warns naming audience, pages and budget; with --strict it
    fails and writes nothing."""
    replace_in(ws / "briefs" / "us-china-ai-gap.yaml", "    page_budget: 4\n", "    page_budget: 2\n")
    result = run("-C", str(ws), "build", "--audience", "policy")
    assert result.exit_code == 0
    assert re.search(r"warning: policy is \d pages, over its budget of 2", result.stderr)
    pdf = ws / "out" / "us-china-ai-gap-policy.pdf"
    before = pdf.read_bytes()
    replace_in(ws / "templates" / "policy" / "method.md.j2", "## Note on method", "## A note on method")
    strict = run("-C", str(ws), "build", "--audience", "policy", "--strict")
    assert strict.exit_code == 1
    assert re.search(
        r"briefs/us-china-ai-gap.yaml:\d+: error: audience 'policy' is \d pages, over its budget of 2", strict.stderr
    )
    assert pdf.read_bytes() == before


@pytest.mark.slow
def test_new_audience_from_scaffold_builds(ws: Path) -> None:
    """`brief new audience` copies templates and the brief entry; the audience builds at once."""
    result = run("-C", str(ws), "new", "audience", "board", "--from", "policy")
    assert result.exit_code == 0, result.output
    assert (ws / "templates" / "board" / "bottom-line.md.j2").is_file()
    brief = load_workspace(ws).briefs["us-china-ai-gap"]
    assert brief.audiences["board"].sections == brief.audiences["policy"].sections
    assert brief.audiences["board"].label == "Board brief"
    built = build(request_for(ws, None, "board"))
    assert built.path.name == "us-china-ai-gap-board.pdf" and built.pages <= built.page_budget


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "audience", "policy"], "already has an audience 'policy'"),
        (["new", "audience", "Bad Name"], "audience name 'Bad Name' is not valid"),
        (["new", "audience", "board", "--from", "nope"], "has no audience 'nope' to copy"),
        (["new", "brief", "us-china-ai-gap"], "already exists"),
    ],
    ids=["existing", "bad-name", "unknown-source", "existing-brief"],
)
def test_new_refuses_bad_requests(ws: Path, args: list[str], message: str) -> None:
    """Scaffolding never overwrites and explains what is wrong, in one line."""
    result = run("-C", str(ws), *args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_list_shows_briefs_audiences_and_budgets(ws: Path) -> None:
    """`brief list` names each brief and, per audience, its label and page budget."""
    result = run("-C", str(ws), "list")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("us-china-ai-gap  The US–China AI Gap")
    assert re.search(r"^  policy +Policy brief +budget +4 pages", result.output, re.M)


@pytest.mark.slow
def test_all_builds_every_audience_and_reports_a_failure(ws: Path) -> None:
    """--all builds every audience in parallel; one broken audience fails alone, the others are
    written, and the exit status says so."""
    section = ws / "templates" / "executive" / "bottom-line.md.j2"
    section.write_text(section.read_text(encoding="utf-8") + '\n{{ fig("no_such_figure") }}\n', encoding="utf-8")
    result = run("-C", str(ws), "build", "--all")
    assert result.exit_code == 1
    assert "us-china-ai-gap/executive: templates/executive/bottom-line.md.j2:" in result.stderr
    assert "error: 1 of 3 builds failed" in result.stderr
    assert (ws / "out" / "us-china-ai-gap-policy.pdf").is_file()
    assert (ws / "out" / "us-china-ai-gap-technical.pdf").is_file()
    assert not (ws / "out" / "us-china-ai-gap-executive.pdf").exists()


@pytest.mark.slow
def test_brand_logo_in_the_masthead(ws: Path) -> None:
    """A logo in brand.yml (Quarto's `logo: {medium: ...}`) appears in the masthead with the
    organisation's name as its alt text; a missing logo file is an error at the logo's line."""
    (ws / "templates" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#1f3a5f"/>'
        "</svg>"
    )
    brand_file = ws / "templates" / "brand.yml"
    brand_file.write_text(brand_file.read_text() + "\nlogo:\n  medium: logo.svg\n")
    workspace = load_workspace(ws)
    html = render_job(workspace, job_for(workspace, "executive")).html
    logo = (ws / "templates" / "logo.svg").resolve().as_uri()
    assert f'<img class="logo" src="{logo}" alt="Open Policy Briefs">' in html
    assert build(request_for(ws, None, "executive")).pages == 2
    (ws / "templates" / "logo.svg").unlink()
    result = run("-C", str(ws), "build", "--audience", "executive", "--force")
    assert result.exit_code == 1
    assert re.match(r"templates/brand\.yml:\d+: error: logo file 'logo\.svg' not found", result.stderr)
