"""``brief distribute`` and its subcommands: parse options, call :mod:`brief.distribute`, print the result."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from brief.api import STATES
from brief.cli.group import cli, workspace_root
from brief.cli.options import brief_argument, format_option, sending_options


class _DistributeGroup(click.Group):
    """``brief distribute RECIPIENTS.csv …`` runs the distribution; ``status`` and ``trace`` are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@cli.group("distribute", cls=_DistributeGroup, short_help="Send stamped, traceable copies to a recipients list.")
def distribute_group() -> None:
    """Send each recipient a copy stamped for them (a dry run unless --send), with a ledger.

    brief distribute RECIPIENTS.csv [BRIEF] [--send --smtp HOST[:PORT] ...]
    """


@distribute_group.command("run", hidden=True)
@click.argument("recipients", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@brief_argument()
@sending_options("messages")
@click.option(
    "--resend", "resend", multiple=True, metavar="ADDRESS",
    help="Send this recipient the edition again, though an earlier distribution delivered it (repeatable).",
)  # fmt: skip
@click.option("--resend-all", is_flag=True, help="Send everyone the edition, whatever they received before.")
@click.pass_context
def distribute_run(ctx: click.Context, recipients: Path, brief: str | None, send: bool, smtp: str | None,
                   security: str | None, user: str | None, allow_plain_auth: bool, sender: str | None,
                   rate: float | None, resume: bool, resend_unknown: bool, resend: tuple[str, ...],
                   resend_all: bool, retry_refused: bool, allow_draft: bool) -> None:  # fmt: skip
    """Prepare (and with --send, send) one stamped copy per row of RECIPIENTS.

    A recipient who already received the same edition from an earlier distribution is passed
    over (--resend ADDRESS or --resend-all sends it again)."""
    from brief.api import DistributionRequest, distribute

    server = _server(smtp, security, user, allow_plain_auth)
    root = workspace_root(ctx)
    request = DistributionRequest(
        root, recipients.resolve(), brief, send, sender, server, rate, resume, resend_unknown, allow_draft,
        resend=frozenset(a.lower() for a in resend), resend_all=resend_all, retry_refused=retry_refused,
    )  # fmt: skip
    _finish(distribute(request, lambda line: click.echo(line, err=True)))


def _server(smtp: str | None, security: str | None, user: str | None, allow_plain_auth: bool) -> Any:
    """The SMTP server the sending options name (None without --smtp: a dry run)."""
    from brief.api import server_from

    return server_from(smtp, security or "none", user, dict(os.environ), allow_plain_auth) if smtp else None  # type: ignore[arg-type]


def _finish(summary: Any) -> None:
    """Print a send's summary; exit 1 unless every recipient is accepted (or prepared)."""
    for line in summary.lines:
        click.echo(line)
    if not summary.ok:
        sys.exit(1)


@distribute_group.command("status")
@click.option("--brief", "brief", metavar="BRIEF", help="Only the distributions of this brief.")
@click.option("--email", "email", metavar="ADDRESS", help="Only this recipient (whatever the address's case).")
@click.option(
    "--state",
    type=click.Choice(STATES),
    help="Only the rows in this state (sending: unknown, the server may have it).",
)
@format_option(("table", "csv", "json"))
@click.pass_context
def distribute_status(ctx: click.Context, brief: str | None, email: str | None, state: str | None, fmt: str) -> None:
    """Who got which copy: every recipient of every distribution, its edition, state and time.

    The table shows the distribution, the brief, the edition (audience, variant, language and
    the start of its hash), the recipient, the copy ID, the state, when it was sent (UTC) and
    whether the distribution was only a dry run; CSV and JSON export every column."""
    from brief.api import StatusFilter, status

    click.echo(status(workspace_root(ctx), fmt, StatusFilter(brief, email, state)), nl=False)


@distribute_group.command("trace")
@click.argument("pdf", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "copy_id", metavar="COPYID", help="A copy ID read off a printed page, a scan or a photo.")
@click.pass_context
def distribute_trace(ctx: click.Context, pdf: Path | None, copy_id: str | None) -> None:
    """Name the recipient of a stamped copy (also when its metadata was stripped), or of the
    copy whose ID was read off paper (--id).

    Exits 1, naming nobody, when the copy IDs in the file do not agree."""
    from brief.api import trace, trace_id
    from brief.errors import UsageError

    if (pdf is None) == (copy_id is None):
        raise UsageError("give a stamped PDF or --id COPYID, one of them", hint="brief distribute trace FILE.pdf")
    root = workspace_root(ctx)
    traced = trace(root, pdf.resolve()) if pdf is not None else trace_id(root, str(copy_id))
    for line in traced.lines:
        click.echo(line)
    if not traced.named:
        sys.exit(1)


@distribute_group.command("impact")
@click.argument("figure_id")
@format_option(("table", "csv", "json"))
@click.pass_context
def distribute_impact(ctx: click.Context, figure_id: str, fmt: str) -> None:
    """Which accepted copies printed FIGURE_ID: each recipient, the edition (brief, audience,
    variant, language), when it was sent (UTC) and the text it printed, as that edition
    printed it (a rebuild since does not change it)."""
    from brief.api import impact

    found = impact(workspace_root(ctx), figure_id, fmt)
    for note in found.notes:
        click.echo(note, err=True)
    click.echo(found.text, nl=False)


@distribute_group.command("forget")
@click.argument("distribution")
@click.pass_context
def distribute_forget(ctx: click.Context, distribution: str) -> None:
    """Remove a distribution that never sent anything (its ledger rows and copies).

    Refused when any of its messages was handed to a server."""
    from brief.api import forget

    click.echo(forget(workspace_root(ctx), distribution))


@distribute_group.command("settle")
@click.argument("message_id")
@click.argument("answer", type=click.Choice(["accepted", "resend"]))
@click.pass_context
def distribute_settle(ctx: click.Context, message_id: str, answer: str) -> None:
    """Settle a message a stopped run left unknown, as the mail server's log shows it."""
    from brief.api import settle

    click.echo(settle(workspace_root(ctx), message_id, answer))


@distribute_group.command("corrections")
@brief_argument()
@sending_options("corrections")
@click.pass_context
def distribute_corrections(ctx: click.Context, brief: str | None, send: bool, smtp: str | None,
                           security: str | None, user: str | None, allow_plain_auth: bool, sender: str | None,
                           rate: float | None, resume: bool, resend_unknown: bool, retry_refused: bool,
                           allow_draft: bool) -> None:  # fmt: skip
    """Send a corrected copy to everyone whose copy of an edition prints what the current
    build no longer prints (a figure's text, or the narrative): a dry run unless --send.

    The dry run lists them by edition, with each figure's old and new printed text."""
    from brief.api import DistributionRequest, correct

    server = _server(smtp, security, user, allow_plain_auth)
    root = workspace_root(ctx)
    request = DistributionRequest(
        root, root / "out" / "distribution.sqlite", brief, send, sender, server, rate, resume, resend_unknown,
        allow_draft, retry_refused=retry_refused,
        again="brief distribute corrections --send --resume (and the same options)",
    )  # fmt: skip
    _finish(correct(request, lambda line: click.echo(line, err=True)))
