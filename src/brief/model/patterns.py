"""The text patterns our formats accept, each with the plain words a reader is shown.

A pattern is checked by pydantic; its wording is what a validation message and the
reference (docs/reference.md) say instead of the regular expression, so nobody is asked to
read one. A pattern without wording here is reported as "not in the expected form".
"""

from __future__ import annotations

ID = r"^[a-z0-9][a-z0-9_.-]*$"
# An id that may hold {parameter} placeholders, each filled in by a variant (for_each).
FIGURE_REF = r"^(?:[a-z0-9_.-]|\{[a-z_][a-z0-9_]*\})+$"
# ISO 8601 year, year-month or full date: the precision a statistic is known to.
AS_OF = r"^\d{4}(-\d{2}(-\d{2})?)?$"
FOLDER = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
CSS_SAFE = r"^[^\"\\;{}<>]+$"  # no character that could end a CSS string or rule
CSS_SIZE = r"^\d+(\.\d+)?(pt|px|rem|em)$"
PAGE_LENGTH = r"^\d{1,3}(\.\d{1,3})?(in|mm|cm|pt)$"
UNIT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
LANGUAGE = r"^[a-z]{2,3}(-[A-Z]{2})?$"
CURRENCY = r"^[A-Z]{3}$"
# A Vega-Lite file under data/ or templates/ (whose files a build fingerprints, so an edit rebuilds).
CHART_SPEC = r"^(data|templates)(/[A-Za-z0-9_.-]+)+\.json$"
DOMAIN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
HTTPS = r"^https://\S+$"
UNSUBSCRIBE = r"^(mailto:|https://)\S+$"
WEB_ADDRESS = r"^https?://\S+$"

WORDING: dict[str, str] = {
    ID: "an id: lower-case letters, digits, '_', '.' and '-', starting with a letter or digit (such as ai-index-2025)",
    FIGURE_REF: "a figure id, which may name a variant's parameters in braces (such as robots_{id}_2023)",
    AS_OF: "a date such as 2024, 2024-06 or 2024-06-30",
    FOLDER: "a folder path of letters, digits, '_', '.' and '-', with '/' between folders (such as board/short)",
    CSS_SAFE: 'text without any of the characters " \\ ; { } < >',
    CSS_SIZE: "a size such as 10pt, 14px, 1.1rem or 0.9em",
    PAGE_LENGTH: "a length in in, mm, cm or pt, such as 0.9in or 20mm",
    UNIT_NAME: "a unit name: lower-case letters, digits and '_', starting with a letter (such as eur_billion)",
    LANGUAGE: "a language (de) or a language and region (de-AT)",
    CURRENCY: "an ISO 4217 currency code such as EUR, GBP or CNY",
    CHART_SPEC: "a .json file under data/ or templates/, such as templates/charts/dots.vl.json",
    DOMAIN: "a mail domain in lower case, such as example.org",
    HTTPS: "an https:// address",
    UNSUBSCRIBE: "a mailto: or https:// address",
    WEB_ADDRESS: "a web address starting with https:// or http://",
}


def wording(pattern: str) -> str:
    """What text matching *pattern* looks like, in words."""
    return WORDING.get(pattern, "text in the expected form")
