"""The distribution ledger, ``out/distribution.sqlite``: one row per recipient and
distribution, its state (planned → stamped → sending → accepted | refused) committed before
the next step is taken. The standard library's sqlite3 is imported here and nowhere else.

Every change is its own transaction (autocommit) in WAL mode, so a process killed at any
point leaves every committed state in place. Only one state must also survive a power cut
before the next step: ``sending``, written before a message is handed to the server, so that
the ledger never says "not sent" of a message the server may have. That commit is flushed to
disk (``synchronous=FULL``); the others are not waited for (``NORMAL``), and losing one of them
is safe: a lost ``accepted`` leaves the row ``sending`` (unknown, reported), a lost ``stamped``
has the copy made again, byte for byte.

Every change is also conditional on the state the row is expected to be in, and a run of a
distribution holds ``distribution.sqlite.lock`` (an exclusive ``flock``) from start to end: two
runs never act on the same rows. The schema and its migrations are in
:mod:`brief.distribute.ledger_schema`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from brief.distribute.ledger_schema import migrate
from brief.distribute.states import OFFERED, State, check_transition
from brief.errors import DistributionError, PublishError
from brief.model.counting import counted

P = ParamSpec("P")
T = TypeVar("T")
STATES = tuple(s.value for s in State)  # as strings, for --state (click names an enum by its members)
BUSY_SECONDS = 10.0  # how long to wait for a lock another program holds on the database
_HINT = "move out/distribution.sqlite aside to start a new ledger (and keep it: it records what was sent)"
COLUMNS = (
    "distribution", "email", "line", "name", "organisation", "audience", "copy_no", "copy_id", "message_id",
    "folder", "marking", "sha256", "state", "reply", "attempts", "updated", "message_sha256", "edition", "variant",
    "language", "sent_at", "supersedes",
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One recipient of one distribution, as the ledger holds it."""

    distribution: str
    email: str
    line: int
    name: str
    organisation: str
    audience: str
    copy_no: int
    copy_id: str
    message_id: str
    folder: str
    marking: str
    sha256: str | None
    state: State
    reply: str | None
    attempts: int
    updated: str
    message_sha256: str | None = None  # of the .eml written when the copy was stamped, its Date left blank
    edition: str | None = None  # the SHA-256 of the built PDF the copy was stamped from
    variant: str | None = None
    language: str | None = None
    sent_at: str | None = None  # when the message was last handed to the server (UTC)
    supersedes: str | None = None  # a correction's: the copy ID of the copy it replaces


