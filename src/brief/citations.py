"""Citations and endnotes: one citation style, notes numbered in order of first use.

A note cites one source at one locator (plus the figure's caveat, if it has one), so a
figure used twice, or two figures from the same table, point to the same note. The
first note that cites a source gives the full reference; later ones use the short form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from brief.models import CslDate, Source
from brief.resolve import ResolvedFigure

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def format_date(date: CslDate) -> str:
    """``[2025, 4]`` → ``April 2025``; ``[2025, 4, 7]`` → ``7 April 2025``."""
    parts = date.parts
    if len(parts) == 1:
        return str(parts[0])
    month = _MONTHS[parts[1] - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{parts[2]} {month} {parts[0]}"


def short_title(source: Source) -> str:
    """The short title used in chart source lines and repeat citations."""
    return source.title_short or source.title


def full_citation(source: Source) -> str:
    """Author, *Title*, Publisher or container, date (HTML, escaped)."""
    authors = "; ".join(escape(a.display()) for a in source.author)
    title = f"<cite>{escape(source.title)}</cite>"
    where = source.container_title or source.publisher
    details = ", ".join(p for p in (escape(where) if where else None, format_date(source.issued)) if p)
    return ", ".join(p for p in (authors, title) if p) + (f" ({details})" if details else "")


def link(source: Source) -> str:
    """The source's URL as a link whose text is the URL itself (it must survive printing)."""
    if not source.URL:
        return ""
    url = escape(source.URL, quote=True)
    return f'<a class="url" href="{url}">{escape(source.URL)}</a>'


@dataclass
class Note:
    """One endnote: its number and its HTML text."""

    number: int
    html: str
    source_ids: tuple[str, ...]


@dataclass
class Notes:
    """The endnotes of one document, numbered in order of first use."""

    sources: dict[str, Source]
    notes: list[Note] = field(default_factory=list)
    _by_key: dict[tuple[object, ...], Note] = field(default_factory=dict)
    _cited: set[str] = field(default_factory=set)

    def for_figure(self, fig: ResolvedFigure) -> Note:
        """The note that sources *fig* (created on first use)."""
        # Caveats (fig.note) are stated in the text where they matter; keying notes on
        # source and locator alone keeps one note per table instead of one per number.
        key = ("figure", tuple((b.source, b.locator) for b in fig.bases), fig.derivation, fig.claimed_by)
        if key in self._by_key:
            return self._by_key[key]
        parts: list[str] = []
        if fig.claimed_by:
            parts.append(f"Claim attributed to {escape(fig.claimed_by)}; not independently verified.")
        if fig.derivation:
            parts.append(f"Calculated: {escape(fig.derivation)}.")
        seen: dict[str, list[str]] = {}
        for base in fig.bases:
            if base.source:
                locs = seen.setdefault(base.source, [])
                if base.locator and base.locator not in locs:
                    locs.append(base.locator)
        parts.extend(self._reference(sid, "; ".join(locs)) for sid, locs in seen.items())
        return self._add(key, " ".join(parts), tuple(seen))

    def for_source(self, source_id: str, locator: str | None = None) -> Note:
        """The note citing *source_id* at *locator* (for quotes and non-numeric claims)."""
        key = ("source", source_id, locator)
        if key in self._by_key:
            return self._by_key[key]
        return self._add(key, self._reference(source_id, locator or ""), (source_id,))

    def _reference(self, source_id: str, locator: str) -> str:
        source = self.sources[source_id]
        loc = f", {escape(locator)}" if locator else ""
        if source_id in self._cited:
            return f"{escape(short_title(source))}{loc}."
        self._cited.add(source_id)
        url = link(source)
        return f"{full_citation(source)}{loc}." + (f" {url}" if url else "")

    def _add(self, key: tuple[object, ...], html: str, source_ids: tuple[str, ...]) -> Note:
        note = Note(len(self.notes) + 1, html, source_ids)
        self.notes.append(note)
        self._by_key[key] = note
        return note

    @property
    def cited_sources(self) -> list[str]:
        """Ids of every source cited, in order of first citation."""
        return list(dict.fromkeys(sid for n in self.notes for sid in n.source_ids))


def source_line(figures: list[ResolvedFigure], sources: dict[str, Source]) -> str:
    """A chart's source line built from its figures: ``AI Index 2025, ch. 4, fig. 4.3.8.``"""
    locators: dict[str, list[str]] = {}
    for fig in figures:
        for base in fig.bases:
            if base.source:
                locs = locators.setdefault(base.source, [])
                if base.locator and base.locator not in locs:
                    locs.append(base.locator)
    parts = [", ".join([short_title(sources[sid]), "; ".join(locs)]) if locs else short_title(sources[sid])
             for sid, locs in locators.items()]
    label = "Source" if len(parts) == 1 else "Sources"
    return f"{label}: " + "; ".join(parts) + "."
