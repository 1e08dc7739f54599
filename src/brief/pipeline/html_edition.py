"""The HTML edition: one self-contained file for the web and email.

Stylesheets are inlined with the print rules kept, fonts are subset to the characters
the brief uses and embedded as WOFF2 (without hinting, which screens of today do not need:
a tenth of the size of the TrueType subsets), and each chart's SVG is placed inline (an SVG inside an
<img> cannot use the document's fonts) as an image with its alt text.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
from collections.abc import Mapping
from html import escape, unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree

from brief.errors import TemplateError
from brief.pipeline.sanitise import HINT, Policy, refuse

_FONT_URL = re.compile(r'url\("(file://[^"]+)"\)')
_SVG_ID = re.compile(r'\b(id="|url\(#|href="#)([A-Za-z_][\w.-]*)')
_TAG = re.compile(r"<[^>]+>")

# Reading on a screen: a column of comfortable width, no page margins. Paired charts sit
# side by side where there is room for both, one above the other where there is not; notes
# run in one column on a narrow screen.
SCREEN_CSS = """
@media screen {
  body { max-width: 46rem; margin: 2rem auto; padding: 0 1.25rem; }
  figure.chart img, figure.chart svg { max-width: 100%; height: auto; }
  figure.chart-half { float: none; width: auto; margin: 1rem 0; }
  .chart-row figure.chart, .chart-row figure.chart + figure.chart { float: none; width: auto; margin: 1rem 0; }
  a.note-ref, .note-sep { line-height: 1; }
  .endnotes a.url { text-decoration: underline; }
}
@media screen and (min-width: 44rem) {
  .chart-row { display: flex; gap: 1.5rem; align-items: flex-start; }
  .chart-row::after { content: none; }
  .chart-row figure.chart, .chart-row figure.chart + figure.chart { flex: 1 1 0; min-width: 0; margin: 0; }
}
@media screen and (max-width: 40rem) {
  .endnotes ol { columns: 1; }
}
"""


def _path(url: str, roots: list[Path]) -> Path:
    parts = urlsplit(urljoin(roots[0].resolve().as_uri() + "/", url))
    path = Path(unquote(parts.path)).resolve()
    if parts.scheme != "file" or not any(path.is_relative_to(r.resolve()) for r in roots):
        raise TemplateError(f"refused to embed {url}: only files in the template folders may be used", hint=HINT)
    return path


def _checked_sheet(path: Path, roots: list[Path]) -> str:
    # Inlined, a stylesheet's URLs are the page's: the same policy as the templates' HTML, and
    # nothing the edition would load unchecked (an @import).
    css = path.read_text(encoding="utf-8")
    refusal = Policy(roots, edition=True).check_css(css, path.parent)
    if refusal is not None:
        raise refuse(refusal, path)
    # In the edition's <style> element a "<" could end it ("</style>") or read as a tag; as
    # a CSS escape it means the same in a string or a URL (and nothing in a comment).
    return css.replace("<", "\\3c ")


def _drawn(img: lxml.etree._Element, charts: Mapping[str, str]) -> str | None:
    """The id of the chart whose <img> brief placed here, or None: the image must sit in the
    figure brief made for that chart and hold exactly the SVG brief drew for it."""
    figure = img.getparent()
    if figure is None or figure.tag != "figure":
        return None
    chart_id = (figure.get("id") or "").removeprefix("figure-")
    svg = charts.get(chart_id)
    if svg is None or figure.get("id") != f"figure-{chart_id}":
        return None
    if img.get("src") != "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"):
        return None
    return chart_id


def _inline_svg(svg: str, alt: str, number: int) -> str:
    prefix = f"c{number}-"
    # Several charts in one page: their clip-path and gradient ids must not collide.
    svg = _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    # Browsers read font-family as CSS, where a name with a digit ("Source Sans 3") must be quoted.
    svg = re.sub(r'font-family="([^"\',]+ [^"\',]*)"', r"font-family=\"'\1'\"", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(alt, quote=True)}" ', 1)
    return re.sub(r"(<svg[^>]*>)", rf"\1<title>{escape(alt)}</title>", svg, count=1)


def _remove(element: lxml.etree._Element) -> None:
    # The text after an element is its tail in lxml: keep it.
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _subset_font(path: Path, text: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    # fontTools' default features (kerning, ligatures, marks...) and the figure styles the
    # stylesheet asks for; not every feature, which doubles the size.
    options.layout_features = [*options.layout_features, "lnum", "tnum"]
    options.hinting = False
    options.notdef_outline = True
    options.flavor = "woff2"
    font = subset.load_font(io.BytesIO(path.read_bytes()), options)  # no file left open
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def html_edition(html: str, roots: list[Path], charts: Mapping[str, str] | None = None) -> str:
    """Turn the print document into a self-contained HTML file, checked as a whole.

    *charts* are the SVGs brief drew, by chart id. The document is parsed as the policy reads
    it, and only its elements are changed, never text that looks like them (in a comment or an
    attribute value): each chart's <img> that brief placed becomes the SVG inline, each
    stylesheet <link> the checked stylesheet, and the fonts subset WOFF2. A <link> that is not
    a stylesheet cannot be embedded and is refused. The finished edition is then checked with
    the same policy as the templates' HTML, so nothing this rewriting makes escapes it."""
    drawn = dict(charts or {})
    parser = lxml.etree.HTMLParser(encoding="utf-8", no_network=True, huge_tree=True)
    root = lxml.etree.fromstring(html.encode("utf-8"), parser)
    if root is None:
        raise TemplateError("the rendered brief is empty")
    svgs = _mark_charts(root, drawn)
    sheets = _inlined_sheets(root, roots)
    text = "".join(root.itertext()) + " ".join(_TAG.sub(" ", svg) for svg in svgs.values())
    fonts = _embed_fonts(root, roots, "".join(sorted(set(unescape(text)))) + "0123456789.,%$–—‘’“”")
    head = root.find("head")
    if head is None:
        head = lxml.etree.Element("head")
        root.insert(0, head)
    style = lxml.etree.SubElement(head, "style")
    style.text = "\n" + "\n".join(sheets) + SCREEN_CSS
    style.tail = "\n"
    page = str(lxml.etree.tostring(root.getroottree(), method="html", encoding="unicode"))
    for mark, svg in svgs.items():
        page = page.replace(f"<!--{mark}-->", svg, 1)
    refusal = Policy(roots, drawn.values(), embedded=fonts, edition=True).check_html(page, roots[0])
    if refusal is not None:
        raise refuse(refusal, None)
    return page