def _problem(path: Path, exc: sqlite3.Error) -> PublishError:
    """A database error as one line (the ledger locked by another program, a damaged file)."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return PublishError(
            f"the ledger is locked by another program ({exc})",
            path,
            hint="wait for it to finish",
        )
    return PublishError(f"cannot use the ledger ({exc})", path, hint=_HINT)


def _guard(method: Callable[Concatenate[Ledger, P], T]) -> Callable[Concatenate[Ledger, P], T]:
    """*method* with a database error raised as one line (:func:`_problem`)."""

    @functools.wraps(method)
    def guarded(self: Ledger, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _problem(self.path, exc) from None

    return guarded


def _row(found: tuple[Any, ...]) -> Row:
    """A row as the database returns it, its state a :class:`State`."""
    return replace(row := Row(*found), state=State(row.state))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Ledger:
    """The open ledger; every method that changes a row commits before it returns, and changes
    it only from the state it expects. With *exclusive*, this process is the only run of a
    distribution in the workspace until :meth:`close` (a ``flock`` on ``NAME.lock`` beside it):
    two runs would each act on rows the other is changing (a dry run re-stamping a row a send
    has had accepted, for one)."""

    def __init__(self, path: Path, exclusive: bool = False) -> None:
        self.path = path
        self._lock: int | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if exclusive:
                self._lock = _lock(path.with_name(path.name + ".lock"))
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)
            with self._guarded():
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                with self._transaction():
                    self._schema()
        except OSError as exc:
            self._unlock()
            raise PublishError(
                f"cannot open the ledger ({exc.strerror or exc})", path, hint="is out/ writable?"
            ) from None
        except BaseException:
            self.close()
            raise

    def _schema(self) -> None:
        """Create the tables of a new ledger, bring one of an earlier version up to this one;
        refuse one of another schema or a later version."""
        migrate(self.db, self.path, COLUMNS, _HINT)

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _problem(self.path, exc) from None

    def close(self) -> None:
        """Close the database (and let the next run in)."""
        if hasattr(self, "db"):
            self.db.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    @_guard
    def distribution(self, dist: str) -> tuple[str, str] | None:
        """``(created, marking)`` of a distribution already in the ledger, or None."""
        row = self.db.execute("SELECT created, marking FROM distributions WHERE id = ?", (dist,)).fetchone()
        return (row[0], row[1]) if row else None

    @_guard
    def latest(self, brief: str, recipients: str) -> str | None:
        """The distribution last planned of *brief* (to the *recipients* file if there is one), or None."""
        found = self.db.execute(
            "SELECT id FROM distributions WHERE brief = ? ORDER BY recipients = ? DESC, rowid DESC LIMIT 1",
            (brief, recipients),
        ).fetchone()
        return str(found[0]) if found else None

    @_guard
    def plan(self, dist: str, brief: str, created: str, recipients: str, marking: str, rows: list[Row]) -> None:
        """Record a new distribution and every recipient as ``planned``, in one transaction."""
        with self._transaction():
            self.db.execute(
                "INSERT INTO distributions VALUES (?, ?, ?, ?, ?, ?)",
                (dist, brief, created, recipients, marking, len(rows)),
            )
            self._insert(rows)

    @_guard
    def add(self, rows: list[Row]) -> None:
        """Record more recipients of a distribution already planned, as ``planned`` (a recipient
        passed over before as having the edition, now sent it again on purpose)."""
        with self._transaction():
            self._insert(rows)

    def _insert(self, rows: list[Row]) -> None:
        self.db.executemany(
            f"INSERT INTO copies ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [tuple(getattr(r, c) for c in COLUMNS) for r in rows],
        )

    @_guard
    def record_editions(self, dist: str, editions: dict[str, str]) -> None:
        """Record the edition (audience: SHA-256 of the built PDF) of rows planned before the
        ledger recorded editions: *editions* are the distribution's, which its ID vouches for."""
        self.db.executemany(
            "UPDATE copies SET edition = ? WHERE distribution = ? AND audience = ? AND edition IS NULL",
            [(sha, dist, audience) for audience, sha in editions.items()],
        )

    @_guard
    def received(self, editions: set[str], other_than: str) -> set[tuple[str, str]]:
        """``(address in lower case, edition)`` of every accepted copy of one of *editions* in a
        distribution other than *other_than*: who already has which of them."""
        marks = ", ".join("?" * len(editions))
        found = self.db.execute(
            f"SELECT email, edition FROM copies WHERE state = ? AND edition IN ({marks}) AND distribution != ?",
            (State.ACCEPTED, *sorted(editions), other_than),
        )
        return {(str(email).lower(), str(edition)) for email, edition in found}

    @_guard
    def forget(self, dist: str) -> int:
        """Remove a distribution that never handed anything to a server: the number of its rows
        removed; a :class:`DistributionError` when a row was handed over (sending, accepted or
        refused), for the ledger must keep what was sent."""
        with self._transaction():
            started = self.db.execute(
                f"SELECT count(*) FROM copies WHERE distribution = ? AND state IN ({', '.join('?' * len(OFFERED))})",
                (dist, *OFFERED),
            ).fetchone()[0]
            if started:
                raise DistributionError(
                    f"distribution {dist} has {counted(started, 'message')} offered to a server (accepted, refused or "
                    "unknown): the ledger keeps what was sent",
                    self.path,
                    hint="only a distribution that never sent anything can be forgotten",
                )
            removed = self.db.execute("DELETE FROM copies WHERE distribution = ?", (dist,)).rowcount
            self.db.execute("DELETE FROM distributions WHERE id = ?", (dist,))
        return int(removed)

    @_guard
    def distributions(self) -> dict[str, str]:
        """Every distribution's brief, by ID, in the order they were planned."""
        return {str(i): str(b) for i, b in self.db.execute("SELECT id, brief FROM distributions ORDER BY rowid")}

    @_guard
    def rows(self, dist: str | None = None) -> list[Row]:
        """The rows of one distribution (every distribution's when None, oldest distribution
        first), in CSV order."""
        where, args = ("WHERE distribution = ?", (dist,)) if dist else ("", ())
        # A distribution's id is a hash: the order it was made in is its row in distributions.
        made = "(SELECT d.rowid FROM distributions d WHERE d.id = copies.distribution)"
        query = f"SELECT {', '.join(COLUMNS)} FROM copies {where} ORDER BY {made}, line"
        return [_row(r) for r in self.db.execute(query, args)]

    @_guard
    def by_copy_id(self, copy_id: str) -> Row | None:
        """The row whose copy carries *copy_id*."""
        found = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM copies WHERE copy_id = ?", (copy_id,)).fetchone()
        return _row(found) if found else None

    @_guard
    def reply(self, dist: str, email: str) -> str | None:
        """The server's last reply about a row."""
        found = self.db.execute(
            "SELECT reply FROM copies WHERE distribution = ? AND email = ?", (dist, email)
        ).fetchone()
        return found[0] if found else None

    @_guard
    def stamped(self, dist: str, email: str, sha256: str) -> None:
        """The copy and its message are on disk: record the copy's hash. Only a row not yet
        handed to the server is (re)stamped; any other means another run has it: an error."""
        if not self._set(
            dist, email, State.STAMPED, (State.PLANNED, State.STAMPED), sha256=sha256, message_sha256=None
        ):
            raise DistributionError(
                f"the copy for {email} is no longer to be prepared: another run has changed its row",
                self.path,
                hint="run one distribution at a time; see brief distribute status",
            )

    @_guard
    def message(self, dist: str, email: str, sha256: str) -> bool:
        """Record the hash of the message (the ``.eml``, its Date left blank: the Date is set
        when it is sent) written with a stamped copy: the one that may be sent. False when the
        row is no longer ``stamped``."""
        done = self.db.execute(
            "UPDATE copies SET message_sha256 = ? WHERE distribution = ? AND email = ? AND state = ?",
            (sha256, dist, email, State.STAMPED),
        )
        return done.rowcount == 1

    @_guard
    def sending(self, dist: str, email: str, was: State = State.STAMPED) -> bool:
        """Claim the row to hand its message to the server (committed first): True when it was
        in state *was*; False when another run has claimed or settled it meanwhile."""
        check_transition(was, State.SENDING)
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            done = self.db.execute(
                "UPDATE copies SET state = ?, attempts = attempts + 1, updated = ?, sent_at = ? "
                "WHERE distribution = ? AND email = ? AND state = ?",
                (State.SENDING, now := _now(), now, dist, email, was),
            )
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")
        return done.rowcount == 1

    @_guard
    def settle(self, dist: str, email: str, state: State, reply: str | None, was: State = State.SENDING) -> bool:
        """The server's answer: accepted, refused, or back to stamped (not delivered, may be
        resent), recorded only if the row is still in state *was*: False when it is not."""
        return self._set(dist, email, state, was, reply=reply)

    def _set(self, dist: str, email: str, state: State, was: State | tuple[State, ...], **fields: str | None) -> bool:
        """Make the row *state* if in (one of) *was*; an illegal change is an error before any SQL."""
        expected = (was,) if isinstance(was, str) else was
        for before in expected:
            check_transition(before, state)
        assignments = "".join(f", {k} = ?" for k in fields)
        condition = f" AND state IN ({', '.join('?' * len(expected))})"
        done = self.db.execute(
            f"UPDATE copies SET state = ?, updated = ?{assignments} WHERE distribution = ? AND email = ?{condition}",
            (state, _now(), *fields.values(), dist, email, *expected),
        )
        return done.rowcount == 1

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _lock(path: Path) -> int:
    """An exclusive ``flock`` on *path* (created if need be), or an error at once if it is held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DistributionError(
            "another brief distribute is running in this workspace",
            path.with_name(path.name.removesuffix(".lock")),
            hint="wait for it to finish, then run again (with --resume to continue a send)",
        ) from None
    return fd


def open_ledger(path: Path, exclusive: bool = False) -> Ledger:
    """Open (creating it if need be) the ledger at *path*; with *exclusive*, as the one run of a
    distribution in the workspace (an error at once when another holds it)."""
    return Ledger(path, exclusive)


def read_only(path: Path) -> Ledger | None:
    """The ledger at *path* when it exists (for status and trace), else None."""
    return Ledger(path) if path.is_file() else None
