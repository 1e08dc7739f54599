"""Chart kinds (brief.pipeline.chartkinds): line, column, stacked, grouped, table, small
multiples and a Vega-Lite spec of one's own, on the small workspace tests/fixtures/kinds.

Each kind keeps a takeaway title, a subtitle with units, a source line built from its figures
and alt text built from its data; its golden Vega-Lite spec is in tests/test_goldens.py.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from brief.errors import ChartError
from brief.model.schema import FACET_KINDS, ChartRow, ChartSpec, Facet
from brief.pipeline.chart_data import alt_text, chart_rows
from brief.pipeline.chartkinds.line import LABEL_GAP_PX, _place_end_labels
from brief.pipeline.charts import _vega_lite, _width, export_chart, plan_charts, render_chart, table_cells
from brief.pipeline.check import check
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.load import load_workspace
from helpers import add_shared_templates, copy_workspace, job_for, line_number, replace_in

KINDS = Path(__file__).resolve().parent / "fixtures" / "kinds"
DRAWN = ["capacity", "fabs", "funding", "funding_side", "capacity_panels", "fabs_dots"]


@pytest.fixture
def kinds(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/kinds with the repository's layout, brand and fonts."""
    return add_shared_templates(copy_workspace(KINDS, tmp_path / "kinds"))


@pytest.fixture(scope="module")
def kinds_job() -> Job:
    """The chart-kinds workspace resolved for its policy audience (nothing drawn)."""
    return job_for(load_workspace(KINDS))


def _alt(job: Job, chart_id: str, brand: Brand) -> str:
    spec = job.brief.charts[chart_id]
    return alt_text(spec, chart_rows(spec, job.figures, brand))


@pytest.mark.parametrize("chart_id", DRAWN)
def test_every_kind_makes_valid_vega_lite(kinds_job: Job, brand: Brand, chart_id: str) -> None:
    """Builds skip Altair's schema check; here every kind's spec is checked against Vega-Lite."""
    spec = kinds_job.brief.charts[chart_id]
    custom = plan_charts(kinds_job, brand, None).to_draw
    own = next(d.own for d in custom.values() if d.chart_id == chart_id)
    from brief.pipeline.chartkinds.spec import vega_lite

    assert vega_lite(spec, chart_rows(spec, kinds_job.figures, brand), brand, _width(spec), True, own)


def test_line_alt_text_tells_start_end_peak_and_trend(kinds_job: Job, brand: Brand) -> None:
    """A line chart's alt text gives each line's start, end, peak and trend, then the title."""
    assert _alt(kinds_job, "capacity", brand) == (
        "Line chart of share of world chip-fab capacity, percent. "
        "EU: from 9.2% in 2020 to 11.5% in 2030, peaking at 11.5% in 2030; rising overall; "
        "US: from 12.1% in 2020 to 14.6% in 2030, peaking at 14.6% in 2030; rising overall. "
        "Both regions\u2019 shares fell, then rose past where they started"
    )


def test_axis_numbers_are_in_the_briefs_language(kinds_job: Job, brand: Brand) -> None:
    """A German chart's axis writes 2,5 and 1.000 (Vega's number locale from Babel); an
    English one keeps Vega's own default."""
    from brief.pipeline.chartkinds.spec import vega_lite

    spec = kinds_job.brief.charts["capacity"]
    german = vega_lite(spec, chart_rows(spec, kinds_job.figures, brand), brand, 640, True, language="de-DE")
    assert german["config"]["locale"]["number"] == {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", ""],
    }
    assert "locale" not in vega_lite(spec, chart_rows(spec, kinds_job.figures, brand), brand, 640)["config"]


def test_alt_text_is_in_the_briefs_language(kinds_job: Job, brand: Brand) -> None:
    """A German brief's alt text is German: the kind, the story of each line, the trend (the
    subtitle keeps its capitals; numbers come formatted by the figures)."""
    spec = kinds_job.brief.charts["capacity"]
    alt = alt_text(spec, chart_rows(spec, kinds_job.figures, brand), "de-DE")
    assert alt.startswith(
        "Liniendiagramm: Share of world chip-fab capacity, percent. EU: von 9.2% (2020) auf 11.5% (2030)"
    )
    assert "Höchstwert 14.6% (2030); insgesamt steigend" in alt
    panels = kinds_job.brief.charts["capacity_panels"]
    assert alt_text(panels, chart_rows(panels, kinds_job.figures, brand), "de-DE").startswith(
        "Kleine Vielfache (Liniendiagramm, je ein Feld): "
    )


