"""Stage 1, load (brief.workspace: load, yamlio; brief.model.schema): every problem named with file and line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from brief.errors import DataError, WorkspaceError
from brief.workspace.load import find_root, load_workspace
from brief.workspace.yamlio import line_of, plain, read_yaml
from helpers import REPO, line_number, replace_in

# A valid base figure, to which tests add one broken field at a time.
GOOD_FIGURE = """\
- id: extra_figure
  label: An extra figure for a test
  value: 12.5
  unit: pp
  as_of: "2024"
  source: report-a
  locator: "table 9"
"""


def write_extra(root: Path, text: str, name: str = "zz_extra.yaml") -> Path:
    """Add a figures file to the workspace and return its path."""
    path = root / "data" / "figures" / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(root: Path) -> DataError:
    """Load *root*, expecting a DataError, and return it."""
    with pytest.raises(DataError) as info:
        load_workspace(root)
    return info.value


# --- a valid workspace -------------------------------------------------------------


def test_mini_workspace_loads(mini: Path) -> None:
    """The fixture workspace loads: its brief, both sources and every figure, by id."""
    ws = load_workspace(mini)
    assert list(ws.briefs) == ["mini"]
    assert set(ws.sources) == {"report-a", "survey-b"}
    assert {"widgets_alpha", "widgets_ratio", "share_rise", "gadgets_claimed"} <= set(ws.figures)
    assert ws.figures["widgets_alpha"].value == 276300
    assert ws.figures["widgets_ratio"].derive is not None
    assert ws.root == mini.resolve()
    assert ws.templates_dir == mini.resolve() / "templates"
    assert ws.out_dir == mini.resolve() / "out"


def test_origins_record_file_and_line(mini: Path) -> None:
    """Each entry remembers the file and the line of its ``- id:``, for later error messages."""
    ws = load_workspace(mini)
    path = mini.resolve() / "data" / "figures" / "widgets.yaml"
    origin = ws.origin("figure", "widgets_beta")
    assert origin.path == path
    assert origin.line == line_number(path, "- id: widgets_beta")
    assert ws.origin("brief", "mini").path.name == "mini.yaml"


def test_brief_id_defaults_to_file_stem(mini: Path) -> None:
    """A brief without an ``id`` takes its file name as id."""
    ws = load_workspace(mini)
    assert ws.briefs["mini"].id == "mini"


def test_csl_dates_accept_date_parts_and_iso(mini: Path) -> None:
    """Source dates may be CSL ``date-parts`` or a plain ISO date (which YAML reads as a date)."""
    ws = load_workspace(mini)
    assert ws.sources["report-a"].issued.parts == [2025, 4]
    assert ws.sources["survey-b"].issued.parts == [2024, 6, 7]


def test_real_workspace_loads() -> None:
    """The repository's own workspace loads without errors."""
    ws = load_workspace(REPO)
    assert "us-china-ai-gap" in ws.briefs
    assert "ai-index-2025" in ws.sources


def test_empty_figures_file_is_allowed(mini: Path) -> None:
    """An empty figures file holds no entries and is not an error."""
    write_extra(mini, "# nothing yet\n")
    assert "widgets_alpha" in load_workspace(mini).figures


def test_benchmark_lead_in_percent_unit_is_accepted(mini: Path) -> None:
    """``unit: percent`` is a valid unit name (whether it is the right one is a data question)."""
    write_extra(mini, GOOD_FIGURE.replace("unit: pp", "unit: percent"))
    assert load_workspace(mini).figures["extra_figure"].unit == "percent"


# --- workspace discovery ------------------------------------------------------------


def test_find_root_walks_up_to_briefs(mini: Path) -> None:
    """find_root finds the nearest folder at or above the start that holds briefs/."""
    deep = mini / "data" / "figures"
    assert find_root(deep) == mini.resolve()
    assert find_root(mini) == mini.resolve()


def test_find_root_outside_a_workspace(tmp_path: Path) -> None:
    """Outside any workspace, find_root raises a WorkspaceError with a hint about -C."""
    with pytest.raises(WorkspaceError) as info:
        find_root(tmp_path)
    assert "no workspace here" in info.value.message
    assert "-C" in (info.value.hint or "")


def test_missing_sources_file(mini: Path) -> None:
    """A workspace without data/sources.yaml is a WorkspaceError naming that file."""
    (mini / "data" / "sources.yaml").unlink()
    with pytest.raises(WorkspaceError) as info:
        load_workspace(mini)
    assert info.value.path is not None and info.value.path.name == "sources.yaml"


# --- YAML syntax ----------------------------------------------------------------------

