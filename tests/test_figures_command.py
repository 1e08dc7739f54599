"""``brief figures`` (brief.commands.figures, brief.cli): every figure with its value, date, source and users."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.workspace.load import load_workspace
from helpers import line_number, replace_in

COLUMNS = ["id", "label", "value", "unit", "printed_as", "as_of", "source", "used_by"]
TABLE = ["id", "printed_as", "as_of", "source", "used_by"]


def run(*args: str) -> Result:
    """Invoke the CLI with *args*, as ``brief ARGS`` would."""
    return CliRunner().invoke(cli, list(args), prog_name="brief")


def figure_ids(root: Path) -> list[str]:
    """Every figure id defined in the workspace's data/figures/, read from the files' text."""
    ids = []
    for path in sorted((root / "data" / "figures").glob("*.yaml")):
        ids += re.findall(r"^- id: (\S+)$", path.read_text(encoding="utf-8"), re.M)
    for path in sorted((root / "data" / "figures").glob("*.csv")):
        ids += [line.split(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()[1:] if line]
    return ids


def table_rows(text: str) -> list[dict[str, str]]:
    """Parse the aligned text table: columns are separated by two or more spaces."""
    lines = text.splitlines()
    header = lines[0].split()
    assert header == TABLE
    starts = [lines[0].index(name) for name in header]
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def csv_rows(root: Path, *args: str) -> list[dict[str, str]]:
    result = run("-C", str(root), "figures", *args, "--format", "csv")
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    rows = list(reader)
    assert reader.fieldnames == COLUMNS
    return rows


# --- the real workspace ---------------------------------------------------------------


def test_table_lists_every_figure_of_the_real_workspace(real_ws: Path) -> None:
    """The table has one row per figure id in data/, with the value formatted by its unit and
    ``used_by`` naming ``brief/audience`` for the figures the policy audience prints."""
    result = run("-C", str(real_ws), "figures")
    assert result.exit_code == 0, result.output
    listed = table_rows(result.stdout)
    rows = {row["id"]: row for row in listed}
    ids = figure_ids(real_ws)
    assert len(listed) == len(ids) == len(set(ids))
    assert set(rows) == set(ids)
    mmlu = rows["us_lead_mmlu_end2023"]
    assert (mmlu["printed_as"], mmlu["as_of"]) == ("17.5 percentage points", "2023-12")
    assert mmlu["source"].startswith("AI Index 2025")
    assert "us-china-ai-gap/policy" in mmlu["used_by"].split(", ")
    printed = {
        fid
        for path in (real_ws / "templates" / "policy").glob("*.md.j2")
        for fid in re.findall(r'fig\("([^"]+)"', path.read_text(encoding="utf-8"))
    }
    # The policy text prints the end-2023 HumanEval lead (MMLU's is in its chart only).
    assert "us_lead_humaneval_end2023" in printed
    assert {fid for fid in printed if "us-china-ai-gap/policy" not in rows[fid]["used_by"].split(", ")} == set()
    audiences = set(load_workspace(real_ws).briefs["us-china-ai-gap"].audiences)
    for row in listed:
        assert all(
            used.split("/")[0] == "us-china-ai-gap" and used.split("/")[1] in audiences
            for used in filter(None, row["used_by"].split(", "))
        ), row


def test_unused_real_figures_have_empty_used_by(real_ws: Path) -> None:
    """A figure named nowhere but in its own definition (no template, chart or derivation
    uses it) has an empty ``used_by``."""
    texts = [
        p.read_text(encoding="utf-8")
        for folder in ("briefs", "templates", "data")
        for p in (real_ws / folder).rglob("*")
        if p.suffix in (".yaml", ".j2")
    ]
    unused = {
        fid
        for fid in figure_ids(real_ws)
        if sum(len(re.findall(rf"\b{re.escape(fid)}\b", text)) for text in texts) == 1
    }
    assert unused  # e.g. org_ai_use_growth_europe today
    rows = {row["id"]: row for row in csv_rows(real_ws)}
    assert {fid: rows[fid]["used_by"] for fid in unused} == dict.fromkeys(unused, "")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_real_workspace_formats_agree(real_ws: Path, fmt: str) -> None:
    """CSV (read with csv.DictReader) and JSON hold the same rows, with columns id, label,
    value, unit, printed_as, as_of, source, used_by (JSON's value a number), and the table
    shows the same figures."""
    rows = csv_rows(real_ws)
    assert [row["id"] for row in rows] == [row["id"] for row in table_rows(run("-C", str(real_ws), "figures").stdout)]
    if fmt == "json":
        result = run("-C", str(real_ws), "figures", "--format", "json")
        assert result.exit_code == 0
        assert json.loads(result.stdout) == [{**row, "value": json.loads(row["value"])} for row in rows]
    assert all(list(row) == COLUMNS and row["source"] for row in rows)


def test_derived_real_figure_source_is_the_calculation(real_ws: Path) -> None:
    """A derived figure's source column starts with ``calculated:`` and shows its inputs."""
    rows = {row["id"]: row for row in csv_rows(real_ws)}
    source = rows["private_ai_investment_ratio_us_china"]["source"]
    assert source.startswith("calculated: ")
    assert "(Private AI investment in the United States, 2024) ÷ " in source


# --- the fixture workspace: exact rows ------------------------------------------------------

MINI_ROWS = {
    # id: (value, unit, printed_as, as_of, source, used_by)
    "share_2023": ("48", "percent", "48%", "2023", "Gadget Survey, fig. 2", "mini/policy"),
    "share_2024": ("75", "percent", "75%", "2024-06", "Gadget Survey, fig. 3", "mini/policy"),
    "share_rise": (
        "27",
        "pp",
        "27.0 percentage points",
        "2024-06",
        "calculated: 48% (Share of firms using gadgets, 2023) → 75% (Share of firms using gadgets, 2024)",
        "mini/policy",
    ),
    "widgets_alpha": ("276300", "count", "276,300", "2024", "Widget Report, table 1, p. 4", "mini/policy, mini/press"),
    "widgets_ratio": (
        "5.99349240780911",
        "ratio",
        "6.0 times",
        "2024",
        "calculated: 276,300 (Widgets installed by Alpha, 2024) ÷ 46,100 (Widgets installed by Beta, 2024)",
        "mini/policy",
    ),
    "investment_alpha": ("109.1", "usd_billion", "$109.1 billion", "2024", "Widget Report, table 2, p. 9", ""),
    "gadgets_claimed": ("12", "count", "12", "2024", "Gadget Survey, press release", ""),
    "beta_share_of_alpha": (
        "16.6847629388346",
        "percent",
        "16.7%",
        "2024",
        "calculated: 46,100 (Widgets installed by Beta, 2024) of 276,300 (Widgets installed by Alpha, 2024)",
        "",
    ),
}


@pytest.mark.parametrize("fid", list(MINI_ROWS), ids=list(MINI_ROWS))
def test_mini_rows(ws: Path, fid: str) -> None:
    """Each row: the raw value, its unit and the text printed for it, the as_of (a derived
    figure's latest input), the source's short title and locator (or the calculation), and
    the audiences using it."""
    rows = {row["id"]: row for row in csv_rows(ws)}
    assert set(rows) == set(figure_ids(ws))
    expected = dict(zip(["value", "unit", "printed_as", "as_of", "source", "used_by"], MINI_ROWS[fid], strict=True))
    assert {k: v for k, v in rows[fid].items() if k not in ("id", "label")} == expected


def test_used_by_names_each_brief(ws: Path) -> None:
    """``used_by`` names ``brief/audience`` across briefs; naming a brief lists only the figures
    it uses."""
    (ws / "briefs" / "other.yaml").write_text(
        "title: Another brief\ndate: 2025-06-01\nauthors: [Test Author]\n"
        "audiences:\n  press:\n    label: Press note\n    page_budget: 1\n    sections: [intro]\n",
        encoding="utf-8",
    )
    everything = {row["id"]: row["used_by"] for row in csv_rows(ws)}
    assert everything["widgets_alpha"] == "mini/policy, mini/press, other/press"
    assert everything["widgets_beta"] == "mini/policy"
    only_other = {row["id"]: row["used_by"] for row in csv_rows(ws, "other")}
    assert only_other == {"widgets_alpha": "other/press"}
    assert "widgets_beta" in {row["id"] for row in csv_rows(ws, "mini")}


def test_table_and_json_match_csv(ws: Path) -> None:
    """The text table shows the CSV's id, printed_as, as_of, source and used_by, aligned; JSON is
    the CSV's rows, with the value a number."""
    rows = csv_rows(ws)
    table = run("-C", str(ws), "figures")
    assert table.exit_code == 0
    assert table_rows(table.stdout) == [{k: row[k] for k in TABLE} for row in rows]
    as_json = json.loads(run("-C", str(ws), "figures", "--format", "json").stdout)
    assert as_json == [{**row, "value": json.loads(row["value"])} for row in rows]
    assert {type(row["value"]) for row in as_json} == {int, float}


def test_computed_values_carry_no_float_noise(ws: Path) -> None:
    """8.2 − 4.6 is 3.5999999999999996 in binary floating point; the CSV and JSON say 3.6."""
    (ws / "data" / "figures" / "zz_noise.yaml").write_text(
        "- {id: noise_a, label: A noisy input, value: 8.2, unit: pp, as_of: '2024', source: report-a, locator: p. 1}\n"
        "- {id: noise_b, label: Another input, value: 4.6, unit: pp, as_of: '2024', source: report-a, locator: p. 2}\n"
        "- {id: noise_gap, label: The gap between them, unit: pp, derive: {op: difference, of: [noise_a, noise_b]}}\n",
        encoding="utf-8",
    )
    assert 8.2 - 4.6 != 3.6
    rows = {row["id"]: row for row in csv_rows(ws)}
    assert rows["noise_gap"]["value"] == "3.6"
    as_json = json.loads(run("-C", str(ws), "figures", "--format", "json").stdout)
    assert next(r for r in as_json if r["id"] == "noise_gap")["value"] == 3.6
    # The archival PDF's figures.csv writes the same numbers.
    from brief.pipeline.record import figures_csv
    from helpers import job_for

    job = job_for(load_workspace(ws))
    attached = list(csv.DictReader(io.StringIO(figures_csv(job, ["noise_gap", "widgets_alpha"]).decode("utf-8"))))
    assert [(r["id"], r["value"], r["printed_as"]) for r in attached] == [
        ("noise_gap", "3.6", "3.6 percentage points"),
        ("widgets_alpha", "276300", "276,300"),
    ]


def test_figures_refuses_when_check_finds_an_error(ws: Path) -> None:
    """With a check error, ``brief figures`` prints the errors with file and line, no table,
    and exits 1."""
    intro = ws / "templates" / "policy" / "intro.md.j2"
    replace_in(intro, 'fig("widgets_alpha")', 'fig("widgets_alpah")')
    result = run("-C", str(ws), "figures")
    assert result.exit_code == 1
    assert result.stdout == ""
    line = line_number(intro, "widgets_alpah")
    assert result.stderr == (
        f"templates/policy/intro.md.j2:{line}: error: unknown figure 'widgets_alpah' — "
        "did you mean widgets_alpha, widgets_beta, widgets_ratio?\n"
    )
