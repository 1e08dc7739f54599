"""What an untrusted template can see and do.

Templates (the workspace's and a ``--templates`` overlay's) are untrusted. They see only
inert data: strings, numbers, booleans, None, dates, read-only mappings and tuples of
those, :class:`~markupsafe.Markup`, and the functions we hand them (:class:`TemplateFunction`).
:func:`inert` turns the render context into that form in one place, and refuses anything
else; :class:`BriefSandbox` refuses every attribute of any other type, so an object that
slips through (a path, a model with methods) still gives a template nothing to call.

The sandbox also bounds a render's work: loop iterations, calls and attribute lookups are
counted and a wall-clock deadline is checked as they happen; every string a template
builds, and its output, is capped in size; calls may nest only so deep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import math
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import CodeType, MappingProxyType
from typing import Any, TypeGuard

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import TemplateSyntaxError
from jinja2.filters import make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup
from pydantic import BaseModel

# Limits on one render (one brief for one audience: its sections and layout).
MAX_SECONDS = 20.0
MAX_STEPS = 5_000_000  # loop iterations, calls and attribute lookups
MAX_DEPTH = 60  # nested calls (macros calling macros)
MAX_NESTING = 100  # levels of a template's syntax tree: brackets, operators, tags in tags
MAX_OUTPUT = 5 * 1024 * 1024  # characters: one template's output, and any one string it builds
MAX_PRODUCED = 50 * 1024 * 1024  # characters written by {{ }}, loops and ~, all templates together

_SCALARS = (str, Markup, int, float, bool, type(None))


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


class TemplateFunction:
    """One of our functions (``fig``, ``chart``, ``cite``...) as a template sees it: it can
    be called, and has no attributes a template may read."""

    __slots__ = ("_function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<function {getattr(self._function, '__name__', '?')}>"


def inert(value: Any) -> Any:
    """*value* as plain data a template may hold: models and dataclasses become read-only
    mappings of their fields, lists become tuples, a datetime its ISO text. Anything else
    (a path, a function, an object with methods) raises TypeError."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dt.date:
        return value  # immutable; a template may read year, month, day and format it
    if kind is dt.datetime:
        return value.isoformat()
    if kind is TemplateFunction:
        return value
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        fields.update(value.model_extra or {})
        return MappingProxyType({_key(k): inert(v) for k, v in fields.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return MappingProxyType(
            {f.name: inert(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")}
        )
    if isinstance(value, Mapping):
        return MappingProxyType({_key(k): inert(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(inert(v) for v in value)
    raise TypeError(f"a {kind.__name__} cannot be given to a template: only plain data")


def _key(key: Any) -> str:
    if type(key) is not str:
        raise TypeError(f"a mapping key {key!r} given to a template is not a string")
    return key


# --- the sandbox ------------------------------------------------------------------------

# Types whose public attributes a template may use: immutable values, and Jinja's own
# helpers (loop, macros, namespace(), cycler(), joiner()). Lists and dicts are those a
# template builds itself; the immutable sandbox refuses their mutating methods.
_OPEN_TYPES = (
    str,
    Markup,
    int,
    float,
    bool,
    tuple,
    list,
    dict,
    MappingProxyType,
    LoopContext,
    Macro,
    Namespace,
    Cycler,
    Joiner,
    Undefined,
    TemplateReference,
    BlockReference,
    TemplateModule,
)
_DATE_ATTRIBUTES = frozenset({"year", "month", "day", "isoformat", "strftime", "weekday", "isoweekday"})


class Budget:
    """The work one render may still do; every check raises TemplateRefused."""

    def __init__(self) -> None:
        self.deadline = math.inf
        self.steps = 0
        self.produced = 0
        self.depth = 0

    def start(self) -> None:
        """Start the clock and the counts (once per render of a brief)."""
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = self.produced = self.depth = 0

    def step(self, weight: int = 0) -> None:
        """Count one step, and *weight* characters written."""
        self.steps += 1
        if weight:
            self.produce(weight)
        if not self.steps & 63:
            if self.steps > MAX_STEPS:
                raise TemplateRefused(
                    f"the templates take over {MAX_STEPS:,} steps to render",
                    hint="a loop runs too often: loop over the data, not over large ranges",
                )
            if time.monotonic() > self.deadline:
                raise TemplateRefused(
                    f"the templates take over {MAX_SECONDS:g} s to render",
                    hint="a loop runs too long: loop over the data, not over large ranges",
                )

    def on_time(self) -> None:
        """Refuse to go on past the deadline (checked at every call, since one call may be slow)."""
        if time.monotonic() > self.deadline:
            raise TemplateRefused(
                f"the templates take over {MAX_SECONDS:g} s to render",
                hint="a loop runs too long: loop over the data, not over large ranges",
            )

    def produce(self, size: int) -> None:
        """Count *size* characters written by a template."""
        self.produced += size
        if self.produced > MAX_PRODUCED:
            raise TemplateRefused(
                f"the templates write over {MAX_PRODUCED // 1024 // 1024} MB of text",
                hint="a loop or macro writes too much: a brief is a few pages",
            )

    def sized(self, value: Any) -> Any:
        """*value*, if it is not a string or collection over the size limit."""
        if isinstance(value, (str, bytes, list, tuple, dict)) and len(value) > MAX_OUTPUT:
            raise TemplateRefused(
                f"a template builds a value of over {MAX_OUTPUT // 1024 // 1024} MB",
                hint="a brief is a few pages: build less text",
            )
        return value


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # a ~ b: the pieces are measured before they are joined (as Jinja joins them).
        self.write("environment.concatenated((")
        for piece in node.nodes:
            self.visit(piece, frame)
            self.write(", ")
        if frame.eval_ctx.volatile:
            self.write("), (markup_join if context.eval_ctx.volatile else str_join))")
        else:
            self.write(f"), {'markup_join' if frame.eval_ctx.autoescape else 'str_join'})")


def _literal_size(node: nodes.Node) -> int:
    return sum(len(data.data) for data in node.find_all(nodes.TemplateData))


class BriefSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, opened only to plain data, and bounded in time and size."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, finalize=self._written, **kwargs)
        self.budget = Budget()
        self.globals["range"] = self._range
        self.filters["sum"] = _sum
        self.filters = {name: self._bounded_filter(f) for name, f in self.filters.items()}
        self.filters["brief_steps"] = self._steps

    # What a template may touch.

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if type(obj) is dt.date:
            return attr in _DATE_ATTRIBUTES
        return isinstance(obj, _OPEN_TYPES)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.step()
        if type(obj) is TemplateFunction or attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        if type(obj) is MappingProxyType:
            # Our data: a field, never a method of the mapping.
            if attribute in obj:
                return obj[attribute]
            if attribute not in ("items", "keys", "values", "get"):
                fields = ", ".join(sorted(obj)) or "none"
                return self.undefined(
                    f"this object has no attribute {attribute!r} (it has: {fields})", obj=obj, name=attribute
                )
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.step()
        return super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = __self.budget
        budget.step()
        budget.on_time()
        if budget.depth >= MAX_DEPTH:
            raise TemplateRefused(f"calls nest over {MAX_DEPTH} deep", hint="a macro calls itself without end?")
        _refuse_growth(getattr(__obj, "__name__", ""), getattr(__obj, "__self__", None), args, kwargs)
        budget.depth += 1
        try:
            return budget.sized(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    # Bounds on work and size.

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(right) * max(abs(left), 2).bit_length() > 100_000
        ):
            raise TemplateRefused("a number too large to compute", hint="templates print numbers with fig()")
        if operator == "*":
            count, seq = (right, left) if isinstance(left, _SEQUENCES) else (left, right)
            if isinstance(seq, _SEQUENCES) and isinstance(count, int):
                _refuse_over(len(seq) * count)
            elif _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_BITS:
                raise TemplateRefused("a number too large to compute", hint="templates print numbers with fig()")
        if operator == "%" and isinstance(left, str):
            _refuse_over(_printf_size(left, right))
        return self.budget.sized(super().call_binop(context, operator, left, right))

    def concatenated(self, pieces: tuple[Any, ...], join: Callable[[Iterable[Any]], str]) -> str:
        """``a ~ b ~ c``: the pieces are measured before they are joined."""
        _refuse_over(sum(_text_size(piece) for piece in pieces))
        value = join(pieces)
        self.budget.produce(len(value))
        return self.budget.sized(value)  # type: ignore[no-any-return]

    def _written(self, value: Any) -> Any:
        # Every {{ value }} a template writes; anything but a string is measured before it
        # becomes text (a tuple of one long string, a million times over, prints it a million times).
        if isinstance(value, str):
            self.budget.produce(len(value))
            self.budget.sized(value)
        else:
            _refuse_over(_text_size(value))
        return value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # str.format and format_map, wrapped as Jinja's sandbox wraps them, with a formatter
        # that measures each field (its width, precision and value) before formatting it.
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
            return None
        text = value.__self__
        if value.__name__ not in ("format", "format_map") or not isinstance(text, str):
            return None
        formatter: _MeasuredFormatter = (
            _MeasuredEscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else _MeasuredFormatter(self)
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

    def _range(self, *args: int) -> range:
        self.budget.step()
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateRefused(
                f"range() of {len(numbers):,} numbers, over the limit of {MAX_RANGE:,}",
                hint="loop over the data, not over large ranges",
            )
        return numbers

    def _steps(self, iterable: Iterable[Any], weight: int = 0) -> Iterator[Any]:
        budget = self.budget
        for item in iterable:
            budget.step(weight)
            yield item

    def _bounded_filter(self, function: Callable[..., Any]) -> Callable[..., Any]:
        env = self
        name = getattr(function, "__name__", "")
        estimate = _FILTER_ESTIMATES.get(name)
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        if parameters and parameters[0].name in ("environment", "env", "eval_ctx", "context"):
            signature = signature.replace(parameters=parameters[1:])  # Jinja passes it; we drop it

        def bounded(*args: Any, **kwargs: Any) -> Any:
            env.budget.step()
            env.budget.on_time()
            values = [a for a in args if not isinstance(a, (EvalContext, jinja2.Environment, Context))]
            _refuse_growth(name, values[0] if values else None, values[1:], kwargs)
            if estimate is not None:
                try:
                    arguments = signature.bind(*values, **kwargs).arguments
                except TypeError:
                    pass  # the filter itself says what is wrong with its arguments
                else:
                    _refuse_over(estimate(arguments))
            return env.budget.sized(function(*args, **kwargs))

        bounded.__name__ = getattr(function, "__name__", "filter")
        if hasattr(function, "jinja_pass_arg"):
            bounded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
        return bounded

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Jinja's parser and compiler recurse once per level of nesting: deep nesting is a
        # syntax error at its line, before it can exhaust Python's stack.
        parser = Parser(self, source, name, filename)
        try:
            tree = parser.parse()
        except RecursionError:
            raise TemplateSyntaxError(_TOO_DEEP, parser.stream.current.lineno, name, filename) from None
        deepest = _deeper_than(tree, MAX_NESTING)
        if deepest is not None:
            raise TemplateSyntaxError(_TOO_DEEP, deepest.lineno, name, filename)
        # Each loop counts its iterations, and the literal text each one writes.
        for loop in tree.find_all(nodes.For):
            weight = sum(_literal_size(child) for child in loop.body)
            loop.iter = nodes.Filter(
                loop.iter, "brief_steps", [nodes.Const(weight)], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def _compile(self, source: str, filename: str) -> CodeType:
        # Python's compiler has limits of its own (20 nested loops, 100 levels of indentation):
        # past them, a syntax error at the template's line, not a Python traceback.
        try:
            return super()._compile(source, filename)
        except (SyntaxError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or 0
            found = _DEBUG_INFO.search(source)  # template line = Python line, as Jinja writes them
            pairs = [tuple(map(int, pair.split("="))) for pair in found.group(1).split("&") if pair] if found else []
            template_line = max(((py, t) for t, py in pairs if py <= line), default=(0, 1))[1]
            reason = f"tags nested too deeply ({exc.msg})" if isinstance(exc, SyntaxError) else _TOO_DEEP
            raise TemplateSyntaxError(reason, template_line, None, filename) from None


_DEBUG_INFO = re.compile(r"^debug_info = '([\d=&]*)'$", re.M)
_TOO_DEEP = f"expressions or tags nested over {MAX_NESTING} levels deep"


def _deeper_than(tree: nodes.Node, limit: int) -> nodes.Node | None:
    """The first node of *tree* more than *limit* levels deep, or None; a walk with a stack
    of its own (``1 + 1 + ...`` is a tree as deep as it is long)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return None


# --- estimates ----------------------------------------------------------------------------
# Every call whose result grows with an argument (a width, a count, a fill, an indent, a
# repetition) is estimated from its arguments before it runs: it would allocate gigabytes
# before its result could be measured. A call whose result is at most a few times the size of
# its input (upper(), escape, sort) needs no estimate, since every input is itself capped.

MAX_BITS = 100_000  # the size of a number a template may compute (about 30,000 digits)
_SEQUENCES = (str, bytes, list, tuple)
_LIST_WEIGHT = 56  # a list a filter makes weighs as much as this many characters (its bytes)
_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?(?P<kind>[bcdeEfFgGnosxX%]?)\Z", re.S
)
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>.)", re.S
)
_STRFTIME = re.compile(r"%[-_0^#+]*(\d*)[EO]?(.)", re.S)
_LONGEST_DATE_FIELD = 64  # %c, a month's or weekday's name, in any locale


def _refuse_over(estimate: int) -> None:
    if estimate > MAX_OUTPUT:
        raise TemplateRefused(
            f"a template builds a value of over {MAX_OUTPUT // 1024 // 1024} MB",
            hint="a brief is a few pages: build less text",
        )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(digits: str) -> int:
    # Python refuses int() of over 4,300 digits; any width that long is past every limit.
    return int(digits) if len(digits) <= 18 else 10**18


def _text_size(value: Any, limit: int = MAX_OUTPUT) -> int:
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
        elif _is_int(item):
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
    """How many values *value* holds and how deeply they nest, counted up to *limit* values
    (level by level, so that each level is gathered at C speed)."""
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
        size = len(value) if isinstance(value, str) else _text_size(value)
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
    return _text_size(value)


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


def _printf_size(text: str, values: Any) -> int:
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
        if not (width is None or _is_int(width)) or not (precision is None or _is_int(precision)):
            return total
        total += max(
            abs(width or 0), _natural_size(value, max(precision, 0) if precision is not None else None, match["kind"])
        )
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


class _MeasuredFormatter(SandboxedFormatter):
    """Jinja's sandboxed ``str.format``, which measures each field (with its nested widths
    filled in: ``"{:>{w}}"``) before formatting it."""

    size = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.size += _field_size(value, format_spec)
        _refuse_over(self.size)
        return super().format_field(value, format_spec)


class _MeasuredEscapeFormatter(_MeasuredFormatter, SandboxedEscapeFormatter):
    """The same, for ``Markup.format``."""


# Filters, by their function's name: the size of what they build, from their arguments.


def _format_estimate(a: dict[str, Any]) -> int:
    value = a["value"]
    if not isinstance(value, str):
        return _text_size(value)
    return _printf_size(value, a.get("kwargs") or a.get("args", ()))


def _tojson_estimate(a: dict[str, Any]) -> int:
    size = _text_size(a["value"])
    indent = a.get("indent")
    if indent is None or size > MAX_OUTPUT:
        return size
    width = indent if _is_int(indent) else len(str(indent))
    count, depth = _shape(a["value"])
    return size + count * (1 + depth * max(width, 0))  # one line per value, indented by its depth


def _pprint_estimate(a: dict[str, Any]) -> int:
    size = _text_size(a["value"])
    if size > MAX_OUTPUT:
        return size
    count, depth = _shape(a["value"])
    return size + count * (depth + 1)  # one line per value, indented by its depth


def _batch_estimate(a: dict[str, Any]) -> int:
    # The last batch is filled up to linecount items in one step.
    linecount = a.get("linecount")
    return linecount if _is_int(linecount) and a.get("fill_with") is not None else 0


def _slice_estimate(a: dict[str, Any]) -> int:
    # Every slice is a list, made in a loop no step counts.
    slices = a.get("slices")
    return slices * _LIST_WEIGHT if _is_int(slices) else 0


def _wordwrap_estimate(a: dict[str, Any]) -> int:
    text, width, wrap = a.get("s"), a.get("width", 79), a.get("wrapstring")
    if not isinstance(text, str) or not _is_int(width):
        return 0
    lines = len(text) // max(width, 1) + text.count(" ") + text.count("\n") + 1
    return len(text) + lines * (len(wrap) if isinstance(wrap, str) else 2)


def _indent_estimate(a: dict[str, Any]) -> int:
    text, width = a.get("s"), a.get("width", 4)
    if not isinstance(text, str) or not isinstance(width, str):
        return 0  # a number of spaces: _refuse_growth
    return len(text) + (text.count("\n") + 1) * len(width)


def _urlize_estimate(a: dict[str, Any]) -> int:
    text = a.get("value")
    if not isinstance(text, str):
        return 0
    extra = sum(len(v) for v in (a.get("target"), a.get("rel")) if isinstance(v, str))
    words = text.count(" ") + text.count("\n") + 1
    return 3 * len(text) + words * (extra + 64)  # each word may become <a href="..." ...>word</a>


_FILTER_ESTIMATES: dict[str, Callable[[dict[str, Any]], int]] = {
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
_TEXT_FILTERS = {
    "soft_str",
    "escape",
    "do_forceescape",
    "do_mark_safe",
    "do_upper",
    "do_lower",
    "do_title",
    "do_capitalize",
    "do_trim",
    "do_striptags",
    "do_truncate",
    "do_replace",
    "do_center",
    "do_indent",
    "do_wordwrap",
    "do_wordcount",
    "do_urlize",
    "do_urlencode",
    "do_reverse",
    "do_xmlattr",
}

# Methods and filters whose number argument is the size of what they make.
_WIDTHS = {"zfill", "ljust", "rjust", "center", "do_center", "indent", "do_indent", "wordwrap", "do_wordwrap"}


def _refuse_growth(name: str, subject: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Refuse, before it runs, a call whose result would be too big to check afterwards: a
    width, a count or a repetition that multiplies a string past the limit (``"x".zfill(3e9)``
    would allocate gigabytes before its size could be looked at)."""
    numbers = [v for v in (*args, *kwargs.values()) if _is_int(v)]
    estimate = max(numbers, default=0) if name in _WIDTHS else 0
    if name in _TEXT_FILTERS and not isinstance(subject, str):
        estimate = max(estimate, _text_size(subject))
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
            estimate = sum(_text_size(p) for p in parts) + len(subject) * len(parts)
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            estimate = len(subject) * max(longest, 1)
    elif name in ("join", "do_join", "sync_do_join") and isinstance(subject, list | tuple):
        sep = args[0] if args and isinstance(args[0], str) else ""
        estimate = sum(_text_size(p) for p in subject) + len(sep) * len(subject)
    elif name == "to_bytes" and _is_int(subject):  # (1).to_bytes(10**9): a billion bytes
        length = args[0] if args else kwargs.get("length", 1)
        estimate = length if _is_int(length) else 0
    elif name == "strftime" and isinstance(subject, dt.date) and args and isinstance(args[0], str):
        estimate = _strftime_size(args[0])
    _refuse_over(estimate)


@jinja2.pass_environment
def _sum(
    environment: jinja2.Environment, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0
) -> Any:
    """Jinja's ``sum`` filter, one addition at a time: each is a step and each partial sum is
    measured (a sum of lists copies them all at every addition)."""
    budget: Budget = environment.budget  # type: ignore[attr-defined]
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    total = start
    built = 0
    for item in iterable:
        budget.step()
        total = budget.sized(total + item)
        if isinstance(total, _SEQUENCES):
            built += len(total)
            if built > MAX_PRODUCED:
                raise TemplateRefused(
                    f"a sum builds over {MAX_PRODUCED // 1024 // 1024} MB of lists or text, one copy at a time",
                    hint="sum numbers; join text with |join",
                )
    return total
