"""Stage workers (brief.runtime.workers): the chart engine and typesetters in their own processes.

A fresh ``brief build`` process starts them (nothing is imported yet), so these tests run
the CLI in subprocesses; the in-process tests elsewhere take the other path.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brief.errors import BriefError
from brief.runtime.workers import Later, Worker, WorkerCrashed, started
from conftest import REPO, copy_workspace, replace_in


def brief(root: Path, *args: str, cache: Path, workers: bool = True,
          linger: float = 0) -> subprocess.CompletedProcess[str]:
    """Run ``brief`` in a fresh process on *root* with its own chart cache."""
    env = {**os.environ, "BRIEF_CACHE_DIR": str(cache), "BRIEF_WORKERS": "1" if workers else "0",
           "SOURCE_DATE_EPOCH": "1767225600", "BRIEF_TYPESETTER_LINGER": str(linger)}
    return subprocess.run([sys.executable, "-m", "brief", "-C", str(root), *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_workers_and_one_process_make_the_same_pdf(tmp_path: Path) -> None:
    """A cold build through the chart and typesetter workers writes byte for byte the PDF
    that one process writes on its own."""
    root = copy_workspace(REPO, tmp_path / "ws")
    pdf = root / "out" / "us-china-ai-gap-policy.pdf"
    by_workers = brief(root, "build", "--audience", "policy", cache=tmp_path / "c1")
    assert by_workers.returncode == 0, by_workers.stderr
    assert len(list((tmp_path / "c1" / "charts").rglob("*.svg"))) == 6  # drawn by the chart worker
    first = hashlib.sha256(pdf.read_bytes()).hexdigest()
    alone = brief(root, "build", "--audience", "policy", "--force", cache=tmp_path / "c2", workers=False)
    assert alone.returncode == 0, alone.stderr
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == first


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
    replace_in(root / "templates" / "executive" / "bottom-line.md.j2", "**Bottom line",
               '{{ fig("nope") }} **Bottom line')
    result = brief(root, "build", "--all", cache=tmp_path / "c")
    assert result.returncode == 1
    assert "us-china-ai-gap/executive: error: templates/executive/bottom-line.md.j2:" in result.stderr
    assert re_pages(result.stdout) == {"technical": 10, "policy": 4}


def re_pages(output: str) -> dict[str, int]:
    """Audience → pages, from the build report lines."""
    import re

    return {m[1]: int(m[2]) for m in re.finditer(r"us-china-ai-gap-(\w+)\.pdf +(\d+) pages", output)}


def test_a_worker_that_dies_is_a_clear_error() -> None:
    """If a worker process dies, the request fails with our error, not a hang or a pickle traceback."""
    worker = Worker.start("chart")[0]
    worker._proc.kill()
    with pytest.raises(WorkerCrashed, match="the chart worker stopped unexpectedly"):
        worker.call([("x", {"mark": "point"})], [], Path("brief.yaml"))
    worker.close()


def test_a_brief_error_crosses_the_process_boundary_with_its_place() -> None:
    """An error raised in a worker comes back as the same kind of error, file and all."""
    with started(["chart"]) as running, pytest.raises(BriefError) as caught:
        running["chart"].call([("broken", {"mark": {"type": "no-such-mark"}})], [], Path("briefs/x.yaml"))
    assert type(caught.value).__name__ == "ChartError"
    assert caught.value.path == Path("briefs/x.yaml")
    assert caught.value.message.startswith("chart 'broken' failed to render")


def test_forked_copies_work_and_fail_alone(tmp_path: Path) -> None:
    """Typesetters forked from one warm process answer on their own pipes; one copy's error
    does not disturb the others."""
    page = "<html><body><p>Hello</p>{}</body></html>"
    with started(["typeset", "typeset", "typeset"]) as running:
        assert sorted(running) == ["typeset", "typeset-2", "typeset-3"]
        assert len({w._proc.pid for w in running.values()}) == 1  # one process started, two forked
        running["typeset-2"].submit(page.format('<img src="file:///etc/hostname">'), tmp_path, None, None, None, None)
        running["typeset-3"].submit(page.format(""), tmp_path, None, None, None, None)
        assert running["typeset-3"].result().pages == 1
        with pytest.raises(BriefError, match="refused to fetch"):
            running["typeset-2"].result()
        assert running["typeset"].call(page.format(""), tmp_path, None, None, None, None).pdf.startswith(b"%PDF")


def test_a_typesetter_warms_up_when_asked_or_on_its_first_request(tmp_path: Path) -> None:
    """A single typesetter waits for the word to warm up (a build whose checks fail never
    imports WeasyPrint); a request that comes first is answered all the same."""
    page = "<html><body><p>Hello</p></body></html>"
    with started(["typeset"]) as running:
        running["typeset"].warm()
        running["typeset"].warm()  # said once, however often asked
        assert running["typeset"].call(page, tmp_path, None, None, None, None).pages == 1
    with started(["typeset"]) as running:
        assert running["typeset"].call(page, tmp_path, None, None, None, None).pages == 1


def test_the_chart_engine_is_never_forked() -> None:
    """vl-convert runs on threads, so several chart workers are separate processes."""
    with started(["chart", "chart"]) as running:
        assert running["chart"]._proc.pid != running["chart-2"]._proc.pid


def test_workers_are_stopped_when_the_build_fails() -> None:
    """Leaving the block with an error kills the workers at once."""
    with pytest.raises(RuntimeError), started(["typeset"]) as running:
        proc = running["typeset"]._proc
        raise RuntimeError("the build failed")
    assert proc.wait(timeout=10) is not None


@pytest.mark.slow
def test_a_dead_typesetter_is_replaced_by_this_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A typesetter that died before the brief reached it does not fail the build: this
    process typesets instead, and says so."""
    from brief.pipeline.build import build

    worker = Worker.start("typeset")[0]
    worker._proc.kill()
    worker._proc.wait()
    result = build(copy_workspace(REPO, tmp_path / "ws"), None, "executive", running={"typeset": worker})
    worker.close()
    assert result.pages >= 1 and result.path.read_bytes().startswith(b"%PDF")
    assert "the typeset worker stopped unexpectedly" in caplog.text
    assert "continuing in this process" in caplog.text


