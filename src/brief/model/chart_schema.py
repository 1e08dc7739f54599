"""The charts a brief file declares (``charts:``): their kind, words, rows and options.

Every kind keeps a takeaway title, a subtitle with units, a source line and alt text made from
its figures; rows name figures, never numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from brief.model import patterns
from brief.model.text_schema import Text


class Strict(BaseModel):
    """An unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Id = Annotated[str, StringConstraints(pattern=patterns.ID)]
# A figure id that may hold a variant's parameters, filled in for each variant: "x_{id}".
FigureRef = Annotated[str, StringConstraints(pattern=patterns.FIGURE_REF)]
ChartKind = Literal["bar", "column", "stacked", "grouped", "dot", "dumbbell", "slope", "line", "table", "vega_lite"]
# Kinds whose rows need a second dimension in `series`: the date of a dumbbell, slope or line
# point, the segment of a stacked bar, the bar within a group, the column of a table.
SERIES_KINDS = ("dumbbell", "slope", "line", "stacked", "grouped", "table")
# Kinds drawn as small multiples when given `facet` (a table or a spec of one's own is not).
FACET_KINDS = ("bar", "column", "stacked", "grouped", "dumbbell", "slope", "line")


class ChartRow(Strict):
    """One mark of a chart: a category (and series, for two-dimensional charts) and its figure."""

    label: Text = Field(
        description="the category: a bar or column, a line, a table row (as printed); `{name}`: a parameter",
        examples=["United States"],
    )
    figure: FigureRef = Field(
        description="the id of the figure drawn; `{id}` (any parameter) is filled in for each variant",
        examples=["private_ai_investment_2024_us", "private_ai_investment_2024_{id}"],
    )
    series: Text | None = Field(
        default=None,
        description="the second dimension: a dumbbell's, slope's or line's date, a stack segment, "
        "a bar within a group, a dot's series (optional), a table column",
        examples=["2024"],
    )
    panel: Text | None = Field(
        default=None, description="the small multiple the row is drawn in (with facet by: panel)", examples=["EU"]
    )


class Facet(Strict):
    """Small multiples: one small chart per value of a row field, on a shared scale."""

    by: Literal["label", "series", "panel"] = Field(default="panel", description="the row field that picks the panel")
    columns: int = Field(default=2, ge=1, le=6, description="panels side by side", examples=[3])


class ChartSpec(Strict):
    """A chart declared in a brief file; its numbers come only from figures."""

    kind: ChartKind = Field(
        description="bar, column: one value per label; stacked, grouped: a value per label and series; "
        "dot: a dot per label (and series) on an axis that need not start at zero, for scales with no "
        "meaningful zero (scores, ratings); dumbbell, slope: two dates per label; line: series over time; "
        "table: figures in rows and columns; vega_lite: a spec file of one's own"
    )
    title: Text = Field(
        min_length=3,
        description="the takeaway, as a sentence",
        examples=["US private AI investment is an order of magnitude above China's"],
    )
    subtitle: Text = Field(
        min_length=3,
        description="what is measured, with units",
        examples=["Private AI investment, 2024, billion US dollars"],
    )
    rows: list[ChartRow] = Field(min_length=1, description="the marks, one per label (and series)")
    highlight: list[Text] = Field(
        default_factory=list, description="labels drawn in the accent colour", examples=[["China"]]
    )
    width: Literal["full", "half"] = Field(default="full", description="the column's full width, or half of it")
    height: int = Field(
        default=150, ge=60, le=600, description="the plot's height", examples=[160], json_schema_extra={"unit": "px"}
    )
    axis: Literal["shared", "dual", "normalised"] = Field(
        default="shared",
        description="one unit per chart; a line chart in two units declares dual (a value axis for each) "
        "or normalised (each line an index, 100 at its first point)",
    )
    facet: Facet | None = Field(default=None, description="draw the chart as small multiples")
    spec: str | None = Field(
        default=None,
        pattern=patterns.CHART_SPEC,
        description="vega_lite only: a Vega-Lite JSON file that draws the rows (it loads nothing)",
        examples=["templates/charts/dots.vl.json"],
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
