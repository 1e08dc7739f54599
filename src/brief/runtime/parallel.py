"""Several builds at once (``--all``): each is :func:`brief.pipeline.build.build`, run on a
thread of this process, with the typesetting spread over a pool of worker processes, one per
core. Failures are reported, not fatal to the rest.

Layout is most of a build and the only stage worth spreading over cores: checking and
rendering are quick, and a chart that two briefs share is drawn once (:class:`DrawnOnce`).
The longest brief (by page budget) starts first.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from brief.errors import BriefError, Problem, WorkspaceError
from brief.model.request import BuildRequest
from brief.model.results import BuildResult
from brief.pipeline.draw import DrawJob
from brief.pipeline.engines import Engines
from brief.pipeline.typeset import Typeset, TypesetJob
from brief.runtime.engines import chart_worker_pays, started

# The rest of the pipeline (pydantic, Jinja, Markdown: 0.35 s) is imported only once the
# workers are started, so that they fork from a small process and import while it does.


@dataclass(frozen=True)
class Target:
    """One brief for one audience."""

    brief: str
    audience: str
    page_budget: int = 0
    # The variant's id, for a brief with `for_each`.
    variant: str | None = None
    # The language, for a brief built in several.
    language: str | None = None

    @property
    def label(self) -> str:
        """``brief/audience`` (``brief/audience/variant`` for a variant, then the language for a
        brief in several), for messages."""
        return "/".join(p for p in (self.brief, self.audience, self.variant, self.language) if p)


@dataclass
class Outcome:
    """What one build produced (its result), or the problems that stopped it."""

    target: Target
    result: BuildResult | None = None
    problems: list[Problem] = field(default_factory=list)


def plan(
    root: Path,
    brief_id: str | None,
    audiences: list[str],
    all_audiences: bool,
    all_briefs: bool,
    language: str | None = None,
) -> list[Target]:
    """The builds that the options ask for: with --all, each in every language of its brief
    (only *language*, when given)."""
    from brief.pipeline.resolve import pick_brief
    from brief.workspace.load import load_workspace

    ws = load_workspace(root)

    def every(b: str) -> list[Target]:
        # Every audience of brief *b*, once per variant and language when it has several.
        variants: list[str | None] = [v.id for v in ws.variants.get(b, [])] or [None]
        tags = ws.briefs[b].editions_languages
        languages: list[str | None] = [language] if language else [*tags] if len(tags) > 1 else [None]
        return [
            Target(b, a, aud.page_budget, v, t)
            for a, aud in ws.briefs[b].audiences.items()
            for v in variants
            for t in languages
        ]

    if all_briefs:
        from brief.model.text_schema import matching

        # --language with --all-briefs: the briefs written in that language.
        briefs = [b for b, one in ws.briefs.items() if not language or matching(language, one.editions_languages)]
        return [target for b in briefs for target in every(b)]
    brief = pick_brief(ws, brief_id)
    if all_audiences:
        if audiences:
            raise WorkspaceError("--all builds every audience; leave out --audience")
        return every(brief.id)
    # An unknown audience is kept as asked: its build reports it, with the names to choose from.
    return [
        Target(brief.id, a, aud.page_budget if (aud := brief.audiences.get(a)) else 0, language=language)
        for a in (audiences or [next(iter(brief.audiences))])
    ]


def run_one(request: BuildRequest, environ: Mapping[str, str]) -> BuildResult:
    """One build, its heavy stages in worker processes started now (see :mod:`.engines`)."""
    typesetters = 1 if request.format == "pdf" else 0
    with started(chart_worker_pays(request.cache_dir), typesetters, environ, draws=1) as engines:
        from brief.pipeline.build import build

        return build(request, engines)


def run_all(
    request: BuildRequest,
    audiences: list[str],
    all_audiences: bool,
    all_briefs: bool,
    environ: Mapping[str, str],
    targets: list[Target] | None = None,
    wanted: Callable[[Target], bool] | None = None,
) -> tuple[list[Target], Iterator[Outcome]]:
    """The builds the options ask for (or *targets*, when the caller planned them), those of
    them *wanted* (e.g. not up to date), and their outcomes as each is written; typesetting is
    spread over one worker per core."""
    from brief.publish.outputs import none_built

    typesetters = min(os.cpu_count() or 1, 4) if request.format == "pdf" else 0
    charts = chart_worker_pays(request.cache_dir)
    # The workers start before planning, which loads the workspace (they then fork from a small
    # process, and the chart engine starts 0.2 s sooner), when everything planned will be built;
    # else once something is left to build, so that a run with nothing to do starts none.
    early = wanted is None or none_built(request.root)
    try:
        with ExitStack() as stack:
            engines = stack.enter_context(started(charts, typesetters, environ)) if early else None
            if targets is None:
                targets = plan(request.root, request.brief, audiences, all_audiences, all_briefs, request.language)
            if wanted is not None:
                targets = [t for t in targets if wanted(t)]
            if not targets:
                raise _NothingToBuild  # workers started early are killed, not waited for
            if engines is None:
                engines = stack.enter_context(started(charts, typesetters, environ))
            workers = stack.pop_all()
    except _NothingToBuild:
        return [], iter(())

    def outcomes() -> Iterator[Outcome]:
        with workers:
            yield from build_all(request, targets, engines)

    return targets, outcomes()


class _NothingToBuild(Exception):
    """Every edition planned is up to date: the workers are not wanted."""


def build_all(request: BuildRequest, targets: list[Target], engines: Engines) -> Iterator[Outcome]:
    """Build every target (``request`` gives the shared options); yield each outcome as it is
    written.

    Each build runs on a thread of its own, but they take turns until typesetting: the longest
    brief checks, renders and draws its charts first and is handed to a typesetter, then the
    next starts (the Python stages hold the interpreter anyway, and the longest layout is the
    run's critical path), while the typesetters lay out in parallel."""
    from brief.pipeline.build import build

    drawn = DrawnOnce(engines.draw)
    ordered = sorted(targets, key=lambda t: -t.page_budget)
    turns = [threading.Event() for _ in ordered]
    stopped = threading.Event()  # the command is interrupted: no build may publish any more

    def one(index: int, target: Target) -> Outcome:
        if index:
            turns[index - 1].wait()

        def typeset(job: TypesetJob) -> Typeset:
            turns[index].set()  # the next build may start while this one is laid out
            done = engines.typeset(job) if not stopped.is_set() else None
            if done is None or stopped.is_set():
                raise KeyboardInterrupt  # stops this build before it publishes
            return done

        try:
            mine = replace(engines, draw=drawn, typeset=typeset)
            return Outcome(
                target,
                build(
                    request.for_audience(
                        target.brief, target.audience, target.variant or request.variant, target.language
                    ),
                    mine,
                ),
            )
        except BriefError as exc:
            return Outcome(target, problems=[p.problem(request.root) for p in exc.problems])
        finally:
            turns[index].set()

    threads = ThreadPoolExecutor(max_workers=max(1, len(ordered)), thread_name_prefix="build")
    try:
        for future in as_completed([threads.submit(one, i, target) for i, target in enumerate(ordered)]):
            yield future.result()
    except BaseException:
        stopped.set()
        raise
    finally:
        # Interrupted: the builds still running stop at their next stage (their workers are
        # killed as the command unwinds) and are not waited for.
        threads.shutdown(wait=not stopped.is_set(), cancel_futures=True)


class DrawnOnce:
    """A chart engine for the builds of one run: a chart (the same Vega-Lite spec) that
    several builds place is drawn once, by whichever asks first; the others wait for it."""

    def __init__(self, draw: Callable[[DrawJob], list[str]]) -> None:
        self._draw = draw
        self._lock = threading.Lock()
        self._svgs: dict[str, Future[str]] = {}

    def __call__(self, job: DrawJob) -> list[str]:
        keys = [json.dumps(spec, sort_keys=True) for _, spec in job.specs]
        with self._lock:
            mine = {key: Future[str]() for key in dict.fromkeys(keys) if key not in self._svgs}
            self._svgs.update(mine)
        if mine:
            first = dict(reversed(list(zip(keys, job.specs, strict=True))))
            self._draw_into(job, {key: (first[key], future) for key, future in mine.items()})
        return [self._svgs[key].result() for key in keys]

    def _draw_into(self, job: DrawJob, todo: dict[str, tuple[tuple[str, dict[str, Any]], Future[str]]]) -> None:
        # One batch; if it fails, one chart at a time, so that only the briefs that place the
        # chart that cannot be drawn fail with it.
        try:
            svgs = self._draw(replace(job, specs=tuple(spec for spec, _ in todo.values())))
        except BaseException as exc:
            if len(todo) == 1 or not isinstance(exc, BriefError):
                for _, future in todo.values():
                    future.set_exception(exc)
                return
            for key, entry in todo.items():
                self._draw_into(job, {key: entry})
            return
        for (_, future), svg in zip(todo.values(), svgs, strict=True):
            future.set_result(svg)
