"""``brief check`` (brief.pipeline.check, brief.cli): every problem at once, each with its file and line.

The mini fixture workspace has a ``press`` audience without a template folder (other tests
rely on that), so the ``ws`` fixture gives it one: the workspace then checks clean, and each
test below breaks one thing and expects exactly the problems that one thing causes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.model.counting import counted
from brief.model.request import BuildRequest
from brief.pipeline.check import Report, check, checked_for, hand_typed_numbers
from helpers import line_number, replace_in

NUMBER_HINT = 'use {{ fig("id") }} so the number comes from data, or {{ "..." }} if it is a name'
CHART_NUMBER_HINT = "state the takeaway in words; numbers come from figures"

# (severity, file relative to the workspace, line, message, hint)
Problem = tuple[str, str, int | None, str, str | None]


def run(*args: str) -> Result:
    """Invoke the CLI with *args*, as ``brief ARGS`` would."""
    return CliRunner().invoke(cli, list(args), prog_name="brief")


def found(report: Report) -> list[Problem]:
    """The report's problems, sorted, as plain tuples with paths relative to the workspace."""
    root = report.workspace.root
    return [
        (p.severity, str(p.path.relative_to(root)) if p.path else "", p.line, p.message, p.hint)
        for p in report.sorted()
    ]


def brief_file(root: Path) -> Path:
    return root / "briefs" / "mini.yaml"


def intro(root: Path) -> Path:
    return root / "templates" / "policy" / "intro.md.j2"


def figures_file(root: Path, name: str) -> Path:
    return root / "data" / "figures" / f"{name}.yaml"


def sources_file(root: Path) -> Path:
    return root / "data" / "sources.yaml"


def append(path: Path, text: str) -> None:
    """Add *text* at the end of *path*."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# --- the fixture is clean ------------------------------------------------------------


def test_fixture_workspace_checks_clean(ws: Path) -> None:
    """The fixture workspace has no problems, and usage records what each audience prints:
    template figures, figures of the charts it lists, and the inputs of derived figures."""
    report = check(ws)
    assert found(report) == []
    assert report.usage == {
        "mini": {
            "policy": {"widgets_alpha", "widgets_ratio", "widgets_beta", "share_rise", "share_2023", "share_2024"},
            "press": {"widgets_alpha"},
        }
    }


def test_missing_template_folder_is_an_error_at_the_audience(mini: Path) -> None:
    """An audience without a template folder is an error at its line in the brief file."""
    path = brief_file(mini)
    assert found(check(mini)) == [
        (
            "error",
            "briefs/mini.yaml",
            line_number(path, "  press:"),
            "no template folder for audience 'press'",
            "create templates/press/",
        )
    ]


def test_check_only_the_named_audiences(mini: Path) -> None:
    """A build's check (checked_for) checks only the audience it builds."""
    report = checked_for(BuildRequest(root=mini, brief="mini", audience="policy"))
    assert found(report) == []
    assert set(report.usage["mini"]) == {"policy"}


def test_check_unknown_brief(ws: Path) -> None:
    """Checking a brief that does not exist is one error listing the briefs there are."""
    assert found(check(ws, "nope")) == [("error", "", None, "no brief named 'nope'", "choose from: mini")]
    result = run("-C", str(ws), "check", "nope")
    assert result.exit_code == 1
    assert result.stdout == "error: no brief named 'nope' — choose from: mini\n"


# --- 1. schema errors: all of them, in every file ------------------------------------


def break_schema_in_four_files(root: Path) -> list[tuple[str, int, str]]:
    """Put a schema error in the brief, both figures files and sources.yaml; return the
    expected ``(file, line, message start)`` of each, in file order."""
    replace_in(brief_file(root), "page_budget: 2", "page_budget: 0")
    replace_in(figures_file(root, "shares"), 'as_of: "2024-06"', "as_of: June 2024")
    replace_in(figures_file(root, "widgets"), "  value: 46100\n  unit: count", "  value: 46100\n  unit: counts")
    replace_in(sources_file(root), "  issued: 2024-06-07\n", "")
    return [
        (
            "briefs/mini.yaml",
            line_number(brief_file(root), "page_budget: 0"),
            "audiences.policy.page_budget: Input should be greater than or equal to 1",
        ),
        (
            "data/figures/shares.yaml",
            line_number(figures_file(root, "shares"), "as_of: June 2024"),
            "as_of: 'June 2024' should be a date such as 2024, 2024-06 or 2024-06-30",
        ),
        (
            "data/figures/widgets.yaml",
            line_number(figures_file(root, "widgets"), "unit: counts"),
            "unit: unknown unit 'counts'; valid units: cny_billion, count,",
        ),
        ("data/sources.yaml", line_number(sources_file(root), "- id: survey-b"), "issued: Field required"),
    ]