SYNTAX_CASES = {
    # name: (file text, text on the line the error must point at, words in the message)
    "colon-in-plain-scalar": (
        GOOD_FIGURE.replace("label: An extra figure for a test", "label: Widgets: installed"),
        "label: Widgets: installed",
        "mapping values are not allowed",
    ),
    "tab-indent": (GOOD_FIGURE.replace("  unit: pp", "\tunit: pp"), "\tunit: pp", "tab character"),
    "duplicate-key": (
        GOOD_FIGURE.replace('  as_of: "2024"', '  as_of: "2024"\n  unit: percent'),
        "unit: percent",
        "duplicate key",
    ),
}


@pytest.mark.parametrize("case", list(SYNTAX_CASES), ids=list(SYNTAX_CASES))
def test_yaml_syntax_error_names_file_and_line(mini: Path, case: str) -> None:
    """A YAML syntax error becomes a DataError with the file, the offending line and a hint."""
    text, bad_line, words = SYNTAX_CASES[case]
    path = write_extra(mini, text)
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, bad_line)
    assert error.message.startswith("YAML syntax error")
    assert words in error.message
    # file:line:column, as compilers write it
    assert re.match(rf"{re.escape(str(path))}:{error.line}:\d+: YAML syntax error", error.format())


def test_yaml_syntax_error_in_brief_file(mini: Path) -> None:
    """A syntax error in a brief file is reported at its line in that file."""
    path = mini / "briefs" / "mini.yaml"
    replace_in(path, "title: The Widget Gap", "title: [The Widget Gap")
    error = load_error(mini)
    assert error.path == path
    assert error.line is not None and error.line >= line_number(path, "title: [The Widget Gap")


def test_non_utf8_file(mini: Path) -> None:
    """A file that is not UTF-8 is a DataError asking to save it as UTF-8."""
    path = mini / "data" / "figures" / "zz_latin1.yaml"
    path.write_bytes(GOOD_FIGURE.replace("An extra", "Un caf\xe9").encode("latin-1"))
    error = load_error(mini)
    assert error.path == path
    assert "not UTF-8" in error.message


def test_control_character_is_a_data_error(mini: Path) -> None:
    """A stray control character in a data file is a DataError naming the file."""
    path = write_extra(mini, GOOD_FIGURE.replace("An extra figure", "An extra\x07figure"))
    error = load_error(mini)
    assert error.path == path


def test_read_yaml_keeps_line_numbers(tmp_path: Path) -> None:
    """read_yaml's tree knows the line of each key and each list item."""
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb:\n  c: 2\n  d:\n\n    - x\n    - y\n", encoding="utf-8")
    doc = read_yaml(path)
    assert doc["b"]["c"] == 2
    assert line_of(doc, ["b"]) == 2
    assert line_of(doc, ["b", "d", 1]) == 7
    assert line_of(doc, ["b", "nope"]) == 2


# Plain scalars as YAML 1.2 reads them (the round-trip parser used to edit brief files
# agrees on each, which the next test checks).
SCALARS = {
    "2025-04-07": dt.date(2025, 4, 7),
    "2025-04": "2025-04",
    "2024": 2024,
    "1_000": 1000,
    "0o17": 15,
    "0x1F": 31,
    "017": 17,
    "+1": 1,
    "-3": -3,
    ".5": 0.5,
    "1e3": 1000.0,
    "3.14e+2": 314.0,
    "1.": 1.0,
    "yes": "yes",
    "no": "no",
    "on": "on",
    "TRUE": True,
    "false": False,
    "~": None,
    "": None,
    "Null": None,
    "12:30": "12:30",
    "1e": "1e",
    '"12"': "12",
    "'true'": "true",
    "!!str 12": "12",
    "2025-4-7": "2025-4-7",
    ".inf": float("inf"),
    "-.inf": float("-inf"),
    "percent": "percent",
}


@pytest.mark.parametrize("text", list(SCALARS), ids=[t or "empty" for t in SCALARS])
def test_scalars_follow_yaml_1_2(tmp_path: Path, text: str) -> None:
    """yes/no stay text, bare years are numbers, dates are dates, and ruamel.yaml reads each the same."""
    from ruamel.yaml import YAML

    path = tmp_path / "x.yaml"
    path.write_text(f"a: {text}\n", encoding="utf-8")
    value = read_yaml(path)["a"]
    # A float read from a file is a float that remembers its written decimals (brief.model.units.Written).
    kind = float if isinstance(value, float) else type(value)
    assert value == SCALARS[text] and kind is type(SCALARS[text])
    if not text.startswith("!!"):  # ruamel keeps an explicit tag as a tagged object
        assert plain(YAML(typ="rt").load(f"a: {text}\n"))["a"] == value


