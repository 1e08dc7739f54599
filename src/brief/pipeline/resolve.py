"""Stage 2, resolve: pick the brief and audience, and compute every figure's value.

Derived figures (ratios, changes, shares) are computed here from their inputs, never
typed; each resolved figure knows the base figures, and so the sources, behind it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import BriefError, DataError, WorkspaceError
from brief.model.counting import counted
from brief.model.language import DEFAULT, caption
from brief.model.request import BuildRequest, named_language, output_name
from brief.model.schema import Audience, Brief, Figure, Source
from brief.model.units import MAX_VALUE_TEXT, UNITS, Unit, check_value, decimals_of, format_value, sign_of
from brief.model.variants import Variant, fill
from brief.pipeline.derive import PAIRS, DeriveProblem, Input, compute, unit_problem, years_between
from brief.pipeline.typography import typeset_job
from brief.workspace.load import Workspace


@dataclass(frozen=True)
class ResolvedFigure:
    """A figure with its value computed and its provenance flattened to base figures."""

    id: str
    label: str
    value: float | int
    unit: str
    decimals: int | None
    as_of: str
    note: str | None
    claimed_by: str | None
    # For a base figure, itself; for a derived one, the base figures it is computed from.
    bases: tuple[Figure, ...]
    derivation: str | None = None
    # For a figure chosen among sources that disagree: why, and the values not used.
    preferred: str | None = None
    alternatives: tuple[Figure, ...] = ()
    # The workspace's units and the brief's language, which every number is written in.
    units: Mapping[str, Unit] = field(default_factory=lambda: UNITS, hash=False, compare=False, repr=False)
    language: str = DEFAULT
    # Print the caveat (`note`) in the figure's endnote.
    print_note: bool = False

    def text(self, style: str = "long", sign: str = "auto") -> str:
        """The value formatted by its unit, e.g. ``17.5 percentage points``; *sign* ``abs``
        prints the magnitude, ``signed`` a "+" or "−" before any number but zero."""
        return format_value(self.value, self.unit, self.decimals, style, self.units, self.language, sign)

    @property
    def sign(self) -> str:
        """``positive``, ``negative`` or ``zero``: the value's sign as printed, for a template
        to choose "rose" or "fell" by (never the value, which would print unsourced)."""
        unit = self.units[self.unit]
        decimals = self.decimals if self.decimals is not None else unit.default_decimals
        direction = sign_of(self.value, decimals_of(self.value) if decimals is None else decimals)
        return ("zero", "positive", "negative")[direction]

    def format_other(self, other: Figure) -> str:
        """Another figure's value (one this figure was preferred to), written as this one is."""
        decimals = other.decimals if other.decimals is not None else self.units[other.unit].default_decimals
        decimals = other.written_decimals if decimals is None else decimals
        return format_value(other.value or 0, other.unit, decimals, "long", self.units, self.language)

    @property
    def axis(self) -> str:
        """The unit alone, in the brief's language: a chart axis title or a table header."""
        return self.units[self.unit].words(self.language)[2]

    @property
    def source_ids(self) -> tuple[str, ...]:
        """Ids of the sources behind this figure, in order, without repeats."""
        return tuple(dict.fromkeys(b.source for b in self.bases if b.source))


@dataclass(frozen=True)
class Job:
    """One build: a brief for one audience, with every figure resolved."""

    brief: Brief
    brief_path: Path
    audience_name: str
    audience: Audience
    figures: dict[str, ResolvedFigure]
    sources: dict[str, Source]
    root: Path
    # The date the document records (the brief's date, or SOURCE_DATE_EPOCH): never the clock.
    created: dt.datetime
    # Where the audience is declared in the brief file, for errors about it.
    audience_line: int | None = None
    # The variant's parameters (``id`` among them); empty for a brief without variants.
    variant: Mapping[str, str] = field(default_factory=dict)

    @property
    def template_folder(self) -> str:
        """The audience's folder under templates/."""
        return self.audience.templates or self.audience_name

    @property
    def named_language(self) -> str:
        """The language tag in this edition's file names (none for a brief in one language)."""
        return named_language(self.brief.language, self.brief.editions_languages)

    @property
    def output_name(self) -> str:
        """File name of the PDF this job writes (with the variant's id, for a variant, and the
        language, for a brief in several)."""
        return output_name(
            self.brief.id, self.audience_name, variant=self.variant.get("id", ""), language=self.named_language
        )


def pick_brief(ws: Workspace, brief_id: str | None) -> Brief:
    """The brief named *brief_id*, or the only brief when none is named."""
    if brief_id is None:
        if len(ws.briefs) == 1:
            return next(iter(ws.briefs.values()))
        if not ws.briefs:
            raise WorkspaceError("no brief in briefs/", ws.root / "briefs", hint="add a briefs/NAME.yaml file")
        names = sorted(ws.briefs)
        raise WorkspaceError(
            f"this workspace holds {counted(len(ws.briefs), 'brief')}; name one",
            hint=f"give its name as the BRIEF argument (e.g. brief build {names[0]}); choose from: {', '.join(names)}",
        )
    stem = Path(brief_id).stem
    if stem not in ws.briefs:
        raise WorkspaceError(f"no brief named {brief_id!r}", hint=f"choose from: {', '.join(sorted(ws.briefs))}")
    return ws.briefs[stem]


