"""The command line: parse options, call the library, print the result.

Library errors (``BriefError``) become one line on stderr and a non-zero exit status;
a traceback only with ``--debug``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from brief import __version__
from brief.errors import BriefError


class _Group(click.Group):
    """Turns our errors into one-line messages, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BriefError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            root = ctx.obj.get("root") if ctx.obj else None
            click.echo(f"error: {exc.format(relative_to=root)}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="brief")
@click.option("-C", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Workspace folder (default: the current folder or the nearest parent with briefs/).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, debug: bool) -> None:
    """Build print-ready PDF policy briefs from sourced figures, charts and narrative."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["start"] = directory or Path.cwd()


def _root(ctx: click.Context) -> Path:
    from brief.load import find_root

    root = find_root(ctx.obj["start"])
    ctx.obj["root"] = root
    return root


@cli.command()
@click.argument("brief", required=False)
@click.option("-a", "--audience", "audiences", multiple=True, default=["policy"], show_default=True,
              help="Audience to build; repeat for several.")
@click.pass_context
def build(ctx: click.Context, brief: str | None, audiences: tuple[str, ...]) -> None:
    """Build BRIEF (optional when the workspace holds one) for each --audience into out/."""
    from brief.build import build as run_build

    root = _root(ctx)
    for audience in audiences:
        result = run_build(root, brief, audience)
        shown = result.path.relative_to(root) if result.path.is_relative_to(root) else result.path
        pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
        click.echo(f"{shown}  {pages}  {result.seconds:.1f} s")
        if result.pages > result.page_budget:
            click.echo(f"warning: {result.audience} is {result.pages} pages, over its budget of "
                       f"{result.page_budget}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="brief")
