"""Our exception tree. Every error names where it happened and what to do.

The library raises these; each becomes a :class:`Problem` (plain data), which has the one
line format every command prints and the one dict ``--format json`` writes. Only the CLI
turns them into output and exit codes (``brief.cli``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem as data: where (path relative to the workspace when inside it, line,
    column), how bad, what, and what to do."""

    path: str | None
    line: int | None
    column: int | None
    severity: str
    message: str
    hint: str | None

    def location(self) -> str:
        """``path:line:column``, as far as known ("" when the problem has no file)."""
        if self.path is None:
            return ""
        parts = [self.path, *(str(n) for n in (self.line, self.column if self.line else None) if n)]
        return ":".join(parts)

    def format(self, severity: bool = True) -> str:
        """One line, as compilers write it: ``path:line: severity: message — hint``."""
        where = self.location()
        text = (f"{self.severity}: " if severity else "") + self.message + (f" — {self.hint}" if self.hint else "")
        return f"{where}: {text}" if where else text

    def as_dict(self) -> dict[str, Any]:
        """The problem for ``--format json``: every field, nothing parsed back from text."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class BriefError(Exception):
    """An error a user can fix: carries the file, the line (1-based) and a hint."""

    exit_code = 1
    severity = "error"

    def __init__(
        self, message: str, path: Path | str | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint
        self.column: int | None = None

    def format(self, relative_to: Path | None = None) -> str:
        """``path:line: message — hint`` (what the commands print, less the severity)."""
        return self.problem(relative_to).format(severity=False)

    def __str__(self) -> str:
        return self.format()

    def problem(self, relative_to: Path | None = None) -> Problem:
        """This error as a :class:`Problem`, its path relative to *relative_to* when inside it."""
        path = None
        if self.path is not None:
            path = str(self.path)
            if relative_to is not None:
                base = relative_to.resolve()
                # The path as written first: a refused symlink resolves to somewhere outside.
                for candidate in (self.path.absolute(), self.path.resolve()):
                    with contextlib.suppress(ValueError, OSError):
                        path = str(candidate.relative_to(base))
                        break
        return Problem(path, self.line, self.column, self.severity, self.message, self.hint)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt with its place and hint when it comes back from a worker process (an
        # exception is otherwise unpickled from its message alone).
        return (_rebuild, (type(self), self.message), dict(self.__dict__))

    @property
    def problems(self) -> list[BriefError]:
        """Every problem this error stands for: itself (:class:`CheckFailed` holds several)."""
        return [self]


class BriefWarning(BriefError):
    """A problem worth fixing that does not stop a build (unless ``--strict``)."""

    severity = "warning"


class WorkspaceError(BriefError):
    """No workspace, no such brief, no such audience."""


class DataError(BriefError):
    """A YAML file in briefs/ or data/ is malformed or fails validation."""


class TemplateError(BriefError):
    """A template is missing, fails to parse, or names something that does not exist."""


class ChartError(BriefError):
    """A chart could not be built or rendered."""


class TypesetError(BriefError):
    """WeasyPrint could not lay out or write the document."""


class BudgetError(BriefError):
    """A build came out longer than its audience's page budget (an error with ``--strict``)."""


class PublishError(BriefError):
    """The output could not be written (permissions, a full disk); the previous file is intact."""


class DistributionError(BriefError):
    """A distribution cannot go ahead: a marking forbids it, an edition is missing, a copy changed."""


class UsageError(BriefError):
    """The command was asked for something it must not do as asked (exit status 2)."""

    exit_code = 2


class CheckFailed(BriefError):
    """Several problems found at once (by ``brief check``, the check before a build, or one
    file with several faults); they are all in ``problems``, and the CLI prints each.

    Without *summary* the message counts the errors ("3 problems found; nothing was built");
    with it, the error reads as its first problem does, with *summary* as its message."""

    def __init__(self, problems: Sequence[BriefError], summary: str | None = None) -> None:
        found = unique(inner for problem in problems for inner in problem.problems)
        errors = [p for p in found if p.severity == "error"]
        first = found[0] if found and summary is not None else None
        super().__init__(
            summary or f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was built",
            first.path if first else None,
            first.line if first else None,
            first.hint if first else None,
        )
        self.column = first.column if first else None
        self._problems = found
        self._summary = summary

    @property
    def problems(self) -> list[BriefError]:
        """Every problem, in the order found, each once."""
        return list(self._problems)

    def summary(self) -> str | None:
        """The line said after the problems, when there are several errors and the message
        is a count (not the first problem's own words)."""
        errors = [p for p in self._problems if p.severity == "error"]
        return self.message if self._summary is None and len(errors) > 1 else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._problems, self._summary))


class DataProblems(CheckFailed, DataError):
    """Several problems in one data file (the fields of one entry, the rows of a table): a
    :class:`DataError`, which loading catches, holding every problem."""


class DistributionProblems(CheckFailed, DistributionError):
    """Several reasons a distribution cannot go ahead (one per recipient): every one is said."""


def unique(problems: Iterable[BriefError], known: Iterable[BriefError] = ()) -> list[BriefError]:
    """*problems* with each (message, file, line) once, in the order first found, leaving out
    those already in *known*: two stages that read the same template report its fault once."""
    seen = {(p.message, p.path, p.line) for p in known}
    kept = []
    for problem in problems:
        key = (problem.message, problem.path, problem.line)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def did_you_mean(name: str, choices: Iterable[str], otherwise: str) -> str:
    """A hint naming the valid names closest to *name* (difflib's ratio, as ``git`` does for
    commands, whatever the case: "UK" finds ``uk``), else *otherwise*."""
    import difflib

    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=3, cutoff=0.5)
    return f"did you mean {', '.join(by_folded[c] for c in close)}?" if close else otherwise


def template_location(tb: TracebackType | None, inside: Iterable[Path]) -> tuple[Path | None, int | None]:
    """The template file and line a Jinja error was raised at: the innermost frame of the
    traceback whose file is one of *inside* or in one of those folders. Jinja's rewritten
    frames carry the template's line; a compiled template's own frames are mapped back to it."""
    folders = [Path(p).resolve() for p in inside]
    found: tuple[Path | None, int | None] = (None, None)
    while tb is not None:
        filename = Path(tb.tb_frame.f_code.co_filename)
        if any(filename.is_relative_to(folder) for folder in folders):
            template = tb.tb_frame.f_globals.get("__jinja_template__")
            found = (filename, template.get_corresponding_lineno(tb.tb_lineno) if template else tb.tb_lineno)
        tb = tb.tb_next
    return found


def _rebuild(kind: type[BriefError], message: str) -> BriefError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    return error
