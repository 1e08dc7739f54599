"""docs/reference.md, written from the models: every field of every file a workspace holds.

The models are the one source of truth for a field's type, default, limits and meaning
(``Field(description=..., examples=[...])``; a unit for the limits in
``json_schema_extra={"unit": "px"}``; a default the model cannot state, such as one the
loader fills in, in ``json_schema_extra={"default": "..."}``). ``scripts/generate-reference``
writes the page and a test fails when the page is stale.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from brief.model.patterns import wording
from brief.model.schema import Brief, Figure, Source
from brief.model.unit_schema import UnitSpec
from brief.workspace.brand import Brand, ChartDefaults


@dataclass(frozen=True)
class Root:
    """One kind of file: where it lives, its model, and what it is for."""

    title: str
    where: str
    model: type[BaseModel]
    intro: str


ROOTS = (
    Root(
        "Brief file",
        "briefs/NAME.yaml",
        Brief,
        "One file per brief: what it is, its charts and its editions. `brief new brief NAME` writes one.",
    ),
    Root(
        "Figure",
        "data/figures/*.yaml (a list of entries) or data/figures/*.csv (one row each, the same names as columns)",
        Figure,
        "A number with its provenance. Give `value`, `as_of`, `source` and `locator`, or `derive`.",
    ),
    Root(
        "Source",
        "data/sources.yaml (a list of entries)",
        Source,
        "A cited work, in CSL-JSON's field names, so a reference manager's export drops in.",
    ),
    Root(
        "Units file",
        "data/units.yaml, one entry under each unit's name (such as eur_billion:)",
        UnitSpec,
        "Units of the workspace's own; an entry named like a built-in unit (pp, percent, usd_billion, "
        "usd_million, cny_billion, count, ratio, per_year, score) replaces it. Give long, short and axis, "
        "or currency and scale.",
    ),
    Root(
        "Brand file",
        "templates/brand.yml",
        Brand,
        "Colours, fonts and the organisation's name: a subset of Quarto's `_brand.yml`. A brand file may "
        'be partial: whatever it leaves out, "required" fields included, comes from the built-in theme\'s '
        "brand (`meta: {name: ...}` and `color: {primary: ...}` alone are a whole brand), and a font it does "
        "not list stays available. A role may name only its family, as in Quarto: `base: Source Sans 3`.",
    ),
    Root(
        "Chart colours",
        "templates/brand.yml, under defaults.brief",
        ChartDefaults,
        "How charts colour the things they compare. Colours are palette names or #rrggbb.",
    ),
)

_TYPES: dict[Any, str] = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "true or false",
    dt.date: "date (YYYY-MM-DD)",
    Any: "any value",
}


def _members(annotation: Any) -> list[Any]:
    """The members of a union without ``None``; a single type as a one-item list."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _unannotated(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, *meta]`` → ``(T, meta)``; anything else → ``(annotation, [])``."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return base, meta
    return annotation, []


def type_name(annotation: Any) -> str:
    """A field's type in words: ``list[ChartRow]`` → ``list of chart rows``."""
    members = [_unannotated(a) for a in _members(annotation)]
    if {m for m, _ in members} == {float, int}:
        return "number"
    names = []
    for base, meta in members:
        if any(getattr(m, "pattern", None) for m in meta):
            names.append("text" if base is str else _one(base))
            continue
        names.append(_one(base))
    return " or ".join(dict.fromkeys(names))


