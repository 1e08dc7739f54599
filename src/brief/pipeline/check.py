"""Checks: everything a build reads, validated without building, every problem at once.

``brief check`` reports these; ``brief build`` runs them first and refuses to build on an
error. Templates are checked statically (Jinja's parser, not a render), so a check is
fast and needs neither Altair nor WeasyPrint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import BriefError, BriefWarning, CheckFailed, DataError, TemplateError, WorkspaceError, unique
from brief.model.counting import counted
from brief.model.request import BuildRequest
from brief.model.schema import Brief
from brief.model.units import format_value
from brief.pipeline.check_charts import own_spec_problems
from brief.pipeline.check_templates import check_template, hand_typed_numbers
from brief.pipeline.footnotes import footnote_problems
from brief.pipeline.names import name_problems
from brief.pipeline.resolve import figure_problems
from brief.workspace.brand_contrast import contrast_problems
from brief.workspace.load import Workspace, load_workspace, nearest, untranslated_elsewhere
from brief.workspace.templates import TemplateSet
from brief.workspace.theme import theme_problems


@dataclass
class Report:
    """What a check found, and which figures each brief's audiences use."""

    workspace: Workspace
    problems: list[BriefError] = field(default_factory=list)
    # brief id → audience → figure ids the audience prints (templates and charts)
    usage: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    # sources cited directly by templates, with cite()
    cited: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[BriefError]:
        """Problems that stop a build."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[BriefError]:
        """Problems worth fixing that do not stop a build."""
        return [p for p in self.problems if p.severity == "warning"]

    def sorted(self) -> list[BriefError]:
        """Problems grouped by file, in line order."""
        return sorted(self.problems, key=lambda p: (str(p.path or ""), p.line or 0))


def check(root: Path, brief_id: str | None = None, *, overlay: Path | None = None, render: bool = False) -> Report:
    """``brief check``: the workspace at *root*, every brief or only *brief_id*'s, in each of
    its audiences and languages, with the template *overlay*. With *render*, each audience is
    also rendered, without drawing or typesetting, so that what the render stage refuses (the
    HTML policy, the sandbox's limits, a chart no template places) is reported too. A build
    checks only what it builds: :func:`checked_for`."""
    ws = load_workspace(root, collect=True)
    report = _checked(Report(ws, [*ws.problems, *untranslated_elsewhere(ws)]), brief_id, None, overlay)
    if render and not report.errors:
        for brief in [b for b in ws.briefs.values() if b.id in report.usage]:  # the briefs checked
            _check_renders(ws, brief, report, overlay)
            # A brief's other languages have texts and templates of their own.
            for tag in brief.editions_languages[1:]:
                other = load_workspace(root, collect=True, language=tag)
                _check_renders(other, other.briefs[brief.id], report, overlay)
    return report


def checked_for(request: BuildRequest) -> Report:
    """The check a build runs first, of what *request* builds (its brief and audience, in its
    language; nothing rendered, since the build renders anyway): its report when nothing stops
    the build, else :class:`CheckFailed` with every problem."""
    ws = load_workspace(request.root, collect=True, language=request.language)
    elsewhere = untranslated_elsewhere(ws) if request.language is None else []
    report = _checked(Report(ws, [*ws.problems, *elsewhere]), request.brief, [request.audience], request.overlay)
    if report.errors or (request.strict and report.warnings):
        raise CheckFailed(report.sorted())
    return report


def _checked(report: Report, brief_id: str | None, audiences: list[str] | None, overlay: Path | None) -> Report:
    """*report* (of a workspace loaded with its problems collected) with every problem of
    *brief_id* (every brief when None) in *audiences* (every audience when None)."""
    ws = report.workspace
    if report.errors:  # the rest would only repeat these as unknown names
        return report
    # The values a build computes: what resolve refuses in a build, check reports.
    report.problems.extend(figure_problems(ws))
    if report.errors:
        return report
    briefs = list(ws.briefs.values())
    if brief_id is not None:
        stem = Path(brief_id).stem
        if stem not in ws.briefs:
            report.problems.append(
                WorkspaceError(
                    f"no brief named {brief_id!r}", hint=f"choose from: {', '.join(sorted(ws.briefs)) or 'none'}"
                )
            )
            return report
        briefs = [ws.briefs[stem]]
    _check_theme(ws, report, overlay)
    if report.errors:
        return report
    for brief in briefs:
        report.usage[brief.id] = _check_brief(ws, brief, report, audiences, overlay)
    _check_sources_cited(ws, report)
    _check_conflicts(ws, report)
    report.problems.extend(name_problems(ws, [b.id for b in briefs], audiences))
    for brief in briefs:
        _check_freshness(ws, brief, report)
        _check_language(ws, brief, report)
    return report


def _check_theme(ws: Workspace, report: Report, overlay: Path | None) -> None:
    """The built-in theme's files that this workspace relies on must be there and readable (a
    damaged installation); its stylesheet always applies, the layout and brand unless the
    workspace or overlay has its own."""
    templates = TemplateSet(ws.templates_dir, ".", overlay)
    for problem in theme_problems(templates.theme):
        name = problem.path.name if problem.path else ""
        if name == "style.css" or templates.find_shared(name, theme=False) is None:
            report.problems.append(problem)
    report.problems.extend(contrast_problems(templates))
    if templates.find_shared("brand.yml", theme=False) is None:
        report.problems.append(
            BriefWarning(
                "no brand file: the built-in theme's brand is used, and the masthead says 'Your organisation'",
                ws.templates_dir / "brand.yml",
                hint="add templates/brand.yml with your organisation's name (brief init writes a commented one)",
            )
        )


def _check_renders(ws: Workspace, brief: Brief, report: Report, overlay: Path | None) -> None:
    """Render each audience (and variant) as a build prepares it, without drawing charts."""
    from brief.pipeline.prepare import prepare

    variants: list[str | None] = [v.id for v in ws.variants.get(brief.id, [])] or [None]
    for name in brief.audiences:
        for variant in variants:
            request = BuildRequest(
                root=ws.root, brief=brief.id, audience=name, overlay=overlay, variant=variant, language=brief.language
            )
            try:
                prepare(request, checked=ws, draw=False)
            except BriefError as exc:
                report.problems.extend(unique((p for p in exc.problems if p.severity == "error"), report.problems))


def _check_brief(
    ws: Workspace, brief: Brief, report: Report, only: list[str] | None = None, overlay: Path | None = None
) -> dict[str, set[str]]:
    usage: dict[str, set[str]] = {}
    problems = report.problems
    preferred = _preferred_by_quantity(ws)
    placed: set[str] = set()
    _check_chart_titles(ws, brief, problems)
    problems.extend(own_spec_problems(ws, brief))
    for name, audience in brief.audiences.items():
        if only is not None and name not in only:
            continue
        a_origin = ws.origin("audience", f"{brief.id}:{name}")
        folder = audience.templates or name
        templates = TemplateSet(ws.templates_dir, folder, overlay, language=brief.language)
        if not templates.has_audience_folder():
            problems.append(
                TemplateError(
                    f"no template folder for audience {name!r}",
                    a_origin.path,
                    a_origin.line,
                    hint=f"create templates/{folder}/",
                )
            )
            usage[name] = set()
            continue
        env = templates.environment()
        used: set[str] = set()
        seen: set[str] = set()  # templates checked for this audience (a partial once)
        used |= _charts_listed(ws, brief, name, placed, problems)
        for i, section in enumerate(audience.sections):
            path = templates.find(f"{section}.md.j2")
            if path is None:
                s_origin = ws.origin("section", f"{brief.id}:{name}:{i}")
                problems.append(
                    TemplateError(
                        f"section {section!r} of audience {name!r} has no template",
                        s_origin.path,
                        s_origin.line,
                        hint=f"create templates/{folder}/{section}.md.j2",
                    )
                )
                continue
            used |= check_template(ws, brief, name, f"{section}.md.j2", env, preferred, problems, report.cited, seen)
            # A section shared by several audiences is one file: report its footnotes once.
            problems.extend(unique(footnote_problems(env, f"{section}.md.j2"), problems))
        layout = "layout.html.j2" if templates.find_own("layout.html.j2") else "base.html.j2"
        if templates.find(layout) is not None:
            used |= check_template(
                ws, brief, name, layout, env, preferred, problems, report.cited, seen, narrative=False
            )
        usage[name] = _with_inputs(ws, used)
    for chart_id in sorted(placed):
        _check_rows_preferred(ws, brief, chart_id, preferred, problems)
    return usage


def _charts_listed(ws: Workspace, brief: Brief, name: str, placed: set[str], problems: list[BriefError]) -> set[str]:
    """The figures the charts audience *name* lists print; unknown charts are problems."""
    origin = ws.origin("audience", f"{brief.id}:{name}")
    used: set[str] = set()
    for chart_id in brief.audiences[name].charts:
        if chart_id not in brief.charts:
            problems.append(
                DataError(
                    f"audience {name!r} lists unknown chart {chart_id!r}",
                    origin.path,
                    origin.line,
                    hint=nearest(chart_id, brief.charts),
                )
            )
        else:
            used.update(row.figure for row in brief.charts[chart_id].rows)
            placed.add(chart_id)
    return used


def _check_chart_titles(ws: Workspace, brief: Brief, problems: list[BriefError]) -> None:
    for cid, chart in brief.charts.items():
        origin = ws.origin("chart", f"{brief.id}:{cid}")
        for what in (chart.title, chart.subtitle):
            for _, token in hand_typed_numbers(what):
                problems.append(
                    DataError(
                        f"chart {cid!r} has a hand-typed number {token!r} in its title or subtitle",
                        origin.path,
                        origin.line,
                        hint="state the takeaway in words; numbers come from figures",
                    )
                )


def _with_inputs(ws: Workspace, used: set[str]) -> set[str]:
    """*used* plus every figure a derived one is computed from."""
    out: set[str] = set()
    stack = [f for f in used if f in ws.figures]
    while stack:
        fid = stack.pop()
        if fid in out:
            continue
        out.add(fid)
        derive = ws.figures[fid].derive
        stack.extend(ref for ref in (derive.of if derive else ()) if ref in ws.figures)
    return out


# --- data --------------------------------------------------------------------------


def _check_sources_cited(ws: Workspace, report: Report) -> None:
    cited = {f.source for f in ws.figures.values()} | report.cited
    for sid in ws.sources:
        if sid not in cited:
            origin = ws.origin("source", sid)
            report.problems.append(
                BriefWarning(
                    f"source {sid!r} is never cited by a figure or a template",
                    origin.path,
                    origin.line,
                    hint="cite it from a figure or with cite(), or remove it",
                )
            )


def _preferred_by_quantity(ws: Workspace) -> dict[str, str]:
    """quantity → the one figure marked preferred (quantities with two are reported elsewhere)."""
    chosen: dict[str, list[str]] = {}
    for f in ws.figures.values():
        if f.quantity and f.preferred:
            chosen.setdefault(f.quantity, []).append(f.id)
    return {q: ids[0] for q, ids in chosen.items() if len(ids) == 1}


def _check_rows_preferred(
    ws: Workspace, brief: Brief, chart_id: str, preferred: dict[str, str], problems: list[BriefError]
) -> None:
    for r, row in enumerate(brief.charts[chart_id].rows):
        quantity = ws.figures[row.figure].quantity if row.figure in ws.figures else None
        if quantity in preferred and preferred[quantity] != row.figure:
            origin = ws.origin("chart-row", f"{brief.id}:{chart_id}:{r}")
            problems.append(
                DataError(
                    f"chart {chart_id!r} plots {row.figure!r}, not the value used for {quantity!r}",
                    origin.path,
                    origin.line,
                    hint=f"use {preferred[quantity]!r}, which the data marks as preferred",
                )
            )


def _check_conflicts(ws: Workspace, report: Report) -> None:
    groups: dict[str, list[str]] = {}
    for fid, fig in ws.figures.items():
        if fig.quantity:
            groups.setdefault(fig.quantity, []).append(fid)
    for quantity, members in groups.items():
        figs = [ws.figures[m] for m in members]
        values = {(f.value, f.unit) for f in figs}
        sources = {f.source for f in figs}
        chosen = [f for f in figs if f.preferred]
        if len(chosen) > 1:
            origin = ws.origin("figure", chosen[1].id)
            report.problems.append(
                DataError(
                    f"quantity {quantity!r} has more than one preferred figure: {', '.join(f.id for f in chosen)}",
                    origin.path,
                    origin.line,
                    hint="keep 'preferred' on the one value the brief uses",
                )
            )
        elif len(values) > 1 and len(sources) > 1 and not chosen:
            origin = ws.origin("figure", members[0])
            listed = "; ".join(
                f"{f.id} = {format_value(f.value or 0, f.unit, f.decimals, units=ws.units)} ({f.source})" for f in figs
            )
            report.problems.append(
                DataError(
                    f"sources disagree on {quantity!r}: {listed}",
                    origin.path,
                    origin.line,
                    hint='add preferred: "why this value is used" to the figure the brief should print',
                )
            )


def _period_end(as_of: str) -> tuple[int, int]:
    parts = [int(p) for p in as_of.split("-")]
    return parts[0], parts[1] if len(parts) > 1 else 12


def _check_freshness(ws: Workspace, brief: Brief, report: Report) -> None:
    if brief.freshness_months is None:
        return
    used = set().union(*report.usage.get(brief.id, {}).values()) if report.usage.get(brief.id) else set()
    for fid in sorted(used):
        fig = ws.figures[fid]
        if fig.as_of is None or fig.historic:  # an earlier point of a series is old by design
            continue
        year, month = _period_end(fig.as_of)
        age = (brief.date.year - year) * 12 + brief.date.month - month
        if age > brief.freshness_months:
            origin = ws.origin("figure", fid)
            report.problems.append(
                BriefWarning(
                    f"figure {fid!r} is as of {fig.as_of}, {counted(age, 'month')} before the brief's date "
                    f"({brief.date.isoformat()}); the brief's freshness window is "
                    f"{counted(brief.freshness_months, 'month')}",
                    origin.path,
                    origin.line,
                    hint="update it from a newer source or state its age in the text",
                )
            )


def _check_language(ws: Workspace, brief: Brief, report: Report) -> None:
    """A language brief has no captions for is printed with English captions: say so, at its line."""
    from brief.model.language import has_captions, shipped

    if not has_captions(brief.language):
        origin = ws.origin("language", brief.id)
        report.problems.append(
            BriefWarning(
                f"brief ships no captions in {brief.language!r}: numbers and dates follow it, captions stay English",
                origin.path,
                origin.line,
                hint=f"captions ship in: {', '.join(shipped())} (src/brief/locale/)",
            )
        )
