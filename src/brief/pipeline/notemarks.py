"""Note marks in the rendered HTML: moved to sentence ends, numbered in reading order.

Source marks (from ``fig()`` and ``cite()``) move to the end of their sentence, each note
once per paragraph; explanatory marks (Markdown footnotes) stay where the author put them.
Every mark is joined to the word before it by a word joiner (U+2060), so that no line
starts with a mark: a break after a full stop and before a digit is otherwise allowed.
Marks side by side are separated by a comma (``<span class="note-sep">``).
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from brief.pipeline.citations import Notes

_BLOCK = re.compile(r"<(p|li|td|th|figcaption)\b[^>]*>.*?</\1>", re.S)
# A source mark (the only kind that moves) and any mark (for numbering).
_NOTE_REF = re.compile(r'<a class="note-ref" href="#note-(\d+)"(?: id="ref-\d+")?>\d+</a>')
_ANY_REF = re.compile(r'<a class="note-ref( explanatory)?" href="#note-(\d+)"(?: id="ref-\d+")?>\d+</a>')
_UNJOINED = re.compile(r'(?<!\u2060)(<a class="note-ref)')
# Marks side by side ("¹,³") are separated in the text: a stylesheet's "a + a" would also
# match two marks with words between them.
_ADJACENT = re.compile(r'(</a>)\u2060(<a class="note-ref)')
# A full stop, question or exclamation mark, or semicolon (with any closing quote or
# bracket) followed by a space, the end or a footnote's mark; "17.5" and "3.1-405B" do not
# match, nor does an abbreviation inside a value, whose space is non-breaking ("4,5 Mrd. US-Dollar").
_SENTENCE_END = re.compile(r'[.;!?]["”’)]*(?=[^\S\u00a0]|$|\u2060?<a class="note-ref explanatory")')
WORD_JOINER = "\u2060"


def note_link(number: int, explanatory: bool = False) -> str:
    """The mark that links to note *number*."""
    kind = " explanatory" if explanatory else ""
    return f'<a class="note-ref{kind}" href="#note-{number}">{number}</a>'


def marks_to_sentence_ends(html: str) -> str:
    """Move note marks to the end of their sentence, each note once per paragraph.

    A mark straight after a number reads as an exponent ("40³"), and several marks in one
    sentence clutter it; like a printed brief, we mark the sentence instead.
    """

    def block(match: re.Match[str]) -> str:
        text = match.group(0)
        open_end = text.index(">") + 1
        close_start = text.rindex("</")
        body = text[open_end:close_start]
        marks = [(m.start(), int(m.group(1))) for m in _NOTE_REF.finditer(body)]
        if not marks:
            return text
        stripped = _NOTE_REF.sub("", body)
        # Map each mark's position in the original body to the stripped body.
        removed_before, out_marks = 0, []
        for m in _NOTE_REF.finditer(body):
            out_marks.append((m.start() - removed_before, int(m.group(1))))
            removed_before += m.end() - m.start()
        ends = [e.end() for e in _SENTENCE_END.finditer(stripped)] + [len(stripped.rstrip())]
        groups: dict[int, list[int]] = {}
        seen: set[int] = set()
        for pos, number in out_marks:
            if number in seen:
                continue
            seen.add(number)
            end = next(e for e in ends if e >= pos)
            groups.setdefault(end, []).append(number)
        pieces, last = [], 0
        for end in sorted(groups):
            pieces.append(stripped[last:end])
            pieces.extend(note_link(n) for n in sorted(groups[end]))
            last = end
        pieces.append(stripped[last:])
        return text[:open_end] + "".join(pieces) + text[close_start:]

    return _BLOCK.sub(block, html)


def number_notes(sections: list[dict[str, Any]], notes: Notes) -> None:
    """Mark each sentence once with its source notes, number the notes in the order they are
    then read (the sections, then the explanatory notes' own text), and join every mark to
    its word."""
    for section in sections:
        section["html"] = marks_to_sentence_ends(section["html"])
    texts = [sec["html"] for sec in sections] + [n.preamble[0] for n in notes.notes if n.kind == "explanatory"]
    read_order = [int(m.group(2)) for text in texts for m in _ANY_REF.finditer(text)]
    mapping = notes.finalise(read_order)
    anchored: set[int] = set()

    def renumber(match: re.Match[str]) -> str:
        return note_link(mapping[int(match.group(2))], bool(match.group(1)))

    def anchor_first(match: re.Match[str]) -> str:
        # The first mark of each note gets an id, so the note can link back to it.
        number = int(match.group(2))
        if number in anchored:
            return match.group(0)
        anchored.add(number)
        return match.group(0).replace('">', f'" id="ref-{number}">', 1)

    for section in sections:
        renumbered = _ANY_REF.sub(renumber, section["html"])
        section["html"] = Markup(_joined(_ANY_REF.sub(anchor_first, renumbered)))
    for note in notes.notes:
        if note.kind == "explanatory":
            moved = marks_to_sentence_ends(f"<p>{_ANY_REF.sub(renumber, note.html)}</p>")
            note.html = _joined(moved.removeprefix("<p>").removesuffix("</p>"))


def _joined(html: str) -> str:
    """Every mark joined to the word (or mark) before it; marks side by side separated."""
    joined = _UNJOINED.sub(WORD_JOINER + r"\1", html)
    return _ADJACENT.sub(rf'\1<span class="note-sep">,</span>{WORD_JOINER}\2', joined)
