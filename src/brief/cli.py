"""The command line: parse options, call the library, print the result.

Library errors (``BriefError``) become one line on stderr and a non-zero exit status;
a traceback only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brief.errors import BriefError, CheckFailed

if TYPE_CHECKING:
    from brief.model.request import BuildRequest
    from brief.model.results import BuildResult


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
            if isinstance(exc, CheckFailed) and len([p for p in exc.problems if p.severity == "error"]) > 1:
                click.echo(f"error: {exc.message}", err=True)
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


def _root(ctx: click.Context) -> Path:
    from brief.workspace.root import find_root

    root = find_root(ctx.obj["start"])
    ctx.obj["root"] = root
    return root


@cli.command(short_help="Build the brief for one or more audiences into out/.")
@click.argument("brief", required=False)
@click.option(
    "-a", "--audience", "audiences", multiple=True, help="Audience to build (default: policy); repeat for several."
)
@click.option("--all", "all_audiences", is_flag=True, help="Build every audience (and every variant) of the brief.")
@click.option("--variant", help="The variant to build, for a brief with for_each (its id).")
@click.option("--all-briefs", is_flag=True, help="Build every audience of every brief.")
@click.option(
    "--templates",
    "overlay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of templates that wins, file by file, over the workspace's.",
)
@click.option("--strict", is_flag=True, help="Warnings and pages over budget are errors.")
@click.option(
    "--pdf-standard",
    "standard",
    type=click.Choice(["ua-1", "a-3b", "none"]),
    default="ua-1",
    show_default=True,
    help="PDF/UA-1 (accessible), PDF/A-3b (archival, data attached) or plain PDF.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html"]),
    default="pdf",
    show_default=True,
    help="The print PDF, or a self-contained HTML edition for the web and email.",
)
@click.option("--force", is_flag=True, help="Rebuild even when the PDF is up to date.")
@click.pass_context
def build(
    ctx: click.Context,
    brief: str | None,
    audiences: tuple[str, ...],
    all_audiences: bool,
    variant: str | None,
    all_briefs: bool,
    overlay: Path | None,
    strict: bool,
    standard: str,
    fmt: str,
    force: bool,
) -> None:
    """Build BRIEF (optional when the workspace holds one) for each audience into out/.

    Several audiences are typeset in parallel, one per core. A PDF already built from the
    same inputs is left as it is (--force rebuilds it).
    """
    import time

    from brief.model.request import BuildRequest, cache_dir, source_date

    started = time.perf_counter()
    root = _root(ctx)
    request = BuildRequest(
        root,
        brief,
        audiences[0] if audiences else "policy",
        overlay,
        strict,
        standard,  # type: ignore[arg-type]  # Click's Choice has checked it
        fmt,  # type: ignore[arg-type]
        source_date(os.environ.get("SOURCE_DATE_EPOCH")),
        cache_dir(os.environ),
        variant,
    )
    many = all_audiences or all_briefs or len(audiences) > 1
    if not (force or many or strict or variant) and fmt == "pdf":
        from brief.publish.manifest import up_to_date

        current = up_to_date(root, brief, request.audience, overlay, standard, request.source_date_epoch)
        if current is not None:
            pdf, pages = current
            click.echo(
                f"{pdf.relative_to(root)}  {pages} page{'s' if pages != 1 else ''}  up to date "
                f"({time.perf_counter() - started:.2f} s; --force to rebuild)"
            )
            return
    if not many:
        from brief.runtime.parallel import run_one

        _report_build(root, run_one(request, os.environ))
        return
    _build_all(request, list(audiences), all_audiences, all_briefs)


def _build_all(request: BuildRequest, audiences: list[str], all_audiences: bool, all_briefs: bool) -> None:
    from brief.runtime.parallel import run_all

    targets, outcomes = run_all(request, audiences, all_audiences, all_briefs, os.environ)
    failed = 0
    with click.progressbar(outcomes, length=len(targets), label="Building", file=sys.stderr) as bar:
        for outcome in bar:
            if outcome.result is None:
                failed += 1
                for problem in outcome.problems:
                    click.echo(f"{outcome.target.label}: {problem.format()}", err=True)
            else:
                _report_build(request.root, outcome.result)
    if failed:
        click.echo(f"error: {failed} of {len(targets)} builds failed", err=True)
        sys.exit(1)


def _report_build(root: Path, result: BuildResult) -> None:
    for warning in result.warnings:
        click.echo(warning.problem(root).format(), err=True)
    path = result.path
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    if path.suffix == ".html":
        click.echo(f"{shown}  {path.stat().st_size // 1024} KB  {result.seconds:.1f} s")
        return
    pages = result.pages
    click.echo(f"{shown}  {pages} page{'s' if pages != 1 else ''}  {result.seconds:.1f} s")
    if pages > result.page_budget:
        click.echo(f"warning: {result.audience} is {pages} pages, over its budget of {result.page_budget}", err=True)


@cli.command("check", short_help="Check everything a build reads; list every problem.")
@click.argument("brief", required=False)
@click.option(
    "--templates",
    "overlay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check this template overlay too, as a build with it would use it.",
)
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def check_command(ctx: click.Context, brief: str | None, overlay: Path | None, strict: bool, fmt: str) -> None:
    """Check everything a build reads, without building; report every problem."""
    import json

    from brief.pipeline.check import check

    root = _root(ctx)
    report = check(root, brief, overlay=overlay, render=True)
    problems = [p.problem(root) for p in report.sorted()]
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(problem.format())
        ws = report.workspace
        counts = [
            (len(report.errors), "error"),
            (len(report.warnings), "warning"),
            (len(ws.figures), "figure"),
            (len(ws.sources), "source"),
            (len(ws.briefs), "brief"),
        ]
        said = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts]
        click.echo(f"{said[0]}, {said[1]} in {', '.join(said[2:])}", err=True)
    if report.errors or (strict and report.warnings):
        sys.exit(1)


@cli.command("figures", short_help="List every figure with its value, source and use.")
@click.argument("brief", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def figures_command(ctx: click.Context, brief: str | None, fmt: str) -> None:
    """List every figure: value with unit, as of, source and the audiences that print it."""
    from brief.commands.figures import figure_rows, write_rows

    root = _root(ctx)
    click.echo(write_rows(figure_rows(root, brief), fmt), nl=False)


@cli.command("charts", short_help="Export an audience's charts for slides (SVG or PNG).")
@click.argument("brief", required=False)
@click.option("-a", "--audience", default="policy", show_default=True, help="Export this audience's charts.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True)
@click.option(
    "--scale",
    type=click.FloatRange(0.5, 8),
    default=2.0,
    show_default=True,
    help="PNG resolution as a multiple of the chart's size.",
)
@click.pass_context
def charts_command(ctx: click.Context, brief: str | None, audience: str, fmt: str, scale: float) -> None:
    """Export the audience's charts, each with its title and source line, for slides."""
    from brief.commands.export import export_charts

    root = _root(ctx)
    for path in export_charts(root, brief, audience, fmt, scale):
        click.echo(str(path.relative_to(root)))


