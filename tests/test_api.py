"""The library under the command line: ``brief.build`` and ``brief.check``, typed, documented,
light to import, raising our own errors, and the example in docs/architecture.md runs."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import brief
from helpers import PRESS_SECTION, REPO, copy_workspace

PUBLIC = ("build", "check", "request", "BuildRequest", "BuildResult", "CheckResult", "Problem", "BriefError")


def test_the_public_names_are_importable_documented_and_typed() -> None:
    """Every public name is on the package, listed in ``__all__``, with a docstring; the
    functions are annotated throughout and take every option by keyword only."""
    for name in (*PUBLIC, "CheckFailed", "WorkspaceError"):
        assert name in brief.__all__
        assert inspect.getdoc(getattr(brief, name)), name
    for function in (brief.build, brief.check, brief.request):
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
        assert set(parameters) | {"return"} == set(hints), function.__name__
        kinds = [p.kind for p in parameters.values()]
        assert kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert set(kinds[1:]) == {inspect.Parameter.KEYWORD_ONLY}
    assert typing.get_type_hints(brief.build)["return"] is brief.BuildResult
    assert typing.get_type_hints(brief.check)["return"] is brief.CheckResult


def test_the_package_ships_its_type_marker() -> None:
    """``py.typed`` (PEP 561) is in the package, and the wheel carries every file of the
    package folder, so a type checker reads brief's annotations when it is installed."""
    assert (REPO / "src" / "brief" / "py.typed").is_file()
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/brief"]


