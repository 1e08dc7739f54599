"""The command line: parse options, call the library, print the result. One module per group
of commands; Click is imported only in this package.

Library errors (``BriefError``) become one line on stderr and a non-zero exit status;
a traceback only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress

import click

# Importing a module of commands registers them on the group.
from brief.cli import building, distributing, docs, inspecting, scaffolding  # noqa: F401
from brief.cli.group import cli

__all__ = ["cli", "main"]


def _terminated(signum: int, frame: object) -> None:
    # `kill` (SIGTERM) unwinds like Ctrl-C, so worker processes are stopped and nothing
    # half-done is published.
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli(prog_name="brief")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        click.echo(code, err=True)
    # Leave without the interpreter's teardown: freeing every module one by one takes 0.1 s
    # after a build (a tenth of a rebuild), and the OS frees it all at once. Everything the
    # command wrote is closed by now; only the standard streams and logging may hold output.
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
