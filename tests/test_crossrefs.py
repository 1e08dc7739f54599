"""Writing tools: ``ref()`` cross-references and images beside a section.

``{{ ref("id") }}`` prints the number the chart or table has in the edition ("Figure 1",
"Table 1", "Abbildung 1") as a tagged link to it; an unknown id, or a chart the edition does not
show, is an error at the template's line in a build and in ``brief check``. An image is read
from the section's own folder, must be inside templates/, an image, and have alt text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from helpers import line_number
from test_usability_rows import append, png_bytes, section

TABLE = """
  totals:
    kind: table
    title: The United States invests far more
    subtitle: Private investment in AI companies, 2024, billion US dollars
    rows:
      - {label: United States, series: "2024", figure: private_ai_investment_2024_us}
      - {label: China, series: "2024", figure: private_ai_investment_2024_china}
"""


def run(root: Path, *args: str) -> Result:
    """``brief -C ROOT ARGS``, in process."""
    return CliRunner().invoke(cli, ["-C", str(root), *args], prog_name="brief")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The starter with a second chart (a table) placed after the text that refers to both."""
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    root = tmp_path / "ws"
    brief_file = root / "briefs" / "first-brief.yaml"
    text = brief_file.read_text(encoding="utf-8").replace("\naudiences:", TABLE + "\naudiences:")
    brief_file.write_text(text.replace("charts: [investment]", "charts: [investment, totals]"), encoding="utf-8")
    body = (
        section(root)
        .read_text(encoding="utf-8")
        .replace("\nas much.", '\nas much, as {{ ref("investment") }} shows and {{ ref("totals") }} lists.')
    )
    section(root).write_text(body + '\n{{ chart("totals") }}\n', encoding="utf-8")
    return root


def set_language(root: Path, language: str) -> None:
    """Set the brief's language."""
    brief_file = root / "briefs" / "first-brief.yaml"
    brief_file.write_text(
        brief_file.read_text(encoding="utf-8").replace("language: en-US", f"language: {language}"), encoding="utf-8"
    )


