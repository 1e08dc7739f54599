"""Citations and endnotes: one citation style, notes numbered in order of first use.

A note cites one source at one locator (plus the figure's caveat, if it has one), so a
figure used twice, or two figures from the same table, point to the same note. The
first note that cites a source gives the full reference; later ones use the short form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape

from brief.model.language import DEFAULT, caption
from brief.model.language import format_date as format_day
from brief.model.schema import CslDate, Source
from brief.pipeline.resolve import ResolvedFigure


def typographic(text: str) -> str:
    """Curly apostrophes for text that does not pass through Markdown's typographer: one after
    a letter is an apostrophe ("EU’s", "regions’") or a closing quote, both ’."""
    return re.sub(r"(?<=\w)'", "’", text)


def bracketed(text: str) -> str:
    """*text*, to be set inside parentheses, with its own parentheses as brackets (Chicago 6.101)."""
    return text.replace("(", "[").replace(")", "]")


def format_date(date: CslDate, language: str = DEFAULT) -> str:
    """``[2025, 4]`` → ``April 2025``; ``[2025, 4, 7]`` → ``April 7, 2025`` (in *language*: CLDR)."""
    parts = date.parts
    day = dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    return format_day(day, language, len(parts))


def short_title(source: Source) -> str:
    """The short title used in chart source lines and repeat citations."""
    return source.title_short or source.title


def full_citation(source: Source, language: str = DEFAULT) -> str:
    """Author, *Title*, Publisher or container, date in *language* (HTML, escaped)."""
    authors = "; ".join(escape(a.display()) for a in source.author)
    title = f"<cite>{escape(source.title)}</cite>"
    where = source.container_title or source.publisher
    details = ", ".join(p for p in (escape(where) if where else None, format_date(source.issued, language)) if p)
    return ", ".join(p for p in (authors, title) if p) + (f" ({details})" if details else "")


def link(source: Source) -> str:
    """The source's URL as a link whose text is the URL itself (it must survive printing)."""
    if not source.URL:
        return ""
    url = escape(source.URL, quote=True)
    return f'<a class="url" href="{url}">{escape(source.URL)}</a>'


@dataclass
class Note:
    """One endnote: its number, what it cites, and (once finalised) its HTML text.

    *kind* is ``source`` (a note that sources a number or claim) or ``explanatory`` (a
    Markdown footnote: the author's own text, citing nothing)."""

    number: int
    refs: list[tuple[str, str]]
    preamble: list[str] = field(default_factory=list)
    postscript: list[str] = field(default_factory=list)
    html: str = ""
    kind: str = "source"
    # Figures whose disagreeing sources the postscript already names.
    _explained: set[str] = field(default_factory=set)

    @property
    def source_ids(self) -> tuple[str, ...]:
        """Ids of the sources this note cites, in order."""
        return tuple(dict.fromkeys(sid for sid, _ in self.refs))


