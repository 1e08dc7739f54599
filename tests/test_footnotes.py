"""Explanatory notes (Markdown footnotes) and printed caveats (``print_note``).

Footnotes in a section become endnotes in the brief's one list, numbered in reading order
with the source notes; ``brief check`` reports unknown and unused footnote ids at their line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from brief.errors import TemplateError
from brief.pipeline.build import build
from brief.pipeline.check import check
from brief.pipeline.render import Rendered
from brief.workspace.load import load_workspace
from helpers import job_for, line_number, render_job, replace_in, request_for

MARK = re.compile(r'\u2060?<a class="note-ref( explanatory)?" href="#note-(\d+)"(?: id="ref-\d+")?>(\d+)</a>')

SECTION = """## Introduction

Alpha installed {{ fig("widgets_alpha") }} widgets, counted at installation[^count] in 2024. Gadget use \
rose.[^use]

[^count]: Installations, not sales: a widget sold one year and installed the next counts when it is \
installed. Alpha's own count is {{ fig("widgets_alpha") }}.
[^use]: A firm *uses* gadgets if it used at least one in the past year.
"""


def rendered(root: Path, text: str, audience: str = "policy") -> Rendered:
    """The mini brief rendered with *text*, then its chart, as its policy intro (charts not drawn)."""
    (root / "templates" / "policy" / "intro.md.j2").write_text(text + '\n{{ chart("counts") }}\n', encoding="utf-8")
    ws = load_workspace(root)
    job = job_for(ws, audience)
    return render_job(ws, job, draw=lambda j: ['<svg xmlns="http://www.w3.org/2000/svg"/>'] * len(j.specs))


def marks(html: str) -> list[tuple[bool, int]]:
    """``(explanatory, number)`` of every note mark in the text, in order."""
    body = html.split('<section class="endnotes">')[0]
    return [(bool(m.group(1)), int(m.group(2))) for m in MARK.finditer(body)]


def test_footnotes_are_endnotes_numbered_with_the_source_notes(ws: Path) -> None:
    """A footnote's mark stays after its word and links to an explanatory note in the one
    list; source marks move to the sentence end; numbers run in reading order; the plugin's
    own footnote list is not printed."""
    out = rendered(ws, SECTION)
    assert "[^" not in out.html and "footnotes-list" not in out.html and "footnote-ref" not in out.html
    # "count" (1) stays put; widgets_alpha's source note (2) moves to the sentence end; the
    # "use" note (3) follows the full stop; the chart's source line cites note 2 again.
    assert marks(out.html) == [(True, 1), (False, 2), (True, 3), (False, 2)]
    assert 'counted at installation\u2060<a class="note-ref explanatory"' in out.html
    assert [(n.number, n.kind) for n in out.notes] == [(1, "explanatory"), (2, "source"), (3, "explanatory")]
    assert out.notes[0].html.startswith("Installations, not sales")
    assert out.notes[0].html.endswith('276,300</span>.\u2060<a class="note-ref" href="#note-2">2</a>')
    assert out.notes[2].html == "A firm <em>uses</em> gadgets if it used at least one in the past year."
    assert '<li id="note-1" class="note-explanatory">Installations, not sales' in out.html


def test_every_mark_is_joined_to_the_word_before_it(ws: Path) -> None:
    """No line can start with a note mark: a word joiner (U+2060) precedes each one."""
    out = rendered(ws, SECTION)
    body = out.html.split('<section class="endnotes">')[0]
    found = list(re.finditer(r'<a class="note-ref', body))
    assert len(found) == 4  # two footnotes, a sentence and the chart's source line
    assert all(body[m.start() - 1] == "\u2060" for m in found)
    # Only marks side by side are separated by a comma: these are a sentence apart.
    assert "note-sep" not in body
    side_by_side = rendered(ws, 'Alpha {{ fig("widgets_alpha") }} and {{ fig("share_rise") }}.\n').html
    assert re.search(r'>1</a><span class="note-sep">,</span>\u2060<a class="note-ref" href="#note-2"', side_by_side)


def test_footnote_text_passes_the_html_policy(ws: Path) -> None:
    """A footnote is hostile input like the rest of a section: a script in it is refused,
    blamed on the section template."""
    hostile = SECTION.replace("in the past year.", 'in the past year.<script>alert("x")</script>')
    with pytest.raises(TemplateError) as info:
        rendered(ws, hostile)
    assert "<script>" in info.value.message
    assert info.value.path is not None and info.value.path.name == "intro.md.j2"


def test_unknown_and_unused_footnotes_are_check_problems(ws: Path) -> None:
    """brief check names an unknown footnote at its mark and an unused one at its definition;
    a numeric label is not a hand-typed number."""
    section = ws / "templates" / "policy" / "intro.md.j2"
    section.write_text(
        SECTION.replace("[^use]\n", "[^usage]\n") + "\nNumbered notes work too.[^1]\n\n[^1]: As here.\n",
        encoding="utf-8",
    )
    problems = [(p.path, p.line, p.message) for p in check(ws).sorted()]
    assert problems == [
        (section, line_number(section, "rose.[^usage]"), "unknown footnote [^usage]"),
        (section, line_number(section, "[^use]: A firm"), "footnote [^use] is never used"),
    ]


def test_print_note_prints_the_caveat_in_the_endnote(ws: Path) -> None:
    """A figure's note (its caveat) is printed in its endnote with `print_note: true`, or for
    every figure with the brief's `print_notes: true`; not otherwise."""
    text = '## Claims\n\nGadget Corp claims {{ fig("gadgets_claimed") }} gadgets per firm.\n'
    figures = ws / "data" / "figures" / "shares.yaml"
    assert "not verified" not in rendered(ws, text).notes[0].html
    replace_in(
        figures,
        '  note: "A vendor claim, not verified."',
        '  note: "A vendor claim, not verified."\n  print_note: true',
    )
    note = rendered(ws, text).notes[0].html
    assert note.endswith("press release. Note: A vendor claim, not verified.")
    replace_in(figures, "  print_note: true\n", "")
    replace_in(
        ws / "briefs" / "mini.yaml", "keywords: [widgets, gadgets]", "keywords: [widgets, gadgets]\nprint_notes: true"
    )
    assert rendered(ws, text).notes[0].html == note
    replace_in(ws / "briefs" / "mini.yaml", "language: en-US", "language: de-DE")
    assert rendered(ws, text).notes[0].html.endswith("Anmerkung: A vendor claim, not verified.")


@pytest.mark.slow
def test_footnotes_in_the_pdf(ws: Path) -> None:
    """Built, the footnote's text is in the PDF's notes and the number next to its word."""
    from pypdf import PdfReader

    (ws / "templates" / "policy" / "intro.md.j2").write_text(SECTION + '\n{{ chart("counts") }}\n', encoding="utf-8")
    result = build(request_for(ws))
    text = re.sub(r"\s+", " ", "".join(page.extract_text() for page in PdfReader(result.path).pages))
    assert "counted at installation1 in 2024.2" in text
    assert "2. Installations, not sales" in text or "Installations, not sales" in text
    assert "A firm uses gadgets if it used at least one in the past year." in text
    assert "[^" not in text
