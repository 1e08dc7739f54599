"""Units and number formatting (brief.model.units): the one place numbers are spelled."""

from __future__ import annotations

import pytest

from brief.model.units import UNITS, decimals_of, format_number, format_value, unit

# unit, value, decimals, long form, short form
FORMATS = [
    ("pp", 17.5, None, "17.5 percentage points", "17.5 pp"),
    ("percent", 69.7, None, "69.7%", "69.7%"),
    ("usd_billion", 109.1, None, "$109.1 billion", "$109.1B"),
    ("usd_million", 5.576, 1, "$5.6 million", "$5.6M"),
    ("cny_billion", 700, None, "700 billion yuan", "¥700B"),
    ("count", 276300, None, "276,300", "276,300"),
    ("ratio", 11.73, 1, "11.7 times", "11.7×"),
    ("per_year", 3, None, "3 times per year", "3×/yr"),
    ("score", 1385, None, "1,385", "1,385"),
    ("percent_per_year", 2.5, None, "2.5% a year", "2.5%/yr"),
]


def test_every_unit_has_a_format_case() -> None:
    """The format table below covers every unit in UNITS, so a new unit needs a test."""
    assert {case[0] for case in FORMATS} == set(UNITS)


@pytest.mark.parametrize(
    ("unit_name", "value", "decimals", "long", "short"), FORMATS, ids=[case[0] for case in FORMATS]
)
def test_format_value_long_and_short(unit_name: str, value: float, decimals: int | None, long: str, short: str) -> None:
    """format_value writes a value in its unit, in the long (prose) and short (chart) styles."""
    assert format_value(value, unit_name, decimals) == long
    assert format_value(value, unit_name, decimals, "long") == long
    assert format_value(value, unit_name, decimals, "short") == short


def test_percentage_points_never_print_as_percent() -> None:
    """A pp value and a percent value with the same number are written differently."""
    assert format_value(17.5, "pp", None) != format_value(17.5, "percent", None)
    assert "%" not in format_value(17.5, "pp", None)
    assert "%" not in format_value(17.5, "pp", None, "short")


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.25, 1, "0.3"),
        (0.35, 1, "0.4"),
        (0.125, 2, "0.13"),
        (2.675, 2, "2.68"),  # binary 2.67499… still rounds as written
        (2.5, 0, "3"),  # not banker's rounding (which gives 2)
        (-0.25, 1, "\u22120.3"),  # half away from zero, with a true minus sign
        (1234.5, 0, "1,235"),
        (1234567.891, 2, "1,234,567.89"),
        (1.7, 2, "1.70"),
    ],
    ids=["0.25", "0.35", "0.125", "2.675", "2.5", "negative", "thousands", "millions", "pad-zeros"],
)
def test_format_number_rounds_half_up_and_groups(value: float, decimals: int, expected: str) -> None:
    """Rounding is half away from zero on the decimal value as written, with thousands grouped."""
    assert format_number(value, decimals) == expected


def test_format_value_half_up_with_one_decimal() -> None:
    """0.25 with one decimal is written 0.3 in its unit."""
    assert format_value(0.25, "pp", 1) == "0.3 percentage points"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (17.5, 1),
        (40, 0),
        (40.0, 0),
        (0.25, 2),
        (109.1, 1),
        (5.576, 3),
        (1.70, 1),
        (276300, 0),
    ],
    ids=["17.5", "int", "float-whole", "0.25", "109.1", "5.576", "trailing-zero-lost", "large-int"],
)
def test_decimals_of(value: float, expected: int) -> None:
    """decimals_of counts the decimals a value was written with (a float's trailing zero is lost,
    which is why data files give ``decimals: 2`` for 1.70)."""
    assert decimals_of(value) == expected


def test_value_keeps_its_written_precision_by_default() -> None:
    """Without decimals, a value is printed with the precision it was written with."""
    assert format_value(0.3, "pp", None) == "0.3 percentage points"
    assert format_value(1.70, "percent", 2) == "1.70%"
    assert format_value(13.0, "percent", 1) == "13.0%"


def test_count_and_score_default_to_whole_numbers() -> None:
    """count and score default to no decimals, even for a float value."""
    assert format_value(22200000.0, "count", None) == "22,200,000"
    assert format_value(1384.6, "score", None) == "1,385"


def test_explicit_decimals_override_the_unit_default() -> None:
    """Explicit decimals win over the unit's default."""
    assert format_value(3.0, "count", 1) == "3.0"


def test_unknown_unit_names_the_valid_units() -> None:
    """Asking for an unknown unit raises KeyError listing every valid unit."""
    with pytest.raises(KeyError) as info:
        unit("%")
    message = str(info.value)
    assert "'%'" in message
    for name in UNITS:
        assert name in message
    with pytest.raises(KeyError):
        format_value(1, "percentage", None)


def test_decimals_of_small_values() -> None:
    """A small value written without an exponent keeps its decimals (0.00001 has 5)."""
    assert decimals_of(0.00001) == 5
    assert format_value(0.00001, "percent", None) == "0.00001%"
