"""The ledger's row states and their one table of transitions: every legal change made once
through the ledger's own methods on a real SQLite ledger, and every other pair of states refused
before any SQL statement runs, the row left as it was."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from brief.distribute.ledger import Ledger, Row, open_ledger
from brief.distribute.states import TRANSITIONS, State, check_transition, table
from brief.errors import DistributionError

REPO = Path(__file__).resolve().parent.parent
DIST = "d0123456789a"
EMAIL = "ada@example.org"
PAIRS = list(itertools.product(State, State))
LEGAL = [(w, t) for w, t in PAIRS if t in TRANSITIONS[w]]
ILLEGAL = [(w, t) for w, t in PAIRS if t not in TRANSITIONS[w]]


def name(pair: tuple[State, State]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(tmp_path / "out" / "distribution.sqlite", exclusive=True)
    yield opened
    opened.close()


def row_in(ledger: Ledger, state: State) -> None:
    """One recipient of one distribution, recorded in *state*."""
    row = Row(DIST, EMAIL, 2, "Ada", "Org", "policy", 1, "5b5042753d71", f"<5b5042753d71.{DIST}@example.org>",
              "ada", "", "0" * 64, state, None, 0, "2026-01-01T00:00:00Z")  # fmt: skip
    ledger.plan(DIST, "brief", "2026-01-01T00:00:00Z", "recipients.csv", "", [row])


def stored(ledger: Ledger) -> tuple[str, str]:
    """The row's state and time of its last change, as the database file holds them."""
    with sqlite3.connect(ledger.path) as db:
        state, updated = db.execute("SELECT state, updated FROM copies WHERE email = ?", (EMAIL,)).fetchone()
    return str(state), str(updated)


def change(ledger: Ledger, was: State, to: State) -> bool:
    """Make the row *to* by the method a distribution uses for that change."""
    if to == State.SENDING:
        return ledger.sending(DIST, EMAIL, was)
    if to == State.STAMPED and was in (State.PLANNED, State.STAMPED):
        ledger.stamped(DIST, EMAIL, "1" * 64)
        return True
    return ledger.settle(DIST, EMAIL, to, "250 ok", was)


def test_the_table_covers_every_state_and_accepted_is_final() -> None:
    assert set(TRANSITIONS) == set(State)
    assert TRANSITIONS[State.ACCEPTED] == frozenset()
    assert all(State.PLANNED not in targets for targets in TRANSITIONS.values())  # a row is only created planned


@pytest.mark.parametrize(("was", "to"), LEGAL, ids=map(name, LEGAL))
def test_every_legal_transition_is_made(ledger: Ledger, was: State, to: State) -> None:
    row_in(ledger, was)
    check_transition(was, to)
    assert change(ledger, was, to)
    assert stored(ledger)[0] == to.value
    found = ledger.rows(DIST)[0]
    assert found.state is to  # read back as the enum member


@pytest.mark.parametrize(("was", "to"), ILLEGAL, ids=map(name, ILLEGAL))
def test_every_illegal_transition_is_refused_before_sql(ledger: Ledger, was: State, to: State) -> None:
    row_in(ledger, was)
    before = stored(ledger)
    statements: list[str] = []
    ledger.db.set_trace_callback(statements.append)
    with pytest.raises(DistributionError, match=f"a ledger row {was} cannot be made {to}"):
        change(ledger, was, to)
    ledger.db.set_trace_callback(None)
    assert statements == []  # refused before the database was asked anything
    assert stored(ledger) == before
    with pytest.raises(DistributionError):
        check_transition(was, to)


def test_a_state_that_does_not_exist_is_one_error() -> None:
    with pytest.raises(DistributionError, match="no such state") as raised:
        check_transition("stamped", "delivered")
    assert "\n" not in str(raised.value)


def test_the_schema_lists_the_same_states(ledger: Ledger) -> None:
    """The stored values are the enum's: a ledger written before the enum reads the same."""
    (sql,) = ledger.db.execute("SELECT sql FROM sqlite_master WHERE name = 'copies'").fetchone()
    listed = re.search(r"CHECK \(state IN \(([^)]*)\)\)", sql)
    assert listed is not None
    assert listed.group(1).replace("'", "").split(",") == [s.value for s in State]


def test_the_docs_show_the_table() -> None:
    assert table() in (REPO / "docs" / "distributing.md").read_text(encoding="utf-8")
