"""Checks of templates, statically (Jinja's parser, not a render): every ``fig()``, ``chart()``,
``ref()`` and ``cite()`` names something that exists, and narrative text holds no hand-typed numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import jinja2
from jinja2 import nodes

from brief.errors import BriefError, TemplateError
from brief.model.schema import Brief
from brief.pipeline.crossrefs import unknown_chart
from brief.pipeline.images import image_problems
from brief.workspace.load import Workspace, nearest
from brief.workspace.sandbox import TemplateRefused
from brief.workspace.theme import theme_dir

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_HTML_TAG = re.compile(r"<[^>]*>", re.S)
_LIST_MARKER = re.compile(r"^(\s*)\d+[.)](?=\s)", re.M)
_FOOTNOTE_LABEL = re.compile(r"\[\^[^\]\s]+\]")
# Where a Markdown link or image points ("](maps/2.png)", "](https://…/5)"): a path, not prose.
_DESTINATION = re.compile(r"\]\(\s*<?[^)\s>]*>?(?:\s+\"[^\"\n]*\")?\s*\)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Suffixes that make a number an amount, not a name: "$5bn", "10x", "12pp".
_AMOUNT_SUFFIX = re.compile(r"(bn|tn|mn|x|pp|k|m)\b", re.I)
_CURRENCY = "$€£¥"
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
_ORDINAL_WORDS = ("figure", "fig.", "table", "section", "chapter", "ch.", "no.", "page", "p.", "pp.")


def _blank(match: re.Match[str]) -> str:
    # Keep line numbers: replace a construct by as many newlines as it spans.
    return "\n" * match.group(0).count("\n") or " "


def hand_typed_numbers(source: str) -> list[tuple[int, str]]:
    """Numbers typed into narrative text, as ``(line, text)``.

    Text inside Jinja tags (where ``fig()`` calls live), HTML tags, Markdown list markers and
    where a Markdown link or image points is ignored, as are years and ordinals ("Figure 3").
    Wrap a number that is really a name in a Jinja string to mark it literal: ``{{ "G7" }}``.
    """
    text = _JINJA.sub(_blank, source)
    text = _HTML_TAG.sub(_blank, text)
    text = _FOOTNOTE_LABEL.sub(_blank, text)  # [^1] is a footnote's name
    text = _DESTINATION.sub(_blank, text)
    text = _LIST_MARKER.sub(lambda m: m.group(1), text)
    found = []
    for match in _NUMBER.finditer(text):
        token, start, end = match.group(0), match.start(), match.end()
        if _YEAR.match(token) or _is_name_part(text, start, end):
            continue
        before = text[:start].rstrip().rsplit(None, 1)
        if before and before[-1].lower().lstrip("([") in _ORDINAL_WORDS:
            continue
        found.append((text.count("\n", 0, start) + 1, token))
    return found


def _is_name_part(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` belongs to a name: "GPT-4", "V3", "3.1-405B", "H800"."""
    prev = text[start - 1] if start else ""
    prev2 = text[start - 2] if start > 1 else ""
    nxt = text[end] if end < len(text) else ""
    if prev.isalpha() or prev == "_" or (prev in "-–" and prev2.isalpha()):
        return True  # V3, o1, GPT-4
    if prev in "-–" and prev2.isdigit():
        # "3.1-405B" is a name; "10–12" is a range of amounts.
        return nxt.isalpha()
    if nxt.isalpha() or nxt == "_":
        return prev not in _CURRENCY and not _AMOUNT_SUFFIX.match(text, end)
    if nxt in "-–" and end + 1 < len(text):
        following = _NUMBER.match(text, end + 1)
        if following is None:
            return text[end + 1].isalpha()  # "4-bit" is a description, "3-D" a name
        # "3.1-405B" is a name; "10–12" and "10–12%" are a range of amounts.
        rest = following.end()
        return rest < len(text) and text[rest].isalpha() and not _AMOUNT_SUFFIX.match(text, rest)
    return False


def _calls(tree: nodes.Template) -> Iterator[tuple[str, str, int]]:
    """``(function, first argument, line)`` for each fig/chart/ref/cite call with literal arguments."""
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in ("fig", "chart", "ref", "cite"):
            for i, arg in enumerate(call.args):
                if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                    yield call.node.name, arg.value, call.lineno
                if call.node.name != "chart" or (i > 0 and not isinstance(arg, nodes.Const)):
                    break


