"""Sources as CSL-JSON: the field names a reference manager exports, so an export drops in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from brief.model import patterns
from brief.model.chart_schema import Id

# --- sources (CSL-JSON field names, so a reference manager's export drops in) -------


class CslName(BaseModel):
    """A CSL name: a person (family, given) or an institution (literal)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    family: str | None = Field(default=None, description="a person's family name", examples=["Maslej"])
    given: str | None = Field(default=None, description="a person's given names", examples=["Nestor"])
    literal: str | None = Field(
        default=None, description="an institution's name, written as is", examples=["Stanford HAI"]
    )

    @model_validator(mode="after")
    def _has_a_name(self) -> CslName:
        if not (self.family or self.literal):
            raise ValueError("a name needs 'family' (a person) or 'literal' (an institution)")
        return self

    def display(self) -> str:
        """The name as printed in a citation."""
        if self.literal:
            return self.literal
        return " ".join(part for part in (self.given, self.family) if part)


class CslDate(BaseModel):
    """A CSL date: ``{"date-parts": [[2025, 4, 7]]}``; a plain ``2025-04-07`` is accepted too."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    date_parts: list[list[int]] = Field(
        alias="date-parts",
        min_length=1,
        description="[[year]], [[year, month]] or [[year, month, day]]; a plain 2025-04-07 is accepted too",
        examples=[[[2025, 4, 7]]],
    )

    @model_validator(mode="before")
    @classmethod
    def _from_iso(cls, data: Any) -> Any:
        if isinstance(data, dt.date):
            return {"date-parts": [[data.year, data.month, data.day]]}
        if isinstance(data, (str, int)):
            text = str(data)
            if not re.fullmatch(patterns.AS_OF, text):
                raise ValueError(f"expected a date like 2025-04-07, 2025-04 or 2025, got {text!r}")
            return {"date-parts": [[int(p) for p in text.split("-")]]}
        return data

    @field_validator("date_parts")
    @classmethod
    def _valid_parts(cls, parts: list[list[int]]) -> list[list[int]]:
        first = parts[0]
        if not 1 <= len(first) <= 3:
            raise ValueError("date-parts holds [year], [year, month] or [year, month, day]")
        if len(first) >= 2 and not 1 <= first[1] <= 12:
            raise ValueError(f"month {first[1]} is not between 1 and 12")
        return parts

    @property
    def parts(self) -> list[int]:
        """The first date's parts: year, then month and day when known."""
        return self.date_parts[0]


class Source(BaseModel):
    """One cited work. Unknown CSL fields are kept, so exports need no cleaning."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    id: Id = Field(description="the name figures cite it by", examples=["ai-index-2025"])
    type: str = Field(description="the CSL item type", examples=["report", "article-journal", "webpage"])
    title: str = Field(description="the work's full title", examples=["Artificial Intelligence Index Report 2025"])
    title_short: str | None = Field(
        default=None, alias="title-short", description="a short title for later citations", examples=["AI Index 2025"]
    )
    author: list[CslName] = Field(default_factory=list, description="the authors, people or institutions, in order")
    publisher: str | None = Field(default=None, description="who published it", examples=["Stanford HAI"])
    container_title: str | None = Field(
        default=None,
        alias="container-title",
        description="the journal or collection it appeared in",
        examples=["Nature"],
    )
    issued: CslDate = Field(description="when it was published", examples=[dt.date(2025, 4, 7)])
    URL: str | None = Field(
        default=None, description="where to read it", examples=["https://hai.stanford.edu/ai-index"]
    )
    accessed: CslDate | None = Field(
        default=None, description="when the URL was last read", examples=[dt.date(2025, 5, 1)]
    )