def test_bar_kinds_alt_text_lists_every_value(kinds_job: Job, brand: Brand) -> None:
    """Column, stacked and grouped charts, a table and a spec of one's own list every value
    (with its series where there is one); small multiples say so."""
    assert _alt(kinds_job, "fabs", brand) == (
        "Column chart of fabs under construction, 2025, number. US: 12; EU: 6; Japan: 5; South Korea: 4. "
        "The EU\u2019s fab count is half the US\u2019s"
    )
    stacked = _alt(kinds_job, "funding", brand)
    assert stacked.startswith("Stacked bar chart of chip-fab funding")
    assert (
        "US: $39.0 billion (Public), $61.2 billion (Private); EU: $21.5 billion (Public), $33.0 billion (Private)"
        in stacked
    )
    assert _alt(kinds_job, "funding_side", brand).startswith("Grouped bar chart of chip-fab funding")
    assert "EU: 9.2% (2020), 8.1% (2025), 11.5% (2030)" in _alt(kinds_job, "shares_table", brand)
    assert _alt(kinds_job, "capacity_panels", brand).startswith("Small multiples (line chart, one panel each) of")
    assert "South Korea: 4." in _alt(kinds_job, "fabs_dots", brand)


def test_line_is_labelled_at_its_ends_without_a_legend(kinds_job: Job, brand: Brand) -> None:
    """Each line is named at its last point ("EU 11.5%"), and no legend is drawn."""
    spec = kinds_job.brief.charts["capacity"]
    vega = _vega_lite(spec, chart_rows(spec, kinds_job.figures, brand), brand, _width(spec))
    text = str(vega)
    assert "'legend': None" in text and "'orient': 'top'" not in text.split("'layer'")[1]
    ends = [r for r in vega["data"]["values"] if r["end"]]
    assert [r["end_text"] for r in ends] == ["EU 11.5%", "US 14.6%"]


def test_end_labels_of_close_lines_do_not_overlap() -> None:
    """Lines that end at nearly the same value get labels at least a label's height apart,
    and none is pushed off the top of the plot."""
    ends = [
        {"value": v, "scale": "shared", "label": name}
        for name, v in (("A", 50.0), ("B", 50.4), ("C", 50.2), ("D", 99.0))
    ]
    plot_px, domain = 150.0, (0.0, 100.0)
    _place_end_labels(ends, {"shared": domain}, plot_px)
    heights = sorted(r["label_y"] / 100 * plot_px for r in ends)
    assert all(b - a >= LABEL_GAP_PX - 1e-9 for a, b in itertools.pairwise(heights))
    assert max(heights) <= plot_px + 1e-9


def test_table_cells_are_figures_and_marks_stay_out_of_cells(kinds: Path, kinds_job: Job, brand: Brand) -> None:
    """A table is rows of figures (short form) under its series; its note marks go on the
    source line, never after a number in a cell, where they would read as an exponent."""
    from brief.pipeline.notemarks import _NOTE_REF
    from helpers import render_job

    spec = kinds_job.brief.charts["shares_table"]
    assert table_cells(chart_rows(spec, kinds_job.figures, brand)) == (
        ("", "2020", "2025", "2030"),
        ("EU", "9.2%", "8.1%", "11.5%"),
        ("US", "12.1%", "10.2%", "14.6%"),
    )
    ws = load_workspace(kinds)
    html = render_job(ws, job_for(ws), inline=False, draw=lambda job: ["<svg/>"] * len(job.specs)).html
    table = re.search(r'<figure class="chart chart-table chart-half" id="table-shares_table">.*?</figure>', html, re.S)
    assert table is not None
    assert "Table 1.</span> The US keeps a lead" in table[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table[0])
    assert cells and not any(_NOTE_REF.search(c) for c in cells)
    assert _NOTE_REF.search(re.search(r'<p class="chart-source">.*?</p>', table[0])[0])


def _add_row(root: Path, chart_line: str, row: str) -> None:
    replace_in(root / "briefs" / "kinds.yaml", chart_line, chart_line + "\n" + row)


def test_mixed_units_on_one_axis_are_an_error_with_the_line(kinds: Path) -> None:
    """A count in a chart of percentages is reported by check (and so refused by build) at the
    line of the row that differs."""
    brief = kinds / "briefs" / "kinds.yaml"
    _add_row(
        kinds,
        '      - {label: US, series: "2028", figure: share_us_2028}',
        '      - {label: Fabs, series: "2030", figure: fabs_us}',
    )
    report = check(kinds)
    [problem] = report.errors
    assert problem.path == brief and problem.line == line_number(brief, "figure: fabs_us}")
    assert problem.message == "chart 'capacity' mixes units on one axis: percent and count ('fabs_us')"
    assert "axis: dual" in (problem.hint or "")


