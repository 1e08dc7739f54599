"""``brief init`` and ``brief new``: start a workspace, a brief or an audience."""

from __future__ import annotations

from pathlib import Path

import click

from brief.cli.group import cli, workspace_root
from brief.cli.options import brief_argument


@cli.command("init", short_help="Start a new workspace with a brief that builds at once.")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", help="Copy an example workspace instead of the starter (e.g. us-china-ai-gap).")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty (same-named files are replaced).")
@click.pass_context
def init_command(ctx: click.Context, directory: Path | None, example: str | None, force: bool) -> None:
    """Write a workspace into DIRECTORY (default: the current folder): a sourced two-page
    starter brief with its data, one chart, one audience and a commented brand file."""
    from brief.api import init_workspace

    target = directory if directory is not None else ctx.obj["start"]
    done = init_workspace(target, example, force)
    n = len(done.files)
    click.echo(f"wrote {n} file{'s' if n != 1 else ''} into {target}")
    step = "" if target.resolve() == Path.cwd().resolve() else f"cd {target} && "
    click.echo(f"next: {step}brief build")


@cli.group()
def new() -> None:
    """Scaffold a new audience or brief."""


@new.command("audience")
@click.argument("name")
@click.option("--from", "source", help="Audience to copy (default: policy, else the brief's first).")
@brief_argument()
@click.option("--brief", "brief_id", help="Brief to add it to (the same as the BRIEF argument).")
@click.pass_context
def new_audience_command(
    ctx: click.Context, name: str, brief: str | None, source: str | None, brief_id: str | None
) -> None:
    """Copy an audience's templates to a new folder NAME beside them and add NAME to BRIEF's
    file (BRIEF may be left out when the workspace holds one brief)."""
    from brief.api import load_workspace, new_audience

    root = workspace_root(ctx)
    brief = brief or brief_id
    for path in new_audience(load_workspace(root), name, source, brief):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"build it with: brief build {brief + ' ' if brief else ''}--audience {name}")


@new.command("brief")
@click.argument("name")
@click.pass_context
def new_brief_command(ctx: click.Context, name: str) -> None:
    """Create briefs/NAME.yaml and templates/NAME/policy/ with a first section."""
    from brief.api import load_workspace, new_brief

    root = workspace_root(ctx)
    for path in new_brief(load_workspace(root), name):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"build it with: brief build {name}")
