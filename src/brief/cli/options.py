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


def sending_options(what: str) -> Callable[[F], F]:
    """How a command that mails copies sends them: ``--send``, the SMTP server and login,
    ``--from``, ``--rate``, and how a stopped or refused send continues. *what* names what is
    sent ("messages", "corrections") in the help texts."""
    return _stacked(
        click.option("--send", is_flag=True, help=f"Send the {what} (without it: a dry run into out/distribution/)."),
        click.option("--smtp", "smtp", metavar="HOST[:PORT]", help="The SMTP server."),
        click.option("--starttls", "security", flag_value="starttls", help="Upgrade the connection with STARTTLS."),
        click.option("--ssl", "security", flag_value="ssl", help="Connect with TLS."),
        click.option(
            "--user",
            envvar="BRIEF_SMTP_USER",
            help="SMTP user (or BRIEF_SMTP_USER); password from BRIEF_SMTP_PASSWORD.",
        ),
        click.option(
            "--allow-plain-auth", is_flag=True, help="Allow --user without --starttls/--ssl (the password unencrypted)."
        ),
        click.option("--from", "sender", envvar="BRIEF_SMTP_FROM", metavar="ADDRESS", help="The sender's address."),
        click.option(
            "--rate", type=click.FloatRange(min=0.01), metavar="PER_SECOND", help="At most this many messages a second."
        ),
        click.option("--resume", is_flag=True, help=f"Continue a send: accepted {what} are never sent again."),
        click.option("--resend-unknown", is_flag=True, help=f"Also resend {what} a stopped run left unknown."),
        click.option("--retry-refused", is_flag=True, help=f"Send the {what} the server refused again."),
        click.option("--allow-draft", is_flag=True, help="Send a brief marked draft."),
    )
