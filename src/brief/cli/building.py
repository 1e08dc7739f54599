"""``brief build``, ``brief check`` and ``brief preview``: the commands that typeset."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import click

from brief.api import counted
from brief.cli.group import cli, workspace_root
from brief.cli.options import brief_argument, edition_options, format_option, templates_option
from brief.errors import BriefError, CheckFailed

if TYPE_CHECKING:
    from brief.api import BuildRequest, BuildResult, BuildTarget, Format, Standard
    from brief.errors import Problem


@cli.command(short_help="Build the brief for one or more audiences into out/.")
@edition_options(
    audience="Audience to build (default: the brief's first); repeat for several.",
    variant="The variant to build, for a brief with for_each (its id).",
    language="The language to build, for a brief with `languages` (default: its first; --all: every one).",
    several=True,
)
@click.option("--all", "all_audiences", is_flag=True, help="Build every audience (and every variant) of the brief.")
@click.option("--all-briefs", is_flag=True, help="Build every audience of every brief.")
@templates_option()
@click.option("--strict", is_flag=True, help="Warnings and pages over budget are errors.")
@click.option(
    "--pdf-standard",
    "standard",
    type=click.Choice(["ua-1", "a-3a", "a-3b", "none"]),
    default="ua-1",
    show_default=True,
    help="PDF/UA-1 (accessible); PDF/A-3a (archival and tagged, data attached); "
    "PDF/A-3b (archival, untagged); or plain PDF. Each has its own file name: NAME-AUDIENCE.pdf, -a3a.pdf, "
    "-a3b.pdf, -plain.pdf.",
)
@format_option(("pdf", "html"), "The print PDF, or a self-contained HTML edition for the web and email.")
@click.option("--force", is_flag=True, help="Rebuild even when the PDF is up to date.")
@click.pass_context
def build(
    ctx: click.Context,
    brief: str | None,
    audiences: tuple[str, ...],
    variant: str | None,
    all_audiences: bool,
    all_briefs: bool,
    language: str | None,
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
    from brief.api import build as build_one
    from brief.api import request as build_request

    started = time.perf_counter()
    root = workspace_root(ctx)
    many = all_audiences or all_briefs or len(audiences) > 1
    # Click's Choice has checked the standard and the format.
    options = _BuildOptions(templates=overlay, strict=strict, standard=standard, format=fmt, language=language)  # type: ignore[typeddict-item]
    if not many:
        try:
            result = build_one(
                root, brief=brief, audience=audiences[0] if audiences else None, variant=variant, force=force, **options
            )
        except CheckFailed as exc:
            line = strict_summary(exc.problems) if strict else None
            if line is not None:
                raise CheckFailed([*exc.problems, BriefError(line)]) from None
            raise
        if result.up_to_date:
            _say_up_to_date(root, result.path, result.pages, started)
        else:
            _report_build(root, result)
        return
    # --all and --all-briefs plan their audiences from the brief: none is picked here.
    request = build_request(root, brief=brief, audience=audiences[0] if audiences else "", variant=variant, **options)
    _build_all(request, list(audiences), all_audiences, all_briefs, not (force or strict) and fmt == "pdf", started)


def strict_summary(problems: Sequence[Problem | BriefError]) -> str | None:
    """The line that ends a --strict run stopped by warnings alone (None if errors stopped it)."""
    warnings = sum(p.severity == "warning" for p in problems)
    if not warnings or any(p.severity == "error" for p in problems):
        return None
    verb = "is an error" if warnings == 1 else "are errors"
    return f"{counted(warnings, 'warning')} {verb} under --strict; nothing was written"


class _BuildOptions(TypedDict):
    templates: Path | None
    strict: bool
    standard: Standard
    format: Format
    language: str | None


def _said_up_to_date(
    request: BuildRequest, brief: str, audience: str, variant: str, language: str | None, started: float
) -> bool:
    """Say so and return True when the edition's PDF is built from its current inputs."""
    from brief.api import current_edition

    current = current_edition(request.for_audience(brief, audience, variant or None, language))
    if current is None:
        return False
    pdf, pages = current
    _say_up_to_date(request.root, pdf, pages, started)
    return True


