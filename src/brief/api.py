"""The library under the command line: :func:`build` and :func:`check`, as ``brief build`` and
``brief check`` call them, and (below, :data:`_COMMANDS`) every other function a command calls.
The command line imports nothing else of the package but this module and :mod:`brief.errors`
(tests/test_architecture.py checks it).

Importing this module (or ``brief``) loads no heavy library: the pipeline, WeasyPrint,
Altair and vl-convert are imported inside the functions, when a build needs them, and the
names of :data:`_COMMANDS` when first asked for. Every error is one of ours
(:mod:`brief.errors`), never a Click error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brief.errors import Problem
from brief.model.counting import counted
from brief.model.request import BuildRequest, Format, Standard, cache_dir, source_date
from brief.model.results import BuildResult

__all__ = [
    "BuildRequest",
    "BuildResult",
    "CheckResult",
    "Format",
    "Problem",
    "Standard",
    "build",
    "check",
    "counted",
    "current_edition",
    "request",
]


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check` found: every problem (grouped by file, in line order, paths relative
    to the workspace) and how much the workspace holds."""

    problems: list[Problem]
    figures: int
    sources: int
    briefs: int

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a build."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems worth fixing that do not stop a build (unless strict)."""
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, *, strict: bool = False) -> bool:
        """True when a build would go ahead: no errors (and, with *strict*, no warnings)."""
        return not (self.errors or (strict and self.warnings))


def request(
    workspace: Path | str,
    *,
    brief: str | None = None,
    audience: str | None = None,
    variant: str | None = None,
    templates: Path | str | None = None,
    strict: bool = False,
    standard: Standard = "ua-1",
    format: Format = "pdf",
    environ: Mapping[str, str] | None = None,
    language: str | None = None,
) -> BuildRequest:
    """The :class:`BuildRequest` that :func:`build` makes from the same arguments: the
    workspace found at or above *workspace*, the brief's first audience when *audience* is
    None, ``SOURCE_DATE_EPOCH`` and the chart cache read from *environ* (default: the process
    environment). Raises :class:`~brief.errors.WorkspaceError` when there is no workspace."""
    from brief.workspace.root import find_root

    env = os.environ if environ is None else environ
    root = find_root(Path(workspace))
    if audience is None:
        from brief.pipeline.choose import default_audience

        audience = default_audience(root, brief)
    return BuildRequest(
        root=root,
        brief=brief,
        audience=audience,
        overlay=Path(templates) if templates is not None else None,
        strict=strict,
        standard=standard,
        format=format,
        source_date=source_date(env.get("SOURCE_DATE_EPOCH")),
        cache_dir=cache_dir(env),
        variant=variant,
        language=language,
    )


def build(
    workspace: Path | str,
    *,
    brief: str | None = None,
    audience: str | None = None,
    variant: str | None = None,
    templates: Path | str | None = None,
    strict: bool = False,
    standard: Standard = "ua-1",
    format: Format = "pdf",
    force: bool = False,
    environ: Mapping[str, str] | None = None,
    language: str | None = None,
) -> BuildResult:
    """Build one brief for one audience into the workspace's ``out/`` and say what was written.

    *workspace* is the workspace folder or any folder inside it. *brief* may be left out when
    the workspace holds one; *audience* defaults to the brief's first. *templates* is a
    template overlay, *standard* the PDF standard (``"ua-1"``, ``"a-3a"``, ``"a-3b"``,
    ``"none"``), *format* ``"pdf"`` or ``"html"``. A PDF already built from the same inputs
    is left as it is and returned with ``up_to_date=True`` (*force* rebuilds it). *language*
    is one of a brief's ``languages`` (default: its first).

    Raises :class:`~brief.errors.CheckFailed` (its ``problems`` are every problem found) when
    the check before the build finds errors, and another :class:`~brief.errors.BriefError`
    (``WorkspaceError``, ``DataError``, ``TemplateError``, ``ChartError``, ``TypesetError``,
    ``BudgetError`` with *strict*, ``PublishError``) when a stage cannot go on."""
    started = time.perf_counter()
    env = os.environ if environ is None else environ
    asked = request(
        workspace,
        brief=brief,
        audience=audience,
        variant=variant,
        templates=templates,
        strict=strict,
        standard=standard,
        format=format,
        environ=env,
        language=language or _first_language(Path(workspace), brief),
    )
    if not (force or strict or variant) and format == "pdf":
        done = _up_to_date(asked, started)
        if done is not None:
            return done
    from brief.runtime.parallel import run_one

    return run_one(asked, env)