def test_schema_errors_in_several_files_are_all_reported(ws: Path) -> None:
    """Schema errors in briefs/, data/figures/ and data/sources.yaml are all reported in one
    run, each at its own file and line, not just the first."""
    expected = break_schema_in_four_files(ws)
    problems = found(check(ws))
    assert [(f, line) for _, f, line, _, _ in problems] == [(f, line) for f, line, _ in expected]
    assert {severity for severity, *_ in problems} == {"error"}
    for (_, _, _, message, _), (_, _, start) in zip(problems, expected, strict=True):
        assert message.startswith(start), message


def test_several_problems_in_one_figure_and_another_file(ws: Path) -> None:
    """Two bad fields in one figure are two errors at their own lines, alongside an error in
    another file."""
    path = figures_file(ws, "widgets")
    replace_in(path, "  value: 109.1\n  unit: usd_billion", "  value: lots\n  unit: usd_bn")
    replace_in(brief_file(ws), "kind: dumbbell", "kind: pie")
    problems = found(check(ws))
    assert [(f, line) for _, f, line, _, _ in problems] == [
        ("briefs/mini.yaml", line_number(brief_file(ws), "kind: pie")),
        ("data/figures/widgets.yaml", line_number(path, "value: lots")),
        ("data/figures/widgets.yaml", line_number(path, "unit: usd_bn")),
    ]
    assert problems[0][3].startswith("charts.shares.kind: Input should be 'bar', 'column', 'stacked', 'grouped',")
    assert problems[1][3].startswith("value") and "Input should be a valid number" in problems[1][3]
    assert problems[2][3].startswith("unit: unknown unit 'usd_bn'")