def check_template(
    ws: Workspace,
    brief: Brief,
    audience: str,
    name: str,
    env: jinja2.Environment,
    preferred: dict[str, str],
    problems: list[BriefError],
    cited: set[str],
    seen: set[str],
    narrative: bool = True,
    where: tuple[Path | None, int | None] = (None, None),
) -> set[str]:
    """Check the template *name* as the build loads it (through the sandbox's confined
    loader, overlay first), then every template it includes, imports or extends by name."""
    if name in seen:
        return set()
    seen.add(name)
    loaded = _parse(env, name, problems, where)
    if loaded is None:
        return set()
    source, path, tree = loaded
    used: set[str] = set()
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            partial = target.value
            # A layout's parents and partials are layout; a section's partials are narrative.
            used |= check_template(
                ws,
                brief,
                audience,
                partial,
                env,
                preferred,
                problems,
                cited,
                seen,
                narrative and not isinstance(node, nodes.Extends),
                (path, node.lineno),
            )
    used |= _check_calls(ws, brief, audience, tree, path, preferred, problems, cited)
    layer = _layer(env, path)
    if narrative and where == (None, None) and layer is not None:
        problems.extend(image_problems(source, path, layer))  # a section's images, from its folder
    if narrative:
        for line, token in hand_typed_numbers(source):
            problems.append(
                TemplateError(
                    f"hand-typed number {token!r} in narrative text",
                    path,
                    line,
                    hint='use {{ fig("id") }} so the number comes from data, or {{ "..." }} if it is a name',
                )
            )
    return used


def _layer(env: jinja2.Environment, path: Path) -> Path | None:
    """The layer (overlay or the workspace's templates/) the template *path* was loaded from;
    None for the built-in theme's."""
    loader = env.loader
    first = loader.loaders[0] if isinstance(loader, jinja2.ChoiceLoader) else loader
    roots: list[Path] = [root for _, root in getattr(first, "folders", [])]
    real = path.resolve()
    found = next((root for root in roots if real.is_relative_to(root)), None)
    return None if found is None or found == theme_dir().resolve() else found


def _parse(
    env: jinja2.Environment, name: str, problems: list[BriefError], where: tuple[Path | None, int | None]
) -> tuple[str, Path, nodes.Template] | None:
    """The template *name* loaded as a build loads it, and parsed; None (and the problem
    recorded) when it cannot be."""
    assert env.loader is not None
    try:
        source, filename, _ = env.loader.get_source(env, name)
    except BriefError as exc:
        problems.append(TemplateError(exc.message, exc.path, exc.line, hint=exc.hint))
        return None
    except TemplateRefused as exc:
        problems.append(TemplateError(str(exc), where[0] or exc.path or name, where[1], hint=exc.hint))
        return None
    except jinja2.TemplateNotFound:
        problems.append(
            TemplateError(
                f"template {name!r} not found",
                where[0] or name,
                where[1],
                hint="templates are looked up in the overlay, then in templates/",
            )
        )
        return None
    path = Path(filename or name)
    try:
        return source, path, env.parse(source, name=name, filename=str(path))
    except jinja2.TemplateSyntaxError as exc:
        problems.append(
            TemplateError(
                f"template syntax error: {exc.message}",
                path,
                exc.lineno,
                hint="check the Jinja tags on this line: {{ ... }} and {% ... %}",
            )
        )
        return None


def _check_calls(
    ws: Workspace,
    brief: Brief,
    audience: str,
    tree: nodes.Template,
    path: Path,
    preferred: dict[str, str],
    problems: list[BriefError],
    cited: set[str],
) -> set[str]:
    """Every fig(), chart() and cite() of a template names something that exists; the
    figures it prints."""
    used: set[str] = set()
    charts = brief.charts
    placed = brief.audiences[audience].charts
    for function, name, line in _calls(tree):
        if function == "fig":
            for figure, variant in ws.expand(brief.id, name):
                used |= _check_fig(ws, brief.id, figure, variant, path, line, preferred, problems)
        elif function == "chart" and name not in charts:
            problems.append(TemplateError(f"unknown chart {name!r}", path, line, hint=nearest(name, charts)))
        elif function == "chart" and name not in placed:
            problems.append(
                TemplateError(
                    f"chart {name!r} is not in audience {audience!r}'s charts",
                    path,
                    line,
                    hint="add it to the audience's charts: in the brief file",
                )
            )
        elif function == "ref" and name not in placed:
            message, hint = unknown_chart(name, list(charts), audience, list(placed))
            problems.append(TemplateError(message, path, line, hint=hint))
        elif function == "cite" and name not in ws.sources:
            problems.append(TemplateError(f"unknown source {name!r}", path, line, hint=nearest(name, ws.sources)))
        elif function == "cite":
            cited.add(name)
    return used


def _check_fig(
    ws: Workspace,
    brief_id: str,
    name: str,
    variant: str | None,
    path: Path,
    line: int,
    preferred: dict[str, str],
    problems: list[BriefError],
) -> set[str]:
    """``fig(name)`` names a figure, the one preferred for its quantity; *variant* is the
    variant that filled in *name*'s placeholders, if any."""
    where = f" in variant {variant!r}" if variant else ""
    if name not in ws.figures:
        problems.append(
            TemplateError(f"unknown figure {name!r}{where}", path, line, hint=ws.figure_hint(brief_id, name))
        )
        return set()
    quantity = ws.figures[name].quantity
    if quantity in preferred and preferred[quantity] != name:
        problems.append(
            TemplateError(
                f"figure {name!r} is not the value used for {quantity!r}{where}",
                path,
                line,
                hint=f"use {preferred[quantity]!r}, which the data marks as preferred",
            )
        )
    return {name}
