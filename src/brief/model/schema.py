"""Typed models of everything a workspace holds: sources, figures, briefs, charts.

These are the edges of the pipeline: YAML is validated into these models once, in
the load stage, and every later stage trusts them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from brief.model.units import UNITS, check_value

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
# ISO 8601 year, year-month or full date: the precision a statistic is known to.
AsOf = Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]


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


class Strict(BaseModel):
    """Base for our own formats: an unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sources (CSL-JSON field names, so a reference manager's export drops in) -------


class CslName(BaseModel):
    """A CSL name: a person (family, given) or an institution (literal)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    family: str | None = None
    given: str | None = None
    literal: str | None = None

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
    date_parts: list[list[int]] = Field(alias="date-parts", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_iso(cls, data: Any) -> Any:
        if isinstance(data, dt.date):
            return {"date-parts": [[data.year, data.month, data.day]]}
        if isinstance(data, (str, int)):
            text = str(data)
            if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
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
    id: Id
    type: str
    title: str
    title_short: str | None = Field(default=None, alias="title-short")
    author: list[CslName] = Field(default_factory=list)
    publisher: str | None = None
    container_title: str | None = Field(default=None, alias="container-title")
    issued: CslDate
    URL: str | None = None
    accessed: CslDate | None = None


# --- figures -----------------------------------------------------------------------

Operation = Literal["ratio", "difference", "pp_change", "percent_change", "share"]


class Derivation(Strict):
    """A figure computed from two others, so a derived number is never typed by hand.

    ``ratio`` a ÷ b; ``difference`` a − b; ``pp_change`` b − a (percent in, pp out);
    ``percent_change`` (b − a) ÷ a × 100; ``share`` a ÷ b × 100.
    """

    op: Operation
    of: tuple[Id, Id]


class Figure(Strict):
    """A curated number with its provenance, or a derivation from other figures."""

    id: Id
    label: str = Field(min_length=3)
    unit: str
    value: float | int | None = None
    decimals: int | None = Field(default=None, ge=0, le=4)
    as_of: AsOf | None = None
    source: Id | None = None
    locator: str | None = None
    note: str | None = None
    claimed_by: str | None = None
    derive: Derivation | None = None
    # Figures that record the same quantity from different sources share a `quantity`;
    # where their values differ, the one used says why in `preferred`.
    quantity: Id | None = None
    preferred: str | None = Field(default=None, min_length=10, description="why this value is used")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | int | None, info: ValidationInfo) -> float | int | None:
        # unit is declared before value, so it is known here when it is valid.
        problem = None if value is None else check_value(value, info.data.get("unit"))
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
    def _known_unit(cls, name: str) -> str:
        if name not in UNITS:
            raise ValueError(f"unknown unit {name!r}; valid units: {', '.join(sorted(UNITS))}")
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

ChartKind = Literal["bar", "column", "stacked", "grouped", "dumbbell", "slope", "line", "table", "vega_lite"]
# Kinds whose rows need a second dimension in `series`: the date of a dumbbell, slope or line
# point, the segment of a stacked bar, the bar within a group, the column of a table.
SERIES_KINDS = ("dumbbell", "slope", "line", "stacked", "grouped", "table")
# Kinds drawn as small multiples when given `facet` (a table or a spec of one's own is not).
FACET_KINDS = ("bar", "column", "stacked", "grouped", "dumbbell", "slope", "line")


class ChartRow(Strict):
    """One mark of a chart: a category (and series, for two-dimensional charts) and its figure."""

    label: str = Field(description="the category: a bar, a line, a table row")
    figure: Id = Field(description="the figure whose value this mark shows")
    series: str | None = Field(
        default=None,
        description="the second dimension: a line's or slope's date, a stack segment, a bar in a group, a table column",
    )
    panel: str | None = Field(default=None, description="the small multiple this row is drawn in (facet by: panel)")


class Facet(Strict):
    """Small multiples: one small chart per value of a row field, on a shared scale."""

    by: Literal["label", "series", "panel"] = Field(default="panel", description="the row field that picks the panel")
    columns: int = Field(default=2, ge=1, le=6, description="panels per row")


class ChartSpec(Strict):
    """A chart declared in a brief file; its numbers come only from figures."""

    kind: ChartKind = Field(
        description="bar, column, stacked, grouped, dumbbell, slope, line, table, or vega_lite (a spec file)"
    )
    title: str = Field(min_length=3, description="the takeaway, as a sentence")
    subtitle: str = Field(min_length=3, description="what is measured, with units")
    rows: list[ChartRow] = Field(min_length=1)
    highlight: list[str] = Field(default_factory=list, description="labels drawn in the accent colour")
    width: Literal["full", "half"] = "full"
    height: int = Field(default=150, ge=60, le=600)
    axis: Literal["shared", "dual", "normalised"] = Field(
        default="shared",
        description="rows in different units need `dual` (two value axes, one per unit) or `normalised` "
        "(each line indexed to 100 at its first point); line charts only",
    )
    facet: Facet | None = Field(default=None, description="draw the chart as small multiples")
    spec: str | None = Field(
        default=None,
        # Under data/ or templates/, whose files a build fingerprints: an edit to the spec rebuilds.
        pattern=r"^(data|templates)(/[A-Za-z0-9_.-]+)+\.json$",
        description="vega_lite only: a Vega-Lite JSON file under data/ or templates/, its data bound to the rows",
    )

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> ChartSpec:
        for row in self.rows:
            if self.kind in SERIES_KINDS and row.series is None:
                raise ValueError(f"a {self.kind} chart needs 'series' on every row ({row.label!r} has none)")
            if self.facet is not None and self.facet.by == "panel" and row.panel is None:
                raise ValueError(f"facet by panel needs 'panel' on every row ({row.label!r} has none)")
        if self.facet is not None and self.kind not in FACET_KINDS:
            raise ValueError(f"a {self.kind} chart cannot be drawn as small multiples (facet)")
        if self.axis != "shared" and self.kind not in ("line", "vega_lite"):
            raise ValueError(f"axis: {self.axis} is for line charts; a {self.kind} chart has one axis in one unit")
        if (self.kind == "vega_lite") != (self.spec is not None):
            raise ValueError("'spec' (a Vega-Lite JSON file) goes with kind: vega_lite, and only there")
        return self

    @field_validator("spec")
    @classmethod
    def _spec_inside(cls, path: str | None) -> str | None:
        if path is not None and any(part in (".", "..") for part in path.split("/")):
            raise ValueError(f"{path!r} is not a path inside the workspace: no '.' or '..' parts")
        return path


class Audience(Strict):
    """One reader of a brief: a template folder, its sections and its page budget."""

    label: str
    sections: list[str] = Field(min_length=1, description="template names in templates/AUDIENCE/")
    charts: list[Id] = Field(default_factory=list, description="charts the templates place")
    page_budget: int = Field(ge=1, le=200)
    templates: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
        description="template folder under templates/ (default: the audience's name)",
    )

    @field_validator("templates")
    @classmethod
    def _folder_inside_templates(cls, folder: str | None) -> str | None:
        if folder is not None and any(part in (".", "..") for part in folder.split("/")):
            raise ValueError(f"{folder!r} is not a folder name under templates/: no '.' or '..' parts")
        return folder


class Brief(Strict):
    """A brief file in briefs/: what the brief is and who it is for."""

    id: Id
    title: str
    subtitle: str | None = None
    date: dt.date
    authors: list[str] = Field(min_length=1)
    language: str = "en-US"
    subject: str | None = None
    keywords: list[str] = Field(default_factory=list)
    freshness_months: int | None = Field(
        default=None, ge=1, description="warn about figures older than this, counted back from `date`"
    )
    charts: dict[Id, ChartSpec] = Field(default_factory=dict)
    audiences: dict[Id, Audience] = Field(min_length=1)
