"""The names of the files in out/: two editions of a workspace never share one.

An edition (a brief, for one audience, in one variant, in one language) is written to a file named by
:func:`brief.model.request.output_name`, ``BRIEF-AUDIENCE.pdf``. Ids may hold ``-``, so two
editions can be given the same name (brief ``x`` for ``p-q`` and brief ``x-p`` for ``q``); a
workspace where they would is refused, which keeps the names readable.
"""

from __future__ import annotations

from brief.errors import BriefError, DataError
from brief.model.request import Edition, name_clashes, named_language
from brief.workspace.load import Workspace


def name_problems(ws: Workspace, briefs: list[str], audiences: list[str] | None) -> list[BriefError]:
    """An error for each file name in out/ that two editions of *ws* would be written to,
    where one of them is of the *briefs* checked (and of the *audiences*, when given): one
    brief's PDF is never taken for, or replaced by, another's."""
    editions = [
        Edition(bid, name, variant, named_language(language, brief.editions_languages))
        for bid, brief in ws.briefs.items()
        for name in brief.audiences
        for variant in [v.id for v in ws.variants.get(bid, [])] or [""]
        for language in brief.editions_languages
    ]
    problems: list[BriefError] = []
    for name, first, second in name_clashes(editions):
        if not any(e.brief in briefs and (audiences is None or e.audience in audiences) for e in (first, second)):
            continue
        origin = ws.origin("audience", f"{second.brief}:{second.audience}")
        problems.append(
            DataError(
                f"out/{name} would hold two editions: {first} and {second}",
                origin.path,
                origin.line,
                hint="rename an audience, a variant or a brief file so that their names in out/ differ",
            )
        )
    return problems