@cli.command("verify", short_help="Check a PDF against out/manifest.json.")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--templates",
    "overlay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The overlay folder the PDF was built with, if any.",
)
@click.pass_context
def verify_command(ctx: click.Context, pdf: Path, overlay: Path | None) -> None:
    """Check that PDF is the file brief built, from the workspace's current inputs."""
    from brief.publish.manifest import verify

    if ctx.obj["start"] == Path.cwd():
        ctx.obj["start"] = pdf.resolve().parent
    verdict = verify(pdf.resolve(), _root(ctx), overlay)
    for line in verdict.lines:
        click.echo(line)
    if not verdict.ok:
        sys.exit(1)


@cli.command("preview", short_help="Show the pages in a browser, rebuilt on save.")
@click.argument("brief", required=False)
@click.option("-a", "--audience", default="policy", show_default=True, help="The audience shown first.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--templates",
    "overlay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of templates that wins, file by file, over the workspace's.",
)
@click.pass_context
def preview_command(ctx: click.Context, brief: str | None, audience: str, port: int, overlay: Path | None) -> None:
    """Show the typeset pages in a browser, rebuilt each time a file is saved."""
    from brief.commands.preview import serve
    from brief.model.request import BuildRequest, cache_dir, source_date

    request = BuildRequest(
        _root(ctx),
        brief,
        audience,
        overlay,
        source_date=source_date(os.environ.get("SOURCE_DATE_EPOCH")),
        cache_dir=cache_dir(os.environ),
    )
    serve(request, port, lambda line: click.echo(line, err=True))


@cli.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the briefs, their audiences and page budgets."""
    from brief.workspace.load import load_workspace

    ws = load_workspace(_root(ctx))
    for bid, brief in ws.briefs.items():
        click.echo(f"{bid}  {brief.title}  ({brief.date.isoformat()})")
        for name, audience in brief.audiences.items():
            click.echo(
                f"  {name:<12} {audience.label:<24} budget {audience.page_budget:>2} pages  "
                f"{len(audience.sections)} sections  {len(audience.charts)} charts"
            )


@cli.group()
def new() -> None:
    """Scaffold a new audience or brief."""


@new.command("audience")
@click.argument("name")
@click.option("--from", "source", help="Audience to copy (default: policy).")
@click.option("--brief", "brief_id", help="Brief to add it to (optional when there is one).")
@click.pass_context
def new_audience_command(ctx: click.Context, name: str, source: str | None, brief_id: str | None) -> None:
    """Copy an audience's templates to templates/NAME and add NAME to the brief file."""
    from brief.commands.scaffold import new_audience
    from brief.workspace.load import load_workspace

    root = _root(ctx)
    for path in new_audience(load_workspace(root), name, source, brief_id):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"build it with: brief build --audience {name}")


@new.command("brief")
@click.argument("name")
@click.pass_context
def new_brief_command(ctx: click.Context, name: str) -> None:
    """Create briefs/NAME.yaml and templates/NAME/policy/ with a first section."""
    from brief.commands.scaffold import new_brief
    from brief.workspace.load import load_workspace

    root = _root(ctx)
    for path in new_brief(load_workspace(root), name):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"build it with: brief build {name}")


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
