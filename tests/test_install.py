"""A tool, not a repository: the wheel carries the theme, ``brief init`` starts a workspace from
nothing, and the built-in theme is the last layer of every template lookup."""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.publish.manifest import file_digests
from brief.workspace.templates import TemplateSet
from brief.workspace.theme import examples
from helpers import REPO, THEME, build_wheel, copy_workspace

STARTER_FILES = {
    ".gitignore",
    "briefs/first-brief.yaml",
    "data/sources.yaml",
    "data/figures/starter.yaml",
    "emails/policy.j2",
    "recipients.csv",
    "templates/brand.yml",
    "templates/policy/summary.md.j2",
}


def run(*args: str) -> object:
    """The CLI, in process."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def written(folder: Path) -> set[str]:
    """Every file under *folder*, relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_init_writes_the_starter_workspace(tmp_path: Path) -> None:
    """``brief init DIR`` writes exactly the starter's files and an empty out/, and says what
    to run next."""
    result = run("init", str(tmp_path / "new"))
    assert result.exit_code == 0, result.output
    assert written(tmp_path / "new") == STARTER_FILES
    assert (tmp_path / "new" / "out").is_dir()
    assert f"next: cd {tmp_path / 'new'} && brief build" in result.output


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    """A folder with anything in it is refused in one line, untouched; --force adds the
    workspace's files and keeps what was there."""
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {tmp_path} is not empty — name a new or empty folder, "
        "or pass --force to add the workspace's files to it"
    )
    assert written(tmp_path) == {"notes.txt"}
    assert run("init", "--force", str(tmp_path)).exit_code == 0
    assert written(tmp_path) == STARTER_FILES | {"notes.txt"}


def test_init_example_copies_the_flagship(tmp_path: Path) -> None:
    """``--example us-china-ai-gap`` copies the flagship's briefs, data, templates, email
    templates and sample recipients, file for file; an unknown example names the ones there are."""
    assert run("init", "--example", "us-china-ai-gap", str(tmp_path / "flag")).exit_code == 0
    assert (tmp_path / "flag" / "recipients.csv").read_bytes() == (REPO / "recipients.csv").read_bytes()
    for part in ("briefs", "data", "templates", "emails"):
        assert written(tmp_path / "flag" / part) == written(REPO / part)
        for name in written(REPO / part):
            assert (tmp_path / "flag" / part / name).read_bytes() == (REPO / part / name).read_bytes()
    result = CliRunner().invoke(cli, ["init", "--example", "nope", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no example named 'nope'" in result.output
    assert "us-china-ai-gap" in result.output and not (tmp_path / "x").exists()
    assert "us-china-ai-gap" in examples()


def test_the_starter_passes_a_strict_check(tmp_path: Path) -> None:
    """The starter is clean under ``brief check --strict``: every figure sourced, every source
    cited, nothing typed by hand."""
    run("init", str(tmp_path / "ws"))
    result = CliRunner().invoke(cli, ["-C", str(tmp_path / "ws"), "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_theme_is_the_last_layer(tmp_path: Path) -> None:
    """A workspace file wins over the theme's; a template can extend the theme's with the
    ``!theme/`` prefix; the theme's files are the fallback."""
    ws = tmp_path / "ws" / "templates"
    (ws / "policy").mkdir(parents=True)
    (ws / "base.html.j2").write_text('{% extends "!theme/base.html.j2" %}{% block extra_head %}X{% endblock %}')
    templates = TemplateSet(ws, "policy")
    assert templates.find("base.html.j2") == ws / "base.html.j2"
    assert templates.find("style.css") == THEME / "style.css"
    assert templates.find_shared("style.css", theme=False) is None
    env = templates.environment()
    assert env.get_template("base.html.j2").blocks.keys() == {"extra_head"}
    theirs = env.get_template("!theme/base.html.j2")
    assert theirs.filename == str((THEME / "base.html.j2").resolve())
    assert {"extra_head", "title_block", "sections"} <= theirs.blocks.keys()


def test_theme_files_are_build_inputs(tmp_path: Path) -> None:
    """The manifest's input digests cover the theme, so a changed theme is never up to date."""
    digests = file_digests(copy_workspace(REPO, tmp_path / "ws"))
    assert {"theme:base.html.j2", "theme:style.css", "theme:brand.yml"} <= digests.keys()
    assert "theme:fonts/SourceSerif4-Regular.ttf" in digests


@pytest.mark.slow
def test_the_wheel_installs_and_builds_a_starter_anywhere(tmp_path: Path) -> None:
    """The README's Install commands, for real: a wheel installed without -e into a fresh
    virtual environment, ``brief init`` in an empty folder far from this checkout, then
    ``brief build`` writes a 2-page PDF whose fonts are only the theme's, and ``brief check
    --strict`` passes."""
    wheel = build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "brief/theme/base.html.j2",
        "brief/theme/style.css",
        "brief/theme/brand.yml",
        "brief/theme/fonts/LICENSE-SourceSerif4.md",
        "brief/theme/fonts/SourceSans3-Bold.ttf",
        "brief/starter/briefs/first-brief.yaml",
        "brief/starter/gitignore",
        "brief/starter/emails/policy.j2",
        "brief/docs/reference.md",
        "brief/examples/us-china-ai-gap/briefs/us-china-ai-gap.yaml",
        "brief/examples/us-china-ai-gap/emails/policy.j2",
        "brief/examples/us-china-ai-gap/recipients.csv",
        "brief/examples/de-brief/briefs/halbleiter.yaml",
    ):
        assert needed in names, needed
    # The dependencies come from this interpreter's site-packages (no network); brief itself
    # only from the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python, brief = env_dir / "bin" / "python", env_dir / "bin" / "brief"
    # A user's shell has no PYTHONPATH pointing into this checkout: nothing here may inherit one.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOURCE_DATE_EPOCH")}
    env["BRIEF_CACHE_DIR"] = str(tmp_path / "cache")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True, env=env
    )
    where = subprocess.run(
        [python, "-c", "import brief; print(brief.__file__)"], capture_output=True, text=True, env=env
    )
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout

    empty = tmp_path / "elsewhere"
    empty.mkdir()
    steps = [
        ([brief, "init", "my-briefs"], empty),
        ([brief, "build"], empty / "my-briefs"),
        ([brief, "check", "--strict"], empty / "my-briefs"),
        ([brief, "docs", "reference"], empty / "my-briefs"),
    ]
    for args, cwd in steps:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    pdf = empty / "my-briefs" / "out" / "first-brief-policy.pdf"
    assert pdf.is_file()
    import pikepdf

    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 2
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts is missing: scripts/install installs poppler-utils")
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}
    assert fonts and all(f.startswith(("Source-Serif-4", "Source-Sans-3")) for f in fonts), fonts
