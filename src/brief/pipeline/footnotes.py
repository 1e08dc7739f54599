"""Explanatory notes: Markdown footnotes (``word[^id]`` and a ``[^id]: text`` definition).

mdit_py_plugins' footnote plugin parses them. Instead of the plugin's own list at the end of
each section, every footnote becomes an endnote in the brief's one list of notes, numbered
in reading order with the source notes (:mod:`brief.pipeline.citations`): a reader follows
one kind of mark to one list, and no number stands for two notes. A footnote's mark stays
where the author put it (source marks move to the end of their sentence).

``brief check`` finds unknown and unused footnote ids statically, with file and line
(:func:`footnote_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes
from markdown_it import MarkdownIt
from markdown_it.token import Token

from brief.errors import BriefError, TemplateError

# The plugin's own syntax: a label is anything but white space and "]".
_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.S | re.M)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def explanatory_mark(number: int) -> str:
    """The mark of an explanatory note; renumbered with the source marks in reading order."""
    return f'<a class="note-ref explanatory" href="#note-{number}">{number}</a>'


@dataclass(frozen=True)
class Footnote:
    """One footnote of a section: the plugin's number for it, its label (``^N`` for an
    inline footnote, which has none) and its HTML."""

    id: int
    label: str
    html: str


def render_with_footnotes(md: MarkdownIt, text: str, mark: Callable[[int], str]) -> tuple[str, list[Footnote]]:
    """*text* rendered; each footnote reference replaced by ``mark(id)`` (the caller numbers
    it), and the footnotes returned, in order, instead of being listed."""
    env: dict[str, object] = {}
    tokens = md.parse(text, env)
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    body, tail = tokens[:start], tokens[start:]
    for token in body:
        for i, child in enumerate(token.children or []):
            if child.type == "footnote_ref":
                html = Token("html_inline", "", 0, content=mark(child.meta["id"]))
                token.children[i] = html  # type: ignore[index]  # children is a list here
    html = md.renderer.render(body, md.options, env)
    return html, [Footnote(i, label, _note_html(md, inner, env)) for i, label, inner in _definitions(tail)]


def _definitions(tail: list[Token]) -> Iterator[tuple[int, str, list[Token]]]:
    number, label, inner = 0, "", list[Token]()
    for token in tail:
        if token.type == "footnote_open":
            number, inner = token.meta["id"], []
            label = token.meta.get("label") or f"^{number}"
        elif token.type == "footnote_close":
            yield number, label, inner
        elif token.type not in ("footnote_anchor", "footnote_block_open", "footnote_block_close"):
            inner.append(token)


def _note_html(md: MarkdownIt, tokens: list[Token], env: dict[str, object]) -> str:
    html = str(md.renderer.render(tokens, md.options, env)).strip()
    # One paragraph is the note's text; several keep their paragraphs.
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def _blank(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n") or " "


def footnote_marks(source: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``([(label, line)] referenced, [(label, line)] defined)`` in a template's source, with
    Jinja tags and code left out (line numbers kept)."""
    text = _CODE_SPAN.sub(_blank, _FENCE.sub(_blank, _JINJA.sub(_blank, source)))
    defined = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in _DEF.finditer(text)]
    refs = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in _REF.finditer(text)]
    return refs, defined


def footnote_problems(env: jinja2.Environment, name: str) -> list[BriefError]:
    """Unknown and unused footnote ids of section template *name* and the templates it
    includes (one Markdown document), each at its file and line."""
    refs: list[tuple[str, Path, int]] = []
    defined: dict[str, tuple[Path, int]] = {}
    for path, source in _sources(env, name, set()):
        found, defs = footnote_marks(source)
        refs += [(label, path, line) for label, line in found]
        for label, line in defs:
            defined.setdefault(label, (path, line))
    used = {label for label, _, _ in refs}
    problems: list[BriefError] = []
    for label, path, line in refs:
        if label not in defined:
            hint = f"define it on a line of its own: [^{label}]: the note's text"
            problems.append(TemplateError(f"unknown footnote [^{label}]", path, line, hint=hint))
    for label, (path, line) in defined.items():
        if label not in used:
            hint = f"mark the word it explains with [^{label}], or remove the note"
            problems.append(TemplateError(f"footnote [^{label}] is never used", path, line, hint=hint))
    return problems


def _sources(env: jinja2.Environment, name: str, seen: set[str]) -> Iterator[tuple[Path, str]]:
    if name in seen or env.loader is None:
        return
    seen.add(name)
    try:
        source, filename, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
    except Exception:  # the template checks report a template that cannot be read or parsed
        return
    yield Path(filename or name), source
    for node in tree.find_all(nodes.Include):
        if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
            yield from _sources(env, node.template.value, seen)