def test_importing_brief_loads_no_heavy_library() -> None:
    """``import brief`` gives the whole API without Click, WeasyPrint, Altair or vl-convert
    (nor the pipeline's models and templating)."""
    code = (
        "import sys, brief\n"
        "assert brief.build and brief.check and brief.BuildRequest and brief.Problem\n"
        "heavy = ('click', 'weasyprint', 'altair', 'vl_convert', 'pydantic', 'jinja2', 'yaml')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_build_writes_the_pdf_and_says_what_it_wrote(mini: Path) -> None:
    """A build from a folder inside the workspace writes out/NAME-AUDIENCE.pdf and returns its
    result; the same call again finds it up to date and builds nothing."""
    result = brief.build(mini / "data", audience="policy")
    assert result.path == mini.resolve() / "out" / "mini-policy.pdf"
    assert result.path.read_bytes().startswith(b"%PDF-")
    assert (result.brief, result.audience, result.up_to_date) == ("mini", "policy", False)
    assert 1 <= result.pages <= result.page_budget
    written = result.path.stat().st_mtime_ns
    again = brief.build(mini)  # the brief's first audience
    assert (again.path, again.pages, again.brief, again.up_to_date) == (result.path, result.pages, "mini", True)
    assert result.path.stat().st_mtime_ns == written


def test_check_returns_every_problem_as_data(mini: Path) -> None:
    """A workspace with an audience that has no templates: the problem is returned, with its
    file (relative to the workspace) and line, and nothing is raised. A sound one is ok."""
    report = brief.check(mini)
    assert not report.ok()
    [problem] = report.errors
    assert isinstance(problem, brief.Problem)
    assert (problem.path, problem.severity) == ("briefs/mini.yaml", "error")
    assert problem.line and "press" in problem.message
    assert (report.briefs, report.figures > 0, report.sources > 0) == (1, True, True)
    (mini / "templates" / "press").mkdir()
    (mini / "templates" / "press" / "intro.md.j2").write_text(PRESS_SECTION, encoding="utf-8")
    assert brief.check(mini, brief="mini").errors == []


def test_build_raises_our_own_errors(mini: Path, tmp_path: Path) -> None:
    """A build whose check finds errors raises CheckFailed with every problem; no workspace or
    no such audience is a WorkspaceError; nothing is written."""
    template = next((mini / "templates" / "policy").glob("*.j2"))
    template.write_text(template.read_text(encoding="utf-8") + '\n{{ fig("no_such_figure") }}\n', encoding="utf-8")
    with pytest.raises(brief.CheckFailed) as failed:
        brief.build(mini, audience="policy")
    assert failed.value.problems
    assert any("no_such_figure" in p.message for p in failed.value.problems)
    with pytest.raises(brief.WorkspaceError, match="no audience 'nobody'"):
        brief.build(mini, audience="nobody")
    (tmp_path / "empty").mkdir()
    with pytest.raises(brief.WorkspaceError, match="no workspace here"):
        brief.check(tmp_path / "empty")
    with pytest.raises(TypeError):
        brief.build(mini, "mini")  # type: ignore[misc]
    assert not (mini / "out" / "mini-policy.pdf").exists()


def documented_example() -> str:
    """The Python block of the "Using brief from Python" section of docs/architecture.md."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Using brief from Python", 1)[1].split("\n## ", 1)[0]
    tokens = MarkdownIt("commonmark").parse(section)
    [code] = [t.content for t in tokens if t.type == "fence" and t.info.strip() == "python"]
    return code


def test_the_documented_example_runs(tmp_path: Path) -> None:
    """The example in docs/architecture.md, run as written beside a copy of the mini workspace,
    reports its problem, builds the PDF and prints the error for an unknown audience."""
    copy_workspace(REPO / "tests" / "fixtures" / "mini", tmp_path / "mini")
    result = subprocess.run(
        [sys.executable, "-c", documented_example()], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("briefs/mini.yaml:") and "press" in lines[0]
    assert "1 errors; fix them first" in lines
    assert "mini-policy.pdf 1 pages" in lines
    assert lines[-1].startswith("briefs/mini.yaml: error: brief 'mini' has no audience 'nobody'")
    assert (tmp_path / "mini" / "out" / "mini-policy.pdf").is_file()


def test_charts_exports_a_variants_charts(tmp_path: Path) -> None:
    """``brief charts --variant ID`` on a brief with for_each exports that variant's charts,
    their texts filled in from it, into a folder named after the edition; without it, the
    message says to name one with --variant, which the command accepts."""
    from click.testing import CliRunner

    from brief.cli import cli

    root = tmp_path / "profiles"
    shutil.copytree(REPO / "examples" / "country-profiles", root)
    brief_file = root / "briefs" / "profiles.yaml"
    text = brief_file.read_text(encoding="utf-8")
    old = "title: China installed far more industrial robots than Japan or the US"
    assert text.count(old) == 1
    brief_file.write_text(text.replace(old, "title: Industrial robots, with {name}"), encoding="utf-8")
    runner = CliRunner()
    asked = runner.invoke(cli, ["-C", str(root), "charts"])
    assert asked.exit_code == 1
    assert "name one" in asked.output and "--variant" in asked.output
    result = runner.invoke(cli, ["-C", str(root), "charts", "--variant", "japan"])
    assert result.exit_code == 0, result.output
    folder = root / "out" / "charts" / "profiles-profile-japan"
    written = result.stdout.split()
    assert written == [
        f"out/charts/profiles-profile-japan/{name}.svg" for name in ("investment", "models", "robots", "opinion")
    ]
    assert all((root / path).is_file() for path in written)
    assert "Industrial robots, with Japan" in (folder / "robots.svg").read_text(encoding="utf-8")
    unknown = runner.invoke(cli, ["-C", str(root), "charts", "--variant", "japn"])
    assert unknown.exit_code == 1 and "no variant 'japn'" in unknown.output


TYPED_USE = """\
from pathlib import Path

import brief

result: brief.BuildResult = brief.build(Path("ws"), audience="policy", standard="a-3a")
pages: int = result.pages
report: brief.CheckResult = brief.check("ws", brief="x")
problems: list[brief.Problem] = report.errors
request: brief.BuildRequest = brief.request("ws", format="html")
brief.build("ws", standard="a-4")
brief.build("ws", "x")
"""


@pytest.mark.slow
def test_a_type_checker_reads_the_api(tmp_path: Path) -> None:
    """mypy (strict, the project's settings) accepts code that uses the API as documented and
    finds the two mistakes: an unknown PDF standard and an option passed by position. (Quick
    when the project's mypy cache is warm; a cold run reads the whole package.)"""
    snippet = tmp_path / "use_brief.py"
    snippet.write_text(TYPED_USE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", str(snippet)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["10", "11"], result.stdout
    assert "Literal['ua-1', 'a-3a', 'a-3b', 'none']" in errors[0]
    assert "positional" in errors[1]
