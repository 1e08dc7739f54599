"""What a brief's HTML may contain: one policy for the PDF and the HTML edition.

Templates are untrusted (the workspace's and an overlay's alike), so the HTML they render is
checked before it is typeset or written: no scripts, no event handlers, no frames, objects,
forms or ``<base>``, and no resource from outside the template folders. Links may go to the
web (``http``, ``https``, ``mailto``, relative, ``#...``); resources (``src``, ``srcset``,
``<link href>``, SVG ``href``, CSS ``url()`` and ``@import``) may only be ``data:`` images,
our ``chart:`` URLs, and files inside the template folders. A ``data:`` SVG is checked too:
the HTML edition places it inline. Nothing is stripped: what breaks the policy is refused,
so a brief never differs silently from what its author wrote.

The parser is lxml's HTML parser (libxml2 2.14 or later, whose tokenizer follows HTML5, so
it sees the tags and attributes a browser sees): the technical brief parses in about 2 ms,
where tinyhtml5 (WeasyPrint's HTML5 parser) takes 60 ms, as long as the rest of the render.
Its tree building is not HTML5's, and where that could hide markup from us we refuse:
markup-like text inside ``<style>`` or ``<title>`` (inside SVG or MathML a browser reads it
as tags), ``<noscript>`` and the other raw-text relics, and a document nested so deeply
that libxml2 stops reading it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import tinycss2

from brief.errors import TemplateError

HINT = "templates may not use scripts or resources from outside the template folders"

# Elements that run code, embed other documents, submit or redirect, or that a browser
# reads differently from libxml2 (raw text in one, markup in the other).
_REFUSED = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "form",
        "portal",
        "foreignobject",
        "handler",
        "listener",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "plaintext",
    }
)
_RAW_TEXT = frozenset({"style", "title", "textarea"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Attributes a browser or WeasyPrint fetches (href: on every element but a link).
_RESOURCES = frozenset(
    {
        "src",
        "srcset",
        "imagesrcset",
        "poster",
        "background",
        "lowsrc",
        "dynsrc",
        "ping",
        "manifest",
        "href",
        "xlink:href",
    }
)
_LINK_ATTRIBUTES = frozenset({"action", "formaction"})
_LINK_ELEMENTS = frozenset({"a", "area"})
_CSS_STRING_URLS = frozenset({"image-set", "-webkit-image-set", "image", "cross-fade", "-webkit-cross-fade"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_MAX_NESTED_SVG = 2
# Before 2.14 libxml2's HTML tokenizer was not HTML5's: it could read tags where a browser reads text.
if lxml.etree.LIBXML_VERSION < (2, 14):
    raise ImportError(f"brief needs libxml2 2.14 or later (lxml 6), not {lxml.etree.LIBXML_VERSION}")


@dataclass(frozen=True)
class Refusal:
    """What breaks the policy, text to find it by in the template, and its line if known."""

    message: str
    needles: tuple[str, ...]
    line: int | None = None


def _shown(url: str) -> str:
    return url if len(url) <= 60 else url[:57] + "..."


def _clean(url: str) -> str:
    # As a browser reads a URL: surrounding controls and spaces dropped, tabs and newlines removed.
    return re.sub(r"[\t\n\r]", "", url.strip(_C0_AND_SPACE))


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


class Policy:
    """The policy for one set of template folders (*roots*); *ours* are the SVGs of our own
    charts, which a data: image may hold without being parsed again, and *embedded* the data:
    URLs brief itself embedded (the HTML edition's fonts). For the HTML *edition*, which a
    browser opens on its own, nothing may make the browser load a file: no ``<link>`` (the
    edition inlines stylesheets) and no CSS ``@import``."""

    def __init__(
        self, roots: Iterable[Path], ours: Iterable[str] = (), embedded: Iterable[str] = (), edition: bool = False
    ) -> None:
        self.roots = [r.resolve() for r in roots]
        self.ours = frozenset(ours)
        self.embedded = frozenset(embedded)
        self.edition = edition

    # --- HTML -----------------------------------------------------------------------------

    def check_html(self, html: str, base: Path, depth: int = 0) -> Refusal | None:
        """The first thing in *html* the policy refuses, or None; relative URLs are from *base*."""
        if not html.strip():
            return None
        parser = lxml.etree.HTMLParser(
            encoding="utf-8", no_network=True, huge_tree=True, remove_comments=True, remove_pis=True
        )
        root = lxml.etree.fromstring(html.encode("utf-8"), parser)
        if any(error.level_name == "FATAL" for error in parser.error_log):
            return Refusal("the HTML nests too deeply to be checked", ())
        if root is None:
            return None
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            refusal = self._element(element, base) or self._attributes(element, base, depth)
            if refusal is not None:
                return refusal
        return None

    def _element(self, element: lxml.etree._Element, base: Path) -> Refusal | None:
        tag = element.tag
        assert isinstance(tag, str)
        if tag in _REFUSED:
            return Refusal(f"<{tag}> is not allowed in a brief", (f"<{tag}",))
        if tag == "link" and self.edition:
            return Refusal("<link> cannot be embedded in the HTML edition", ("<link",))
        if tag == "meta" and element.get("http-equiv") is not None:
            return Refusal("<meta http-equiv> is not allowed in a brief", ("http-equiv",))
        if tag in ("animate", "set") and (element.get("attributename") or "").lower().endswith("href"):
            return Refusal(f"<{tag}> may not change a link", (f"<{tag}",))
        text = element.text or ""
        if tag in _RAW_TEXT and "<" in text and not (tag == "title" and _parent_tag(element) == "head"):
            return Refusal(
                f"markup inside <{tag}> is not allowed (inside SVG a browser reads it as tags)", (f"<{tag}",)
            )
        if tag == "style":
            return _without_line(self.check_css(text, base))
        return None

    def _attributes(self, element: lxml.etree._Element, base: Path, depth: int) -> Refusal | None:
        tag = element.tag
        for name, value in element.attrib.items():
            name = str(name)
            value = str(value)
            if name.startswith("on"):
                return Refusal(f"event handler {name}= on <{tag}> is not allowed", (name,))
            if name in _LINK_ATTRIBUTES or (tag in _LINK_ELEMENTS and name in ("href", "xlink:href")):
                refusal = _link(name, value, tag)
            elif name in _RESOURCES:
                refusal = self._resources(f"<{tag} {name}>", value, name, base, depth)
            elif name == "style" or ("(" in value and _maybe_css_url(value)):
                refusal = _without_line(self.check_css(value, base))
            else:
                continue
            if refusal is not None:
                return refusal
        return None

    def _resources(self, what: str, value: str, name: str, base: Path, depth: int) -> Refusal | None:
        urls = [value]
        if name.endswith("srcset"):
            # Every comma- or space-separated piece, so no candidate can hide in another.
            urls = [p for p in re.split(r"[\s,]+", value) if p and not re.fullmatch(r"[\d.]+[wxh]", p)]
        elif name == "ping":
            urls = value.split()
        for url in urls:
            refusal = self.resource(what, url, base, depth)
            if refusal is not None:
                return refusal
        return None

    # --- URLs -----------------------------------------------------------------------------

    def resource(self, what: str, url: str, base: Path, depth: int = 0) -> Refusal | None:
        """Refused unless *url* is a data: image, a chart: URL or a file inside the roots."""
        clean = _clean(url)
        scheme = _scheme(clean)
        needles = (url.strip(), what)
        if scheme == "chart" or clean.startswith("#") or not clean or clean in self.embedded:
            return None
        if scheme == "data":
            return self._data(what, clean, depth, needles)
        if scheme is None and not clean.replace("\\", "/").startswith("//"):
            clean = urljoin(base.resolve().as_uri() + "/", clean.replace("\\", "/"))
            scheme = "file"
        if scheme == "file":
            path = Path(unquote(urlsplit(clean).path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots):
                return None
            return Refusal(f"{what} uses {_shown(url.strip())}, outside the template folders", needles)
        return Refusal(
            f"{what} loads {_shown(url.strip())}: only data: images, charts and files "
            "in the template folders may be used",
            needles,
        )

    def _data(self, what: str, url: str, depth: int, needles: tuple[str, ...]) -> Refusal | None:
        header, _, payload = url.partition(",")
        media = header[5:].split(";")[0].strip().lower()
        if not media.startswith("image/"):
            return Refusal(f"{what} uses a data: URL that is not an image ({_shown(url)})", needles)
        if media != "image/svg+xml":
            return None
        if depth >= _MAX_NESTED_SVG:
            return Refusal(f"{what} nests SVG images too deeply", needles)
        try:
            data = (
                base64.b64decode(payload, validate=False)
                if ";base64" in header.lower()
                else unquote(payload).encode("utf-8")
            )
            svg = data.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return Refusal(f"{what} has an SVG data: URL that cannot be read", needles)
        if svg in self.ours:
            return None
        # The HTML edition places the SVG inline: it must pass as HTML, with no file of its own.
        inner = self.check_html(svg, self.roots[0], depth + 1)
        if inner is None:
            return None
        return Refusal(f"{what} has an SVG image in which {inner.message}", needles)

    # --- CSS ------------------------------------------------------------------------------

    def check_css(self, css: str, base: Path) -> Refusal | None:
        """The first URL in *css* (a stylesheet or a style attribute) the policy refuses, or None."""
        if "(" not in css and "@" not in css and "\\" not in css:
            return None
        tokens = tinycss2.parse_component_value_list(css, skip_comments=True)
        try:
            for what, url, line in _css_urls(tokens):
                if what == "@import" and self.edition:
                    # The browser would load the imported stylesheet, which nobody checked.
                    return Refusal(
                        f"CSS @import of {_shown(url.strip())} cannot be embedded in the HTML edition",
                        (url.strip(), "@import"),
                        line,
                    )
                refusal = self.resource(f"CSS {what}", url, base)
                if refusal is not None:
                    return Refusal(refusal.message, (url.strip(), *refusal.needles[1:]), line)
        except CssTooDeep as exc:
            return exc.refusal
        return None


def _link(name: str, value: str, tag: str) -> Refusal | None:
    scheme = _scheme(_clean(value))
    if scheme is None or scheme in _LINK_SCHEMES:
        return None
    return Refusal(
        f"<{tag} {name}> links to a {scheme}: URL: only http, https, mailto and relative links are allowed",
        (value.strip(), name),
    )


def _without_line(refusal: Refusal | None) -> Refusal | None:
    # A line inside a <style> element or a style attribute is not the template's line.
    return Refusal(refusal.message, refusal.needles) if refusal is not None else None


def _parent_tag(element: lxml.etree._Element) -> str | None:
    parent = element.getparent()
    return parent.tag if parent is not None and isinstance(parent.tag, str) else None


def _maybe_css_url(value: str) -> bool:
    # SVG presentation attributes (fill="url(...)") are CSS; escapes could hide "url".
    lower = value.lower()
    return "url" in lower or "\\" in value or "image" in lower or "src" in lower


# CSS nests a few levels (a rule in @media, calc() in var()); the typesetter's selector and
# value parsers recurse, and fail past about a hundred.
MAX_CSS_NESTING = 32


class CssTooDeep(Exception):
    """Raised by :func:`_css_urls` on CSS nested over :data:`MAX_CSS_NESTING` levels."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _css_urls(tokens: Iterable[object]) -> Iterator[tuple[str, str, int]]:
    """Every URL in CSS component values: url(), src(), strings in image-set() and @import;
    :class:`CssTooDeep` if functions and blocks nest over :data:`MAX_CSS_NESTING` levels."""
    # A walk with a stack of its own, not recursion: a stylesheet may nest functions and blocks
    # thousands deep (`:not(:not(...))`), past Python's recursion limit.
    levels: list[Iterator[object]] = [iter(tokens)]
    after_import = [False]  # per level: the last token was @import
    while levels:
        token = next(levels[-1], None)
        if token is None:
            levels.pop()
            after_import.pop()
            continue
        kind = getattr(token, "type", "")
        line = int(getattr(token, "source_line", 0))
        if kind in ("whitespace", "comment"):
            continue
        if after_import[-1] and kind in ("string", "url"):
            yield "@import", str(getattr(token, "value", "")), line
        elif kind == "url":
            yield "url()", str(getattr(token, "value", "")), line
        after_import[-1] = kind == "at-keyword" and getattr(token, "lower_value", "") == "import"
        if kind == "function":
            name = str(getattr(token, "lower_name", ""))
            arguments = list(getattr(token, "arguments", []))
            strings = [t for t in arguments if getattr(t, "type", "") == "string"]
            if name in ("url", "src") and strings:
                yield f"{name}()", str(getattr(strings[0], "value", "")), line
            elif name in _CSS_STRING_URLS:
                yield from ((f"{name}()", str(getattr(s, "value", "")), line) for s in strings)
            levels.append(iter(arguments))
        elif kind in ("() block", "[] block", "{} block"):
            levels.append(iter(getattr(token, "content", [])))
        else:
            continue
        after_import.append(False)
        if len(levels) > MAX_CSS_NESTING + 1:
            opening = f"{getattr(token, 'name', '')}(" if kind == "function" else kind[0]
            raise CssTooDeep(Refusal(f"CSS nested over {MAX_CSS_NESTING} levels deep", (opening,), line or None))


def refuse(refusal: Refusal, template: Path | None) -> TemplateError:
    """The error for *refusal*, at the first line of *template* that shows it."""
    line = refusal.line
    if line is None and template is not None:
        line = line_of(template, refusal.needles)
    return TemplateError(refusal.message, template, line, hint=HINT)


def line_of(template: Path, needles: tuple[str, ...]) -> int | None:
    """The first line of *template* that holds one of *needles* (tried in order), or None."""
    try:
        lines = template.read_text(encoding="utf-8").lower().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for needle in needles:
        needle = needle.lower()
        if not needle:
            continue
        for number, text in enumerate(lines, 1):
            if needle in text:
                return number
    return None
