"""The command line: parse options, call the library, print the result.

Library errors (``BriefError``) become one line on stderr and a non-zero exit status;
a traceback only with ``--debug``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from brief import __version__
from brief.errors import BriefError, CheckFailed


class _Group(click.Group):
    """Turns our errors into one-line messages, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BriefError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            root = ctx.obj.get("root") if ctx.obj else None
            if isinstance(exc, CheckFailed):
                for problem in exc.problems:
                    click.echo(f"{problem.severity}: {problem.format(relative_to=root)}", err=True)
                if len([p for p in exc.problems if p.severity == "error"]) > 1:
                    click.echo(f"error: {exc.message}", err=True)
            else:
                click.echo(f"error: {exc.format(relative_to=root)}", err=True)
            sys.exit(exc.exit_code)


def _describe(problem: BriefError, root: Path | None) -> str:
    """``path:line: severity: message — hint``, one line."""
    where = problem.location(root)
    text = f"{problem.severity}: {problem.message}" + (f" — {problem.hint}" if problem.hint else "")
    return f"{where}: {text}" if where else text


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
        for warning in result.warnings:
            click.echo(f"warning: {warning.format(relative_to=root)}", err=True)
        click.echo(f"{shown}  {pages}  {result.seconds:.1f} s")
        if result.pages > result.page_budget:
            click.echo(f"warning: {result.audience} is {result.pages} pages, over its budget of "
                       f"{result.page_budget}", err=True)


@cli.command("check")
@click.argument("brief", required=False)
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def check_command(ctx: click.Context, brief: str | None, strict: bool, fmt: str) -> None:
    """Check everything a build reads, without building; report every problem."""
    import json

    from brief.check import check

    root = _root(ctx)
    report = check(root, brief)
    problems = report.sorted()
    if fmt == "json":
        click.echo(json.dumps([{"path": p.location(root).rsplit(":", 1)[0] if p.line else p.location(root),
                                "line": p.line, "severity": p.severity, "message": p.message,
                                "hint": p.hint} for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(_describe(problem, root))
        errors, warnings = len(report.errors), len(report.warnings)
        click.echo(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
                   f" in {len(report.workspace.figures)} figures, {len(report.workspace.sources)} sources, "
                   f"{len(report.usage)} brief{'s' if len(report.usage) != 1 else ''}", err=True)
    if report.errors or (strict and report.warnings):
        sys.exit(1)


@cli.command("figures")
@click.argument("brief", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
def figures_command(ctx: click.Context, brief: str | None, fmt: str) -> None:
    """List every figure: value with unit, as of, source and the audiences that print it."""
    from brief.figures import figure_rows, write_rows

    root = _root(ctx)
    click.echo(write_rows(figure_rows(root, brief), fmt), nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="brief")
