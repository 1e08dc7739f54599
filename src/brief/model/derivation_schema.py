"""The format of a derived figure's `derive:`: an operation and the figures it is computed from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from brief.model.chart_schema import Id, Strict

Operation = Literal["ratio", "difference", "pp_change", "percent_change", "share", "sum", "product", "cagr"]


class Derivation(Strict):
    """A figure computed from others, so a derived number is never typed by hand.

    ``ratio`` a ÷ b; ``difference`` a − b; ``pp_change`` b − a (percent in, pp out);
    ``percent_change`` (b − a) ÷ a × 100; ``share`` a ÷ b × 100; ``sum`` a + b + …
    (one unit); ``product`` a × b (an amount by a rate or a ratio); ``cagr`` the compound
    annual growth rate from a to b, by their dates.
    """

    op: Operation = Field(
        description="ratio: a ÷ b; difference: a − b; pp_change: b − a (percent in, pp out); "
        "percent_change: (b − a) ÷ a × 100; share: a ÷ b × 100; sum: a + b + … (all in the figure's unit); "
        "product: a × b (an amount by an exchange rate or a ratio); "
        "cagr: the growth a year from a to b over the years between their as_of dates, in percent_per_year",
        examples=["ratio"],
    )
    of: list[Id] = Field(
        min_length=2,
        max_length=100,
        description="the ids of the two figures a and b (sum: two or more)",
        examples=[["us_models", "cn_models"]],
    )

    @model_validator(mode="after")
    def _two_unless_sum(self) -> Derivation:
        if self.op != "sum" and len(self.of) != 2:
            raise ValueError(f"{self.op} takes two figures, a and b; only sum takes more")
        return self