def figure_problems(ws: Workspace) -> list[BriefError]:
    """Every figure that cannot be computed (a division by zero, a result out of range), as
    errors: ``brief check`` reports what :func:`resolve_figures` would refuse in a build."""
    resolved: dict[str, ResolvedFigure] = {}
    failed: set[str] = set()
    problems: list[BriefError] = []

    def get(fid: str) -> ResolvedFigure:
        if fid in failed:
            raise _InputFailed
        if fid not in resolved:
            try:
                resolved[fid] = _resolve_one(ws, ws.figures[fid], get)
            except DataError as exc:
                failed.add(fid)
                problems.append(exc)
                raise _InputFailed from None
            except _InputFailed:
                failed.add(fid)  # its input is already reported
                raise
        return resolved[fid]

    for fid in ws.figures:
        with contextlib.suppress(_InputFailed):
            get(fid)
    return problems


class _InputFailed(Exception):
    """A figure's input could not be computed (reported once, for the input)."""


def resolve_figures(ws: Workspace, language: str = DEFAULT) -> dict[str, ResolvedFigure]:
    """Compute every figure in the workspace (load has already ruled out loops), to be
    written in *language*."""
    resolved: dict[str, ResolvedFigure] = {}

    def get(fid: str) -> ResolvedFigure:
        if fid not in resolved:
            resolved[fid] = _resolve_one(ws, ws.figures[fid], get, language)
        return resolved[fid]

    for fid in ws.figures:
        get(fid)
    return resolved


def _resolve_base(ws: Workspace, fig: Figure, language: str) -> ResolvedFigure:
    assert fig.value is not None and fig.as_of is not None  # guaranteed by the model
    alternatives = tuple(
        other
        for other in ws.figures.values()
        if fig.preferred and other.quantity == fig.quantity and other.id != fig.id
    )
    return ResolvedFigure(
        fig.id,
        fig.label,
        fig.value,
        fig.unit,
        _base_decimals(ws, fig),
        fig.as_of,
        fig.note,
        fig.claimed_by,
        (fig,),
        preferred=fig.preferred,
        alternatives=alternatives,
        print_note=fig.print_note,
        units=ws.units,
        language=language,
    )


def _base_decimals(ws: Workspace, fig: Figure) -> int | None:
    # The figure's own, then the unit's, then as written in the data file (9.0 → one decimal).
    if fig.decimals is not None:
        return fig.decimals
    unit_decimals = ws.units[fig.unit].default_decimals
    return unit_decimals if unit_decimals is not None else fig.written_decimals


def _derivation_text(op: str, inputs: list[ResolvedFigure], language: str) -> str:
    shown = [f"{i.text()} ({i.label})" for i in inputs]
    if op == "sum":
        return " + ".join(shown)
    if op == "cagr":
        years = years_between(inputs[0].as_of, inputs[1].as_of)
        count = format_value(years, "count", 0 if years.is_integer() else 1, units=UNITS, language=language)
        span = caption("{n} year" if years == 1 else "{n} years", language, n=count)
        return f"{shown[0]} → {shown[1]}, {span}"
    return f"{shown[0]} {caption(PAIRS[op][0], language)} {shown[1]}"


def _compute(ws: Workspace, fig: Figure, inputs: list[ResolvedFigure]) -> float:
    assert fig.derive is not None
    op = fig.derive.op
    origin = ws.origin("figure", fig.id)
    given = [Input(i.id, float(i.value), i.unit, i.as_of) for i in inputs]
    try:
        problem = unit_problem(op, given, fig.unit, ws.units)
        if problem is not None:
            raise problem
        value = compute(op, given)
    except ZeroDivisionError:
        divisor = inputs[0] if op == "percent_change" else inputs[1]
        raise DataError(
            f"figure {fig.id!r} divides by {divisor.id!r}, which is zero", origin.path, origin.line
        ) from None
    except DeriveProblem as exc:
        raise DataError(f"figure {fig.id!r}: {exc}", origin.path, origin.line, hint=exc.hint) from None
    problem_text = check_value(value)
    if problem_text:
        names = ", ".join(repr(i.id) for i in inputs[:-1]) + f" and {inputs[-1].id!r}"
        raise DataError(
            f"figure {fig.id!r} computes to {value:.3g} ({op} of {names}), out of range",
            origin.path,
            origin.line,
            hint=f"figure values, given or computed, are below {MAX_VALUE_TEXT} in size; "
            "check the inputs' values and units",
        )
    return value


