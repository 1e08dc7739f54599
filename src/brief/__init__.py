"""brief: print-ready, fully sourced PDF policy briefs from figures, charts and narrative.

The command line is a thin layer over this library::

    import brief

    result = brief.build("path/to/workspace", audience="policy")
    print(result.path, result.pages)

Importing ``brief`` loads no heavy library (WeasyPrint, Altair, vl-convert, Click): they are
imported when a build needs them. Errors are :class:`BriefError` and its subclasses.
"""

from typing import Any

from brief.api import CheckResult, build, check, request
from brief.errors import (
    BriefError,
    BriefWarning,
    BudgetError,
    ChartError,
    CheckFailed,
    DataError,
    DistributionError,
    Problem,
    PublishError,
    TemplateError,
    TypesetError,
    UsageError,
    WorkspaceError,
)
from brief.model.request import BuildRequest
from brief.model.results import BuildResult

__all__ = [
    "BriefError",
    "BriefWarning",
    "BudgetError",
    "BuildRequest",
    "BuildResult",
    "ChartError",
    "CheckFailed",
    "CheckResult",
    "DataError",
    "DistributionError",
    "Problem",
    "PublishError",
    "TemplateError",
    "TypesetError",
    "UsageError",
    "WorkspaceError",
    "build",
    "check",
    "request",
]


def __getattr__(name: str) -> Any:
    # Looked up on first use: reading the installed metadata costs 20 ms, and the stage
    # workers, which import this package too, never need it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("brief")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
