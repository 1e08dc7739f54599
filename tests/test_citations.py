"""Citations and endnotes (brief.pipeline.citations): numbering, full then short references, source lines."""

from __future__ import annotations

import pytest

from brief.model.schema import CslDate, Source
from brief.pipeline.citations import Notes, format_date, full_citation, link, short_title, source_line
from brief.pipeline.resolve import Job


def written(notes: Notes) -> Notes:
    """Finalise *notes* in the order they were made, as render does after placing charts."""
    notes.finalise([n.number for n in notes.notes])
    return notes


@pytest.fixture
def notes(mini_job: Job) -> Notes:
    """An empty set of endnotes over the mini workspace's sources."""
    return Notes(mini_job.sources)


def test_notes_are_numbered_by_first_use(mini_job: Job, notes: Notes) -> None:
    """Notes are numbered 1, 2, 3 … in the order they are first asked for."""
    f = mini_job.figures
    first = notes.for_figure(f["share_2023"])
    second = notes.for_figure(f["widgets_alpha"])
    third = notes.for_figure(f["investment_alpha"])
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert [n.number for n in notes.notes] == [1, 2, 3]


def test_same_figure_twice_is_the_same_note(mini_job: Job, notes: Notes) -> None:
    """Citing a figure again returns its existing note; no new note is made."""
    fig = mini_job.figures["widgets_alpha"]
    assert notes.for_figure(fig) is notes.for_figure(fig)
    assert len(notes.notes) == 1


def test_same_source_and_locator_share_a_note(mini_job: Job, notes: Notes) -> None:
    """Two figures from the same table (same source and locator) point to one note."""
    alpha = notes.for_figure(mini_job.figures["widgets_alpha"])
    beta = notes.for_figure(mini_job.figures["widgets_beta"])
    assert alpha is beta


def test_first_citation_is_full(mini_job: Job, notes: Notes) -> None:
    """The first note citing a source gives author, title, publisher, date, locator and URL."""
    note = notes.for_figure(mini_job.figures["widgets_alpha"])
    written(notes)
    assert note.html == (
        "Widget Institute, <cite>The Widget Report 2025</cite> (Widget Press, April 2025), "
        'table 1, p. 4. <a class="url" href="https://example.org/widgets">https://example.org/widgets</a>.'
    )
    assert note.source_ids == ("report-a",)


def test_later_citations_are_short(mini_job: Job, notes: Notes) -> None:
    """A later note citing the same source at another locator uses the short title, no URL."""
    notes.for_figure(mini_job.figures["widgets_alpha"])
    later = notes.for_figure(mini_job.figures["investment_alpha"])
    written(notes)
    assert later.html == "Widget Report, table 2, p. 9."


def test_short_form_falls_back_to_title(mini_job: Job, notes: Notes) -> None:
    """A source without a short title is cited by its full title the second time."""
    notes.for_figure(mini_job.figures["share_2023"])
    later = notes.for_figure(mini_job.figures["share_2024"])
    written(notes)
    assert later.html == "Gadget Survey, fig. 3."


def test_person_author_and_full_date(mini_job: Job, notes: Notes) -> None:
    """A person is written given name first; a full date as CLDR writes it in en-US; no URL, no link."""
    note = notes.for_figure(mini_job.figures["share_2023"])
    written(notes)
    assert note.html == "Jane Smith, <cite>Gadget Survey</cite> (June 7, 2024), fig. 2."


def test_derived_figure_note(mini_job: Job, notes: Notes) -> None:
    """A derived figure's note shows the calculation, then its bases' source with both locators."""
    note = notes.for_figure(mini_job.figures["share_rise"])
    written(notes)
    assert note.html.startswith("Calculated: 48% (Share of firms using gadgets, 2023) → 75% ")
    assert note.html.endswith("<cite>Gadget Survey</cite> (June 7, 2024), fig. 2; fig. 3.")


def test_derived_note_differs_from_its_inputs_note(mini_job: Job, notes: Notes) -> None:
    """A ratio and the counts it is computed from get different notes (the ratio says how)."""
    counts = notes.for_figure(mini_job.figures["widgets_alpha"])
    ratio = notes.for_figure(mini_job.figures["widgets_ratio"])
    assert counts is not ratio
    written(notes)
    assert ratio.html.startswith("Calculated: 276,300 (Widgets installed by Alpha, 2024) ÷ ")
    assert ratio.html.endswith("Widget Report, table 1, p. 4.")


def test_claimed_figure_note(mini_job: Job, notes: Notes) -> None:
    """A claimed figure's note attributes the claim and says it is not verified."""
    note = notes.for_figure(mini_job.figures["gadgets_claimed"])
    written(notes)
    assert note.html.startswith("Claim attributed to Gadget Corp; not independently verified. ")


