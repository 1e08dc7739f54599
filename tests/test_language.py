"""A brief's language: numbers, dates, unit words and captions (brief.model.language), and
the German example workspace (examples/de-brief) built to a PDF whose text is in German."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from brief.model.language import caption, format_date, has_captions, locale_of, shipped
from brief.model.schema import Brief
from brief.model.units import format_value, from_file
from helpers import REPO, copy_workspace, request_for

EXAMPLE = REPO / "examples" / "de-brief"


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("en-US", "1,234.5 percentage points", "1,234.5 pp"),
        ("en-GB", "1,234.5 percentage points", "1,234.5 pp"),
        ("de-DE", "1.234,5 Prozentpunkte", "1.234,5 Pp."),
        ("fr-FR", "1\u202f234,5 points de pourcentage", "1\u202f234,5 pts"),
    ],
)
def test_numbers_and_unit_words_follow_the_language(language: str, long: str, short: str) -> None:
    """Separators come from CLDR and unit words from the units file's translations."""
    assert format_value(1234.5, "pp", None, "long", language=language) == long
    assert format_value(1234.5, "pp", None, "short", language=language) == short


def test_currency_units_take_symbol_and_place_from_the_language() -> None:
    """A currency unit's symbol goes where the language puts it, with its scale word."""
    units = from_file({"eur_billion": {"currency": "EUR", "scale": "billion"}})
    assert format_value(43, "eur_billion", None, units=units) == "€43 billion"
    assert format_value(43, "eur_billion", None, "short", units) == "€43B"
    assert units["eur_billion"].words()[2] == "billion euros"
    assert format_value(43.5, "eur_billion", None, units=units, language="de-DE") == "43,5 Mrd.\u00a0€"
    assert units["eur_billion"].words("de-DE")[2] == "Mrd. Euro"


def test_rounding_is_half_away_from_zero_in_every_language() -> None:
    """Babel only writes the number; the rounding readers expect is ours (0.25 → 0.3)."""
    assert format_value(0.25, "percent", 1, language="de-DE") == "0,3 %"
    assert format_value(2.5, "count", None, language="de-DE") == "3"


def test_dates_and_captions_in_german_and_english() -> None:
    """Dates follow CLDR's long pattern; captions are translated, English is the fallback."""
    day = dt.date(2026, 3, 2)
    assert format_date(day) == "March 2, 2026"
    assert format_date(day, "en-GB") == "2 March 2026"
    assert format_date(day, "de-DE") == "2. März 2026"
    assert caption("Figure {number}.", "de-DE", number="3") == "Abbildung 3."
    assert caption("Page {page} of {pages}", "de-AT", page="1", pages="2") == "Seite 1 von 2"
    assert caption("Notes", "fr-FR") == "Notes"  # no French catalogue: English
    assert shipped() == ["de", "en"]
    assert has_captions("de-CH") and not has_captions("fr-FR")


def test_an_unknown_language_is_refused_with_a_hint() -> None:
    """A language Babel does not know is a validation error naming good tags."""
    with pytest.raises(ValueError, match="BCP 47 tag such as en-US"):
        locale_of("xx-QQ")
    # The tag names a catalogue folder: nothing but a tag's letters gets that far.
    for hostile in ("../../etc/passwd", "de/../../x", "x" * 10_000):
        with pytest.raises(ValueError, match="is not a language tag"):
            locale_of(hostile)
        assert caption("Notes", hostile) == "Notes"
    fields = {"id": "b", "title": "T", "date": "2026-01-01", "authors": ["A"], "audiences": {}}
    with pytest.raises(ValidationError, match="unknown language 'tlh-QQ'"):
        Brief.model_validate({**fields, "language": "tlh-QQ"})


@pytest.mark.slow
def test_german_example_builds_with_german_captions_dates_and_numbers(tmp_path: Path) -> None:
    """examples/de-brief builds on A4 and its PDF's text is German throughout: captions,
    the date, numbers with decimal commas and thousands points, unit words, page numbers."""
    from pypdf import PdfReader

    from brief.pipeline.build import build

    root = copy_workspace(EXAMPLE, tmp_path / "de")  # the built-in theme: no layout of its own
    result = build(request_for(root, "halbleiter", "policy"))
    reader = PdfReader(result.path)
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
    for expected in (
        "Abbildung 1.",
        "Abbildung 2.",
        "Quelle: AI Index 2025",
        "Anmerkungen",
        "Berechnet: 109,1 Mrd. US-Dollar",
        "22. November 2026",
        "276.300 Industrieroboter",
        "109,1 Mrd. US-Dollar",
        "11,7-mal",
        "Seite 1 von 1",
    ):
        assert expected in text, expected
    for english in ("Figure 1", "Source:", "Notes", "Page 1", "November 22", "276,300", "109.1"):
        assert english not in text, english
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_check_warns_about_a_language_without_captions(ws: Path) -> None:
    """A French brief builds (French numbers and dates) but check warns, at the language's
    line, that its captions are English; a German one is clean."""
    from brief.pipeline.check import check
    from helpers import line_number, replace_in

    brief_file = ws / "briefs" / "mini.yaml"
    replace_in(brief_file, "language: en-US", "language: fr-FR")
    warnings = check(ws).warnings
    assert [(w.path, w.line) for w in warnings] == [(brief_file, line_number(brief_file, "language: fr-FR"))]
    assert "no captions in 'fr-FR'" in warnings[0].message and "de, en" in (warnings[0].hint or "")
    replace_in(brief_file, "language: fr-FR", "language: de-DE")
    assert check(ws).warnings == []
