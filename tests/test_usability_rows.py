"""The usability review's friction points, each as the behaviour the reviewer expected.

One test per row of the review's table (rows 1, 6-13, 15, 18-23, 26 and 41), named after its row.
Each works as the reviewer did: a workspace from ``brief init``, the command line, and what a
user reads (printed text, the PDF's text, the HTML edition).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from helpers import line_number

SERIES = """
- id: eu_share_2020
  label: EU share of world fab capacity, 2020
  value: 9.0
  unit: percent
  as_of: "2020"
  source: ai-index-2025
  locator: "table 1"
  historic: true

- id: eu_share_2026
  label: EU share of world fab capacity, 2026
  value: 8.4
  unit: percent
  as_of: "2026"
  source: ai-index-2025
  locator: "table 1"

- id: eu_share_change
  label: Change in the EU share of world fab capacity, 2020 to 2026
  unit: pp
  derive: {op: pp_change, of: [eu_share_2020, eu_share_2026]}
"""


def png_bytes() -> bytes:
    """A small PNG image."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def run(root: Path, *args: str) -> Result:
    """``brief -C ROOT ARGS``, in process."""
    return CliRunner().invoke(cli, ["-C", str(root), *args], prog_name="brief")


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    """A workspace as ``brief init`` writes it."""
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "ws")], prog_name="brief")
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def section(root: Path) -> Path:
    """The starter's one narrative section."""
    return root / "templates" / "policy" / "summary.md.j2"


def append(path: Path, text: str) -> None:
    """Add *text* at the end of *path*."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def printed(root: Path) -> dict[str, str]:
    """Each figure's printed text, as ``brief figures --format csv`` lists it."""
    result = run(root, "figures", "--format", "csv")
    assert result.exit_code == 0, result.output
    return {row["id"]: row["printed_as"] for row in csv.DictReader(io.StringIO(result.stdout))}


def html_text(root: Path) -> str:
    """The HTML edition of the starter, built (it is typeset by no PDF engine: quicker)."""
    result = run(root, "build", "--format", "html", "--force")
    assert result.exit_code == 0, result.output
    return (root / "out" / "first-brief-policy.html").read_text(encoding="utf-8")


def test_row_01_docs_installed_with_the_tool(starter: Path) -> None:
    """Row 1: an installed user has the docs (``brief docs TOPIC``), and the starter's comments
    point at them rather than at a file of the repository. (The wheel has no project URL: the
    project has no public address to give.)"""
    result = run(starter, "docs", "reference")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Reference")
    brief_file = (starter / "briefs" / "first-brief.yaml").read_text(encoding="utf-8")
    assert "docs/reference.md" not in brief_file and "brief docs reference" in brief_file


def test_row_06_decimals_as_written(starter: Path) -> None:
    """Row 6: ``value: 9.0`` prints "9.0%", beside "8.4%"."""
    (starter / "data" / "figures" / "series.yaml").write_text(SERIES, encoding="utf-8")
    texts = printed(starter)
    assert texts["eu_share_2020"] == "9.0%"
    assert texts["eu_share_2026"] == "8.4%"


@pytest.mark.slow
def test_row_07_a_fall_in_words_and_a_true_minus(starter: Path) -> None:
    """Row 7: a fall prints with a true minus sign, and a template can print its magnitude and
    choose its verb by the sign: "fell by 0.6 percentage points"."""
    (starter / "data" / "figures" / "series.yaml").write_text(SERIES, encoding="utf-8")
    assert printed(starter)["eu_share_change"] == "\u22120.6 percentage points"
    append(
        section(starter),
        '\nThe EU share {% if fig_sign("eu_share_change") == "negative" %}fell{% else %}rose{% endif %} '
        'by {{ fig("eu_share_change", "abs") }} ({{ fig("eu_share_change", "signed") }}).\n',
    )
    text = re.sub(r"<[^>]+>", "", html_text(starter)).replace("\u00a0", " ")
    assert "The EU share fell by 0.6 percentage points (\u22120.6 percentage points)" in text


