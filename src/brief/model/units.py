"""Units and number formatting: the one place that decides how a value is written.

Every number that reaches a brief passes through :func:`format_value`, so a unit is
spelled the same way in the narrative, the charts, the alt text and the endnotes, in the
brief's language. brief's own units are in ``units.yaml`` beside this module; a workspace's
``data/units.yaml`` adds to them and overrides them (:func:`merge`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from brief.model import language as lang
from brief.model.unit_schema import Forms, PluralCategory, UnitsFile, UnitSpec, UnitWords

DEFAULTS_FILE = Path(__file__).with_name("units.yaml")

# A true minus sign in print (U+2212): a hyphen is a different, shorter mark.
MINUS = "\u2212"


class Written(float):
    """A number as a data file writes it: a float that remembers its written decimals, so
    ``9.0`` prints "9.0" (a float alone cannot tell 9.0 from 9)."""

    decimals: int

    def __new__(cls, text: str | float) -> Written:
        """The number *text* spells (``"9.0"``, ``"1_000.50"``, ``"2e3"``)."""
        spelled = str(text).replace("_", "")
        number = super().__new__(cls, spelled)
        exponent = Decimal(spelled).as_tuple().exponent
        number.decimals = max(0, -exponent) if isinstance(exponent, int) else 0
        return number


@dataclass(frozen=True)
class Unit:
    """How values in one unit are written.

    ``long`` and ``short`` are templates with ``{n}`` for the formatted number.
    ``axis`` names the unit in a chart subtitle or a table header. ``languages`` holds the
    same three in other languages; a currency unit (``currency``, ``scale``) takes its words
    from the language instead.
    """

    # A word form, or forms by CLDR plural category ("one", "other"), chosen by the number printed.
    long: Forms
    short: Forms
    axis: str
    default_decimals: int | None = None
    # A count of things is never below zero (a difference of counts is its own figure).
    nonnegative: bool = False
    currency: str | None = None
    scale: str | None = None
    languages: Mapping[str, UnitWords] = field(default_factory=dict)

    # With currency: a rate, so many of `currency` for one of `per` (USD per EUR).
    per: str | None = None
    # A currency unit with words of its own uses them rather than the language's.
    own_words: bool = True

    def words(self, language: str = lang.DEFAULT) -> tuple[Forms, Forms, str]:
        """``(long, short, axis)`` in *language*: its own translation, a currency's words, or English."""
        for tag in lang.candidates(language):
            if tag in self.languages:
                w = self.languages[tag]
                return w.long, w.short, w.axis
        if self.currency is not None and not self.own_words:
            return _currency_words(self.currency, self.scale, language)
        return self.long, self.short, self.axis


def _currency_words(code: str, scale: str | None, language: str) -> tuple[str, str, str]:
    symbol, name, before = lang.currency_words(code, language)
    scaled_long = lang.caption(f"{{n}} {scale}", language) if scale else "{n}"
    scaled_short = lang.caption(f"{{n}} {scale}:short", language) if scale else "{n}"
    if scaled_short.endswith(":short"):  # no short form in the catalogue: the long one
        scaled_short = scaled_long
    long, short = ((symbol + w) if before else f"{w}\u00a0{symbol}" for w in (scaled_long, scaled_short))
    axis = lang.caption(f"{scale} {{currency}}", language, currency=name) if scale else name
    return long, short, axis


def from_spec(spec: UnitSpec) -> Unit:
    """The unit a units file declares."""
    long: Forms
    short: Forms
    if spec.long is None and spec.currency is not None:
        long, short, axis = _currency_words(spec.currency, spec.scale, lang.DEFAULT)
    else:
        assert spec.long is not None and spec.short is not None and spec.axis is not None
        long, short, axis = spec.long, spec.short, spec.axis
    return Unit(
        long,
        short,
        axis,
        spec.decimals,
        spec.nonnegative,
        spec.currency,
        spec.scale,
        dict(spec.languages),
        spec.per,
        own_words=spec.long is not None,
    )


def from_file(doc: Any) -> dict[str, Unit]:
    """Validate a parsed units file (``ValidationError`` on a bad one) into units by name."""
    return {name: from_spec(spec) for name, spec in UnitsFile.model_validate({"units": doc or {}}).units.items()}


def merge(*layers: Mapping[str, Unit]) -> dict[str, Unit]:
    """Units by name, later layers overriding earlier ones (the defaults, then a workspace's)."""
    merged: dict[str, Unit] = {}
    for layer in layers:
        merged.update(layer)
    return merged


