"""The options several commands share, each defined once (as sqlite-utils does): which edition
a command works on (BRIEF, ``--audience``, ``--variant``, ``--language``), the template overlay, and the output
format. A command stacks the bundles it takes; an option every edition command should take is
added to :func:`edition_options` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

OVERLAY_HELP = "A folder of templates that wins, file by file, over the workspace's."


def _stacked(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator from several, applied so that options show in --help in the order given."""

    def decorate(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def brief_argument() -> Callable[[F], F]:
    """``[BRIEF]``: a brief's id (optional when the workspace holds one brief)."""
    return click.argument("brief", required=False)


def edition_options(*, audience: str, variant: str, language: str, several: bool = False) -> Callable[[F], F]:
    """``[BRIEF] -a/--audience NAME --variant ID --language TAG``: the edition a command works
    on. *audience*, *variant* and *language* are the help texts; with *several*, ``-a`` may be
    repeated (passed on as ``audiences``, a tuple)."""
    audience_option = click.option(
        "-a", "--audience", "audiences" if several else "audience", multiple=several, help=audience
    )
    options = [audience_option, click.option("--variant", help=variant), click.option("--language", help=language)]
    return _stacked(brief_argument(), *options)


def templates_option(help: str = OVERLAY_HELP) -> Callable[[F], F]:
    """``--templates DIR``: a template overlay (an existing folder), passed on as ``overlay``."""
    return click.option(
        "--templates", "overlay", type=click.Path(exists=True, file_okay=False, path_type=Path), help=help
    )


def format_option(choices: Sequence[str], help: str | None = None) -> Callable[[F], F]:
    """``--format``: what a command writes, the first of *choices* by default (passed on as
    ``fmt``, since ``format`` is a builtin)."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True, help=help
    )
