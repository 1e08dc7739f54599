"""brief: print-ready, fully sourced PDF policy briefs from figures, charts and narrative.

The command line is a thin layer over this library::

    import brief

    result = brief.build("path/to/workspace", audience="policy")
    print(result.path, result.pages)

Importing ``brief`` loads no heavy library (WeasyPrint, Altair, vl-convert, Click): they are
imported when a build needs them. Errors are :class:`BriefError` and its subclasses.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


# Where each public name lives. They are imported on first use: the command line and the
# stage workers import this package too, and need none of them at start-up (5 ms).
_HOMES = {
    **dict.fromkeys(("CheckResult", "build", "check", "request"), "brief.api"),
    "BuildRequest": "brief.model.request",
    "BuildResult": "brief.model.results",
}


def __getattr__(name: str) -> Any:
    if name in __all__:
        from importlib import import_module

        value = getattr(import_module(_HOMES.get(name, "brief.errors")), name)
        globals()[name] = value
        return value
    # Looked up on first use: reading the installed metadata costs 20 ms, and the stage
    # workers never need it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("brief")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
