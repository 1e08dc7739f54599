"""A brief's language: its numbers, dates and fixed captions, from Babel and a packaged catalogue.

Babel (the CLDR data every major platform uses) knows each locale's decimal and thousands
separators, its date patterns and where a currency symbol goes; the words ``brief`` itself
prints ("Figure", "Source", "Notes", "Page 1 of 4") are gettext messages in
``brief/locale/LANG/LC_MESSAGES/brief.po``, read with Babel, so a translator edits them in any
gettext tool. Babel is imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, get_currency_name, get_currency_symbol, parse_pattern

DEFAULT = "en-US"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# A BCP 47 tag's shape: language, then region, script or variant subtags.
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")


def locale_of(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag (``de-DE``); ``ValueError`` naming the problem."""
    if not _TAG.fullmatch(tag):
        raise ValueError(f"{tag[:40]!r} is not a language tag; write one such as en-US, en-GB, de-DE or fr-FR")
    try:
        return _parse(tag)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown language {tag!r}; write a BCP 47 tag such as en-US, en-GB, de-DE or fr-FR") from None


@cache
def _parse(tag: str) -> Locale:
    return Locale.parse(tag.replace("_", "-"), sep="-")


def candidates(tag: str) -> tuple[str, ...]:
    """The tags to look a translation up by, most specific first: ``de-DE`` → ``de-DE``, ``de``."""
    base = tag.split("-")[0]
    return (tag, base) if base != tag else (tag,)


def shipped() -> list[str]:
    """The languages whose captions ship with brief (English is the messages' own language)."""
    return sorted({"en", *(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "brief.po").is_file())})


@cache
def _catalogue(language: str) -> dict[str, str]:
    # The tag names a folder: only a tag's own letters reach the file system.
    if not _TAG.fullmatch(language):
        return {}
    for tag in candidates(language):
        path = LOCALE_DIR / tag.replace("-", "_") / "LC_MESSAGES" / "brief.po"
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=tag.replace("-", "_"))
            return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
    return {}


def caption(message: str, language: str = DEFAULT, **values: str) -> str:
    """A fixed caption in *language* (the English *message* where there is no translation),
    with ``{name}`` placeholders filled from *values*."""
    text = _catalogue(language).get(message, message)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def has_captions(language: str) -> bool:
    """Whether brief ships captions in *language* (English always)."""
    return language.split("-")[0] == "en" or bool(_catalogue(language))


def number_separators(language: str = DEFAULT) -> tuple[str, str]:
    """The decimal and thousands separators of *language*: ``(".", ",")`` in English."""
    symbols = _parse(language).number_symbols["latn"]
    return str(symbols["decimal"]), str(symbols["group"])


def format_number(rounded: Decimal, decimals: int, language: str = DEFAULT) -> str:
    """An already rounded number with the language's separators: ``1234.5`` → ``1,234.5`` or ``1.234,5``."""
    text: str = _pattern(decimals).apply(rounded, _parse(language), decimal_quantization=True)
    return text


@cache
def _pattern(decimals: int) -> NumberPattern:
    # Parsed once: parsing the pattern was most of the time of formatting a number.
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


def format_date(date: dt.date, language: str = DEFAULT, parts: int = 3) -> str:
    """A date as the language writes it, by CLDR's long date pattern: ``November 22, 2026``
    (en-US), ``22 November 2026`` (en-GB), ``22. November 2026`` (de-DE); with *parts* 2 only
    month and year (CLDR's ``yMMMM``), with 1 the year."""
    if parts == 1:
        return str(date.year)
    locale = _parse(language)
    if parts == 2:
        return str(format_skeleton("yMMMM", date, locale=locale))
    return str(_babel_date(date, "long", locale=locale))


def currency_words(code: str, language: str = DEFAULT) -> tuple[str, str, bool]:
    """A currency's symbol, its plural name, and whether the symbol goes before the number."""
    locale = _parse(language)
    pattern = locale.currency_formats["standard"].pattern
    return get_currency_symbol(code, locale), get_currency_name(code, 2, locale), pattern.lstrip().startswith("¤")


def is_currency(code: str) -> bool:
    """Whether *code* is an ISO 4217 currency code CLDR knows."""
    from babel.numbers import list_currencies

    return code in list_currencies()


def plural_category(number: Decimal, language: str = DEFAULT) -> str:
    """The CLDR plural category of *number* as printed (``1`` → ``one``; ``1.0`` → ``other`` in
    English, whose rules count the decimals shown)."""
    return str(_parse(language).plural_form(number))
