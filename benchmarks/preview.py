"""Save-to-visible time of `brief preview`: edit a narrative file, wait until headless
Chromium shows the new pages. Needs Debian's chromium and playwright (scripts/install).

    python benchmarks/preview.py [--edits 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    """Start a preview on a scratch workspace, time several edits, print the median."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    ws = Path(tempfile.mkdtemp(prefix="brief-preview-bench-")) / "ws"
    for folder in ("briefs", "data", "templates"):
        shutil.copytree(REPO / folder, ws / folder)
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "-C", str(ws), "preview", "--port", "0"], stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    base = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stderr.readline()).group(1)  # type: ignore[union-attr]
    section = ws / "templates" / "policy" / "bottom-line.md.j2"
    original = section.read_text()
    times: list[float] = []
    builds: list[float] = []
    lags: list[float] = []
    stages: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(base)
        page.wait_for_selector("main img")
        for i in range(args.edits):
            time.sleep(2.5)  # let any earlier rebuild finish
            saved = time.time()
            start = time.perf_counter()
            # A word, not a number: a typed number would (rightly) fail the check.
            word = ("revised", "updated", "amended", "corrected", "restated")[i % 5]
            section.write_text(original.replace("**Bottom line.**", f"**Bottom line, {word}.**"))
            # Visible: the page shows (decoded images of) a build that began after the save.
            page.wait_for_function(f"Number(document.body.dataset.started) >= {saved}", timeout=30_000)
            times.append(time.perf_counter() - start)
            status = page.inner_text("#status")
            assert "failed" not in status, page.inner_text("#error")
            builds.append(float(re.search(r"built in ([\d.]+) s", status).group(1)))  # type: ignore[union-attr]
            lags.append(float(page.evaluate("document.body.dataset.started")) - saved)
            state = json.loads(page.evaluate("fetch('state.json').then(r => r.text())"))
            for stage, seconds in state["stages"].items():
                stages.setdefault(stage, []).append(seconds)
        browser.close()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    print(
        f"save to visible (policy, 4 pages): median {statistics.median(times):.2f} s "
        f"over {len(times)} edits (min {min(times):.2f}, max {max(times):.2f}); target ≤ 0.5 s"
    )
    print(
        f"  of which: save to rebuild start {statistics.median(lags):.2f} s, rebuild (typeset and "
        f"rasterise) {statistics.median(builds):.2f} s, the rest is the browser fetching and drawing"
    )
    split = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items())
    print(f"  the rebuild's stages (medians): {split}")
    shutil.rmtree(ws.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
