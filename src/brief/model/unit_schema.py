"""The format of a units file: brief's own defaults (``brief/model/units.yaml``) and a
workspace's ``data/units.yaml``, which adds units and overrides defaults by name."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from brief.model import patterns

# A unit's words: "{n}" is where the number goes, and nothing else is a placeholder, so a
# units file cannot reach into Python's format machinery ("{n.__class__}").
Words = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Template = Annotated[str, StringConstraints(min_length=3, max_length=80)]
UnitName = Annotated[str, StringConstraints(pattern=patterns.UNIT_NAME)]
LanguageTag = Annotated[str, StringConstraints(pattern=patterns.LANGUAGE)]
Scale = Literal["thousand", "million", "billion", "trillion"]


def check_template(text: str) -> str:
    """Raise ``ValueError`` unless *text* holds ``{n}`` once and no other brace."""
    if text.count("{n}") != 1 or re.sub(r"\{n\}", "", text).count("{") or "}" in text.replace("{n}", ""):
        raise ValueError(f"{text!r} must hold {{n}} (where the number goes) once, and no other braces")
    return text


class UnitWords(BaseModel):
    """How a unit is written in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: Template = Field(description="in running text, with {n} for the number", examples=["{n} Wafer pro Monat"])
    short: Template = Field(description="in charts and tables, with {n} for the number", examples=["{n} Wafer/Monat"])
    axis: Words = Field(description="the unit alone, for a chart axis or a table header", examples=["Wafer pro Monat"])

    @field_validator("long", "short")
    @classmethod
    def _one_number(cls, text: str) -> str:
        return check_template(text)


class UnitSpec(BaseModel):
    """One unit: its words, or a currency and scale whose words come from the language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: Template | None = Field(
        default=None,
        description="English words in running text, with {n} for the number",
        examples=["{n} wafers a month"],
    )
    short: Template | None = Field(
        default=None, description="English words in charts and tables, with {n} for the number", examples=["{n} wpm"]
    )
    axis: Words | None = Field(
        default=None, description="the unit alone, for a chart axis or a table header", examples=["wafers a month"]
    )
    currency: str | None = Field(
        default=None,
        pattern=patterns.CURRENCY,
        description="a money unit's currency, instead of long, short and axis: symbol and name come from the language",
        examples=["EUR"],
    )
    scale: Scale | None = Field(
        default=None, description="with currency: the amounts are in thousands … trillions", examples=["billion"]
    )
    decimals: int | None = Field(
        default=None,
        ge=0,
        le=4,
        description="decimals to print unless a figure says (default: as written)",
        examples=[0],
    )
    nonnegative: bool = Field(
        default=False, description="a count of things: a negative value is an error", examples=[True]
    )
    languages: dict[LanguageTag, UnitWords] = Field(
        default_factory=dict, description="the unit's words in other languages, by language (de, de-AT, fr)"
    )

    @field_validator("long", "short")
    @classmethod
    def _one_number(cls, text: str | None) -> str | None:
        return text if text is None else check_template(text)

    @model_validator(mode="after")
    def _words_or_currency(self) -> UnitSpec:
        words = [self.long, self.short, self.axis]
        if self.currency is not None:
            if any(w is not None for w in words):
                raise ValueError("a currency unit takes its words from the language: give currency and scale only")
            from brief.model.language import is_currency

            if not is_currency(self.currency):
                raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code (EUR, USD, GBP, CNY, JPY …)")
        elif any(w is None for w in words):
            raise ValueError("a unit needs long, short and axis (or currency and scale)")
        elif self.scale is not None:
            raise ValueError("scale goes with currency; write the scale into long, short and axis instead")
        self._percentage_points_are_not_percent()
        return self

    def _percentage_points_are_not_percent(self) -> None:
        # "17.5 percentage points" printed as "17.5%" is the classic misreading of a chart.
        forms = [(self.long, self.short, self.axis), *((w.long, w.short, w.axis) for w in self.languages.values())]
        for long, short, axis in forms:
            named = " ".join(w or "" for w in (long, axis)).lower()
            if any(p in named for p in ("percentage point", "prozentpunkt", "point de pourcentage")) and any(
                "%" in (w or "") for w in (long, short, axis)
            ):
                raise ValueError("percentage points are never written '%' (that is percent): use 'pp'")


class UnitsFile(BaseModel):
    """A units file: unit name → unit."""

    model_config = ConfigDict(frozen=True)
    units: dict[UnitName, UnitSpec] = Field(max_length=500)
