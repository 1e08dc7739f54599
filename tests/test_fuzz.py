"""Fuzzing: arbitrary YAML, CSV and Markdown reach the loaders and renderers; the only outcomes
allowed are a valid result or one of our own errors (never a bare exception).

The slow tier runs a few thousand examples in all (counts in each test's settings).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from brief.errors import BriefError
from brief.pipeline.check import hand_typed_numbers
from brief.pipeline.notemarks import marks_to_sentence_ends as _marks_to_sentence_ends
from brief.pipeline.render import _markdown
from brief.workspace.load import load_workspace
from brief.workspace.tables import read_figures_csv
from helpers import examples as scaled

pytestmark = pytest.mark.slow

SOURCES = "- id: src\n  type: report\n  title: A report\n  issued: 2025\n"
FIELDS = [
    "id",
    "label",
    "value",
    "unit",
    "as_of",
    "source",
    "locator",
    "note",
    "decimals",
    "derive",
    "quantity",
    "preferred",
    "claimed_by",
    "surprise",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["pp", "percent", "count", "2024", "src", "x", "2024-13"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
figure_like = st.dictionaries(st.sampled_from(FIELDS), values, max_size=10)


def fuzz(examples: int) -> settings:
    """Settings for one fuzz test: *examples* runs, no per-example deadline, no saved database."""
    return settings(
        max_examples=scaled(examples),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _workspace(figures: bytes | str, name: str = "f.yaml") -> Path:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    (root / "briefs").mkdir()
    (root / "data" / "figures").mkdir(parents=True)
    (root / "data" / "sources.yaml").write_text(SOURCES)
    path = root / "data" / "figures" / name
    if isinstance(figures, bytes):
        path.write_bytes(figures)
    else:
        path.write_text(figures, encoding="utf-8", errors="surrogatepass")
    return root


def _load_only_our_errors(root: Path) -> None:
    try:
        ws = load_workspace(root, collect=True)
        assert all(isinstance(p, BriefError) and p.path is not None for p in ws.problems)
        with contextlib.suppress(BriefError):
            load_workspace(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@fuzz(1500)
@given(st.text(max_size=300))
def test_arbitrary_text_as_a_figures_file(text: str) -> None:
    """Any text in a figures file is loaded or reported as our error, with the file named."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # not writable as a file's text (lone surrogates): the bytes test covers it
    _load_only_our_errors(_workspace(text))


@fuzz(800)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_as_a_figures_file(data: bytes) -> None:
    """Any bytes (binary, invalid UTF-8) in a figures file give our error or a load."""
    _load_only_our_errors(_workspace(data))


@fuzz(1500)
@given(st.lists(figure_like, max_size=4))
def test_arbitrary_structures_as_figures(entries: list[dict[str, object]]) -> None:
    """Well-formed YAML with any keys and values is validated into figures or our errors."""
    import io

    buffer = io.StringIO()
    try:
        YAML(typ="safe", pure=True).dump(entries, buffer)
    except Exception:
        return
    _load_only_our_errors(_workspace(buffer.getvalue()))


@fuzz(1000)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_arbitrary_csv(text: str) -> None:
    """Any CSV text gives figures (each a valid model) or our errors, never another exception."""
    root = _workspace(text, "f.csv")
    try:
        _, problems = read_figures_csv(root / "data" / "figures" / "f.csv")
        assert all(isinstance(p, BriefError) and p.line is not None for p in problems)
    finally:
        _load_only_our_errors(root)


@fuzz(1000)
@given(st.text(max_size=400))
def test_arbitrary_markdown_and_note_marks(text: str) -> None:
    """Any narrative text renders through Markdown and note-mark placement, and the hand-typed
    number scan reports lines inside the text."""
    html = _marks_to_sentence_ends(_markdown().render(text + ' See.<a class="note-ref" href="#note-1">1</a>'))
    assert isinstance(html, str)
    lines = text.count("\n") + 1
    assert all(1 <= line <= lines for line, _ in hand_typed_numbers(text))


