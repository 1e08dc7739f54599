"""Units and number formatting: the one place that decides how a value is written.

Every number that reaches a brief passes through :func:`format_value`, so a unit is
spelled the same way in the narrative, the charts, the alt text and the endnotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Unit:
    """How values in one unit are written.

    ``long`` and ``short`` are templates with ``{n}`` for the formatted number.
    ``axis`` names the unit in a chart subtitle or a table header.
    """

    long: str
    short: str
    axis: str
    default_decimals: int | None = None
    # A count of things is never below zero (a difference of counts is its own figure).
    nonnegative: bool = False


# Percentage points and percent are different quantities; keeping them apart here is
# what stops a "17.5 percentage point" lead from ever being printed as "17.5%".
UNITS: dict[str, Unit] = {
    "pp": Unit("{n} percentage points", "{n} pp", "percentage points"),
    "percent": Unit("{n}%", "{n}%", "percent"),
    "usd_billion": Unit("${n} billion", "${n}B", "billion US dollars"),
    "usd_million": Unit("${n} million", "${n}M", "million US dollars"),
    "cny_billion": Unit("{n} billion yuan", "¥{n}B", "billion yuan"),
    "count": Unit("{n}", "{n}", "number", default_decimals=0, nonnegative=True),
    # An estimate of a large count, written in millions so it does not read as an exact tally.
    "count_million": Unit("{n} million", "{n}M", "millions", nonnegative=True),
    "ratio": Unit("{n} times", "{n}×", "times"),
    "per_year": Unit("{n} times per year", "{n}×/yr", "times per year"),
    "score": Unit("{n}", "{n}", "score", default_decimals=0),
}

# Every figure's value, given or computed, is below this in size: a quadrillion is more than any
# statistic needs in these units, and every digit of a value this size still prints exactly.
MAX_VALUE = 1e15
MAX_VALUE_TEXT = "10^15"


def check_value(value: float | int, unit_name: str | None = None) -> str | None:
    """Why *value* cannot be a figure's value (in *unit_name*, when known), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"value must be a finite number, not {value}"
    if not -MAX_VALUE < value < MAX_VALUE:
        digits = int(value.bit_length() * 0.30103) if isinstance(value, int) else 0
        shown = f"{value:.3g}" if isinstance(value, float) else f"a number of about {digits} digits"
        return f"{shown} is out of range: figure values are below {MAX_VALUE_TEXT} in size"
    if unit_name in UNITS and UNITS[unit_name].nonnegative and value < 0:
        return f"{value} is negative, but {unit_name!r} counts things"
    return None


def unit(name: str) -> Unit:
    """Return the unit called *name*; raise ``KeyError`` naming the valid units."""
    try:
        return UNITS[name]
    except KeyError:
        raise KeyError(f"unknown unit {name!r}; valid units: {', '.join(sorted(UNITS))}") from None


def decimals_of(value: float | int) -> int:
    """Number of decimals a value was written with (``17.5`` → 1, ``40`` → 0)."""
    if isinstance(value, int):
        return 0
    # repr() gives the shortest text that reads back as the same float: what was written.
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_number(value: float | int, decimals: int) -> str:
    """Round half away from zero (as readers expect) and group thousands."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}"


def format_value(value: float | int, unit_name: str, decimals: int | None, style: str = "long") -> str:
    """Format *value* in its unit: ``format_value(17.5, "pp", None)`` → ``17.5 percentage points``."""
    u = unit(unit_name)
    if decimals is None:
        decimals = u.default_decimals if u.default_decimals is not None else decimals_of(value)
    template = u.long if style == "long" else u.short
    return template.format(n=format_number(value, decimals))


def raw_number(value: float | int) -> str:
    """A value as a plain number for a spreadsheet: every digit it was given or computed to,
    without binary noise (``3.6000000000000014`` → ``3.6``; ``276300`` → ``276300``)."""
    if isinstance(value, int):
        return str(value)
    # 15 significant digits always survive a round trip through a float; beyond them a
    # computed value holds only the noise of binary arithmetic.
    text = repr(float(f"{value:.15g}"))
    return text.removesuffix(".0") if text.endswith(".0") and "e" not in text else text


def counted(n: int, noun: str) -> str:
    """``1 section``, ``2 sections``, ``0 charts``: a count with its noun in good English."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
