"""Stage 5, typeset: WeasyPrint lays out the HTML and writes the PDF bytes.

WeasyPrint is imported here (through :func:`import_weasyprint`) and nowhere else. Resources are fetched only from the
templates folder: a template cannot reach the network or other files on the machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brief.errors import BriefError, TypesetError


@dataclass(frozen=True)
class Typeset:
    """The PDF of one brief and facts about it."""

    pdf: bytes
    pages: int


def import_weasyprint() -> Any:
    """WeasyPrint, imported in 0.35 s instead of 0.55 s on Linux.

    WeasyPrint tries several names for each native library (Windows, macOS and Linux
    spellings), and cffi looks up every name without a dot with ``ctypes.util.find_library``,
    which on Linux runs ldconfig, gcc and ld for each: about twenty subprocesses. During the
    import those lookups answer "not found" at once, so each library is opened by its
    soname (``libpango-1.0.so.0``), which the dynamic loader finds just as find_library would
    have. Should that fail on some unusual system, the import is retried the ordinary way.
    (An optional library, HarfBuzz's subsetter, is also opened by its soname; on a system
    where only a library search would find it, fonts are subset by fontTools instead.)
    Called before a process starts threads: the lookup and stdout are swapped for the import.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util

    by_name = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        # WeasyPrint prints advice to stdout before a library fails to load: not ours to show.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint

        return weasyprint
    except OSError:
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
    finally:
        ctypes.util.find_library = by_name
    import weasyprint

    return weasyprint


@dataclass(frozen=True)
class ChartImage:
    """A chart as the typesetter places it: its size in CSS pixels, and its SVG once drawn.

    Layout needs only the size, so a brief is laid out while its charts are drawn, with a
    blank of the same size in each chart's place; the drawing goes in before the pages are."""

    width: int
    height: int
    svg: str | None = None

    def body(self) -> bytes:
        """The SVG, or the blank that stands in for it until it is drawn."""
        if self.svg is not None:
            return self.svg.encode("utf-8")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}"/>').encode()


_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


def _drawn_size(svg: str) -> tuple[float, float] | None:
    found = _SVG_SIZE.search(svg)
    return (float(found.group(1)), float(found.group(2))) if found else None


def confined_fetcher(allowed_roots: list[Path], charts: dict[str, ChartImage] | None = None) -> Any:
    import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    roots = [r.resolve() for r in allowed_roots]
    shown = ", ".join(str(r) for r in roots)
    images = charts or {}

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        """Serve data: URLs, the brief's charts and files under the templates folder; refuse
        everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in images:
                return URLFetcherResponse(url, images[url].body(), {"Content-Type": "image/svg+xml"})
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
    """Import WeasyPrint (about 0.35 s, most of it declaring its C libraries) and set up
    fontconfig and Pango by typesetting one line (another 0.05 s), before the brief arrives."""
    weasyprint = import_weasyprint()
    weasyprint.HTML(string="<p>brief</p>").render().write_pdf()


def typeset(html: str, base_dir: Path, pdf_variant: str | None = "pdf/ua-1",
            allowed: list[Path] | None = None, attachments: list[Attached] | None = None,
            created: dt.datetime | None = None, charts: dict[str, ChartImage] | None = None,
            late: Callable[[], dict[str, str] | None] | None = None) -> Typeset:
    """Lay out *html* (relative URLs resolve in *base_dir*) and return the PDF bytes.

    Only files under *base_dir* (and the *allowed* folders) may be fetched, and the *charts*
    (by URL). Charts without an SVG are laid out by their size; *late* then waits for their
    SVGs (by URL), or None if they will never come, before the pages are drawn.
    """
    weasyprint = import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    charts = dict(charts or {})
    waiting = [url for url, chart in charts.items() if chart.svg is None]
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        images: dict[str, Any] = {}
        document = _lay_out(weasyprint, html, base_dir, allowed, charts, images)
        if waiting:
            drawn = late() if late is not None else None
            if drawn is None:
                raise TypesetError("the charts were not drawn, so the brief was not typeset")
            charts.update({url: replace(charts[url], svg=drawn[url]) for url in waiting})
            if not _put_in(images, {url: charts[url] for url in waiting}):
                document = _lay_out(weasyprint, html, base_dir, allowed, charts, {})
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
    except (BriefError, EOFError):
        raise  # ours (a chart that could not be drawn), or the build that was to send them went away
    except Exception as exc:
        raise TypesetError(f"WeasyPrint could not typeset the brief: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    refused = [m for m in handler.messages if "refused to fetch" in m or "Failed to load" in m]
    if refused:
        raise TypesetError(refused[0], hint="templates may only use files inside the templates folder")
    return Typeset(pdf=pdf, pages=len(document.pages))


def _lay_out(weasyprint: Any, html: str, base_dir: Path, allowed: list[Path] | None,
             charts: dict[str, ChartImage], images: dict[str, Any]) -> Any:
    fetcher = confined_fetcher([base_dir, *(allowed or [])], charts)()
    return weasyprint.HTML(string=html, base_url=str(base_dir.resolve()) + "/",
                           url_fetcher=fetcher).render(cache=images)


def _put_in(images: dict[str, Any], drawn: dict[str, ChartImage]) -> bool:
    """Put each drawn chart in place of the blank it was laid out with; False if that
    cannot be done exactly (a drawing of another size, or a WeasyPrint whose images work
    differently), and the brief must be laid out again."""
    from weasyprint.images import ElementTree, SVGImage

    for url, chart in drawn.items():
        image = images.get(url)
        if (not isinstance(image, SVGImage) or chart.svg is None
                or _drawn_size(chart.svg) != (chart.width, chart.height)):
            return False
    try:
        # Built as WeasyPrint builds it from a fetched SVG, with the layout's own context
        # (its fonts), then put in the blank's place: the pages are drawn exactly as if the
        # SVG had been there all along.
        fresh = {url: SVGImage(ElementTree.fromstring((chart.svg or "").encode("utf-8")), images[url]._base_url,
                               images[url]._url_fetcher, images[url]._context) for url, chart in drawn.items()}
    except (TypeError, AttributeError, ElementTree.ParseError):
        return False
    for url, image in fresh.items():
        images[url].__dict__.update(image.__dict__)
    return True
