"""Which copies printed a figure: a build keeps, per edition, every figure it printed and as
what text, and ``brief distribute impact FIGURE_ID`` lists the accepted copies that printed
it, also after a rebuild changed the figure. Against a real SMTP server (aiosmtpd on
127.0.0.1, an ephemeral port) and a real SQLite ledger."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.pipeline.build import build
from helpers import distribution_workspace, request_for
from mailserver import Recorder, serving

DISTRIBUTION = """
distribution:
  tlp: AMBER
  domains: [example.org]
"""
RECIPIENTS = "name,email,organisation,audience\n" + "".join(
    f"Person {i},person{i}@example.org,Org,policy\n" for i in range(1, 4)
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Recorder, int]]:
    yield from serving()


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory, server: tuple[Recorder, int]) -> Path:
    """The mini workspace, its policy edition built and sent to three recipients; a press
    edition (never sent) prints a figure the policy edition does not."""
    root = distribution_workspace(tmp_path_factory.mktemp("impact") / "ws", DISTRIBUTION)
    (root / "templates" / "press").mkdir()
    (root / "templates" / "press" / "intro.md.j2").write_text(
        '## Gadgets\n\nFirms using gadgets: {{ fig("share_2023") }}.\n', encoding="utf-8"
    )
    (root / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    recorder, port = server
    result = run(
        root, str(root / "recipients.csv"), "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org"
    )
    assert result.exit_code == 0, result.output
    assert len(recorder.received) == 3
    build(request_for(root, None, "press"))
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def test_a_build_records_each_figure_it_printed_and_keeps_it_by_edition(sent: Path) -> None:
    manifest = json.loads((sent / "out" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["outputs"]["mini-policy.pdf"]
    # In the text (fig()) and in the chart's bars: every figure, each text once.
    assert entry["printed"]["widgets_alpha"] == ["276,300"]
    assert entry["printed"]["widgets_beta"] == ["46,100"]
    assert entry["printed"]["widgets_ratio"] == ["6.0 times"]
    assert "share_2023" not in entry["printed"]
    kept = json.loads((sent / "out" / "editions" / f"{entry['sha256']}.json").read_text(encoding="utf-8"))
    assert kept["printed"] == entry["printed"]
    assert (kept["brief"], kept["audience"]) == ("mini", "policy")


def test_impact_lists_every_accepted_copy_that_printed_the_figure(sent: Path) -> None:
    table = run(sent, "impact", "widgets_alpha")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["name", "email", "edition", "sent_at", "printed"]
    assert [line.split("  ")[0] for line in lines[1:]] == ["Person 1", "Person 2", "Person 3"]
    assert all("276,300" in line and "policy en-US" in line and " UTC" in line for line in lines[1:])

    rows = list(csv.DictReader(io.StringIO(run(sent, "impact", "widgets_alpha", "--format", "csv").output)))
    assert [r["email"] for r in rows] == [f"person{i}@example.org" for i in range(1, 4)]
    assert {(r["brief"], r["audience"], r["language"], r["printed"]) for r in rows} == {
        ("mini", "policy", "en-US", "276,300")
    }
    records = json.loads(run(sent, "impact", "widgets_alpha", "--format", "json").output)
    assert [r["printed"] for r in records] == [["276,300"]] * 3
    assert all(r["sent_at"] and len(r["edition"]) == 64 for r in records)


def test_a_figure_only_another_audience_prints_has_no_copy(sent: Path) -> None:
    result = run(sent, "impact", "share_2023")
    assert result.exit_code == 0, result.output
    assert result.output == "no accepted copy printed share_2023\n"
    assert json.loads(run(sent, "impact", "share_2023", "--format", "json").output) == []


def test_an_unknown_figure_is_one_line_with_a_suggestion(sent: Path) -> None:
    result = run(sent, "impact", "widgets_alfa")
    assert result.exit_code != 0
    assert "unknown figure 'widgets_alfa'" in result.output
    assert "did you mean widgets_alpha" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_after_a_rebuild_old_copies_still_show_what_they_printed(sent: Path) -> None:
    figures = sent / "data" / "figures" / "widgets.yaml"
    figures.write_text(figures.read_text(encoding="utf-8").replace("value: 276300", "value: 281700"), encoding="utf-8")
    build(request_for(sent, None, "policy"))
    manifest = json.loads((sent / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["mini-policy.pdf"]["printed"]["widgets_alpha"] == ["281,700"]
    records = json.loads(run(sent, "impact", "widgets_alpha", "--format", "json").output)
    assert [r["printed"] for r in records] == [["276,300"]] * 3
    assert len(list((sent / "out" / "editions").glob("*.json"))) == 3  # two policy editions, one press


def test_a_kept_edition_that_is_not_a_regular_file_is_not_read(sent: Path, tmp_path: Path) -> None:
    """out/ is anyone's to edit: a FIFO in place of a kept edition must not hang ``impact``,
    whose copies are then said to be of an edition whose figures were not recorded."""
    root = tmp_path / "ws"
    shutil.copytree(sent, root, ignore=shutil.ignore_patterns("fonts"))
    sha = json.loads(run(root, "status", "--format", "json").output)[0]["edition"]
    kept = root / "out" / "editions" / f"{sha}.json"
    kept.unlink()
    os.mkfifo(kept)
    result = CliRunner().invoke(cli, ["-C", str(root), "distribute", "impact", "widgets_beta"])
    assert result.exit_code == 0, result.output
    assert "3 accepted copies are of editions whose printed figures were not recorded" in result.output


def test_a_killed_builds_leftover_in_the_kept_editions_is_swept(tmp_path: Path) -> None:
    """A build killed while writing out/editions/SHA.json leaves a temporary file there, under
    the out/ lock like the PDF's and the manifest's: the next publish step removes it, and a
    finished record beside it is kept."""
    from brief.publish.outputs import sweep
    from brief.publish.printed import EDITIONS

    out = tmp_path / "out"
    (out / EDITIONS).mkdir(parents=True)
    leftover = out / EDITIONS / f".{'a' * 64}.json.x1y2z3.tmp"
    leftover.write_text("{", encoding="utf-8")
    kept = out / EDITIONS / f"{'b' * 64}.json"
    kept.write_text("{}", encoding="utf-8")
    assert sweep(out) == [leftover]
    assert not leftover.exists() and kept.exists()