def test_a_build_refuses_mixed_units_with_the_line(kinds: Path) -> None:
    """The build runs the same check first: it writes nothing and names the row's line."""
    from brief.errors import CheckFailed
    from brief.pipeline.build import build
    from helpers import request_for

    brief = kinds / "briefs" / "kinds.yaml"
    _add_row(
        kinds,
        '      - {label: US, series: "2028", figure: share_us_2028}',
        '      - {label: Fabs, series: "2030", figure: fabs_us}',
    )
    with pytest.raises(CheckFailed) as info:
        build(request_for(kinds, None, "policy"))
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    assert (problem.path, problem.line) == (brief, line_number(brief, "figure: fabs_us}"))
    assert "mixes units on one axis" in problem.message
    assert not (kinds / "out" / "kinds-policy.pdf").exists()


def test_a_dual_or_normalised_axis_allows_two_units(kinds: Path, brand: Brand) -> None:
    """Declared, a dual axis draws two value axes; a normalised one indexes each line to 100."""
    brief = kinds / "briefs" / "kinds.yaml"
    replace_in(brief, "    height: 180\n", "    height: 180\n    axis: dual\n")
    for year, fig in (("2030", "fabs_us"), ("2020", "fabs_eu")):  # each goes in above the last
        _add_row(
            kinds,
            '      - {label: US, series: "2028", figure: share_us_2028}',
            f'      - {{label: Fabs, series: "{year}", figure: {fig}}}',
        )
    assert check(kinds).errors == []
    job = job_for(load_workspace(kinds))
    spec = job.brief.charts["capacity"]
    vega = _vega_lite(spec, chart_rows(spec, job.figures, brand), brand, _width(spec), validate=True)
    assert vega["resolve"] == {"scale": {"y": "independent"}}
    replace_in(brief, "axis: dual", "axis: normalised")
    assert check(kinds).errors == []
    job = job_for(load_workspace(kinds))
    rows = chart_rows(job.brief.charts["capacity"], job.figures, brand)
    assert {r["value"] for r in rows if r["series"] == "2020"} == {100.0}


def test_a_dual_axis_takes_two_units_only(kinds: Path) -> None:
    """Three units on a dual axis is still an error."""
    replace_in(kinds / "briefs" / "kinds.yaml", "    height: 180\n", "    height: 180\n    axis: dual\n")
    _add_row(
        kinds,
        '      - {label: US, series: "2028", figure: share_us_2028}',
        '      - {label: Fabs, series: "2030", figure: fabs_us}',
    )
    _add_row(
        kinds,
        '      - {label: US, series: "2028", figure: share_us_2028}',
        '      - {label: Money, series: "2030", figure: public_us}',
    )
    [problem] = check(kinds).errors
    assert problem.message.startswith("chart 'capacity' has a dual axis but rows in 3 units")


HOSTILE = {
    "url": ('{"mark": "point", "data": {"url": "https://example.org/x.csv"}}', "refused: the spec has 'data'", 1),
    "url-in-layer": (
        '{\n"layer": [\n{"mark": "text",\n "encoding": {"href": {"field": "x"}}}]}',
        "refused: the spec has 'href'",
        4,
    ),
    "image": ('{"mark": {"type": "image"}, "encoding": {}}', "refused: image marks load files", 1),
    "string-url": (
        '{"mark": "text", "encoding": {"text": {"value": "file:///etc/passwd"}}}',
        "refused: the spec names a URL",
        1,
    ),
    "not-json": ('{"mark": "point",\n}', "the spec is not JSON: ", 2),
    "concat": ('{"hconcat": [{"mark": "point"}]}', "the spec needs a 'mark' or a 'layer' at its top", 1),
    "deep": (
        '{"mark": "point", "encoding": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
        "the spec nests deeper than",
        None,
    ),
    "big": ('{"mark": "point", "description": "' + "x" * 300_000 + '"}', "file is 0.3 MB, over the 0 MB limit", None),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_spec_of_ones_own_is_hostile_input(kinds: Path, case: str) -> None:
    """A Vega-Lite file may say how to draw the rows, never load anything: data, URLs, links
    and image marks are refused, as are huge or deeply nested files, with the file and line."""
    text, message, line = HOSTILE[case]
    path = kinds / "templates" / "charts" / "dots.vl.json"
    path.write_text(text, encoding="utf-8")
    [problem] = check(kinds).errors
    assert problem.path == path and problem.message.startswith(message)
    if line is not None:
        assert problem.line == line


def test_a_spec_outside_the_workspace_is_refused(kinds: Path, tmp_path: Path) -> None:
    """A spec file that is a link to a file outside the workspace is not read."""
    outside = tmp_path / "outside.json"
    outside.write_text('{"mark": "point"}', encoding="utf-8")
    path = kinds / "templates" / "charts" / "dots.vl.json"
    path.unlink()
    path.symlink_to(outside)
    [problem] = check(kinds).errors
    assert "outside the workspace" in problem.message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("templates/../../dots.vl.json", "is not a path inside the workspace: no '.' or '..' parts"),
        ("charts/dots.vl.json", "a .json file under data/ or templates/"),
    ],
)
def test_a_spec_path_stays_inside_data_or_templates(kinds: Path, spec: str, message: str) -> None:
    """A spec file lies under data/ or templates/ (whose files a build fingerprints, so an
    edit rebuilds), never above the workspace: the brief file's schema says so at its line."""
    brief = kinds / "briefs" / "kinds.yaml"
    replace_in(brief, "spec: templates/charts/dots.vl.json", f"spec: {spec}")
    [problem] = check(kinds).errors
    assert message in problem.message and problem.line == line_number(brief, f"spec: {spec}")


