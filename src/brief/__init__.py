"""brief: print-ready, fully sourced PDF policy briefs from figures, charts and narrative."""

from typing import Any


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
