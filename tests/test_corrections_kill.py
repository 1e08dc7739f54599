"""A corrections send killed (kill -9) at a random point, then resumed, twenty times: every
recipient of the changed edition gets their correction, nobody else gets any, and no message
but the one being handed over when the process died is sent twice. Against a real SMTP server
(aiosmtpd on 127.0.0.1, an ephemeral port) and a real SQLite ledger."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.build import build
from helpers import REPO, distribution_workspace, killed_at_random, request_for
from mailserver import Recorder, serving

DISTRIBUTION = """
distribution:
  tlp: AMBER
  domains: [example.org]
"""
PEOPLE = [f"person{i}@example.org" for i in range(1, 5)]
RANK = {"planned": 0, "stamped": 1, "sending": 2, "accepted": 3, "refused": 3}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Recorder, int]]:
    yield from serving()


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, server: tuple[Recorder, int]) -> Path:
    """The policy edition sent to four people, then a figure it prints corrected and the
    edition built again: four corrections to send."""
    recorder, port = server
    root = distribution_workspace(tmp_path_factory.mktemp("kill") / "ws", DISTRIBUTION)
    (root / "recipients.csv").write_text(
        "name,email,organisation,audience\n" + "".join(f"P {a},{a},Org,policy\n" for a in PEOPLE), encoding="utf-8"
    )
    sent = CliRunner().invoke(
        cli,
        ["-C", str(root), "distribute", str(root / "recipients.csv"), "--send", "--smtp", f"127.0.0.1:{port}",
         "--from", "briefs@example.org"],
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    figures = root / "data" / "figures" / "widgets.yaml"
    figures.write_text(figures.read_text(encoding="utf-8").replace("value: 276300", "value: 281700"), encoding="utf-8")
    build(request_for(root, None, "policy"))
    recorder.received.clear()
    return root


def _progress(root: Path) -> int:
    """How far the corrections have gone: each correction's state counted 0 to 3; -1 before any."""
    try:
        with sqlite3.connect(f"file:{root / 'out' / 'distribution.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            found = db.execute("SELECT state FROM copies WHERE supersedes IS NOT NULL").fetchall()
    except sqlite3.Error:
        return -1
    return sum(RANK[s] for (s,) in found) if found else -1


def _kill_and_resume(root: Path, port: int, seed: int) -> int:
    """Start a corrections send, kill -9 it once it has gone a random distance, resume it (with
    --resend-unknown when a message was being handed over); the progress when killed."""
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    args = [sys.executable, "-m", "brief", "-C", str(root), "distribute", "corrections", "--send"]
    args += ["--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org", "--rate", "25"]
    target = rng.randrange(-1, 3 * len(PEOPLE))
    killed_at = killed_at_random(args, root, env, lambda: _progress(root), target, rng.uniform(0, 0.02))
    resumed = subprocess.run([*args, "--resume"], env=env, cwd=root, capture_output=True, text=True, timeout=60)
    if resumed.returncode != 0:
        assert "unknown:" in resumed.stderr, resumed.stderr
        final = subprocess.run(
            [*args, "--resume", "--resend-unknown"], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert final.returncode == 0, final.stderr
    again = subprocess.run(args, env=env, cwd=root, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "nothing to correct" in again.stdout, again.stdout + again.stderr
    return killed_at


def test_killed_and_resumed_twenty_times_corrects_each_recipient_once(
    changed: Path, tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    killed_at = []
    for run_number in range(20):
        root = tmp_path / f"run{run_number}"
        shutil.copytree(changed, root)
        recorder.received.clear()
        killed_at.append(_kill_and_resume(root, port, run_number))
        with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
            states = db.execute("SELECT email, state FROM copies WHERE supersedes IS NOT NULL").fetchall()
        assert sorted(states) == [(a, "accepted") for a in PEOPLE], (run_number, states)
        counts = recorder.count_by_recipient()
        assert sorted(counts) == PEOPLE, (run_number, counts)  # none lost, nobody else
        assert sum(counts.values()) - len(PEOPLE) <= 1, (run_number, counts)  # only the one in flight twice
        assert all("Correction:" in str(m["Subject"]) for m in recorder.messages())
    # The kills landed all along the way: before the ledger, while stamping, while sending.
    assert min(killed_at) <= 0 and max(killed_at) >= 6 and len(set(killed_at)) >= 5, killed_at