def links(pdf: pikepdf.Pdf) -> set[str]:
    """The named destinations of the link annotations that a Link structure element holds."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == "/Link":
                kids = node.K if isinstance(node.K, pikepdf.Array) else [node.K]
                for kid in kids:
                    if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                        found.add(str(kid.Obj.get("/Dest")))
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot)
    return found


def test_ref_prints_the_number_and_is_a_tagged_link(ws: Path) -> None:
    """A reference before its chart prints the number the chart gets, figures and tables each
    counted on their own, and is a Link in the PDF's tag tree pointing at the chart."""
    result = run(ws, "build")
    assert result.exit_code == 0, result.output
    with pikepdf.open(ws / "out" / "first-brief-policy.pdf") as pdf:
        assert {"figure-investment", "table-totals"} <= links(pdf)
    import subprocess

    text = subprocess.run(
        ["pdftotext", str(ws / "out" / "first-brief-policy.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"as\s+Figure\s1\s+shows\s+and\s+Table\s1\s+lists", text), text


def test_ref_in_german(ws: Path) -> None:
    """In a German brief the reference reads "Abbildung 1" and "Tabelle 1"."""
    set_language(ws, "de-DE")
    result = run(ws, "build", "--format", "html")
    assert result.exit_code == 0, result.output
    page = (ws / "out" / "first-brief-policy.html").read_text(encoding="utf-8")
    assert '<a class="xref" href="#figure-investment">Abbildung\u00a01</a>' in page
    assert '<a class="xref" href="#table-totals">Tabelle\u00a01</a>' in page
    assert 'id="figure-investment"' in page and 'id="table-totals"' in page


def test_unknown_ref_is_an_error_at_its_line(ws: Path) -> None:
    """A misspelt id is an error at its line, with the id it could have meant, in check and build."""
    body = section(ws).read_text(encoding="utf-8").replace('ref("investment")', 'ref("investmnet")')
    section(ws).write_text(body, encoding="utf-8")
    line = line_number(section(ws), "investmnet")
    expected = (
        f"templates/policy/summary.md.j2:{line}: error: unknown chart 'investmnet' in ref() — did you mean investment?"
    )
    checked = run(ws, "check")
    assert checked.exit_code == 1 and expected in checked.stdout.splitlines()
    built = run(ws, "build")
    assert built.exit_code == 1 and expected in built.stderr.splitlines()


def test_ref_to_a_chart_the_edition_does_not_show(ws: Path) -> None:
    """A chart of the brief that the audience does not show has no number: an error saying so."""
    body = section(ws).read_text(encoding="utf-8").replace('\n{{ chart("totals") }}\n', "\n")
    section(ws).write_text(body, encoding="utf-8")
    brief_file = ws / "briefs" / "first-brief.yaml"
    brief_file.write_text(
        brief_file.read_text(encoding="utf-8").replace("charts: [investment, totals]", "charts: [investment]"),
        encoding="utf-8",
    )
    line = line_number(section(ws), 'ref("totals")')
    checked = run(ws, "check")
    assert checked.exit_code == 1
    assert (
        f"templates/policy/summary.md.j2:{line}: error: chart 'totals' is not shown in the 'policy' edition"
        in checked.stdout
    )


@pytest.mark.parametrize(
    "markdown, message",
    [
        ("![A map](../../briefs/first-brief.yaml)", "image '../../briefs/first-brief.yaml' lies outside templates/"),
        ("![A map](summary.md.j2)", "templates/policy/summary.md.j2 is not an image brief can print"),
        ("![](map.png)", "image 'map.png' has no alt text"),
        ("![A map](nomap.png)", "image 'nomap.png' not found: no file templates/policy/nomap.png"),
    ],
    ids=["outside", "not-an-image", "no-alt", "missing"],
)
def test_image_problems_at_their_line(ws: Path, markdown: str, message: str) -> None:
    """``brief check`` reports each image it cannot print at the template's line."""
    (ws / "templates" / "policy" / "map.png").write_bytes(png_bytes())
    append(section(ws), f"\nAbove the map.\n\n{markdown}\n")
    line = line_number(section(ws), markdown)
    checked = run(ws, "check")
    assert checked.exit_code == 1
    assert f"templates/policy/summary.md.j2:{line}: error: {message}" in checked.stdout


def test_image_in_a_brief_folder_resolves_from_it(tmp_path: Path) -> None:
    """A brief's own folder (templates/BRIEF/AUDIENCE/) is the section's folder too, and the
    image is embedded in the HTML edition, which needs no file beside it."""
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    root = tmp_path / "ws"
    assert run(root, "new", "brief", "second").exit_code == 0
    folder = root / "templates" / "second" / "policy"
    (folder / "map.png").write_bytes(png_bytes())
    append(folder / "summary.md.j2", "\n![A map of the second brief](map.png)\n")
    result = run(root, "build", "second", "--format", "html")
    assert result.exit_code == 0, result.output
    page = (root / "out" / "second-policy.html").read_text(encoding="utf-8")
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="A map of the second brief"', page)


def test_image_problem_reported_beside_other_errors(ws: Path) -> None:
    """``brief check`` finds a missing image without rendering, so it is reported beside another
    error of the same section (a check renders only a workspace without errors)."""
    append(section(ws), '\nThe total is {{ fig("no_such_figure") }}.\n\n![A map](nomap.png)\n')
    checked = run(ws, "check")
    assert checked.exit_code == 1
    where = "templates/policy/summary.md.j2"
    assert f"{where}:{line_number(section(ws), 'no_such_figure')}: error: unknown figure" in checked.stdout
    assert f"{where}:{line_number(section(ws), 'nomap.png')}: error: image 'nomap.png' not found" in checked.stdout


def drawn_image_widths(pdf_path: Path) -> list[float]:
    """The width in points at which each image of the PDF is drawn (images in its pages' own
    content, where WeasyPrint draws them)."""
    widths = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            stack, ctm = [], pikepdf.Matrix()
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name == "q":
                    stack.append(ctm)
                elif name == "Q":
                    ctm = stack.pop()
                elif name == "cm":
                    ctm = pikepdf.Matrix(*[float(x) for x in operands]) @ ctm
                elif name == "Do" and page.Resources.XObject[operands[0]].get("/Subtype") == "/Image":
                    widths.append(abs(ctm.a))
    return widths


@pytest.mark.slow
def test_a_wide_image_stays_in_the_column(tmp_path: Path) -> None:
    """An image wider than the column is drawn at the column's width, not past the page's edge."""
    from PIL import Image

    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    root = tmp_path / "ws"
    Image.new("RGB", (2400, 300), (200, 60, 60)).save(root / "templates" / "policy" / "band.png")
    append(section(root), "\n![A wide band of colour](band.png)\n")
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    widths = drawn_image_widths(root / "out" / "first-brief-policy.pdf")
    # US Letter is 612 pt wide; the starter's column is what its margins leave.
    assert widths and max(widths) < 612 - 2 * 54, widths


def test_an_image_linked_from_outside_is_refused(ws: Path) -> None:
    """A link beside the section to an image outside templates/ is followed, and refused."""
    (ws / "outside.png").write_bytes(png_bytes())
    (ws / "templates" / "policy" / "map.png").symlink_to(ws / "outside.png")
    append(section(ws), "\n![A map](map.png)\n")
    line = line_number(section(ws), "(map.png)")
    checked = run(ws, "check")
    assert checked.exit_code == 1
    assert f"templates/policy/summary.md.j2:{line}: error: image 'map.png' lies outside templates/" in checked.stdout


def test_an_svg_image_with_a_script_is_refused(ws: Path) -> None:
    """An SVG image is embedded as a data: image and held to the HTML policy: a script is refused."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    (ws / "templates" / "policy" / "map.svg").write_text(svg, encoding="utf-8")
    append(section(ws), "\n![A map](map.svg)\n")
    line = line_number(section(ws), "(map.svg)")
    built = run(ws, "build", "--format", "html")
    assert built.exit_code == 1
    assert (
        f"templates/policy/summary.md.j2:{line}: error: image 'map.svg' is an SVG in which <script> is not allowed"
        in built.stderr
    )
    assert not (ws / "out" / "first-brief-policy.html").exists()


def test_a_path_with_digits_is_not_a_hand_typed_number() -> None:
    """Where an image or link points ("maps/2.png", "…/reports/5") is a path, not a number in the
    prose; a number in the text beside it still is."""
    from brief.pipeline.check_templates import hand_typed_numbers

    source = 'See ![A map](maps/2.png) and [the report](https://example.org/reports/5 "Report 5").\nIt rose 7 points.\n'
    assert hand_typed_numbers(source) == [(2, "7")]
