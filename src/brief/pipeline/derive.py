"""Derived figures: what each operation computes, and the unit rules it is held to.

A derived figure's unit is declared, never inferred, so the rules here check that the
declared unit is what the arithmetic gives: a sum adds one unit; a product turns an amount
into another currency by a sourced rate (EUR × USD/EUR → USD) or scales it by a ratio; a
compound annual growth rate compares two dated values of one unit and is percent a year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from brief.model.units import Unit

# The operations of two figures a and b, with the symbol their calculation is printed with.
PAIRS: dict[str, tuple[str, Callable[[float, float], float]]] = {
    "ratio": ("÷", lambda a, b: a / b),
    "difference": ("−", lambda a, b: a - b),
    "pp_change": ("→", lambda a, b: b - a),
    "percent_change": ("→", lambda a, b: (b - a) / a * 100),
    "share": ("of", lambda a, b: a / b * 100),
    "product": ("×", lambda a, b: a * b),
}
GROWTH_UNITS = ("percent_per_year", "percent")


@dataclass(frozen=True)
class Input:
    """What the arithmetic needs of one input figure."""

    id: str
    value: float
    unit: str
    as_of: str


class DeriveProblem(ValueError):
    """Why a derived figure cannot be computed (the caller adds the file and line)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def years_between(start: str, end: str) -> float:
    """Years from period *start* to period *end* (``2020`` → ``2026-06`` is 5.5): a year
    counts from its last month, as the freshness window does."""

    def months(as_of: str) -> int:
        parts = [int(p) for p in as_of.split("-")]
        return parts[0] * 12 + (parts[1] if len(parts) > 1 else 12)

    return (months(end) - months(start)) / 12


def compute(op: str, inputs: Sequence[Input]) -> float:
    """The value of *op* over *inputs*; :class:`DeriveProblem` when it has none
    (``ZeroDivisionError`` for a division by zero)."""
    if op == "sum":
        return sum(i.value for i in inputs)
    a, b = inputs
    if op == "cagr":
        years = years_between(a.as_of, b.as_of)
        if years <= 0:
            raise DeriveProblem(
                f"cagr needs {b.id!r} dated after {a.id!r} ({b.as_of} is not after {a.as_of})",
                "list the earlier figure first: of: [start, end]",
            )
        if a.value <= 0 or b.value < 0:
            raise DeriveProblem(f"cagr needs a positive start and an end of zero or more ({a.id!r}, {b.id!r})")
        return float(((b.value / a.value) ** (1 / years) - 1) * 100)
    return PAIRS[op][1](a.value, b.value)


def unit_problem(op: str, inputs: Sequence[Input], unit_name: str, units: Mapping[str, Unit]) -> DeriveProblem | None:
    """Why a figure in *unit_name* cannot be *op* of *inputs*, or None (the operations of
    earlier versions, ratio … share, are not checked: their units are the writer's choice)."""
    if op == "sum":
        other = next((i for i in inputs if i.unit != unit_name), None)
        if other is not None:
            return DeriveProblem(
                f"sum adds figures of one unit: {other.id!r} is in {other.unit}, the figure in {unit_name}",
                "sum figures of the figure's unit; convert one first with a product by a rate",
            )
    elif op == "cagr":
        if inputs[0].unit != inputs[1].unit:
            return DeriveProblem(
                f"cagr compares two values of one unit: {inputs[0].unit} and {inputs[1].unit}",
                "grow a figure against an earlier value of the same quantity",
            )
        if unit_name not in GROWTH_UNITS:
            return DeriveProblem(
                f"a cagr is a percentage a year, not {unit_name}", "declare the figure with unit: percent_per_year"
            )
    elif op == "product":
        return _product_problem(inputs, unit_name, units)
    return None


def _product_problem(inputs: Sequence[Input], unit_name: str, units: Mapping[str, Unit]) -> DeriveProblem | None:
    a, b = (units[i.unit] for i in inputs)
    out = units[unit_name]
    for amount, rate, unit_of_amount in ((a, b, inputs[0].unit), (b, a, inputs[1].unit)):
        if rate.per is not None:
            if amount.currency != rate.per:
                return DeriveProblem(
                    f"the rate converts {rate.per} to {rate.currency}, "
                    f"but {unit_of_amount} is not an amount in {rate.per}",
                    f"multiply an amount in a unit with currency: {rate.per} by the rate",
                )
            if out.currency != rate.currency or out.scale != amount.scale or out.per is not None:
                return DeriveProblem(
                    f"{unit_of_amount} × the {rate.currency}/{rate.per} rate is in {rate.currency} "
                    f"({amount.scale or 'units'}), not {unit_name}",
                    f"declare the figure in a unit with currency: {rate.currency} and scale: {amount.scale}",
                )
            return None
    for other, unit_of_other in ((a, inputs[1].unit), (b, inputs[0].unit)):
        if other is units.get("ratio") and unit_of_other == unit_name:
            return None
    return DeriveProblem(
        f"product multiplies an amount by a rate or a ratio; {inputs[0].unit} × {inputs[1].unit} "
        f"does not give {unit_name}",
        "convert currencies with a rate unit (currency: USD, per: EUR) or scale by a figure in unit ratio",
    )
