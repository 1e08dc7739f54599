"""Stage workers: the chart engine and the typesetter in processes of their own.

A cold build spends most of its first second importing: Altair and vl-convert's
JavaScript engine (about 0.7 s) and WeasyPrint (about 0.5 s). None of that depends on the
brief, so ``brief build`` starts a worker for each at once and loads and checks the
workspace on the other core meanwhile. Work goes to a worker as one pickled request and
comes back as one pickled reply over its stdin and stdout; a worker serves requests until
its stdin closes.

A process that has already paid for an import (the live preview, the test suite, a second
build in one process) does the work itself: a worker only helps when it hides an import.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

from brief.errors import BriefError

_HEADER = struct.Struct("!Q")

# Each kind of worker: the function that does its work, and the one that warms it up
# before the first request arrives.
ROLES: dict[str, tuple[str, str]] = {
    "chart": ("brief.chart:draw_specs", "brief.chart:warm_up"),
    "typeset": ("brief.typeset:typeset", "brief.typeset:warm_up"),
}
# Roles whose warm-up starts no threads, so a warm worker may fork copies of itself. Not
# the chart engine: vl-convert runs its JavaScript engine on threads a fork would lose.
FORKABLE = {"typeset"}


class WorkerCrashed(BriefError):
    """A worker process died or answered nonsense (a bug, not bad input)."""


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))


class Worker:
    """One worker of a *role*; ``call`` sends a request and waits for the reply.

    ``Worker.start(role, copies)`` starts one process that warms up once and then forks
    the other copies, each with a pipe pair of its own: a second typesetter then costs a
    fork, not another 0.5 s import.
    """

    def __init__(self, role: str, proc: subprocess.Popen[bytes], requests: IO[bytes], replies: IO[bytes],
                 log: IO[bytes], leader: bool) -> None:
        self.role = role
        self._proc = proc
        self._requests = requests
        self._replies = replies
        self._log = log
        self._leader = leader
        self._closed = False

    @classmethod
    def start(cls, role: str, copies: int = 1) -> list[Worker]:
        """Start *copies* workers of *role*: one process and the rest forked from it once
        warm, or one process each for a role that cannot fork."""
        if copies > 1 and role not in FORKABLE:
            return [w for _ in range(copies) for w in cls.start(role)]
        # Anything a worker prints (warnings, a crash) goes here, not into our terminal.
        log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the leader's close())
        pipes = [(os.pipe(), os.pipe()) for _ in range(copies - 1)]
        theirs = [fd for (to_r, _), (_, from_w) in pipes for fd in (to_r, from_w)]
        proc = subprocess.Popen([sys.executable, "-m", "brief.workers", role, *map(str, theirs)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, pass_fds=theirs)
        for fd in theirs:
            os.close(fd)
        assert proc.stdin is not None and proc.stdout is not None
        workers = [cls(role, proc, proc.stdin, proc.stdout, log, leader=True)]
        for (_, to_w), (from_r, _) in pipes:
            workers.append(cls(role, proc, os.fdopen(to_w, "wb"), os.fdopen(from_r, "rb"), log, leader=False))
        return workers

    def submit(self, *args: Any) -> None:
        """Send a request without waiting (``result`` collects the reply)."""
        with suppress(BrokenPipeError):  # the worker died; result() says why
            _send(self._requests, args)

    def result(self) -> Any:
        """The reply to the oldest request: its value, or the BriefError it raised."""
        try:
            status, value = _receive(self._replies)
        except (EOFError, pickle.UnpicklingError, OSError, ValueError):
            tail = ["no output"]
            with suppress(OSError, ValueError):
                self._log.seek(0)
                tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or tail
            raise WorkerCrashed(f"the {self.role} worker stopped unexpectedly: {tail[0]}",
                                hint="BRIEF_WORKERS=0 runs everything in one process") from None
        if status == "error":
            raise value
        if status == "crash":
            raise WorkerCrashed(f"the {self.role} worker failed: {value}",
                                hint="BRIEF_WORKERS=0 runs everything in one process")
        return value

    def call(self, *args: Any) -> Any:
        """Send a request and wait for its reply."""
        self.submit(*args)
        return self.result()

    def close(self) -> None:
        """Let the worker go: closing its requests pipe ends its loop. The process's exit
        (0.1–0.2 s of interpreter teardown) is waited for on a thread, not by the build."""
        if self._closed:
            return
        self._closed = True
        with suppress(BrokenPipeError):
            self._requests.close()
        self._replies.close()
        if self._leader:
            self._log.close()
            threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def kill(self) -> None:
        """Stop the worker now (its work is no longer wanted); a forked copy stops as soon
        as its pipe closes."""
        if self._leader:
            self._proc.kill()
        self.close()


def run(worker: Worker | None, local: Callable[..., Any], *args: Any) -> Any:
    """``local(*args)`` in *worker* when there is one, else in this process. A worker that
    died (rather than raising one of our errors) is replaced by this process, with a warning:
    a build never fails because a helper process could not start."""
    if worker is not None:
        try:
            return worker.call(*args)
        except WorkerCrashed as exc:
            logging.getLogger("brief").warning("warning: %s; continuing in this process", exc.message)
    return local(*args)


def worth_a_worker(module: str) -> bool:
    """A worker pays off only if this process has not imported *module* already."""
    return module not in sys.modules and os.environ.get("BRIEF_WORKERS", "1") != "0"


def stage_roles(fmt: str = "pdf", typesetters: int = 1) -> list[str]:
    """The workers worth starting for a build in this process: the chart engine when the
    chart cache is empty (a first build), typesetters for a PDF; none for what this process
    has imported already."""
    from brief import cache

    roles = []
    if worth_a_worker("vl_convert") and cache.is_empty("charts"):
        roles.append("chart")
    if fmt == "pdf" and worth_a_worker("weasyprint"):
        roles += ["typeset"] * typesetters
    return roles


def _resolve(spec: str) -> Callable[..., Any]:
    import importlib

    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@contextmanager
def started(roles: list[str]) -> Iterator[dict[str, Worker]]:
    """Workers for *roles*, by role (a repeated role gets keys ``typeset``, ``typeset-2``…),
    stopped on the way out (killed if the build failed)."""
    running: dict[str, Worker] = {}
    try:
        for role in dict.fromkeys(roles):
            for i, worker in enumerate(Worker.start(role, roles.count(role))):
                running[role if i == 0 else f"{role}-{i + 1}"] = worker
        yield running
    except BaseException:
        for worker in running.values():
            worker.kill()
        raise
    for worker in running.values():
        worker.close()


def serve(role: str, copies: list[tuple[int, int]]) -> None:
    """The worker's loop: warm up, fork a copy for each ``(requests fd, replies fd)`` pair,
    then answer requests until the requests pipe closes."""
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    work, warm = (_resolve(spec) for spec in ROLES[role])
    warm()
    for fd_in, fd_out in copies:
        # Forking is safe here: the worker has started no threads, and the copy gets the
        # warm imports for nothing.
        if os.fork() == 0:
            requests.close()
            replies.close()
            requests, replies = os.fdopen(fd_in, "rb"), os.fdopen(fd_out, "wb")
            try:
                _answer(requests, replies, work)
            finally:
                os._exit(0)
        os.close(fd_in)
        os.close(fd_out)
    _answer(requests, replies, work)


def _answer(requests: IO[bytes], replies: IO[bytes], work: Callable[..., Any]) -> None:
    while True:
        try:
            args = _receive(requests)
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", work(*args))
        except BriefError as exc:
            reply = ("error", exc)
        except Exception as exc:  # a bug: report it rather than die silently
            import traceback

            traceback.print_exc()
            reply = ("crash", f"{type(exc).__name__}: {exc}")
        _send(replies, reply)


if __name__ == "__main__":
    fds = [int(fd) for fd in sys.argv[2:]]
    serve(sys.argv[1], list(zip(fds[::2], fds[1::2], strict=True)))
