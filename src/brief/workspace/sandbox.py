"""What an untrusted template can see and do.

Templates (the workspace's and a ``--templates`` overlay's) are untrusted. They see only
inert data: strings, numbers, booleans, None, dates, read-only mappings and tuples of
those, :class:`~markupsafe.Markup`, and the functions we hand them (:class:`TemplateFunction`).
:func:`inert` turns the render context into that form in one place, and refuses anything
else; :class:`BriefSandbox` refuses every attribute of any other type, so an object that
slips through (a path, a model with methods) still gives a template nothing to call.

The sandbox also bounds a render's work: loop iterations, calls and lookups are counted and
a deadline is checked as they happen; strings and output are capped in size, and a call that
would build too much is refused before it runs (:mod:`~brief.workspace.bounds`); calls and
syntax nest only so deep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import CodeType, MappingProxyType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import TemplateSyntaxError
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup
from pydantic import BaseModel

from brief.workspace import bounds

# Limits on one render (one brief for one audience: its sections and layout).
MAX_SECONDS = 20.0
MAX_STEPS = 5_000_000  # loop iterations, calls and attribute lookups
MAX_DEPTH = 60  # nested calls (macros calling macros)
MAX_NESTING = 100  # levels of a template's syntax tree: brackets, operators, tags in tags
MAX_OUTPUT = bounds.MAX_OUTPUT  # characters: one template's output, and any one string it builds
MAX_PRODUCED = bounds.MAX_PRODUCED  # characters written by {{ }}, loops and ~, all templates together
TemplateRefused = bounds.TemplateRefused

_SCALARS = (str, Markup, int, float, bool, type(None))


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
        self.filters["sum"] = bounds.bounded_sum
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
        name = getattr(__obj, "__name__", "")
        args = bounds.materialised(args) if name == "join" else args
        bounds.refuse_growth(name, getattr(__obj, "__self__", None), args, kwargs)
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
            and abs(right) * max(abs(left), 2).bit_length() > bounds.MAX_BITS
        ):
            raise TemplateRefused("a number too large to compute", hint="templates print numbers with fig()")
        if operator == "*":
            count, seq = (right, left) if isinstance(left, bounds.SEQUENCES) else (left, right)
            if isinstance(seq, bounds.SEQUENCES) and isinstance(count, int):
                bounds.refuse_over(len(seq) * count)
            elif (
                bounds.is_int(left)
                and bounds.is_int(right)
                and left.bit_length() + right.bit_length() > bounds.MAX_BITS
            ):
                raise TemplateRefused("a number too large to compute", hint="templates print numbers with fig()")
        if operator == "%" and isinstance(left, str):
            bounds.refuse_over(bounds.printf_size(left, right))
        return self.budget.sized(super().call_binop(context, operator, left, right))

    def concatenated(self, pieces: tuple[Any, ...], join: Callable[[Iterable[Any]], str]) -> str:
        """``a ~ b ~ c``: the pieces are measured before they are joined."""
        bounds.refuse_over(sum(bounds.text_size(piece) for piece in pieces))
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
            bounds.refuse_over(bounds.text_size(value))
        return value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # str.format and format_map, with each field measured before it is formatted.
        return bounds.measured_format(self, value)

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
        estimate = bounds.FILTER_ESTIMATES.get(name)
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        if parameters and parameters[0].name in ("environment", "env", "eval_ctx", "context"):
            signature = signature.replace(parameters=parameters[1:])  # Jinja passes it; we drop it

        def bounded(*args: Any, **kwargs: Any) -> Any:
            env.budget.step()
            env.budget.on_time()
            args = bounds.materialised(args) if name == "do_join" else args
            values = [a for a in args if not isinstance(a, (EvalContext, jinja2.Environment, Context))]
            bounds.refuse_growth(name, values[0] if values else None, values[1:], kwargs)
            if estimate is not None:
                try:
                    arguments = signature.bind(*values, **kwargs).arguments
                except TypeError:
                    arguments = None  # the filter itself says what is wrong with its arguments
                bounds.refuse_over(estimate(arguments) if arguments is not None else 0)
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
