"""docs/customising.md and docs/distributing.md are executed: their walk-throughs must keep
working as written."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from helpers import REPO, copy_workspace

DOC = REPO / "docs" / "customising.md"
DISTRIBUTING = REPO / "docs" / "distributing.md"


def blocks(doc: Path = DOC) -> list[tuple[str, str]]:
    """``(info, content)`` of every fenced block in the document, in order."""
    tokens = MarkdownIt("commonmark").parse(doc.read_text(encoding="utf-8"))
    return [(t.info.strip(), t.content) for t in tokens if t.type == "fence"]


def test_document_has_walkthroughs() -> None:
    """The page has files to write and commands to run (the test below is not vacuous)."""
    kinds = [info.split()[0] for info, _ in blocks() if info]
    assert kinds.count("sh") >= 6
    assert sum("file=" in info for info, _ in blocks()) >= 4


def walk_through(doc: Path, root: Path) -> list[str]:
    """Write every file block of *doc* and run every sh block (each must exit 0) in *root*; their outputs."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for info, content in blocks(doc):
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
            outputs.append(result.stdout + result.stderr)
    return outputs


def shown_outputs(doc: Path) -> list[tuple[int, str]]:
    """``(n, text)`` for each plain block that comes right after the n-th ``sh`` block (counted
    from 0): the output the page shows that command printing."""
    shown: list[tuple[int, str]] = []
    ran = -1
    after_sh = False
    for info, content in blocks(doc):
        words = info.split()
        is_sh = bool(words) and words[0] == "sh" and not any(w.startswith("file=") for w in words)
        if not info and after_sh:
            shown.append((ran, content))
        ran += is_sh
        after_sh = is_sh
    return shown


@pytest.mark.slow
def test_distributing_walkthrough_runs(tmp_path: Path) -> None:
    """docs/distributing.md as written: the bad recipients file is refused line by line, the dry
    run writes each copy and message, the send reaches the server, trace names the recipient."""
    root = copy_workspace(REPO, tmp_path / "ws")
    for extra in ("emails", "recipients.csv"):
        source = REPO / extra
        if source.is_dir():
            shutil.copytree(source, root / extra)
        else:
            shutil.copy(source, root / extra)
    outputs = "\n".join(walk_through(DISTRIBUTING, root))
    shown = [content for info, content in blocks(DISTRIBUTING) if not info]
    refusals = next(text for text in shown if "bad-recipients.csv:3" in text)
    for line in refusals.splitlines():
        assert line in outputs
    assert "exit status 1" in outputs
    assert "dry run: 3 stamped" in outputs and "sent: 3 accepted" in outputs
    assert "prepared for Sam Okafor <sam.okafor@openpolicybriefs.org>" in outputs
    # Three copies, and the one correction of the technical edition (section 8).
    assert "1 edition changed, 1 recipient to correct" in outputs and "deepseek_daily_users: 22 million → 25" in outputs
    assert "sent: 1 accepted" in outputs and "sent: nothing to correct" in outputs
    assert len(list((root / "out" / "distribution").glob("*/*.eml"))) == 4


@pytest.mark.slow
def test_walkthroughs_run_in_a_fresh_workspace(tmp_path: Path) -> None:
    """Every file block is written and every sh block runs (exit 0), in order; the builds
    it asks for produce their PDFs."""
    root = copy_workspace(REPO, tmp_path / "ws")
    outputs = walk_through(DOC, root)
    for n, shown in shown_outputs(DOC):
        printed = outputs[n].splitlines()
        assert [line for line in shown.splitlines() if line not in printed] == [], outputs[n]
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


def test_every_test_a_promise_names_exists() -> None:
    """docs/security.md and docs/distributing.md name the test that holds each promise: every
    name they give is a test function in tests/, so a renamed or deleted test cannot leave a
    promise that nothing holds."""
    import re

    defined = {
        match.group(1)
        for path in (REPO / "tests").rglob("test_*.py")
        for match in re.finditer(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    }
    for doc in (REPO / "docs" / "security.md", DISTRIBUTING):
        named = set(re.findall(r"\b(test_\w+)\b", doc.read_text(encoding="utf-8"))) - {
            name for name in re.findall(r"\b(test_\w+)\.py\b", doc.read_text(encoding="utf-8"))
        }
        assert len(named) >= 5, f"{doc.name} names too few tests to be checked"
        missing = sorted(named - defined)
        assert not missing, f"{doc.name} names tests that do not exist: {missing}"
