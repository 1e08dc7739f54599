"""docs/customising.md is executed: its walk-throughs must keep working as written."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import REPO, copy_workspace

DOC = REPO / "docs" / "customising.md"


def blocks() -> list[tuple[str, str]]:
    """``(info, content)`` of every fenced block in the document, in order."""
    tokens = MarkdownIt("commonmark").parse(DOC.read_text(encoding="utf-8"))
    return [(t.info.strip(), t.content) for t in tokens if t.type == "fence"]


def test_document_has_walkthroughs() -> None:
    """The page has files to write and commands to run (the test below is not vacuous)."""
    kinds = [info.split()[0] for info, _ in blocks() if info]
    assert kinds.count("sh") >= 6
    assert sum("file=" in info for info, _ in blocks()) >= 4


@pytest.mark.slow
def test_walkthroughs_run_in_a_fresh_workspace(tmp_path: Path) -> None:
    """Every file block is written and every sh block runs (exit 0), in order; the builds
    it asks for produce their PDFs."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for info, content in blocks():
        words = info.split()
        target = next((w.removeprefix("file=") for w in words if w.startswith("file=")), None)
        if target is not None:
            path = root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            mode = "a" if "append" in words else "w"
            with path.open(mode, encoding="utf-8") as handle:
                handle.write(content)
        elif words and words[0] == "sh":
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", content],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, f"{shlex.quote(content)}\n{result.stdout}\n{result.stderr}"
    started = (tmp_path / "my-briefs").resolve()
    assert (started / "out" / "first-brief-policy.pdf").is_file()
    assert "Harbour Institute" in (started / "templates" / "brand.yml").read_text(encoding="utf-8")
    out = root / "out"
    assert (out / "us-china-ai-gap-board.pdf").is_file()
    assert (out / "us-china-ai-gap-policy.pdf").is_file()
    assert (out / "chips-2027-policy.pdf").is_file()
    assert "patent_share_ratio_china_us" in (root / "figures.csv").read_text(encoding="utf-8")


def test_every_command_is_documented_in_the_readme() -> None:
    """Each CLI command (and each `new` subcommand) appears in README.md's usage block."""
    import click

    from brief.cli import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            names += [f"brief {name} {sub}" for sub in command.commands]
        else:
            names.append(f"brief {name}")
    missing = [n for n in names if n not in readme]
    assert names and missing == []
