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


def start() -> None:
    """Initialise a worker process of :mod:`brief.runtime.engines`. Ctrl-C in the terminal
    reaches every process of the command: the command itself stops its workers, so a worker
    ignores it rather than die mid-reply with a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # forked from the command, whose handler unwinds
    atexit.register(_quick_exit)
