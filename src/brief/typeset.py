"""Stage 5, typeset: WeasyPrint lays out the HTML and writes the PDF bytes.

WeasyPrint is imported here and nowhere else. Resources are fetched only from the
templates folder: a template cannot reach the network or other files on the machine.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import TypesetError


@dataclass(frozen=True)
class Typeset:
    """The PDF of one brief and facts about it."""

    pdf: bytes
    pages: int


def confined_fetcher(allowed_roots: list[Path]) -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = [r.resolve() for r in allowed_roots]
    shown = ", ".join(str(r) for r in roots)

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        """Serve data: URLs and files under the templates folder; refuse everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                from urllib.parse import unquote, urlsplit

                # resolve() follows symlinks and "..", so neither can lead outside.
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            raise FatalURLFetchingError(f"refused to fetch {url}: only files in {shown} may be used")

    return ConfinedFetcher


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class Attached:
    """A file to embed in the PDF."""

    name: str
    data: bytes
    description: str
    relationship: str = "Data"


STANDARDS = {"ua-1": "pdf/ua-1", "a-3b": "pdf/a-3b", "none": None}


def warm_up() -> None:
    """Import WeasyPrint (about 0.5 s, most of it declaring its C libraries) and set up
    fontconfig and Pango by typesetting one line (another 0.05 s), before the brief arrives."""
    import weasyprint

    weasyprint.HTML(string="<p>brief</p>").render().write_pdf()


def typeset(html: str, base_dir: Path, pdf_variant: str | None = "pdf/ua-1",
            allowed: list[Path] | None = None, attachments: list[Attached] | None = None,
            created: dt.datetime | None = None) -> Typeset:
    """Lay out *html* (relative URLs resolve in *base_dir*) and return the PDF bytes.

    Only files under *base_dir* (and the *allowed* folders) may be fetched.
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        document = weasyprint.HTML(string=html, base_url=str(base_dir.resolve()) + "/",
                                   url_fetcher=confined_fetcher([base_dir, *(allowed or [])])()).render()
        # Attachment objects are single-use and default their dates to "now": make them
        # fresh for each build, dated like the document.
        embedded = [weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description,
                                          relationship=a.relationship, created=created, modified=created)
                    for a in attachments or []]
        pdf = document.write_pdf(pdf_variant=pdf_variant, uncompressed_pdf=False, attachments=embedded)
    except FatalURLFetchingError as exc:
        # Raised by our fetcher for anything outside the templates folder.
        raise TypesetError(str(exc),
                           hint="templates may only use files inside the templates folder") from None
    except Exception as exc:
        raise TypesetError(f"WeasyPrint could not typeset the brief: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    refused = [m for m in handler.messages if "refused to fetch" in m or "Failed to load" in m]
    if refused:
        raise TypesetError(refused[0], hint="templates may only use files inside the templates folder")
    return Typeset(pdf=pdf, pages=len(document.pages))
