"""Who may receive a marked brief. Each rule follows from the marking; a violation is an
error naming the recipients file's line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from brief.errors import BriefError, DataError, DataProblems
from brief.model.marking import Marking, Recipient


def _in_domains(domain: str, domains: list[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def refusal(marking: Marking | None, r: Recipient, now: dt.datetime) -> tuple[str, str] | None:
    """``(why, what to do)`` when the marking forbids sending to *r* at *now*, else None."""
    if marking is None:
        return None
    if marking.tlp == "TLP:RED" and r.channel != "individual":
        return (
            f"TLP:RED goes only to individually named recipients; {r.email} is a {r.channel} address",
            "send TLP:RED to each person by name, never to a list",
        )
    if marking.tlp == "TLP:AMBER+STRICT" and not _in_domains(r.domain, marking.domains):
        shown = ", ".join(marking.domains) or "none declared"
        return (
            f"TLP:AMBER+STRICT stays inside the organisation; {r.domain} is not one of its domains ({shown})",
            "remove the row, or declare the domain under distribution: domains in the brief file",
        )
    if r.channel == "public" and marking.embargoed_at(now):
        return (
            f"{r.email} is a public channel and the brief is embargoed until "
            f"{(marking.embargo_line() or '').removeprefix('EMBARGOED UNTIL ')}",
            "send to public channels after the embargo",
        )
    return None


def check_recipients(path: Path, marking: Marking | None, recipients: list[Recipient], now: dt.datetime) -> None:
    """Raise one error listing every recipient the marking forbids (each with its line)."""
    problems: list[BriefError] = []
    for r in recipients:
        found = refusal(marking, r, now)
        if found:
            problems.append(DataError(found[0], path, r.line, hint=found[1]))
    if problems:
        raise DataProblems(problems, problems[0].message)
