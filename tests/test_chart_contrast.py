"""What a reader of the charts sees: every colour a chart draws data in has 3:1 contrast with the
page and every chart text 4.5:1 (WCAG 2.x), measured in the SVGs the flagship exports; a brand
that cannot meet it is reported by ``brief check``; a series keeps one colour in every chart of
a brief and no colour stands for two series; the Arena scores are dots on an axis not at zero."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.charts import _vega_lite, plan_charts
from brief.workspace.brand import load_brand
from brief.workspace.load import load_workspace
from helpers import REPO, copy_workspace, job_for, line_number, replace_in

SVG = "{http://www.w3.org/2000/svg}"
NAMED = {"white": "#ffffff", "black": "#000000"}
# Axis furniture: the scale's lines, not data (WCAG 1.4.11 asks 3:1 of what carries meaning).
FURNITURE = ("role-axis-grid", "role-axis-domain", "role-axis-tick")


def _hex(colour: str) -> str | None:
    colour = NAMED.get(colour.strip().lower(), colour.strip().lower())
    if re.fullmatch(r"#[0-9a-f]{3}", colour):
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour if re.fullmatch(r"#[0-9a-f]{6}", colour) else None


def drawn_colours(svg: Path) -> list[tuple[str, str, str]]:
    """Every fill and stroke the SVG paints: (role of its Vega mark, "text" or "mark", hex)."""
    out = []

    def walk(node: ET.Element, role: str) -> None:
        cls = node.get("class", "")
        if "role-" in cls:
            role = next(part for part in cls.split() if part.startswith("role-"))
        what = "text" if node.tag == SVG + "text" else "mark"
        for attr in ("fill", "stroke"):
            colour = _hex(node.get(attr, "none"))
            if colour is not None and node.tag != SVG + "g":
                out.append((role, what, colour))
        for child in node:
            walk(child, role)

    walk(ET.parse(svg).getroot(), "")
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The technical edition's charts (all the flagship's), as `brief charts --format svg` writes them."""
    root = copy_workspace(REPO, tmp_path_factory.mktemp("contrast") / "ws")
    result = CliRunner().invoke(cli, ["-C", str(root), "charts", "-a", "technical", "--format", "svg"])
    assert result.exit_code == 0, result.output
    svgs = sorted((root / "out" / "charts").rglob("*.svg"))
    assert len(svgs) == 9
    return svgs


def test_flagship_chart_marks_and_text_meet_wcag_contrast(exported: list[Path]) -> None:
    """Data marks (bars, dots, lines, legend symbols) ≥ 3:1 and text ≥ 4.5:1 against the page."""
    from brief.model.contrast import MARK_MIN, TEXT_MIN, contrast

    page = "#ffffff"
    failures = []
    for svg in exported:
        background = _hex(ET.parse(svg).getroot()[0].get("fill", "white"))
        assert background == page
        for role, what, colour in drawn_colours(svg):
            if role in FURNITURE or not role or colour == page:  # the page itself; white separators
                continue
            need = TEXT_MIN if what == "text" else MARK_MIN
            if contrast(colour, page) < need:
                failures.append(f"{svg.name}: {role} {what} {colour} {contrast(colour, page):.2f}:1 < {need}")
    assert not failures, "\n".join(sorted(set(failures)))


def _series_colours() -> dict[str, set[str]]:
    """Every series the flagship's charts colour (in every edition), with each colour it is drawn in."""
    # Kinds with a colour legend: each mark is coloured for its series, not its label.
    by_series = ("stacked", "grouped", "dumbbell", "dot")
    ws = load_workspace(REPO)
    brand = load_brand(REPO / "templates")
    muted = brand.hex(brand.chart.muted)
    seen: dict[str, set[str]] = {}
    for audience in ws.briefs["us-china-ai-gap"].audiences:
        plan = plan_charts(job_for(ws, audience, brief="us-china-ai-gap"), brand, None)
        for drawing in plan.to_draw.values():
            for r in drawing.rows:
                # A chart with a colour legend colours its series; the others colour their labels.
                name = r["series"] if drawing.spec.kind in by_series else r["label"]
                if r["colour"] != muted:  # the muted grey means "the rest", never one series
                    seen.setdefault(name, set()).add(r["colour"])
    return seen


