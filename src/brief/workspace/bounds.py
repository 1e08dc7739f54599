"""Bounds on what one template call may build, checked before the call runs.

Every call a template can make whose result grows with an argument (a width, a count, a fill,
an indent, a repetition) is estimated from its arguments first: it would allocate gigabytes
before its result could be measured. A call whose result is at most a few times the size of
its input (upper(), escape, sort) needs no estimate, since every input is itself capped.
:mod:`brief.workspace.sandbox` applies these to every call, filter and operator.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard

import jinja2
from jinja2.filters import make_attrgetter
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import Namespace
from markupsafe import Markup

MAX_OUTPUT = 5 * 1024 * 1024  # characters: one template's output, and any one string it builds
MAX_PRODUCED = 50 * 1024 * 1024  # characters written by {{ }}, loops and ~, all templates together
MAX_BITS = 100_000  # the size of a number a template may compute (about 30,000 digits)


class TemplateRefused(Exception):
    """Raised while a template renders; the renderer turns it into a TemplateError naming
    the template's file and line."""

    def __init__(
        self, message: str, hint: str | None = None, path: Path | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.hint = hint
        # the file (and line) at fault, when it is not the template being rendered
        self.path = path
        self.line = line


SEQUENCES = (str, bytes, list, tuple)
_LIST_WEIGHT = 56  # a list a filter makes weighs as much as this many characters (its bytes)
_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?(?P<kind>[bcdeEfFgGnosxX%]?)\Z", re.S
)
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>.)", re.S
)
_STRFTIME = re.compile(r"%[-_0^#+]*(\d*)[EO]?(.)", re.S)
_LONGEST_DATE_FIELD = 64  # %c, a month's or weekday's name, in any locale


def refuse_over(estimate: int) -> None:
    """Refuse a call whose result is estimated at *estimate* characters, if that is too many."""
    if estimate > MAX_OUTPUT:
        raise TemplateRefused(
            f"a template builds a value of over {MAX_OUTPUT // 1024 // 1024} MB",
            hint="a brief is a few pages: build less text",
        )


def is_int(value: Any) -> TypeGuard[int]:
    """Whether *value* is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _number(digits: str) -> int:
    # Python refuses int() of over 4,300 digits; any width that long is past every limit.
    return int(digits) if len(digits) <= 18 else 10**18


def materialised(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """*args* with each iterator made a tuple, so that a join's parts can be measured first."""
    return tuple(tuple(a) if isinstance(a, Iterator) else a for a in args)


def text_size(value: Any, limit: int = MAX_OUTPUT) -> int:
    """About ``len(str(value))`` for plain data, counted only until it passes *limit*: a
    tuple may hold one long string a million times, and prints it a million times."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, bytes):
            total += 4 * len(item) + 3
        elif is_int(item):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, (list, tuple)):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, (dict, MappingProxyType)):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, Namespace):
            total += 16
            stack.append(getattr(item, "_Namespace__attrs", {}))
        else:
            total += 24 if isinstance(item, float) else 64
    return total


def _shape(value: Any, limit: int = MAX_OUTPUT) -> tuple[int, int]:
    """How many values *value* holds and how deep they nest, counted up to *limit*, level by level."""
    count = depth = 0
    level = [value]
    while level and count <= limit:
        depth += 1
        count += len(level)
        below: list[Any] = []
        for item in level:
            if isinstance(item, (list, tuple)):
                below.extend(item)
            elif isinstance(item, (dict, MappingProxyType)):
                below.extend(item.values())
            if count + len(below) > limit:
                return count + len(below), depth + 1
        level = below
    return count, depth


def _natural_size(value: Any, precision: int | None, kind: str) -> int:
    """About the length of *value* formatted with no width (``%s``, ``{:.3f}``...)."""
    if isinstance(value, str) or kind in ("s", "r", "a"):
        size = len(value) if isinstance(value, str) else text_size(value)
        if kind in ("r", "a"):
            size = 10 * size + 2  # repr() and ascii() may escape a character as \U0001xxxx
        return size if precision is None else min(size, precision)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return max(value.bit_length(), precision or 0) + 8  # %.9d pads to nine digits
    if isinstance(value, float):
        digits = 6 if precision is None else precision
        return digits + (320 if kind in ("f", "F", "%") else 16)  # "f" writes all 309 digits of 1e308
    return text_size(value)


def _field_size(value: Any, spec: str) -> int:
    """About the length of ``format(value, spec)``; a date's spec is a strftime pattern."""
    if isinstance(value, dt.date):
        return _strftime_size(spec) if spec else 10
    match = _SPEC.match(spec)
    if match is None:
        return len(spec)  # a spec Python refuses for any value
    width = _number(match["width"]) if match["width"] else 0
    precision = _number(match["precision"]) if match["precision"] else None
    return max(width, _natural_size(value, precision, match["kind"]))


