"""Text in several languages: a text field is a string, or a mapping of language to string.

A brief with ``languages: [en-US, de-DE]`` is built once per language from one brief file. Every
field typed :data:`Text` (a title, a chart's labels, a figure's label and locator) may be written
``{en: Chips, de: Halbleiter}``; before a file is validated, :func:`localise` replaces each such
mapping by the text of the edition's language, and lists the ones that have none, with their
lines, so that the loader can warn at the line. A tag ``de`` serves ``de-DE``.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ValidationInfo

from brief.errors import BriefWarning
from brief.model.language import candidates, locale_of


class _TextMark:
    """Marks a field as text that may be written in several languages."""


TEXT_MARK = _TextMark()


@dataclass(frozen=True)
class Untranslated:
    """A text field that has no text in the edition's language: where it is and what it fell back to."""

    line: int | None
    field: str
    language: str
    fallback: str

    def warning(self, path: Path) -> BriefWarning:
        """The warning about it, at its line of *path* (an error with ``--strict``)."""
        return BriefWarning(
            f"{self.field} has no {self.language} text; the {self.language} edition prints {self.fallback[:60]!r}",
            path,
            self.line,
            hint=f"add `{self.language}: ...` to its mapping of language to text",
        )


def translation(mapping: dict[Any, Any], language: str | None) -> tuple[str, bool]:
    """The text of *mapping* (language → text) in *language*, and whether it was found;
    not found, the first language's text (the first written)."""
    problem = mapping_problem(mapping)
    if problem:
        raise ValueError(problem)
    if language is not None:
        for tag in candidates(language):
            if tag in mapping:
                return str(mapping[tag]), True
        for key, text in mapping.items():
            if "-" not in language and str(key).split("-")[0] == language:
                return str(text), True
    return str(next(iter(mapping.values()))), language is None


def mapping_problem(mapping: dict[Any, Any]) -> str | None:
    """What is wrong with a mapping written where a text goes, or None for language → text."""
    if not mapping:
        return "an empty mapping: write the text, or a mapping of language to text ({en: ..., de: ...})"
    for key, text in mapping.items():
        try:
            locale_of(str(key))
        except ValueError:
            return f"{str(key)[:40]!r} is not a language: a text is a string or a mapping of language to text"
        if not isinstance(text, str):
            return f"the {key} text is not a string"
    return None


def _pick(value: Any, info: ValidationInfo) -> Any:
    # A mapping left for validation (a model validated without the loader): the context's
    # language, else the first written.
    if not isinstance(value, dict):
        return value
    context = info.context if isinstance(info.context, dict) else {}
    return translation(value, context.get("language"))[0]


# A string, or a mapping of language to string (picked by the loader before validation).
Text = Annotated[str, TEXT_MARK, BeforeValidator(_pick)]


def localise(
    model: type[BaseModel], node: Any, language: str | None, owner: str = ""
) -> tuple[Any, list[Untranslated]]:
    """*node* (a parsed YAML entry for *model*) with each text field's language mapping
    replaced by its text in *language*; and the fields with no such text (named after
    *owner*, e.g. ``figure 'x'``). *node* itself is not changed (parsed files may be cached).
    Without *language*, the first text is used."""
    missing: list[Untranslated] = []
    return _model(model, node, language, missing, owner), missing


def _model(model: type[BaseModel], node: Any, language: str | None, missing: list[Untranslated], where: str) -> Any:
    if not isinstance(node, dict):
        return node
    out = copy.copy(node)
    lines = getattr(node, "key_lines", {})
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in node:
            continue
        here = f"{where}.{key}" if where and not where.endswith(" ") else f"{where}{key}"
        if TEXT_MARK in info.metadata:
            out[key] = _text(node[key], language, missing, here, lines.get(key))
        else:
            out[key] = _value(info.annotation, node[key], language, missing, here, lines.get(key))
    return out


def _value(tp: Any, value: Any, language: str | None, missing: list[Untranslated], where: str, line: int | None) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        if TEXT_MARK in args[1:]:
            return _text(value, language, missing, where, line)
        return _value(args[0], value, language, missing, where, line)
    if origin in (Union, types.UnionType):
        for member in args:
            if _fits(member, value):
                return _value(member, value, language, missing, where, line)
        return value
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model(tp, value, language, missing, where)
    if origin is list and isinstance(value, list):
        return _items(args[0], value, language, missing, where)
    if origin is dict and isinstance(value, dict):
        out = copy.copy(value)
        lines = getattr(value, "key_lines", {})
        for key, item in value.items():
            out[key] = _value(args[1], item, language, missing, f"{where}.{key}", lines.get(key))
        return out
    return value


def _items(tp: Any, value: list[Any], language: str | None, missing: list[Untranslated], where: str) -> list[Any]:
    out = copy.copy(value)
    lines: Sequence[int] = getattr(value, "item_lines", [])
    for i, item in enumerate(value):
        out[i] = _value(tp, item, language, missing, f"{where}[{i}]", lines[i] if i < len(lines) else None)
    return out


def _fits(member: Any, value: Any) -> bool:
    base = typing.get_args(member)[0] if typing.get_origin(member) is Annotated else member
    if isinstance(value, dict):
        return (
            (isinstance(base, type) and issubclass(base, BaseModel))
            or typing.get_origin(base) is dict
            or (typing.get_origin(member) is Annotated and TEXT_MARK in typing.get_args(member)[1:])
        )
    if isinstance(value, list):
        return typing.get_origin(base) is list
    return False


def _text(value: Any, language: str | None, missing: list[Untranslated], where: str, line: int | None) -> Any:
    if not isinstance(value, dict) or mapping_problem(value):
        return value  # a string, or a bad mapping that validation reports at its line
    text, found = translation(value, language)
    if not found and language is not None:
        missing.append(Untranslated(getattr(value, "line", None) or line, where, language, text))
    return text


def languages_of(node: Any) -> list[str]:
    """The languages a parsed brief file declares (``languages``, else ``language``), as
    written; ``[en-US]`` when it declares none (validation reports a malformed value)."""
    if isinstance(node, dict):
        many = node.get("languages")
        if isinstance(many, list) and many and all(isinstance(tag, str) for tag in many):
            return list(many)
        one = node.get("language")
        if isinstance(one, str):
            return [one]
    return ["en-US"]


def matching(language: str, languages: Sequence[str]) -> str | None:
    """The one of *languages* that *language* asks for (``de`` asks for ``de-DE``), or None."""
    for tag in languages:
        if language == tag or language.split("-")[0] == tag or tag.split("-")[0] == language:
            return tag
    return None
