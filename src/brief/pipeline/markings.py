"""The distribution markings as the layout draws them: elements that style.css runs into the
page margins (the TLP label right-aligned in the header and footer, the banner and embargo
line centred, a DRAFT watermark), and that the HTML edition shows above and below the text.

WeasyPrint draws margin boxes and page backgrounds outside the document's structure tree,
so in a tagged PDF the markings are pagination artifacts, not part of the text read aloud.
The DRAFT watermark is the background of an empty element run into a margin box the size of
the page: a page's own background is drawn under the text, so an opaque panel hid it, while
margin boxes are drawn after it; and a background is marked as an artifact.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from markupsafe import Markup, escape

from brief.model.marking import TLP_BACKGROUND, TLP_COLOURS, Marking
from brief.model.page import footer_content, geometry
from brief.model.page_schema import PageSetup


def watermark_css(font: str, paper: tuple[float, float]) -> str:
    """The DRAFT watermark across a page of *paper* (width, height in inches), an SVG set in
    *font*: the theme's, which the PDF already embeds (an SVG does not see the stylesheet, and
    a generic family would fall back to a system font)."""
    width, height = (round(side * 72) for side in paper)
    family = str(escape(font))  # quotes too: the attribute is in single quotes
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<text x='{width / 2}' y='{height / 2}' transform='rotate(-35 {width / 2} {height / 2})' "
        f"text-anchor='middle' dominant-baseline='middle' font-family='{family}' font-weight='700' "
        f"font-size='{round(min(width, height) / 4)}' fill='#9aa0a8' fill-opacity='0.28'>DRAFT</text></svg>"
    )
    return (
        f"@media print {{ .draft-watermark {{ width: {paper[0]:.4g}in; height: {paper[1]:.4g}in; "
        f'background-image: url("data:image/svg+xml,{quote(svg)}"); }} }}\n'
    )


def marking_css(
    marking: Marking | None, footer: str, font: str = "sans-serif", paper: tuple[float, float] = (8.5, 11.0)
) -> Markup:
    """Custom properties for the TLP colours (their one source is :data:`TLP_COLOURS`), the
    page number (*footer*, in the brief's language) moved left on marked pages, where the TLP
    label takes the right, and a draft's watermark in *font*."""
    if marking is None:
        return Markup("")
    number = f"@page marked, marked-draft {{ @bottom-left {{ content: {footer_content(footer)}; }} }}\n"
    if marking.status == "draft":
        number += watermark_css(font, paper)
    if marking.tlp is None:
        return Markup(number)
    colours = f":root {{ --tlp-colour: {TLP_COLOURS[marking.tlp]}; --tlp-background: {TLP_BACKGROUND}; }}\n"
    return Markup(number + colours)


def body_classes(marking: Marking | None) -> str:
    """Classes for ``<body>``: ``marked`` selects the marked page style, ``draft`` the watermark."""
    if marking is None:
        return ""
    return "marked draft" if marking.status == "draft" else "marked"


def _lines(marking: Marking, when: dt.datetime, bottom: bool) -> list[str]:
    lines = ["DRAFT"] if marking.status == "draft" else []
    if marking.banner:
        lines.append(marking.banner)
    embargo = marking.embargo_line()
    if embargo and marking.embargoed_at(when) and not bottom:
        lines.append(embargo)
    return lines


def _block(kind: str, lines: list[str], tlp: str | None) -> str:
    text = "".join(f'<span class="marking-line">{escape(line)}</span>' for line in lines)
    label = f'<span class="tlp">{escape(tlp)}</span>' if tlp else ""
    return f'<div class="marking-{kind}">{text}</div><div class="tlp-{kind}">{label}</div>\n'


def marking_html(marking: Marking | None, when: dt.datetime) -> tuple[Markup, Markup]:
    """The marking elements at the start of ``<body>`` (running into the page margins in
    print) and at its end (shown only on screen, as the HTML edition's footer), each in a
    landmark of its own so that every part of the page is in one."""
    if marking is None:
        return Markup(""), Markup("")
    top = _block("top", _lines(marking, when, False), marking.tlp)
    if marking.status == "draft":
        top += '<div class="draft-watermark" aria-hidden="true"></div>\n'
    bottom = _block("bottom", _lines(marking, when, True), marking.tlp)
    end = _block("end", _lines(marking, when, False), marking.tlp)
    return (
        Markup(f'<aside class="markings" aria-label="Distribution marking">\n{top}{bottom}</aside>'),
        Markup(f'<footer class="markings" aria-label="Distribution marking">\n{end}</footer>'),
    )


def marking_context(
    marking: Marking | None,
    when: dt.datetime,
    footer: str = "Page {page} of {pages}",
    font: str = "sans-serif",
    page: PageSetup | None = None,
) -> dict[str, object]:
    """What the layout (base.html.j2) reads to draw the markings of a document made at *when*;
    *footer* is the page number's caption in the brief's language, *font* the family the
    watermark is set in, across the paper of *page* (the default page set-up when None)."""
    top, end = marking_html(marking, when)
    paper = geometry(page or PageSetup())
    return {
        "marking_css": marking_css(marking, footer, font, (paper.width, paper.height)),
        "marking_class": body_classes(marking),
        "marking_top": top,
        "marking_end": end,
        "marking_labels": tuple(marking.labels(when)) if marking else (),
    }
