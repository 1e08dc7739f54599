"""Distribution markings a brief file declares (its ``distribution:`` block) and the
recipients a distribution goes to: the models at the edge, and the facts about them (the
Traffic Light Protocol's labels and colours) that the layout, the stamp and the sending
rules all read from here."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from brief.model import patterns

# TLP 2.0 (FIRST): each label's text colour, always on black. Strictest first.
TLP_COLOURS = {
    "TLP:RED": "#FF2B2B",
    "TLP:AMBER+STRICT": "#FFC000",
    "TLP:AMBER": "#FFC000",
    "TLP:GREEN": "#33FF00",
    "TLP:CLEAR": "#FFFFFF",
}
TLP_BACKGROUND = "#000000"
TlpLabel = Literal["TLP:RED", "TLP:AMBER+STRICT", "TLP:AMBER", "TLP:GREEN", "TLP:CLEAR"]
# How a recipient's address is used: one named person, a mailing list, or a public channel
# (a press list, a newsletter) that nothing embargoed may reach before the embargo.
Channel = Literal["individual", "list", "public"]
Domain = Annotated[str, StringConstraints(pattern=patterns.DOMAIN)]


class Marking(BaseModel):
    """A brief file's ``distribution:`` block: how every page is marked and who may get it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: Literal["draft", "final"] = Field(
        default="final", description="draft puts a DRAFT watermark on every page", examples=["draft"]
    )
    tlp: TlpLabel | None = Field(
        default=None,
        description="the Traffic Light Protocol 2.0 label in every page's header and footer ('TLP:' may be left out)",
        examples=["TLP:AMBER"],
    )
    embargo: AwareDatetime | None = Field(
        default=None,
        description="not public before this instant: a date and time with its offset from UTC",
        examples=["2027-03-02T09:00:00-05:00"],
    )
    embargo_zone: str = Field(
        default="UTC", max_length=12, description="how the embargo's time zone is written", examples=["ET"]
    )
    banner: str | None = Field(
        default=None,
        min_length=2,
        max_length=80,
        description="a line for the organisation's own scheme, top and bottom of every page",
        examples=["CONTROLLED // FOR OFFICIAL USE"],
    )
    domains: list[Domain] = Field(
        default_factory=list,
        description="the organisation's mail domains: TLP:AMBER+STRICT goes to no other",
        examples=[["example.org"]],
    )
    max_message_mb: float = Field(
        default=10.0,
        gt=0,
        le=100,
        description="the largest message as sent: headers, both parts and the PDF in base64",
        examples=[5],
        json_schema_extra={"unit": "MB"},
    )
    link: str | None = Field(
        default=None,
        pattern=patterns.HTTPS,
        description="sent instead of the PDF when a message would be larger",
        examples=["https://example.org/briefs/ai-gap.pdf"],
    )
    unsubscribe: str | None = Field(
        default=None,
        pattern=patterns.UNSUBSCRIBE,
        description="the address of the List-Unsubscribe header",
        examples=["mailto:unsubscribe@example.org"],
    )

    @field_validator("tlp", mode="before")
    @classmethod
    def _tlp_prefix(cls, value: object) -> object:
        # "AMBER" and "tlp:amber" both mean TLP:AMBER.
        if isinstance(value, str):
            value = value.strip().upper()
            return value if value.startswith("TLP:") else f"TLP:{value}"
        return value

    def embargo_line(self) -> str | None:
        """``EMBARGOED UNTIL 2026-12-08 09:00 ET``, or None without an embargo."""
        if self.embargo is None:
            return None
        return f"EMBARGOED UNTIL {self.embargo.strftime('%Y-%m-%d %H:%M')} {self.embargo_zone}"

    def embargoed_at(self, when: dt.datetime) -> bool:
        """Whether *when* is before the embargo."""
        return self.embargo is not None and when < self.embargo

    def labels(self, when: dt.datetime) -> list[str]:
        """Every marking as one line each, as printed at *when* (the embargo only before it)."""
        lines = ["DRAFT"] if self.status == "draft" else []
        lines += [x for x in (self.tlp, self.banner) if x]
        embargo = self.embargo_line()
        return [*lines, embargo] if embargo and self.embargoed_at(when) else lines

    def record(self, when: dt.datetime) -> dict[str, str | None]:
        """The marking as plain data, for the manifest and the ledger."""
        return {
            "status": self.status,
            "tlp": self.tlp,
            "banner": self.banner,
            "embargo": self.embargo.isoformat() if self.embargo else None,
            "embargo_shown": "yes" if self.embargoed_at(when) else "no",
        }


class Recipient(BaseModel):
    """One row of a recipients CSV (its line kept for messages); other columns in ``extra``."""

    model_config = ConfigDict(frozen=True)
    line: int
    name: str = Field(min_length=1, max_length=200)
    email: str
    organisation: str = Field(default="", max_length=200)
    audience: str
    channel: Channel = "individual"
    extra: dict[str, str] = Field(default_factory=dict)
    variant: str = ""  # the edition's variant (a `for_each` brief), else empty
    language: str = ""  # the edition's language, else empty: the brief's own

    @field_validator("name", "email", "organisation", "audience")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # These go into the To: header and the one-line stamp, where a line break or a NUL
        # would end the header (the recipients file's reader also refuses every hidden character).
        if any(c in value for c in "\r\n\x00"):
            raise ValueError("a line break or NUL is not allowed here")
        return value

    @property
    def domain(self) -> str:
        """The address's domain, lower case."""
        return self.email.rpartition("@")[2].lower()
