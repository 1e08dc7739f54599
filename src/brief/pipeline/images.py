"""Images in the narrative: ``![alt](map.png)`` in a section's Markdown.

A relative path is read from the folder of the section's own template (``templates/AUDIENCE/``
or a brief's own folder), as an author expects of a file beside the text. The file must lie
inside the template layer the section came from (the workspace's ``templates/``, or the
overlay), after links and ``..`` are followed; it must be a PNG, JPEG, GIF, WebP or SVG image
within the size of any workspace file, and the image must have alt text. It is then embedded
in the HTML as a ``data:`` URL, so the PDF and the self-contained HTML edition show the same
bytes and the typesetter fetches nothing new (an SVG is held to the HTML policy like any
``data:`` SVG). A problem is an error at the template's line, which ``brief check`` reports
too, as it renders every edition.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from brief.errors import BriefError, TemplateError
from brief.pipeline.sanitise import HINT as POLICY_HINT
from brief.pipeline.sanitise import Policy, line_of
from brief.workspace.files import outside, read_input

# The formats WeasyPrint and every browser show, by their first bytes.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_FORMATS = "PNG, JPEG, GIF, WebP or SVG"


@dataclass
class SectionImages:
    """Resolves the images of the section being rendered (set :attr:`template` and
    :attr:`layer` before each section)."""

    template: Path | None = None
    layer: Path | None = None

    def installed(self, md: MarkdownIt) -> SectionImages:
        """Make *md* render each image through :meth:`image`; this object."""
        images = self

        def render_image(
            renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
        ) -> str:
            images.image(tokens[idx], renderer.renderInlineAsText(tokens[idx].children or [], options, env))
            tokens[idx].attrSet("class", "narrative-image")  # the theme keeps it within the column
            return renderer.image(tokens, idx, options, env)

        md.add_render_rule("image", render_image)
        return self

    def image(self, token: Token, alt: str) -> None:
        """Check one image and point it at its embedded bytes; :class:`TemplateError` if it fails."""
        src = str(token.attrGet("src") or "")
        if not alt.strip():
            self._fail(f"image {src!r} has no alt text", src, "say what it shows: ![what the image shows](map.png)")
        if urlsplit(src).scheme or src.startswith(("/", "#")) or self.template is None or self.layer is None:
            return  # not a file beside the section: the HTML policy decides
        path = self.template.parent / unquote(urlsplit(src).path)
        shown, here = _relative(path, self.layer), _relative(self.template.parent, self.layer)
        if outside(path, self.layer):
            self._fail(f"image {src!r} lies outside {self.layer.name}/", src, f"copy the image into {here}/")
        if not path.exists():
            self._fail(
                f"image {src!r} not found: no file {shown}",
                src,
                f"a path is read from the section's folder, {here}/: put the image there or give its path from there",
            )
        try:
            data = read_input(path, self.layer)
        except BriefError as exc:
            self._fail(f"image {src!r} cannot be used: {exc.message}", src, exc.hint or f"use a {_FORMATS} file")
        media = media_type(data)
        if media is None:
            self._fail(f"{shown} is not an image brief can print", src, f"use a {_FORMATS} file")
        if media == "image/svg+xml":
            self._svg(data, src)
        token.attrSet("src", f"data:{media};base64," + base64.b64encode(data).decode("ascii"))

    def _svg(self, data: bytes, src: str) -> None:
        # Checked here, as the policy checks any data: SVG, to blame the image's own line.
        assert self.layer is not None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(f"image {src!r} is an SVG file that is not UTF-8 text", src, "save the SVG as UTF-8")
        refusal = Policy([self.layer]).check_html(text, self.layer, depth=1)
        if refusal is not None:
            self._fail(f"image {src!r} is an SVG in which {refusal.message}", src, POLICY_HINT)

    def _fail(self, message: str, src: str, hint: str) -> NoReturn:
        line = line_of(self.template, (f"({src}", src)) if self.template else None
        raise TemplateError(message, self.template, line, hint=hint)


# A Markdown image written out in full, with no Jinja in it: ![alt](path "title").
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)\n]*)?\)")
_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def image_problems(source: str, template: Path, layer: Path) -> list[TemplateError]:
    """Each image of a section template's *source* that a build could not print, found without
    rendering (so ``brief check`` reports it beside other problems); an image whose alt text or
    path is written with Jinja is left to the render."""
    images = SectionImages(template, layer)
    problems = []
    for match in _IMAGE.finditer(_COMMENT.sub(" ", source)):
        if "{" in match.group(0):
            continue
        token = Token("image", "img", 0, attrs={"src": match.group(2), "alt": ""})
        try:
            images.image(token, match.group(1))
        except TemplateError as exc:
            problems.append(exc)
    return problems


def media_type(data: bytes) -> str | None:
    """The image type of *data* by its first bytes, or None if it is none we print."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def _relative(path: Path, layer: Path) -> str:
    # Named as the author sees it: from the workspace, "templates/policy/map.png".
    try:
        inside = Path(os.path.normpath(path.absolute())).relative_to(layer.absolute())
        return (Path(layer.name) / inside).as_posix()
    except ValueError:
        return path.as_posix()