# brief's own units: a packaged file, trusted, read once.
UNITS: dict[str, Unit] = from_file(yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")))

# Every figure's value, given or computed, is below this in size: a quadrillion is more than any
# statistic needs in these units, and every digit of a value this size still prints exactly.
MAX_VALUE = 1e15
MAX_VALUE_TEXT = "10^15"


def check_value(value: float | int, unit_name: str | None = None, units: Mapping[str, Unit] = UNITS) -> str | None:
    """Why *value* cannot be a figure's value (in *unit_name*, when known), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"value must be a finite number, not {value}"
    if not -MAX_VALUE < value < MAX_VALUE:
        digits = int(value.bit_length() * 0.30103) if isinstance(value, int) else 0
        shown = f"{value:.3g}" if isinstance(value, float) else f"a number of about {digits} digits"
        return f"{shown} is out of range: figure values are below {MAX_VALUE_TEXT} in size"
    if unit_name is not None and unit_name in units and units[unit_name].nonnegative and value < 0:
        return f"{value} is negative, but {unit_name!r} counts things"
    return None


def unknown_unit(name: str, units: Mapping[str, Unit] = UNITS) -> str:
    """The message for a unit *name* that is not in *units*."""
    return f"unknown unit {name!r}; valid units: {', '.join(sorted(units))}"


def unit(name: str, units: Mapping[str, Unit] = UNITS) -> Unit:
    """Return the unit called *name*; raise ``KeyError`` naming the valid units."""
    try:
        return units[name]
    except KeyError:
        raise KeyError(unknown_unit(name, units)) from None


def decimals_of(value: float | int) -> int:
    """Number of decimals a value was written with (``17.5`` → 1, ``40`` → 0, ``9.0`` read from
    a data file → 1)."""
    if isinstance(value, int):
        return 0
    if isinstance(value, Written):
        return value.decimals
    # repr() gives the shortest text that reads back as the same float: what was written.
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _rounded(value: float | int, decimals: int) -> Decimal:
    # Round half away from zero, as readers expect.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def sign_of(value: float | int, decimals: int) -> int:
    """-1, 0 or 1: the sign of *value* as printed with *decimals* (``-0.04`` at one decimal is 0)."""
    rounded = _rounded(value, decimals)
    return 0 if rounded.is_zero() else (1 if rounded > 0 else -1)


def format_number(value: float | int, decimals: int, language: str = lang.DEFAULT) -> str:
    """Round half away from zero and group thousands as *language* does; a negative number
    takes a true minus sign."""
    rounded = _rounded(value, decimals)
    text = lang.format_number(abs(rounded), decimals, language)
    return MINUS + text if rounded < 0 and not rounded.is_zero() else text


def _form(forms: Forms, number: Decimal, language: str) -> str:
    if isinstance(forms, str):
        return forms
    category = cast(PluralCategory, lang.plural_category(number, language))
    return forms.get(category, forms["other"])


def format_in(
    value: float | int,
    u: Unit,
    decimals: int | None,
    style: str = "long",
    language: str = lang.DEFAULT,
    sign: str = "auto",
) -> str:
    """Format *value* in the unit *u*, in *language*. *sign* ``auto`` marks a negative number
    with a minus, ``abs`` prints the magnitude, ``signed`` also marks a positive one with "+".
    The sign goes before the whole text ("−$3.2 billion"), and is judged on the number as printed."""
    if decimals is None:
        decimals = u.default_decimals if u.default_decimals is not None else decimals_of(value)
    long, short, _ = u.words(language)
    magnitude = abs(_rounded(value, decimals))
    number = lang.format_number(magnitude, decimals, language)
    # Not str.format: a unit's words are data, and "{n}" is their only placeholder.
    text = _form(long if style == "long" else short, magnitude, language).replace("{n}", number)
    direction = sign_of(value, decimals)
    if sign == "abs" or direction == 0:
        return text
    if direction < 0:
        return MINUS + text
    return "+" + text if sign == "signed" else text


def format_value(
    value: float | int,
    unit_name: str,
    decimals: int | None,
    style: str = "long",
    units: Mapping[str, Unit] = UNITS,
    language: str = lang.DEFAULT,
    sign: str = "auto",
) -> str:
    """Format *value* in its unit: ``format_value(17.5, "pp", None)`` → ``17.5 percentage points``."""
    return format_in(value, unit(unit_name, units), decimals, style, language, sign)


def raw_number(value: float | int) -> str:
    """A value as a plain number for a spreadsheet: every digit it was given or computed to,
    without binary noise (``3.6000000000000014`` → ``3.6``; ``276300`` → ``276300``)."""
    if isinstance(value, int):
        return str(value)
    # 15 significant digits always survive a round trip through a float; beyond them a
    # computed value holds only the noise of binary arithmetic.
    text = repr(float(f"{value:.15g}"))
    return text.removesuffix(".0") if text.endswith(".0") and "e" not in text else text
