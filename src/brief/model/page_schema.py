"""The page set-up a brief file declares (``page:``): paper, orientation and margins."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from brief.model import patterns


class Strict(BaseModel):
    """An unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Length = Annotated[str, StringConstraints(pattern=patterns.PAGE_LENGTH)]


class Margins(Strict):
    """The page margins, each a length such as ``0.9in``, ``20mm`` or ``54pt``."""

    top: Length = Field(default="0.85in", description="above the text (the running head sits in it)", examples=["20mm"])
    right: Length = Field(default="0.915in", description="right of the text", examples=["20mm"])
    bottom: Length = Field(
        default="0.8in", description="below the text (the page number sits in it)", examples=["20mm"]
    )
    left: Length = Field(default="0.915in", description="left of the text", examples=["20mm"])


class PageSetup(Strict):
    """The paper a brief is printed on; charts are drawn to the width of the text this leaves."""

    size: Literal["letter", "a4", "legal"] = Field(default="letter", description="the paper", examples=["a4"])
    orientation: Literal["portrait", "landscape"] = Field(
        default="portrait", description="portrait (upright) or landscape (on its side)", examples=["landscape"]
    )
    margins: Margins = Field(default_factory=Margins, description="top, right, bottom, left")

    @model_validator(mode="after")
    def _room_for_text(self) -> PageSetup:
        from brief.model.page import problems  # page geometry builds on this model

        found = problems(self)
        if found:
            raise ValueError("; ".join(found))
        return self
