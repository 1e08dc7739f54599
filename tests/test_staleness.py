"""Staleness per edition: an edition's inputs are the files it uses (its brief file, the figure
files that hold its figures, its audience's templates, the shared templates, the theme), so an
edit to another brief leaves it "up to date" for ``build``, ``build --all`` and ``verify``, and
``verify`` names the first input that changed. And the chart cache notices a change to any
module of the chart code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief as brief_package
import brief.publish.manifest as manifest
from brief.cli import cli
from brief.model.request import BuildRequest

SECOND = """\
title: The Gadget Rise
date: 2025-05-01
authors: [Test Author]
language: en-US
audiences:
  note:
    label: Note
    page_budget: 1
    sections: [intro]
  memo:
    label: Memo
    page_budget: 1
    sections: [intro]
"""
NOTE = '## Gadgets\n\nThe share of firms using gadgets rose {{ fig("share_rise") }}.\n'
MEMO = '## Memo\n\nIn 2024, {{ fig("share_2024") }} of firms used gadgets.\n'
SECOND_PDFS = ["out/second-memo.pdf", "out/second-note.pdf"]


def run(root: Path, *args: str) -> Result:
    """``brief -C ROOT ARGS``, in this process."""
    return CliRunner().invoke(cli, ["-C", str(root), *args], prog_name="brief")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace of two briefs, built: mini (policy) and second (note and memo, each with
    its own template folder), both reading data/figures/shares.yaml; only mini reads
    data/figures/widgets.yaml."""
    root = tmp_path_factory.mktemp("two") / "ws"
    fixtures = Path(__file__).parent / "fixtures" / "mini"
    shutil.copytree(fixtures, root)
    theme = Path(brief_package.__file__).parent / "theme"
    for name in ("base.html.j2", "style.css", "brand.yml"):
        shutil.copy(theme / name, root / "templates" / name)
    shutil.copytree(theme / "fonts", root / "templates" / "fonts")
    (root / "briefs" / "second.yaml").write_text(SECOND, encoding="utf-8")
    for folder, text in (("note", NOTE), ("memo", MEMO)):
        (root / "templates" / folder).mkdir()
        (root / "templates" / folder / "intro.md.j2").write_text(text, encoding="utf-8")
    for args in (["build", "mini"], ["build", "second", "--all"]):
        result = run(root, *args)
        assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def two(built: Path, tmp_path: Path) -> Path:
    """A writable copy of the built workspace of two briefs."""
    return Path(shutil.copytree(built, tmp_path / "ws"))


def up_to_date_lines(result: Result) -> list[str]:
    """The files a build said were up to date."""
    return sorted(line.split()[0] for line in result.output.splitlines() if "  up to date (" in line)


def test_editing_one_briefs_template_leaves_the_other_up_to_date(two: Path) -> None:
    """A blank line in mini's template made every other brief rebuild and fail verify with
    "the workspace's inputs have changed"; now second is up to date for build, --all and
    verify, and verify of mini names the template."""
    with (two / "templates" / "policy" / "intro.md.j2").open("a", encoding="utf-8") as f:
        f.write("\n")
    single = run(two, "build", "second", "-a", "memo")
    assert single.exit_code == 0 and up_to_date_lines(single) == ["out/second-memo.pdf"], single.output
    every = run(two, "build", "second", "--all")
    assert every.exit_code == 0 and up_to_date_lines(every) == SECOND_PDFS, every.output
    assert "Building" not in every.output and "1 page  up to date" in every.output
    for pdf in SECOND_PDFS:
        ok = run(two, "verify", str(two / pdf))
        assert ok.exit_code == 0 and "are the inputs it was built from" in ok.output, ok.output
    failed = run(two, "verify", str(two / "out/mini-policy.pdf"))
    assert failed.exit_code == 1
    assert failed.output.splitlines()[-1] == (
        "FAILED: the workspace's inputs have changed since it was built: templates/policy/intro.md.j2 changed"
    )


def test_all_builds_only_the_edition_whose_template_changed(two: Path) -> None:
    """--all rebuilt every edition; now the one whose own template changed is built and the
    other is said to be up to date."""
    with (two / "templates" / "memo" / "intro.md.j2").open("a", encoding="utf-8") as f:
        f.write("\nMore to come.\n")
    again = run(two, "build", "second", "--all")
    assert again.exit_code == 0 and up_to_date_lines(again) == ["out/second-note.pdf"], again.output
    assert "out/second-memo.pdf  1 page  " in again.output and "memo.pdf  1 page  up to date" not in again.output


def test_another_audiences_folder_that_a_template_reaches_counts(two: Path) -> None:
    """A folder of another audience that this edition's templates include by name, or reach
    through a link, is one of its inputs."""
    policy = two / "templates" / "policy"
    (policy / "shared").symlink_to(two / "templates" / "note", target_is_directory=True)
    (policy / "intro.md.j2").write_text(
        (policy / "intro.md.j2").read_text(encoding="utf-8") + '\n{% include "memo/intro.md.j2" %}\n',
        encoding="utf-8",
    )
    assert run(two, "build", "mini").exit_code == 0
    for folder in ("note", "memo"):
        with (two / "templates" / folder / "intro.md.j2").open("a", encoding="utf-8") as f:
            f.write("\n")
    failed = run(two, "verify", str(two / "out/mini-policy.pdf"))
    assert failed.output.rstrip().endswith(": templates/memo/intro.md.j2 changed (and 1 more)"), failed.output
    assert run(two, "verify", str(two / "out/second-memo.pdf")).exit_code == 1


