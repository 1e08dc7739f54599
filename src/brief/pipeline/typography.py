"""One typographic pass for every string that reaches a page, whatever file it came from.

The narrative gets curly quotes, apostrophes and dashes from markdown-it's typographer
(``replacements`` and ``smartquotes``). Text from YAML (figure labels and notes, source
titles and locators, chart titles, subtitles and labels, the brief's title and subtitle)
never passes through Markdown, so :func:`typeset_job` runs the same two rules over it when
the job is resolved: the templates, the endnotes and the chart rows all see the result.
Ids, values, units, URLs and dates are left alone.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, smartquotes
from markdown_it.rules_core.replacements import replace_rare
from markdown_it.token import Token

from brief.model.chart_schema import ChartSpec
from brief.model.schema import Brief, Colophon, CslName, Figure, Source

if TYPE_CHECKING:
    from brief.pipeline.resolve import Job, ResolvedFigure

# Double and single quotation marks, by the language's primary subtag (CLDR's delimiters,
# which Babel does not expose); other languages use the English ones.
_QUOTES: dict[str, list[str]] = {
    "en": ["“", "”", "‘", "’"],
    "de": ["„", "“", "‚", "‘"],
    "fr": ["«\u00a0", "\u00a0»", "“", "”"],
    "es": ["«", "»", "“", "”"],
    "it": ["«", "»", "“", "”"],
    "pt": ["“", "”", "‘", "’"],
    "nl": ["“", "”", "‘", "’"],
}


def quotes(language: str) -> list[str]:
    """The quotation marks of *language* (a BCP 47 tag), as markdown-it's ``quotes`` option."""
    return _QUOTES.get(language.split("-")[0].lower(), _QUOTES["en"])


def typographer(language: str) -> MarkdownIt:
    """A Markdown parser whose typographer writes *language*'s quotation marks."""
    md = MarkdownIt("commonmark", {"typographer": True, "html": True, "quotes": quotes(language)})
    return md.enable(["replacements", "smartquotes"])


@cache
def _parser(language: str) -> MarkdownIt:
    return typographer(language)


def typographic(text: str, language: str) -> str:
    """*text* (plain text, not Markdown) as the narrative's typographer writes it: curly
    quotes and apostrophes in *language*, en and em dashes for ``--`` and ``---``, ``…``
    for ``...``."""
    if not text:
        return text
    state = StateCore(text, _parser(language), {})
    inline = Token("inline", "", 0, content=text, children=[Token("text", "", 0, content=text)])
    state.tokens = [inline]
    # Not the scoped replacements: "(c)" in a locator is a subsection, not ©.
    replace_rare(inline.children or [])
    smartquotes(state)
    return "".join(child.content for child in inline.children or [])


def typeset_job(job: Job) -> Job:
    """*job* with every string from its YAML that is printed set by :func:`typographic`."""
    language = job.brief.language

    def t(text: str | None) -> str | None:
        return typographic(text, language) if text else text

    return dataclasses.replace(
        job,
        brief=_brief(job.brief, language),
        audience=job.audience.model_copy(update={"label": t(job.audience.label)}),
        figures={fid: _figure(fig, language) for fid, fig in job.figures.items()},
        sources={sid: _source(source, language) for sid, source in job.sources.items()},
    )


def _brief(brief: Brief, language: str) -> Brief:
    audiences = {
        name: audience.model_copy(update={"label": typographic(audience.label, language)})
        for name, audience in brief.audiences.items()
    }
    return brief.model_copy(
        update={
            "title": typographic(brief.title, language),
            "subtitle": typographic(brief.subtitle, language) if brief.subtitle else brief.subtitle,
            "charts": {cid: _chart(chart, language) for cid, chart in brief.charts.items()},
            "audiences": audiences,
            "colophon": _colophon(brief.colophon, language),
        }
    )


def _colophon(colophon: Colophon, language: str) -> Colophon:
    update: dict[str, object] = {
        k: typographic(v, language) for k in ("citation", "licence") if (v := getattr(colophon, k))
    }
    if colophon.authors:
        update["authors"] = [typographic(a, language) for a in colophon.authors]
    return colophon.model_copy(update=update)


def _chart(chart: ChartSpec, language: str) -> ChartSpec:
    def t(text: str | None) -> str | None:
        return typographic(text, language) if text else text

    # Labels, series and panels are matched against each other (highlight, colours,
    # facets), so all of them are set alike.
    rows = [
        row.model_copy(update={"label": t(row.label), "series": t(row.series), "panel": t(row.panel)})
        for row in chart.rows
    ]
    return chart.model_copy(
        update={
            "title": t(chart.title),
            "subtitle": t(chart.subtitle),
            "rows": rows,
            "highlight": [typographic(label, language) for label in chart.highlight],
        }
    )


def _base(fig: Figure, language: str) -> Figure:
    update = {k: typographic(v, language) for k in ("label", "locator", "note") if (v := getattr(fig, k))}
    return fig.model_copy(update=update)


def _figure(fig: ResolvedFigure, language: str) -> ResolvedFigure:
    def t(text: str | None) -> str | None:
        return typographic(text, language) if text else text

    return dataclasses.replace(
        fig,
        label=typographic(fig.label, language),
        note=t(fig.note),
        claimed_by=t(fig.claimed_by),
        derivation=t(fig.derivation),
        preferred=t(fig.preferred),
        bases=tuple(_base(b, language) for b in fig.bases),
        alternatives=tuple(_base(b, language) for b in fig.alternatives),
    )


def _name(name: CslName, language: str) -> CslName:
    update = {k: typographic(v, language) for k in ("family", "given", "literal") if (v := getattr(name, k, None))}
    return name.model_copy(update=update)


def _source(source: Source, language: str) -> Source:
    update: dict[str, object] = {
        k: typographic(v, language)
        for k in ("title", "title_short", "container_title", "publisher")
        if (v := getattr(source, k, None))
    }
    update["author"] = [_name(a, language) for a in source.author]
    return source.model_copy(update=update)