def test_cli_prints_every_schema_error_sorted(ws: Path) -> None:
    """``brief check`` prints ``path:line: error: message`` for every error, sorted by file
    then line, a summary on stderr, and exits 1."""
    expected = break_schema_in_four_files(ws)
    result = run("-C", str(ws), "check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, (path, number, start) in zip(lines, expected, strict=True):
        assert line.startswith(f"{path}:{number}: error: {start}"), line
    assert result.stderr.startswith("4 errors, 0 warnings in ")


def test_cli_json_lists_every_problem(ws: Path) -> None:
    """``brief check --format json`` is a JSON list of {path, line, column, severity, message, hint},
    paths relative to the workspace, sorted by file then line."""
    expected = break_schema_in_four_files(ws)
    result = run("-C", str(ws), "check", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert isinstance(problems, list)
    assert all(set(p) == {"path", "line", "column", "severity", "message", "hint"} for p in problems)
    assert [(p["path"], p["line"], p["severity"]) for p in problems] == [
        (path, line, "error") for path, line, _ in expected
    ]
    for problem, (_, _, start) in zip(problems, expected, strict=True):
        assert problem["message"].startswith(start)


# --- 2. sources ----------------------------------------------------------------------

UNCITED_SOURCE = """
- id: report-c
  type: report
  title: A report no figure cites
  issued: 2025
"""


def test_figure_citing_unknown_source(ws: Path) -> None:
    """A figure citing a source id that does not exist is an error at the figure's line,
    with the valid source ids in the hint."""
    path = figures_file(ws, "widgets")
    replace_in(
        path,
        '  value: 46100\n  unit: count\n  as_of: "2024"\n  source: report-a',
        '  value: 46100\n  unit: count\n  as_of: "2024"\n  source: report-z',
    )
    assert found(check(ws)) == [
        (
            "error",
            "data/figures/widgets.yaml",
            line_number(path, "- id: widgets_beta"),
            "figure 'widgets_beta' cites unknown source 'report-z'",
            "add it to data/sources.yaml or use one of: report-a, survey-b",
        )
    ]


def test_uncited_source_is_a_warning_at_its_line(ws: Path) -> None:
    """A source no figure cites is a warning (not an error) at the source's line."""
    append(sources_file(ws), UNCITED_SOURCE)
    report = check(ws)
    assert report.errors == []
    assert found(report) == [
        (
            "warning",
            "data/sources.yaml",
            line_number(sources_file(ws), "- id: report-c"),
            "source 'report-c' is never cited by a figure or a template",
            "cite it from a figure or with cite(), or remove it",
        )
    ]


def test_source_cited_by_a_template_is_not_uncited(ws: Path) -> None:
    """A source cited only through ``{{ cite("id") }}`` in a template is in use: no warning."""
    append(sources_file(ws), UNCITED_SOURCE)
    append(intro(ws), '\nA report no figure cites agrees.{{ cite("report-c", "p. 3") }}\n')
    assert found(check(ws)) == []


# --- 3. templates, charts and sections --------------------------------------------------

# name: (file to edit, old text, new text, file of the problem, text on its line, message, hint)
TEMPLATE_CASES = {
    "unknown-figure": (
        "templates/policy/intro.md.j2",
        'fig("widgets_alpha")',
        'fig("widgets_alpah")',
        "templates/policy/intro.md.j2",
        "widgets_alpah",
        "unknown figure 'widgets_alpah'",
        "did you mean widgets_alpha, widgets_beta, widgets_ratio?",
    ),
    "unknown-chart": (
        "templates/policy/intro.md.j2",
        'chart("counts")',
        'chart("countz")',
        "templates/policy/intro.md.j2",
        "countz",
        "unknown chart 'countz'",
        "did you mean counts?",
    ),
    "unknown-cite-source": (
        "templates/policy/intro.md.j2",
        "as many as Beta.",
        'as many as Beta.{{ cite("report-b", "p. 4") }}',
        "templates/policy/intro.md.j2",
        "report-b",
        "unknown source 'report-b'",
        "did you mean report-a, survey-b?",
    ),
    "chart-not-in-audience": (
        "templates/policy/intro.md.j2",
        'chart("counts")',
        'chart("counts", "shares")',
        "templates/policy/intro.md.j2",
        '"shares"',
        "chart 'shares' is not in audience 'policy''s charts",
        "add it to the audience's charts: in the brief file",
    ),
    "audience-lists-unknown-chart": (
        "briefs/mini.yaml",
        "charts: [counts]",
        "charts: [counts, countz]",
        "briefs/mini.yaml",
        "  policy:",
        "audience 'policy' lists unknown chart 'countz'",
        "did you mean counts?",
    ),
    "section-without-template": (
        "briefs/mini.yaml",
        "sections: [intro]\n    charts",
        "sections: [intro, outro]\n    charts",
        "briefs/mini.yaml",
        "sections: [intro, outro]",
        "section 'outro' of audience 'policy' has no template",
        "create templates/policy/outro.md.j2",
    ),
    "template-syntax-error": (
        "templates/policy/intro.md.j2",
        "## Introduction\n",
        "## Introduction\n{% if %}\n",
        "templates/policy/intro.md.j2",
        "{% if %}",
        "template syntax error: Expected an expression, got 'end of statement block'",
        "check the Jinja tags on this line: {{ ... }} and {% ... %}",
    ),
}


@pytest.mark.parametrize("case", list(TEMPLATE_CASES), ids=list(TEMPLATE_CASES))
def test_template_problem_names_file_line_and_nearest_names(ws: Path, case: str) -> None:
    """A template naming something that does not exist, a chart placed but not listed, an
    unknown chart listed or a section without a template is one error at its file and line,
    with the nearest valid names (or what to create) in the hint."""
    edit, old, new, where, needle, message, hint = TEMPLATE_CASES[case]
    replace_in(ws / edit, old, new)
    assert found(check(ws)) == [("error", where, line_number(ws / where, needle), message, hint)]


def test_cli_prints_template_error_with_hint(ws: Path) -> None:
    """The CLI prints ``path:line: error: message — hint`` for a template problem and exits 1."""
    replace_in(intro(ws), 'fig("widgets_alpha")', 'fig("widgets_alpah")')
    result = run("-C", str(ws), "check")
    assert result.exit_code == 1
    line = line_number(intro(ws), "widgets_alpah")
    assert result.stdout == (
        f"templates/policy/intro.md.j2:{line}: error: unknown figure 'widgets_alpah' — "
        "did you mean widgets_alpha, widgets_beta, widgets_ratio?\n"
    )
    assert result.stderr == "1 error, 0 warnings in 12 figures, 2 sources, 1 brief\n"


def test_every_template_problem_in_one_run(ws: Path) -> None:
    """Problems in several templates and the brief file are all reported in one run, sorted."""
    replace_in(intro(ws), 'fig("widgets_alpha")', 'fig("widgets_alpah")')
    replace_in(intro(ws), 'chart("counts")', 'chart("countz")')
    replace_in(ws / "templates" / "press" / "intro.md.j2", "widgets_alpha", "widgets_omega")
    replace_in(brief_file(ws), "sections: [intro]\n    charts", "sections: [intro, outro]\n    charts")
    result = run("-C", str(ws), "check")
    assert result.exit_code == 1
    assert [line.split(": error: ")[0] for line in result.stdout.splitlines()] == [
        f"briefs/mini.yaml:{line_number(brief_file(ws), 'outro')}",
        f"templates/policy/intro.md.j2:{line_number(intro(ws), 'widgets_alpah')}",
        f"templates/policy/intro.md.j2:{line_number(intro(ws), 'countz')}",
        f"templates/press/intro.md.j2:{line_number(ws / 'templates' / 'press' / 'intro.md.j2', 'widgets_omega')}",
    ]


def test_layout_is_checked_for_names_but_not_for_numbers(ws: Path) -> None:
    """An audience's layout (layout.html.j2) is checked for unknown figures, but numbers in
    its markup and text are not narrative and are not flagged."""
    layout = ws / "templates" / "policy" / "layout.html.j2"
    layout.write_text(
        '<html><body style="margin: 20mm">\nPage 1 of 2\n{{ fig("widgets_gamma") }}\n{{ body }}\n</body></html>\n',
        encoding="utf-8",
    )
    assert found(check(ws)) == [
        (
            "error",
            "templates/policy/layout.html.j2",
            line_number(layout, "widgets_gamma"),
            "unknown figure 'widgets_gamma'",
            "did you mean widgets_alpha, widgets_beta, widgets_ratio?",
        )
    ]


# --- 4. hand-typed numbers ----------------------------------------------------------------

FLAGGED = {
    "percent": ("Use rose 50% in a year.", ["50"]),
    "dollars": ("It cost $5 billion.", ["5"]),
    "decimal": ("A lead of 12.5 points.", ["12.5"]),
    "top-n": ("Among the top 100 firms.", ["100"]),
    "thousands": ("About 1,000 firms.", ["1,000"]),
    "end-of-sentence": ("It fell by 5.", ["5"]),
    "two-on-a-line": ("From 48% to 75%.", ["48", "75"]),
    "beside-a-fig-call": ('{{ fig("share_2024") }}, up from 48%.', ["48"]),
    "between-html-tags": ("<strong>50%</strong> of firms", ["50"]),
}

ALLOWED = {
    "year": "In 2024 the share grew.",
    "years": "Between 1999 and 2025.",
    "figure-ordinal": "See Figure 3.",
    "fig-abbreviation": "As fig. 2 shows.",
    "table-and-page": "Table 2 on p. 12.",
    "model-gpt-4": "GPT-4 leads.",
    "model-llama": "Llama 3.1-405B is open.",
    "model-deepseek": "DeepSeek-V3 was released.",
    "ordered-list": "1. First point\n2. Second point\n  3) Third point\n10. Tenth point",
    "jinja-expression": '{{ fig("share_2024") }} of firms, {{ 3 * 4 }}.',
    "jinja-statement": "{% if 3 > 2 %}yes{% endif %}",
    "jinja-comment": "{# 42 is the answer #}",
    "jinja-literal-name": 'The {{ "G7" }} met.',
    "html-attribute": '<img src="x.png" width="300" height="200">',
    "multiline-jinja": '{{ fig(\n  "share_2024",\n  style="short") }}',
}


@pytest.mark.parametrize("case", list(FLAGGED), ids=list(FLAGGED))
def test_hand_typed_numbers_are_flagged(case: str) -> None:
    """A number typed into narrative text is returned with its line."""
    text, tokens = FLAGGED[case]
    assert hand_typed_numbers(text) == [(1, token) for token in tokens]


@pytest.mark.parametrize("case", list(ALLOWED), ids=list(ALLOWED))
def test_names_years_and_markup_are_not_hand_typed(case: str) -> None:
    """Years, ordinals, model names, list markers and numbers inside Jinja or HTML tags are
    not hand-typed numbers."""
    assert hand_typed_numbers(ALLOWED[case]) == []


@pytest.mark.parametrize(
    "text, tokens",
    [
        pytest.param("See it (Figure 3).", [], id="parenthesised-figure-ordinal"),
        pytest.param("A 10–12% rise.", ["10", "12"], id="en-dash-range"),
        pytest.param("It cost $5bn.", ["5"], id="abbreviated-amount"),
    ],
)
def test_hand_typed_numbers_known_gaps(text: str, tokens: list[str]) -> None:
    """Ordinals in brackets are not hand-typed; ranges and abbreviated amounts are."""
    assert hand_typed_numbers(text) == [(1, token) for token in tokens]


def test_hand_typed_numbers_keep_line_numbers() -> None:
    """Lines are counted in the original text, across multi-line Jinja blocks and HTML tags."""
    text = (
        '## Title\n\n{% if true %}\n{{ fig(\n "x") }}\n{% endif %}\n<div\n class="a">\n'
        "</div>\nA rise of 50% here.\n\n1. Then 7 more.\n"
    )
    assert hand_typed_numbers(text) == [(10, "50"), (12, "7")]


def test_check_reports_hand_typed_numbers_in_templates(ws: Path) -> None:
    """Each hand-typed number in a section template is an error at its file and line."""
    replace_in(intro(ws), "## Introduction\n", "## Introduction\n\nUse rose 50% in the top 100 firms.\n")
    append(ws / "templates" / "press" / "intro.md.j2", "\nIt cost $5 billion.\n")
    policy_line = line_number(intro(ws), "Use rose 50%")
    press_line = line_number(ws / "templates" / "press" / "intro.md.j2", "$5 billion")
    assert found(check(ws)) == [
        ("error", "templates/policy/intro.md.j2", policy_line, "hand-typed number '50' in narrative text", NUMBER_HINT),
        (
            "error",
            "templates/policy/intro.md.j2",
            policy_line,
            "hand-typed number '100' in narrative text",
            NUMBER_HINT,
        ),
        ("error", "templates/press/intro.md.j2", press_line, "hand-typed number '5' in narrative text", NUMBER_HINT),
    ]


@pytest.mark.parametrize(
    "chart, old, new",
    [
        ("counts", "title: Alpha installs about six times as many", "title: Alpha installs 6 times as many"),
        ("shares", "subtitle: Share of firms using gadgets, percent", "subtitle: Share of the top 100 firms, percent"),
    ],
    ids=["title", "subtitle"],
)
def test_hand_typed_number_in_chart_title(ws: Path, chart: str, old: str, new: str) -> None:
    """A number in a chart's title or subtitle is an error at the chart's line in the brief."""
    replace_in(brief_file(ws), old, new)
    token = "6" if chart == "counts" else "100"
    assert found(check(ws)) == [
        (
            "error",
            "briefs/mini.yaml",
            line_number(brief_file(ws), f"  {chart}:"),
            f"chart {chart!r} has a hand-typed number {token!r} in its title or subtitle",
            CHART_NUMBER_HINT,
        )
    ]


# --- 5. staleness -------------------------------------------------------------------

STALE_HINT = "update it from a newer source or state its age in the text"


def set_freshness(root: Path, months: int) -> None:
    replace_in(
        brief_file(root),
        "keywords: [widgets, gadgets]\n",
        f"keywords: [widgets, gadgets]\nfreshness_months: {months}\n",
    )


def stale(root: Path, fid: str, as_of: str, age: int, window: int, file: str = "shares") -> Problem:
    path = figures_file(root, file)
    return (
        "warning",
        f"data/figures/{file}.yaml",
        line_number(path, f"- id: {fid}"),
        f"figure {fid!r} is as of {as_of}, {counted(age, 'month')} before the brief's date (2025-05-01); "
        f"the brief's freshness window is {counted(window, 'month')}",
        STALE_HINT,
    )


@pytest.mark.parametrize(
    "window, warned",
    [(12, True), (16, True), (17, False), (24, False)],
    ids=["12-months", "16-months", "17-months-exactly-the-age", "24-months"],
)
def test_stale_figure_used_by_an_audience(ws: Path, window: int, warned: bool) -> None:
    """With freshness_months set, a figure an audience uses (here share_2023, as of "2023",
    an input of the share_rise the policy text prints) that is older than the window is a
    warning at the figure's line, naming its age and the window; at the window, none."""
    set_freshness(ws, window)
    report = check(ws)
    assert found(report) == ([stale(ws, "share_2023", "2023", 17, window)] if warned else [])


@pytest.mark.parametrize(
    "as_of, age",
    [("2023", 17), ("2023-12", 17), ("2023-12-31", 17), ("2023-01", 28)],
    ids=["year", "december", "full-date", "january"],
)
def test_a_year_counts_as_its_december(ws: Path, as_of: str, age: int) -> None:
    """Age is counted in months from the end of the period: "2023" is December 2023."""
    replace_in(figures_file(ws, "shares"), 'as_of: "2023"', f'as_of: "{as_of}"')
    set_freshness(ws, 12)
    assert found(check(ws)) == [stale(ws, "share_2023", as_of, age, 12)]


def test_unused_figures_are_not_stale(ws: Path) -> None:
    """Figures no audience uses are not flagged however old: not one only in data, nor one
    only in a chart no audience lists."""
    append(
        figures_file(ws, "widgets"),
        "\n- id: widgets_old\n  label: Widgets installed long ago\n"
        '  value: 3\n  unit: count\n  as_of: "2015"\n  source: report-a\n'
        '  locator: "table 9"\n',
    )
    replace_in(intro(ws), ' The share of firms using gadgets rose {{ fig("share_rise") }} in a year.', "")
    set_freshness(ws, 1)
    problems = found(check(ws))
    # Left: the widgets figures the policy and press audiences print (as of "2024", 5 months).
    assert problems == [stale(ws, fid, "2024", 5, 1, "widgets") for fid in ("widgets_alpha", "widgets_beta")]


def test_no_freshness_window_no_staleness(ws: Path) -> None:
    """Without freshness_months, no figure is stale, however old."""
    replace_in(figures_file(ws, "shares"), 'as_of: "2023"', 'as_of: "1999"')
    assert found(check(ws)) == []


@pytest.mark.parametrize("strict, status", [(False, 0), (True, 1)], ids=["default", "strict"])
def test_cli_warning_exit_status(ws: Path, strict: bool, status: int) -> None:
    """A warning is printed as ``path:line: warning: ...``; it exits 0, or 1 with --strict."""
    set_freshness(ws, 12)
    result = run("-C", str(ws), "check", *(["--strict"] if strict else []))
    assert result.exit_code == status
    _, path, line, message, hint = stale(ws, "share_2023", "2023", 17, 12)
    assert result.stdout == f"{path}:{line}: warning: {message} — {hint}\n"
    summary = "error: 1 warning is an error under --strict; nothing was written\n" if strict else ""
    assert result.stderr == "0 errors, 1 warning in 12 figures, 2 sources, 1 brief\n" + summary


def test_cli_clean_workspace(ws: Path) -> None:
    """A clean workspace prints nothing on stdout and exits 0, with or without --strict."""
    for args in ((), ("--strict",)):
        result = run("-C", str(ws), "check", *args)
        assert result.exit_code == 0
        assert result.stdout == ""
        assert result.stderr == "0 errors, 0 warnings in 12 figures, 2 sources, 1 brief\n"
    assert json.loads(run("-C", str(ws), "check", "--format", "json").stdout) == []


# --- 6. conflicting values --------------------------------------------------------------

ALPHA_FROM_SURVEY = """
- id: widgets_alpha_survey
  label: Widgets installed by Alpha, 2024, per the survey
  value: 250000
  unit: count
  as_of: "2024"
  source: survey-b
  locator: "q. 4"
  quantity: alpha_widgets
"""
PREFER_REPORT = '  preferred: "the report counts every site"\n'
PREFER_SURVEY = '  preferred: "the survey covers every firm"\n'


def same_quantity(
    root: Path,
    alpha_extra: str = "",
    survey_extra: str = "",
    survey_source: str = "survey-b",
    survey_value: str = "250000",
) -> tuple[Path, Path]:
    """Give widgets_alpha a quantity and add a second figure for it; return both files."""
    widgets = figures_file(root, "widgets")
    replace_in(
        widgets,
        '  locator: "table 1, p. 4"\n\n- id: widgets_beta',
        f'  locator: "table 1, p. 4"\n  quantity: alpha_widgets\n{alpha_extra}\n- id: widgets_beta',
    )
    other = figures_file(root, "zz_survey")
    other.write_text(
        ALPHA_FROM_SURVEY.replace("survey-b", survey_source).replace("250000", survey_value) + survey_extra,
        encoding="utf-8",
    )
    return widgets, other


def test_sources_that_disagree_are_an_error_listing_both(ws: Path) -> None:
    """Two figures for one quantity, with different values from different sources and neither
    preferred, are one error at the first figure, listing both values and sources."""
    widgets, _ = same_quantity(ws)
    assert found(check(ws)) == [
        (
            "error",
            "data/figures/widgets.yaml",
            line_number(widgets, "- id: widgets_alpha"),
            "sources disagree on 'alpha_widgets': widgets_alpha = 276,300 (report-a); "
            "widgets_alpha_survey = 250,000 (survey-b)",
            'add preferred: "why this value is used" to the figure the brief should print',
        )
    ]


@pytest.mark.parametrize(
    "source, value",
    [("report-a", "250000"), ("survey-b", "276300")],
    ids=["same-source-different-values", "different-sources-same-value"],
)
def test_no_conflict(ws: Path, source: str, value: str) -> None:
    """The same quantity from the same source with different values (e.g. two editions), or
    from different sources with the same value, is not a conflict."""
    same_quantity(ws, survey_source=source, survey_value=value)
    assert found(check(ws)) == []


def test_preferred_figure_settles_a_conflict(ws: Path) -> None:
    """With ``preferred: "reason"`` on the figure the brief prints, there is no error."""
    same_quantity(ws, alpha_extra=PREFER_REPORT)
    assert found(check(ws)) == []


def test_two_preferred_figures_are_an_error(ws: Path) -> None:
    """Two figures of one quantity both marked preferred is an error at the second, naming both."""
    _, other = same_quantity(ws, alpha_extra=PREFER_REPORT, survey_extra=PREFER_SURVEY)
    problems = found(check(ws))
    assert (
        "error",
        "data/figures/zz_survey.yaml",
        line_number(other, "- id: widgets_alpha_survey"),
        "quantity 'alpha_widgets' has more than one preferred figure: widgets_alpha, widgets_alpha_survey",
        "keep 'preferred' on the one value the brief uses",
    ) in problems


def test_two_preferred_figures_are_one_error(ws: Path) -> None:
    """Two preferred figures are reported once, not also at every template that prints one."""
    same_quantity(ws, alpha_extra=PREFER_REPORT, survey_extra=PREFER_SURVEY)
    assert len(found(check(ws))) == 1


def test_template_printing_the_non_preferred_figure(ws: Path) -> None:
    """A template printing a figure whose quantity has another, preferred figure is an error
    at the template line, naming the preferred figure."""
    same_quantity(ws, survey_extra=PREFER_SURVEY)
    press = ws / "templates" / "press" / "intro.md.j2"
    in_templates = [p for p in found(check(ws)) if p[1].startswith("templates/")]
    assert in_templates == [
        (
            "error",
            where,
            line_number(ws / where, 'fig("widgets_alpha")'),
            "figure 'widgets_alpha' is not the value used for 'alpha_widgets'",
            "use 'widgets_alpha_survey', which the data marks as preferred",
        )
        for where in ("templates/policy/intro.md.j2", "templates/press/intro.md.j2")
    ]
    replace_in(press, 'fig("widgets_alpha")', 'fig("widgets_alpha_survey")')
    assert [p[1] for p in found(check(ws)) if p[1].startswith("templates/")] == ["templates/policy/intro.md.j2"]


def test_chart_printing_the_non_preferred_figure(ws: Path) -> None:
    """A chart the audience places that plots a non-preferred figure is an error at its row."""
    same_quantity(ws, alpha_extra=PREFER_REPORT)
    replace_in(brief_file(ws), "{label: Alpha, figure: widgets_alpha}", "{label: Alpha, figure: widgets_alpha_survey}")
    problems = found(check(ws))
    assert [(p[1], p[2]) for p in problems] == [
        ("briefs/mini.yaml", line_number(brief_file(ws), "widgets_alpha_survey"))
    ]
    assert "widgets_alpha" in (problems[0][4] or "")


# --- 7. causes, not cascades ------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, needle, message",
    [
        (
            "label: Widgets installed by Alpha, 2024",
            "label: Widgets installed by Alpha: 2024",
            "label: Widgets installed by Alpha: 2024",
            "YAML syntax error: mapping values are not allowed in this context",
        ),
        (
            "  value: 276300\n  unit: count",
            "  value: 276300\n  unit: widgets",
            "unit: widgets",
            "unit: unknown unit 'widgets'; valid units: cny_billion, count, per_year, percent, percent_per_year, pp, "
            "ratio, score, usd_billion, usd_million",
        ),
    ],
    ids=["yaml-syntax-error", "schema-error-in-a-used-figure"],
)
def test_a_broken_figures_file_is_one_error(ws: Path, old: str, new: str, needle: str, message: str) -> None:
    """A figures file that fails to load (syntax) or a figure that fails validation is one
    error: the templates, charts and derivations that use its figures are not reported as
    naming unknown figures."""
    path = figures_file(ws, "widgets")
    replace_in(path, old, new)
    problems = found(check(ws))
    assert [(p[0], p[1], p[2]) for p in problems] == [("error", "data/figures/widgets.yaml", line_number(path, needle))]
    assert problems[0][3].startswith(message)
    result = run("-C", str(ws), "check")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1


def test_check_does_not_import_the_typesetter(ws: Path) -> None:
    """``brief check`` and ``brief figures`` import neither WeasyPrint nor Altair, so they
    stay fast."""
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom brief.cli import cli\n"
        f"for args in (['-C', {str(ws)!r}, 'check'], ['-C', {str(ws)!r}, 'figures']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'altair', 'vl_convert')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


# --- 9. a build checks first ----------------------------------------------------------


def test_build_refuses_when_check_finds_an_error(ws: Path) -> None:
    """``brief build`` runs the checks first: on an error it exits 1, prints every problem
    (warnings too) with its severity, writes nothing and leaves the previous PDF as it was."""
    out = ws / "out"
    out.mkdir()
    previous = b"%PDF-1.7 previous build"
    (out / "mini-policy.pdf").write_bytes(previous)
    replace_in(intro(ws), "## Introduction\n", "## Introduction\n\nUse rose 50% in the top 100 firms.\n")
    append(sources_file(ws), UNCITED_SOURCE)
    result = run("-C", str(ws), "build")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    line = line_number(intro(ws), "Use rose 50%")
    assert result.stderr.splitlines() == [
        f"data/sources.yaml:{line_number(sources_file(ws), '- id: report-c')}: warning: "
        "source 'report-c' is never cited by a figure or a template — "
        "cite it from a figure or with cite(), or remove it",
        f"templates/policy/intro.md.j2:{line}: error: hand-typed number '50' in narrative text — {NUMBER_HINT}",
        f"templates/policy/intro.md.j2:{line}: error: hand-typed number '100' in narrative text — {NUMBER_HINT}",
        "error: 2 problems found; nothing was built",
    ]
    assert result.stdout == ""
    assert (out / "mini-policy.pdf").read_bytes() == previous
    assert sorted(p.name for p in out.iterdir()) == ["mini-policy.pdf"]


def test_summary_counts_are_pluralised(ws: Path) -> None:
    """The summary line says "1 source", as it says "1 brief"."""
    replace_in(sources_file(ws), "  issued: 2024-06-07\n", "")  # survey-b fails to load
    result = run("-C", str(ws), "check")
    assert " 1 source," in result.stderr, result.stderr


def test_check_reports_what_only_rendering_refuses(real_ws: Path, tmp_path: Path) -> None:
    """``brief check`` renders each audience (without drawing or typesetting), so an overlay's
    script, a template's flood of text and a chart no template places are reported by check,
    with their line, as the build would refuse them."""
    overlay = tmp_path / "overlay" / "policy"
    overlay.mkdir(parents=True)
    (overlay / "bottom-line.md.j2").write_text("<script>steal()</script>\n", encoding="utf-8")
    result = run("-C", str(real_ws), "check", "--templates", str(overlay.parent))
    assert result.exit_code == 1
    assert "policy/bottom-line.md.j2:1: error: <script> is not allowed in a brief" in result.stdout
    (overlay / "bottom-line.md.j2").write_text('{{ "x".zfill(3000000000) }}\n', encoding="utf-8")
    result = run("-C", str(real_ws), "check", "--templates", str(overlay.parent))
    assert result.exit_code == 1 and "builds a value of over 5 MB" in result.stdout
    brief_file = real_ws / "briefs" / "us-china-ai-gap.yaml"
    text = brief_file.read_text(encoding="utf-8")
    executive = text.index("  executive:")
    charts = text.index("charts: [", executive)
    brief_file.write_text(text[:charts] + "charts: [robots, " + text[charts + len("charts: [") :], encoding="utf-8")
    result = run("-C", str(real_ws), "check")
    assert result.exit_code == 1
    line = line_number(brief_file, "  executive:")
    assert (
        f"briefs/us-china-ai-gap.yaml:{line}: error: audience 'executive' lists charts no template places: robots"
    ) in result.stdout