def _mark_charts(root: lxml.etree._Element, drawn: Mapping[str, str]) -> dict[str, str]:
    """Replace each chart's <img> that brief placed by a comment no template can have written
    (it cannot know the nonce): the SVG to put in its place, by the comment's text."""
    nonce = secrets.token_hex(16)
    svgs: dict[str, str] = {}
    for img in [i for i in root.iter("img") if _drawn(i, drawn)]:
        chart_id = _drawn(img, drawn)
        parent = img.getparent()
        assert chart_id is not None and parent is not None
        mark = f"brief-chart-{nonce}-{len(svgs)}"
        svgs[mark] = _inline_svg(drawn[chart_id], img.get("alt") or "", len(svgs) + 1)
        comment = lxml.etree.Comment(mark)
        comment.tail = img.tail
        parent.replace(img, comment)
    return svgs


def _inlined_sheets(root: lxml.etree._Element, roots: list[Path]) -> list[str]:
    """The checked stylesheets of every <link> (each removed), in order; any other <link> is refused."""
    sheets = []
    for link in list(root.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        href = link.get("href")
        if "stylesheet" not in rel or not href:
            raise TemplateError(
                f'<link rel="{link.get("rel") or ""}"> cannot be embedded in the HTML edition: '
                "only stylesheets in the template folders can",
                hint=HINT,
            )
        sheets.append(_checked_sheet(_path(href, roots), roots))
        _remove(link)
    return sheets


def _embed_fonts(root: lxml.etree._Element, roots: list[Path], characters: str) -> list[str]:
    """Put each font file a <style> names in it as a data: URL, subset to *characters*; the URLs."""
    fonts: dict[str, str] = {}

    def embed(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in fonts:
            data = _subset_font(_path(url, roots), characters)
            fonts[url] = "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")
        return f'url("{fonts[url]}")'

    for element in root.iter("style"):
        element.text = _FONT_URL.sub(embed, element.text or "")
    return list(fonts.values())