def typesetters_at(folder: Path) -> set[int]:
    """Processes of lingering typesetters whose socket is in *folder*."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--linger" in command and any(str(folder).encode() in part for part in command):
                pids.add(int(entry.name))
    return pids


@pytest.mark.slow
def test_a_warm_typesetter_serves_the_next_build(tmp_path: Path) -> None:
    """After a build the typesetter stays warm on a socket only this user can open; the next
    build uses it (no new process) and writes the same bytes."""
    root = copy_workspace(REPO, tmp_path / "ws")
    folder = tmp_path / "c" / "typesetters"
    pdf = root / "out" / "us-china-ai-gap-policy.pdf"
    warm: set[int] = set()
    try:
        assert brief(root, "build", cache=tmp_path / "c", linger=60).returncode == 0
        first = pdf.read_bytes()
        warm = wait_for(lambda: typesetters_at(folder))
        assert len(warm) == 1
        assert wait_for(lambda: list(folder.glob("*.sock")))  # once it has imported the pipeline
        assert folder.stat().st_mode & 0o777 == 0o700
        assert [p.stat().st_mode & 0o777 for p in folder.iterdir()] == [0o600]
        again = brief(root, "build", "--force", cache=tmp_path / "c", linger=60)
        assert again.returncode == 0, again.stderr
        assert typesetters_at(folder) == warm  # served by the same process
        assert pdf.read_bytes() == first
    finally:
        for pid in warm:
            os.kill(pid, 15)


@pytest.mark.slow
def test_a_warm_typesetter_leaves_when_its_time_is_up(tmp_path: Path) -> None:
    """With nothing to do for BRIEF_TYPESETTER_LINGER seconds it exits and removes its socket."""
    root = copy_workspace(REPO, tmp_path / "ws")
    folder = tmp_path / "c" / "typesetters"
    assert brief(root, "build", "--audience", "executive", cache=tmp_path / "c", linger=2).returncode == 0
    assert wait_for(lambda: list(folder.glob("*.sock")))
    assert wait_for(lambda: not typesetters_at(folder) and not list(folder.glob("*.sock")), 20)


def wait_for(condition: Callable[[], Any], seconds: float = 10) -> Any:
    """Poll *condition* until it is true (returning its value) or *seconds* pass."""
    import time

    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def test_a_later_argument_arrives_in_any_order(tmp_path: Path) -> None:
    """A request may hold Laters: each waits for its own value, whatever order the values
    come in, and a request sent meanwhile waits its turn. None for the charts gives that
    brief up, and the typesetter goes on with the next."""
    from brief.pipeline.typeset import ChartImage

    url = "chart:0123abcd"
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">'
           '<rect width="300" height="120" fill="#336699"/></svg>')
    page = f'<html><body><img src="{url}" alt="A chart of things"><p>After it.</p></body></html>'
    blank = {url: ChartImage(300, 120)}
    with started(["typeset"]) as running:
        typesetter = running["typeset"]
        first, second = Later.new(), Later.new()
        typesetter.submit(page, tmp_path, None, None, None, None, blank, first)
        typesetter.submit(page, tmp_path, None, None, None, None, blank, second)
        typesetter.send_later(second, {url: svg})
        typesetter.send_later(first, None)
        with pytest.raises(BriefError, match="charts were not drawn"):
            typesetter.result()
        drawn = typesetter.result()
        alone = typesetter.call(page, tmp_path, None, None, None, None, {url: ChartImage(300, 120, svg)})
    assert drawn.pages == 1 and drawn.pdf == alone.pdf


def test_a_chart_that_fails_fails_its_brief_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every audience handed to typesetters before its charts are drawn, a chart that
    cannot be drawn fails the one brief that needs it; the others are written."""
    import brief.pipeline.charts
    from brief.errors import ChartError
    from brief.runtime.parallel import build_many, plan

    real = brief.pipeline.charts.draw_specs

    def draw(specs: list[tuple[str, dict[str, Any]]], fonts: list[Path], brief_path: Path) -> list[str]:
        if any(chart_id == "patents" for chart_id, _ in specs):  # only the technical edition has it
            raise ChartError("chart 'patents' failed to render: no engine today", brief_path)
        return real(specs, fonts, brief_path)

    monkeypatch.setattr(brief.pipeline.charts, "draw_specs", draw)
    monkeypatch.setenv("BRIEF_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_workspace(REPO, tmp_path / "ws")
    with started(["typeset", "typeset"]) as running:
        outcomes = {o.target.audience: o for o in build_many(root, plan(root, None, [], True, False), None, False,
                                                             running=running)}
    assert outcomes["technical"].error_lines == [
        "error: briefs/us-china-ai-gap.yaml: chart 'patents' failed to render: no engine today"]
    assert {a: o.pages for a, o in outcomes.items() if a != "technical"} == {"policy": 4, "executive": 2}
    assert not (root / "out" / "us-china-ai-gap-technical.pdf").exists()


@pytest.mark.slow
def test_a_warm_typesetter_runs_the_next_build_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next single build runs whole in the warm typesetter, which has the pipeline
    imported, in the caller's environment and folder: it writes the bytes a build here
    writes, and its errors come back as ours, leaving the typesetter warm."""
    from brief.pipeline.build import build
    from brief.runtime.workers import build_warm

    root = copy_workspace(REPO, tmp_path / "ws")
    folder = tmp_path / "c" / "typesetters"
    warm: set[int] = set()
    try:
        assert brief(root, "build", cache=tmp_path / "c", linger=60).returncode == 0
        warm = wait_for(lambda: typesetters_at(folder))
        assert wait_for(lambda: list(folder.glob("*.sock")))
        monkeypatch.setenv("BRIEF_CACHE_DIR", str(tmp_path / "c"))
        monkeypatch.setenv("BRIEF_TYPESETTER_LINGER", "60")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")  # not the first build's
        monkeypatch.chdir(root)
        method = root / "templates" / "policy" / "method.md.j2"
        replace_in(method, "## Note on method and caveats", "## Note on method, sources and caveats")
        result = build_warm(Path("."), None, "policy", None, False, "ua-1")  # "." is the caller's folder
        assert result is not None and result.pages == 4
        assert typesetters_at(folder) == warm
        there = (root / "out" / "us-china-ai-gap-policy.pdf").read_bytes()
        assert build(root, None, "policy", running={}).path.read_bytes() == there
        # A data edit: the chart it changes is drawn by a chart worker of its own, so the warm
        # typesetter, which serves every workspace, never holds vl-convert's fonts.
        replace_in(root / "data" / "figures" / "investment.yaml", "value: 4.5\n", "value: 4.6\n")
        assert build_warm(Path("."), None, "policy", None, False, "ua-1") is not None
        there = (root / "out" / "us-china-ai-gap-policy.pdf").read_bytes()
        assert build(root, None, "policy", running={}).path.read_bytes() == there
        assert all(b"vl_convert" not in Path(f"/proc/{pid}/maps").read_bytes() for pid in warm)
        replace_in(method, "## Note on method, sources and caveats", '{{ fig("no_such_figure") }}')
        with pytest.raises(BriefError) as caught:
            build_warm(Path("."), None, "policy", None, False, "ua-1")
        assert "no_such_figure" in str(caught.value.problems[0].message)
        assert typesetters_at(folder) == warm
        assert (root / "out" / "us-china-ai-gap-policy.pdf").read_bytes() == there
    finally:
        for pid in warm:
            os.kill(pid, 15)


def test_a_forked_copy_that_dies_is_an_error_not_a_hang() -> None:
    """A forked typesetter holds no other copy's pipes, so the death of any copy reaches the
    build as the end of that copy's replies."""
    import signal
    import threading

    page = ("<html><body><p>Hello</p></body></html>", Path("."), None, None, None, None)
    with started(["typeset", "typeset", "typeset"]) as running:
        for key in ("typeset-2", "typeset-3"):
            assert running[key].call(*page).pages == 1  # forked and answering
        leader = running["typeset"]._proc.pid
        copies = sorted(int(p.name) for p in Path("/proc").iterdir()
                        if p.name.isdigit() and _parent_of(p) == leader)
        assert len(copies) == 2
        os.kill(copies[-1], signal.SIGKILL)  # the copy forked last
        outcomes: dict[str, str] = {}

        def ask(key: str) -> None:
            try:
                running[key].call(*page)
                outcomes[key] = "answered"
            except WorkerCrashed:
                outcomes[key] = "crashed"

        askers = [threading.Thread(target=ask, args=(key,), daemon=True) for key in ("typeset-2", "typeset-3")]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join(20)
        assert sorted(outcomes.values()) == ["answered", "crashed"]


def _parent_of(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def test_a_worker_runs_only_what_it_may() -> None:
    """A request to run anything but a whole build is refused with an error, and the worker
    goes on serving."""
    from brief.runtime.workers import _Call

    with started(["typeset"]) as running:
        typesetter = running["typeset"]
        typesetter._post(_Call("os:system", ("echo hello",)))
        with pytest.raises(WorkerCrashed, match="may not be called"):
            typesetter.result()
        assert typesetter.call("<p>Hello</p>", Path("."), None, None, None, None).pages == 1