def printf_size(text: str, values: Any) -> int:
    """About the length of ``text % values``, with widths and precisions written as digits
    or taken from *values* by ``*``."""
    positional = values if type(values) is tuple else (values,)
    mapping = values if isinstance(values, Mapping) else None
    taken = 0
    total = len(text)
    for match in _PRINTF.finditer(text):
        if match["kind"] == "%":
            continue
        sizes: list[Any] = []
        for written in (match["width"], match["precision"]):
            if written == "*":
                if taken >= len(positional):
                    return total  # Python refuses the format itself
                sizes.append(positional[taken])
                taken += 1
            else:
                sizes.append(_number(written) if written else (0 if written == "" else None))
        width, precision = sizes
        if match["key"] is not None and mapping is not None:
            value = mapping.get(match["key"])
        elif taken < len(positional):
            value = positional[taken]
            taken += 1
        else:
            return total
        if not (width is None or is_int(width)) or not (precision is None or is_int(precision)):
            return total
        total += max(
            abs(width or 0), _natural_size(value, max(precision, 0) if precision is not None else None, match["kind"])
        )
        if total > MAX_OUTPUT:
            break
    return total


def _strftime_size(pattern: str) -> int:
    """About the length of ``date.strftime(pattern)``: the C library pads a field to any
    width written in it (``%10000Y``)."""
    total = len(pattern)
    for match in _STRFTIME.finditer(pattern):
        total += max(_number(match[1]) if match[1] else 0, _LONGEST_DATE_FIELD)
        if total > MAX_OUTPUT:
            break
    return total


class MeasuredFormatter(SandboxedFormatter):
    """Jinja's sandboxed ``str.format``, which measures each field (with its nested widths
    filled in: ``"{:>{w}}"``) before formatting it."""

    size = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:  # {!r}: repr() may escape a character as \U0001xxxx
            refuse_over(text_size(value) * (10 if conversion in ("r", "a") else 1))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.size += _field_size(value, format_spec)
        refuse_over(self.size)
        return super().format_field(value, format_spec)


class MeasuredEscapeFormatter(MeasuredFormatter, SandboxedEscapeFormatter):
    """The same, for ``Markup.format``."""


# Filters, by their function's name: the size of what they build, from their arguments.


def _format_estimate(a: dict[str, Any]) -> int:
    value = a["value"]
    if not isinstance(value, str):
        return text_size(value)
    return printf_size(value, a.get("kwargs") or a.get("args", ()))


def _tojson_estimate(a: dict[str, Any]) -> int:
    size = text_size(a["value"])
    indent = a.get("indent")
    if indent is None or size > MAX_OUTPUT:
        return size
    width = indent if is_int(indent) else len(str(indent))
    count, depth = _shape(a["value"])
    return size + count * (1 + depth * max(width, 0))  # one line per value, indented by its depth


def _pprint_estimate(a: dict[str, Any]) -> int:
    size = text_size(a["value"])
    if size > MAX_OUTPUT:
        return size
    count, depth = _shape(a["value"])
    return size + count * (depth + 1)  # one line per value, indented by its depth