def test_slide_charts_have_the_pdfs_typography(kinds_job: Job, brand: Brand) -> None:
    """An exported slide chart's title has the PDF's curly apostrophes; a table is not a chart image."""
    svg = export_chart("fabs", kinds_job.brief.charts["fabs"], kinds_job, brand).decode("utf-8")
    assert "The EU\u2019s fab count is half the US\u2019s" in svg and "EU's" not in svg
    with pytest.raises(ChartError, match="is a table"):
        export_chart("shares_table", kinds_job.brief.charts["shares_table"], kinds_job, brand)


@pytest.mark.slow
def test_small_multiples_are_drawn_at_the_charts_width(kinds_job: Job, brand: Brand) -> None:
    """Small multiples cannot be drawn to a set size, so the drawing is fitted to the chart's
    width and its size is known from then on; each panel has its title."""
    chart = render_chart("capacity_panels", kinds_job.brief.charts["capacity_panels"], kinds_job, brand)
    assert chart.svg is not None and chart.size[0] == 640 and chart.size[1] > 100
    assert f'width="{chart.size[0]}" height="{chart.size[1]}"' in chart.svg
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg))
    assert {"European Union", "United States", "EU 11.5%", "US 14.6%"} <= texts


def _two_panels(kind: str, job: Job) -> ChartSpec:
    """The funding figures as small multiples of *kind*: one panel per region."""
    rows = [
        ChartRow(label=label, series=series, panel=region, figure=f"{series.lower()}_{region.lower()}")
        for region in ("EU", "US")
        for label, series in (("Public money", "Public"), ("Private money", "Private"))
    ]
    return ChartSpec(
        kind=kind,  # type: ignore[arg-type]
        title="Private money leads in both regions",
        subtitle="Chip-fab funding, billion US dollars",
        rows=rows,
        facet=Facet(by="panel", columns=2),
        height=90,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FACET_KINDS))
def test_small_multiples_of_every_kind(kinds_job: Job, brand: Brand, kind: str) -> None:
    """Any drawn kind can be small multiples: a valid Vega-Lite facet, one panel per region,
    drawn by vl-convert and fitted to the chart's width, every value printed (a line prints
    its last point)."""
    from brief.pipeline.draw import DrawJob, draw_specs

    spec = _two_panels(kind, kinds_job)
    rows = chart_rows(spec, kinds_job.figures, brand)
    vega = _vega_lite(spec, rows, brand, _width(spec), validate=True)
    assert vega["facet"]["field"] == "panel" and vega["facet"]["sort"] == ["EU", "US"]
    [svg] = draw_specs(DrawJob((("panels", vega),), (), KINDS))
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert {"EU", "US"} <= texts
    # 33.0 and 39.0 are written with a decimal in the data, and print so.
    shown = {"$61.2B", "$33.0B"} if kind == "line" else {"$39.0B", "$61.2B", "$21.5B", "$33.0B"}
    assert shown <= {t.split()[-1] for t in texts}, texts


@pytest.mark.parametrize(
    ("encoding", "token"),
    [
        ('"text": {"value": "42%"}', "42"),
        ('"text": {"field": "short"}, "x": {"datum": 17.5}', "17.5"),
    ],
)
def test_a_spec_of_ones_own_prints_only_figures(kinds: Path, encoding: str, token: str) -> None:
    """A number typed into a spec of one's own, or plotted as a constant, has no source: an
    error at its line, in check and so in build. Colours and the rows' fields are not numbers."""
    path = kinds / "templates" / "charts" / "dots.vl.json"
    path.write_text(
        '{"mark": {"type": "text", "color": "#1f3a5f"},\n "encoding": {' + encoding + "}}\n", encoding="utf-8"
    )
    [problem] = check(kinds).errors
    assert problem.message == f"chart 'fabs_dots': the spec has a hand-typed number {token!r}"
    assert (problem.path, problem.line) == (path, 2)
