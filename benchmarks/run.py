"""Measure brief's build times on a scratch copy of the workspace and print a table.

    python benchmarks/run.py [--runs 3]

Medians over several runs, each in a fresh process. "Cold" means an empty chart cache and
no previous output; the other rows start from a finished build. Timings are not asserted
anywhere: machines are noisy, so the numbers go in docs/performance.md instead.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BRIEF = [sys.executable, "-m", "brief"]
AUDIENCES = ("policy", "executive", "technical")


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of *command* (which must succeed)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return elapsed


def median(runs: int, prepare: Callable[[int], None], command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Median wall time over *runs*, calling *prepare(i)* before each."""
    times = []
    for i in range(runs):
        prepare(i)
        times.append(timed(command, cwd, env))
    return statistics.median(times)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under *folder* with its size and modification time, to tell whether a
    command wrote anything (an atomic rewrite of the same bytes changes the time)."""
    return {str(f): (f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(folder.rglob("*")) if f.is_file()}


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of *root_pid* and all its descendants, in KB (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {root_pid}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


def peak_memory_mb(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Peak resident memory of *command* with every process it starts (its stage workers
    run at the same time, so their memory adds up), sampled every 10 ms, in MB."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.01)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return peak / 1024


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # An installed package is compiled once (pip does it on install; Python on first import).
    # Where PYTHONDONTWRITEBYTECODE is set, brief's own modules would be compiled again on
    # every run, which no user's install does: compile them once, as the libraries are.
    import compileall
    import os

    compileall.compile_dir(REPO / "src" / "brief", quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="brief-bench-"))
    ws = scratch / "ws"
    for folder in ("briefs", "data", "templates"):
        shutil.copytree(REPO / folder, ws / folder)
    caches = scratch / "caches"
    env = dict(os.environ)
    counter = [0]

    def fresh_cache(_: int = 0) -> None:
        counter[0] += 1
        env["BRIEF_CACHE_DIR"] = str(caches / str(counter[0]))
        shutil.rmtree(ws / "out", ignore_errors=True)

    build = [*BRIEF, "build", "--audience", "policy"]
    rows: list[tuple[str, float]] = []
    naive_command = [
        sys.executable,
        str(REPO / "benchmarks" / "naive_pipeline.py"),
        str(ws),
        str(scratch / "naive.pdf"),
    ]
    # Naive and cold runs alternate, so that a machine whose speed drifts (a shared one does)
    # slows both alike.
    naive_times, cold_times = [], []
    for _ in range(args.runs):
        naive_times.append(timed(naive_command, ws, env))
        fresh_cache()
        cold_times.append(timed(build, ws, env))
    rows.append(("naive pipeline (same libraries)", statistics.median(naive_times)))
    cold = statistics.median(cold_times)
    rows.append(("cold policy build (empty caches)", cold))
    timed(build, ws, env)
    rows.append(("rebuild, nothing changed", median(args.runs, lambda _: None, build, ws, env)))
    narrative = ws / "templates" / "policy" / "method.md.j2"
    original = narrative.read_text()
    rows.append(
        (
            "rebuild after a narrative edit",
            median(args.runs, lambda i: narrative.write_text(original + "\n" * (i + 1)), build, ws, env),
        )
    )
    # A figure the policy edition prints (an edit to one it does not use is, rightly, a no-op).
    data = ws / "data" / "figures" / "ai-index-2026.yaml"
    text = data.read_text()
    if text.count("value: 285.9\n") != 1:
        raise SystemExit(f"{data.name} no longer has the figure this benchmark edits")

    def edit_data(i: int) -> None:
        data.write_text(text.replace("value: 285.9\n", f"value: 285.{8 + (i % 2)}\n", 1))

    rows.append(("rebuild after a data edit", median(args.runs, edit_data, build, ws, env)))
    data.write_text(text)
    rows.append(("brief --help", median(args.runs, lambda _: None, [*BRIEF, "--help"], ws, env)))
    rows.append(("brief check", median(args.runs, lambda _: None, [*BRIEF, "check"], ws, env)))
    # A new user's first minute: an empty folder to a starter PDF, with empty caches.
    starter = scratch / "starter"

    def fresh_starter(_: int = 0) -> None:
        fresh_cache()
        shutil.rmtree(starter, ignore_errors=True)

    quoted = " ".join(BRIEF)
    first_pdf = ["bash", "-c", f"{quoted} init {starter} >/dev/null && {quoted} -C {starter} build >/dev/null"]
    rows.append(("brief init, then first build", median(args.runs, fresh_starter, first_pdf, scratch, env)))
    # --all against the three single builds it replaces, each cold, alternating run by run.
    singles, alls = [], []
    for _ in range(args.runs):
        total = 0.0
        for audience in AUDIENCES:
            fresh_cache()
            total += timed([*BRIEF, "build", "--audience", audience], ws, env)
        singles.append(total)
        fresh_cache()
        alls.append(timed([*BRIEF, "build", "--all"], ws, env))
    rows.append(("three single cold builds, summed", statistics.median(singles)))
    all_cold = statistics.median(alls)
    rows.append(("three audiences, cold (--all)", all_cold))
    # A second --all on an unchanged workspace must write nothing.
    firsts, again = [], []
    for _ in range(args.runs):
        fresh_cache()
        firsts.append(timed([*BRIEF, "build", "--all"], ws, env))
        before = snapshot(ws / "out")
        again.append(timed([*BRIEF, "build", "--all"], ws, env))
        if snapshot(ws / "out") != before:
            raise SystemExit("a second brief build --all wrote to out/")
    rows.append(("second --all, nothing changed", statistics.median(again)))
    memories = []
    for _ in range(args.runs):  # sampled, so it varies from run to run too
        fresh_cache()
        memories.append(peak_memory_mb(build, ws, env))
    memory = statistics.median(memories)

    value = dict(rows)
    naive = value["naive pipeline (same libraries)"]
    summed, first_all = value["three single cold builds, summed"], statistics.median(firsts)
    targets = {
        "cold policy build (empty caches)": (cold / naive, 0.8, "× naive"),
        "rebuild, nothing changed": (value["rebuild, nothing changed"] / cold, 0.06, "× cold"),
        "brief --help": (value["brief --help"] / cold, 0.06, "× cold"),
        "three audiences, cold (--all)": (all_cold / summed, 0.35, "× sum of three cold"),
        "second --all, nothing changed": (value["second --all, nothing changed"] / first_all, 0.1, "× first --all"),
        "brief init, then first build": (value["brief init, then first build"] / cold, 1.2, "× cold policy build"),
    }
    print(f"{'measurement':<36} {'median s':>9}  {'ratio':>26}  target")
    for name, seconds in rows:
        ratio, target, unit = targets.get(name, (None, None, ""))
        shown = f"{ratio:.2f}{unit}" if ratio is not None else ""
        verdict = ("met" if ratio <= target else "MISSED") if ratio is not None and target is not None else ""
        goal = f"≤ {target}{unit} {verdict}" if target is not None else ""
        print(f"{name:<36} {seconds:>9.2f}  {shown:>26}  {goal}")
    print(
        f"{'peak memory, one cold build (all processes)':<36} {memory:>8.0f}M  {'':>26}  ≤ 250 MB "
        f"{'met' if memory <= 250 else 'MISSED'}"
    )
    print(f"({args.runs} runs each; Python {sys.version.split()[0]}; {os.cpu_count()} cores)")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