@st.composite
def alias_chains(draw: st.DrawFn) -> tuple[str, int]:
    """A figure entry whose fields alias each other in a chain; with the number of values
    the last alias expands to."""
    levels = draw(st.integers(min_value=1, max_value=10))
    width = draw(st.integers(min_value=1, max_value=12))
    leaf = draw(st.sampled_from(["lol", "1", "2024", "{a: b}", "[x, y]"]))
    lines = ["- id: chain", "  unit: count", f"  l0: &l0 [{', '.join([leaf] * width)}]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    lines.append(f"  label: *l{levels - 1}")
    return "\n".join(lines) + "\n", width**levels


@fuzz(150)
@given(alias_chains())
def test_alias_chains_are_bounded(case: tuple[str, int]) -> None:
    """Aliases that multiply are refused while parsing once they would expand past the bound;
    smaller ones load (or fail validation) as usual, and nothing else is raised."""
    text, expanded = case
    root = _workspace(text)
    try:
        ws = load_workspace(root, collect=True)
        refused = [p for p in ws.problems if "aliases expand" in p.message]
        if expanded > 200_000:  # leaves and containers together pass the bound well before
            assert refused and refused[0].line is not None
    finally:
        _load_only_our_errors(root)


@st.composite
def nestings(draw: st.DrawFn) -> tuple[str, int]:
    """A figure field nested *depth* levels deep, in flow or block style, lists or mappings."""
    depth = draw(st.integers(min_value=1, max_value=600))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block-map", "mixed"]))
    if style == "flow-list":
        value = " " + "[" * depth + "]" * depth
    elif style == "flow-map":
        value = " " + "{k: " * depth + "v" + "}" * depth
    elif style == "block-map":
        value = "\n" + "".join(f"{'  ' * (i + 2)}k:\n" for i in range(depth)) + "  " * (depth + 2) + "v"
    else:
        value = (
            " "
            + "".join("[" if i % 2 else "{k: " for i in range(depth))
            + "v"
            + "".join("]" if i % 2 else "}" for i in reversed(range(depth)))
        )
    return f"- id: deep\n  label: deep value\n  note:{value}\n", depth


@fuzz(150)
@given(nestings())
def test_deep_nesting_is_bounded(case: tuple[str, int]) -> None:
    """Nesting past the bound is one of our errors at a line of the file, never a RecursionError."""
    text, depth = case
    root = _workspace(text)
    try:
        ws = load_workspace(root, collect=True)
        if depth > 100:
            deep = [p for p in ws.problems if "nested" in p.message]
            assert deep and deep[0].line is not None and 1 <= deep[0].line <= text.count("\n"), ws.problems
    finally:
        _load_only_our_errors(root)


# --- templates: hostile Jinja is a result or one of our errors, never a crash or a hang ---

_TEMPLATE_PIECES = [
    "{{ brief.title }}",
    "{{ brief.title.__class__ }}",
    "{{ brief.date.today() }}",
    '{{ fig("widgets_alpha") }}',
    '{{ fig("no_such") }}',
    "{{ cite }}",
    "{{ brand.meta.name|upper }}",
    '{{ "x" * N }}',
    '{{ "x".zfill(N) }}',
    '{{ ("a\\t" * 9).expandtabs(N) }}',
    "{% for i in range(N) %}.{% endfor %}",
    "{% for i in range(N) %}{% for j in range(N) %}{% endfor %}{% endfor %}",
    "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "{{ 2 ** N }}",
    "{{ (N ~ '')|center(N) }}",
    '{{ "%s" % "x" }}',
    "{{ lipsum(N) }}",
    "{{ self }}",
    "{{ namespace(a=1) }}",
    "{% set x = [1] * N %}{{ x|length }}",
    "<script>x()</script>",
    '<img src="http://example.invalid/p.png" alt="">',
    "text with a mark[^1]",
    "{{ 1 / 0 }}",
    "{%",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(_TEMPLATE_PIECES), st.sampled_from([0, 3, 10**3, 10**7, 10**10])),
        min_size=1,
        max_size=4,
    )
)
def test_arbitrary_templates_render_or_fail_cleanly(
    mini_job: object, brand: object, pieces: list[tuple[str, int]]
) -> None:
    """Any mix of hostile template pieces renders (inside the limits) or raises one of our
    errors: never another exception, never unbounded work."""
    from brief.pipeline.render import render
    from brief.workspace.templates import TemplateSet
    from helpers import REPO

    text = "\n".join(piece.replace("N", str(n)) for piece, n in pieces)
    root = mini_job.root  # type: ignore[attr-defined]
    (root / "templates" / "policy" / "intro.md.j2").write_text(text + "\n", encoding="utf-8")
    with contextlib.suppress(BriefError):
        render(mini_job, {}, brand, TemplateSet(REPO / "templates", "policy", root / "templates"))  # type: ignore[arg-type]
