"""The format of a units file: brief's own defaults (``brief/model/units.yaml``) and a
workspace's ``data/units.yaml``, which adds units and overrides defaults by name."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
PluralCategory = Literal["zero", "one", "two", "few", "many", "other"]
# A unit's words in running text or charts: one template, or one per CLDR plural category of the
# number printed ({one: "{n} fab", other: "{n} fabs"}); "other" is required.
Forms = str | Mapping[PluralCategory, str]
TemplateForms = Template | dict[PluralCategory, Template]


def check_forms(forms: Forms) -> Forms:
    """Raise ``ValueError`` unless every form holds ``{n}`` once and plural forms include ``other``."""
    if isinstance(forms, str):
        return check_template(forms)
    if "other" not in forms:
        raise ValueError(
            "plural forms need 'other' (the form for most numbers), e.g. {one: '{n} fab', other: '{n} fabs'}"
        )
    for text in forms.values():
        check_template(text)
    return forms


def texts(forms: Forms | None) -> list[str]:
    """Every template of *forms*: one, or one per plural category."""
    if forms is None:
        return []
    return [forms] if isinstance(forms, str) else list(forms.values())


def check_template(text: str) -> str:
    """Raise ``ValueError`` unless *text* holds ``{n}`` once and no other brace."""
    if text.count("{n}") != 1 or re.sub(r"\{n\}", "", text).count("{") or "}" in text.replace("{n}", ""):
        raise ValueError(f"{text!r} must hold {{n}} (where the number goes) once, and no other braces")
    return text


class UnitWords(BaseModel):
    """How a unit is written in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: TemplateForms = Field(
        description="in running text, with {n} for the number; or forms by plural category (one, other)",
        examples=["{n} Wafer pro Monat", {"one": "{n} Fabrik", "other": "{n} Fabriken"}],
    )
    short: TemplateForms = Field(
        description="in charts and tables, with {n} for the number; or forms by plural category",
        examples=["{n} Wafer/Monat"],
    )
    axis: Words = Field(description="the unit alone, for a chart axis or a table header", examples=["Wafer pro Monat"])

    @field_validator("long", "short")
    @classmethod
    def _one_number(cls, forms: Forms) -> Forms:
        return check_forms(forms)


class UnitSpec(BaseModel):
    """One unit: its words, or a currency and scale whose words come from the language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    long: TemplateForms | None = Field(
        default=None,
        description="English words in running text, with {n} for the number; or forms by CLDR plural "
        "category of the number printed (one, other)",
        examples=["{n} wafers a month", {"one": "{n} fab", "other": "{n} fabs"}],
    )
    short: TemplateForms | None = Field(
        default=None,
        description="English words in charts and tables, with {n} for the number; or forms by plural category",
        examples=["{n} wpm"],
    )
    axis: Words | None = Field(
        default=None, description="the unit alone, for a chart axis or a table header", examples=["wafers a month"]
    )
    currency: str | None = Field(
        default=None,
        pattern=patterns.CURRENCY,
        description="a money unit's currency: without long, short and axis, its symbol and name come from the language",
        examples=["EUR"],
    )
    scale: Scale | None = Field(
        default=None, description="with currency: the amounts are in thousands … trillions", examples=["billion"]
    )
    per: str | None = Field(
        default=None,
        pattern=patterns.CURRENCY,
        description="with currency: an exchange rate, so many of `currency` for one of this currency "
        "(give long, short and axis too); a `product` of an amount in it and the rate is in `currency`",
        examples=["EUR"],
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
    def _one_number(cls, forms: Forms | None) -> Forms | None:
        return forms if forms is None else check_forms(forms)

    @model_validator(mode="after")
    def _words_or_currency(self) -> UnitSpec:
        words = [self.long, self.short, self.axis]
        if any(w is None for w in words) and any(w is not None for w in words):
            raise ValueError("a unit needs long, short and axis together (or currency and scale alone)")
        if self.currency is not None:
            from brief.model.language import is_currency

            for code in (self.currency, self.per):
                if code is not None and not is_currency(code):
                    raise ValueError(f"{code!r} is not an ISO 4217 currency code (EUR, USD, GBP, CNY, JPY …)")
        if self.per is not None and (self.currency is None or self.scale is not None or self.long is None):
            raise ValueError("a rate gives currency, per, long, short and axis (and no scale)")
        if self.currency is None and self.long is None:
            raise ValueError("a unit needs long, short and axis (or currency and scale)")
        if self.currency is None and self.scale is not None:
            raise ValueError("scale goes with currency; write the scale into long, short and axis instead")
        self._percentage_points_are_not_percent()
        return self

    def _percentage_points_are_not_percent(self) -> None:
        # "17.5 percentage points" printed as "17.5%" is the classic misreading of a chart.
        forms = [(self.long, self.short, self.axis), *((w.long, w.short, w.axis) for w in self.languages.values())]
        for long, short, axis in forms:
            named = " ".join([*texts(long), axis or ""]).lower()
            if any(p in named for p in ("percentage point", "prozentpunkt", "point de pourcentage")) and any(
                "%" in w for w in (*texts(long), *texts(short), axis or "")
            ):
                raise ValueError("percentage points are never written '%' (that is percent): use 'pp'")


class UnitsFile(BaseModel):
    """A units file: unit name → unit."""

    model_config = ConfigDict(frozen=True)
    units: dict[UnitName, UnitSpec] = Field(max_length=500)