def _first_language(workspace: Path, brief: str | None) -> str | None:
    """A brief in several languages is built in its first unless told: every text in it."""
    from brief.workspace.root import brief_languages, find_root

    languages = brief_languages(find_root(workspace), brief) or []
    return languages[0] if len(languages) > 1 else None


def _up_to_date(asked: BuildRequest, started: float) -> BuildResult | None:
    """The PDF in out/ as a result, when it is built from the current inputs; else None."""
    current = current_edition(asked)
    if current is None:
        return None
    pdf, pages = current
    # Without a brief named, up_to_date found the workspace's only brief file.
    brief = Path(asked.brief).stem if asked.brief else next((asked.root / "briefs").glob("*.yaml")).stem
    # The budget is not read (that would load the workspace): the PDF was held to it when built.
    return BuildResult(pdf, pages, time.perf_counter() - started, brief, asked.audience, pages, up_to_date=True)


def current_edition(asked: BuildRequest) -> tuple[Path, int] | None:
    """The edition *asked* names (brief, audience, variant, language) as it is in out/, with
    its page count, when it is built from its current inputs (temporary files a killed build
    left beside it are removed); else None, and a build says why."""
    from brief.publish.manifest import up_to_date
    from brief.publish.outputs import tidy

    current = up_to_date(asked)
    if current is not None:
        tidy(current[0].parent)
    return current


def check(
    workspace: Path | str,
    *,
    brief: str | None = None,
    templates: Path | str | None = None,
) -> CheckResult:
    """Check everything a build of the workspace (or only of *brief*) reads, with the
    template overlay *templates* if given, without building; every problem, as data.

    Problems found are returned, not raised (see :meth:`CheckResult.ok`). Raises
    :class:`~brief.errors.WorkspaceError` only when there is no workspace at or above
    *workspace*."""
    from brief.pipeline.check import check as run_check
    from brief.workspace.root import find_root

    root = find_root(Path(workspace))
    report = run_check(root, brief, overlay=Path(templates) if templates is not None else None, render=True)
    ws = report.workspace
    return CheckResult([p.problem(root) for p in report.sorted()], len(ws.figures), len(ws.sources), len(ws.briefs))


