"""The golden files of the flagship brief: what they hold, how they are made, where they live.

For each audience of briefs/us-china-ai-gap.yaml, tests/golden/us-china-ai-gap/ holds

- ``AUDIENCE.html``: the HTML handed to the typesetter (charts named by URL, not inlined);
- ``AUDIENCE/CHART.vl.json``: the Vega-Lite spec of each chart the audience places, as
  handed to vl-convert.

They are made with a fixed date (``SOURCE_DATE_EPOCH`` below) and nothing machine-specific:
the workspace's absolute ``file://`` URIs become ``file://{ROOT}/...`` (the theme's
``file://{THEME}/...``) and each chart's cache key (a hash that also covers the chart code and
the vl-convert version) becomes the chart's id, and the tool's version in the colophon
``{VERSION}``. No chart is drawn, so no vl-convert and no
WeasyPrint run.

tests/golden/kinds/ holds the Vega-Lite spec of every chart of tests/fixtures/kinds/, a small
workspace with one chart of each kind (line, column, stacked, grouped, table excepted: it is
HTML, small multiples, a spec of one's own), drawn with the repository's brand.

Used by tests/test_goldens.py (compare) and scripts/regenerate-goldens (write).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from brief.model.request import source_date
from brief.pipeline.charts import plan_charts
from brief.pipeline.draw import DrawJob
from brief.pipeline.prepare import templates_for
from brief.publish.manifest import tool_versions
from brief.workspace.brand import load_brand
from brief.workspace.load import load_workspace
from brief.workspace.theme import theme_dir
from helpers import job_for, render_job

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
BRIEF = "us-china-ai-gap"
AUDIENCES = ("policy", "executive", "technical")
# 2026-01-01T00:00:00Z: the date the goldens are made with, whatever today is.
SOURCE_DATE_EPOCH = "1767225600"
REGENERATE = "python scripts/regenerate-goldens"
KINDS = Path(__file__).resolve().parent / "fixtures" / "kinds"
KINDS_BRIEF = "kinds"


def _no_drawing(job: DrawJob) -> list[str]:
    """Stand-in SVGs: the HTML handed to the typesetter names charts by URL, so it does not
    depend on what they look like."""
    return ["<svg/>"] * len(job.specs)


def _spec_text(spec: dict[str, object]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def golden_files(root: Path = REPO) -> dict[str, str]:
    """Every golden file's path (relative to tests/golden/) and text, made from the
    workspace at *root* now."""
    ws = load_workspace(root)
    when = source_date(SOURCE_DATE_EPOCH)
    files: dict[str, str] = {}
    for audience in AUDIENCES:
        job = job_for(ws, audience, brief=BRIEF, source_date=when)
        rendered = render_job(ws, job, inline=False, draw=_no_drawing)
        html = rendered.html
        for chart_id, chart in rendered.charts.items():
            html = html.replace(chart.url, f"chart:{{{chart_id}}}")
        html = html.replace(theme_dir().resolve().as_uri(), "file://{THEME}")
        html = html.replace(root.resolve().as_uri(), "file://{ROOT}").replace(str(root.resolve()), "{ROOT}")
        # The colophon names the tool's version, which changes with every release, not with the brief.
        html = html.replace(f"brief {tool_versions()['brief']}<", "brief {VERSION}<")
        files[f"{BRIEF}/{audience}.html"] = html
        brand = load_brand(templates_for(ws, job))
        for chart_id, spec in plan_charts(job, brand, None).draw_job().specs:
            files[f"{BRIEF}/{audience}/{chart_id}.vl.json"] = _spec_text(spec)
    return files | kinds_golden_files()


def kinds_golden_files() -> dict[str, str]:
    """The Vega-Lite spec of each chart of the chart-kinds workspace, and the HTML of its table
    (a table is not drawn), by golden path."""
    ws = load_workspace(KINDS)
    job = job_for(ws, brief=KINDS_BRIEF, source_date=source_date(SOURCE_DATE_EPOCH))
    brand = load_brand(REPO / "templates")
    specs = plan_charts(job, brand, None).draw_job().specs
    files = {f"{KINDS_BRIEF}/{chart_id}.vl.json": _spec_text(spec) for chart_id, spec in specs}
    html = render_job(ws, job, inline=False, draw=_no_drawing).html
    tables = re.findall(r'<figure class="chart chart-table[^"]*" id="table-([a-z0-9_.-]+)">.*?</figure>', html, re.S)
    for chart_id in tables:
        found = re.search(rf'<figure class="chart chart-table[^"]*" id="table-{chart_id}">.*?</figure>', html, re.S)
        assert found is not None
        files[f"{KINDS_BRIEF}/{chart_id}.html"] = found[0] + "\n"
    return files


def stored_files(folder: Path = GOLDEN) -> dict[str, str]:
    """The golden files on disk, by path relative to *folder*."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_golden_files(folder: Path = GOLDEN, root: Path = REPO) -> list[str]:
    """Replace the golden files in *folder* with ones made now; return their paths."""
    files = golden_files(root)
    for stale in set(stored_files(folder)) - set(files) if folder.is_dir() else ():
        (folder / stale).unlink()
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return sorted(files)