def _one(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return "text"
    if origin is list:
        return f"list of {_plural(type_name(args[0]))}"
    if origin is tuple:
        return f"pair of {_plural(type_name(args[0]))}"
    if origin is dict:
        return f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return _TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plural(name: str) -> str:
    if name.startswith(("list", "pair", "mapping")):
        return f"{name}s" if name == "mapping" else name
    return {"text": "texts", "whole number": "whole numbers", "number": "numbers"}.get(name, name)


def _metadata(info: FieldInfo) -> list[Any]:
    """Constraints on the field and on the types inside it (``Id | None`` carries a pattern)."""
    meta = list(info.metadata)
    for member in _members(info.annotation):
        meta += _unannotated(member)[1]
        for arg in typing.get_args(member):
            meta += _unannotated(arg)[1]
    return meta


def _amount(n: Any, unit: str | None) -> str:
    if unit is None:
        return str(n)
    # Units are given in the plural ("pages"); one of them is singular, except symbols such as px.
    return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') and len(unit) > 2 else unit}"


def limits(info: FieldInfo) -> str:
    """Bounds, length, form and allowed values of a field, in words with units."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    given = extra.get("unit")
    unit = given if isinstance(given, str) else None
    meta = _metadata(info)
    low = next((m.ge for m in meta if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in meta if getattr(m, "le", None) is not None), None)
    parts = []
    if low is not None and high is not None:
        parts.append(f"{low} to {_amount(high, unit)}")
    elif low is not None:
        parts.append(f"at least {_amount(low, unit)}")
    elif high is not None:
        parts.append(f"at most {_amount(high, unit)}")
    shortest = next((m.min_length for m in meta if getattr(m, "min_length", None)), None)
    if shortest is not None:
        base = _unannotated(_members(info.annotation)[0])[0]
        what = "character" if base is str else "entry" if typing.get_origin(base) is dict else "item"
        parts.append(f"at least {shortest} {what}{'s' if shortest != 1 else ''}")
    pattern = next((m.pattern for m in meta if getattr(m, "pattern", None)), None)
    if pattern is not None:
        parts.append(wording(pattern))
    allowed = [v for m in _members(info.annotation) if typing.get_origin(m) is Literal for v in typing.get_args(m)]
    if allowed:
        parts.append("one of " + ", ".join(f"`{v}`" for v in allowed))
    return "; ".join(parts)


def default(info: FieldInfo) -> str:
    """The default in words: ``required``, ``none``, or the value."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if isinstance(extra.get("default"), str):
        return str(extra["default"])
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "empty"
    if info.default is None or info.default is PydanticUndefined:
        return "none"
    return f"`{_yaml(info.default)}`"


def _yaml(value: Any) -> str:
    """A value as it is written in a YAML file (flow style for lists and mappings)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # Quoted where YAML would read something else: a number, a date, a comment.
        plain = value and value[0] not in "[]{}&*!|>'\"%@`#," and "#" not in value and ": " not in value
        return value if plain and yaml.safe_load(value) == value else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return json.dumps(value)


def _nested(annotation: Any, key: str) -> Iterator[tuple[str, type[BaseModel]]]:
    """The models a field holds, with the key path under which each appears."""
    for member in _members(annotation):
        base = _unannotated(member)[0]
        origin, args = typing.get_origin(base), typing.get_args(base)
        if isinstance(base, type) and issubclass(base, BaseModel):
            yield key, base
        elif origin is list:
            yield from _nested(args[0], f"{key}[]")
        elif origin is dict:
            yield from _nested(args[1], f"{key}.NAME")


def sections(root: Root) -> Iterator[tuple[str, type[BaseModel]]]:
    """``(key path, model)`` of the root model and every model nested in it, depth first."""
    todo: list[tuple[str, type[BaseModel]]] = [("", root.model)]
    while todo:
        path, model = todo.pop(0)
        yield path, model
        for name, info in model.model_fields.items():
            key = f"{path}.{info.alias or name}".lstrip(".")
            todo += list(_nested(info.annotation, key))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example(name: str, info: FieldInfo) -> str:
    if info.examples:
        return f"`{name}: {_yaml(info.examples[0])}`"
    allowed = [v for m in _members(info.annotation) if typing.get_origin(m) is Literal for v in typing.get_args(m)]
    if allowed:
        return f"`{name}: {allowed[-1]}`"
    return "see below" if any(True for _ in _nested(info.annotation, name)) else ""


def model_table(model: type[BaseModel]) -> list[str]:
    """The Markdown table of one model's fields."""
    lines = [
        "| Field | Type | Default | Limits and values | Meaning | Example |",
        "|---|---|---|---|---|---|",
    ]
    for name, info in model.model_fields.items():
        key = info.alias or name
        lines.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    f"`{key}`",
                    type_name(info.annotation),
                    default(info),
                    limits(info),
                    info.description or "",
                    _example(key, info),
                )
            )
            + " |"
        )
    return lines


def _extra(model: type[BaseModel]) -> str:
    if model.model_config.get("extra") == "forbid":
        return "Any other key is an error."
    return "Other keys are allowed and kept (the format has more fields than `brief` reads)."


def reference() -> str:
    """The whole of docs/reference.md."""
    out = [
        "# Reference: every field of every file",
        "",
        "<!-- Generated from the models by scripts/generate-reference; do not edit by hand. -->",
        "",
        "Each table lists a file's fields with their type, default, limits and an example. "
        "A nested mapping has its own table below its parent, named by its key path "
        "(`NAME` stands for any name you choose, `[]` for each item of a list).",
    ]
    for root in ROOTS:
        out += ["", f"## {root.title}", "", f"Where: {root.where}. {root.intro}"]
        # A model used in several places (issued and accessed) gets one table, under all its paths.
        paths: dict[type[BaseModel], list[str]] = {}
        for path, model in sections(root):
            paths.setdefault(model, []).append(path)
        for model, where in paths.items():
            doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ").replace("``", "`")
            if where != [""]:
                out += ["", "### " + ", ".join(f"`{p}`" for p in where)]
            out += ["", f"{doc} {_extra(model)}".strip(), "", *model_table(model)]
    return "\n".join(out + _functions()) + "\n"


def _functions() -> list[str]:
    """The table of the functions a narrative template calls."""
    from brief.pipeline.render import template_functions

    rows = [f"| `{name}()` | {_cell(doc.replace('``', '`'))} |" for name, doc in template_functions()]
    return [
        "",
        "## Template functions",
        "",
        "What a section template (`templates/AUDIENCE/SECTION.md.j2`, Markdown with Jinja) calls to print "
        "numbers, charts and notes; `brief docs customising` shows each in use.",
        "",
        "| Function | What it does |",
        "|---|---|",
        *rows,
    ]