# What the other commands call, by the name the command line imports it as: (module, name).
# Each is loaded when first asked for, so that `brief --help` imports none of them.
_COMMANDS = {
    # finding and reading a workspace
    "find_root": ("brief.workspace.root", "find_root"),
    "load_workspace": ("brief.workspace.load", "load_workspace"),
    # brief init, brief new audience, brief new brief
    "init_workspace": ("brief.commands.init", "init_workspace"),
    "new_audience": ("brief.commands.scaffold", "new_audience"),
    "new_brief": ("brief.commands.scaffold", "new_brief"),
    # brief figures, brief charts, brief docs, brief preview
    "figure_rows": ("brief.commands.figures", "figure_rows"),
    "write_rows": ("brief.commands.figures", "write_rows"),
    "export_charts": ("brief.commands.export", "export_charts"),
    "listing": ("brief.commands.docs", "listing"),
    "read_topic": ("brief.commands.docs", "read_topic"),
    "serve": ("brief.commands.preview", "serve"),
    # brief verify, and the editions brief build --all finds up to date
    "verify": ("brief.publish.verify", "verify"),
    "copy_ids": ("brief.distribute.stampread", "copy_ids"),
    "where_to_check": ("brief.publish.verify", "where_to_check"),
    "up_to_date": ("brief.publish.manifest", "up_to_date"),
    "tidy": ("brief.publish.outputs", "tidy"),
    # brief build --all and --all-briefs
    "plan_builds": ("brief.runtime.parallel", "plan"),
    "run_all": ("brief.runtime.parallel", "run_all"),
    "BuildTarget": ("brief.runtime.parallel", "Target"),
    # brief distribute
    "distribute": ("brief.distribute.run", "distribute"),
    "correct": ("brief.distribute.correcting", "correct"),
    "DistributionRequest": ("brief.distribute.run", "Request"),
    "server_from": ("brief.distribute.smtp", "server_from"),
    "STATES": ("brief.distribute.ledger", "STATES"),
    "StatusFilter": ("brief.distribute.report", "Filter"),
    "status": ("brief.distribute.report", "status"),
    "trace": ("brief.distribute.report", "trace"),
    "trace_id": ("brief.distribute.report", "trace_id"),
    "impact": ("brief.distribute.report", "impact"),
    "forget": ("brief.distribute.report", "forget"),
    "settle": ("brief.distribute.report", "settle"),
}

__all__ += [  # the commands' functions (_COMMANDS)
    "STATES",
    "BuildTarget",
    "DistributionRequest",
    "StatusFilter",
    "copy_ids",
    "correct",
    "distribute",
    "export_charts",
    "figure_rows",
    "find_root",
    "forget",
    "impact",
    "init_workspace",
    "listing",
    "load_workspace",
    "new_audience",
    "new_brief",
    "plan_builds",
    "read_topic",
    "run_all",
    "serve",
    "server_from",
    "settle",
    "status",
    "tidy",
    "trace",
    "trace_id",
    "up_to_date",
    "verify",
    "where_to_check",
    "write_rows",
]

if TYPE_CHECKING:  # the same names, for type checkers (tests/test_api.py checks the two agree)
    from brief.commands.docs import listing as listing
    from brief.commands.docs import read_topic as read_topic
    from brief.commands.export import export_charts as export_charts
    from brief.commands.figures import figure_rows as figure_rows
    from brief.commands.figures import write_rows as write_rows
    from brief.commands.init import init_workspace as init_workspace
    from brief.commands.preview import serve as serve
    from brief.commands.scaffold import new_audience as new_audience
    from brief.commands.scaffold import new_brief as new_brief
    from brief.distribute.correcting import correct as correct
    from brief.distribute.ledger import STATES as STATES
    from brief.distribute.report import Filter as StatusFilter
    from brief.distribute.report import forget as forget
    from brief.distribute.report import impact as impact
    from brief.distribute.report import settle as settle
    from brief.distribute.report import status as status
    from brief.distribute.report import trace as trace
    from brief.distribute.report import trace_id as trace_id
    from brief.distribute.run import Request as DistributionRequest
    from brief.distribute.run import distribute as distribute
    from brief.distribute.smtp import server_from as server_from
    from brief.distribute.stampread import copy_ids as copy_ids
    from brief.publish.manifest import up_to_date as up_to_date
    from brief.publish.outputs import tidy as tidy
    from brief.publish.verify import verify as verify
    from brief.publish.verify import where_to_check as where_to_check
    from brief.runtime.parallel import Target as BuildTarget
    from brief.runtime.parallel import plan as plan_builds
    from brief.runtime.parallel import run_all as run_all
    from brief.workspace.load import load_workspace as load_workspace
    from brief.workspace.root import find_root as find_root
else:

    def __getattr__(name: str) -> Any:
        # Looked up each time, not kept: a test that replaces the function in its module
        # replaces it for the command line too.
        if name in _COMMANDS:
            from importlib import import_module

            module, attribute = _COMMANDS[name]
            return getattr(import_module(module), attribute)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
