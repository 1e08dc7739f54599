"""Stage 3, chart (brief.pipeline.charts): rows from figures, alt text, SVG from vl-convert."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from brief.errors import ChartError
from brief.pipeline.charts import FULL_WIDTH_PX, HALF_WIDTH_PX, alt_text, chart_rows, render_chart, render_charts
from brief.pipeline.citations import typographic
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.load import load_workspace
from helpers import REPO, THEME, job_for

FONTS = THEME / "fonts"


@pytest.fixture(scope="module")
def real_job() -> Job:
    """The repository's policy job (no PDF is built)."""
    return job_for(load_workspace(REPO))


def test_chart_rows_take_values_from_figures(mini_job: Job, brand: Brand) -> None:
    """Each row carries its figure's value and its short and long texts, nothing typed by hand."""
    spec = mini_job.brief.charts["counts"]
    rows = chart_rows(spec, mini_job.figures, brand)
    assert [(r["label"], r["value"], r["short"], r["long"], r["unit"]) for r in rows] == [
        ("Alpha", 276300.0, "276,300", "276,300", "count"),
        ("Beta", 46100.0, "46,100", "46,100", "count"),
    ]
    assert all(isinstance(r["value"], float) for r in rows)


def test_chart_rows_colours(mini_job: Job, brand: Brand) -> None:
    """A highlighted label gets the highlight colour; others the muted colour."""
    rows = chart_rows(mini_job.brief.charts["counts"], mini_job.figures, brand)
    assert rows[0]["colour"] == brand.hex("navy")  # Alpha is highlighted → primary
    assert rows[1]["colour"] == brand.hex("silver")  # Beta is muted


def test_countries_keep_their_series_colour(real_job: Job, brand: Brand) -> None:
    """The United States and China have the same brand colour in every chart."""
    rows = chart_rows(real_job.brief.charts["robots"], real_job.figures, brand)
    colours = {r["label"]: r["colour"] for r in rows}
    assert colours["United States"] == "#1f3a5f"
    assert colours["China"] == "#b4283b"
    assert colours["Japan"] == brand.hex("silver")


def test_chart_rows_match_the_figures_in_the_real_brief(real_job: Job, brand: Brand) -> None:
    """In every chart of the real brief, each plotted value equals its figure's value."""
    for spec in real_job.brief.charts.values():
        rows = chart_rows(spec, real_job.figures, brand)
        assert [r["value"] for r in rows] == [float(real_job.figures[row.figure].value) for row in spec.rows]


def test_bar_alt_text(mini_job: Job, brand: Brand) -> None:
    """A bar chart's alt text says what it is, what is measured, every value, then the title."""
    spec = mini_job.brief.charts["counts"]
    alt = alt_text(spec, chart_rows(spec, mini_job.figures, brand))
    assert alt == (
        "Bar chart of widgets installed in 2024, units. Alpha: 276,300; Beta: 46,100. "
        "Alpha installs about six times as many widgets as Beta"
    )


def test_dumbbell_alt_text_groups_series(mini_job: Job, brand: Brand) -> None:
    """A two-series chart's alt text gives each label's values with their series."""
    spec = mini_job.brief.charts["shares"]
    alt = alt_text(spec, chart_rows(spec, mini_job.figures, brand))
    assert alt == (
        "Dot plot comparing two dates of share of firms using gadgets, percent. "
        "Firms: 48% (2023), 75% (2024). Gadget use rose in one year"
    )


REAL_CHARTS = ["benchmark_gap", "arena_gap", "private_investment", "robots", "optimism", "top_cited_papers"]


@pytest.mark.parametrize("chart_id", REAL_CHARTS, ids=[c.replace("_", "-") for c in REAL_CHARTS])
def test_real_alt_text_lists_every_value_with_its_unit(real_job: Job, brand: Brand, chart_id: str) -> None:
    """Every value of every chart in the real brief is in its alt text, written in its unit
    (so a pp lead reads "percentage points", never "%"), and the title ends it."""
    spec = real_job.brief.charts[chart_id]
    alt = alt_text(spec, chart_rows(spec, real_job.figures, brand))
    for row in spec.rows:
        assert real_job.figures[row.figure].text("long") in alt
        assert typographic(row.label) in alt
    assert alt.endswith(typographic(spec.title))  # with the PDF's curly apostrophes


