"""Typed models of everything a workspace holds: sources, figures, briefs, charts.

These are the edges of the pipeline: YAML is validated into these models once, in
the load stage, and every later stage trusts them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from brief.model import patterns
from brief.model.chart_schema import FACET_KINDS as FACET_KINDS
from brief.model.chart_schema import SERIES_KINDS as SERIES_KINDS
from brief.model.chart_schema import ChartKind as ChartKind
from brief.model.chart_schema import ChartRow as ChartRow
from brief.model.chart_schema import ChartSpec as ChartSpec
from brief.model.chart_schema import Facet as Facet
from brief.model.chart_schema import Id as Id
from brief.model.chart_schema import Strict as Strict  # our own formats: an unknown key is a typo
from brief.model.derivation_schema import Derivation as Derivation
from brief.model.derivation_schema import Operation as Operation
from brief.model.language import locale_of
from brief.model.marking import Marking
from brief.model.page_schema import PageSetup
from brief.model.units import UNITS, Unit, check_value, unknown_unit

# A figure id, or one with {parameter} placeholders that each variant fills in.
FigureRef = Annotated[str, StringConstraints(pattern=patterns.FIGURE_REF)]
AsOf = Annotated[str, StringConstraints(pattern=patterns.AS_OF)]


def check_as_of(text: str) -> None:
    """Raise ``ValueError`` unless *text* (already shaped like YYYY[-MM[-DD]]) is a real period."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        raise ValueError(f"{text!r} has month {parts[1]}; months run from 01 to 12")
    if len(parts) > 2:
        try:
            dt.date(*parts)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date (no day {parts[2]} in that month)") from None


def units_of(info: ValidationInfo) -> dict[str, Unit]:
    """The units a figure may use: the workspace's (passed as validation context) or brief's own."""
    context = info.context if isinstance(info.context, dict) else {}
    units: dict[str, Unit] = context.get("units", UNITS)
    return units


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


# --- figures -----------------------------------------------------------------------


class Figure(Strict):
    """A curated number with its provenance, or a derivation from other figures."""

    id: Id = Field(description="the name templates and charts use", examples=["private_ai_investment_2024_us"])
    label: str = Field(
        min_length=3, description="what the number counts, in words", examples=["US private AI investment, 2024"]
    )
    unit: str = Field(description="how the number is written", examples=["usd_billion"])
    value: float | int | None = Field(
        default=None, description="the number as the source gives it (not with a derived figure)", examples=[109.1]
    )
    decimals: int | None = Field(
        default=None,
        ge=0,
        le=4,
        description="decimals to print (default: as many as the value is written with)",
        examples=[1],
    )
    as_of: AsOf | None = Field(
        default=None, description="the period the number describes (a year, month or day)", examples=["2024"]
    )
    source: Id | None = Field(
        default=None, description="the id of its source in data/sources.yaml", examples=["ai-index-2025"]
    )
    locator: str | None = Field(default=None, description="where in the source it is", examples=["p. 252, fig. 4.3.8"])
    note: str | None = Field(
        default=None,
        description="a caveat about the number (printed in its endnote only with `print_note`)",
        examples=["excludes state funding"],
    )
    print_note: bool = Field(
        default=False,
        description="print `note` in the figure's endnote (the brief's `print_notes` does so for every figure)",
        examples=[True],
    )
    claimed_by: str | None = Field(
        default=None,
        description="who makes the claim, when the source only reports it (printed in its note)",
        examples=["the company's press release"],
    )
    derive: Derivation | None = Field(default=None, description="compute this figure from others instead")
    historic: bool = Field(
        default=False, description="an earlier point of a series: exempt from `freshness_months`", examples=[True]
    )
    # Figures that record the same quantity from different sources share a `quantity`;
    # where their values differ, the one used says why in `preferred`.
    quantity: Id | None = Field(
        default=None,
        description="a name shared by figures that measure the same thing from different sources",
        examples=["us_private_ai_investment_2024"],
    )
    preferred: str | None = Field(
        default=None,
        min_length=10,
        description="why this value is used where its alternatives differ",
        examples=["the AI Index counts only disclosed deals"],
    )

    _written_decimals: int | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_written_decimals(cls, data: Any, handler: ModelWrapValidatorHandler[Figure]) -> Figure:
        figure = handler(data)
        value = data.get("value") if isinstance(data, dict) else None
        figure._written_decimals = getattr(value, "decimals", None)
        return figure

    @property
    def written_decimals(self) -> int | None:
        """The decimals the value was written with in its data file (``9.0`` → 1), if known."""
        return self._written_decimals

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | int | None, info: ValidationInfo) -> float | int | None:
        # unit is declared before value, so it is known here when it is valid.
        problem = None if value is None else check_value(value, info.data.get("unit"), units_of(info))
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("as_of")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            check_as_of(value)
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, name: str, info: ValidationInfo) -> str:
        units = units_of(info)
        if name not in units:
            raise ValueError(unknown_unit(name, units))
        return name

    @model_validator(mode="after")
    def _preferred_needs_quantity(self) -> Figure:
        if self.preferred is not None and self.quantity is None:
            raise ValueError("'preferred' needs 'quantity': name the quantity the alternatives share")
        return self

    @model_validator(mode="after")
    def _value_or_derivation(self) -> Figure:
        if self.derive is None:
            missing = [k for k in ("value", "as_of", "source", "locator") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"a figure needs {', '.join(missing)} (or 'derive' to compute it)")
        elif self.value is not None or self.source is not None:
            raise ValueError("a derived figure takes no 'value' or 'source': they come from its inputs")
        return self