def test_notes_renumbered_in_reading_order(mini_job: Job, notes: Notes) -> None:
    """finalise() renumbers notes in the order they are read and drops notes never read."""
    f = mini_job.figures
    a = notes.for_figure(f["share_2023"])
    b = notes.for_figure(f["widgets_alpha"])
    unread = notes.for_figure(f["investment_alpha"])
    mapping = notes.finalise([b.number, a.number, b.number])
    assert mapping == {2: 1, 1: 2}
    assert [n.number for n in notes.notes] == [1, 2]
    assert notes.notes[0] is b and unread not in notes.notes
    assert notes.notes[0].html.startswith("Widget Institute, <cite>")  # now first: full reference


def test_cite_a_source_directly(notes: Notes) -> None:
    """for_source makes one note per source and locator; asking again returns it."""
    quote = notes.for_source("report-a", "p. 3")
    assert notes.for_source("report-a", "p. 3") is quote
    other = notes.for_source("report-a", "p. 5")
    assert other.number == 2
    written(notes)
    assert other.html == "Widget Report, p. 5."
    assert notes.cited_sources == ["report-a"]


def test_cited_sources_in_order_of_first_citation(mini_job: Job, notes: Notes) -> None:
    """cited_sources lists each source once, in order of first citation."""
    notes.for_figure(mini_job.figures["share_2023"])
    notes.for_figure(mini_job.figures["widgets_alpha"])
    notes.for_figure(mini_job.figures["share_2024"])
    assert notes.cited_sources == ["survey-b", "report-a"]


def test_citation_html_is_escaped() -> None:
    """Titles, names and URLs from data are HTML-escaped in the note."""
    source = Source.model_validate(
        {
            "id": "x",
            "type": "report",
            "title": "Bits & <b>bytes</b>",
            "publisher": "A <i>press</i>",
            "author": [{"literal": "R&D <Lab>"}],
            "issued": "2024",
            "URL": 'https://example.org/?a=1&b="2"',
        }
    )
    html = full_citation(source)
    assert "<b>" not in html and "<i>" not in html
    assert "Bits &amp; &lt;b&gt;bytes&lt;/b&gt;" in html
    assert "R&amp;D &lt;Lab&gt;" in html
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in link(source)


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ([2025], "2025"),
        ([2025, 4], "April 2025"),
        ([2025, 4, 7], "April 7, 2025"),
    ],
    ids=["year", "month", "day"],
)
def test_format_date(parts: list[int], text: str) -> None:
    """Dates print at the precision they are known to."""
    assert format_date(CslDate.model_validate({"date-parts": [parts]})) == text


def test_short_title(mini_job: Job) -> None:
    """The short title is title-short, or the title when there is none."""
    assert short_title(mini_job.sources["report-a"]) == "Widget Report"
    assert short_title(mini_job.sources["survey-b"]) == "Gadget Survey"


def test_source_line_one_source(mini_job: Job) -> None:
    """A chart's source line names its one source by short title, locators deduplicated."""
    f = mini_job.figures
    assert source_line([f["widgets_alpha"], f["widgets_beta"]], mini_job.sources) == (
        "Source: Widget Report, table 1, p. 4."
    )


def test_source_line_joins_locators(mini_job: Job) -> None:
    """Different locators in one source are joined with semicolons."""
    f = mini_job.figures
    assert source_line([f["share_2023"], f["share_2024"]], mini_job.sources) == (
        "Source: Gadget Survey, fig. 2; fig. 3."
    )


def test_source_line_several_sources(mini_job: Job) -> None:
    """Several sources make a "Sources:" line, in order of appearance; derived figures count
    their bases."""
    f = mini_job.figures
    assert source_line([f["rise_per_ratio"]], mini_job.sources) == (
        "Sources: Gadget Survey, fig. 2; fig. 3; Widget Report, table 1, p. 4."
    )


def test_a_shared_note_names_every_disagreeing_value(mini_job: Job, notes: Notes) -> None:
    """Two figures from one table share a note; where the second (cited after the first) and a
    third have values from other sources, the note names both, each by its label, whichever
    figure made the note, and gives a shared reason once."""
    from dataclasses import replace

    f = mini_job.figures
    alpha, beta = f["widgets_alpha"], f["widgets_beta"]
    other = alpha.bases[0].model_copy(update={"id": "widgets_alpha_elsewhere", "value": 7})
    why = "The report counts every site."
    beta_chosen = replace(beta, preferred=why, alternatives=(other.model_copy(update={"id": "b2", "value": 8}),))
    alpha_chosen = replace(alpha, preferred=why, alternatives=(other,))
    note = notes.for_figure(alpha)  # the note's first figure has no other values
    assert notes.for_figure(beta_chosen) is note
    assert notes.for_figure(alpha_chosen) is note
    text = written(notes).notes[0].html
    assert f"{beta.label}: other sources give 8" in text
    assert f"{alpha.label}: other sources give 7" in text
    assert text.count(why) == 1
    assert text.index("give 8") < text.index("give 7") < text.index(why)