def test_audience_listing_an_unknown_chart(mini_job: Job, brand: Brand) -> None:
    """An audience naming a chart the brief does not define is a ChartError naming it."""
    audience = mini_job.audience.model_copy(update={"charts": ["nope", "counts"]})
    job = replace(mini_job, audience=audience)
    with pytest.raises(ChartError) as info:
        render_charts(job, brand)
    assert info.value.message == "audience 'policy' lists unknown chart 'nope'"
    assert info.value.hint == "charts in this brief: counts, shares"


def _font_families(svg: str) -> set[str]:
    return set(re.findall(r'font-family="([^"]*)"', svg))


@pytest.mark.slow
def test_render_chart_bar_svg(mini_job: Job, brand: Brand) -> None:
    """A bar chart renders to an SVG of its column's width, in the brand's chart font, with
    every value label and a source line built from its figures."""
    chart = render_chart("counts", mini_job.brief.charts["counts"], mini_job, brand)
    assert chart.svg.startswith("<svg")
    assert f'width="{HALF_WIDTH_PX}"' in chart.svg
    assert _font_families(chart.svg) == {"'Source Sans 3'"}  # quoted: a CSS name with a digit
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg)
    assert {"Alpha", "Beta", "276,300", "46,100"} <= set(texts)
    assert chart.source_line == "Source: Widget Report, table 1, p. 4."
    assert [f.id for f in chart.figures] == ["widgets_alpha", "widgets_beta"]
    assert chart.alt.startswith("Bar chart of widgets installed in 2024")
    assert chart.width == "half"


@pytest.mark.slow
def test_render_chart_dumbbell_svg(mini_job: Job, brand: Brand) -> None:
    """A full-width dumbbell chart renders with its axis titled by the unit and short labels."""
    chart = render_chart("shares", mini_job.brief.charts["shares"], mini_job, brand)
    assert f'width="{FULL_WIDTH_PX}"' in chart.svg
    assert _font_families(chart.svg) == {"'Source Sans 3'"}  # quoted: a CSS name with a digit
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg))
    assert {"percent", "48%", "75%", "2023", "2024"} <= texts


@pytest.mark.slow
def test_render_charts_of_the_real_brief(real_job: Job, brand: Brand) -> None:
    """Every chart of the real policy audience renders, only in the brand's chart font, and a
    pp chart never labels a value with "%"."""
    charts = render_charts(real_job, brand)
    assert list(charts) == real_job.audience.charts
    for chart in charts.values():
        assert _font_families(chart.svg) == {"'Source Sans 3'"}  # quoted: a CSS name with a digit
    # The benchmark chart (in percentage points) is the technical edition's.
    technical = job_for(load_workspace(REPO), "technical")
    benchmark = render_charts(technical, brand)["benchmark_gap"]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", benchmark.svg)
    assert "17.5 pp" in labels and "0.3 pp" in labels
    assert not any(label.endswith("%") for label in labels)


def test_every_chart_spec_is_valid_vega_lite(real_job: Job, mini_job: Job, brand: Brand) -> None:
    """Builds skip Altair's schema check for speed, so it happens here: every chart of the
    real brief and of the test brief is valid Vega-Lite."""
    from brief.pipeline.charts import _vega_lite, _width

    for job in (real_job, mini_job):
        for spec in job.brief.charts.values():
            assert _vega_lite(spec, chart_rows(spec, job.figures, brand), brand, _width(spec), validate=True)


def test_charts_are_drawn_at_the_size_announced_before_drawing(real_job: Job, brand: Brand) -> None:
    """The HTML gives each chart the size its spec sets, so vl-convert must draw every chart
    at exactly that size (else it would be scaled, and its text with it)."""
    import re

    charts = render_charts(real_job, brand)
    assert charts
    for chart in charts.values():
        assert chart.svg is not None
        found = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', chart.svg)
        assert found and (float(found[1]), float(found[2])) == chart.size, chart.id
