"""A Vega-Lite spec of one's own runs no expressions and makes no numbers (review round 3,
M8 and M9), and the chart engine's death under a memory limit is one error line (M7).

Each case writes the review's payload (or one of ours) into the spec file of the chart-kinds
workspace and expects one error naming that file and the payload's line.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from brief.pipeline.check import check
from helpers import add_shared_templates, copy_workspace

KINDS = Path(__file__).resolve().parent / "fixtures" / "kinds"
SPEC = Path("templates") / "charts" / "dots.vl.json"
# A catastrophic regular expression: backtracking doubles with each "a" (review case V03).
REDOS = 'test(regexp(\\"^(a+)+$\\"), \\"' + "a" * 40 + '!\\") ? 1 : 0'


@pytest.fixture
def kinds(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/kinds with the repository's layout, brand and fonts."""
    return add_shared_templates(copy_workspace(KINDS, tmp_path / "kinds"))


def _spec(*lines: str) -> str:
    """A spec of one's own whose payload line is line 3: the dots chart, with *lines* between
    its opening and its mark."""
    return "\n".join(
        [
            "{",
            '  "$schema": "https://vega.github.io/schema/vega-lite/v6.json",',
            *lines,
            '  "mark": {"type": "circle"},',
            '  "encoding": {"y": {"field": "label", "type": "nominal"},',
            '               "x": {"field": "value", "type": "quantitative"}}',
            "}",
        ]
    )


def _refusal(kinds: Path, text: str) -> tuple[str, int | None]:
    """The one error *text* as the spec file gives, with its line."""
    path = kinds / SPEC
    path.write_text(text, encoding="utf-8")
    [problem] = check(kinds).errors
    assert problem.path == path
    return problem.message, problem.line


EXPRESSIONS = {
    # The review's payloads (V03, V04): a catastrophic regexp, sequence() and pad().
    "redos": f'  "transform": [{{"calculate": "{REDOS}", "as": "r"}}],',
    "sequence": '  "transform": [{"calculate": "length(sequence(0, 200000000))", "as": "n"}],',
    "pad": '  "transform": [{"calculate": "length(pad(\\"x\\", 1000000000))", "as": "n"}],',
    # Ours: an expression where no transform is, in a parameter, a mark property, a label.
    "filter": '  "transform": [{"filter": "length(sequence(0, 200000000)) > 0"}],',
    "params": '  "params": [{"name": "n", "expr": "length(pad(\\"x\\", 1000000000))"}],',
    "mark-expr": '  "layer": [{"mark": {"type": "circle", "size": {"expr": "length(sequence(0, 2e8))"}}}],',
    "label-expr": '  "config": {"axis": {"labelExpr": "pad(datum.label, 1e9)"}},',
    "condition": '  "layer": [{"mark": "circle", "encoding": {"color": {"condition": {"test": "1"}}}}],',
}


@pytest.mark.parametrize("case", list(EXPRESSIONS))
def test_m8_vega_expressions_are_refused_at_their_line(kinds: Path, case: str) -> None:
    """Review M8 (V03, V04): a spec of one's own with a Vega expression (a catastrophic regexp
    held the build for minutes; sequence() and pad() took 1.6 GB and crashed V8) is refused
    before anything is drawn, at the expression's line, whatever key holds it."""
    message, line = _refusal(kinds, _spec(EXPRESSIONS[case]))
    assert message.startswith("refused: the spec has '") and line == 3
    assert "Vega expression" in message or "makes numbers" in message


def test_m8_every_expression_the_schema_allows_is_refused() -> None:
    """Review M8, at its root: every property the Vega-Lite schema types as an expression, an
    expression reference or a predicate, or that names a parameter, is a refused key (a new
    Vega-Lite version that adds one fails here)."""
    import altair

    from brief.workspace import vegalite

    schema_file = Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    definitions = json.loads(schema_file.read_text(encoding="utf-8"))["definitions"]
    targets = {f"#/definitions/{name}" for name in ("Expr", "PredicateComposition", "ParameterName")}
    # Most properties may be an expression reference, {"expr": "..."}: its one key is refused.
    assert set(definitions["ExprRef"]["properties"]) <= vegalite.EXPRESSION_KEYS

    def refs(node: object) -> set[str]:
        if isinstance(node, dict):
            return ({node["$ref"]} if "$ref" in node else set()).union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    found = {"params"}  # a spec's parameters: selections and expressions
    for kind, definition in definitions.items():
        if kind.endswith("Parameter"):  # a parameter's own properties: inside the refused "params"
            continue
        for name, prop in (definition.get("properties") or {}).items():
            described = prop.get("type") == "string" and "expression" in prop.get("description", "").lower()
            if refs(prop) & targets or described:
                found.add(name)
    # Formats written in config only (dropped: the theme's config replaces the spec's).
    config_only = {"numberFormatType", "normalizedNumberFormatType", "timeFormatType"}
    refused = vegalite.EXPRESSION_KEYS | vegalite.FORBIDDEN_KEYS
    assert found - config_only <= refused, found - config_only - refused


@pytest.mark.parametrize(
    "payload",
    [
        '  "layer": [{"mark": "circle", "encoding": {"x": {"axis": {"tickCount": 1000000}}}}],',
        '  "layer": [{"mark": "circle", "encoding": {"x": {"axis": {"tickCount": "millisecond"}}}}],',
        '  "layer": [{"mark": "circle", "encoding": {"x": {"scale": {"nice": 100000000}}}}],',
    ],
)
def test_m8_counts_the_engine_loops_over_are_bounded(kinds: Path, payload: str) -> None:
    """Review M8, a payload of ours with no expression: a tick count of a million ran vl-convert
    for 25 s to a V8 out-of-memory crash; counts are numbers up to 100."""
    message, line = _refusal(kinds, _spec(payload))
    assert "is not a number up to 100" in message and line == 3


