"""The format of a units file: brief's own defaults (``brief/model/units.yaml``) and a
workspace's ``data/units.yaml``, which adds units and overrides defaults by name."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# A unit's words: "{n}" is where the number goes, and nothing else is a placeholder, so a
# units file cannot reach into Python's format machinery ("{n.__class__}").
Words = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Template = Annotated[str, StringConstraints(min_length=3, max_length=80)]
UnitName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
Scale = Literal["thousand", "million", "billion", "trillion"]


def check_template(text: str) -> str:
    """Raise ``ValueError`` unless *text* holds ``{n}`` once and no other brace."""
    if text.count("{n}") != 1 or re.sub(r"\{n\}", "", text).count("{") or "}" in text.replace("{n}", ""):
        raise ValueError(f"{text!r} must hold {{n}} (where the number goes) once, and no other braces")
    return text


class UnitWords(BaseModel):
    """How a unit is written in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: Template = Field(description="in running text, with {n} for the number: '{n} wafers per month'")
    short: Template = Field(description="in charts and tables: '{n} wpm'")
    axis: Words = Field(description="the unit alone, for a chart axis or a table header: 'wafers per month'")

    @field_validator("long", "short")
    @classmethod
    def _one_number(cls, text: str) -> str:
        return check_template(text)


class UnitSpec(BaseModel):
    """One unit: its words (or a currency and scale, whose words come from the language) and
    how its numbers are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: Template | None = Field(default=None, description="English words in running text, with {n}")
    short: Template | None = Field(default=None, description="English words in charts and tables, with {n}")
    axis: Words | None = Field(default=None, description="the unit alone, for an axis or a table header")
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code (EUR, GBP, CNY): symbol and name per language"
    )
    scale: Scale | None = Field(default=None, description="with currency: the amounts are in thousands … trillions")
    decimals: int | None = Field(
        default=None, ge=0, le=4, description="decimals unless a figure says (default: as written)"
    )
    nonnegative: bool = Field(default=False, description="a count of things: a negative value is an error")
    languages: dict[LanguageTag, UnitWords] = Field(
        default_factory=dict, description="the unit's words in other languages, by tag (de, de-AT, fr)"
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