def _resolve_one(
    ws: Workspace, fig: Figure, get: Callable[[str], ResolvedFigure], language: str = DEFAULT
) -> ResolvedFigure:
    if fig.derive is None:
        return _resolve_base(ws, fig, language)
    inputs = [get(ref) for ref in fig.derive.of]
    value = _compute(ws, fig, inputs)
    decimals = fig.decimals if fig.decimals is not None else ws.units[fig.unit].default_decimals
    # A computed value has no written precision of its own: one decimal unless the unit says.
    return ResolvedFigure(
        fig.id,
        fig.label,
        value,
        fig.unit,
        1 if decimals is None else decimals,
        max(i.as_of for i in inputs),
        fig.note,
        fig.claimed_by or next((i.claimed_by for i in inputs if i.claimed_by), None),
        tuple(base for i in inputs for base in i.bases),
        _derivation_text(fig.derive.op, inputs, language),
        print_note=fig.print_note,
        units=ws.units,
        language=language,
    )


def build_time(brief_date: dt.date, source_date: dt.datetime | None = None) -> dt.datetime:
    """The date a document records: *source_date* (``SOURCE_DATE_EPOCH``) when given, else
    the brief's own date. Never the clock: two builds of the same inputs must be byte-identical.
    """
    if source_date is not None:
        return source_date
    return dt.datetime(brief_date.year, brief_date.month, brief_date.day, tzinfo=dt.UTC)


def pick_variant(ws: Workspace, brief: Brief, variant_id: str | None) -> Variant | None:
    """The variant *variant_id* of *brief*; None for a brief without variants."""
    variants = ws.variants.get(brief.id)
    origin = ws.origin("brief", brief.id)
    if variants is None:
        if variant_id is not None:
            raise WorkspaceError(f"brief {brief.id!r} has no variants", origin.path, hint="leave out --variant")
        return None
    ids = [v.id for v in variants]
    if variant_id is None:
        hint = f"build one with --variant ({', '.join(ids[:8])}) or every one with --all"
        raise WorkspaceError(f"brief {brief.id!r} has {counted(len(ids), 'variant')}; name one", origin.path, hint=hint)
    if variant_id not in ids:
        from brief.workspace.load import nearest

        hint = nearest(variant_id, dict.fromkeys(ids))
        raise WorkspaceError(f"brief {brief.id!r} has no variant {variant_id!r}", origin.path, hint=hint)
    return variants[ids.index(variant_id)]


def pick_language(ws: Workspace, brief: Brief, language: str | None) -> str:
    """The one of *brief*'s languages that *language* names (its first when None)."""
    from brief.model.text_schema import matching

    languages = brief.editions_languages
    chosen = matching(language, languages) if language else languages[0]
    if chosen is None:
        raise WorkspaceError(
            f"brief {brief.id!r} is not written in {language!r}",
            ws.origin("brief", brief.id).path,
            hint=f"choose from: {', '.join(languages)} (or add it to the brief's `languages`)",
        )
    return chosen


def with_variant(brief: Brief, params: Mapping[str, str]) -> Brief:
    """*brief* with the variant's parameters filled into its title, subtitle and charts."""
    charts = {
        cid: chart.model_copy(
            update={
                "title": fill(chart.title, params),
                "subtitle": fill(chart.subtitle, params),
                "highlight": [fill(label, params) for label in chart.highlight],
                "rows": [
                    row.model_copy(update={"label": fill(row.label, params), "figure": fill(row.figure, params)})
                    for row in chart.rows
                ],
            }
        )
        for cid, chart in brief.charts.items()
    }
    subtitle = fill(brief.subtitle, params) if brief.subtitle else None
    return brief.model_copy(update={"title": fill(brief.title, params), "subtitle": subtitle, "charts": charts})


def resolve(ws: Workspace, request: BuildRequest) -> Job:
    """Select the brief, audience, variant and language *request* names and resolve its figures.
    The workspace was loaded in the request's language (:func:`~brief.workspace.load.load_workspace`)."""
    audience_name = request.audience
    brief = pick_brief(ws, request.brief)
    pick_language(ws, brief, request.language)
    chosen = pick_variant(ws, brief, request.variant)
    brief_path = ws.origin("brief", brief.id).path
    if chosen is not None:
        brief = with_variant(brief, chosen.params)
    if audience_name not in brief.audiences:
        origin = ws.origin("brief", brief.id)
        raise WorkspaceError(
            f"brief {brief.id!r} has no audience {audience_name!r}",
            origin.path,
            hint=f"choose from: {', '.join(brief.audiences)}",
        )
    # Every string from the YAML is set like the narrative here, once, before templates,
    # notes and charts use it.
    return typeset_job(
        Job(
            brief=brief,
            brief_path=brief_path,
            audience_name=audience_name,
            audience=brief.audiences[audience_name],
            figures=resolve_figures(ws, brief.language),
            sources=ws.sources,
            root=ws.root,
            created=build_time(brief.date, request.source_date),
            audience_line=declared.line
            if (declared := ws.origins.get(f"audience:{brief.id}:{audience_name}"))
            else None,
            variant=dict(chosen.params) if chosen else {},
        )
    )