def test_workspace_yaml_reads_as_ruamel_reads_it() -> None:
    """Every YAML file that ships parses to the same values as with ruamel.yaml."""
    from ruamel.yaml import YAML

    files = [*REPO.glob("data/**/*.yaml"), *REPO.glob("briefs/*.yaml"), *REPO.glob("templates/**/*.yml")]
    assert len(files) >= 10
    for path in files:
        assert plain(read_yaml(path)) == plain(YAML(typ="rt").load(path.read_text(encoding="utf-8"))), path


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    """Anchors, aliases and '<<' merges work; the merged keys keep their own lines."""
    path = tmp_path / "x.yaml"
    path.write_text("base: &b\n  unit: pp\n  source: s\nitem:\n  <<: *b\n  unit: percent\n", encoding="utf-8")
    doc = read_yaml(path)
    assert plain(doc["item"]) == {"unit": "percent", "source": "s"}
    assert line_of(doc, ["item", "source"]) == 3


def test_recursive_alias_is_an_error_not_a_hang(mini: Path) -> None:
    """A value that includes itself through an alias is a one-line DataError at its anchor."""
    path = write_extra(mini, "- &a\n  id: x\n  label: *a\n")
    error = load_error(mini)
    assert error.path == path and error.line == 1
    assert "includes itself" in error.message


# --- schema errors -------------------------------------------------------------------

SCHEMA_CASES = {
    # name: (replace this in GOOD_FIGURE, with this, line containing, words in the message)
    "unknown-unit": ("unit: pp", 'unit: "%"', 'unit: "%"', "unknown unit '%'; valid units:"),
    "missing-source": (
        "  source: report-a\n",
        "",
        "- id: extra_figure",
        "a figure needs source (or 'derive' to compute it)",
    ),
    "missing-value-and-as-of": (
        '  value: 12.5\n  unit: pp\n  as_of: "2024"\n',
        "  unit: pp\n",
        "- id: extra_figure",
        "a figure needs value, as_of",
    ),
    "unknown-key": (
        "  locator:",
        "  colour: red\n  locator:",
        "colour: red",
        "unknown key 'colour'; valid keys: id, label, unit, value, decimals, as_of, source, locator,",
    ),
    "bad-as-of": (
        'as_of: "2024"',
        "as_of: Dec 2024",
        "as_of: Dec 2024",
        "as_of: 'Dec 2024' should be a date such as 2024, 2024-06 or 2024-06-30",
    ),
    "bad-id": (
        "id: extra_figure",
        "id: Extra Figure",
        "id: Extra Figure",
        "id: 'Extra Figure' should be an id: lower-case letters, digits,",
    ),
    "too-many-decimals": ("  unit: pp\n", "  unit: pp\n  decimals: 7\n", "decimals: 7", "decimals:"),
    "value-not-a-number": ("value: 12.5", "value: lots", "value: lots", "valid number"),
    "derived-with-value": (
        '  source: report-a\n  locator: "table 9"\n',
        "  derive: {op: ratio, of: [widgets_alpha, widgets_beta]}\n",
        "- id: extra_figure",
        "a derived figure takes no 'value' or 'source'",
    ),
    "unknown-operation": (
        '  value: 12.5\n  unit: pp\n  as_of: "2024"\n  source: report-a\n  locator: "table 9"\n',
        "  unit: ratio\n  derive:\n    op: multiply\n    of: [widgets_alpha, widgets_beta]\n",
        "op: multiply",
        "derive.op: Input should be 'ratio'",
    ),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES), ids=list(SCHEMA_CASES))
def test_figure_schema_error_names_file_and_line(mini: Path, case: str) -> None:
    """A figure that fails validation is a DataError at the line of the bad field (or of the
    entry, for a problem with the entry as a whole), naming the field."""
    old, new, line_text, words = SCHEMA_CASES[case]
    text = GOOD_FIGURE.replace(old, new)
    assert text != GOOD_FIGURE
    path = write_extra(mini, text)
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, line_text)
    assert words in error.message


def test_several_problems_in_one_entry_are_each_reported(mini: Path) -> None:
    """When an entry has several problems, each is reported at its own line."""
    path = write_extra(mini, GOOD_FIGURE.replace("unit: pp", 'unit: "%"').replace("value: 12.5", "value: x"))
    ws = load_workspace(mini, collect=True)
    assert [(p.path, p.line) for p in ws.problems] == [
        (path, line_number(path, "value: x")),
        (path, line_number(path, 'unit: "%"')),
    ]
    assert "value" in ws.problems[0].message and "unknown unit" in ws.problems[1].message


