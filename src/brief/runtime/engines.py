"""Worker processes for the two heavy stages, so their imports overlap the rest of a build.

A cold build spends a second importing: vl-convert's JavaScript engine (about 0.6 s) and
WeasyPrint (about 0.5 s). Neither depends on the brief, so ``brief build`` starts a
single-process :class:`~concurrent.futures.ProcessPoolExecutor` for each at once, and the
build checks, resolves and renders meanwhile. Work crosses as plain frozen dataclasses
(:class:`~brief.pipeline.draw.DrawJob`, :class:`~brief.pipeline.typeset.TypesetJob`).

Every worker is shut down and waited for before the command returns: nothing outlives it.
A typesetting worker that dies is replaced by this process, with a warning, so a build never
fails because a helper process could not start. A chart worker that dies is not: its engine
(V8) dies of what would kill it here too (a memory limit it cannot start under), and does so
with a C stack dump, so its error output is kept from the terminal and the build fails with
one line saying why.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Any, TypeVar

from brief.errors import ChartError
from brief.pipeline.draw import DrawJob, draw_specs, engine_can_start
from brief.pipeline.draw import warm_up as warm_charts
from brief.pipeline.engines import Engines
from brief.pipeline.typeset import Typeset, TypesetJob, typeset
from brief.pipeline.typeset import warm_up as warm_typesetter
from brief.runtime import worker

T = TypeVar("T")
_log = logging.getLogger("brief")


@dataclass
class _Pool:
    """The worker processes of one stage; the stage runs here instead if a worker dies, unless
    the command is stopping."""

    name: str
    executor: ProcessPoolExecutor
    warm_up: Callable[[], None]
    copies: int = 1
    warmed: list[Future[None]] | None = None
    stopping: bool = False
    # The chart worker's error output (a file), read when it dies instead of being replaced.
    errors: IO[bytes] | None = None
    processes: tuple[BaseProcess, ...] = ()
    died: bool = False

    def warm(self) -> None:
        """Have every process of the pool import its library now (once; from any thread)."""
        with _WARMING:
            if self.warmed is not None:
                return
            self.warmed = []
        # A dead worker is noticed, and replaced, when it has work; a pool already shut down
        # (the command is stopping) has none.
        with suppress(BrokenProcessPool, RuntimeError):
            self.warmed = [self.executor.submit(self.warm_up) for _ in range(self.copies)]

    def then(self, after: Callable[[], None]) -> None:
        """Call *after* once this pool has warmed up (now, if it has; at once if it cannot)."""
        pending = [f for f in self.warmed or () if not f.done()]
        if not pending:
            after()
            return
        left = [len(pending)]

        def one_done(_: Future[None]) -> None:
            with _WARMING:
                left[0] -= 1
                last = left[0] == 0
            if last:
                after()

        for future in pending:
            future.add_done_callback(one_done)

    def run(self, function: Callable[[Any], T], job: Any) -> T:
        try:
            return self.executor.submit(function, job).result()
        except BrokenProcessPool:
            if self.stopping:  # killed by this command: the work is no longer wanted
                raise
            if self.errors is not None:
                raise self.death() from None
            _log.warning(
                "warning: the %s worker stopped unexpectedly; continuing in this process "
                "(BRIEF_WORKERS=0 runs everything in one process)",
                self.name,
            )
        return function(job)

    def death(self) -> ChartError:
        """Why the chart worker died, in one line: how it ended and its engine's last word
        (the rest of what it wrote, a C stack dump, only with --debug)."""
        assert self.errors is not None
        self.died = True
        self.errors.seek(0)
        said = self.errors.read().decode("utf-8", "replace")
        _log.debug("%s", said)
        codes = [p.exitcode for p in self.processes if p.exitcode]
        how = f"was killed by {signal.Signals(-codes[0]).name}" if codes and codes[0] < 0 else "stopped"
        # V8 writes "# Fatal process out of memory: ..." between lines of "#".
        lines = [line.strip("# ").strip() for line in said.splitlines() if line.startswith("# ") and line[2:].strip()]
        reason = f": {lines[0]}" if lines else ""
        memory = "memory" in said or -signal.SIGKILL in codes[:1]
        hint = _CHART_DEATH_HINT if memory else "brief --debug shows what the chart engine wrote"
        return ChartError(f"the chart engine {how}{reason}", hint=hint)

    def forward_errors(self) -> None:
        """Pass on what a chart worker that did not die wrote to its error output."""
        if self.errors is not None:
            self.errors.seek(0)
            if (said := self.errors.read()) and not self.died:
                sys.stderr.write(said.decode("utf-8", "replace"))
            self.errors.close()


_WARMING = threading.Lock()

_CHART_DEATH_HINT = (
    "charts need more memory than this build may use; if you limit memory, use a cgroup "
    "(systemd-run --user -p MemoryMax=2G brief build ...) or ulimit -d of 1 GB or more, not ulimit -v"
)


def _start_chart_worker(command: int, errors: int) -> None:
    """Start a chart worker whose error output goes to the file *errors*: V8 dies with a C
    stack dump, which the command reads and sums up in one line."""
    worker.start(command)
    os.dup2(errors, 2)


def worth_a_worker(module: str, environ: Mapping[str, str]) -> bool:
    """A worker pays off only if this process has not imported *module* already."""
    return module not in sys.modules and environ.get("BRIEF_WORKERS", "1") != "0"


@contextmanager
def started(charts: bool, typesetters: int, environ: Mapping[str, str], draws: int = 0) -> Iterator[Engines]:
    """:class:`Engines` backed by worker processes started now: a chart worker (when *charts*,
    e.g. the chart cache is empty) and *typesetters* typesetting processes. All are shut down
    and waited for on leaving; the chart worker already after *draws* batches, when given (a
    single build draws once, and its memory is better spent on layout)."""
    pools: list[_Pool] = []
    before = set(multiprocessing.active_children())
    # Forked, not spawned: a worker starts in milliseconds with what the command has loaded
    # (little: Click and this package's light modules), and fork needs no resource-tracker
    # process, which spawn would leave behind the command for a moment.
    context = multiprocessing.get_context("fork")
    if charts and worth_a_worker("vl_convert", environ) and engine_can_start():
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the pool, closed with it
        executor = ProcessPoolExecutor(1, context, _start_chart_worker, (os.getpid(), errors.fileno()))
        pools.append(_Pool("chart", executor, warm_charts, errors=errors))
        pools[-1].warm()  # the engine has nothing to wait for
        pools[-1].processes = tuple(p for p in multiprocessing.active_children() if p not in before)
    if typesetters and worth_a_worker("weasyprint", environ):
        executor = ProcessPoolExecutor(typesetters, context, worker.start, (os.getpid(),))
        pools.append(_Pool("typesetter", executor, warm_typesetter, typesetters))
        for _ in range(typesetters):  # start the processes now; they import WeasyPrint when told
            executor.submit(int)
    by_name = {p.name: p for p in pools}
    try:
        yield _engines(by_name.get("chart"), by_name.get("typesetter"), draws)
    except BaseException:
        # Interrupted or failed: their work is no longer wanted, so they stop now rather
        # than finish a layout nobody will publish (and are not replaced by this process).
        for pool in pools:
            pool.stopping = True
        for process in multiprocessing.active_children():
            if process not in before:
                process.kill()
        raise
    finally:
        for pool in pools:
            pool.executor.shutdown(wait=True, cancel_futures=True)
            pool.forward_errors()


def _engines(chart: _Pool | None, typesetter: _Pool | None, draws: int) -> Engines:
    left = [draws]

    def draw(job: DrawJob) -> list[str]:
        if typesetter is not None:
            typesetter.warm()
        if chart is None or (draws and left[0] <= 0):
            return draw_specs(job)
        try:
            return chart.run(draw_specs, job)
        finally:
            left[0] -= 1
            if draws and left[0] == 0:
                chart.executor.shutdown(wait=False)

    def lay_out(job: TypesetJob) -> Typeset:
        return typesetter.run(typeset, job) if typesetter else typeset(job)

    def checked() -> None:
        # WeasyPrint's import (0.5 s of CPU) starts once the checks have passed and vl-convert's
        # engine has started in the chart worker, so that no more than two processes share two
        # cores: it then overlaps Altair's import here rather than wait for the drawing, and is
        # done before the brief is rendered (a cold build 0.2 s sooner, measured).
        if typesetter is not None and chart is not None:
            chart.then(typesetter.warm)
        elif typesetter is not None:
            typesetter.warm()

    return Engines(draw=draw, typeset=lay_out, checked=checked)


def chart_worker_pays(cache_dir: Path | None) -> bool:
    """A chart worker is started when the chart cache is empty (a first build), where every
    chart is drawn and vl-convert's start-up is worth hiding."""
    from brief.publish.cache import is_empty

    return is_empty(cache_dir / "charts" if cache_dir else None)
