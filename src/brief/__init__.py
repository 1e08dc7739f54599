"""brief: print-ready, fully sourced PDF policy briefs from figures, charts and narrative."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("brief")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