def test_a_series_keeps_one_colour_and_a_colour_means_one_series() -> None:
    seen = _series_colours()
    assert {"United States", "China", "End of 2023", "End of 2024"} <= set(seen)
    assert {name: colours for name, colours in seen.items() if len(colours) > 1} == {}
    by_colour: dict[str, set[str]] = {}
    for name, colours in seen.items():
        by_colour.setdefault(next(iter(colours)), set()).add(name)
    assert {c: names for c, names in by_colour.items() if len(names) > 1} == {}


def _layers(spec: dict) -> list[dict]:
    return [layer for layer in spec.get("layer", [spec]) for layer in layer.get("layer", [layer])]


@pytest.mark.parametrize("edition", ["policy", "executive", "technical"])
def test_arena_scores_are_dots_on_an_axis_not_at_zero(edition: str) -> None:
    """In every edition, as drawn and as pinned in the goldens."""
    ws = load_workspace(REPO)
    job = job_for(ws, edition, brief="us-china-ai-gap")
    plan = plan_charts(job, load_brand(REPO / "templates"), None)
    drawing = next(d for d in plan.to_draw.values() if d.chart_id == "arena_gap")
    drawn = drawing.vega_lite()
    _vega_lite(drawing.spec, drawing.rows, drawing.brand, drawn["width"], validate=True)  # Vega-Lite's schema
    golden = REPO / "tests" / "golden" / "us-china-ai-gap" / edition / "arena_gap.vl.json"
    spec = json.loads(golden.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(drawn)) == spec
    layers = _layers(spec)
    marks = {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers}
    assert "circle" in marks and "bar" not in marks
    values = [row["value"] for row in spec["data"]["values"]]
    low, high = next(layer["encoding"]["x"]["scale"]["domain"] for layer in layers if "x" in layer.get("encoding", {}))
    assert 0 < low < min(values) and high > max(values)
    assert high - low < max(values)  # padded around the data: far from a zero-based scale
    # Each value is printed beside its dot.
    texts = [layer for layer in layers if layer["mark"]["type"] == "text"]
    assert texts and all(layer["encoding"]["text"]["field"] == "short" for layer in texts)


def test_low_contrast_brand_warns_and_fails_strict(real_ws: Path) -> None:
    brand = real_ws / "templates" / "brand.yml"
    replace_in(brand, '    silver: "#858e9a"', '    silver: "#aeb5bf"')
    line = line_number(brand, "silver:")
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(real_ws), "check"])
    assert result.exit_code == 0, result.output
    warned = [w for w in result.output.splitlines() if "contrast" in w]
    assert warned == [
        f"templates/brand.yml:{line}: warning: chart colour silver #aeb5bf (defaults.brief.muted: the marks not "
        "highlighted) has contrast 2.07:1 against the background #ffffff; data marks need 3:1 — a shade such as "
        "#8f949d meets it"
    ]
    strict = runner.invoke(cli, ["-C", str(real_ws), "check", "--strict"])
    assert strict.exit_code != 0
    assert sum("2.07:1" in w for w in strict.output.splitlines()) == 1


def test_the_shipped_brands_meet_contrast(real_ws: Path) -> None:
    """The flagship's brand passes, and so would the built-in theme's and the starter's."""
    result = CliRunner().invoke(cli, ["-C", str(real_ws), "check"])
    assert "contrast" not in result.output
    from brief.workspace.brand_contrast import contrast_problems
    from brief.workspace.templates import TemplateSet

    for folder in (REPO / "src" / "brief" / "theme", REPO / "src" / "brief" / "starter" / "templates"):
        assert contrast_problems(TemplateSet(folder, ".")) == []