def test_unknown_keys_are_reported_together_with_the_valid_keys(mini: Path) -> None:
    """Two typos in one chart are one problem, at the first typo's line, naming both and
    listing the keys a chart takes."""
    path = mini / "briefs" / "mini.yaml"
    replace_in(path, "    width: half\n", "    widht: half\n    colour: red\n")
    ws = load_workspace(mini, collect=True)
    assert [(p.line, p.message) for p in ws.problems] == [
        (
            line_number(path, "widht: half"),
            "charts.counts: unknown keys 'widht', 'colour'; valid keys: kind, title, subtitle, rows, highlight, "
            "width, height, axis, facet, spec",
        )
    ]


def test_csv_figures_are_described_in_words_too(mini: Path) -> None:
    """A figures CSV with a malformed period and an unknown id form says what to write, in words."""
    path = mini / "data" / "figures" / "zz_extra.csv"
    path.write_text(
        "id,label,value,unit,as_of,source,locator\nBad Id,A figure from a table,4,count,June 2024,report-a,p. 1\n",
        encoding="utf-8",
    )
    messages = [p.message for p in load_workspace(mini, collect=True).problems]
    assert "as_of: 'June 2024' should be a date such as 2024, 2024-06 or 2024-06-30" in messages
    assert any(m.startswith("id: 'Bad Id' should be an id: lower-case letters") for m in messages), messages


def test_every_pattern_a_model_checks_has_plain_wording() -> None:
    """No validation message or reference row can fall back to showing a regular expression."""
    from brief.commands.reference import ROOTS, _metadata, sections
    from brief.model.patterns import WORDING

    used = {
        m.pattern
        for root in ROOTS
        for _, model in sections(root)
        for info in model.model_fields.values()
        for m in _metadata(info)
        if getattr(m, "pattern", None)
    }
    assert used and used <= set(WORDING)


def test_entries_file_must_be_a_list(mini: Path) -> None:
    """A figures file that is a mapping instead of a list is reported at line 1."""
    path = write_extra(mini, "id: extra\nlabel: not a list\n")
    error = load_error(mini)
    assert (error.path, error.line) == (path, 1)
    assert "expected a list of entries" in error.message


def test_scalar_entry_reports_its_line(mini: Path) -> None:
    """A list entry that is not a mapping is reported at its own line."""
    path = write_extra(mini, GOOD_FIGURE + "\n- just a string\n")
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, "- just a string")


def test_non_finite_value_is_rejected(mini: Path) -> None:
    """A figure's value must be a finite number; ``.nan`` is a DataError at its line."""
    path = write_extra(mini, GOOD_FIGURE.replace("value: 12.5", "value: .nan"))
    error = load_error(mini)
    assert (error.path, error.line) == (path, line_number(path, "value: .nan"))


def test_source_schema_error(mini: Path) -> None:
    """A source without ``issued`` is reported in sources.yaml at that source's line."""
    path = mini / "data" / "sources.yaml"
    replace_in(path, "  issued: 2024-06-07\n", "")
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, "- id: survey-b")
    assert "issued" in error.message


BRIEF_CASES = {
    # name: (replace in mini.yaml, with, line containing, words in the message)
    "unknown-chart-kind": ("kind: bar", "kind: pie", "kind: pie", "charts.counts.kind"),
    "dumbbell-row-without-series": (
        '{label: Firms, series: "2023", figure: share_2023}',
        "{label: Firms, figure: share_2023}",
        "  shares:",
        "a dumbbell chart needs 'series' on every row ('Firms' has none)",
    ),
    "page-budget-zero": ("page_budget: 2", "page_budget: 0", "page_budget: 0", "audiences.policy.page_budget"),
    "bad-date": ("date: 2025-05-01", "date: someday", "date: someday", "date:"),
    "unknown-key": ("subject:", "subjct:", "subjct:", "unknown key 'subjct'; valid keys: id, title, subtitle, date,"),
    "unknown-chart-key": (
        "kind: bar",
        "kind: bar\n    colour: red",
        "colour: red",
        "charts.counts: unknown key 'colour'",
    ),
}


@pytest.mark.parametrize("case", list(BRIEF_CASES), ids=list(BRIEF_CASES))
def test_brief_schema_error_names_file_and_line(mini: Path, case: str) -> None:
    """A brief file that fails validation is reported at the line of the bad field or chart."""
    old, new, line_text, words = BRIEF_CASES[case]
    path = mini / "briefs" / "mini.yaml"
    replace_in(path, old, new)
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, line_text)
    assert words in error.message


