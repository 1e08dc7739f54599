"""Numbers as written and as meant: decimals as the data file writes them, a true minus sign,
magnitudes and signed changes, plural unit words, sum/product/cagr with their unit rules, and
figures exempt from the freshness window. Each test builds a copy of the mini workspace."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from brief.errors import BriefError
from brief.pipeline.build import build
from brief.pipeline.check import check
from brief.pipeline.resolve import resolve_figures
from brief.workspace.load import load_workspace
from helpers import line_number, request_for

MINUS = "\u2212"

EXTRA_FIGURES = """
- id: eu_share_2020
  label: EU share of world fab capacity, 2020
  value: 9.0
  unit: percent
  as_of: "2020"
  source: report-a
  locator: "table 3"

- id: eu_share_2024
  label: EU share of world fab capacity, 2024
  value: 8.4
  unit: percent
  as_of: "2024"
  source: report-a
  locator: "table 3"

- id: eu_share_change
  label: Change in the EU share of world fab capacity, 2020 to 2024
  unit: pp
  derive: {op: pp_change, of: [eu_share_2020, eu_share_2024]}

- id: gadgets_written
  label: Gadgets per firm, written with a decimal
  value: 12.0
  unit: count
  as_of: "2024"
  source: survey-b
  locator: "table 9"
"""

EXTRA_CSV = """id,label,value,unit,as_of,source,locator
grants_eu,EU grants to chip makers,20.0,usd_billion,2024,report-a,table 4
"""

SECTION = """## Introduction

The EU share went from {{ fig("eu_share_2020") }} to {{ fig("eu_share_2024") }}: it {% if \
fig_sign("eu_share_change") == "negative" %}fell{% else %}rose{% endif %} by {{ fig("eu_share_change", "abs") }} \
({{ fig("eu_share_change", "signed") }}; plain, {{ fig("eu_share_change") }}). Gadget use changed by \
{{ fig("share_rise", "signed") }}. Grants came to {{ fig("grants_eu") }}. Firms hold {{ fig("gadgets_written") }} \
gadgets each.

{{ chart("counts") }}
"""


def _text(html: str) -> str:
    """The visible text of an HTML edition, with non-breaking spaces as plain ones."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # Endnote marks and the inline tags around a figure are not words of the sentence.
    body = re.sub(r'<a class="note-ref"[^>]*>.*?</a>|<span class="note-sep">,</span>|\u2060', "", body)
    body = re.sub(r"</?(span|a|em|strong|sup)\b[^>]*>", "", body)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).replace("\u00a0", " ")


