"""Several builds at once: each is checked and rendered here, in turn, while typesetter
workers lay out the ones already rendered, one per core. Failures are reported, not fatal
to the rest.

Layout is most of a build and the only stage worth spreading over cores: charts are
shared (one chart engine, one cache) and checking is fast. The longest brief (by page
budget) gets a typesetter of its own; briefs are rendered fewest charts first, so layout
starts while the charts only the later briefs need are still being drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import BriefError, WorkspaceError
from brief.load import load_workspace
from brief.resolve import pick_brief
from brief.workers import Worker, WorkerCrashed


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
    from brief.build import BuildResult, Prepared, finish, prepare
    from brief.typeset import typeset

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
        pending: list[tuple[Target, Prepared, Worker]] = []
        for typesetter in typesetters:
            typesetter.warm()
        # Fewest charts first: a brief is ready to typeset as soon as its own charts are
        # drawn, so typesetters start while the later briefs' charts are still being drawn.
        for target in sorted(targets, key=lambda t: (t.charts, t.page_budget)):
            try:
                prepared = prepare(root, target.brief, target.audience, overlay, strict, standard, fmt,
                                   running.get("chart"))
                if isinstance(prepared, BuildResult):
                    yield done(target, prepared)
                elif target in assigned:
                    assigned[target].submit(*prepared.typeset_args())
                    pending.append((target, prepared, assigned[target]))
                else:
                    yield done(target, finish(prepared, typeset(*prepared.typeset_args())))
            except BriefError as exc:
                yield failed(target, exc)
        if "chart" in running:
            running["chart"].close()  # every chart is drawn: free its memory for layout
        # Each worker answers in the order it was asked.
        for target, prepared, worker in pending:
            try:
                try:
                    result = worker.result()
                except WorkerCrashed as exc:  # the worker died: typeset here instead
                    logging.getLogger("brief").warning("warning: %s; continuing in this process", exc.message)
                    result = typeset(*prepared.typeset_args())
                yield done(target, finish(prepared, result))
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
