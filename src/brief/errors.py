"""Our exception tree. Every error names where it happened and what to do.

The library raises these; only the CLI turns them into messages and exit codes, in one
place (``brief.cli``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path


class BriefError(Exception):
    """An error a user can fix: carries the file, the line (1-based) and a hint."""

    exit_code = 1
    severity = "error"

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint
        self.column: int | None = None

    def location(self, relative_to: Path | None = None) -> str:
        """``path:line`` (or just ``path``), relative to *relative_to* when inside it."""
        if self.path is None:
            return ""
        path = self.path
        if relative_to is not None:
            base = relative_to.resolve()
            # The path as written first: a refused symlink resolves to somewhere outside.
            for candidate in (path.absolute(), path.resolve()):
                with contextlib.suppress(ValueError):
                    path = candidate.relative_to(base)
                    break
        if self.line and self.column:
            return f"{path}:{self.line}:{self.column}"
        return f"{path}:{self.line}" if self.line else str(path)

    def format(self, relative_to: Path | None = None) -> str:
        """One line: ``file:line: message (hint)``."""
        where = self.location(relative_to)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — {self.hint}" if self.hint else text

    def __str__(self) -> str:
        return self.format()

    @property
    def problems(self) -> list[BriefError]:
        """Every problem this error stands for (several when one entry has several faults)."""
        return getattr(self, "_problems", None) or [self]

    @problems.setter
    def problems(self, value: list[BriefError]) -> None:
        self._problems = value


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


class CheckFailed(BriefError):
    """``brief check`` (or the check before a build) found errors; they are all in ``problems``."""

    def __init__(self, problems: list[BriefError]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was built")
        self.problems = problems

    def __reduce__(self) -> tuple[type[CheckFailed], tuple[list[BriefError]]]:
        # Rebuilt from its problems when it comes back from a worker (an exception is
        # otherwise unpickled from its message, which this __init__ does not take).
        return (CheckFailed, (self.problems,))
