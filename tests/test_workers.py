"""Worker processes (brief.runtime): the chart engine and typesetters in process pools.

A fresh ``brief build`` process starts them (nothing is imported yet), so several tests run
the CLI in subprocesses; the in-process tests elsewhere take the other path.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brief.errors import BriefError, ChartError, DataError
from brief.model.request import BuildRequest
from brief.pipeline.draw import DrawJob
from brief.runtime.engines import started
from brief.runtime.parallel import DrawnOnce, build_all, plan
from helpers import REPO, copy_workspace, flagship_budget, flagship_charts, out_snapshot, replace_in


def brief(root: Path, *args: str, cache: Path, workers: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``brief`` in a fresh process on *root* with its own chart cache."""
    env = {
        **os.environ,
        "BRIEF_CACHE_DIR": str(cache),
        "BRIEF_WORKERS": "1" if workers else "0",
        "SOURCE_DATE_EPOCH": "1767225600",
    }
    return subprocess.run(
        [sys.executable, "-m", "brief", "-C", str(root), *args], env=env, capture_output=True, text=True, timeout=300
    )


def workers_of(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> set[int]:
    """The worker processes a running ``brief build`` started, once there are two."""
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2 and proc.poll() is None and time.monotonic() < deadline:
        seen |= children_of(proc.pid)
        time.sleep(0.01)
    assert len(seen) >= 2, "the build started no workers"
    return seen


def children_of(pid: int) -> set[int]:
    """Every living descendant of process *pid* (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":  # a zombie has ended; it only waits to be reaped
                parents[int(entry.name)] = int(fields[1])
    found, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found - {pid}


@pytest.mark.slow
def test_workers_and_one_process_make_the_same_pdf(tmp_path: Path) -> None:
    """A cold build through the chart and typesetter workers writes byte for byte the PDF
    that one process writes on its own."""
    root = copy_workspace(REPO, tmp_path / "ws")
    pdf = root / "out" / "us-china-ai-gap-policy.pdf"
    by_workers = brief(root, "build", "--audience", "policy", cache=tmp_path / "c1")
    assert by_workers.returncode == 0, by_workers.stderr
    drawn = list((tmp_path / "c1" / "charts").rglob("*.svg"))
    assert len(drawn) == flagship_charts("policy")  # drawn by the chart worker
    first = hashlib.sha256(pdf.read_bytes()).hexdigest()
    alone = brief(root, "build", "--audience", "policy", "--force", cache=tmp_path / "c2", workers=False)
    assert alone.returncode == 0, alone.stderr
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == first


@pytest.mark.slow
def test_no_process_outlives_a_build(tmp_path: Path) -> None:
    """When ``brief build`` returns, every worker it started has ended: nothing runs on."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "-C", str(root), "build", "--audience", "policy"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    while proc.poll() is None:
        seen |= children_of(proc.pid)
        time.sleep(0.02)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert len(seen) >= 2  # it did start a chart worker and a typesetter
    alive = {
        pid
        for pid in seen
        if Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    }
    assert alive == set()


@pytest.mark.slow
def test_an_error_in_the_typesetter_is_one_line_and_keeps_the_last_pdf(tmp_path: Path) -> None:
    """An error raised in the typesetter worker reaches the user as our one-line error (no
    traceback) and the previous PDF is left as it was."""
    root = copy_workspace(REPO, tmp_path / "ws")
    assert brief(root, "build", "--audience", "executive", cache=tmp_path / "c").returncode == 0
    pdf = root / "out" / "us-china-ai-gap-executive.pdf"
    before = pdf.read_bytes()
    # Only the typesetter sees this: the stylesheet asks for a file outside the templates.
    with (root / "templates" / "style.css").open("a", encoding="utf-8") as css:
        css.write('\nbody { background: url("file:///etc/hostname"); }\n')
    result = brief(root, "build", "--audience", "executive", cache=tmp_path / "c")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "refused to fetch file:///etc/hostname" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert pdf.read_bytes() == before


@pytest.mark.slow
def test_all_audiences_on_parallel_typesetters_one_failing(tmp_path: Path) -> None:
    """--all in a fresh process typesets on several workers; a failing audience fails alone."""
    root = copy_workspace(REPO, tmp_path / "ws")
    replace_in(
        root / "templates" / "executive" / "bottom-line.md.j2", "**Bottom line", '{{ fig("nope") }} **Bottom line'
    )
    result = brief(root, "build", "--all", cache=tmp_path / "c")
    assert result.returncode == 1
    assert "us-china-ai-gap/executive: templates/executive/bottom-line.md.j2:" in result.stderr
    assert ": error: unknown figure 'nope'" in result.stderr
    assert re_pages(result.stdout) == {"technical": flagship_budget("technical"), "policy": flagship_budget("policy")}


def re_pages(output: str) -> dict[str, int]:
    """Audience → pages, from the build report lines."""
    import re

    return {m[1]: int(m[2]) for m in re.finditer(r"us-china-ai-gap-(\w+)\.pdf +(\d+) pages", output)}


def test_a_brief_error_crosses_the_process_boundary_with_its_place() -> None:
    """An error raised in a worker comes back as the same kind of error, file and all."""
    job = DrawJob((("broken", {"mark": {"type": "no-such-mark"}}),), (), Path("briefs/x.yaml"))
    with started(True, 0, {}) as engines, pytest.raises(BriefError) as caught:
        engines.draw(job)
    assert type(caught.value) is ChartError
    assert caught.value.path == Path("briefs/x.yaml")
    assert caught.value.message.startswith("chart 'broken' failed to render")


def test_our_errors_pickle_with_place_hint_and_column() -> None:
    """Every field of an error survives the trip to and from a worker."""
    error = DataError("bad value", "data/x.yaml", 3, hint="fix it")
    error.column = 7
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is DataError
    assert back.problem() == error.problem()


@pytest.mark.slow
def test_a_dead_typesetter_is_replaced_by_this_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typesetter that died does not fail the build: this process typesets instead, and
    says so."""
    import multiprocessing

    from brief.pipeline.build import build
    from helpers import request_for

    # This process may have imported WeasyPrint already (other tests typeset here), which
    # alone would start no worker; this test wants one. Patched where started() looks it up.
    monkeypatch.setitem(started.__wrapped__.__globals__, "worth_a_worker", lambda module, environ: True)
    before = set(multiprocessing.active_children())
    with started(False, 1, {}) as engines:
        workers = [p for p in multiprocessing.active_children() if p not in before]
        assert len(workers) == 1
        workers[0].kill()
        workers[0].join()
        result = build(request_for(copy_workspace(REPO, tmp_path / "ws"), None, "executive"), engines)
    assert result.pages >= 1 and result.path.read_bytes().startswith(b"%PDF")
    assert "the typesetter worker stopped unexpectedly" in caplog.text
    assert "continuing in this process" in caplog.text


def test_a_chart_two_briefs_share_is_drawn_once() -> None:
    """In one run, the same spec asked for by several builds is drawn once."""
    drawn: list[str] = []

    def draw(job: DrawJob) -> list[str]:
        drawn.extend(chart_id for chart_id, _ in job.specs)
        return [f"<svg>{chart_id}</svg>" for chart_id, _ in job.specs]

    once = DrawnOnce(draw)
    spec_a, spec_b = {"mark": "bar"}, {"mark": "point"}
    first = once(DrawJob((("a", spec_a), ("b", spec_b)), (), Path("b.yaml")))
    second = once(DrawJob((("b2", spec_b), ("a2", spec_a), ("b3", spec_b)), (), Path("b.yaml")))
    assert drawn == ["a", "b"]
    assert first == ["<svg>a</svg>", "<svg>b</svg>"]
    assert second == ["<svg>b</svg>", "<svg>a</svg>", "<svg>b</svg>"]


@pytest.mark.slow
def test_a_chart_that_fails_fails_its_brief_alone(tmp_path: Path) -> None:
    """A chart that cannot be drawn fails the one brief that needs it; the others are written."""
    from brief.pipeline.build import IN_PROCESS
    from brief.pipeline.draw import draw_specs
    from helpers import request_for

    def draw(job: DrawJob) -> list[str]:
        if any(chart_id == "patents" for chart_id, _ in job.specs):  # only the technical edition has it
            raise ChartError("chart 'patents' failed to render: no engine today", job.brief_path)
        return draw_specs(job)

    root = copy_workspace(REPO, tmp_path / "ws")
    request = request_for(root, cache_dir=tmp_path / "cache")
    engines = type(IN_PROCESS)(draw=draw)
    outcomes = {o.target.audience: o for o in build_all(request, plan(root, None, [], True, False), engines)}
    assert [p.format() for p in outcomes["technical"].problems] == [
        "briefs/us-china-ai-gap.yaml: error: chart 'patents' failed to render: no engine today"
    ]
    assert {a: o.result.pages for a, o in outcomes.items() if o.result} == {"policy": 4, "executive": 2}
    assert not (root / "out" / "us-china-ai-gap-technical.pdf").exists()


def test_a_request_is_frozen_and_checks_its_standard(tmp_path: Path) -> None:
    """A build request is one frozen value; an unknown standard is our error."""
    import dataclasses

    request = BuildRequest(root=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.audience = "x"  # type: ignore[misc]
    with pytest.raises(BriefError, match="unknown PDF standard 'pdf-x'"):
        BuildRequest(root=tmp_path, standard="pdf-x")  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "what"), [("ctrl-c", "policy"), ("kill", "policy"), ("ctrl-c", "--all"), ("kill-group", "--all")]
)
def test_an_interrupted_build_publishes_nothing_and_leaves_no_process(tmp_path: Path, how: str, what: str) -> None:
    """Ctrl-C in the terminal (SIGINT to the whole process group) or ``kill`` (SIGTERM to the
    command, or to its whole group) during a build or ``--all``: the previous PDFs and manifest
    stay as they were, and no worker process outlives the command."""
    import signal

    root = copy_workspace(REPO, tmp_path / "ws")
    cache = tmp_path / "cache"
    assert brief(root, "build", "--all", cache=cache).returncode == 0
    out = root / "out"
    before = out_snapshot(out)
    replace_in(root / "templates" / "policy" / "bottom-line.md.j2", "**Bottom line", "**Bottom line, revised")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cold")}  # a cold build: two workers
    which = ["--all", "--force"] if what == "--all" else ["--audience", what]
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "-C", str(root), "build", *which],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = workers_of(proc)
    time.sleep(0.3)  # the workers are importing; the build is well before publishing
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "kill-group":
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert "Aborted" in err and "stopped unexpectedly" not in err
    assert out_snapshot(out) == before
    alive = {
        pid
        for pid in seen
        if Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    }
    assert alive == set()


def test_a_chart_that_cannot_be_drawn_fails_alone_in_a_shared_batch() -> None:
    """When a batch fails, its charts are drawn one at a time: only the failing one fails."""

    def draw(job: DrawJob) -> list[str]:
        if any(chart_id == "bad" for chart_id, _ in job.specs):
            raise ChartError("chart 'bad' failed to render", job.brief_path)
        return [f"<svg>{chart_id}</svg>" for chart_id, _ in job.specs]

    once = DrawnOnce(draw)
    with pytest.raises(ChartError, match="chart 'bad'"):
        once(DrawJob((("good", {"mark": "bar"}), ("bad", {"mark": "x"})), (), Path("b.yaml")))
    assert once(DrawJob((("good", {"mark": "bar"}),), (), Path("b.yaml"))) == ["<svg>good</svg>"]


@pytest.mark.slow
@pytest.mark.parametrize("what", ["policy", "--all"])
def test_workers_die_with_a_command_killed_outright(tmp_path: Path, what: str) -> None:
    """``kill -9`` of the command (no chance to clean up): its workers end with it rather than
    wait forever on a pipe."""
    import signal

    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache")}
    which = ["--all"] if what == "--all" else ["--audience", what]
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "-C", str(root), "build", *which],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen = workers_of(proc)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    alive = seen
    while alive and time.monotonic() < deadline:
        alive = {
            pid
            for pid in seen
            if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        }
        time.sleep(0.1)
    assert alive == set()


_WARMS_BEFORE_ANY_DRAWING = """
import multiprocessing, sys, time
from pathlib import Path
from brief.runtime.engines import started

def pango(pid):
    return "libpango" in Path(f"/proc/{pid}/maps").read_text()

with started(True, 1, {}) as engines:
    workers = multiprocessing.active_children()
    assert len(workers) == 2 and not any(pango(p.pid) for p in workers)
    engines.checked()  # and nothing drawn: the chart worker's engine starts on its own
    deadline = time.monotonic() + 30
    while not any(pango(p.pid) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("typesetter warm" if any(pango(p.pid) for p in workers) else "typesetter cold")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_typesetter_imports_weasyprint_once_the_checks_pass_not_when_charts_are_drawn() -> None:
    """With a chart worker, the typesetter imports WeasyPrint (its Pango appears in the
    process) as soon as the checks have passed and the chart engine has started, so it is
    ready before the brief is rendered; before, it waited for the first drawing. A fresh
    interpreter, so that no worker inherits WeasyPrint from this test process."""
    done = subprocess.run([sys.executable, "-c", _WARMS_BEFORE_ANY_DRAWING], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "typesetter warm", done.stderr


_FORKS_LIGHT = """
import sys
from brief.runtime.engines import started

with started(True, 1, {"BRIEF_WORKERS": "1"}):
    print(sorted(m for m in ("altair", "pydantic", "jinja2", "weasyprint", "vl_convert") if m in sys.modules))
"""


def test_the_workers_fork_from_a_process_that_has_imported_nothing_heavy() -> None:
    """The workers are forked before the command imports Altair, pydantic or Jinja: the chart
    engine starts at once, not after 0.2 s of imports it does not need, and no worker carries
    their memory. (Asking whether the engine may start under a memory limit once imported
    the chart stage, and Altair with it.) A fresh interpreter, which has imported nothing."""
    done = subprocess.run([sys.executable, "-c", _FORKS_LIGHT], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


_FORKS = """
import os, sys
heavy = ("altair", "pydantic", "jinja2")
seen = []
os.register_at_fork(before=lambda: seen.append([m for m in heavy if m in sys.modules]))
from brief.cli import cli
try:
    cli(["-C", sys.argv[1], "build", *sys.argv[2:]], prog_name="brief")
except SystemExit as exc:
    assert not exc.code, exc.code
print("FORKS", len(seen), sorted({m for s in seen for m in s}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("what", [["--audience", "policy"], ["--all"]], ids=["one", "all"])
def test_a_first_build_forks_its_workers_before_loading_the_workspace(tmp_path: Path, what: list[str]) -> None:
    """A first build (an empty chart cache), of one audience or of all, forks the chart engine
    and the typesetters before it loads the workspace: --all planned its builds first, and
    its workers carried pydantic and Jinja and started 0.2 s later."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache"), "BRIEF_WORKERS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _FORKS, str(root), *what], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    forks = done.stdout.strip().splitlines()[-1]
    assert forks.startswith("FORKS") and forks.endswith(" []"), forks
    assert int(forks.split()[1]) >= 2, forks


@pytest.mark.slow
def test_an_all_with_nothing_to_build_starts_no_worker(tmp_path: Path) -> None:
    """brief build --all on editions that are all up to date starts no worker, even with an
    empty chart cache (wiped, or a brief that draws no chart): it would wait for the chart
    engine to start only to stop it."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_WORKERS": "1", "SOURCE_DATE_EPOCH": "1767225600"}
    for cache in ("first", "wiped"):
        done = subprocess.run(
            [sys.executable, "-c", _FORKS, str(root), "--all"],
            env={**env, "BRIEF_CACHE_DIR": str(tmp_path / cache)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout.count("up to date") == 3, done.stdout
    assert done.stdout.strip().splitlines()[-1] == "FORKS 0 []", done.stdout