def test_deleting_a_figure_file_one_brief_uses_names_it(two: Path) -> None:
    """verify names the figure file that is gone; the brief that never read it verifies."""
    (two / "data" / "figures" / "widgets.yaml").unlink()
    failed = run(two, "verify", str(two / "out/mini-policy.pdf"))
    assert failed.exit_code == 1
    assert failed.output.splitlines()[-1].endswith(
        "inputs have changed since it was built: data/figures/widgets.yaml is gone"
    )
    assert run(two, "verify", str(two / "out/second-note.pdf")).exit_code == 0
    assert up_to_date_lines(run(two, "build", "second", "-a", "note")) == ["out/second-note.pdf"]


def test_a_file_neither_brief_uses_leaves_both_up_to_date(two: Path) -> None:
    """A README in data/ or briefs/, another brief file, and a figure file that mentions
    neither brief's figures are no brief's input; a brief file that declares an id of its
    own (it could claim another brief's) counts for every brief."""
    (two / "data" / "README.md").write_text("What the data files hold.\n", encoding="utf-8")
    (two / "briefs" / "README.md").write_text("One file per brief.\n", encoding="utf-8")
    (two / "data" / "figures" / "other.yaml").write_text("# figures of a third brief\n", encoding="utf-8")
    (two / "briefs" / "third.yaml").write_text(SECOND.replace("Gadget Rise", "Third"), encoding="utf-8")
    assert up_to_date_lines(run(two, "build", "mini")) == ["out/mini-policy.pdf"]
    assert up_to_date_lines(run(two, "build", "second", "--all")) == SECOND_PDFS
    for pdf in ["out/mini-policy.pdf", *SECOND_PDFS]:
        assert run(two, "verify", str(two / pdf)).exit_code == 0, pdf
    (two / "briefs" / "third.yaml").write_text("id: second\n" + SECOND, encoding="utf-8")
    failed = run(two, "verify", str(two / "out/second-note.pdf"))
    assert failed.exit_code == 1 and failed.output.rstrip().endswith("briefs/third.yaml is new"), failed.output


def test_the_theme_or_the_tool_version_makes_both_stale(
    two: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every edition reads the built-in theme and is made by the tools: a change of either
    makes both briefs stale, and verify names the theme."""

    def current(brief_id: str, audience: str) -> bool:
        return manifest.up_to_date(BuildRequest(root=two, brief=brief_id, audience=audience)) is not None

    assert current("mini", "policy") and current("second", "note")
    versions = manifest.tool_versions()
    monkeypatch.setattr(manifest, "tool_versions", lambda: versions | {"brief": versions["brief"] + ".post1"})
    assert not current("mini", "policy") and not current("second", "note")
    monkeypatch.undo()
    theme = Path(shutil.copytree(manifest.theme_dir(), tmp_path / "theme"))
    with (theme / "style.css").open("a", encoding="utf-8") as f:
        f.write("\n/* reinstalled */\n")
    monkeypatch.setattr(manifest, "theme_dir", lambda: theme)
    assert not current("mini", "policy") and not current("second", "note")
    for pdf in ("out/mini-policy.pdf", "out/second-note.pdf"):
        failed = run(two, "verify", str(two / pdf))
        assert failed.exit_code == 1 and failed.output.rstrip().endswith(": the built-in theme changed"), failed.output


def test_an_entry_records_only_the_editions_inputs_and_stays_small(two: Path) -> None:
    """The manifest entry of second's note lists its own files, not mini's, with a short digest
    each and the theme as one."""
    entry = json.loads((two / "out" / "manifest.json").read_text(encoding="utf-8"))["outputs"]["second-note.pdf"]
    inputs = entry["inputs"]
    assert {"briefs/second.yaml", "templates/note/intro.md.j2", "data/figures/shares.yaml", "theme:"} <= set(inputs)
    assert not {"briefs/mini.yaml", "templates/policy/intro.md.j2", "templates/memo/intro.md.j2"} & set(inputs)
    assert "data/figures/widgets.yaml" not in inputs
    assert all(len(digest) == 16 for digest in inputs.values())
    assert len(json.dumps(entry)) < 4096


def test_the_chart_cache_key_covers_every_chart_module(tmp_path: Path) -> None:
    """The key hashed three files by name, but charts are built in pipeline/chartkinds/: a
    changed bars.py served the old SVG. A copy of the package with a changed chartkinds
    module gives another key; an unchanged copy the same one."""
    package = Path(shutil.copytree(Path(brief_package.__file__).parent, tmp_path / "src" / "brief"))
    code = (
        "from brief.publish.cache import chart_key\nprint(chart_key({'spec': {'kind': 'bar'}, 'rows': [1, 2]}, []))\n"
    )

    def key() -> str:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        return done.stdout.strip()

    before = key()
    assert key() == before
    with (package / "pipeline" / "chartkinds" / "bars.py").open("a", encoding="utf-8") as f:
        f.write("\nLABEL_GAP = 3  # a changed chart builder\n")
    assert key() != before
