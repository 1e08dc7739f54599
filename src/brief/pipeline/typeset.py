"""Stage 5, typeset: WeasyPrint lays out the HTML and writes the PDF bytes.

WeasyPrint is imported here (through :func:`import_weasyprint`) and nowhere else. Resources are fetched only from the
templates folder: a template cannot reach the network or other files on the machine.

Templates are untrusted, and a small template can ask for a huge layout (twenty thousand page
breaks, a cell spanning a million columns), so typesetting is bounded: in pages (a multiple of
the audience's page budget), in time, and in table spans (capped as browsers cap them). Every
font file WeasyPrint copies for the layout goes to a folder removed when the PDF is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import logging
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brief.errors import BriefError, BudgetError, TypesetError
from brief.pipeline import balance, tabletags

# The most pages typesetting lays out: this many times the audience's page budget, and never
# fewer than the floor (a budget is a target, and a draft may overshoot a small one).
PAGES_PER_BUDGET = 4
MIN_PAGE_LIMIT = 20
# The most seconds one typesetting may take (the flagship's longest edition takes about 2).
TYPESET_SECONDS = 120.0
# Table spans as browsers cap them (HTML's rules for colspan, rowspan and a column's span):
# beyond these WeasyPrint would build a grid of a million columns before the first page.
_SPANS = {"colspan": (1, 1000), "rowspan": (0, 65534), "span": (1, 1000)}


def page_limit(budget: int) -> int:
    """The most pages typesetting lays out for an audience whose page budget is *budget*."""
    return max(budget * PAGES_PER_BUDGET, MIN_PAGE_LIMIT)


@dataclass(frozen=True)
class Typeset:
    """The PDF of one brief and facts about it."""

    pdf: bytes
    pages: int


def import_weasyprint() -> Any:
    """WeasyPrint, imported in 0.35 s instead of 0.55 s on Linux (see :func:`_import`), with
    its font subsetting's C arrays made without parsing a C type for each size
    (:class:`_OpenArrays`) and balanced columns found in one step (:mod:`.balance`)."""
    weasyprint = _import()
    fonts = importlib.import_module("weasyprint.pdf.fonts")
    if not isinstance(fonts.ffi, _OpenArrays):
        fonts.ffi = _OpenArrays(fonts.ffi)  # type: ignore[attr-defined]
    balance.install(
        importlib.import_module("weasyprint.layout.column"), importlib.import_module("weasyprint.layout.block")
    )
    return weasyprint


class _OpenArrays:
    """WeasyPrint's cffi handle for its font subsetting, except that an array made from items
    (``new("hb_codepoint_t[123]", items)``) is made as an open array (``"hb_codepoint_t[]"``),
    which is the same array of the same length. cffi parses every C type it has not seen
    with pycparser, 6 ms each, and WeasyPrint names a new type for every number of glyphs a
    font uses: three per font in every PDF, 0.09 s of the 0.2 s the policy brief's PDF takes
    to write, and 0.12 s of the technical edition's."""

    _SIZED = re.compile(r"(\w+)\[\d+\]")

    def __init__(self, ffi: Any) -> None:
        self._ffi = ffi

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)

    def new(self, cdecl: str, init: Any = None) -> Any:
        """``ffi.new``, an array of items as an open array."""
        sized = self._SIZED.fullmatch(cdecl) if init is not None else None
        return self._ffi.new(f"{sized[1]}[]" if sized else cdecl, init)


def _import() -> Any:
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


def confined_fetcher(allowed_roots: list[Path], charts: Mapping[str, str] | None = None) -> Any:
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
                return URLFetcherResponse(url, images[url].encode("utf-8"), {"Content-Type": "image/svg+xml"})
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


# The PDF variant WeasyPrint writes for each of our --pdf-standard names.
VARIANTS = {"ua-1": "pdf/ua-1", "a-3a": "pdf/a-3a", "a-3b": "pdf/a-3b", "none": None}


def warm_up() -> None:
    """Import WeasyPrint (about 0.35 s, most of it declaring its C libraries) and set up
    fontconfig and Pango by typesetting one line (another 0.05 s), before the brief arrives."""
    weasyprint = import_weasyprint()
    weasyprint.HTML(string="<p>brief</p>").render().write_pdf()


@dataclass(frozen=True)
class TypesetJob:
    """Everything the typesetter needs, as plain data (it may cross to a worker process):
    the HTML, the folders its files may come from (the first resolves relative URLs), the
    charts' SVGs by URL, the PDF variant, attachments and the date the PDF records."""

    html: str
    roots: tuple[Path, ...]
    charts: Mapping[str, str]
    variant: str | None = "pdf/ua-1"
    attachments: tuple[Attached, ...] = ()
    created: dt.datetime | None = None
    # The bounds of typesetting (see page_limit); a job made without them gets those of the
    # largest budget an audience may have.
    max_pages: int = page_limit(200)
    seconds: float = TYPESET_SECONDS


@dataclass
class Reuse:
    """What a long-lived process (the preview) keeps between layouts: parsed fonts and images,
    and the folder of the fonts' copies, which :meth:`close` removes."""

    font_config: Any = None
    images: dict[str, Any] = field(default_factory=dict)
    folder: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        """Remove the fonts' folder (the fonts are parsed again if the object is used again)."""
        if self.folder is not None:
            self.folder.cleanup()
        self.folder = self.font_config = None


def typeset(job: TypesetJob) -> Typeset:
    """Lay out *job*'s HTML and write the PDF (stage 5, run here or in a typesetter worker)."""
    # WeasyPrint copies the brand's fonts into a folder it removes only when its font
    # configuration is garbage-collected, which never happens in a command that leaves with
    # os._exit(): the folder is ours, and gone once the PDF is written (or typesetting fails).
    with tempfile.TemporaryDirectory(prefix="brief-fonts-") as folder:
        document = lay_out(job, fonts=Path(folder))
        return Typeset(pdf=write_pdf(document, job), pages=len(document.pages))


