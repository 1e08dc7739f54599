"""Languages are editions: one brief file builds each audience in each of its `languages`.

Every text may be a mapping of language to text; a missing translation is a warning at its
line (an error with --strict); a section template may exist per language; the file names of a
brief in several languages carry the language (a brief in one keeps its names); each PDF
standard writes a file of its own; and what brief itself writes in a German edition is German.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from babel.dates import get_month_names
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.errors import CheckFailed
from brief.model.language import format_date
from brief.model.request import Edition, name_clashes, output_name
from brief.pipeline.check import check, checked_for
from brief.workspace.load import load_workspace
from brief.workspace.templates import TemplateSet
from helpers import REPO, copy_workspace, line_number, replace_in, request_for

EXAMPLE = REPO / "examples" / "de-brief"
LOCALE = REPO / "src" / "brief" / "locale"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def bilingual(ws: Path) -> Path:
    """The mini workspace as a brief in English and German, with its title, a chart title and
    a figure label translated."""
    brief = ws / "briefs" / "mini.yaml"
    replace_in(brief, "language: en-US", "languages: [en-US, de-DE]")
    replace_in(brief, "title: The Widget Gap\n", "title:\n  en: The Widget Gap\n  de: Die Widget-Lücke\n")
    replace_in(
        brief,
        "    title: Alpha installs about six times as many widgets as Beta\n",
        "    title:\n      en: Alpha installs about six times as many widgets as Beta\n"
        "      de-DE: Alpha installiert etwa sechsmal so viele Widgets wie Beta\n",
    )
    return brief


def test_each_text_is_read_in_the_editions_language(ws: Path) -> None:
    """A brief with `languages` is read in the language asked for (`de` serves `de-DE`), in
    its first when none is; a plain string serves every language."""
    bilingual(ws)
    german = load_workspace(ws, language="de-DE").briefs["mini"]
    assert (german.title, german.language, german.languages) == ("Die Widget-Lücke", "de-DE", ["en-US", "de-DE"])
    assert german.charts["counts"].title == "Alpha installiert etwa sechsmal so viele Widgets wie Beta"
    assert german.subtitle == "Alpha installs far more widgets than Beta"  # one string for both
    english = load_workspace(ws).briefs["mini"]
    assert (english.title, english.language) == ("The Widget Gap", "en-US")


def test_a_missing_translation_is_a_warning_at_its_line_and_an_error_with_strict(ws: Path) -> None:
    """A text without the edition's language is a warning at the line of its mapping, naming
    the field and what the edition prints instead (the first language's text); `brief check`
    asks about every language; a --strict build of that language stops."""
    brief = bilingual(ws)
    replace_in(brief, "subtitle: Alpha installs far more widgets than Beta", "subtitle: {en: Alpha leads}")
    warnings = [w for w in check(ws).warnings if "has no" in w.message]
    assert [(w.path, w.line) for w in warnings] == [(brief, line_number(brief, "subtitle: {en: Alpha leads}"))]
    assert warnings[0].message == "subtitle has no de-DE text; the de-DE edition prints 'Alpha leads'"
    with pytest.raises(CheckFailed) as failed:
        checked_for(request_for(ws, "mini", "policy", language="de-DE", strict=True))
    assert [p.message for p in failed.value.problems] == [warnings[0].message]
    checked_for(request_for(ws, "mini", "policy", language="en-US", strict=True))  # English is whole


def test_a_bad_language_mapping_is_an_error_at_its_line(ws: Path) -> None:
    """A mapping whose key is not a language, or `language` beside `languages`, is refused at
    its line, saying what to write."""
    brief = bilingual(ws)
    replace_in(brief, "  de: Die Widget-Lücke\n", "  german: Die Widget-Lücke\n")
    errors = check(ws).errors
    assert [(e.path, e.line) for e in errors] == [(brief, line_number(brief, "title:"))]
    assert "'german' is not a language" in errors[0].message
    replace_in(brief, "  german: Die Widget-Lücke\n", "  de: Die Widget-Lücke\n")
    replace_in(brief, "languages: [en-US, de-DE]", "languages: [en-US, de-DE]\nlanguage: en-US")
    errors = check(ws).errors
    assert [(e.path, e.line, e.message) for e in errors] == [
        (
            brief,
            line_number(brief, "language: en-US"),
            "write either `language` (one) or `languages` (several), not both",
        )
    ]


def test_a_figure_label_and_locator_may_be_translated(ws: Path) -> None:
    """Figure files take mappings of language to text too; a figure without one is named."""
    bilingual(ws)
    figures = ws / "data" / "figures" / "widgets.yaml"
    text = figures.read_text(encoding="utf-8")
    label = re.search(r"^  label: (.+)$", text, re.MULTILINE)
    assert label is not None
    replace_in(figures, label.group(0), f"  label:\n    en: {label.group(1)}\n    de: Widgets (übersetzt)")
    german = load_workspace(ws, language="de-DE")
    assert "Widgets (übersetzt)" in [f.label for f in german.figures.values()]
    assert "Widgets (übersetzt)" not in [f.label for f in load_workspace(ws, language="en-US").figures.values()]


def test_a_section_template_per_language_comes_first(ws: Path) -> None:
    """templates/AUDIENCE/LANG/SECTION.md.j2 (the tag, or its language alone) is found before
    templates/AUDIENCE/SECTION.md.j2, and only for that language."""
    german = ws / "templates" / "policy" / "de"
    german.mkdir()
    (german / "intro.md.j2").write_text("## Einleitung\n", encoding="utf-8")
    found = TemplateSet(ws / "templates", "policy", language="de-DE").environment().get_template("intro.md.j2")
    assert found.filename == str((german / "intro.md.j2").resolve())
    assert TemplateSet(ws / "templates", "policy", language="de-DE").find_own("intro.md.j2") == german / "intro.md.j2"
    english = TemplateSet(ws / "templates", "policy", language="en-US").environment().get_template("intro.md.j2")
    assert english.filename == str((ws / "templates" / "policy" / "intro.md.j2").resolve())


def test_names_carry_the_language_only_for_a_brief_in_several() -> None:
    """One naming function: a one-language brief keeps today's names; a brief in several gets
    the tag; every PDF standard has its own file; clashes across all of them are found."""
    assert output_name("x", "policy") == "x-policy.pdf"
    assert output_name("x", "policy", language="de-DE") == "x-policy-de-DE.pdf"
    assert output_name("x", "p", "ua-1", "pdf", "china", "de-DE") == "x-p-china-de-DE.pdf"
    names = {output_name("x", "policy", standard) for standard in ("ua-1", "a-3a", "a-3b", "none")}
    assert names == {"x-policy.pdf", "x-policy-a3a.pdf", "x-policy-a3b.pdf", "x-policy-plain.pdf"}
    clash = name_clashes([Edition("x", "p", "", "de-DE"), Edition("x", "p-de", "DE")])
    assert [name for name, _, _ in clash] == ["x-p-de-DE.pdf"]
    assert name_clashes([Edition("x", "p", "", "de-DE"), Edition("x", "p", "", "en-US")]) == []


def test_dates_follow_cldr_for_the_language() -> None:
    """en-US writes "December 1, 2026" (CLDR's long date), en-GB "1 December 2026"."""
    day = dt.date(2026, 12, 1)
    assert [format_date(day, tag) for tag in ("en-US", "en-GB", "de-DE")] == [
        "December 1, 2026",
        "1 December 2026",
        "1. Dezember 2026",
    ]


def test_language_option_and_the_plan_of_all(ws: Path) -> None:
    """--all plans each audience in each language; --language picks one; a language the brief
    is not written in is refused with the ones it is."""
    from brief.runtime.parallel import plan

    bilingual(ws)
    every = plan(ws, "mini", [], True, False)
    assert sorted((t.audience, t.language) for t in every) == [
        ("policy", "de-DE"),
        ("policy", "en-US"),
        ("press", "de-DE"),
        ("press", "en-US"),
    ]
    assert {t.language for t in plan(ws, "mini", [], True, False, "de-DE")} == {"de-DE"}
    assert run("-C", str(ws), "new", "brief", "english-only").exit_code == 0
    assert {t.brief for t in plan(ws, None, [], False, True, "de-DE")} == {"mini"}  # --all-briefs
    result = run("-C", str(ws), "build", "mini", "--language", "fr-FR")
    assert result.exit_code != 0
    assert "not written in 'fr-FR'" in result.output and "en-US, de-DE" in result.output


def test_list_shows_languages_and_variants(ws: Path) -> None:
    """`brief list` says which languages (and variants) each brief is built in."""
    bilingual(ws)
    assert "  2 languages: en-US, de-DE" in run("-C", str(ws), "list").output
    profiles = run("-C", str(REPO / "examples" / "country-profiles"), "list").output
    assert "  5 variants: us, china, japan, uk, canada" in profiles


def test_figures_of_a_brief_print_in_its_language(tmp_path: Path) -> None:
    """`brief figures BRIEF` prints each value as that brief does: in its (first) language."""
    from brief.commands.figures import figure_rows

    root = copy_workspace(EXAMPLE, tmp_path / "de")
    rows = {row["id"]: row for row in figure_rows(root, "halbleiter")}
    assert rows["robots_china_2023"]["printed_as"] == "276.300 Industrieroboter"
    # A derived figure says how it was calculated in the brief's language, too.
    assert rows["investment_ratio_us_china"]["source"].startswith("berechnet: 109,1 Mrd. US-Dollar"), rows


# --- the example, built in both languages ---------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/de-brief built with `brief build --all`: German and English from one file."""
    root = copy_workspace(EXAMPLE, tmp_path_factory.mktemp("bilingual") / "ws")
    result = run("-C", str(root), "build", "--all")
    assert result.exit_code == 0, result.output
    return root


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_all_builds_both_languages_and_then_says_each_is_up_to_date(example: Path) -> None:
    """Both editions are written, each tagged with its language for readers and hyphenation;
    a second --all writes nothing and says so per edition; --language builds one."""
    out = example / "out"
    for tag in ("de-DE", "en-US"):
        with pikepdf.open(out / f"halbleiter-policy-{tag}.pdf") as pdf:
            assert str(pdf.Root.Lang) == tag
    assert not (out / "halbleiter-policy.pdf").exists()
    again = run("-C", str(example), "build", "--all").output
    assert again.count("up to date") == 2 and "de-DE.pdf" in again and "en-US.pdf" in again
    one = run("-C", str(example), "build", "--language", "en-US").output
    assert one.startswith("out/halbleiter-policy-en-US.pdf") and "up to date" in one
    charts = run("-C", str(example), "charts", "--language", "en-US").output
    assert charts.splitlines()[0] == "out/charts/halbleiter-policy-en-US/robots.svg"
    assert "United States" in (out / "charts" / "halbleiter-policy-en-US" / "robots.svg").read_text(encoding="utf-8")
    english = " ".join(pdf_text(out / "halbleiter-policy-en-US.pdf").split())
    for expected in ("Figure 1.", "Source: AI Index 2025, ch. 4", "November 22, 2026", "“private”", "United Kingdom"):
        assert expected in english, expected
    german = " ".join(pdf_text(out / "halbleiter-policy-de-DE.pdf").split())
    for expected in ("Abbildung 1.", "Quelle: AI Index 2025, Kap. 4", "22. November 2026", "„privat“", "Vereinigtes"):
        assert expected in german, expected


@pytest.mark.slow
def test_editing_one_languages_template_leaves_the_other_edition_up_to_date(tmp_path: Path) -> None:
    """The German sections are not the English edition's inputs: after an edit to one, --all
    rebuilds the German edition only, and verify names each edition with its language."""
    root = copy_workspace(EXAMPLE, tmp_path / "ws")
    assert run("-C", str(root), "build", "--all").exit_code == 0
    with (root / "templates" / "policy" / "de-DE" / "summary.md.j2").open("a", encoding="utf-8") as handle:
        handle.write("\nEin Satz mehr.\n")
    again = run("-C", str(root), "build", "--all").output
    assert "out/halbleiter-policy-en-US.pdf  1 page  up to date" in again
    assert "out/halbleiter-policy-de-DE.pdf  1 page  up to date" not in again
    assert "Ein Satz mehr." in pdf_text(root / "out" / "halbleiter-policy-de-DE.pdf")
    verified = run("-C", str(root), "verify", str(root / "out" / "halbleiter-policy-de-DE.pdf"))
    assert verified.exit_code == 0 and "built for halbleiter/policy/de-DE" in verified.output


def _words(text: str) -> set[str]:
    # Lower case (the layout sets some lines in capitals), without punctuation or numbers
    # ("11,7-mal" is the number and "mal"), links left out.
    words = [re.sub(r"^[\d.,%$€+−–-]+", "", w.strip(".,:;()[]·„“”‘’\"'?!")) for w in text.split() if "/" not in w]
    # A compound broken at its own hyphen at a line end ("KI-|Standorte") is extracted joined.
    return ({w.lower() for w in words} | {w.lower().replace("-", "") for w in words}) - {""}


def _msgstrs(language: str) -> str:
    po = (LOCALE / language / "LC_MESSAGES" / "brief.po").read_text(encoding="utf-8")
    return " ".join(re.findall(r'^msgstr "(.*)"$', po, re.MULTILINE))


def _msgids(language: str) -> str:
    po = (LOCALE / language / "LC_MESSAGES" / "brief.po").read_text(encoding="utf-8")
    return " ".join(re.findall(r'^msgid "(.*)"$', po, re.MULTILINE))


@pytest.mark.slow
def test_the_text_brief_itself_wrote_in_the_german_pdf_is_german(example: Path) -> None:
    """Every word of the German PDF that is not in the workspace's own files (the narrative,
    the brief file, figures, sources, units, brand) was written by brief: captions, locator
    words, notes' joining words, dates, the colophon. Each of those is a word of the German
    catalogue, a German month or a number, and none is an English caption's."""
    pdf = example / "out" / "halbleiter-policy-de-DE.pdf"
    assert (example / "templates" / "policy" / "de-DE" / "summary.md.j2").is_file()
    # The German text of the workspace: its English templates and English texts left out.
    files = [p for p in example.rglob("*") if p.suffix in (".yaml", ".yml") or p.parent.name == "de-DE"]
    inputs = re.sub(r"\ben: [^,}\n]*", "", " ".join(p.read_text(encoding="utf-8") for p in files))
    written = _words(pdf_text(pdf)) - _words(inputs)
    tool = {w for w in written - _words("halbleiter-policy-de-de") if any(c.isalpha() for c in w)}
    months = " ".join(get_month_names("wide", locale="de_DE").values())
    units = (REPO / "src" / "brief" / "model" / "units.yaml").read_text(encoding="utf-8")
    unit_words = " ".join(re.findall(r"^\s+de: (.*)$", units, re.MULTILINE)).replace("{n}", " ")
    german = _words(_msgstrs("de")) | _words(months) | _words(unit_words) | {"mrd", "us-dollar", "brief"}
    assert {"abbildung", "quelle", "anmerkungen", "seite"} <= tool, "the test reads the wrong text"
    assert tool <= german, sorted(tool - german)
    english = _words(_msgids("de")) - _words(_msgstrs("de")) | {"figure", "source", "notes", "page", "data", "ch", "p"}
    assert not tool & english, sorted(tool & english)


def test_every_kind_of_chart_is_named_in_german() -> None:
    """A German chart's alt text names its kind in German: every kind has its caption."""
    from brief.model.language import caption
    from brief.pipeline.chart_data import _KIND_NAMES

    untranslated = [name for name in _KIND_NAMES.values() if caption(name, "de-DE") == name]
    assert untranslated == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: A\naudiences: {}\n", ["en-US"]),
        ("title: A\nnote: large language models\n  language: fr\n", ["en-US"]),
        ("languages: [de-DE, en-US]\n", ["de-DE", "en-US"]),
        ('"languages": [de-DE, en-US]\n', ["de-DE", "en-US"]),
        ("\ufefflanguage: fr-FR\n", ["fr-FR"]),
        ("title: A\nlanguage: de-DE  # the first\naudiences: {}\n", ["de-DE"]),
        ("language: 'de-DE'\n", ["de-DE"]),
        ("language: fr-FR\nlanguages: [de-DE, en-US]\n", ["de-DE", "en-US"]),
        ("---\n# a brief\ntitle: A\nlanguage: de-DE\n", ["de-DE"]),
        # Valid YAML whose keys do not start a line: read by the parser.
        ("  title: X\n  languages: [de-DE, en-US]\n", ["de-DE", "en-US"]),
        ("--- {title: X, languages: [de-DE, en-US]}\n", ["de-DE", "en-US"]),
        ("title: X\rlanguages: [de-DE, en-US]\r", ["de-DE", "en-US"]),
        ("title: X\r\nlanguages: [de-DE, en-US]\r\n", ["de-DE", "en-US"]),
        ("title: X\u2028languages: [de-DE, en-US]\n", ["de-DE", "en-US"]),
        ("{title: A, language: fr-FR}\n", ["fr-FR"]),
        ("base: &base\n  language: fr-FR\n<<: *base\n", None),  # told only by loading it
        ("? language\n: fr-FR\n", ["fr-FR"]),
    ],
)
def test_the_languages_are_read_off_the_brief_file_without_loading_it(
    tmp_path: Path, text: str, expected: list[str] | None
) -> None:
    """Before loading the workspace (a rebuild that finds nothing changed never does), the brief
    file's languages are read from the file alone; one with no key that could name a language
    is not parsed at all, and every way YAML has of setting a top-level key is (a merge key is
    told only by loading the file: None, and the build loads it)."""
    from brief.workspace.root import brief_languages

    (tmp_path / "briefs").mkdir()
    (tmp_path / "briefs" / "b.yaml").write_text(text, encoding="utf-8")
    assert brief_languages(tmp_path, "b") == expected
