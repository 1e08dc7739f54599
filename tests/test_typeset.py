"""Stage 5, typeset (brief.typeset): WeasyPrint may read the templates folder and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from brief.errors import TypesetError
from brief.typeset import typeset

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