def _built(root: Path, fmt: str = "html") -> str:
    result = build(request_for(root, None, "policy", format=fmt))
    if fmt == "html":
        return _text(result.path.read_text(encoding="utf-8"))
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(result.path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture
def numbers(mini_full: Path) -> Path:
    """The mini workspace with figures written 9.0 and 12.0 (YAML) and 20.0 (CSV), a fall of
    0.6 percentage points, and a section printing them."""
    figures = mini_full / "data" / "figures"
    (figures / "shares.yaml").write_text(
        (figures / "shares.yaml").read_text(encoding="utf-8") + EXTRA_FIGURES, encoding="utf-8"
    )
    (figures / "grants.csv").write_text(EXTRA_CSV, encoding="utf-8")
    (mini_full / "templates" / "policy" / "intro.md.j2").write_text(SECTION, encoding="utf-8")
    return mini_full


def test_decimals_as_written_in_yaml_and_csv_print_in_the_pdf(numbers: Path) -> None:
    """9.0 in a YAML figures file prints "9.0%" beside "8.4%"; 20.0 in a CSV cell prints
    "$20.0 billion"; a unit's own decimals (count: 0) still win over what was written."""
    section = (
        'From {{ fig("eu_share_2020") }} to {{ fig("eu_share_2024") }}. Grants came to {{ fig("grants_eu") }}. '
        'Firms hold {{ fig("gadgets_written") }} gadgets each.\n\n{{ chart("counts") }}\n'
    )
    (numbers / "templates" / "policy" / "intro.md.j2").write_text(section, encoding="utf-8")
    text = _built(numbers, "pdf")
    assert "From 9.0% to 8.4%" in text
    assert "Grants came to $20.0 billion" in text
    assert "Firms hold 12 gadgets" in text


def test_minus_sign_magnitude_signed_and_sign_branch(numbers: Path) -> None:
    """A fall prints with a true minus (U+2212), never a hyphen; "abs" prints the magnitude,
    "signed" a "+" or "−"; fig_sign() lets the template say "fell" without seeing the value."""
    text = _built(numbers)
    assert "it fell by 0.6 percentage points" in text
    assert f"({MINUS}0.6 percentage points; plain, {MINUS}0.6 percentage points)" in text
    assert "changed by +27.0 percentage points" in text
    assert "-0.6" not in text


def test_a_sign_is_judged_as_printed(numbers: Path) -> None:
    """A value that rounds to zero is "zero" to fig_sign() and prints with no sign at all."""
    figures = numbers / "data" / "figures" / "shares.yaml"
    text = figures.read_text(encoding="utf-8").replace("value: 8.4\n", "value: 8.96\n")
    figures.write_text(text.replace("  derive: {op: pp_change", "  decimals: 1\n  derive: {op: pp_change"), "utf-8")
    built = _built(numbers)
    assert "it rose by 0.0 percentage points (0.0 percentage points; plain, 0.0 percentage points)" in built


UNITS = """
fabs:
  axis: fabs
  long: {one: "{n} fab", other: "{n} fabs"}
  short: {one: "{n} fab", other: "{n} fabs"}
  decimals: 0
  nonnegative: true
  languages:
    de:
      long: {one: "{n} Fabrik", other: "{n} Fabriken"}
      short: "{n} Fabr."
      axis: Fabriken
"""

FABS = """
- id: fabs_nl
  label: Fabs under construction in the Netherlands
  value: 1
  unit: fabs
  as_of: "2024"
  source: report-a
  locator: "table 5"

- id: fabs_de
  label: Fabs under construction in Germany
  value: 3
  unit: fabs
  as_of: "2024"
  source: report-a
  locator: "table 5"
"""


def test_unit_words_take_their_plural_form(mini_full: Path) -> None:
    """A unit's words may have a form per CLDR plural category: "1 fab", "3 fabs", and in
    German "1 Fabrik", "3 Fabriken"."""
    (mini_full / "data" / "units.yaml").write_text(UNITS, encoding="utf-8")
    figures = mini_full / "data" / "figures" / "shares.yaml"
    figures.write_text(figures.read_text(encoding="utf-8") + FABS, encoding="utf-8")
    section = 'Building: {{ fig("fabs_nl") }} and {{ fig("fabs_de") }}.\n\n{{ chart("counts") }}\n'
    (mini_full / "templates" / "policy" / "intro.md.j2").write_text(section, encoding="utf-8")
    assert "Building: 1 fab and 3 fabs." in _built(mini_full)
    german = resolve_figures(load_workspace(mini_full), "de-DE")
    assert (german["fabs_nl"].text(), german["fabs_de"].text()) == ("1 Fabrik", "3 Fabriken")


def test_a_plural_form_needs_other(mini_full: Path) -> None:
    """Plural forms without "other" (the form most numbers take) are an error at the unit."""
    units = mini_full / "data" / "units.yaml"
    units.write_text(UNITS.replace(', other: "{n} fabs"}', "}", 1), encoding="utf-8")
    errors = [p for p in check(mini_full).problems if p.severity == "error"]
    assert len(errors) == 1 and "need 'other'" in errors[0].message
    assert errors[0].line == line_number(units, "long: {one")


MONEY_UNITS = """
eur_billion: {currency: EUR, scale: billion}
usd_per_eur:
  currency: USD
  per: EUR
  long: "{n} US dollars per euro"
  short: "{n} USD/EUR"
  axis: US dollars per euro
"""

MONEY = """
- id: eu_grants
  label: EU grants to chip makers, 2024
  value: 43
  unit: eur_billion
  as_of: "2024"
  source: report-a
  locator: "table 6"

- id: eu_loans
  label: EU loans to chip makers, 2024
  value: 12.5
  unit: eur_billion
  as_of: "2024"
  source: report-a
  locator: "table 6"

- id: fx_2024
  label: Euro exchange rate, 2024 average
  value: 1.08
  unit: usd_per_eur
  as_of: "2024"
  source: report-a
  locator: "annex"

- id: eu_support
  label: EU support to chip makers, 2024
  unit: eur_billion
  derive: {op: sum, of: [eu_grants, eu_loans]}

- id: eu_support_usd
  label: EU support to chip makers in dollars, 2024
  unit: usd_billion
  derive: {op: product, of: [eu_support, fx_2024]}

- id: widgets_2020
  label: Widgets installed by Alpha, 2020
  value: 138150
  unit: count
  as_of: "2020"
  source: report-a
  locator: "table 1, p. 3"

- id: widgets_growth
  label: Yearly growth of Alpha's installations, 2020 to 2024
  unit: percent_per_year
  derive: {op: cagr, of: [widgets_2020, widgets_alpha]}
"""


@pytest.fixture
def money(mini_full: Path) -> Path:
    """The mini workspace with euro amounts, a sourced exchange rate, and a sum, a product
    and a cagr of them."""
    (mini_full / "data" / "units.yaml").write_text(MONEY_UNITS, encoding="utf-8")
    (mini_full / "data" / "figures" / "money.yaml").write_text(MONEY, encoding="utf-8")
    section = (
        'Support came to {{ fig("eu_support") }}, or {{ fig("eu_support_usd") }}; Alpha grew '
        '{{ fig("widgets_growth") }}.\n\n{{ figures_table() }}\n\n{{ chart("counts") }}\n'
    )
    (mini_full / "templates" / "policy" / "intro.md.j2").write_text(section, encoding="utf-8")
    return mini_full


def test_sum_product_and_cagr_print_with_their_calculation(money: Path) -> None:
    """43 + 12.5 = €55.5 billion; × 1.08 USD/EUR = $59.9 billion; 138,150 → 276,300 in four
    years doubles, 18.9% a year; the figures table shows each calculation."""
    text = _built(money)
    assert "Support came to €55.5 billion, or $59.9 billion; Alpha grew 18.9% a year." in text
    assert "€43 billion (EU grants to chip makers, 2024) + €12.5 billion (EU loans to chip makers, 2024)" in text
    assert "€55.5 billion (EU support to chip makers, 2024) × 1.08 US dollars per euro (Euro exchange rate" in text
    assert "138,150 (Widgets installed by Alpha, 2020) → 276,300 (Widgets installed by Alpha, 2024), 4 years" in text
    german = resolve_figures(load_workspace(money), "de-DE")["widgets_growth"]
    assert german.text() == "18,9 % pro Jahr" and german.derivation and german.derivation.endswith(", 4 Jahre")


@pytest.mark.parametrize(
    ("old", "new", "figure", "message"),
    [
        (
            "unit: usd_billion\n  derive: {op: product",
            "unit: eur_billion\n  derive: {op: product",
            "eu_support_usd",
            "figure 'eu_support_usd': eur_billion × the USD/EUR rate is in USD (billion), not eur_billion",
        ),
        (
            "of: [eu_grants, eu_loans]",
            "of: [eu_grants, fx_2024]",
            "eu_support",
            "figure 'eu_support': sum adds figures of one unit: 'fx_2024' is in usd_per_eur, the figure in eur_billion",
        ),
        (
            "unit: percent_per_year\n",
            "unit: count\n",
            "widgets_growth",
            "figure 'widgets_growth': a cagr is a percentage a year, not count",
        ),
        (
            "of: [widgets_2020, widgets_alpha]",
            "of: [widgets_alpha, widgets_2020]",
            "widgets_growth",
            "figure 'widgets_growth': cagr needs 'widgets_2020' dated after 'widgets_alpha' (2020 is not after 2024)",
        ),
    ],
    ids=["product-unit", "sum-units", "cagr-unit", "cagr-order"],
)
def test_derived_units_are_checked_at_the_figure(money: Path, old: str, new: str, figure: str, message: str) -> None:
    """A derived figure whose declared unit is not what its arithmetic gives is an error at
    its line (EUR × USD/EUR is USD; a sum adds one unit; a cagr is percent a year)."""
    path = money / "data" / "figures" / "money.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    errors: list[BriefError] = [p for p in check(money).problems if p.severity == "error"]
    assert [(e.message, e.line) for e in errors] == [(message, line_number(path, f"id: {figure}"))]


def test_historic_figures_are_exempt_from_the_freshness_window(numbers: Path) -> None:
    """With a 12-month window, the 2020 point of a series is a warning, and fails --strict;
    marked historic: true it is neither, and the strict build succeeds."""
    brief = numbers / "briefs" / "mini.yaml"
    brief.write_text(brief.read_text(encoding="utf-8") + "freshness_months: 12\n", encoding="utf-8")
    figures = numbers / "data" / "figures" / "shares.yaml"
    stale = {p.message.split("'")[1] for p in check(numbers).problems if "freshness window" in p.message}
    assert "eu_share_2020" in stale
    text = figures.read_text(encoding="utf-8")
    for fid in sorted(stale):
        text = text.replace(f"- id: {fid}\n", f"- id: {fid}\n  historic: true\n")
    figures.write_text(text, encoding="utf-8")
    assert not [p for p in check(numbers).problems if "freshness window" in p.message]
    assert build(request_for(numbers, None, "policy", format="html", strict=True)).path.is_file()
