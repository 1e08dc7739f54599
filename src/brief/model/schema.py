"""Typed models of everything a workspace holds: sources, figures, briefs, charts.

These are the edges of the pipeline: YAML is validated into these models once, in
the load stage, and every later stage trusts them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
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
from brief.model.source_schema import CslDate as CslDate
from brief.model.source_schema import CslName as CslName
from brief.model.source_schema import Source as Source
from brief.model.text_schema import Text
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


# --- figures -----------------------------------------------------------------------


class Figure(Strict):
    """A curated number with its provenance, or a derivation from other figures."""

    id: Id = Field(description="the name templates and charts use", examples=["private_ai_investment_2024_us"])
    label: Text = Field(
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
    locator: Text | None = Field(default=None, description="where in the source it is", examples=["p. 252, fig. 4.3.8"])
    note: Text | None = Field(
        default=None,
        description="a caveat about the number (printed in its endnote only with `print_note`)",
        examples=["excludes state funding"],
    )
    print_note: bool = Field(
        default=False,
        description="print `note` in the figure's endnote (the brief's `print_notes` does so for every figure)",
        examples=[True],
    )
    claimed_by: Text | None = Field(
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
    preferred: Text | None = Field(
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

    label: Text = Field(description="who the edition is for, as printed", examples=["Policy staff"])
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
    citation: Text | None = Field(
        default=None,
        min_length=10,
        description="the suggested citation (default: authors, title, edition, organisation, date and `url`)",
        examples=["Doe, J. The US–China AI Gap. Open Policy Briefs, 2026."],
    )
    licence: Text | None = Field(
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
    title: Text = Field(description="the title on the first page", examples=["The US–China AI Gap"])
    subtitle: Text | None = Field(
        default=None, description="one line under the title", examples=["Where the gap has closed"]
    )
    date: dt.date = Field(description="the publication date", examples=[dt.date(2026, 11, 22)])
    authors: list[str] = Field(min_length=1, description="the authors, people or teams", examples=[["Research team"]])
    language: str = Field(
        default="en-US",
        description="the text's language, as a BCP 47 tag: sets dates, numbers, unit words and captions",
        examples=["de-DE"],
    )
    languages: list[str] | None = Field(
        default=None,
        min_length=1,
        description="build every audience in each of these languages (instead of `language`); every text "
        "(titles, chart labels, figure labels, locators, notes) may then be a mapping of language to text",
        examples=[["en-US", "de-DE"]],
    )
    page: PageSetup = Field(default_factory=PageSetup, description="paper size, orientation and margins")
    subject: Text | None = Field(
        default=None,
        description="a one-sentence summary for the PDF's metadata",
        examples=["How far China has closed the AI gap"],
    )
    keywords: list[Text] = Field(
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

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, tags: list[str] | None) -> list[str] | None:
        for tag in tags or []:
            locale_of(tag)
        if tags is not None and len({tag.split("-")[0] for tag in tags}) < len(tags):
            raise ValueError("each language once: two tags of one language would share its texts")
        return tags

    @model_validator(mode="after")
    def _language_or_languages(self) -> Brief:
        if self.languages is not None and "language" in self.model_fields_set and self.language not in self.languages:
            raise ValueError("write either `language` (one) or `languages` (several), not both")
        return self

    @property
    def editions_languages(self) -> list[str]:
        """The languages the brief is built in: ``languages``, else its one ``language``."""
        return list(self.languages) if self.languages else [self.language]
