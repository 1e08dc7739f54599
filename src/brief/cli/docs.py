"""``brief docs``: the documentation that ships with brief, read where it is installed."""

from __future__ import annotations

import sys

import click

from brief.cli.group import cli


@cli.command("docs", short_help="Read the documentation (reference, customising, distributing, ...).")
@click.argument("topic", required=False)
def docs_command(topic: str | None) -> None:
    """Print the documentation page TOPIC (with no TOPIC, the list of topics). On a terminal it
    opens in a pager; piped or redirected, it is printed as it is."""
    from brief.api import listing, read_topic

    text = listing() if topic is None else read_topic(topic)
    if topic is not None and sys.stdout.isatty():
        click.echo_via_pager(text)
    else:
        click.echo(text, nl=False)
