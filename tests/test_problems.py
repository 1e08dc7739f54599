"""Problems as data, end to end: one :class:`CheckFailed` holds every problem of a failure,
warnings come back as :class:`Problem` values, and de-duplicating, "did you mean" and a
Jinja error's line each have one helper."""

from __future__ import annotations

import pickle
from pathlib import Path

import jinja2
import pytest

import brief
from brief.errors import (
    CheckFailed,
    DataError,
    DataProblems,
    Problem,
    TemplateError,
    did_you_mean,
    template_location,
    unique,
)
from brief.model.schema import Figure
from brief.workspace.yamlio import validate
from helpers import add_shared_templates, replace_in


def test_an_entry_with_several_faults_raises_one_error_holding_each(tmp_path: Path) -> None:
    """A figure entry lacking several fields is one failure: a CheckFailed that loading still
    catches as a DataError, reading as its first problem, with every problem in it once."""
    path = tmp_path / "figures.yaml"
    with pytest.raises(DataError) as caught:
        validate(Figure, {"id": "x"}, path)
    error = caught.value
    assert isinstance(error, CheckFailed) and isinstance(error, DataProblems)
    assert len(error.problems) > 1 and not any(isinstance(p, CheckFailed) for p in error.problems)
    assert error.message.startswith(error.problems[0].message + " (and ")
    assert error.path == path and error.line == error.problems[0].line
    assert error.summary() is None  # its message is its first problem's: not said twice
    again = pickle.loads(pickle.dumps(error))  # as it comes back from a worker process
    assert type(again) is DataProblems and [p.message for p in again.problems] == [p.message for p in error.problems]


def test_no_list_is_hung_on_an_error() -> None:
    """An error stands for itself; only CheckFailed holds several problems."""
    error = DataError("bad", "x.yaml", 3)
    assert error.problems == [error]
    with pytest.raises(AttributeError):
        error.problems = [error, DataError("worse")]  # type: ignore[misc]


def test_check_failed_flattens_and_says_each_problem_once() -> None:
    """Nested failures are flattened; a problem two stages found is kept once, first first."""
    a, b, c = DataError("a", "f.yaml", 1), DataError("b", "f.yaml", 2), TemplateError("c", "t.md.j2", 3)
    failed = CheckFailed([a, DataProblems([b, c], "b"), DataError("a", "f.yaml", 1)])
    assert failed.problems == [a, b, c]
    assert failed.summary() == "3 problems found; nothing was built"
    assert unique([b, a], known=[a]) == [b]


def test_did_you_mean_names_the_closest_or_says_what_to_do() -> None:
    """One helper makes every "did you mean" hint."""
    assert did_you_mean("widgets_alpa", ["widgets_alpha", "shares"], "add it") == "did you mean widgets_alpha?"
    assert did_you_mean("zzz", ["widgets_alpha"], "add it to data/figures/") == "add it to data/figures/"


def test_a_jinja_error_is_placed_at_its_template_line(tmp_path: Path) -> None:
    """The innermost frame inside the template folders gives the file and its line."""
    (tmp_path / "t.md.j2").write_text("one\ntwo\n{{ 1 // zero }}\n", encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
    with pytest.raises(ZeroDivisionError) as caught:
        env.get_template("t.md.j2").render(zero=0)
    assert template_location(caught.value.__traceback__, [tmp_path]) == ((tmp_path / "t.md.j2").resolve(), 3)
    assert template_location(caught.value.__traceback__, [tmp_path / "elsewhere"]) == (None, None)


def test_an_unknown_figure_in_a_template_gets_the_shared_hint(mini: Path) -> None:
    """The check's "did you mean" comes from the same helper."""
    add_shared_templates(mini)
    replace_in(mini / "templates" / "policy" / "intro.md.j2", 'fig("widgets_alpha")', 'fig("widgets_alpa")')
    result = brief.check(mini)
    hints = [p.hint for p in result.errors if "widgets_alpa" in p.message]
    assert hints and all(h and h.startswith("did you mean widgets_alpha") for h in hints), result.errors


def test_build_warnings_are_problems(mini: Path) -> None:
    """brief.build returns its warnings as Problem values, paths relative to the workspace."""
    add_shared_templates(mini)
    (mini / "templates" / "brand.yml").unlink()
    result = brief.build(mini, audience="policy", environ={})
    assert result.warnings and all(isinstance(w, Problem) for w in result.warnings)
    assert result.warnings[0].path == "templates/brand.yml" and result.warnings[0].severity == "warning"


def test_did_you_mean_finds_a_name_whatever_its_case() -> None:
    """A recipients row that writes the variant "UK" is pointed at ``uk``, as written in the brief."""
    from brief.errors import did_you_mean

    assert did_you_mean("UK", ["canada", "japan", "uk"], "none") == "did you mean uk?"
    assert did_you_mean("Policy", ["policy", "technical"], "none") == "did you mean policy?"
    assert did_you_mean("zz", ["policy"], "none") == "none"


def test_an_unknown_cell_is_not_echoed_whole() -> None:
    """A 5,000-character language cell from someone else's recipients file is named by its start,
    so the error stays one readable line."""
    from brief.workspace.recipients import unknown_cell

    error = unknown_cell(Path("r.csv"), 4, "language", "x" * 5000, ["de-DE", "en-US"])
    assert error.message == f"unknown language '{'x' * 40}…'"
    assert len(error.format()) < 200
