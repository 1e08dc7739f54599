"""Every chart kind, end to end: tests/fixtures/kinds built to a real PDF, once, and each
chart's alt text, source line and numbers looked for in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from brief.pipeline.build import build
from brief.pipeline.charts import RenderedChart, plan_charts
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.load import load_workspace
from helpers import add_shared_templates, copy_workspace, job_for, request_for, spaced, squashed

KINDS = Path(__file__).resolve().parent / "fixtures" / "kinds"
DRAWN = ["capacity", "fabs", "funding", "funding_side", "capacity_panels", "fabs_dots"]
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class KindsBuild:
    """The chart-kinds brief, built once: its PDF's text and figure alt texts, and its charts."""

    text: str
    alts: list[str]
    charts: dict[str, RenderedChart]
    job: Job


def _elements(node: Any) -> list[Any]:
    found = []
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found += [kid, *_elements(kid)]
    return found


@pytest.fixture(scope="module")
def kinds_build(tmp_path_factory: pytest.TempPathFactory, brand: Brand) -> KindsBuild:
    """Build tests/fixtures/kinds (with the repository's layout, brand and fonts) to a PDF."""
    from pypdf import PdfReader

    root = add_shared_templates(copy_workspace(KINDS, tmp_path_factory.mktemp("kinds") / "ws"))
    result = build(request_for(root, None, "policy"))
    text = "\n".join(page.extract_text() for page in PdfReader(result.path).pages)
    with pikepdf.open(result.path) as pdf:
        alts = [str(e.get("/Alt", "")) for e in _elements(pdf.Root.StructTreeRoot) if str(e.S) == "/Figure"]
    job = job_for(load_workspace(root))
    charts = plan_charts(job, brand, None).charts
    return KindsBuild(text, alts, charts, job)


@pytest.mark.parametrize("chart_id", DRAWN)
def test_each_chart_is_a_figure_with_its_alt_text(kinds_build: KindsBuild, chart_id: str) -> None:
    """Each drawn chart is a tagged Figure whose Alt is the chart's alt text, from its data."""
    alt = kinds_build.charts[chart_id].alt
    assert alt in kinds_build.alts
    assert len(kinds_build.alts) == len(DRAWN)  # the table is a table, not a figure image


@pytest.mark.parametrize("chart_id", [*DRAWN, "shares_table"])
def test_each_chart_has_its_caption_and_source_line(kinds_build: KindsBuild, chart_id: str) -> None:
    """Each chart's takeaway title, subtitle and source line (built from its figures) are in
    the PDF's text layer."""
    chart = kinds_build.charts[chart_id]
    text = squashed(kinds_build.text)
    for words in (chart.title, chart.subtitle, chart.source_line):
        assert squashed(words.replace("'", "\u2019")) in text, words


def _printed(job: Job, chart_id: str) -> list[str]:
    """The numbers a chart prints: every value, except a line chart, which prints each line's
    last value at its end (its other values are in its alt text)."""
    spec = job.brief.charts[chart_id]
    rows = spec.rows
    if spec.kind == "line":
        last = {(r.label, r.panel): r for r in rows}
        rows = list(last.values())
    return [job.figures[r.figure].text("short") for r in rows]


@pytest.mark.parametrize("chart_id", [*DRAWN, "shares_table"])
def test_each_charts_numbers_are_in_the_text_layer(kinds_build: KindsBuild, chart_id: str) -> None:
    """The values a chart prints are real text in the PDF (searchable, copyable), each
    formatted by its unit."""
    text = squashed(kinds_build.text)
    printed = _printed(kinds_build.job, chart_id)
    assert printed
    assert [n for n in printed if squashed(n) not in text] == []


def test_line_ends_are_labelled_with_name_and_value(kinds_build: KindsBuild) -> None:
    """A line chart names each line at its end, with its last value, instead of a legend."""
    text = spaced(kinds_build.text)
    assert "EU 11.5%" in text and "US 14.6%" in text


def test_table_is_numbered_apart_from_figures(kinds_build: KindsBuild) -> None:
    """The table is "Table 1." while the charts are Figures 1 to 6, and its cells read as a
    table (row label, then a value per column)."""
    text = spaced(kinds_build.text)
    assert "Table 1. The US keeps a lead" in text
    assert sorted(re.findall(r"Figure (\d)\.", text)) == ["1", "2", "3", "4", "5", "6"]  # text order varies
    assert re.search(r"EU 9\.2% 8\.1% 11\.5%", text)
