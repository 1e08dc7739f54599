"""The ``brief`` command group: global options, and our errors turned into one-line messages."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from brief.errors import BriefError, CheckFailed

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns our errors into one-line messages, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BriefError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            root = ctx.obj.get("root") if ctx.obj else None
            for problem in exc.problems:
                click.echo(problem.problem(root).format(), err=True)
            summary = exc.summary() if isinstance(exc, CheckFailed) else None
            if summary:
                click.echo(f"error: {summary}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="brief", prog_name="brief")  # looked up only when asked
@click.option(
    "-C",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Workspace folder (default: the current folder or the nearest parent with briefs/).",
)
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, debug: bool) -> None:
    """Build print-ready PDF policy briefs from sourced figures, charts and narrative."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["start"] = directory or Path.cwd()


def workspace_root(ctx: click.Context) -> Path:
    """The workspace the command works in (``-C DIR``, else the nearest with briefs/)."""
    from brief.api import find_root

    root = find_root(ctx.obj["start"])
    ctx.obj["root"] = root
    return root
