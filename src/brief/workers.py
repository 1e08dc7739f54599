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
    """One worker process of a *role*; ``call`` sends a request and waits for the reply."""

    def __init__(self, role: str) -> None:
        self.role = role
        # Anything the worker prints (warnings, a crash) goes here, not into our terminal.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in close())
        self._proc = subprocess.Popen([sys.executable, "-m", "brief.workers", role], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._log)

    def submit(self, *args: Any) -> None:
        """Send a request without waiting (``result`` collects the reply)."""
        assert self._proc.stdin is not None
        with suppress(BrokenPipeError):  # the worker died; result() says why
            _send(self._proc.stdin, args)

    def result(self) -> Any:
        """The reply to the oldest request: its value, or the BriefError it raised."""
        assert self._proc.stdout is not None
        try:
            status, value = _receive(self._proc.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise WorkerCrashed(f"the {self.role} worker stopped unexpectedly: {tail[0]}",
                                hint="run again with --debug, or report this as a bug") from None
        if status == "error":
            raise value
        if status == "crash":
            raise WorkerCrashed(f"the {self.role} worker failed: {value}", hint="report this as a bug")
        return value

    def call(self, *args: Any) -> Any:
        """Send a request and wait for its reply."""
        self.submit(*args)
        return self.result()

    def close(self) -> None:
        """Let the worker go: closing its stdin ends its loop. Its exit (0.1–0.2 s of
        interpreter teardown) is waited for on a thread, not by the build."""
        if self._log.closed:
            return
        if self._proc.stdin and not self._proc.stdin.closed:
            with suppress(BrokenPipeError):
                self._proc.stdin.close()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._log.close()
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def kill(self) -> None:
        """Stop the worker now (its work is no longer wanted)."""
        self._proc.kill()
        self.close()


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
        for role in roles:
            key = role if role not in running else f"{role}-{sum(k.startswith(role) for k in running) + 1}"
            running[key] = Worker(role)
        yield running
    except BaseException:
        for worker in running.values():
            worker.kill()
        raise
    for worker in running.values():
        worker.close()


def serve(role: str) -> None:
    """The worker's loop: warm up, then answer requests until stdin closes."""
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    work, warm = (_resolve(spec) for spec in ROLES[role])
    warm()
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
        _send(channel, reply)


if __name__ == "__main__":
    serve(sys.argv[1])
