"""The flagship's workspace as a whole: it checks clean, warnings included, and its charts
say what its data says."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.charts import alt_text, chart_rows
from brief.pipeline.check import check
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.load import load_workspace
from helpers import REPO, job_for


@pytest.fixture(scope="module")
def real_job() -> Job:
    """The repository's policy job (no PDF is built)."""
    return job_for(load_workspace(REPO))


def test_real_workspace_checks_clean(real_ws: Path) -> None:
    """The repository's own workspace has no errors, and exactly these warnings (none today):
    a new warning must be noticed here."""
    report = check(real_ws)
    assert [p.format(relative_to=real_ws) for p in report.errors] == []
    assert [p.format(relative_to=real_ws) for p in report.warnings] == []
    assert list(report.usage) == ["us-china-ai-gap"]
    result = CliRunner().invoke(cli, ["-C", str(real_ws), "check", "--strict"], prog_name="brief")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_benchmark_alt_text_uses_percentage_points(real_job: Job, brand: Brand) -> None:
    """The benchmark-gap alt text spells the leads in percentage points."""
    spec = real_job.brief.charts["benchmark_gap"]
    alt = alt_text(spec, chart_rows(spec, real_job.figures, brand))
    assert "MMLU: 17.5 percentage points (End of 2023), 0.3 percentage points (End of 2024)" in alt
    assert "%" not in alt
