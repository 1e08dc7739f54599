"""Page set-up in the brief file (``page:``): paper, orientation and margins give the page
CSS and the width every chart is drawn to (brief.model.page), one source for the measure."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from brief.model.page import chart_widths, geometry, page_css
from brief.model.page_schema import PageSetup
from brief.pipeline.charts import FULL_WIDTH_PX, HALF_WIDTH_PX, plan_charts
from brief.workspace.load import load_workspace
from helpers import job_for, replace_in, request_for


@pytest.mark.parametrize(
    ("page", "measure_in", "widths"),
    [
        ({}, 6.67, (640, 306)),
        ({"size": "a4"}, 6.4383, (618, 295)),
        ({"size": "legal"}, 6.67, (640, 306)),
        ({"orientation": "landscape"}, 9.17, (880, 426)),
        ({"size": "a4", "margins": {"left": "20mm", "right": "20mm"}}, 6.6929, (643, 307)),
    ],
)
def test_charts_are_drawn_to_the_text_measure(
    page: dict[str, object], measure_in: float, widths: tuple[int, int]
) -> None:
    """The measure is the paper less the side margins; a chart pair shares it less one gutter."""
    setup = PageSetup.model_validate(page)
    assert geometry(setup).measure == pytest.approx(measure_in, abs=1e-3)
    assert chart_widths(setup) == widths


def test_the_default_page_is_the_flagships() -> None:
    """Letter portrait with the margins the flagship has always had: 640 and 306 px charts."""
    assert (FULL_WIDTH_PX, HALF_WIDTH_PX) == (640, 306)
    css = page_css(PageSetup())
    assert "size: Letter portrait; margin: 0.85in 0.915in 0.8in 0.915in;" in css
    assert '"Page " counter(page) " of " counter(pages)' in css
    assert "@media print {\n  figure.chart.chart-half { width: 3.19in; margin-left: 0.25in; }\n" in css
    assert ".chart-row figure.chart { width: 3.21in; }" in css


def test_page_css_follows_the_set_up_and_the_language() -> None:
    """A4 landscape, its pair columns, and the footer's words from the caption."""
    css = page_css(PageSetup(size="a4", orientation="landscape"), "Seite {page} von {pages}")
    assert "size: A4 landscape;" in css
    assert 'content: "Seite " counter(page) " von " counter(pages);' in css
    assert "width: 4.806in" in css


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"size": "a5"}, "Input should be 'letter', 'a4' or 'legal'"),
        ({"margins": {"left": "3in", "right": "2in"}}, "leave at least 4in"),
        ({"margins": {"top": "1 inch"}}, "String should match pattern"),
        ({"orientation": "sideways"}, "'portrait' or 'landscape'"),
    ],
)
def test_a_bad_page_set_up_is_refused(page: dict[str, object], message: str) -> None:
    """Unknown paper, margins that leave no room, and lengths without a unit are errors."""
    with pytest.raises(ValidationError, match=message):
        PageSetup.model_validate(page)


def test_check_reports_a_bad_page_at_its_line(mini: Path) -> None:
    """A brief file's bad page set-up is reported at the line of the bad field."""
    from brief.errors import DataError

    brief_file = mini / "briefs" / "mini.yaml"
    replace_in(brief_file, "language: en-US\n", "language: en-US\npage:\n  size: A4\n")
    with pytest.raises(DataError) as caught:
        load_workspace(mini)
    assert caught.value.line == 8 and "page.size" in caught.value.message


@pytest.mark.slow
def test_a4_landscape_brief_has_a4_landscape_pages_and_wider_charts(mini_full: Path) -> None:
    """The PDF's pages are A4 landscape and its half-width chart is drawn at the wider measure."""
    from pypdf import PdfReader

    from brief.pipeline.build import build
    from brief.workspace.brand import load_brand

    brief_file = mini_full / "briefs" / "mini.yaml"
    replace_in(brief_file, "language: en-US\n", "language: en-US\npage: {size: a4, orientation: landscape}\n")
    result = build(request_for(mini_full, None, "policy"))
    page = PdfReader(result.path).pages[0]
    assert [round(float(v)) for v in page.mediabox.upper_right] == [842, 595]
    job = job_for(load_workspace(mini_full))
    plan = plan_charts(job, load_brand(mini_full / "templates"), None)
    assert plan.charts["counts"].size[0] == chart_widths(job.brief.page)[1] == 459
