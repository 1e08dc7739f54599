"""What runs first in a worker process (kept apart and light: a worker imports this module,
and every import here would delay the stage it serves)."""

from __future__ import annotations

import atexit
import os
import signal
import sys
from contextlib import suppress


def _quick_exit() -> None:
    # Leave without the interpreter's teardown (freeing WeasyPrint's modules one by one takes
    # 0.1 s), which the command waits for before it returns.
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(0)


def start(command: int) -> None:
    """Initialise a worker process of :mod:`brief.runtime.engines`, forked from the process
    *command*.

    Ctrl-C or ``kill`` of the whole process group reaches every process of the command: the
    command stops its workers itself (with SIGKILL), so a worker ignores both rather than die
    mid-reply with a traceback of its own. And it dies with the command, even one killed with
    ``kill -9``, which could otherwise leave it blocked on a pipe forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with(command)
    atexit.register(_quick_exit)


def _die_with(command: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
            if os.getppid() != command:  # it died before the request was made
                os._exit(0)
            return
    import threading

    def watch() -> None:  # elsewhere: look every half second
        while os.getppid() == command:
            threading.Event().wait(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
