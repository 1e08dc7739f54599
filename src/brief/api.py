"""The library under the command line: :func:`build` and :func:`check`, as ``brief build`` and
``brief check`` call them.

Importing this module (or ``brief``) loads no heavy library: the pipeline, WeasyPrint,
Altair and vl-convert are imported inside the functions, when a build needs them. Every
error is one of ours (:mod:`brief.errors`), never a Click error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from brief.errors import Problem
from brief.model.request import BuildRequest, Format, Standard, cache_dir, source_date
from brief.model.results import BuildResult


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
) -> BuildResult:
    """Build one brief for one audience into the workspace's ``out/`` and say what was written.

    *workspace* is the workspace folder or any folder inside it. *brief* may be left out when
    the workspace holds one; *audience* defaults to the brief's first. *templates* is a
    template overlay, *standard* the PDF standard (``"ua-1"``, ``"a-3a"``, ``"a-3b"``,
    ``"none"``), *format* ``"pdf"`` or ``"html"``. A PDF already built from the same inputs
    is left as it is and returned with ``up_to_date=True`` (*force* rebuilds it).

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
    )
    if not (force or strict or variant) and format == "pdf":
        done = _up_to_date(asked, started)
        if done is not None:
            return done
    from brief.runtime.parallel import run_one

    return run_one(asked, env)


def _up_to_date(asked: BuildRequest, started: float) -> BuildResult | None:
    """The PDF in out/ as a result, when it is built from the current inputs; else None."""
    from brief.publish.manifest import up_to_date
    from brief.publish.outputs import tidy

    current = up_to_date(
        asked.root, asked.brief, asked.audience, asked.overlay, asked.standard, asked.source_date_epoch
    )
    if current is None:
        return None
    pdf, pages = current
    tidy(pdf.parent)
    # Without a brief named, up_to_date found the workspace's only brief file.
    brief = Path(asked.brief).stem if asked.brief else next((asked.root / "briefs").glob("*.yaml")).stem
    # The budget is not read (that would load the workspace): the PDF was held to it when built.
    return BuildResult(pdf, pages, time.perf_counter() - started, brief, asked.audience, pages, up_to_date=True)


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
