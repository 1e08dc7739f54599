"""Charts for everyone: every text a chart draws meets WCAG AA contrast (4.5:1) against the
page, computed from the brand's colours (templates/brand.yml, the one source of colours)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brief.pipeline.chart_data import chart_rows
from brief.pipeline.chartkinds.export import slide_spec
from brief.pipeline.chartkinds.theme import MIN_CONTRAST, contrast, page, text_colour
from brief.pipeline.charts import FULL_WIDTH_PX, plan_charts
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.load import load_workspace
from helpers import REPO, job_for

KINDS = Path(__file__).resolve().parent / "fixtures" / "kinds"
_CONFIG_TEXT = (("axis", "labelColor"), ("axis", "titleColor"), ("legend", "labelColor"), ("header", "labelColor"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def text_colours(vega: dict[str, Any], paper: str) -> set[tuple[str, str]]:
    """Every colour a Vega-Lite spec may draw text in, with what is behind it: the theme's
    text roles, each text mark's colour, each colour its encoding can take (a field read as
    colours, or a scale's range), the title's and subtitle's. Text is on *paper*, except a
    value inside a bar, which is on the bar's ``fill``."""
    config = vega.get("config", {})
    found = {(config[role][key], paper) for role, key in _CONFIG_TEXT if key in config.get(role, {})}
    rows = [row for node in _walk(vega) if isinstance(node.get("values"), list) for row in node["values"]]
    for node in _walk(vega):
        mark = node.get("mark")
        if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
            default = config.get("text", {}).get("color")
            found.add((mark.get("color", default) if isinstance(mark, dict) else default, paper))
            colour = node.get("encoding", {}).get("color")
            if colour is not None and "value" in colour:
                found.add((colour["value"], paper))
            elif colour is not None and colour.get("scale", {}) is None:
                field = colour["field"]
                found |= {(row[field], row.get("fill", paper)) for row in rows if field in row}
            elif colour is not None:
                found |= {(c, paper) for c in colour["scale"]["range"]}
        if "subtitleColor" in node:
            found |= {(node["subtitleColor"], paper), (node["color"], paper)}
    return {(c, behind) for c, behind in found if c is not None}


def _jobs() -> list[Job]:
    flagship = load_workspace(REPO)
    jobs = [job_for(flagship, audience) for audience in ("policy", "executive", "technical")]
    return [*jobs, job_for(load_workspace(KINDS))]


@pytest.fixture(scope="module")
def specs(brand: Brand) -> list[tuple[str, dict[str, Any]]]:
    """Every chart spec of the flagship's audiences and of the chart-kinds workspace, and each
    as a slide."""
    out = []
    for job in _jobs():
        plan = plan_charts(job, brand, None)
        out += list(plan.draw_job().specs)
        for drawing in plan.to_draw.values():
            spec = drawing.spec
            words = (spec.title, spec.subtitle, "Source: a test.")
            slide = slide_spec(spec, drawing.rows, brand, FULL_WIDTH_PX, words, drawing.own)
            out.append((f"{drawing.chart_id} (slide)", slide))
    return out


def test_contrast_is_computed_as_wcag_says(brand: Brand) -> None:
    """The formula gives WCAG's known values, and the brand's muted grey, legible as a mark
    (3:1), is still too light for text on white paper (4.5:1), so its labels are in ink."""
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#aeb5bf", "#ffffff") == pytest.approx(2.07, abs=0.01)
    assert 3 <= contrast(brand.hex(brand.chart.muted), page(brand)) < MIN_CONTRAST
    assert text_colour(brand.hex(brand.chart.muted), brand) == brand.hex("foreground")


def test_every_chart_text_meets_wcag_aa(specs: list[tuple[str, dict[str, Any]]], brand: Brand) -> None:
    """Every text colour of every chart (labels, axis titles, legends, panel titles, value
    labels, slide titles) has at least 4.5:1 contrast with the page."""
    assert len(specs) > 20
    pairs = {(chart_id, *pair) for chart_id, vega in specs for pair in text_colours(vega, page(brand))}
    low = sorted(
        f"{chart_id}: {colour} on {behind} is {contrast(colour, behind):.2f}:1"
        for chart_id, colour, behind in pairs
        if contrast(colour, behind) < MIN_CONTRAST
    )
    assert low == []
    # White text is checked on its bar, not on white paper.
    assert any(behind != page(brand) for _, _, behind in pairs)


def test_the_check_finds_a_muted_label(brand: Brand) -> None:
    """The test has teeth: a text mark coloured by a muted series is found and fails."""
    muted = brand.hex(brand.chart.muted)
    vega = {
        "config": {"text": {"color": brand.hex("foreground")}},
        "data": {"values": [{"label": "B", "colour": muted}]},
        "mark": "text",
        "encoding": {"color": {"field": "colour", "type": "nominal", "scale": None}},
    }
    assert (muted, page(brand)) in text_colours(vega, page(brand)) and contrast(muted, page(brand)) < MIN_CONTRAST


def test_text_inside_bars_reads_on_its_fill(brand: Brand) -> None:
    """A value printed inside a stacked segment is in ink or white, whichever reaches 4.5:1 on
    the segment's colour; every series colour allows one of them."""
    from brief.pipeline.chartkinds.theme import on_fill
    from brief.pipeline.colours import series_palette

    for fill in series_palette(brand):
        assert contrast(on_fill(fill, brand), fill) >= MIN_CONTRAST, fill


def test_caption_text_meets_wcag_aa(brand: Brand) -> None:
    """The captions around a chart (subtitle and source line, in the secondary colour) are
    legible too."""
    assert contrast(brand.hex("secondary"), page(brand)) >= MIN_CONTRAST
    assert contrast(brand.hex("foreground"), page(brand)) >= MIN_CONTRAST


def test_rows_are_typographic(brand: Brand) -> None:
    """Chart labels get the PDF's curly apostrophes, so PDF and slide charts match."""
    job = job_for(load_workspace(KINDS))
    spec = job.brief.charts["fabs"].model_copy(
        update={"rows": [job.brief.charts["fabs"].rows[0].model_copy(update={"label": "Fab's"})]}
    )
    assert chart_rows(spec, job.figures, brand)[0]["label"] == "Fab\u2019s"
