"""Several builds at once: one process per core, failures reported, not fatal to the rest."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import BriefError, WorkspaceError
from brief.load import load_workspace
from brief.resolve import pick_brief


@dataclass(frozen=True)
class Target:
    """One brief for one audience."""

    brief: str
    audience: str

    @property
    def label(self) -> str:
        """``brief/audience``, for messages."""
        return f"{self.brief}/{self.audience}"


@dataclass
class Outcome:
    """What one build in a worker produced, as plain values (exceptions do not cross processes well)."""

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
        return [Target(b, a) for b, brief in ws.briefs.items() for a in brief.audiences]
    brief = pick_brief(ws, brief_id)
    if all_audiences:
        if audiences:
            raise WorkspaceError("--all builds every audience; leave out --audience")
        return [Target(brief.id, a) for a in brief.audiences]
    return [Target(brief.id, a) for a in (audiences or ["policy"])]


def _run(root: Path, target: Target, overlay: Path | None, strict: bool, standard: str, fmt: str) -> Outcome:
    from brief.build import build

    try:
        result = build(root, target.brief, target.audience, overlay, strict, standard, fmt)
    except BriefError as exc:
        return Outcome(target, error_lines=[f"{p.severity}: {p.format(relative_to=root)}" for p in exc.problems])
    return Outcome(target, result.path, result.pages, result.seconds, result.page_budget,
                   [f"warning: {w.format(relative_to=root)}" for w in result.warnings])


def build_many(root: Path, targets: list[Target], overlay: Path | None, strict: bool, standard: str = "ua-1",
               fmt: str = "pdf", progress: bool = False) -> Iterator[Outcome]:
    """Build *targets* in parallel, yielding each outcome as it finishes."""
    workers = max(1, min(len(targets), os.cpu_count() or 1))
    # "spawn", not fork: vl-convert and WeasyPrint start threads, and a forked child of a
    # threaded parent can deadlock on a lock some thread held at the fork.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run, root, t, overlay, strict, standard, fmt) for t in targets]
        if progress:
            import click  # only for the terminal progress display

            with click.progressbar(length=len(futures), label="Building",
                                   file=click.get_text_stream("stderr")) as bar:
                for future in as_completed(futures):
                    bar.update(1)
                    yield future.result()
        else:
            for future in as_completed(futures):
                yield future.result()
