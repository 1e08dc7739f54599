"""Measure brief distribute on a scratch copy of the workspace and print a table.

    python benchmarks/distribute.py [--copies 1000] [--runs 3]

Stamping: each copy of the 4-page policy brief against a cold build of it (target ≤ 2 %),
and the memory of one process stamping all the copies (it must stay flat as the copies grow).
Sending: the messages of a prepared distribution to an SMTP server (aiosmtpd) on 127.0.0.1,
in a fresh process, ledger and all (target ≤ 60 s for 1,000). Timings are not asserted
anywhere: the numbers go in docs/distributing.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
    from brief.distribute.stamp import stamp_copy, stamp_font

    source = (ws / "out" / "us-china-ai-gap-policy.pdf").read_bytes()
    lines = [
        f"Prepared for Recipient {i}, Organisation {i % 7} · copy {i} of {copies} · 1 December 2026"
        for i in range(copies)
    ]
    fonts = ws / "templates" / "fonts"
    fonts = fonts if fonts.is_dir() else REPO / "src" / "brief" / "theme" / "fonts"
    font = stamp_font(fonts / "SourceSans3-Regular.ttf", "".join(lines) + "copy ID 0123456789abcdef")
    batch, per_copy, memory = max(1, copies // 10), [], []
    for start in range(0, copies, batch):
        began = time.perf_counter()
        for i in range(start, min(copies, start + batch)):
            stamp_copy(source, font, f"{lines[i]} · copy ID {i:012x}", f"{i:012x}")
        per_copy.append((time.perf_counter() - began) / batch)
        memory.append((min(copies, start + batch), rss_mb()))
    return statistics.median(per_copy), memory


def recipients(path: Path, n: int) -> None:
    """A recipients file of *n* rows, all for the policy brief."""
    rows = [f"Recipient {i},r{i}@openpolicybriefs.org,Organisation {i % 7},policy" for i in range(n)]
    path.write_text("name,email,organisation,audience\n" + "\n".join(rows) + "\n", encoding="utf-8")


def sending(ws: Path, env: dict[str, str], n: int) -> tuple[float, float, int]:
    """Seconds to prepare *n* copies (dry run), seconds to send them, messages received."""
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(REPO / "tests"))
    from mailserver import Recorder, free_port

    recipients(ws / "many.csv", n)
    prepare = timed([*BRIEF, "distribute", "many.csv"], ws, env)
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send = timed([*BRIEF, "distribute", "many.csv", "--send", "--smtp", f"127.0.0.1:{port}"], ws, env)
    finally:
        controller.stop()
    return prepare, send, len(recorder.received)


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
    prepare, send, received = sending(ws, env, args.copies)
    first, last = memory[0], memory[-1]
    print(f"{'measurement':<44} {'value':>10}  target")
    print(f"{'cold policy build (median)':<44} {cold:>9.2f}s")
    ratio = per_copy / cold
    stamp_verdict = "met" if ratio <= 0.02 else "MISSED"
    print(f"{'one stamped copy (median)':<44} {per_copy * 1000:>8.1f}ms  ≤ 2 % of cold: {ratio:.2%} {stamp_verdict}")
    growth = last[1] - first[1]
    print(
        f"{f'memory after {first[0]} → {last[0]} copies':<44} {first[1]:>5.0f}→{last[1]:.0f}M  flat: +{growth:.1f} MB"
    )
    print(f"{f'prepare {args.copies} copies and messages (dry run)':<44} {prepare:>9.2f}s")
    verdict = "met" if send <= 60 * args.copies / 1000 and received == args.copies else "MISSED"
    sent = f"send {args.copies} messages to 127.0.0.1"
    print(f"{sent:<44} {send:>9.2f}s  ≤ 60 s per 1,000: {verdict} ({received} received)")
    print(f"(Python {sys.version.split()[0]}; {os.cpu_count()} cores)")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
