"""Stage 5, typeset (brief.pipeline.typeset): WeasyPrint may read the templates folder and nothing else."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from brief.errors import TypesetError
from brief.pipeline.typeset import Typeset, TypesetJob
from brief.pipeline.typeset import typeset as typeset_job

pytestmark = pytest.mark.slow


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A templates folder with one stylesheet inside, a secret file outside it, and a
    symlink inside that points to the secret."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "inside.css").write_text("p { color: #123456; }", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.css").write_text("p::after { content: 'SECRET-TOKEN'; }", encoding="utf-8")
    (folder / "link.css").symlink_to(outside / "secret.css")
    return folder


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every URL that reaches WeasyPrint's real fetcher (after brief's confinement check)."""
    calls: list[str] = []
    real_fetch = URLFetcher.fetch

    def recording_fetch(self: URLFetcher, url: str, headers: object = None) -> object:
        calls.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", recording_fetch)
    yield calls


def typeset(html: str, templates: Path) -> Typeset:
    """Typeset *html* with *templates* as the only folder its files may come from."""
    return typeset_job(TypesetJob(html, (templates,), {}))


def page(body: str) -> str:
    """A small HTML document around *body*."""
    return f'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def test_files_inside_templates_are_used(templates: Path, fetched: list[str]) -> None:
    """A stylesheet inside the templates folder is fetched and the PDF is made."""
    result = typeset(page('<link rel="stylesheet" href="inside.css"><p>Hello</p>'), templates)
    assert result.pdf.startswith(b"%PDF-")
    assert result.pages == 1
    assert fetched == [(templates / "inside.css").resolve().as_uri()]


def test_data_urls_are_allowed(templates: Path) -> None:
    """data: URLs (how charts are embedded) are allowed."""
    svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/%3E"
    assert typeset(page(f'<p><img src="{svg}"></p>'), templates).pages == 1


OUTSIDE_CASES = {
    "img-file-url": '<p><img src="file:///etc/passwd"></p>',
    "img-http": '<p><img src="http://example.com/x.png"></p>',
    "css-import-https": '<style>@import url("https://example.com/a.css");</style><p>x</p>',
    "relative-climb": '<link rel="stylesheet" href="../outside/secret.css"><p>x</p>',
    "symlink-out": '<link rel="stylesheet" href="link.css"><p>x</p>',
    "background-file": '<p style="background-image: url(file:///etc/hostname)">x</p>',
    "attachment": '<link rel="attachment" href="file:///etc/passwd"><p>x</p>',
    "font-http": "<style>@font-face { font-family: X; src: url(http://example.com/f.ttf) } "
    "p { font-family: X }</style><p>x</p>",
    "upper-case-scheme": '<p><img src="FILE:///etc/passwd"></p>',
}


@pytest.mark.parametrize("case", list(OUTSIDE_CASES), ids=list(OUTSIDE_CASES))
def test_nothing_outside_templates_is_fetched(templates: Path, fetched: list[str], case: str) -> None:
    """A reference to a file outside the templates folder, or to the network, stops the
    typesetting before anything is fetched; no PDF comes back."""
    with pytest.raises((TypesetError, FatalURLFetchingError)) as info:
        typeset(page(OUTSIDE_CASES[case]), templates)
    assert "refused to fetch" in str(info.value)
    assert fetched == []


@pytest.mark.parametrize("case", ["img-file-url", "img-http"], ids=["file-url", "http-url"])
def test_refusal_is_a_typeset_error(templates: Path, case: str) -> None:
    """A refused fetch is reported as a TypesetError with a hint about the templates folder."""
    with pytest.raises(TypesetError) as info:
        typeset(page(OUTSIDE_CASES[case]), templates)
    assert "refused to fetch" in info.value.message
    assert info.value.hint == "templates may only use files inside the templates folder"


def test_pdf_ua_language_from_html(templates: Path) -> None:
    """The PDF is written as PDF/UA with the document language from <html lang>."""
    import io

    import pikepdf

    result = typeset(page("<h1>Title</h1><p>Body</p>"), templates)
    with pikepdf.open(io.BytesIO(result.pdf)) as pdf:
        assert str(pdf.Root.Lang) == "en-US"
        assert "/StructTreeRoot" in pdf.Root


CHART = "chart:0123abcd"