def _batch_estimate(a: dict[str, Any]) -> int:
    # A list per batch, made in a loop no step counts; the last filled up to linecount in one step.
    linecount, value = a.get("linecount"), a.get("value")
    if not is_int(linecount) or linecount < 1:
        return 0
    batches = -(-len(value) // linecount) if isinstance(value, Sized) else 0
    return batches * _LIST_WEIGHT + (linecount if a.get("fill_with") is not None else 0)


def _slice_estimate(a: dict[str, Any]) -> int:
    # Every slice is a list, made in a loop no step counts.
    slices = a.get("slices")
    return slices * _LIST_WEIGHT if is_int(slices) else 0


def _wordwrap_estimate(a: dict[str, Any]) -> int:
    text, width, wrap = a.get("s"), a.get("width", 79), a.get("wrapstring")
    if not isinstance(text, str) or not is_int(width):
        return 0
    lines = len(text) // max(width, 1) + text.count(" ") + text.count("\n") + 1
    return len(text) + lines * (len(wrap) if isinstance(wrap, str) else 2)


def _indent_estimate(a: dict[str, Any]) -> int:
    text, width = a.get("s"), a.get("width", 4)
    if not isinstance(text, str) or not isinstance(width, str):
        return 0  # a number of spaces: refuse_growth
    return len(text) + (text.count("\n") + 1) * len(width)


def _urlize_estimate(a: dict[str, Any]) -> int:
    text = a.get("value")
    if not isinstance(text, str):
        return 0
    extra = sum(len(v) for v in (a.get("target"), a.get("rel")) if isinstance(v, str))
    words = text.count(" ") + text.count("\n") + 1
    return 3 * len(text) + words * (extra + 64)  # each word may become <a href="..." ...>word</a>


FILTER_ESTIMATES: dict[str, Callable[[dict[str, Any]], int]] = {
    "do_format": _format_estimate,
    "do_tojson": _tojson_estimate,
    "do_pprint": _pprint_estimate,
    "do_batch": _batch_estimate,
    "do_slice": _slice_estimate,
    "do_wordwrap": _wordwrap_estimate,
    "do_indent": _indent_estimate,
    "do_urlize": _urlize_estimate,
}

# Filters that turn a value that is not a string into text first (``tuple|upper``).
_TEXT_FILTERS = frozenset(  # the names, one per line, would take twenty
    "soft_str escape do_forceescape do_mark_safe do_upper do_lower do_title do_capitalize do_trim do_striptags"  # noqa: SIM905
    " do_truncate do_replace do_center do_indent do_wordwrap do_wordcount do_urlize do_urlencode do_reverse"
    " do_xmlattr".split()
)

# Methods and filters whose number argument is the size of what they make.
_WIDTHS = {"zfill", "ljust", "rjust", "center", "do_center", "indent", "do_indent", "wordwrap", "do_wordwrap"}


def refuse_growth(name: str, subject: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Refuse, before it runs, a call whose result would be too big to check afterwards: a
    width, a count or a repetition that multiplies a string past the limit (``"x".zfill(3e9)``
    would allocate gigabytes before its size could be looked at)."""
    numbers = [v for v in (*args, *kwargs.values()) if is_int(v)]
    estimate = max(numbers, default=0) if name in _WIDTHS else 0
    if name in _TEXT_FILTERS and not isinstance(subject, str):
        estimate = max(estimate, text_size(subject))
    if name == "generate_lorem_ipsum":  # lipsum(n, html, min, max): n paragraphs of up to max words
        paragraphs = args[0] if args and isinstance(args[0], int) else kwargs.get("n", 5)
        words = max([v for v in (*args[1:], kwargs.get("min"), kwargs.get("max")) if isinstance(v, int)] + [100])
        estimate = paragraphs * words * 12 if isinstance(paragraphs, int) else 0
    if isinstance(subject, str):
        if name == "expandtabs":
            estimate = len(subject) + subject.count("\t") * max(numbers, default=8)
        elif name in ("indent", "do_indent"):
            estimate = len(subject) + (subject.count("\n") + 1) * max(numbers, default=4)
        elif name in ("replace", "do_replace") and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
            old, new = args[0], args[1]
            estimate = len(subject) + (subject.count(old) if old else len(subject) + 1) * max(0, len(new) - len(old))
        elif name in ("join", "do_join") and args and isinstance(args[0], list | tuple):
            parts = args[0]
            estimate = sum(text_size(p) for p in parts) + len(subject) * len(parts)
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            estimate = len(subject) * max(longest, 1)
    elif name in ("join", "do_join", "sync_do_join") and isinstance(subject, list | tuple):
        sep = args[0] if args and isinstance(args[0], str) else ""
        estimate = sum(text_size(p) for p in subject) + len(sep) * len(subject)
    elif name == "to_bytes" and is_int(subject):  # (1).to_bytes(10**9): a billion bytes
        length = args[0] if args else kwargs.get("length", 1)
        estimate = length if is_int(length) else 0
    elif name == "strftime" and isinstance(subject, dt.date) and args and isinstance(args[0], str):
        estimate = _strftime_size(args[0])
    refuse_over(estimate)


@jinja2.pass_environment
def bounded_sum(
    environment: jinja2.Environment, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0
) -> Any:
    """Jinja's ``sum`` filter, one addition at a time: each is a step and each partial sum is
    measured (a sum of lists copies them all at every addition)."""
    budget = environment.budget  # type: ignore[attr-defined]  # BriefSandbox's
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    total = start
    built = 0
    for item in iterable:
        budget.step()
        total = budget.sized(total + item)
        if isinstance(total, SEQUENCES):
            built += len(total)
            if built > MAX_PRODUCED:
                raise TemplateRefused(
                    f"a sum builds over {MAX_PRODUCED // 1024 // 1024} MB of lists or text, one copy at a time",
                    hint="sum numbers; join text with |join",
                )
    return total


def measured_format(env: jinja2.Environment, value: Any) -> Callable[..., str] | None:
    """*value* if it is a string's ``format`` or ``format_map``, wrapped as Jinja's sandbox
    wraps it (``wrap_str_format``) but with a :class:`MeasuredFormatter`; else None."""
    if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        return None
    text = value.__self__
    if value.__name__ not in ("format", "format_map") or not isinstance(text, str):
        return None
    formatter: MeasuredFormatter = (
        MeasuredEscapeFormatter(env, escape=text.escape) if isinstance(text, Markup) else MeasuredFormatter(env)
    )
    kind = type(text)
    is_map = value.__name__ == "format_map"

    def wrapper(*args: Any, **kwargs: Any) -> str:
        formatter.size = len(text)
        if not is_map:
            return kind(formatter.vformat(text, args, kwargs))
        if kwargs or len(args) != 1:
            raise TypeError("format_map() takes exactly one argument")
        return kind(formatter.vformat(text, (), args[0]))

    return wrapper
