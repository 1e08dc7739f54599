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
from html import escape, unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from brief.errors import TemplateError
from brief.pipeline.sanitise import Policy, refuse

_IMG_SVG = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">')
_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
_FONT_URL = re.compile(r'url\("(file://[^"]+)"\)')
_SVG_ID = re.compile(r'\b(id="|url\(#|href="#)([A-Za-z_][\w.-]*)')

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
    path = Path(unquote(urlsplit(url).path)).resolve()
    if not any(path.is_relative_to(r.resolve()) for r in roots):
        raise TemplateError(f"refused to embed {url}: only files in the template folders may be used")
    return path


def _checked_sheet(path: Path, roots: list[Path]) -> str:
    # Inlined, a stylesheet's URLs are the page's: the same policy as the templates' HTML.
    css = path.read_text(encoding="utf-8")
    refusal = Policy(roots).check_css(css, path.parent)
    if refusal is not None:
        raise refuse(refusal, path)
    return css


def _inline_svg(match: re.Match[str], index: list[int]) -> str:
    index[0] += 1
    prefix = f"c{index[0]}-"
    svg = base64.b64decode(match.group(1)).decode("utf-8")
    alt = unescape(match.group(2))
    # Several charts in one page: their clip-path and gradient ids must not collide.
    svg = _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    # Browsers read font-family as CSS, where a name with a digit ("Source Sans 3") must be quoted.
    svg = re.sub(r'font-family="([^"\',]+ [^"\',]*)"', r"font-family=\"'\1'\"", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(alt, quote=True)}" ', 1)
    return re.sub(r"(<svg[^>]*>)", rf"\1<title>{escape(alt)}</title>", svg, count=1)


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


def html_edition(html: str, roots: list[Path]) -> str:
    """Turn the print document into a self-contained HTML file."""
    counter = [0]
    html = _IMG_SVG.sub(lambda m: _inline_svg(m, counter), html)
    sheets = [_checked_sheet(_path(url, roots), roots) for url in _LINK.findall(html)]
    html = _LINK.sub("", html)
    text = re.sub(r"<[^>]+>", " ", html)
    characters = "".join(sorted(set(unescape(text)))) + "0123456789.,%$–—‘’“”"
    fonts: dict[str, str] = {}

    def embed(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in fonts:
            data = _subset_font(_path(url, roots), characters)
            fonts[url] = "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")
        return f'url("{fonts[url]}")'

    html = _FONT_URL.sub(embed, html)
    style = "\n".join(sheets) + SCREEN_CSS
    return html.replace("</head>", f"<style>\n{style}</style>\n</head>", 1)
