"""``brief figures``, ``brief charts``, ``brief verify`` and ``brief list``: read what a workspace holds or made."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from brief.cli.group import cli, workspace_root
from brief.cli.options import brief_argument, edition_options, format_option, templates_option


@cli.command("figures", short_help="List the figures with value, unit, source and use.")
@brief_argument()
@format_option(("table", "csv", "json"))
@click.pass_context
def figures_command(ctx: click.Context, brief: str | None, fmt: str) -> None:
    """List every figure (or only those BRIEF uses): value, unit, printed text, as of, source
    and the audiences that print it."""
    from brief.api import figure_rows, write_rows

    root = workspace_root(ctx)
    click.echo(write_rows(figure_rows(root, brief), fmt), nl=False)


@cli.command("charts", short_help="Export an audience's charts for slides (SVG or PNG).")
@edition_options(
    audience="Export this audience's charts (default: the brief's first audience).",
    variant="The variant whose charts to export, for a brief with for_each (its id).",
    language="The language of the charts, for a brief with `languages` (default: its first).",
)
@format_option(("svg", "png"))
@click.option(
    "--scale",
    type=click.FloatRange(0.5, 8),
    default=2.0,
    show_default=True,
    help="PNG resolution as a multiple of the chart's size.",
)
@click.pass_context
def charts_command(
    ctx: click.Context,
    brief: str | None,
    audience: str | None,
    variant: str | None,
    language: str | None,
    fmt: str,
    scale: float,
) -> None:
    """Export the audience's charts, each with its title and source line, for slides."""
    from brief.api import export_charts, request

    root = workspace_root(ctx)
    asked = request(root, brief=brief, audience=audience, variant=variant, language=language)
    for path in export_charts(asked, fmt, scale):
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
    from brief.api import copy_ids, verify, where_to_check

    manifest, ctx.obj["root"] = where_to_check(file, manifest, ctx.obj["start"], ctx.obj["start"] != Path.cwd())
    verdict = verify(file.resolve(), manifest, ctx.obj["root"], overlay, copy_ids)
    for line in verdict.lines:
        click.echo(line)
    if not verdict.ok:
        sys.exit(1)


@cli.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the briefs, their languages and variants, their audiences and page budgets."""
    from brief.api import counted, load_workspace

    ws = load_workspace(workspace_root(ctx))
    for bid, brief in ws.briefs.items():
        click.echo(f"{bid}  {brief.title}  ({brief.date.isoformat()})")
        if len(brief.editions_languages) > 1:
            click.echo(f"  {counted(len(brief.editions_languages), 'language')}: {', '.join(brief.editions_languages)}")
        variants = [v.id for v in ws.variants.get(bid, [])]
        if variants:
            shown = ", ".join(variants[:12]) + (f" … ({len(variants)} in all)" if len(variants) > 12 else "")
            click.echo(f"  {counted(len(variants), 'variant')}: {shown}")
        for name, audience in brief.audiences.items():
            click.echo(
                f"  {name:<12} {audience.label:<24} budget {counted(audience.page_budget, 'page'):<9}  "
                f"{counted(len(audience.sections), 'section'):<11}  {counted(len(audience.charts), 'chart')}"
            )
