"""Measure planning a large distribution (no stamping, no sending) and print the times.

    python benchmarks/plan.py [--recipients 100000]

Reads a recipients file of that many rows for the policy brief, checks it against the marking,
plans the ledger's rows (copy numbers, copy IDs, folders), finds each row's recipient as a
copy is made and renders every letter (the check before the ledger records anything):
everything ``brief distribute`` does before the first copy is stamped, but the ledger's
transaction. Each step must grow linearly with the rows (100,000 rows within seconds,
where a quadratic step takes minutes). Timings are not asserted anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from brief.distribute import copies, editions  # noqa: E402
from brief.distribute.ledger import Ledger  # noqa: E402
from brief.distribute.rules import check_recipients  # noqa: E402
from brief.pipeline.resolve import pick_brief  # noqa: E402
from brief.workspace.load import load_workspace  # noqa: E402
from brief.workspace.recipients import read_recipients  # noqa: E402


def recipients(path: Path, n: int) -> None:
    """A recipients file of *n* rows for the policy brief; every tenth name is shared by two rows."""
    rows = [f"Recipient {i - i % 10 * (i % 2)},r{i}@openpolicybriefs.org,Organisation {i % 7},policy" for i in range(n)]
    path.write_text("name,email,organisation,audience\n" + "\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    """Time each planning step and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    brief = pick_brief(load_workspace(REPO), None)
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="brief-bench-plan-") as scratch:
        path = Path(scratch) / "many.csv"
        recipients(path, args.recipients)
        times: list[tuple[str, float]] = []
        began = time.perf_counter()
        people = read_recipients(path, set(brief.audiences))
        times.append(("read and check the recipients file", time.perf_counter() - began))
        began = time.perf_counter()
        check_recipients(path, brief.distribution, people, now)
        times.append(("check them against the marking", time.perf_counter() - began))
        edition = bytes(400 * 1024)  # stands for the policy edition: only its size is read while planning
        policy = editions.Choice("policy", "", brief.language)
        d = editions.Distribution(
            "0123456789abcdef", brief, brief.distribution, path, people, {policy: edition}, now,
            "distribution@openpolicybriefs.org", Path(scratch) / "out",
        )  # fmt: skip
        ledger = Ledger(Path(scratch) / "distribution.sqlite")  # holds the copy IDs' key
        began = time.perf_counter()
        rows = editions.planned_rows(d, ledger)
        times.append(("plan the ledger's rows (folders, copy IDs)", time.perf_counter() - began))
        began = time.perf_counter()
        found = sum(editions.recipient_of(d, row).line == row.line for row in rows)
        times.append(("find each row's recipient", time.perf_counter() - began))
        assert found == len(rows) == args.recipients
        began = time.perf_counter()
        copies.check_messages(d, REPO, rows)
        ledger.close()
        times.append(("render every letter, check its size", time.perf_counter() - began))
    print(f"{'step, ' + f'{args.recipients:,} recipients':<48} {'seconds':>9}")
    for what, seconds in times:
        print(f"{what:<48} {seconds:>9.2f}")
    print(f"{'total':<48} {sum(s for _, s in times):>9.2f}")
    print(f"(Python {sys.version.split()[0]}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