def test_row_08_plural_unit_words(starter: Path) -> None:
    """Row 8: one fab is "1 fab", three are "3 fabs"."""
    append(
        starter / "data" / "units.yaml",
        '\nfabs:\n  long: {one: "{n} fab", other: "{n} fabs"}\n  short: "{n}"\n  axis: fabs\n  decimals: 0\n',
    )
    (starter / "data" / "figures" / "fabs.yaml").write_text(
        "".join(
            f"- id: fabs_{name}\n  label: Fabs under construction in {name}, 2026\n  value: {n}\n  unit: fabs\n"
            f'  as_of: "2026"\n  source: ai-index-2025\n  locator: "table 2"\n'
            for name, n in (("nl", 1), ("de", 3))
        ),
        encoding="utf-8",
    )
    texts = printed(starter)
    assert (texts["fabs_nl"], texts["fabs_de"]) == ("1 fab", "3 fabs")


def test_row_09_sum_and_growth_rate(starter: Path) -> None:
    """Row 9: derived figures can add figures and give a yearly growth rate."""
    (starter / "data" / "figures" / "series.yaml").write_text(
        SERIES
        + """
- id: investment_total_2024
  label: Private AI investment in the US and China together, 2024
  unit: usd_billion
  derive: {op: sum, of: [private_ai_investment_2024_us, private_ai_investment_2024_china]}

- id: eu_share_growth
  label: Yearly growth of the EU share, 2020 to 2026
  unit: percent_per_year
  derive: {op: cagr, of: [eu_share_2020, eu_share_2026]}
""",
        encoding="utf-8",
    )
    texts = printed(starter)
    assert texts["investment_total_2024"] == "$118.4 billion"
    assert texts["eu_share_growth"] == "\u22121.1% a year"


def test_row_10_historic_points_pass_strict(starter: Path) -> None:
    """Row 10: an earlier point of a series, marked ``historic: true``, is exempt from the
    freshness window, so a brief that prints it can pass ``--strict``."""
    (starter / "data" / "figures" / "series.yaml").write_text(SERIES, encoding="utf-8")
    append(section(starter), '\nThe EU share was {{ fig("eu_share_2020") }} in 2020.\n')
    result = run(starter, "check", "--strict")
    assert result.exit_code == 0, result.output
    assert "eu_share_2020" not in result.output


def test_row_11_strict_says_why_nothing_was_written(starter: Path) -> None:
    """Row 11: a build or check stopped by warnings under ``--strict`` ends with one line saying
    so, and writes nothing."""
    brief_file = starter / "briefs" / "first-brief.yaml"
    brief_file.write_text(
        brief_file.read_text(encoding="utf-8").replace("freshness_months: 36", "freshness_months: 6"),
        encoding="utf-8",
    )
    line = "error: 4 warnings are errors under --strict; nothing was written"
    built = run(starter, "build", "--strict")
    assert built.exit_code == 1
    assert built.stderr.splitlines()[-1] == line
    assert not (starter / "out" / "first-brief-policy.pdf").exists()
    checked = run(starter, "check", "--strict")
    assert checked.exit_code == 1
    assert checked.stderr.splitlines()[-1] == line


def test_row_12_all_says_up_to_date(starter: Path) -> None:
    """Row 12: ``brief build BRIEF --all`` leaves a current edition as it is, and says so."""
    first = run(starter, "build", "first-brief", "--all")
    assert first.exit_code == 0, first.output
    pdf = starter / "out" / "first-brief-policy.pdf"
    before = pdf.stat().st_mtime_ns
    second = run(starter, "build", "first-brief", "--all")
    assert second.exit_code == 0, second.output
    assert "up to date" in second.stdout
    assert pdf.stat().st_mtime_ns == before


def test_row_13_editing_one_brief_leaves_another_current(starter: Path) -> None:
    """Row 13: in a workspace of two briefs, a blank line added to one brief's template leaves
    the other's edition up to date, and ``brief verify`` still accepts it."""
    assert run(starter, "new", "brief", "second").exit_code == 0
    assert run(starter, "build", "first-brief").exit_code == 0
    append(starter / "templates" / "second" / "policy" / "summary.md.j2", "\n")
    again = run(starter, "build", "first-brief")
    assert again.exit_code == 0, again.output
    assert "up to date" in again.stdout
    verified = run(starter, "verify", str(starter / "out" / "first-brief-policy.pdf"))
    assert verified.exit_code == 0, verified.output