def lay_out(job: TypesetJob, reuse: Reuse | None = None, fonts: Path | None = None) -> Any:
    """The laid-out WeasyPrint document of *job*; only the job's roots and charts may be fetched.

    The fonts' copies go to *fonts* (a folder the caller removes once the PDF is written) or to
    *reuse*'s folder; with neither, to a folder of WeasyPrint's own."""
    weasyprint = import_weasyprint()
    options: dict[str, Any] = {}
    if reuse is not None:
        if reuse.font_config is None:
            reuse.folder = tempfile.TemporaryDirectory(prefix="brief-fonts-")
            reuse.font_config = _font_config(Path(reuse.folder.name))
        if len(reuse.images) > 64:  # each edit of a chart adds one; start again past any brief's needs
            reuse.images.clear()
        options = {"font_config": reuse.font_config, "cache": reuse.images}
    elif fonts is not None:
        options = {"font_config": _font_config(fonts)}
    fetcher = confined_fetcher(list(job.roots), job.charts)()
    with _weasyprint_errors(), _bounded(job):
        html = weasyprint.HTML(string=job.html, base_url=job.roots[0].resolve().as_uri() + "/", url_fetcher=fetcher)
        _cap_spans(html.etree_element)
        return html.render(**options)


def _font_config(folder: Path) -> Any:
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    # WeasyPrint makes this folder with mkdtemp() on the first @font-face unless it is set.
    config._folder = folder
    return config


def _cap_spans(root: Any) -> None:
    # Read as WeasyPrint reads them, then held within what a browser allows.
    from weasyprint.html import parse_integer

    for element in root.iter():
        for name, (low, high) in _SPANS.items():
            value = element.get(name)
            number = parse_integer(value) if value is not None else None
            if number is not None and not low <= number <= high:
                element.set(name, str(min(max(number, low), high)))


class _Bounds(logging.Filter):
    """Stops WeasyPrint past a job's page limit or deadline.

    WeasyPrint logs each step, and each page as it lays it out, to its progress logger: this
    filter sees every one of those messages (and lets none through: they are not ours to show)
    and raises from inside the layout when the thread's current job is past a bound."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        job: TypesetJob | None = getattr(self.local, "job", None)
        if job is None:
            return False
        if time.monotonic() > self.local.deadline:
            raise TypesetError(
                f"typesetting took longer than {job.seconds:g} s and was stopped",
                hint="the templates ask for a very large layout; shorten them",
            )
        page = record.args[0] if "Page %d" in str(record.msg) and isinstance(record.args, tuple) else 0
        if isinstance(page, int) and page > job.max_pages:
            raise BudgetError(
                f"the brief runs past {job.max_pages} pages, {PAGES_PER_BUDGET} times its page budget "
                f"(at least {MIN_PAGE_LIMIT}): typesetting was stopped",
                hint="the templates make far more pages than the audience's page_budget; shorten them",
            )
        return False


_BOUNDS = _Bounds()


@contextlib.contextmanager
def _bounded(job: TypesetJob) -> Iterator[None]:
    from weasyprint.logger import PROGRESS_LOGGER

    if _BOUNDS not in PROGRESS_LOGGER.filters:
        PROGRESS_LOGGER.addFilter(_BOUNDS)
        PROGRESS_LOGGER.setLevel(logging.INFO)  # WeasyPrint logs progress only at INFO
    outer = getattr(_BOUNDS.local, "job", None), getattr(_BOUNDS.local, "deadline", 0.0)
    _BOUNDS.local.job, _BOUNDS.local.deadline = job, time.monotonic() + job.seconds
    try:
        yield
    finally:
        _BOUNDS.local.job, _BOUNDS.local.deadline = outer


def write_pdf(document: Any, job: TypesetJob, variant: str | bool | None = True) -> bytes:
    """The PDF of a laid-out *document*: as the job asks (*variant* True), or untagged and
    uncompressed for drawing on screen (False), or with another PDF *variant*."""
    weasyprint = import_weasyprint()
    # One Table element for a table over several pages (WeasyPrint tags each page's part).
    tabletags.install(importlib.import_module("weasyprint.pdf.tags"))
    chosen = job.variant if variant is True else None if variant is False else variant
    # Attachment objects are single-use and default their dates to "now": make them fresh
    # for each PDF, dated like the document.
    embedded = (
        [
            weasyprint.Attachment(
                file_obj=io.BytesIO(a.data),
                name=a.name,
                description=a.description,
                relationship=a.relationship,
                created=job.created,
                modified=job.created,
            )
            for a in job.attachments
        ]
        if variant is True
        else []
    )
    with _weasyprint_errors(), _bounded(job):
        return bytes(document.write_pdf(pdf_variant=chosen, uncompressed_pdf=variant is False, attachments=embedded))


@contextlib.contextmanager
def _weasyprint_errors() -> Iterator[None]:
    # WeasyPrint reports a refused or failed fetch in its log and goes on without the file:
    # for us that is an error, like an exception from inside WeasyPrint.
    from weasyprint.urls import FatalURLFetchingError

    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    except FatalURLFetchingError as exc:
        raise TypesetError(str(exc), hint="templates may only use files inside the templates folder") from None
    except BriefError:
        raise
    except Exception as exc:
        raise TypesetError(f"WeasyPrint could not typeset the brief: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    refused = [m for m in handler.messages if "refused to fetch" in m or "Failed to load" in m]
    if refused:
        raise TypesetError(refused[0], hint="templates may only use files inside the templates folder")
