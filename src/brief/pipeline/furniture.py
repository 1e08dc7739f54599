"""The pages' furniture that the layout sets from the brief rather than from its templates:
the colophon at the end of every edition, and a contents list in a long one.

The colophon's fields come from the brief file's ``colophon:`` block; what it leaves out is
built from the brief (its authors, title and date) and the brand (the organisation), so a
brief without the block still says who wrote it and how to cite it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from brief.model.language import caption
from brief.model.schema import Brief
from brief.pipeline.resolve import Job
from brief.publish.manifest import tool_versions

# An edition whose page budget is over this many pages gets a contents list. The budget, not
# the page count: the count is known only once the pages are laid out, and the list itself
# takes room on them.
CONTENTS_OVER_PAGES = 6

_HEADING = re.compile(r"<(h[23])((?:\s[^>]*)?)>(.*?)</\1>", re.S)
_ID = re.compile(r'\sid="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")
_NOTE_MARK = re.compile(r'<a class="note-ref".*?</a>|<span class="note-sep">.*?</span>', re.S)


@dataclass(frozen=True)
class Entry:
    """One heading in the contents list: its level (2 or 3), its anchor and its text."""

    level: int
    anchor: str
    text: Markup


def _anchored(html: str, entries: list[Entry]) -> Markup:
    def replace(match: re.Match[str]) -> str:
        tag, attributes, inner = match.groups()
        found = _ID.search(attributes)
        anchor = found[1] if found else f"contents-{len(entries) + 1}"
        text = Markup(_TAG.sub("", _NOTE_MARK.sub("", inner)).strip())
        entries.append(Entry(int(tag[1]), anchor, text))
        attributes = attributes if found else f' id="{anchor}"{attributes}'
        return f"<{tag}{attributes}>{inner}</{tag}>"

    # The section's HTML is already made safe (Markup): anchors added to it keep it so.
    return Markup(_HEADING.sub(replace, html))


def contents(sections: list[dict[str, Any]], page_budget: int) -> tuple[list[dict[str, Any]], list[Entry]]:
    """The sections with an anchor on each heading after the first section (the summary the
    list follows), and the list's entries; no entries for an edition of
    :data:`CONTENTS_OVER_PAGES` pages or fewer."""
    if page_budget <= CONTENTS_OVER_PAGES:
        return sections, []
    entries: list[Entry] = []
    anchored = [sections[0]] + [{**s, "html": _anchored(s["html"], entries)} for s in sections[1:]]
    return anchored, entries


@dataclass(frozen=True)
class Colophon:
    """What the colophon prints, each piece already in the brief's language. The authors and
    the date are printed apart from the citation only when they may not be in it: authors
    the colophon names itself, and a citation the brief file writes."""

    authors: str | None
    published: str | None
    citation: Markup
    licence: str
    url: str | None
    edition: str
    tool: str


def _citation(brief: Brief, audience_label: str, organisation: str, date: str) -> Markup:
    url = brief.colophon.url
    parts = [escape(", ".join(brief.authors)), Markup(f"<cite>{escape(brief.title)}</cite>")]
    parts += [escape(audience_label), escape(f"{organisation}, {date}")]
    return Markup(". ").join(parts) + "." + (f" {escape(url)}" if url else "")


def colophon(brief: Brief, audience_label: str, organisation: str, date: str, edition: str, version: str) -> Colophon:
    """The colophon of *brief*'s edition *edition* (its file name without ``.pdf``) for the
    audience labelled *audience_label*, published by *organisation* on *date* (as printed)."""
    given = brief.colophon
    language = brief.language
    own = given.citation is not None
    licence = given.licence or f"© {brief.date.year} {organisation}"
    return Colophon(
        authors=", ".join(given.authors or brief.authors) if given.authors or own else None,
        published=caption("Published {date}", language, date=date) if own else None,
        citation=Markup(escape(given.citation)) if own else _citation(brief, audience_label, organisation, date),
        licence=caption("Licence: {licence}", language, licence=licence) if given.licence else licence,
        url=given.url,
        # A brief in several languages has its language in the edition's name already.
        edition=caption(
            "Edition {id}", language, id=edition if edition.endswith(language) else f"{edition} ({language})"
        ),
        tool=caption("made with brief {version}", language, version=version),
    )


def layout_furniture(
    job: Job, organisation: str, date: str, sections: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, object]]:
    """The *sections* with anchors for the contents list, and what the layout (base.html.j2)
    reads to set the colophon and the list, for *job*'s edition, published by *organisation*
    on *date* (as printed)."""
    sections, entries = contents(sections, job.audience.page_budget)
    edition = job.output_name.removesuffix(".pdf")
    made = colophon(job.brief, job.audience.label, organisation, date, edition, tool_versions()["brief"])
    return sections, {"colophon": made, "contents": entries}
