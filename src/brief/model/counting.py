"""Counts in good English, kept apart from :mod:`.units` so the command line can print them
without importing the models (``brief --help`` and a no-op build stay fast)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 section``, ``2 sections``, ``0 charts``: a count with its noun in good English
    (*plural* for a noun that does not take an s: ``counted(2, "copy", "copies")``)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
