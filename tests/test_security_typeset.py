"""Typesetting is bounded and leaves nothing behind (security review, round 3).

M6: a template within the render budget can ask WeasyPrint for an unbounded layout (20,000
page breaks, a cell spanning a million columns, a font size that puts each letter on a page of
its own). Layout stops past four times the audience's page budget (at least 20 pages) or a
deadline, with one error line, and table spans are capped as browsers cap them. The mini
workspace's policy audience has a budget of 2 pages: its limit is 20.

M13: WeasyPrint copies the brand's fonts into a temporary folder it removes only when it is
garbage-collected, which a command leaving with os._exit() never is; brief owns the folder and
removes it, after a PDF, an HTML edition and a failed build alike."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief as brief_package
from brief.cli import cli
from brief.errors import TypesetError
from brief.pipeline.typeset import TypesetJob, typeset

SECTION = Path("templates") / "policy" / "intro.md.j2"
PAGE_BREAKS = (
    '<style>.pp { break-after: page }</style>\n{% for i in range(COUNT) %}<p class="pp">page</p>{% endfor %}\n'
)
# The size as a Jinja string: past the typed-number check, as in the review.
HUGE_FONT = '{% set size = "1000000px" %}{% for i in range(2000) %}<p style="font-size: {{ size }}">x</p>{% endfor %}\n'
SPANS = '<table><tr><td colspan="1000000" rowspan="65534">x</td><td>y</td></tr><tr><td>z</td></tr></table>\n'


def with_section(root: Path, text: str) -> Path:
    """The mini workspace with *text* appended to its policy section."""
    section = root / SECTION
    section.write_text(section.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return root


def build(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "build", "--audience", "policy", *args])


def stopped(result: Result, root: Path, words: str) -> None:
    """Exit 1, one error line saying *words*, no traceback, no PDF."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "error: " in line]
    assert len(errors) == 1 and words in errors[0], result.output
    assert not list((root / "out").glob("*.pdf")) if (root / "out").exists() else True


def command(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m brief -C ROOT build --audience policy ARGS`` in a process of its own."""
    path = str(Path(brief_package.__file__).resolve().parents[1])
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (path, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run(
        [sys.executable, "-m", "brief", "-C", str(root), "build", "--audience", "policy", *args],
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def test_m6_page_breaks_stop_at_the_page_limit(mini_full: Path) -> None:
    """Review X01, smaller: 2,000 paragraphs each breaking the page stop at page 21, within
    seconds, with one line (the 20,000 of the review: the slow test below)."""
    with_section(mini_full, PAGE_BREAKS.replace("COUNT", "2000"))
    started = time.monotonic()
    result = build(mini_full)
    stopped(result, mini_full, "the brief runs past 20 pages")
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_m6_twenty_thousand_page_breaks_stop(mini_full: Path) -> None:
    """Review X01 as written: 20,000 page-break paragraphs (the unbounded build was still
    laying out after 300 s) stop at the page limit once WeasyPrint starts laying out pages."""
    with_section(mini_full, PAGE_BREAKS.replace("COUNT", "20000"))
    result = command(mini_full, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "the brief runs past 20 pages" in result.stderr and "Traceback" not in result.stderr


def test_m6_a_huge_font_size_stops_at_the_page_limit(mini_full: Path) -> None:
    """Review X06: 2,000 paragraphs at font-size 1000000px (2,005 pages, written with only a
    budget warning) stop at the page limit."""
    with_section(mini_full, HUGE_FONT)
    stopped(build(mini_full), mini_full, "the brief runs past 20 pages")


def test_m6_table_spans_are_capped(mini_full: Path) -> None:
    """Review X02: <td colspan="1000000" rowspan="65534"> (killed at 200 s) is laid out as a
    browser would, with colspan 1000: the build succeeds within seconds."""
    with_section(mini_full, SPANS)
    result = command(mini_full, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (mini_full / "out" / "mini-policy.pdf").exists()


def test_m6_typesetting_has_a_deadline(tmp_path: Path) -> None:
    """Within the page limit, a layout that takes too long stops at its deadline."""
    html = '<p style="font-size: 1000000px">x</p>' * 2000
    job = TypesetJob(html, (tmp_path,), {}, max_pages=100_000, seconds=0.5)
    started = time.monotonic()
    with pytest.raises(TypesetError, match=r"took longer than 0\.5 s"):
        typeset(job)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    ("args", "section", "code"),
    [([], "", 0), (["--format", "html"], "", 0), ([], HUGE_FONT, 1)],
    ids=["pdf", "html", "failed"],
)
def test_m13_a_build_leaves_nothing_in_tmpdir(
    mini_full: Path, tmp_path: Path, args: list[str], section: str, code: int
) -> None:
    """Review Q01: with an empty TMPDIR, ``brief build`` (a PDF, an HTML edition, a build that
    fails once the fonts are loaded) leaves TMPDIR empty: no weasyprint-XXXXXXXX folder of fonts."""
    with_section(mini_full, section)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    result = command(mini_full, *args, env={"TMPDIR": str(tmpdir)})
    assert result.returncode == code, result.stderr
    assert sorted(p.name for p in tmpdir.iterdir()) == []
