"""Several builds at once: each is checked and rendered here, in turn, and handed to a
typesetter worker, one per core; the charts are drawn while the typesetters lay out.
Failures are reported, not fatal to the rest.

Layout is most of a build and the only stage worth spreading over cores: charts are
shared (one chart engine, one cache) and checking is fast. The longest brief (by page
budget) gets a typesetter of its own, and charts are drawn in the order the typesetters
will need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import BriefError, WorkspaceError
from brief.pipeline.resolve import pick_brief
from brief.runtime.workers import Later, Worker
from brief.workspace.load import load_workspace


@dataclass(frozen=True)
class Target:
    """One brief for one audience."""

    brief: str
    audience: str
    page_budget: int = 0
    charts: int = 0

    @property
    def label(self) -> str:
        """``brief/audience``, for messages."""
        return f"{self.brief}/{self.audience}"


@dataclass
class Outcome:
    """What one build produced, as plain values for the CLI to report."""

    target: Target
    path: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    page_budget: int = 0
    warning_lines: list[str] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)


def plan(root: Path, brief_id: str | None, audiences: list[str], all_audiences: bool,
         all_briefs: bool) -> list[Target]:
    """The builds that the options ask for."""
    ws = load_workspace(root)
    if all_briefs:
        return [Target(b, a, aud.page_budget, len(aud.charts)) for b, brief in ws.briefs.items()
                for a, aud in brief.audiences.items()]
    brief = pick_brief(ws, brief_id)
    if all_audiences:
        if audiences:
            raise WorkspaceError("--all builds every audience; leave out --audience")
        return [Target(brief.id, a, aud.page_budget, len(aud.charts)) for a, aud in brief.audiences.items()]
    # An unknown audience is kept as asked: its build reports it, with the names to choose from.
    return [Target(brief.id, a, *((aud.page_budget, len(aud.charts)) if (aud := brief.audiences.get(a)) else ()))
            for a in (audiences or ["policy"])]


def build_many(root: Path, targets: list[Target], overlay: Path | None, strict: bool, standard: str = "ua-1",
               fmt: str = "pdf", progress: bool = False,
               running: dict[str, Worker] | None = None) -> Iterator[Outcome]:
    """Build *targets*, typesetting in parallel on the typesetter workers in *running*
    (in this process when there are none); yield each outcome as it is written."""
    from brief.model.results import BuildResult
    from brief.pipeline.build import Prepared, collect, finish, prepare
    from brief.pipeline.typeset import typeset

    running = running or {}
    typesetters = [w for key, w in running.items() if key.startswith("typeset")]
    # Longest first, each to the typesetter with the least work so far (by page budget, plus
    # one for what every brief costs): the longest brief gets a typesetter to itself.
    assigned: dict[Target, Worker] = {}
    load = {id(w): 0 for w in typesetters}
    for target in sorted(targets, key=lambda t: -t.page_budget) if typesetters else []:
        worker = min(typesetters, key=lambda w: load[id(w)])
        load[id(worker)] += target.page_budget + 1
        assigned[target] = worker

    def done(target: Target, result: BuildResult) -> Outcome:
        return Outcome(target, result.path, result.pages, result.seconds, result.page_budget,
                       [f"warning: {w.format(relative_to=root)}" for w in result.warnings])

    def failed(target: Target, exc: BriefError) -> Outcome:
        return Outcome(target, error_lines=[f"{p.severity}: {p.format(relative_to=root)}" for p in exc.problems])

    def outcomes() -> Iterator[Outcome]:
        engine = running.get("chart")
        drawn: dict[str, str] = {}  # SVGs by cache key: a chart two briefs share is drawn once
        handed: list[tuple[Target, Prepared, Worker, Later]] = []
        for typesetter in typesetters:
            typesetter.warm()
        # Every brief goes to its typesetter as soon as it is rendered, longest first, and
        # is laid out while the charts are drawn: layout needs only their sizes.
        for target in sorted(targets, key=lambda t: -t.page_budget):
            try:
                prepared = prepare(root, target.brief, target.audience, overlay, strict, standard, fmt, engine)
                if isinstance(prepared, BuildResult):
                    yield done(target, prepared)
                elif target in assigned:
                    later = Later.new()
                    assigned[target].submit(*prepared.typeset_args(late=later))
                    handed.append((target, prepared, assigned[target], later))
                else:
                    svgs = prepared.todo.draw(engine, drawn)
                    drawn.update(svgs)
                    yield done(target, finish(prepared, typeset(*prepared.typeset_args(svgs))))
            except BriefError as exc:
                yield failed(target, exc)
        # Charts in the order they are needed: for each typesetter's first brief, then its
        # second; the brief with fewer charts to draw first.
        queued = {id(w): [t for t, _, worker, _ in handed if worker is w] for w in typesetters}
        chart_errors: dict[Target, BriefError] = {}
        for target, prepared, worker, later in sorted(
                handed, key=lambda h: (queued[id(h[2])].index(h[0]), len(set(h[1].todo.charts) - set(drawn)))):
            try:
                drawn.update(prepared.todo.draw(engine, drawn))
                worker.send_later(later, prepared.late_svgs(drawn))
            except BriefError as exc:
                worker.send_later(later, None)  # it gives this brief up and goes on to the next
                chart_errors[target] = exc
        if engine is not None:
            engine.close()  # every chart is drawn: free its memory for layout
        # Each worker answers in the order it was asked.
        for target, prepared, worker, _ in handed:
            try:
                if target in chart_errors:
                    with suppress(BriefError):
                        worker.result()  # "not typeset": the chart's own error says why
                    raise chart_errors[target]
                yield done(target, finish(prepared, collect(worker, prepared.typeset_args(drawn))))
            except BriefError as exc:
                yield failed(target, exc)

    if not progress:
        yield from outcomes()
        return
    import click  # only for the terminal progress display

    with click.progressbar(length=len(targets), label="Building", file=click.get_text_stream("stderr")) as bar:
        for outcome in outcomes():
            bar.update(1)
            yield outcome