def test_row_18_partial_brand_file(starter: Path) -> None:
    """Row 18: a brand file with a name and a primary colour, or Quarto's ``base: Family``
    shorthand, is accepted (the rest comes from the theme), and no message names a class."""
    brand = starter / "templates" / "brand.yml"
    for text in (
        'meta:\n  name: Harbour Institute\ncolor:\n  palette: {navy: "#1f3a5f"}\n  primary: navy\n',
        "meta:\n  name: Harbour Institute\ntypography:\n  base: Inter\n",
    ):
        brand.write_text(text, encoding="utf-8")
        result = run(starter, "check")
        assert result.exit_code == 0, result.output
        assert "TypeRole" not in result.output and "instance of" not in result.output


def test_row_19_image_beside_its_section(starter: Path) -> None:
    """Row 19: ``![alt](map.png)`` finds map.png beside the section, and ``brief check``
    reports a missing image at its line."""
    (starter / "templates" / "policy" / "map.png").write_bytes(png_bytes())
    append(section(starter), "\n![A map of the fabs under construction](map.png)\n")
    result = run(starter, "check")
    assert result.exit_code == 0, result.output
    page = html_text(starter)
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="A map of the fabs under construction"', page)
    append(section(starter), "\n![A second map](missing.png)\n")
    line = line_number(section(starter), "missing.png")
    result = run(starter, "check")
    assert result.exit_code == 1
    assert f"templates/policy/summary.md.j2:{line}: error: image 'missing.png' not found" in result.stdout


def test_row_20_cite_is_documented(starter: Path) -> None:
    """Row 20: ``cite()`` is documented beside ``fig()``, in the walk-through and the reference."""
    for topic in ("customising", "reference"):
        result = run(starter, "docs", topic)
        assert result.exit_code == 0, result.output
        assert 'cite("' in result.stdout and 'fig("' in result.stdout, topic


def test_row_21_cross_reference_to_a_chart(starter: Path) -> None:
    """Row 21: ``{{ ref("investment") }}`` prints the chart's number, linked to it."""
    text = section(starter).read_text(encoding="utf-8")
    section(starter).write_text(text.replace("\nas much.", '\nas much, as {{ ref("investment") }} shows.'), "utf-8")
    page = html_text(starter)
    assert 'as <a class="xref" href="#figure-investment">Figure\u00a01</a> shows' in page
    assert 'id="figure-investment"' in page


def test_row_26_scaffolds_plain_and_quotes_kept(starter: Path) -> None:
    """Row 26: ``brief new brief`` writes no escaped Jinja into the text, and ``brief new
    audience`` changes only the lines it adds (quotes kept)."""
    assert run(starter, "new", "brief", "second").exit_code == 0
    scaffold = (starter / "templates" / "second" / "policy" / "summary.md.j2").read_text(encoding="utf-8")
    assert "{{ '{{" not in scaffold
    brief_file = starter / "briefs" / "first-brief.yaml"
    quoted = re.sub(r"^title: (.*)$", r'title: "\1"', brief_file.read_text(encoding="utf-8"), flags=re.M)
    brief_file.write_text(quoted, encoding="utf-8")
    assert run(starter, "new", "audience", "board", "--brief", "first-brief").exit_code == 0
    after = brief_file.read_text(encoding="utf-8")
    removed = [line for line in quoted.splitlines() if line not in after.splitlines()]
    assert removed == []


BILINGUAL_FIGURE = """
- id: private_ai_investment_2024_us
  label:
    en: Private AI investment in the United States, 2024
    de: Private KI-Investitionen in den USA, 2024
  value: 109.1
  unit: usd_billion
  as_of: "2024"
  source: ai-index-2025
  locator:
    en: "ch. 4, §4.3, fig. 4.3.8, p. 252 (data: Quid)"
    de: "Kap. 4, §4.3, Abb. 4.3.8, S. 252 (Daten: Quid)"
"""