def _say_up_to_date(root: Path, pdf: Path, pages: int, started: float) -> None:
    click.echo(
        f"{pdf.relative_to(root)}  {counted(pages, 'page')}  up to date "
        f"({time.perf_counter() - started:.2f} s; --force to rebuild)"
    )


def _build_all(
    request: BuildRequest, audiences: list[str], all_audiences: bool, all_briefs: bool, check: bool, started: float
) -> None:
    from brief.api import run_all

    def wanted(t: BuildTarget) -> bool:
        # Each edition built from its current inputs is said to be up to date, not rebuilt.
        return not _said_up_to_date(
            request, t.brief, t.audience, t.variant or request.variant or "", t.language, started
        )

    targets, outcomes = run_all(
        request, audiences, all_audiences, all_briefs, os.environ, wanted=wanted if check else None
    )
    if not targets:
        return
    failed = 0
    with click.progressbar(outcomes, length=len(targets), label="Building", file=sys.stderr) as bar:
        for outcome in bar:
            if outcome.result is None:
                failed += 1
                for problem in outcome.problems:
                    click.echo(f"{outcome.target.label}: {problem.format()}", err=True)
                line = strict_summary(outcome.problems) if request.strict else None
                if line is not None:
                    click.echo(f"{outcome.target.label}: error: {line}", err=True)
            else:
                _report_build(request.root, outcome.result)
    if failed:
        click.echo(f"error: {failed} of {counted(len(targets), 'build')} failed", err=True)
        sys.exit(1)


def _report_build(root: Path, result: BuildResult) -> None:
    for warning in result.warnings:
        click.echo(warning.format(), err=True)
    path = result.path
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    if path.suffix == ".html":
        click.echo(f"{shown}  {path.stat().st_size // 1024} KB  {result.seconds:.1f} s")
        return
    pages = result.pages
    click.echo(f"{shown}  {counted(pages, 'page')}  {result.seconds:.1f} s")
    if pages > result.page_budget:
        click.echo(
            f"warning: {result.audience} is {counted(pages, 'page')}, over its budget of {result.page_budget}", err=True
        )


@cli.command("check", short_help="Check everything a build reads; list every problem.")
@brief_argument()
@templates_option("Check this template overlay too, as a build with it would use it.")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@format_option(("text", "json"))
@click.pass_context
def check_command(ctx: click.Context, brief: str | None, overlay: Path | None, strict: bool, fmt: str) -> None:
    """Check everything a build reads, without building; report every problem."""
    import json

    from brief.api import check

    root = workspace_root(ctx)
    report = check(root, brief=brief, templates=overlay)
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in report.problems], indent=2))
    else:
        for problem in report.problems:
            click.echo(problem.format())
        counts = [
            (len(report.errors), "error"),
            (len(report.warnings), "warning"),
            (report.figures, "figure"),
            (report.sources, "source"),
            (report.briefs, "brief"),
        ]
        said = [counted(n, word) for n, word in counts]
        click.echo(f"{said[0]}, {said[1]} in {', '.join(said[2:])}", err=True)
        line = strict_summary(report.problems) if strict else None
        if line is not None:
            click.echo(f"error: {line}", err=True)
    if not report.ok(strict=strict):
        sys.exit(1)


@cli.command("preview", short_help="Show the pages in a browser, rebuilt on save.")
@edition_options(
    audience="The audience shown first (default: the brief's first audience).",
    variant="The variant to show, for a brief with for_each (its id).",
    language="The language to show, for a brief with `languages` (default: its first).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@templates_option()
@click.pass_context
def preview_command(
    ctx: click.Context,
    brief: str | None,
    audience: str | None,
    variant: str | None,
    language: str | None,
    port: int,
    overlay: Path | None,
) -> None:
    """Show the typeset pages in a browser, rebuilt each time a file is saved."""
    from brief.api import request as build_request
    from brief.api import serve

    root = workspace_root(ctx)
    request = build_request(
        root, brief=brief, audience=audience or None, variant=variant, templates=overlay, language=language
    )
    serve(request, port, lambda line: click.echo(line, err=True))
