"""What one build is asked to do, as one frozen value.

The command line (or a test, or the preview) makes a :class:`BuildRequest` once; every stage
reads its options from it. The environment (``SOURCE_DATE_EPOCH``, the cache folder) is read
here, at the edge, by :meth:`BuildRequest.from_environment`, and never inside a stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, NamedTuple

from brief.errors import WorkspaceError

Standard = Literal["ua-1", "a-3a", "a-3b", "none"]
Format = Literal["pdf", "html"]
STANDARDS: tuple[Standard, ...] = ("ua-1", "a-3a", "a-3b", "none")
# The archival standards: PDF/A-3, which carries the figures and the build record inside the
# file. a-3a is also tagged (structure, alt text, reading order); a-3b only looks right.
ARCHIVAL: tuple[Standard, ...] = ("a-3a", "a-3b")

# The latest date a PDF may carry (PDF dates have four-digit years).
_LAST_DATE = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    """One brief for one audience: where, which, and how. Made once, at the edge (the CLI, the
    library's :func:`brief.request`, a test), by keyword; every stage is handed it whole."""

    root: Path
    brief: str | None = None
    audience: str = "policy"
    overlay: Path | None = None
    strict: bool = False
    standard: Standard = "ua-1"
    format: Format = "pdf"
    # The date the document records instead of the brief's own (reproducible builds).
    source_date: dt.datetime | None = None
    # Where drawn charts are kept between builds; None keeps none.
    cache_dir: Path | None = None
    # Which variant of a brief with `for_each` (its id); None for a brief without variants.
    variant: str | None = None
    # The language to build, for a brief in several languages (a tag of its `languages`);
    # None builds the brief's first language.
    language: str | None = None

    def __post_init__(self) -> None:
        if self.standard not in STANDARDS:
            raise WorkspaceError(f"unknown PDF standard {self.standard!r}", hint=f"choose from: {', '.join(STANDARDS)}")

    def for_audience(
        self, brief: str | None, audience: str, variant: str | None = None, language: str | None = None
    ) -> BuildRequest:
        """The same request for another brief, audience, variant and language (``--all``)."""
        return replace(self, brief=brief, audience=audience, variant=variant, language=language or self.language)

    @property
    def source_date_epoch(self) -> str:
        """The ``SOURCE_DATE_EPOCH`` this request was made with, as recorded in the manifest."""
        return str(int(self.source_date.timestamp())) if self.source_date else ""


def source_date(epoch: str | None) -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) as a date, or None when unset."""
    if not epoch:
        return None
    try:
        seconds = int(epoch.strip()) if len(epoch) < 40 else -1
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= _LAST_DATE.timestamp():
        raise WorkspaceError(
            f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a number of seconds since 1970 (up to the year 9999)",
            hint="unset it or set it to an integer, e.g. $(git log -1 --format=%ct)",
        )
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def cache_dir(environ: Mapping[str, str]) -> Path:
    """``$BRIEF_CACHE_DIR``, else ``$XDG_CACHE_HOME/brief``, else ``~/.cache/brief``."""
    explicit = environ.get("BRIEF_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "brief"


class Edition(NamedTuple):
    """Which document a file in out/ is: one brief for one audience (and one variant), in one
    language. *language* is the language the name carries: a brief's tag when it is built in
    several languages, empty for a brief in one (whose names have no tag, as before languages
    were editions)."""

    brief: str
    audience: str
    variant: str = ""
    language: str = ""

    def __str__(self) -> str:
        return (
            f"brief {self.brief}, audience {self.audience}"
            + (f", variant {self.variant}" if self.variant else "")
            + (f", language {self.language}" if self.language else "")
        )


def edition_of(entry: Mapping[str, object]) -> Edition:
    """Which edition a manifest entry records (fields it lacks are empty, so that it matches none)."""
    fields = (entry.get(key, "") for key in ("brief", "audience", "variant", "language"))
    return Edition(*(value if isinstance(value, str) else "" for value in fields))


def named_language(language: str, languages: Sequence[str]) -> str:
    """The language tag an edition's file names carry: *language* when the brief is built in
    several *languages*, else none (a one-language brief keeps its names)."""
    return language if len(languages) > 1 else ""


def edition_stem(brief_id: str, audience: str, variant: str = "", language: str = "") -> str:
    """The name every file of an edition starts with: ``NAME-AUDIENCE`` (``-VARIANT``)
    (``-LANGUAGE``, the tag :func:`named_language` gives, e.g. ``-de-DE``).

    This is the one place a name in out/ is made. Ids may hold ``-``, so two editions can
    be given the same name (brief ``x`` for ``p-q`` and brief ``x-p`` for ``q``): such a
    workspace is refused (:func:`name_clashes`), which keeps the names readable."""
    return f"{brief_id}-{audience}" + (f"-{variant}" if variant else "") + (f"-{language}" if language else "")


# Each PDF standard's file name ends differently, so that building one never replaces another
# (an untagged PDF/A-3b in place of the accessible PDF that distribute sends).
STANDARD_SUFFIX: dict[str, str] = {"ua-1": "", "a-3a": "-a3a", "a-3b": "-a3b", "none": "-plain"}


def output_name(
    brief_id: str, audience: str, standard: str = "ua-1", fmt: str = "pdf", variant: str = "", language: str = ""
) -> str:
    """The file a build writes into out/: ``NAME-AUDIENCE.pdf`` for the accessible PDF
    (PDF/UA-1); ``NAME-AUDIENCE-a3a.pdf`` and ``-a3b.pdf`` for the archival editions (PDF/A)
    and ``-plain.pdf`` for a plain PDF, so that no standard replaces another's file; the HTML
    edition ``NAME-AUDIENCE.html``. A variant's id, then the language of a brief in several
    languages, follow the audience: ``NAME-AUDIENCE-VARIANT-de-DE.pdf``."""
    stem = edition_stem(brief_id, audience, variant, language)
    if fmt == "html":
        return f"{stem}.html"
    return f"{stem}{STANDARD_SUFFIX.get(standard, '')}.pdf"


def name_clashes(editions: Iterable[Edition]) -> list[tuple[str, Edition, Edition]]:
    """``(file name, one edition, another)`` for each file name in out/ that two of
    *editions* would both be written to, in any standard or format (``x`` for ``a`` in
    PDF/A-3a and ``x-a`` for ``a3a`` too)."""
    owner: dict[str, Edition] = {}
    clashes: list[tuple[str, Edition, Edition]] = []
    forms = [(standard, "pdf") for standard in STANDARD_SUFFIX] + [("ua-1", "html")]
    for edition in dict.fromkeys(editions):
        for standard, fmt in forms:
            name = output_name(edition.brief, edition.audience, standard, fmt, edition.variant, edition.language)
            first = owner.setdefault(name, edition)
            if first != edition:
                clashes.append((name, first, edition))
                break
    return clashes


def copy_names(distribution: str, copy_no: int) -> tuple[str, str]:
    """The files of one recipient's copy in out/distribution/RECIPIENT/: the stamped PDF and its
    message, named by the distribution's first eight characters and the copy's number."""
    stem = f"{distribution[:8]}-copy-{copy_no}"
    return f"{stem}.pdf", f"{stem}.eml"
