"""The HTML edition read on a phone and on a wide screen, in headless Chromium (Playwright):
a phone (mobile emulation, 390 px) lays it out at its own width, with body text of 16 px or
more, no sideways scrolling, chart text of 11 px or more and note marks a finger can hit; a
wide screen (1280 px) sets 17 px or more in a column of 65-80 characters, full-width charts
in their wide drawings. axe-core finds nothing on either."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from brief.pipeline.build import build
from brief.pipeline.html_edition import CHART_SCALE, NARROW_PX, WIDE_COLUMN_PX, WIDE_PX
from brief.workspace.load import load_workspace
from helpers import REPO, copy_workspace, flagship_charts, job_for, render_job, request_for

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
EDITIONS = ("policy", "technical")

# What a reader meets, measured in the page: the layout viewport and its zoom, the widest
# thing on the page, the size of body text (paragraphs and list items outside figures and
# notes), characters per line of paragraphs of three lines or more, the size of every chart
# text shown (its font size times the scale of the drawings around it), the boxes of the
# note marks, and which drawing each chart with a wide one shows.
MEASURE = """() => {
  const shown = e => e.getClientRects().length > 0;
  const prose = [...document.querySelectorAll('main p, main li')]
    .filter(e => shown(e) && !e.closest('figure, .endnotes, .table-scroll'));
  const lines = prose.filter(e => e.tagName === 'P').map(p => {
    const lh = parseFloat(getComputedStyle(p).lineHeight);
    return [p.textContent.trim().length, Math.round(p.getBoundingClientRect().height / lh)];
  }).filter(([, n]) => n >= 3).map(([chars, n]) => chars / n).sort((a, b) => a - b);
  const charts = [...document.querySelectorAll('svg[role=img]')];
  const texts = charts.flatMap(s => [...s.querySelectorAll('text')]).filter(shown).map(t => {
    const m = t.getScreenCTM();
    return [parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b), t.textContent];
  });
  const marks = [...document.querySelectorAll('a.note-ref')].filter(shown).map(a => {
    const r = a.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  });
  return {
    innerWidth, zoom: visualViewport.scale, scrollWidth: document.documentElement.scrollWidth,
    body: parseFloat(getComputedStyle(document.body).fontSize),
    prose: prose.map(e => parseFloat(getComputedStyle(e).fontSize)),
    perLine: lines.length ? lines[Math.floor(lines.length / 2)] : 0,
    charts: charts.filter(shown).length, texts, marks,
    wide: [...document.querySelectorAll('svg.chart-screen.has-wide')].map(s => [
      s.getBoundingClientRect().width,
      [...s.children].filter(c => c.tagName === 'svg' && shown(c)).map(c => c.getAttribute('class')),
    ]),
  };
}"""


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The flagship's policy and technical HTML editions (the technical one has a full-width
    chart and a wide table)."""
    root = copy_workspace(REPO, tmp_path_factory.mktemp("ws"))
    return {a: build(request_for(root, audience=a, format="html")).path for a in EDITIONS}