def test_row_15_one_brief_file_two_languages(starter: Path) -> None:
    """Row 15: ``languages: [en-US, de-DE]`` in one brief file builds an English and a German
    edition; a figure's label and locator, and a chart's labels, are given per language, and
    each edition prints its own (with "Abbildung 1" for the German cross-reference)."""
    brief_file = starter / "briefs" / "first-brief.yaml"
    text = brief_file.read_text(encoding="utf-8").replace("language: en-US", "languages: [en-US, de-DE]")
    text = text.replace("{label: United States,", "{label: {en: United States, de: USA},")
    brief_file.write_text(text, encoding="utf-8")
    figures = starter / "data" / "figures" / "starter.yaml"
    kept = re.sub(r"\n- id: private_ai_investment_2024_us\n(  .*\n)+", "\n", figures.read_text(encoding="utf-8"))
    figures.write_text(kept + BILINGUAL_FIGURE, encoding="utf-8")
    german = starter / "templates" / "policy" / "de-DE" / "summary.md.j2"
    german.parent.mkdir()
    german.write_text(
        '## Kurzfassung\n\n2024 flossen {{ fig("private_ai_investment_2024_us") }} in KI-Unternehmen in den USA'
        ' ({{ ref("investment") }}).\n\n{{ chart("investment") }}\n',
        encoding="utf-8",
    )
    result = run(starter, "build", "--format", "html", "--all")
    assert result.exit_code == 0, result.output
    pages = {
        tag: (starter / "out" / f"first-brief-policy-{tag}.html").read_text(encoding="utf-8").replace("\u00a0", " ")
        for tag in ("en-US", "de-DE")
    }
    assert "Kap. 4, §4.3, Abb. 4.3.8, S. 252 (Daten: Quid)" in pages["de-DE"]
    assert "Private KI-Investitionen in den USA, 2024" in pages["de-DE"]
    assert "Abbildung 1</a>" in pages["de-DE"]
    assert "ch. 4, §4.3, fig. 4.3.8, p. 252 (data: Quid)" in pages["en-US"]
    assert "Private AI investment in the United States, 2024" in pages["en-US"]
    assert "Private KI-Investitionen" not in pages["en-US"]


def test_row_22_figures_print_as_the_brief_does(starter: Path) -> None:
    """Row 22: ``brief figures BRIEF`` writes each value as that brief prints it, in its
    language (a German brief's "109,1 Mrd. US-Dollar"), the text its edition prints."""
    brief_file = starter / "briefs" / "first-brief.yaml"
    original = brief_file.read_text(encoding="utf-8")
    for language, expected in (("en-GB", "$109.1 billion"), ("de-DE", "109,1 Mrd. US-Dollar")):
        brief_file.write_text(original.replace("language: en-US", f"language: {language}"), encoding="utf-8")
        result = run(starter, "figures", "first-brief", "--format", "csv")
        assert result.exit_code == 0, result.output
        rows = {row["id"]: row["printed_as"] for row in csv.DictReader(io.StringIO(result.stdout))}
        assert rows["private_ai_investment_2024_us"].replace("\u00a0", " ") == expected
        page = html_text(starter).replace("\u00a0", " ")
        assert expected in page


def test_row_23_us_english_dates(starter: Path) -> None:
    """Row 23: an en-US brief dated 2026-12-01 prints "December 1, 2026"."""
    page = html_text(starter).replace("\u00a0", " ")
    assert "December 1, 2026" in page
    assert "1 December 2026" not in page


@pytest.mark.slow
def test_row_41_each_pdf_standard_its_own_file(starter: Path) -> None:
    """Row 41: each ``--pdf-standard`` writes its own file (``-a3a``, ``-a3b``, ``-plain``), so
    none replaces another or the tagged edition that ``distribute`` sends."""
    out = starter / "out"
    assert run(starter, "build").exit_code == 0
    tagged = (out / "first-brief-policy.pdf").read_bytes()
    for standard in ("a-3a", "a-3b", "none"):
        result = run(starter, "build", "--pdf-standard", standard)
        assert result.exit_code == 0, result.output
    names = {path.name for path in out.glob("*.pdf")}
    assert names == {
        "first-brief-policy.pdf",
        "first-brief-policy-a3a.pdf",
        "first-brief-policy-a3b.pdf",
        "first-brief-policy-plain.pdf",
    }
    assert (out / "first-brief-policy.pdf").read_bytes() == tagged
