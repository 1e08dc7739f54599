"""Pydantic's validation errors, said plainly: where, and what to write instead.

A pattern is described in words (brief.model.patterns), never shown as a regular
expression; the unknown keys of one mapping are reported together, with the keys it takes.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from brief.model.patterns import wording

# Pydantic's own parts of a location: the members of a union ("value.float"), a dict key's check.
_TYPE_TAGS = {"float", "int", "str", "bool", "list", "dict", "date", "is-instance[date]", "[key]"}

Loc = tuple[str | int, ...]


# A union member given as a type ("list[dict[str,str]]", "union[str,int]") is not a place either.
_TYPE_PART = re.compile(r"(list|dict|set|frozenset|tuple|union|tagged-union|literal|is-instance|nullable|chain)\[")


def _clean(loc: Sequence[str | int]) -> Loc:
    # Validator names ("function-after[...]") and union members are not places in the file.
    return tuple(
        p
        for i, p in enumerate(loc)
        if not str(p).startswith("function-") and not (i and (p in _TYPE_TAGS or _TYPE_PART.match(str(p))))
    )


def _inner(annotation: Any) -> list[Any]:
    """The types a field may hold, without ``None`` and ``Annotated`` wrappers."""
    members = (
        typing.get_args(annotation) if typing.get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    )
    out = []
    for member in members:
        if typing.get_origin(member) is typing.Annotated:
            member = typing.get_args(member)[0]
        if member is not type(None):
            out.append(member)
    return out


def keys_at(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The keys the mapping at *loc* (inside a *model* entry) takes, or None if it is not a model."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for kind in current:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                fields = kind.model_fields
                found = fields.get(str(part)) or next((f for f in fields.values() if f.alias == part), None)
                following += _inner(found.annotation) if found else []
            elif typing.get_origin(kind) is dict:
                following += _inner(typing.get_args(kind)[1])
            elif typing.get_origin(kind) in (list, tuple):
                following += _inner(typing.get_args(kind)[0])
        current = following
    model_here = next((k for k in current if isinstance(k, type) and issubclass(k, BaseModel)), None)
    if model_here is None:
        return None
    return [info.alias or name for name, info in model_here.model_fields.items()]


def _field(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


# Pydantic's errors for "not a mapping": their wording names our classes ("instance of TypeRole").
_NOT_A_MAPPING = {"model_type", "model_attributes_type", "dataclass_type", "dict_type", "mapping_type"}
# What a YAML value is, in a user's words.
_KINDS = {bool: "true or false", int: "a number", float: "a number", str: "text", list: "a list", type(None): "nothing"}


def _message(error: ErrorDetails, loc: Loc, model: type[BaseModel]) -> str:
    if error["type"] == "string_pattern_mismatch":
        text = f"{error['input']!r} should be {wording(str(error.get('ctx', {}).get('pattern', '')))}"
    elif error["type"] in _NOT_A_MAPPING:
        got = _KINDS.get(type(error["input"]), "something else")
        keys = keys_at(model, loc)
        text = f"should be a mapping (indented key: value lines), not {got}"
        text += f"; its keys: {', '.join(keys)}" if keys else ""
    else:
        # Anything else that still names a class says what it wants in words instead.
        text = _CLASS_NAME.sub("a mapping", error["msg"].removeprefix("Value error, "))
    return f"{_field(loc)}: {text}" if loc else text


_CLASS_NAME = re.compile(r"(a valid dictionary or )?(an )?instance of [A-Za-z_.]+")


def explain(errors: Sequence[ErrorDetails], model: type[BaseModel]) -> list[tuple[Loc, str]]:
    """``(location, message)`` for each problem in one entry, in the order pydantic found them."""
    out: dict[Loc, str] = {}
    unknown: dict[Loc, list[Loc]] = {}  # parent mapping -> its unknown keys
    for error in errors:
        loc = _clean(error["loc"])
        if error["type"] == "extra_forbidden" and loc:
            unknown.setdefault(loc[:-1], []).append(loc)
            out.setdefault(unknown[loc[:-1]][0], "")
        elif loc not in out:  # a union fails once per member at the same place: report it once
            out[loc] = _message(error, loc, model)
    for parent, keys in unknown.items():
        names = ", ".join(repr(k[-1]) for k in keys)
        text = f"unknown key{'s' if len(keys) > 1 else ''} {names}"
        valid = keys_at(model, parent)
        if valid:
            text += f"; valid keys: {', '.join(valid)}"
        out[keys[0]] = f"{_field(parent)}: {text}" if parent else text
    return list(out.items())
