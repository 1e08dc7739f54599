"""Measure brief distribute on a scratch copy of the workspace and print a table.

    python benchmarks/distribute.py [--copies 1000] [--runs 3]

Stamping: each copy of the 4-page policy brief against a cold build of it (target ≤ 2 %),
and the memory of one process stamping all the copies (it must stay flat as the copies grow).
Sending: the messages of a prepared distribution to an SMTP server (aiosmtpd) on 127.0.0.1,
in a fresh process, ledger and all (target ≤ 60 s for 1,000). Running again: the same
distribution once it is complete, with nothing to send (target ≤ 2 s). Corrections: one figure
the policy brief prints corrected and the edition built again, ``brief distribute corrections
--send`` to every recipient (target ≤ 60 s for 1,000), and the peak memory of that process for
a quarter of the recipients and for all of them (it must stay flat). Timings are not asserted
anywhere: the numbers go in docs/distributing.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from run import BRIEF, timed  # noqa: E402


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stamping(ws: Path, copies: int) -> tuple[float, list[tuple[int, float]]]:
    """Seconds per stamped copy (median of ten batches) and the memory after each tenth."""
    sys.path.insert(0, str(REPO / "src"))
    from brief.distribute.stamp import StampText, stamp_copy, stamp_font

    source = (ws / "out" / "us-china-ai-gap-policy.pdf").read_bytes()
    texts = [
        StampText(
            f"{i:012x}", f"Prepared for Recipient {i}, Organisation {i % 7}", f"copy {i} of {copies} · 1 December 2026"
        )
        for i in range(copies)
    ]
    fonts = ws / "templates" / "fonts"
    fonts = fonts if fonts.is_dir() else REPO / "src" / "brief" / "theme" / "fonts"
    font = stamp_font([fonts / "SourceSans3-Regular.ttf"], "".join(t.characters() for t in texts))
    batch, per_copy, memory = max(1, copies // 10), [], []
    for start in range(0, copies, batch):
        began = time.perf_counter()
        for i in range(start, min(copies, start + batch)):
            stamp_copy(source, font, texts[i], texts[i].copy_id)
        per_copy.append((time.perf_counter() - began) / batch)
        memory.append((min(copies, start + batch), rss_mb()))
    return statistics.median(per_copy), memory


def recipients(path: Path, n: int) -> None:
    """A recipients file of *n* rows, all for the policy brief."""
    rows = [f"Recipient {i},r{i}@openpolicybriefs.org,Organisation {i % 7},policy" for i in range(n)]
    path.write_text("name,email,organisation,audience\n" + "\n".join(rows) + "\n", encoding="utf-8")


# Runs brief's commands (not its entry point, which leaves by os._exit) and reports its peak
# resident memory (kB) on stderr: VmHWM, for ru_maxrss keeps the peak of the process it was
# forked from (this one, holding every message the server received).
_PEAK = (
    "import sys\n"
    "from pathlib import Path\n"
    "from brief.cli import cli\n"
    "try:\n    cli(sys.argv[1:], prog_name='brief')\n"
    "finally:\n"
    "    hwm = next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM:'))\n"
    "    print('peak-kb', hwm.split()[1], file=sys.stderr)\n"
)


def measured(args: list[str], ws: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, peak memory (MB) and output of one ``brief`` run (which must succeed)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _PEAK, *args], cwd=ws, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"brief {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    peak = next(int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("peak-kb"))
    return elapsed, peak / 1024, result.stdout


def sending(ws: Path, env: dict[str, str], n: int) -> dict[str, float]:
    """Prepare *n* copies (dry run) and send them; run the completed distribution again;
    correct one figure, build again and send the corrections. Seconds, MB and counts."""
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(REPO / "tests"))
    from mailserver import Recorder, free_port

    recipients(ws / "many.csv", n)
    found: dict[str, float] = {"prepare": timed([*BRIEF, "distribute", "many.csv"], ws, env)}
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = ["--send", "--smtp", f"127.0.0.1:{port}"]
    try:
        found["send"], found["send_mb"], _ = measured(["distribute", "many.csv", *smtp], ws, env)
        found["received"] = len(recorder.received)
        found["again"], found["again_mb"], _ = measured(["distribute", "many.csv", *smtp, "--resume"], ws, env)
        # Next week's file, one organisation renamed: a new distribution, everyone passed over.
        text = (ws / "many.csv").read_text(encoding="utf-8")
        (ws / "next.csv").write_text(text.replace(",Organisation 0,", ",Organisation Zero,", 1), encoding="utf-8")
        found["next"], _, _ = measured(["distribute", "next.csv", *smtp], ws, env)
        found["again_sent"] = len(recorder.received) - found["received"]
        figures = ws / "data" / "figures" / "ai-index-2026.yaml"
        text = figures.read_text(encoding="utf-8")
        figures.write_text(text.replace(CORRECTED[0], CORRECTED[1], 1), encoding="utf-8")
        timed([*BRIEF, "build", "--audience", "policy"], ws, env)
        before = len(recorder.received)
        found["correct"], found["correct_mb"], _ = measured(["distribute", "corrections", *smtp], ws, env)
        found["corrected"] = len(recorder.received) - before
    finally:
        controller.stop()
    return found


# The figure corrected: private AI investment in the United States, 2025, which the policy brief prints.
CORRECTED = ("  value: 285.9\n", "  value: 287.4\n")


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="brief-bench-distribute-"))
    ws = scratch / "ws"
    for folder in ("briefs", "data", "templates", "emails"):
        shutil.copytree(REPO / folder, ws / folder)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    colds = []
    for run in range(args.runs):
        env["BRIEF_CACHE_DIR"] = str(scratch / f"cache{run}")
        shutil.rmtree(ws / "out", ignore_errors=True)
        colds.append(timed([*BRIEF, "build", "--audience", "policy"], ws, env))
    cold = statistics.median(colds)
    per_copy, memory = stamping(ws, args.copies)
    quarter = max(1, args.copies // 4)
    small_ws = scratch / "small"
    shutil.copytree(ws, small_ws)
    small = sending(small_ws, env, quarter)
    full = sending(ws, env, args.copies)
    report(args.copies, quarter, cold, per_copy, memory, small, full)
    shutil.rmtree(scratch, ignore_errors=True)


def report(
    n: int,
    quarter: int,
    cold: float,
    per_copy: float,
    memory: list[tuple[int, float]],
    small: dict[str, float],
    full: dict[str, float],
) -> None:
    """Print the table."""
    first, last = memory[0], memory[-1]
    print(f"{'measurement':<52} {'value':>10}  target")
    print(f"{'cold policy build (median)':<52} {cold:>9.2f}s")
    ratio = per_copy / cold
    stamp_verdict = "met" if ratio <= 0.02 else "MISSED"
    print(f"{'one stamped copy (median)':<52} {per_copy * 1000:>8.1f}ms  ≤ 2 % of cold: {ratio:.2%} {stamp_verdict}")
    growth = last[1] - first[1]
    print(
        f"{f'memory after {first[0]} → {last[0]} copies':<52} {first[1]:>5.0f}→{last[1]:.0f}M  flat: +{growth:.1f} MB"
    )
    print(f"{f'prepare {n} copies and messages (dry run)':<52} {full['prepare']:>9.2f}s")
    verdict = "met" if full["send"] <= 60 * n / 1000 and full["received"] == n else "MISSED"
    print(f"{f'send {n} messages to 127.0.0.1':<52} {full['send']:>9.2f}s  ≤ 60 s per 1,000: {verdict} "
          f"({full['received']:.0f} received)")  # fmt: skip
    verdict = "met" if full["again"] <= 2 and full["again_sent"] == 0 else "MISSED"
    print(f"{f'the completed distribution run again ({n})':<52} {full['again']:>9.2f}s  ≤ 2 s, nothing sent: "
          f"{verdict} ({full['again_sent']:.0f} sent)")  # fmt: skip
    verdict = "met" if full["next"] <= 2 and full["again_sent"] == 0 else "MISSED"
    print(f"{f'next week: a new file, all {n} already have it':<52} {full['next']:>9.2f}s  ≤ 2 s, nothing sent: "
          f"{verdict}")  # fmt: skip
    verdict = "met" if full["correct"] <= 60 * n / 1000 and full["corrected"] == n else "MISSED"
    print(f"{f'corrections: one figure changed, {n} recipients':<52} {full['correct']:>9.2f}s  ≤ 60 s per 1,000: "
          f"{verdict} ({full['corrected']:.0f} received)")  # fmt: skip
    for what, key in (("send", "send_mb"), ("run again", "again_mb"), ("corrections", "correct_mb")):
        label = f"peak memory of {what}, {quarter} → {n} recipients"
        print(f"{label:<52} {small[key]:>5.0f}→{full[key]:.0f}M  flat: {full[key] - small[key]:+.1f} MB")
    print(f"(Python {sys.version.split()[0]}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
