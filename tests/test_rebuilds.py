"""Fast rebuilds: the chart cache, the no-op rebuild and a light start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.publish import cache
from helpers import REPO, copy_workspace, flagship_charts, replace_in


def run(*args: str) -> object:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args))


def test_cache_round_trip_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are stored under their key; any change to the payload or a font changes the key."""
    font = tmp_path / "f.ttf"
    font.write_bytes(b"font one")
    key = cache.chart_key({"spec": {"title": "A"}, "rows": [1]}, [font])
    folder = tmp_path / "charts"
    assert cache.get(folder, key) is None and cache.is_empty(folder)
    cache.put(folder, key, "<svg/>")
    assert cache.get(folder, key) == "<svg/>" and not cache.is_empty(folder)
    assert cache.get(None, key) is None  # no cache folder: nothing is kept
    assert cache.chart_key({"spec": {"title": "B"}, "rows": [1]}, [font]) != key
    other = tmp_path / "g.ttf"
    other.write_bytes(b"font two")
    assert cache.chart_key({"spec": {"title": "A"}, "rows": [1]}, [other]) != key


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """BRIEF_CACHE_DIR wins; else XDG_CACHE_HOME/brief; else ~/.cache/brief."""
    from brief.model.request import cache_dir

    assert cache_dir({"BRIEF_CACHE_DIR": str(tmp_path / "x"), "XDG_CACHE_HOME": "/y"}) == tmp_path / "x"
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "brief"
    assert cache_dir({}) == Path.home() / ".cache" / "brief"


def test_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder that cannot be written costs speed, never a build."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache.put(blocker / "charts", "ab" * 32, "<svg/>")
    assert cache.get(blocker / "charts", "ab" * 32) is None


@pytest.mark.slow
def test_no_op_rebuild_is_skipped_and_force_rebuilds(tmp_path: Path) -> None:
    """A second build with nothing changed says "up to date" and leaves the PDF alone; --force,
    a changed input or another standard builds again."""
    root = copy_workspace(REPO, tmp_path / "ws")
    first = run("-C", str(root), "build", "--audience", "executive")
    assert first.exit_code == 0 and "up to date" not in first.output
    pdf = root / "out" / "us-china-ai-gap-executive.pdf"
    stamp = pdf.stat().st_mtime_ns
    again = run("-C", str(root), "build", "--audience", "executive")
    assert again.exit_code == 0 and "up to date" in again.output and pdf.stat().st_mtime_ns == stamp
    forced = run("-C", str(root), "build", "--audience", "executive", "--force")
    assert "up to date" not in forced.output
    replace_in(root / "templates" / "executive" / "what-to-watch.md.j2", "## What to watch", "## Watch list")
    edited = run("-C", str(root), "build", "--audience", "executive")
    assert "up to date" not in edited.output
    other = run("-C", str(root), "build", "--audience", "executive", "--pdf-standard", "a-3b")
    assert "up to date" not in other.output
    # The archival edition has a file of its own; a damaged one is rebuilt, not trusted.
    archival = root / "out" / "us-china-ai-gap-executive-a3b.pdf"
    assert archival.is_file()
    archival.write_bytes(archival.read_bytes() + b"\n")
    assert "up to date" not in run("-C", str(root), "build", "--audience", "executive", "--pdf-standard", "a-3b").output


@pytest.mark.slow
def test_rebuild_after_a_narrative_edit_uses_the_chart_cache(tmp_path: Path) -> None:
    """After a text edit the charts come from the cache: Altair and vl-convert are not imported."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-X", "importtime", "-m", "brief", "-C", str(root), "build", "--audience", "policy"]
    cold = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert cold.returncode == 0, cold.stderr
    assert " altair" in cold.stderr  # the specs are built here; vl-convert draws in the chart worker
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "charts").rglob("*.svg")}
    assert len(cached) == flagship_charts("policy")
    replace_in(root / "templates" / "policy" / "method.md.j2", "## Note on method", "## A note on method")
    warm = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert warm.returncode == 0, warm.stderr
    assert " altair" not in warm.stderr and "vl_convert" not in warm.stderr
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "charts").rglob("*.svg")} == cached


@pytest.mark.parametrize("args", [["--help"], ["check"], ["build"]], ids=["help", "check", "no-op-build"])
def test_light_commands_import_neither_weasyprint_nor_altair(args: list[str], tmp_path: Path) -> None:
    """`brief --help`, `brief check` and a no-op build never import WeasyPrint, Altair or vl-convert."""
    root = copy_workspace(REPO, tmp_path / "ws")
    if args == ["build"]:
        out = root / "out"
        out.mkdir()
        # A manifest entry that matches the inputs makes the build a no-op without building.
        from brief.publish.manifest import file_digests, inputs_digest, tool_versions

        (out / "us-china-ai-gap-policy.pdf").write_bytes(b"%PDF-1.7 stand-in")
        import hashlib

        entry = {
            "sha256": hashlib.sha256(b"%PDF-1.7 stand-in").hexdigest(),
            "pages": 4,
            "brief": "us-china-ai-gap",
            "audience": "policy",
            "standard": "ua-1",
            "inputs_sha256": inputs_digest(file_digests(root)),
            "versions": tool_versions(),
            "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        }
        (out / "manifest.json").write_text(json.dumps({"format": 1, "outputs": {"us-china-ai-gap-policy.pdf": entry}}))
    # cli(), not main(): main() leaves without returning (see brief.cli.main).
    code = (
        "import sys; from brief.cli import cli; sys.argv = ['brief', '-C', sys.argv[1], *sys.argv[2:]]\n"
        "try:\n    cli(prog_name='brief')\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "heavy = [m for m in ('weasyprint', 'altair', 'vl_convert') if m in sys.modules]\n"
        "print('HEAVY', heavy, code)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(root), *args], capture_output=True, text=True, timeout=120)
    assert "HEAVY [] 0" in result.stdout, result.stdout + result.stderr
    if args == ["build"]:
        assert "up to date" in result.stdout


def test_a_font_replaced_in_place_changes_the_chart_key(tmp_path: Path) -> None:
    """A long-lived process (the preview, a warm typesetter) sees a font file replaced at
    the same path: the charts drawn with it get a new cache key."""
    from brief.publish.cache import chart_key

    font = tmp_path / "brand.ttf"
    font.write_bytes(b"first font")
    before = chart_key({"chart": 1}, [font])
    font.write_bytes(b"the second font")
    assert chart_key({"chart": 1}, [font]) != before