def chart_svg(width: int, height: int) -> str:
    """An SVG like vl-convert's: its size on the root element, a mark and a label."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect x="10" y="10" width="{width - 20}" height="{height - 20}" '
        f'fill="#336699"/><text x="20" y="30" font-size="12">Chart label</text></svg>'
    )


def test_a_chart_is_served_by_its_url_and_nothing_else(templates: Path, fetched: list[str]) -> None:
    """A chart named by URL in the HTML is handed to WeasyPrint from the job, not fetched."""
    from pypdf import PdfReader

    html = page(f'<p>Before the chart.</p><img src="{CHART}" alt="A chart of things"><p>After it.</p>')
    result = typeset_job(TypesetJob(html, (templates,), {CHART: chart_svg(300, 120)}))
    text = PdfReader(io.BytesIO(result.pdf)).pages[0].extract_text()
    assert "Chart label" in text and "After it." in text
    assert fetched == []


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """*code* in a fresh interpreter (nothing imported yet)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_weasyprint_loads_without_searching_for_its_libraries() -> None:
    """Importing WeasyPrint through brief starts no subprocess: ctypes' library search runs
    ldconfig, gcc and ld for each of some twenty names, 0.2 s in all."""
    result = run_python(
        "import subprocess\n"
        "started = []\n"
        "class Counting(subprocess.Popen):\n"
        "    def __init__(self, args, *a, **k):\n"
        "        started.append(args)\n"
        "        super().__init__(args, *a, **k)\n"
        "subprocess.Popen = Counting\n"
        "from brief.pipeline.typeset import import_weasyprint\n"
        "assert import_weasyprint().HTML(string='<p>x</p>').write_pdf().startswith(b'%PDF')\n"
        "print(len(started), started)\n"
    )
    assert result.returncode == 0, result.stderr
    if sys.platform.startswith("linux"):
        assert result.stdout.startswith("0 ")


def test_weasyprint_still_loads_where_only_a_library_search_finds_its_libraries() -> None:
    """On a system where the libraries do not open by their plain names, the import is
    retried the ordinary way, quietly."""
    result = run_python(
        "import cffi, ctypes.util\n"
        "real = cffi.FFI.dlopen\n"
        "def picky(self, name, flags=0):\n"
        "    if ctypes.util.find_library('c') is None:  # the quick way is being tried\n"
        "        raise OSError(f'cannot open {name}')\n"
        "    return real(self, name, flags)\n"
        "cffi.FFI.dlopen = picky\n"
        "from brief.pipeline.typeset import import_weasyprint\n"
        "print(import_weasyprint().HTML(string='<p>x</p>').write_pdf()[:4])\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "b'%PDF'\n"


_SUBSET = """
import re
from brief.pipeline.typeset import import_weasyprint
weasyprint = import_weasyprint()
from weasyprint.text.ffi import ffi
for text in ("one", "two words", "a longer line of text, with punctuation!"):
    weasyprint.HTML(string=f"<p>{text}</p>").render().write_pdf()
print(sorted(t for t in ffi._parsed_types if re.fullmatch(r"hb_codepoint_t\\[\\d+\\]", str(t))))
"""


def test_font_subsetting_parses_no_c_type_for_each_number_of_glyphs() -> None:
    """WeasyPrint names a C array type for each number of glyphs a font uses, and cffi parses
    each new one (6 ms): typesetting makes them as open arrays instead, parsed once. A fresh
    interpreter, whose cffi has parsed nothing yet."""
    done = subprocess.run([sys.executable, "-c", _SUBSET], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


_COLUMNS = """
import hashlib, sys
from brief.pipeline import typeset
if sys.argv[1] == "without":
    typeset.balance.install = lambda column, block: None
import weasyprint.layout.block as block, weasyprint.layout.column as column
boxes, layouts = [], [0]
create, lay_out = column._create_column_box, block.block_box_layout
def counted_box(*args, **kwargs):
    boxes.append(create(*args, **kwargs))
    return boxes[-1]
def counted_layout(context, box, *args, **kwargs):
    layouts[0] += any(b is box for b in boxes)
    return lay_out(context, box, *args, **kwargs)
column._create_column_box, block.block_box_layout = counted_box, counted_layout
weasyprint = typeset.import_weasyprint()
notes = "".join(
    f"<li>Note {i}: " + "a source, its table and the page it is on; " * (1 + i % 4) + "</li>" for i in range(40)
)
html = (
    "<style>@page { size: A5 } ol { columns: 2; font-size: 8pt; margin: 0 } li { break-inside: avoid }</style>"
    f"<p>Before the notes.</p><ol>{notes}</ol><p>After the notes.</p>"
)
pdf = weasyprint.HTML(string=html).write_pdf()
print(hashlib.sha256(pdf).hexdigest(), layouts[0])
"""


def test_balanced_columns_are_found_in_fewer_layouts_and_are_the_same() -> None:
    """Notes that must not break inside, balanced over two columns and two pages: WeasyPrint
    alone raises the trial height a line's worth at a time; with :mod:`brief.pipeline.balance`
    the same columns (the same PDF, byte for byte) come from fewer layouts of the columns."""
    runs = {}
    for how in ("without", "with"):
        done = subprocess.run([sys.executable, "-c", _COLUMNS, how], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        digest, layouts = done.stdout.split()
        runs[how] = (digest, int(layouts))
    assert runs["with"][0] == runs["without"][0]
    assert runs["with"][1] < runs["without"][1], runs