VALUES = {
    # The review's payloads (V02): every bar ten times too long; a typed number printed.
    "tenfold": '  "transform": [{"calculate": "datum.value * 10", "as": "fake"}],',
    "typed-text": '  "transform": [{"calculate": "\\"4,290 billion\\"", "as": "fake"}],',
    # Ours: other ways of making numbers no figure holds.
    "fold": '  "transform": [{"fold": ["value"]}, {"window": [{"op": "sum", "field": "value", "as": "s"}]}],',
    "aggregate": '  "layer": [{"mark": "bar", "encoding": {"x": {"field": "value", "aggregate": "sum"}}}],',
    "bin": '  "layer": [{"mark": "bar", "encoding": {"x": {"field": "value", "bin": true}}}],',
    "normalize": '  "layer": [{"mark": "bar", "encoding": {"x": {"field": "value", "stack": "normalize"}}}],',
    "format": '  "layer": [{"mark": "text", "encoding": {"text": {"field": "value", "format": ".0%"}}}],',
    "number-text": '  "layer": [{"mark": {"type": "text", "text": 4290}}],',
    "number-value": '  "layer": [{"mark": "text", "encoding": {"text": {"value": 4290}}}],',
}


@pytest.mark.parametrize("case", list(VALUES))
def test_m9_a_spec_of_ones_own_makes_no_numbers(kinds: Path, case: str) -> None:
    """Review M9 (V02): a spec of one's own that computes values (calculate datum.value * 10
    into x drew every bar ten times too long; a calculated "4,290 billion" was printed) is
    refused at its line: a number the reader sees comes from a figure."""
    message, line = _refusal(kinds, _spec(VALUES[case]))
    assert message.startswith("refused: the spec ") and line == 3
    assert "makes numbers no figure holds" in message or "types a number" in message


def test_m9_the_review_payload_fails_the_build_with_one_line(kinds: Path, tmp_path: Path) -> None:
    """Review M9 (V02) as reported: `brief build` of a spec that scales the bars tenfold built
    with exit 0; now it fails with one line naming the spec file and its line."""
    (kinds / SPEC).write_text(_spec(VALUES["tenfold"]), encoding="utf-8")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "brief", "build", "kinds", "--audience", "policy"],
        cwd=kinds,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and not (kinds / "out" / "kinds-policy.pdf").exists()
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"{SPEC}:3: ") and "'transform'" in line


def test_the_documented_spec_of_ones_own_is_still_drawn(kinds: Path) -> None:
    """The spec of one's own in the docs and the fixtures (marks, fields, a nominal sort, a
    scale's domainMin, a mark's size) passes: the rule refuses computing, not drawing."""
    assert check(kinds).errors == []


def _build_under(kinds: Path, cache: Path, limit: int, size: int, workers: str = "1") -> list[str]:
    """The lines `brief build` writes to stderr, run with a cold chart cache under the
    resource limit *limit* of *size* bytes; it must fail."""

    def limited() -> None:  # runs in the child, before brief starts
        resource.setrlimit(limit, (size, size))

    env = {**os.environ, "BRIEF_CACHE_DIR": str(cache), "BRIEF_WORKERS": workers}
    done = subprocess.run(
        [sys.executable, "-m", "brief", "build", "kinds", "--audience", "policy"],
        cwd=kinds,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert not (kinds / "out" / "kinds-policy.pdf").exists()
    return done.stderr.strip().splitlines()


@pytest.mark.parametrize("workers", ["1", "0"])
def test_m7_a_build_under_ulimit_v_is_one_error_line(kinds: Path, tmp_path: Path, workers: str) -> None:
    """Review M7 (X07): under `ulimit -v` of 4 GB (RLIMIT_AS), a build with a chart to draw
    died with SIGTRAP (exit 133) and V8's C stack dump, twice (in its chart worker, then in
    process); now it fails with one line that says to limit memory with a cgroup, in a
    chart worker or not (BRIEF_WORKERS=0)."""
    [line] = _build_under(kinds, tmp_path / "cache", resource.RLIMIT_AS, 4 * 1024**3, workers)
    assert line.startswith("error: the chart engine cannot start under this memory limit (ulimit -v, 4.0 GB")
    assert "cgroup" in line and "MemoryMax" in line


def test_m7_a_chart_worker_that_dies_is_one_error_line(kinds: Path, tmp_path: Path) -> None:
    """Review M7, a payload of ours: a data-size limit (ulimit -d) of 450 MB lets brief run but
    kills V8 as it starts in the chart worker (SIGTRAP, a C stack dump). The build fails with
    one line naming the signal and V8's message, without drawing again in process (which
    died the same way) and without the dump."""
    [line] = _build_under(kinds, tmp_path / "cache", resource.RLIMIT_DATA, 450 * 1024**2)
    # V8 dies by SIGTRAP, or, when the reservation fails earlier, exits on its own: either way
    # one line with its own message.
    died = r"error: the chart engine (was killed by SIG[A-Z]+|stopped): Fatal process out of memory"
    assert re.match(died, line), line
    assert "cgroup" in line