# --- briefs ------------------------------------------------------------------------


class Audience(Strict):
    """One reader of a brief: a template folder, its sections and its page budget."""

    label: str = Field(description="who the edition is for, as printed", examples=["Policy staff"])
    sections: list[str] = Field(
        min_length=1,
        description="template names in the audience's template folder, in reading order",
        examples=[["summary", "findings"]],
    )
    charts: list[Id] = Field(
        default_factory=list, description="the ids of the charts its templates place", examples=[["investment"]]
    )
    page_budget: int = Field(
        ge=1,
        le=200,
        description="the most pages the edition may take",
        examples=[2],
        json_schema_extra={"unit": "pages"},
    )
    templates: str | None = Field(
        default=None,
        pattern=patterns.FOLDER,
        description="template folder under templates/ (default: the audience's name)",
        examples=["board"],
    )

    @field_validator("templates")
    @classmethod
    def _folder_inside_templates(cls, folder: str | None) -> str | None:
        if folder is not None and any(part in (".", "..") for part in folder.split("/")):
            raise ValueError(f"{folder!r} is not a folder name under templates/: no '.' or '..' parts")
        return folder


class Colophon(Strict):
    """What the last page says about the brief: who wrote it, how to cite it, its licence.

    Every field is optional: the authors default to the brief's, the citation is built from
    the authors, title, edition, organisation and date, and the licence line to a copyright
    line of the organisation."""

    authors: list[str] | None = Field(
        default=None,
        min_length=1,
        description="the authors as the colophon names them (default: the brief's `authors`)",
        examples=[["Jane Doe (Open Policy Briefs)", "Wei Zhang"]],
    )
    citation: str | None = Field(
        default=None,
        min_length=10,
        description="the suggested citation (default: authors, title, edition, organisation, date and `url`)",
        examples=["Doe, J. The US–China AI Gap. Open Policy Briefs, 2026."],
    )
    licence: str | None = Field(
        default=None,
        min_length=2,
        description="the licence the brief is published under (default: a copyright line of the organisation)",
        examples=["CC BY 4.0"],
    )
    url: str | None = Field(
        default=None,
        pattern=patterns.WEB_ADDRESS,
        description="where the brief is published (printed only when given)",
        examples=["https://example.org/briefs/us-china-ai-gap"],
    )


class Brief(Strict):
    """A brief file in briefs/: what the brief is and who it is for."""

    id: Id = Field(
        description="the brief's name in file names and commands",
        examples=["us-china-ai-gap"],
        json_schema_extra={"default": "the file's name without .yaml"},
    )
    title: str = Field(description="the title on the first page", examples=["The US–China AI Gap"])
    subtitle: str | None = Field(
        default=None, description="one line under the title", examples=["Where the gap has closed"]
    )
    date: dt.date = Field(description="the publication date", examples=[dt.date(2026, 11, 22)])
    authors: list[str] = Field(min_length=1, description="the authors, people or teams", examples=[["Research team"]])
    language: str = Field(
        default="en-US",
        description="the text's language, as a BCP 47 tag: sets dates, numbers, unit words and captions",
        examples=["de-DE"],
    )
    page: PageSetup = Field(default_factory=PageSetup, description="paper size, orientation and margins")
    subject: str | None = Field(
        default=None,
        description="a one-sentence summary for the PDF's metadata",
        examples=["How far China has closed the AI gap"],
    )
    keywords: list[str] = Field(
        default_factory=list, description="keywords for the PDF's metadata", examples=[["AI", "China"]]
    )
    freshness_months: int | None = Field(
        default=None,
        ge=1,
        description="warn about figures older than this, counted back from `date`",
        examples=[36],
        json_schema_extra={"unit": "months"},
    )
    for_each: str | list[dict[str, str | int | float]] | None = Field(
        default=None,
        description="build one document per variant: a CSV file in data/ (a header line naming `id` "
        "and other parameters) or a list of mappings with `id`; `{name}` in figure ids, chart texts "
        "and the title is filled in from each variant, and templates see it as `variant`",
        examples=["data/countries.csv"],
    )
    print_notes: bool = Field(
        default=False, description="print every figure's `note` (its caveat) in its endnote", examples=[True]
    )
    charts: dict[Id, ChartSpec] = Field(default_factory=dict, description="the charts, by id")
    audiences: dict[Id, Audience] = Field(min_length=1, description="the editions, one per reader, by name")
    distribution: Marking | None = Field(default=None, description="markings and who may receive the brief")
    colophon: Colophon = Field(
        default_factory=Colophon, description="authors, suggested citation, licence and URL, printed on the last page"
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, tag: str) -> str:
        locale_of(tag)
        return tag
