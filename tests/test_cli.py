"""The command line (brief.cli): one line per build, one line per error, nothing lost on failure."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from helpers import line_number, replace_in

PDF_NAME = "us-china-ai-gap-policy.pdf"


def run(*args: str) -> Result:
    """Invoke the CLI with *args*, as ``brief ARGS`` would."""
    return CliRunner().invoke(cli, list(args), prog_name="brief")


def assert_one_line_error(result: Result) -> str:
    """The command failed with exit status 1 and exactly one ``error:`` line on stderr, no
    traceback; return that line."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") or ": error: " in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def test_version() -> None:
    """``brief --version`` prints the installed package's version."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"brief, version {version('brief')}\n"


def test_help() -> None:
    """``brief --help`` and ``brief build -h`` describe the commands and options."""
    result = run("--help")
    assert result.exit_code == 0
    assert "build" in result.output and "-C" in result.output
    build_help = run("build", "-h")
    assert build_help.exit_code == 0
    assert "--audience" in build_help.output


def test_unknown_audience(real_ws: Path) -> None:
    """``brief build --audience nope`` exits 1 with one error line naming the valid audiences."""
    line = assert_one_line_error(run("-C", str(real_ws), "build", "--audience", "nope"))
    assert line == (
        "briefs/us-china-ai-gap.yaml: error: brief 'us-china-ai-gap' has no audience "
        "'nope' — choose from: policy, executive, technical"
    )
    assert not (real_ws / "out").exists()


def test_not_a_workspace(tmp_path: Path) -> None:
    """Outside a workspace the CLI says so in one line and suggests -C."""
    line = assert_one_line_error(run("-C", str(tmp_path), "build"))
    assert "no workspace here" in line and "-C DIR" in line


def test_debug_shows_the_exception(real_ws: Path) -> None:
    """With --debug the library error is raised as is (for a traceback)."""
    from brief.errors import WorkspaceError

    result = run("-C", str(real_ws), "--debug", "build", "--audience", "nope")
    assert result.exit_code == 1
    assert isinstance(result.exception, WorkspaceError)


def test_broken_data_file_fails_fast_without_touching_out(real_ws: Path) -> None:
    """A YAML syntax error exits 1 with ``file:line:`` and leaves the previous PDF alone."""
    out = real_ws / "out"
    out.mkdir()
    previous = b"%PDF-1.7 previous build"
    (out / PDF_NAME).write_bytes(previous)
    path = real_ws / "data" / "figures" / "benchmarks.yaml"
    replace_in(
        path,
        "  label: US lead over China on MMLU (general knowledge), end of 2023",
        "  label: US lead over China on MMLU: end of 2023",
    )
    line = assert_one_line_error(run("-C", str(real_ws), "build"))
    bad = line_number(path, "label: US lead over China on MMLU: end of 2023")
    assert re.match(rf"data/figures/benchmarks\.yaml:{bad}:\d+: error: YAML syntax error", line)
    assert (out / PDF_NAME).read_bytes() == previous
    assert sorted(p.name for p in out.iterdir()) == [PDF_NAME]


def test_missing_directory_option(real_ws: Path) -> None:
    """``brief -C DIR`` with a DIR that does not exist is an error naming DIR."""
    result = run("-C", str(real_ws / "typo"), "build", "--audience", "nope")
    assert result.exit_code != 0
    assert "typo" in result.output


def test_control_character_in_data_is_one_line(real_ws: Path) -> None:
    """A stray control character in a data file is a one-line error naming the file."""
    path = real_ws / "data" / "figures" / "models.yaml"
    replace_in(path, "label: Notable AI models from China-based", "label: Notable AI\x07models from China-based")
    line = assert_one_line_error(run("-C", str(real_ws), "build"))
    assert "data/figures/models.yaml" in line


def test_list_counts_in_good_english(ws: Path) -> None:
    """`brief list` writes "1 page", "1 section", "0 charts": a noun agrees with its count."""
    result = run("-C", str(ws), "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "mini  The Widget Gap  (2025-05-01)",
        "  policy       Policy brief             budget 2 pages    1 section    1 chart",
        "  press        Press note               budget 1 page     1 section    0 charts",
    ]


def test_new_brief_says_its_title_is_to_be_edited(ws: Path) -> None:
    """The title `brief new brief` makes from the file name is marked as one to edit, and the
    file it writes loads."""
    result = run("-C", str(ws), "new", "brief", "eu-us-fabs")
    assert result.exit_code == 0, result.output
    lines = (ws / "briefs" / "eu-us-fabs.yaml").read_text(encoding="utf-8").splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    assert lines[title] == "title: Eu us fabs"
    assert "edit it to the real title" in lines[title - 1] and lines[title - 1].startswith("# ")
    assert run("-C", str(ws), "list").stdout.count("eu-us-fabs  Eu us fabs") == 1


# --- builds ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_build_prints_path_pages_and_seconds(real_ws: Path) -> None:
    """``brief build --audience policy`` writes the PDF and prints its path, pages and time."""
    result = run("-C", str(real_ws), "build", "--audience", "policy")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(rf"out/{re.escape(PDF_NAME)}  ([234]) pages  \d+\.\d s\n", result.stdout)
    assert match, result.stdout
    assert result.stderr == ""  # within the page budget: no warning
    assert (real_ws / "out" / PDF_NAME).read_bytes().startswith(b"%PDF-")


@pytest.mark.slow
def test_broken_data_keeps_the_real_previous_pdf(copy_built: Callable[[], Path]) -> None:
    """After a good build, a YAML syntax error in a figure file the edition uses fails the next
    build with ``file:line:`` and the previous PDF is byte-for-byte what it was."""
    root = copy_built()
    pdf = root / "out" / PDF_NAME
    before = pdf.read_bytes()
    path = root / "data" / "figures" / "ai-index-2026.yaml"
    replace_in(path, "  value: 285.9\n", "  value: [285.9\n")
    line = assert_one_line_error(run("-C", str(root), "build", "--audience", "policy"))
    assert re.match(r"data/figures/ai-index-2026\.yaml:\d+:\d+: error: YAML syntax error", line)
    assert pdf.read_bytes() == before
    assert sorted(p.name for p in pdf.parent.iterdir()) == sorted(["editions", PDF_NAME, "manifest.json"])


@pytest.mark.slow
def test_template_error_keeps_previous_pdf(mini_full: Path) -> None:
    """An unknown figure in a template fails with ``template:line:`` and a hint; the previous
    PDF is untouched."""
    out = mini_full / "out"
    out.mkdir()
    (out / "mini-policy.pdf").write_bytes(b"%PDF previous")
    section = mini_full / "templates" / "policy" / "intro.md.j2"
    section.write_text('## Intro\n\nAlpha has {{ fig("widgets_alpah") }}.\n\n{{ chart("counts") }}\n', encoding="utf-8")
    line = assert_one_line_error(run("-C", str(mini_full), "build"))
    assert line == (
        "templates/policy/intro.md.j2:3: error: unknown figure 'widgets_alpah' — "
        "did you mean widgets_alpha, widgets_beta, widgets_ratio?"
    )
    assert (out / "mini-policy.pdf").read_bytes() == b"%PDF previous"


@pytest.mark.slow
def test_outside_file_in_template_is_refused(mini_full: Path) -> None:
    """A template that embeds file:///etc/passwd fails the build; nothing is written and the
    previous PDF is untouched."""
    out = mini_full / "out"
    out.mkdir()
    (out / "mini-policy.pdf").write_bytes(b"%PDF previous")
    section = mini_full / "templates" / "policy" / "intro.md.j2"
    section.write_text('## Intro\n\n<img src="file:///etc/passwd">\n\n{{ chart("counts") }}\n', encoding="utf-8")
    result = run("-C", str(mini_full), "build")
    assert result.exit_code == 1
    message = result.output
    assert (
        "templates/policy/intro.md.j2:3: error: <img src> uses file:///etc/passwd, outside the template folders"
    ) in message
    assert (out / "mini-policy.pdf").read_bytes() == b"%PDF previous"
    assert sorted(p.name for p in out.iterdir()) == ["mini-policy.pdf"]


@pytest.mark.slow
def test_outside_file_in_template_is_a_one_line_error(mini_full: Path) -> None:
    """A template that embeds file:///etc/passwd fails with one ``error:`` line and a hint."""
    section = mini_full / "templates" / "policy" / "intro.md.j2"
    section.write_text('## Intro\n\n<img src="file:///etc/passwd">\n\n{{ chart("counts") }}\n', encoding="utf-8")
    line = assert_one_line_error(run("-C", str(mini_full), "build"))
    assert line.startswith("templates/policy/intro.md.j2:3: error: <img src> uses file:///etc/passwd")
    assert " — templates may not use scripts or resources from outside the template folders" in line


@pytest.mark.slow
def test_mini_build_and_page_budget_warning(mini_full: Path) -> None:
    """A build over its page budget still writes the PDF but warns on stderr."""
    brief = mini_full / "briefs" / "mini.yaml"
    replace_in(brief, "page_budget: 2", "page_budget: 1")
    section = mini_full / "templates" / "policy" / "intro.md.j2"
    section.write_text(
        '## Intro\n\n{{ chart("counts") }}\n\n' + "Filler text for a long brief.\n\n" * 120, encoding="utf-8"
    )
    result = run("-C", str(mini_full), "build")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"out/mini-policy\.pdf  (\d+) pages  \d+\.\d s\n", result.stdout)
    assert match and int(match.group(1)) > 1
    assert result.stderr == f"warning: policy is {match.group(1)} pages, over its budget of 1\n"
    assert (mini_full / "out" / "mini-policy.pdf").exists()
