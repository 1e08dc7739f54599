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
from collections.abc import Callable, Mapping
from html import escape, unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree

from brief.errors import TemplateError
from brief.pipeline.charts import draw_for_screen, svg_size
from brief.pipeline.draw import DrawJob
from brief.pipeline.prepare import Prepared, chart_cache
from brief.pipeline.sanitise import HINT, Policy, refuse
from brief.workspace.theme import theme_dir

_FONT_URL = re.compile(r'url\("(file://[^"]+)"\)')
_SVG_ID = re.compile(r'\b(id="|url\(#|href="#)([A-Za-z_][\w.-]*)')
_TAG = re.compile(r"<[^>]+>")

# Charts on a screen are drawn for it (brief.pipeline.charts.draw_for_screen) and shown
# CHART_SCALE times the size they are drawn at, so the chart theme's smallest text (9.5 px)
# reads at 11.9 CSS px, and still at 11 where a drawing comes out a little wider than asked
# (small multiples) and is fitted to the column. A narrow drawing is shown 320 px wide: a
# phone's column (360 px and wider, less a margin of 1 rem a side), or one of a pair in the
# column of a wide screen (42 rem in screen.css), which a wide drawing fills.
CHART_SCALE = 1.25
NARROW_PX = 256
WIDE_PX = 533
WIDE_COLUMN_PX = round(WIDE_PX * CHART_SCALE)
_PAIR_GAP_PX = WIDE_COLUMN_PX - 2 * round(NARROW_PX * CHART_SCALE) - 1
VIEWPORT = "width=device-width, initial-scale=1"


def screen_css() -> str:
    """The rules for a screen whose column has room for the wide drawings: a chart switches to
    its wide drawing and paired charts sit side by side (the rest is the theme's screen.css)."""
    return f"""
@media screen {{
  @container brief (min-width: {WIDE_COLUMN_PX}px) {{
    .chart-row {{ display: flex; gap: {_PAIR_GAP_PX}px; align-items: flex-start; }}
    .chart-row::after {{ content: none; }}
    .chart-row figure.chart, .chart-row figure.chart + figure.chart {{ flex: 1 1 0; min-width: 0; margin: 0; }}
    svg.chart-screen.has-wide {{ width: var(--wide); aspect-ratio: var(--wide-ratio); }}
    svg.chart-screen.has-wide > svg.chart-narrow {{ display: none; }}
    svg.chart-screen.has-wide > svg.chart-wide {{ display: inline; }}
  }}
}}
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


def _for_page(svg: str, prefix: str) -> str:
    # Several charts in one page: their clip-path and gradient ids must not collide.
    svg = _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    # Browsers read font-family as CSS, where a name with a digit ("Source Sans 3") must be quoted.
    return re.sub(r'font-family="([^"\',]+ [^"\',]*)"', r"font-family=\"'\1'\"", svg)


def _inline_svg(svg: str, alt: str, number: int) -> str:
    svg = _for_page(svg, f"c{number}-")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(alt, quote=True)}" ', 1)
    return re.sub(r"(<svg[^>]*>)", rf"\1<title>{escape(alt)}</title>", svg, count=1)


ScreenCharts = Mapping[str, tuple[str, str | None]]


def screen_charts(prepared: Prepared, draw: Callable[[DrawJob], list[str]]) -> dict[str, tuple[str, str | None]]:
    """Each drawn chart of a prepared document drawn again for screens with *draw* (through
    the chart cache), by chart id: narrow (small multiples in one column), and wide for a
    full-width chart (a half-width one is narrow on every screen, alone or in a pair)."""
    job, brand, cache_folder = prepared.job, prepared.brand, chart_cache(prepared.request)
    charts = prepared.rendered.charts.values()
    drawn = [c for c in charts if c.svg]
    narrow = draw_for_screen([c.id for c in drawn], NARROW_PX, job, brand, draw, cache_folder, one_column=True)
    full = [c.id for c in drawn if c.width == "full"]
    wide = draw_for_screen(full, WIDE_PX, job, brand, draw, cache_folder) if full else {}
    return {chart_id: (svg, wide.get(chart_id)) for chart_id, svg in narrow.items()}


def _nested(svg: str, prefix: str, name: str) -> str:
    """A screen drawing inside the chart's one <svg>: it fills it, and CSS shows it or not."""
    svg = _for_page(svg, prefix)
    head = re.match(r"<svg\b[^>]*>", svg)
    assert head is not None
    tag = re.sub(r'\s(width|height)="[\d.]+"', r' \1="100%"', head.group(0))
    tag = tag.replace('class="marks"', f'class="marks {name}"', 1)
    return tag + svg[head.end() :]


