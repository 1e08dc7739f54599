"""Stage workers: the chart engine and the typesetter in processes of their own.

A cold build spends most of its first second importing: Altair and vl-convert's
JavaScript engine (about 0.7 s) and WeasyPrint (about 0.5 s). None of that depends on the
brief, so ``brief build`` starts a worker for each at once and loads and checks the
workspace on the other core meanwhile. Work goes to a worker as one pickled request and
comes back as one pickled reply over its stdin and stdout; a worker serves requests until
its stdin closes.

A request may hold a :class:`Later` in place of an argument that the caller does not have
yet: the worker starts, and gets a function that waits for the value, which the caller
sends with :meth:`Worker.send_later` once it has it (the typesetter lays out a brief while
its charts are still being drawn).

A process that has already paid for an import (the live preview, the test suite, a second
build in one process) does the work itself: a worker only helps when it hides an import.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from itertools import count
from pathlib import Path
from typing import IO, Any

from brief.errors import BriefError

_HEADER = struct.Struct("!Q")
_READY = b"!"  # a lingering worker's greeting: it is free and listening

# Each kind of worker: the function that does its work, and the one that warms it up
# before the first request arrives.
ROLES: dict[str, tuple[str, str]] = {
    "chart": ("brief.pipeline.draw:draw_specs", "brief.pipeline.draw:warm_up"),
    "typeset": ("brief.pipeline.typeset:typeset", "brief.pipeline.typeset:warm_up"),
}
# Roles whose warm-up starts no threads, so a warm worker may fork copies of itself. Not
# the chart engine: vl-convert runs its JavaScript engine on threads a fork would lose.
FORKABLE = {"typeset"}
# Roles that warm up only when the build asks (see Worker.warm): the typesetter has time to
# spare, and a build whose checks fail never needs WeasyPrint at all.
WARM_WHEN_ASKED = {"typeset"}
_WARM = ("warm",)


class WorkerCrashed(BriefError):
    """A worker process died or answered nonsense (a bug, not bad input)."""


_tokens = count(1)


@dataclass(frozen=True)
class Later:
    """An argument sent later: in the worker it becomes a function that waits for the value
    given to :meth:`Worker.send_later` with this same Later."""

    token: int

    @classmethod
    def new(cls) -> Later:
        """A Later no other request of this process uses."""
        return cls(next(_tokens))


@dataclass(frozen=True)
class _Sent:
    # The value of a Later, as it travels to the worker.
    token: int
    value: Any


@dataclass(frozen=True)
class _Call:
    # A request to run one of CALLABLE instead of the worker's own work.
    function: str
    args: tuple[Any, ...]


# What a warm typesetter may also be asked to run: a whole build (see build_warm).
CALLABLE = {"brief.pipeline.build:build_here"}


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _read_frame(stream: IO[bytes]) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _receive(stream: IO[bytes]) -> Any:
    return pickle.loads(_read_frame(stream))


_GONE = object()  # the worker's replies ended


class Worker:
    """One worker of a *role*; ``call`` sends a request and waits for the reply.

    ``Worker.start(role, copies)`` starts one process that warms up once and then forks
    the other copies, each with a pipe pair of its own: a second typesetter then costs a
    fork, not another 0.5 s import.

    Requests are written and replies read on threads of their own: a pipe holds 64 KB, and
    a build must never wait for a busy worker to read a batch of charts, nor a worker for
    the build to collect a PDF while it collects another worker's.
    """

    def __init__(self, role: str, proc: subprocess.Popen[bytes] | None, requests: IO[bytes], replies: IO[bytes],
                 log: IO[bytes] | None, leader: bool, conn: socket.socket | None = None) -> None:
        self.role = role
        self._proc = proc
        self._requests = requests
        self._replies = replies
        self._log = log
        self._leader = leader
        self._closed = False
        self._socket = conn
        self._warmed = False
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._write_requests, daemon=True).start()
        threading.Thread(target=self._read_replies, daemon=True).start()

    def _write_requests(self) -> None:
        with suppress(OSError, ValueError):  # the worker died: result() says why
            while (data := self._outbox.get()) is not None:
                self._requests.write(data)
                self._requests.flush()
        with suppress(OSError, ValueError):
            self._requests.close()
            if self._socket is not None:
                self._socket.shutdown(socket.SHUT_WR)  # the worker sees the end of our requests

    def _read_replies(self) -> None:
        try:
            while True:
                frame = _read_frame(self._replies)
                try:
                    self._inbox.put(pickle.loads(frame))
                except Exception as exc:  # a reply that cannot be rebuilt here: a bug, said as one
                    self._inbox.put(("crash", f"its reply could not be read: {type(exc).__name__}: {exc}"))
        except (EOFError, OSError, ValueError):
            self._inbox.put(_GONE)
        finally:
            with suppress(OSError, ValueError):
                self._replies.close()
                if self._socket is not None:
                    self._socket.close()

    def _post(self, message: Any) -> None:
        self._outbox.put(_frame(message))

    @classmethod
    def start(cls, role: str, copies: int = 1, linger: tuple[Path, float] | None = None) -> list[Worker]:
        """Start *copies* workers of *role*: one process and the rest forked from it once
        warm, or one process each for a role that cannot fork. With *linger* (a socket path
        and seconds), the worker stays on after this build to serve the next ones."""
        if copies > 1 and role not in FORKABLE:
            return [w for _ in range(copies) for w in cls.start(role)]
        # Anything a worker prints (warnings, a crash) goes here, not into our terminal.
        log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the leader's close())
        pipes = [(os.pipe(), os.pipe()) for _ in range(copies - 1)]
        theirs = [fd for (to_r, _), (_, from_w) in pipes for fd in (to_r, from_w)]
        stay = ["--linger", str(linger[0]), str(linger[1])] if linger else []
        # A lingering worker gets a session of its own, so a later Ctrl-C in the terminal
        # is not meant for it (this build still kills it if the build fails).
        proc = subprocess.Popen([sys.executable, "-m", "brief.runtime.workers", role, *stay, *map(str, theirs)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, pass_fds=theirs,
                                start_new_session=bool(linger))
        for fd in theirs:
            os.close(fd)
        assert proc.stdin is not None and proc.stdout is not None
        workers = [cls(role, proc, proc.stdin, proc.stdout, log, leader=True)]
        for (_, to_w), (from_r, _) in pipes:
            workers.append(cls(role, proc, os.fdopen(to_w, "wb"), os.fdopen(from_r, "rb"), log, leader=False))
        return workers

    @classmethod
    def connect(cls, role: str, path: Path) -> Worker | None:
        """The warm worker lingering at *path*, if one is there and free (it answers at once
        when it is; a busy one would make this build wait, so it is left alone)."""
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(0.2)
            conn.connect(str(path))
            if conn.recv(1) != _READY:
                raise OSError("no greeting")
            conn.settimeout(None)
        except OSError:
            conn.close()
            return None
        return cls(role, None, conn.makefile("wb"), conn.makefile("rb"), None, leader=False, conn=conn)

    def warm(self) -> None:
        """Tell the worker to warm up now, if it waits to be told (no reply comes back)."""
        if not self._warmed:
            self._warmed = True
            self._post(_WARM)

    def submit(self, *args: Any) -> None:
        """Send a request without waiting (``result`` collects the reply)."""
        self._post(args)

    def send_later(self, later: Later, value: Any) -> None:
        """Send the value of an argument that an earlier request held as *later*."""
        self._post(_Sent(later.token, value))

    def result(self) -> Any:
        """The reply to the oldest request: its value, or the BriefError it raised."""
        reply = self._inbox.get()
        if reply is _GONE:
            self._inbox.put(_GONE)  # and for any later request too
            tail = ["no output"]
            if self._log is not None:
                with suppress(OSError, ValueError):
                    self._log.seek(0)
                    tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or tail
            raise WorkerCrashed(f"the {self.role} worker stopped unexpectedly: {tail[0]}",
                                hint="BRIEF_WORKERS=0 runs everything in one process")
        status, value = reply
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

    def call_function(self, function: str, *args: Any) -> Any:
        """Run *function* (one of ``CALLABLE``, as ``module:name``) in the worker instead of
        its own work, and wait for its reply."""
        self._post(_Call(function, args))
        return self.result()

    def close(self) -> None:
        """Let the worker go: the end of its requests ends its loop, once it has what was
        sent. The process's exit (0.1–0.2 s of interpreter teardown) is waited for on a
        thread, not by the build."""
        if self._closed:
            return
        self._closed = True
        self._outbox.put(None)
        if self._leader and self._proc is not None and self._log is not None:
            self._log.close()
            threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        assert self._proc is not None
        # A lingering worker outlives this build: it is not waited for.
        if "--linger" not in self._proc.args:  # type: ignore[operator]
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def kill(self) -> None:
        """Stop the worker now (its work is no longer wanted); a forked copy stops as soon
        as its pipe closes, and a lingering worker we only connected to goes back to waiting."""
        if self._leader and self._proc is not None:
            self._proc.kill()
        self.close()


def run(worker: Worker | None, local: Callable[..., Any], *args: Any) -> Any:
    """``local(*args)`` in *worker* when there is one, else in this process. A worker that
    died (rather than raising one of our errors) is replaced by this process, with a warning:
    a build never fails because a helper process could not start."""
    return run_later(worker, local, *args)()


def run_later(worker: Worker | None, local: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """:func:`run`, started now: the function returned waits for the result. Without a
    worker the work is done here at once."""
    if worker is None:
        value = local(*args)
        return lambda: value
    worker.submit(*args)

    def wait() -> Any:
        try:
            return worker.result()
        except WorkerCrashed as exc:
            logging.getLogger("brief").warning("warning: %s; continuing in this process", exc.message)
        return local(*args)

    return wait


def worth_a_worker(module: str) -> bool:
    """A worker pays off only if this process has not imported *module* already."""
    return module not in sys.modules and os.environ.get("BRIEF_WORKERS", "1") != "0"


def stage_roles(fmt: str = "pdf", typesetters: int = 1) -> list[str]:
    """The workers worth starting for a build in this process: the chart engine when the
    chart cache is empty (a first build), typesetters for a PDF; none for what this process
    has imported already."""
    from brief.publish import cache

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


def linger_seconds() -> float:
    """How long a typesetter stays warm after a build for the next one: 300 s, or
    ``$BRIEF_TYPESETTER_LINGER`` (0 turns it off)."""
    try:
        return max(0.0, float(os.environ.get("BRIEF_TYPESETTER_LINGER", "300")))
    except ValueError:
        return 300.0


def linger_socket() -> Path | None:
    """Where a warm typesetter waits: a socket in a folder of the chart cache that only this
    user may open, named after the Python executable, the versions of brief, WeasyPrint,
    Altair and vl-convert, and all of brief's code (it may run a whole build), so upgrading
    one of them never talks to an old typesetter. None where that cannot be."""
    from brief.publish.cache import cache_dir

    if not hasattr(socket, "AF_UNIX"):
        return None
    folder = cache_dir() / "typesetters"
    path = folder / f"{_typesetter_name()}.sock"
    if len(str(path).encode()) > 100:  # the limit of a Unix socket's address
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None  # someone else could reach it: no lingering here
    return path


@cache
def _typesetter_name() -> str:
    # Asked for twice by a build that finds no warm typesetter (build_warm, then started).
    import hashlib

    from brief.publish.manifest import tool_versions

    h = hashlib.sha256(os.path.realpath(sys.executable).encode())
    for source in sorted(Path(__file__).parent.parent.rglob("*.py")):
        h.update(source.read_bytes())
    h.update(repr(sorted(tool_versions().items())).encode())
    return h.hexdigest()[:16]


def build_warm(*args: Any) -> Any:
    """Run :func:`brief.pipeline.build.build_here` with *args* (one PDF build) in the typesetter an
    earlier build left warm, in this process's environment and folder: it has the whole
    pipeline imported, so this process imports none of it. None if no typesetter is free,
    or it died: then build here."""
    if os.environ.get("BRIEF_WORKERS", "1") == "0" or not linger_seconds():
        return None
    path = linger_socket()
    worker = Worker.connect("typeset", path) if path else None
    if worker is None:
        return None
    try:
        return worker.call_function("brief.pipeline.build:build_here", *args, dict(os.environ), os.getcwd())
    except WorkerCrashed as exc:
        logging.getLogger("brief").warning("warning: %s; building in this process", exc.message)
        return None
    finally:
        worker.close()


@contextmanager
def started(roles: list[str]) -> Iterator[dict[str, Worker]]:
    """Workers for *roles*, by role (a repeated role gets keys ``typeset``, ``typeset-2``…),
    stopped on the way out (killed if the build failed). A single typesetter is a warm one
    left by an earlier build when one is free, else a new one that will stay warm."""
    running: dict[str, Worker] = {}
    try:
        for role in dict.fromkeys(roles):
            count = roles.count(role)
            path = linger_socket() if role == "typeset" and count == 1 and linger_seconds() else None
            found = Worker.connect(role, path) if path else None
            if found is not None:
                running[role] = found
                continue
            linger = (path, linger_seconds()) if path else None
            for i, worker in enumerate(Worker.start(role, count, linger)):
                running[role if i == 0 else f"{role}-{i + 1}"] = worker
        yield running
    except BaseException:
        for worker in running.values():
            worker.kill()
        raise
    for worker in running.values():
        worker.close()


def serve(role: str, copies: list[tuple[int, int]], linger: tuple[Path, float] | None = None) -> None:
    """The worker's loop: warm up, fork a copy for each ``(requests fd, replies fd)`` pair,
    then answer requests until the requests pipe closes; with *linger*, then wait on that
    socket for later builds until none has come for that many seconds."""
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    work, warm = (_resolve(spec) for spec in ROLES[role])
    first = None
    if role in WARM_WHEN_ASKED and not copies:  # copies are forked from a warm worker: no waiting
        try:
            first = _receive(requests)  # the word to warm up, or already the first request
        except EOFError:
            return
    warm()
    for index, (fd_in, fd_out) in enumerate(copies):
        # Forking is safe here: the worker has started no threads, and the copy gets the
        # warm imports for nothing.
        if os.fork() == 0:
            requests.close()
            replies.close()
            # The copies not forked yet are still open here: a copy must not hold another's
            # pipes, or that one's death would never reach the build as the end of its replies.
            for later_in, later_out in copies[index + 1:]:
                os.close(later_in)
                os.close(later_out)
            requests, replies = os.fdopen(fd_in, "rb"), os.fdopen(fd_out, "wb")
            try:
                _answer(requests, replies, work)
            finally:
                os._exit(0)
        os.close(fd_in)
        os.close(fd_out)
    _answer(requests, replies, work, first)
    if linger:
        requests.close()
        replies.close()
        _linger(*linger, work)


def _linger(path: Path, seconds: float, work: Callable[..., Any]) -> None:
    # Hold no folder of the user's: each build says which one it runs in.
    os.chdir("/")
    for function in CALLABLE:
        _resolve(function)  # import the whole pipeline now, while nobody waits
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
    except OSError:
        # Taken: by a live typesetter (leave it be) or by a dead one's leftover file.
        live = Worker.connect("typeset", path)
        if live is not None:
            live.close()
            return
        with suppress(OSError):
            path.unlink()
        try:
            server.bind(str(path))
        except OSError:
            return
    mine = path.stat().st_ino
    try:
        os.chmod(path, 0o600)
        server.listen(4)
        server.settimeout(seconds)
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                return
            with conn:
                if not _same_user(conn):
                    continue
                conn.settimeout(None)
                with suppress(OSError):
                    conn.sendall(_READY)
                    _answer(conn.makefile("rb"), conn.makefile("wb"), work)
    finally:
        server.close()
        with suppress(OSError):
            if path.stat().st_ino == mine:
                path.unlink()


def _same_user(conn: socket.socket) -> bool:
    """Is the process at the other end ours? (Linux; elsewhere the folder's permissions decide.)"""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return bool(uid == os.getuid())


def _answer(requests: IO[bytes], replies: IO[bytes], work: Callable[..., Any], first: Any = None) -> None:
    backlog: deque[Any] = deque([first] if first is not None else [])
    sent: dict[int, Any] = {}

    def wait_for(token: int) -> Any:
        # Requests that come in meanwhile wait their turn in the backlog.
        while token not in sent:
            message = _receive(requests)
            if isinstance(message, _Sent):
                sent[message.token] = message.value
            else:
                backlog.append(message)
        return sent.pop(token)

    while True:
        try:
            args = backlog.popleft() if backlog else _receive(requests)
        except EOFError:
            return
        if args == _WARM:
            continue  # already warm
        if isinstance(args, _Sent):
            sent[args.token] = args.value  # sent before the request that waits for it ran
            continue
        try:
            target = work
            if isinstance(args, _Call):
                if args.function not in CALLABLE:
                    raise ValueError(f"{args.function} may not be called in a worker")
                target, args = _resolve(args.function), args.args
            args = tuple(partial(wait_for, a.token) if isinstance(a, Later) else a for a in args)
            reply: tuple[str, Any] = ("ok", target(*args))
        except BriefError as exc:
            reply = ("error", exc)
        except EOFError:
            return  # the caller went away while the work waited for a Later
        except Exception as exc:  # a bug: report it rather than die silently
            import traceback

            traceback.print_exc()
            reply = ("crash", f"{type(exc).__name__}: {exc}")
        try:
            frame = _frame(reply)
        except Exception as exc:  # a value or error that cannot be pickled: a bug, said as one
            frame = _frame(("crash", f"the reply could not be sent: {type(exc).__name__}: {exc}"))
        replies.write(frame)
        replies.flush()


def main(argv: list[str]) -> None:
    """``python -m brief.runtime.workers ROLE [--linger SOCKET SECONDS] [FD FD ...]``."""
    args = argv[2:]
    stay = None
    if args[:1] == ["--linger"]:
        stay, args = (Path(args[1]), float(args[2])), args[3:]
    fds = [int(fd) for fd in args]
    serve(argv[1], list(zip(fds[::2], fds[1::2], strict=True)), stay)


if __name__ == "__main__":
    # Run as brief.runtime.workers, not __main__: the Later and _Sent that arrive pickled are
    # brief.runtime.workers classes, and isinstance() must recognise them.
    from brief.runtime import workers

    workers.main(sys.argv)