# --- cross-references ------------------------------------------------------------------


def test_unknown_source_id(mini: Path) -> None:
    """A figure citing a source that does not exist is reported at the figure, listing sources."""
    path = write_extra(mini, GOOD_FIGURE.replace("source: report-a", "source: report-z"))
    error = load_error(mini)
    assert (error.path, error.line) == (path, line_number(path, "- id: extra_figure"))
    assert error.message == "figure 'extra_figure' cites unknown source 'report-z'"
    assert "report-a" in (error.hint or "") and "survey-b" in (error.hint or "")


def test_unknown_figure_in_derivation(mini: Path) -> None:
    """A derivation from a figure that does not exist is reported with a "did you mean" hint."""
    path = write_extra(
        mini,
        "- id: extra_ratio\n  label: A ratio of typos\n  unit: ratio\n"
        "  derive: {op: ratio, of: [widgets_alpah, widgets_beta]}\n",
    )
    error = load_error(mini)
    assert (error.path, error.line) == (path, 1)
    assert "derives from unknown figure 'widgets_alpah'" in error.message
    assert (error.hint or "").startswith("did you mean widgets_alpha")


def test_unknown_figure_in_chart_row(mini: Path) -> None:
    """A chart row naming an unknown figure is reported at that row's line, with a hint."""
    path = mini / "briefs" / "mini.yaml"
    replace_in(path, "figure: widgets_beta}", "figure: widgets_betta}")
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, "figure: widgets_betta")
    assert error.message == "chart 'counts' uses unknown figure 'widgets_betta'"
    assert (error.hint or "").startswith("did you mean widgets_beta")
    assert f"mini.yaml:{error.line}: chart 'counts' uses unknown figure" in error.format()


def test_unknown_name_without_close_match_lists_names(mini: Path) -> None:
    """When nothing is close, the hint lists some valid names instead."""
    path = mini / "briefs" / "mini.yaml"
    replace_in(path, "figure: widgets_beta}", "figure: zzz}")
    error = load_error(mini)
    assert (error.hint or "").startswith("valid names include: ")


def test_duplicate_figure_id_across_files(mini: Path) -> None:
    """A figure id defined twice is reported at the second definition, naming the first."""
    first = mini / "data" / "figures" / "widgets.yaml"
    path = write_extra(mini, GOOD_FIGURE.replace("id: extra_figure", "id: widgets_beta"))
    error = load_error(mini)
    assert (error.path, error.line) == (path, 1)
    assert error.message == (
        f"duplicate figure id 'widgets_beta' (first defined at widgets.yaml:{line_number(first, '- id: widgets_beta')})"
    )


def test_duplicate_source_id(mini: Path) -> None:
    """A source id defined twice in sources.yaml is reported at the second one."""
    path = mini / "data" / "sources.yaml"
    replace_in(path, "- id: survey-b", "- id: report-a")
    error = load_error(mini)
    assert error.path == path
    assert error.line == line_number(path, "- id: report-a", occurrence=2)
    assert "duplicate source id 'report-a'" in error.message


CYCLE = """\
- id: loop_a
  label: First figure of a loop
  unit: ratio
  derive: {op: ratio, of: [loop_b, widgets_beta]}

- id: loop_b
  label: Second figure of a loop
  unit: ratio
  derive: {op: ratio, of: [loop_a, widgets_beta]}
"""


def test_derivation_cycle(mini: Path) -> None:
    """Figures that derive from each other are reported as a loop at the first figure's line."""
    path = write_extra(mini, CYCLE)
    error = load_error(mini)
    assert (error.path, error.line) == (path, line_number(path, "- id: loop_a"))
    assert error.message == "figures derive from each other in a loop: loop_a → loop_b → loop_a"


def test_derivation_from_itself(mini: Path) -> None:
    """A figure derived from itself is a one-figure loop."""
    path = write_extra(
        mini,
        "- id: selfish\n  label: Derived from itself\n  unit: pp\n"
        "  derive: {op: difference, of: [selfish, widgets_beta]}\n",
    )
    error = load_error(mini)
    assert (error.path, error.line) == (path, 1)
    assert error.message.endswith("selfish → selfish")


def test_error_location_is_relative_to_workspace(mini: Path) -> None:
    """format(relative_to=root) prints the path relative to the workspace."""
    write_extra(mini, GOOD_FIGURE.replace("unit: pp", 'unit: "%"'))
    error = load_error(mini)
    assert error.format(relative_to=mini).startswith("data/figures/zz_extra.yaml:4: unit: unknown unit")