@dataclass
class Notes:
    """The endnotes of one document.

    Notes get provisional numbers as templates use them; :meth:`finalise` renumbers them in
    reading order (charts are placed after their section's text is rendered) and writes
    their text, so the first note that cites a source is the one that gives it in full.
    """

    sources: dict[str, Source]
    language: str = DEFAULT
    # Print every figure's caveat (its `note`) in its endnote, not only those that ask.
    print_notes: bool = False
    notes: list[Note] = field(default_factory=list)
    _by_key: dict[tuple[object, ...], Note] = field(default_factory=dict)
    _cited: set[str] | None = None  # set once finalised; later notes are written at once

    def for_figure(self, fig: ResolvedFigure) -> Note:
        """The note that sources *fig* (created on first use)."""
        # Caveats (fig.note) are stated in the text where they matter; keying notes on
        # source and locator alone keeps one note per table instead of one per number.
        key = ("figure", tuple((b.source, b.locator) for b in fig.bases), fig.derivation, fig.claimed_by)
        note = self._by_key.get(key) or self._new_figure_note(key, fig)
        # Where sources disagree the brief says which value it prints and why, in the note
        # however many figures share it and whichever of them is cited first.
        if fig.alternatives and fig.id not in note._explained:
            note._explained.add(fig.id)
            self._postscript(note, self._alternatives(fig))
        self._caveat(note, fig)
        return note

    def _new_figure_note(self, key: tuple[object, ...], fig: ResolvedFigure) -> Note:
        preamble: list[str] = []
        if fig.claimed_by:
            claim = "Claim attributed to {who}; not independently verified."
            preamble.append(caption(claim, self.language, who=escape(fig.claimed_by)))
        if fig.derivation:
            preamble.append(f"{caption('Calculated', self.language)}: {escape(fig.derivation)}.")
        refs: dict[str, list[str]] = {}
        for base in fig.bases:
            if base.source:
                locs = refs.setdefault(base.source, [])
                if base.locator and base.locator not in locs:
                    locs.append(base.locator)
        return self._add(key, [(sid, "; ".join(locs)) for sid, locs in refs.items()], preamble)

    def _alternatives(self, fig: ResolvedFigure) -> tuple[str, str]:
        """The sentence naming the values not used for *fig*, and the reason for the one used."""
        others = "; ".join(
            f"{escape(fig.format_other(alt))} "
            f"({escape(bracketed(', '.join(p for p in (short_title(self.sources[alt.source]), alt.locator) if p)))})"
            for alt in fig.alternatives
            if alt.source in self.sources
        )
        # Named by its label, in one sentence: several figures with other values can share one note.
        given = caption("{label}: other sources give {values}.", self.language, label=escape(fig.label), values=others)
        return given, escape(fig.preferred or "")

    def _postscript(self, note: Note, sentences: tuple[str, str]) -> None:
        # Every "other sources give" sentence first, then each distinct reason once.
        values, reason = sentences
        note.postscript.insert(len(note._explained) - 1, values)
        added = [values]
        if reason and reason not in note.postscript:
            note.postscript.append(reason)
            added.append(reason)
        if note.html:  # already written: cited from the layout
            note.html = typographic(note.html + " " + " ".join(added))

    def _caveat(self, note: Note, fig: ResolvedFigure) -> None:
        if fig.note and (fig.print_note or self.print_notes):
            caveat = escape(fig.note.strip())
            if not caveat.endswith((".", "!", "?")):
                caveat += "."
            printed = caption("Note: {text}", self.language, text=caveat)
            if printed not in note.postscript:
                self._append(note, printed)

    def _append(self, note: Note, text: str) -> None:
        note.postscript.append(text)
        if note.html:  # already written: cited from the layout
            note.html = typographic(note.html + " " + text)

    def for_footnote(self, key: tuple[str, str], html: str) -> Note:
        """The explanatory note for footnote *key* (section, label), its text *html*
        (sanitised with the section it came from)."""
        if ("footnote", *key) in self._by_key:
            return self._by_key[("footnote", *key)]
        note = self._add(("footnote", *key), [], [html])
        note.kind = "explanatory"
        return note

    def for_source(self, source_id: str, locator: str | None = None) -> Note:
        """The note citing *source_id* at *locator* (for quotes and non-numeric claims)."""
        key = ("source", source_id, locator)
        if key in self._by_key:
            return self._by_key[key]
        return self._add(key, [(source_id, locator or "")], [])

    def _add(self, key: tuple[object, ...], refs: list[tuple[str, str]], preamble: list[str]) -> Note:
        note = Note(len(self.notes) + 1, refs, preamble)
        self.notes.append(note)
        self._by_key[key] = note
        if self._cited is not None:  # cited from the layout, after the sections were numbered
            self._write(note)
        return note

    def _write(self, note: Note) -> None:
        assert self._cited is not None
        parts = list(note.preamble)
        for sid, locator in note.refs:
            parts.append(self._reference(sid, locator, first=sid not in self._cited))
            self._cited.add(sid)
        note.html = typographic(" ".join(parts + note.postscript))

    def finalise(self, order: list[int]) -> dict[int, int]:
        """Renumber notes so that *order* (provisional numbers as first read) runs 1, 2, 3…

        Notes never read are dropped. Returns the mapping from old to new numbers.
        """
        by_number = {n.number: n for n in self.notes}
        kept = [by_number[number] for number in dict.fromkeys(order) if number in by_number]
        mapping = {note.number: new for new, note in enumerate(kept, start=1)}
        self._cited = set()
        for note in kept:
            note.number = mapping[note.number]
            self._write(note)
        self.notes = kept
        self._by_key = {k: n for k, n in self._by_key.items() if n in kept}
        return mapping

    def _reference(self, source_id: str, locator: str, first: bool) -> str:
        source = self.sources[source_id]
        loc = f", {escape(locator)}" if locator else ""
        if not first:
            return f"{escape(short_title(source))}{loc}."
        url = link(source)
        # A URL ends its sentence too: the next sentence must not run on from it.
        return f"{full_citation(source, self.language)}{loc}." + (f" {url}." if url else "")

    @property
    def cited_sources(self) -> list[str]:
        """Ids of every source cited, in order of first citation."""
        return list(dict.fromkeys(sid for n in self.notes for sid in n.source_ids))


def source_line(figures: list[ResolvedFigure], sources: dict[str, Source], language: str = DEFAULT) -> str:
    """A chart's source line built from its figures: ``AI Index 2025, ch. 4, fig. 4.3.8.``"""
    locators: dict[str, list[str]] = {}
    for fig in figures:
        for base in fig.bases:
            if base.source:
                locs = locators.setdefault(base.source, [])
                if base.locator and base.locator not in locs:
                    locs.append(base.locator)
    parts = [
        ", ".join([short_title(sources[sid]), "; ".join(locs)]) if locs else short_title(sources[sid])
        for sid, locs in locators.items()
    ]
    label = caption("Source" if len(parts) == 1 else "Sources", language)
    return f"{label}: " + "; ".join(parts) + "."