def read(browser: Any, path: Path, context: dict[str, Any], shot: Path) -> dict[str, Any]:
    """MEASURE of the page at *path* in a new browser context, axe-core's violations (the
    target-size rule too) under "violations", and a screenshot of the whole page in *shot*."""
    from axe_playwright_python.sync_playwright import Axe

    ctx = browser.new_context(**context)
    try:
        page = ctx.new_page()
        page.goto(path.as_uri())
        found: dict[str, Any] = page.evaluate(MEASURE)
        page.screenshot(path=str(shot), full_page=True)
        axe = Axe().run(page, options={"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}})
        found["violations"] = [(v["id"], v["help"]) for v in axe.response["violations"]]
        found["table"] = page.evaluate(
            "() => [...document.querySelectorAll('.table-scroll')].map(b => [b.scrollWidth, b.clientWidth])"
        )
    finally:
        ctx.close()
    return found


def overlapping(marks: list[list[float]]) -> list[tuple[list[float], list[float]]]:
    """Pairs of note marks, each next to the one after it, whose boxes overlap."""
    return [
        (a, b)
        for a, b in itertools.pairwise(marks)
        if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
    ]


@pytest.mark.slow
@pytest.mark.parametrize("audience", EDITIONS)
def test_a_phone_lays_the_edition_out_at_its_own_width(
    browser: Any, editions: dict[str, Path], audience: str, tmp_path: Path
) -> None:
    """At 390 px with mobile emulation: no zooming out (a viewport), body text 16 px or more,
    nothing wider than the screen (a wide table scrolls in its own box), every chart text
    11 px or more, note marks 24 px targets that do not overlap, no axe violations."""
    found = read(browser, editions[audience], PHONE, tmp_path / f"{audience}-390.png")
    assert (found["innerWidth"], found["zoom"]) == (390, 1)
    assert found["body"] >= 16 and min(found["prose"]) >= 16
    assert found["scrollWidth"] <= 390
    assert found["charts"] == flagship_charts(audience)
    assert found["texts"] and min(size for size, _ in found["texts"]) >= 11, min(found["texts"])
    assert found["marks"] and min(min(w, h) for _, _, w, h in found["marks"]) >= 24
    assert overlapping(found["marks"]) == []
    assert all(width <= 390 - 32 for width, _ in found["wide"])
    if audience == "technical":  # the figures appendix: wider than a phone, scrolled in its box
        assert any(scroll > client for scroll, client in found["table"])
    assert found["violations"] == []


@pytest.mark.slow
@pytest.mark.parametrize("audience", EDITIONS)
def test_a_wide_screen_sets_a_column_of_comfortable_measure(
    browser: Any, editions: dict[str, Path], audience: str, tmp_path: Path
) -> None:
    """At 1280 px: body text 17 px or more, a median of 65-80 characters a line, chart text
    11 px or more, each full-width chart in its wide drawing, no axe violations."""
    found = read(browser, editions[audience], DESKTOP, tmp_path / f"{audience}-1280.png")
    assert found["body"] >= 17 and sorted(found["prose"])[len(found["prose"]) // 2] >= 17
    assert 65 <= found["perLine"] <= 80, found["perLine"]
    assert found["scrollWidth"] <= 1280
    assert found["texts"] and min(size for size, _ in found["texts"]) >= 11, min(found["texts"])
    for width, drawings in found["wide"]:
        assert drawings == ["marks chart-wide"] and width >= WIDE_COLUMN_PX - 1
    if audience == "technical":
        assert found["wide"]
    assert found["violations"] == []


def test_the_screen_drawings_fit_the_columns_they_are_made_for() -> None:
    """A narrow drawing, shown CHART_SCALE times its size, fits the column of a phone 360 px
    wide and one of a pair in the wide column; the theme's smallest chart text (9.5 px) reads
    at 11 px with room to spare."""
    narrow = round(NARROW_PX * CHART_SCALE)
    assert narrow <= 360 - 32 and 2 * narrow < WIDE_COLUMN_PX <= round(WIDE_PX * CHART_SCALE)
    assert 9.5 * CHART_SCALE >= 11.5


@pytest.mark.slow
def test_every_chart_kind_reads_on_a_phone_and_a_wide_screen(browser: Any, tmp_path: Path) -> None:
    """Every kind of chart (tests/fixtures/kinds: line, column, stacked, grouped, dumbbell, small
    multiples, a spec of one's own, a table) keeps its text at 11 px or more on both screens,
    small multiples too (one column on a phone), and the page never scrolls sideways."""
    root = copy_workspace(Path(__file__).parent / "fixtures" / "kinds", tmp_path / "kinds")
    path = build(request_for(root, format="html")).path
    for name, context, width in (("390", PHONE, 390), ("1280", DESKTOP, 1280)):
        found = read(browser, path, context, tmp_path / f"kinds-{name}.png")
        assert found["charts"] >= 6 and found["scrollWidth"] <= width
        assert min(size for size, _ in found["texts"]) >= 11, (name, min(found["texts"]))
        assert found["violations"] == []


@pytest.mark.slow
def test_only_the_html_edition_has_the_screen_rules(editions: dict[str, Path]) -> None:
    """The viewport and the screen stylesheet are the HTML edition's: the HTML the PDF is
    typeset from has neither."""
    html = editions["policy"].read_text(encoding="utf-8")
    head = html[: html.index("</head>")]
    assert head.count('<meta name="viewport" content="width=device-width, initial-scale=1">') == 1
    assert "svg.chart-screen" in head and "@container brief" in head
    root = editions["policy"].parent.parent
    ws = load_workspace(root)
    printed = render_job(ws, job_for(ws), inline=False).html
    assert 'name="viewport"' not in printed and "chart-screen" not in printed and "screen.css" not in printed