def _screen_svg(narrow: str, wide: str | None, alt: str, number: int) -> str:
    """One <svg> with the chart's alt text holding its narrow and wide drawings, sized by CSS
    (the custom properties below) to CHART_SCALE times the drawing it shows."""
    drawings = [(narrow, "narrow"), *([(wide, "wide")] if wide else [])]
    style = "; ".join(
        f"--{name}: {width * CHART_SCALE:.5g}px; --{name}-ratio: {width} / {height}"
        for svg, name in drawings
        for width, height in [svg_size(svg)]
    )
    inner = "".join(_nested(svg, f"c{number}{name[0]}-", f"chart-{name}") for svg, name in drawings)
    label = escape(alt, quote=True)
    return (
        f'<svg role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg" '
        f'class="chart-screen{" has-wide" if wide else ""}" style="{style}">'
        f"<title>{escape(alt)}</title>{inner}</svg>"
    )


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


def html_edition(
    html: str, roots: list[Path], charts: Mapping[str, str] | None = None, screen: ScreenCharts | None = None
) -> str:
    """Turn the print document into a self-contained HTML file, checked as a whole.

    *charts* are the SVGs brief drew, by chart id, and *screen* those it drew for screens
    (:func:`screen_charts`), which replace them where given. The document is parsed as the policy reads
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
    svgs = _mark_charts(root, drawn, screen or {})
    sheets = _inlined_sheets(root, roots)
    _wrap_tables(root)
    text = "".join(root.itertext()) + " ".join(_TAG.sub(" ", svg) for svg in svgs.values())
    fonts = _embed_fonts(root, roots, "".join(sorted(set(unescape(text)))) + "0123456789.,%$–—‘’“”")
    head = _head(root)
    style = lxml.etree.SubElement(head, "style")
    style.text = "\n" + "\n".join(sheets) + screen_css()
    style.tail = "\n"
    page = str(lxml.etree.tostring(root.getroottree(), method="html", encoding="unicode"))
    for mark, svg in svgs.items():
        page = page.replace(f"<!--{mark}-->", svg, 1)
    refusal = Policy(roots, drawn.values(), embedded=fonts, edition=True).check_html(page, roots[0])
    if refusal is not None:
        raise refuse(refusal, None)
    return page


def _head(root: lxml.etree._Element) -> lxml.etree._Element:
    """The document's <head>, made if missing, with a viewport set: without one a phone lays
    the page out 980 px wide and shrinks it to its screen."""
    head = root.find("head")
    if head is None:
        head = lxml.etree.Element("head")
        root.insert(0, head)
    if not any((m.get("name") or "").lower() == "viewport" for m in head.iter("meta")):
        meta = lxml.etree.Element("meta", name="viewport", content=VIEWPORT)
        meta.tail = "\n"
        charset = next((m for m in head.iter("meta") if m.get("charset") is not None), None)
        head.insert(head.index(charset) + 1 if charset is not None else 0, meta)
    return head


def _wrap_tables(root: lxml.etree._Element) -> None:
    """Put each table in a box that scrolls sideways on its own, so a table wider than a
    phone never makes the page scroll; the box takes keyboard focus (to scroll it) and is
    named by its figure's caption where it has one."""
    for number, table in enumerate(list(root.iter("table")), 1):
        parent = table.getparent()
        assert parent is not None
        box = lxml.etree.Element("div", {"class": "table-scroll", "tabindex": "0"})
        caption = parent.find("figcaption") if parent.tag == "figure" else None
        if caption is not None:
            caption_id = caption.get("id") or f"table-caption-{number}"
            caption.set("id", caption_id)
            box.set("role", "region")
            box.set("aria-labelledby", caption_id)
        box.tail, table.tail = table.tail, None
        parent.replace(table, box)
        box.append(table)


def _mark_charts(root: lxml.etree._Element, drawn: Mapping[str, str], screen: ScreenCharts) -> dict[str, str]:
    """Replace each chart's <img> that brief placed by a comment no template can have written
    (it cannot know the nonce): the SVG to put in its place, by the comment's text."""
    nonce = secrets.token_hex(16)
    svgs: dict[str, str] = {}
    for img in [i for i in root.iter("img") if _drawn(i, drawn)]:
        chart_id = _drawn(img, drawn)
        parent = img.getparent()
        assert chart_id is not None and parent is not None
        mark = f"brief-chart-{nonce}-{len(svgs)}"
        alt, number = img.get("alt") or "", len(svgs) + 1
        if chart_id in screen:
            svgs[mark] = _screen_svg(*screen[chart_id], alt, number)
        else:
            svgs[mark] = _inline_svg(drawn[chart_id], alt, number)
        comment = lxml.etree.Comment(mark)
        comment.tail = img.tail
        parent.replace(img, comment)
    return svgs


def _inlined_sheets(root: lxml.etree._Element, roots: list[Path]) -> list[str]:
    """The checked stylesheets of every <link> (each removed), in order, then the theme's
    screen.css; any other <link> is refused. The screen's rules come last: a workspace may
    hold a whole copy of the print stylesheet, whose sizes in points would undo them."""
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
    return [*sheets, _checked_sheet(theme_dir() / "screen.css", roots)]


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
