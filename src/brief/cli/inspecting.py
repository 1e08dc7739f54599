"""``brief figures``, ``brief charts``, ``brief verify`` and ``brief list``: read what a workspace holds or made."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from brief.cli.group import cli, templates_option, workspace_root
from brief.model.counting import counted


@cli.command("figures", short_help="List the figures with value, unit, source and use.")
@click.argument("brief", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def figures_command(ctx: click.Context, brief: str | None, fmt: str) -> None:
    """List every figure (or only those BRIEF uses): value, unit, printed text, as of, source
    and the audiences that print it."""
    from brief.commands.figures import figure_rows, write_rows

    root = workspace_root(ctx)
    click.echo(write_rows(figure_rows(root, brief), fmt), nl=False)


@cli.command("charts", short_help="Export an audience's charts for slides (SVG or PNG).")
@click.argument("brief", required=False)
@click.option("-a", "--audience", help="Export this audience's charts (default: the brief's first audience).")
@click.option("--variant", help="The variant whose charts to export, for a brief with for_each (its id).")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True)
@click.option(
    "--scale",
    type=click.FloatRange(0.5, 8),
    default=2.0,
    show_default=True,
    help="PNG resolution as a multiple of the chart's size.",
)
@click.pass_context
def charts_command(
    ctx: click.Context, brief: str | None, audience: str | None, variant: str | None, fmt: str, scale: float
) -> None:
    """Export the audience's charts, each with its title and source line, for slides."""
    from brief.commands.export import export_charts
    from brief.pipeline.choose import default_audience

    root = workspace_root(ctx)
    audience = audience or default_audience(root, brief)
    for path in export_charts(root, brief, audience, fmt, scale, variant):
        click.echo(str(path.relative_to(root)))


@cli.command("verify", short_help="Check a PDF or HTML edition against its manifest.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The manifest.json that records FILE (default: the one beside FILE, else the workspace's out/).",
)
@templates_option("Check with this overlay instead of the one the manifest records.")
@click.pass_context
def verify_command(ctx: click.Context, file: Path, manifest: Path | None, overlay: Path | None) -> None:
    """Check that FILE (a PDF or HTML edition, under any name) is a file brief built, and that
    the workspace's inputs are still the ones it was built from."""
    from brief.distribute.stampread import copy_ids
    from brief.publish.verify import verify, where_to_check

    manifest, ctx.obj["root"] = where_to_check(file, manifest, ctx.obj["start"], ctx.obj["start"] != Path.cwd())
    verdict = verify(file.resolve(), manifest, ctx.obj["root"], overlay, copy_ids)
    for line in verdict.lines:
        click.echo(line)
    if not verdict.ok:
        sys.exit(1)


@cli.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the briefs, their audiences and page budgets."""
    from brief.workspace.load import load_workspace

    ws = load_workspace(workspace_root(ctx))
    for bid, brief in ws.briefs.items():
        click.echo(f"{bid}  {brief.title}  ({brief.date.isoformat()})")
        for name, audience in brief.audiences.items():
            click.echo(
                f"  {name:<12} {audience.label:<24} budget {counted(audience.page_budget, 'page'):<9}  "
                f"{counted(len(audience.sections), 'section'):<11}  {counted(len(audience.charts), 'chart')}"
            )
