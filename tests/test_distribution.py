"""Distribution-grade output: accessible PDF/UA, archival PDF/A-3b with its data, byte-for-byte
reproducible builds, a verifiable manifest, the HTML edition and chart exports."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.build import build
from helpers import REPO, PolicyBuild, copy_workspace, flagship_charts, request_for

pytestmark = pytest.mark.slow


def run(*args: str) -> object:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args))


def sha256(path: Path) -> str:
    """The file's sha256, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def struct_elements(node: object) -> list[pikepdf.Dictionary]:
    """Every structure element under *node*, depth first."""
    out: list[pikepdf.Dictionary] = []
    if isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            out.append(node)
        if "/K" in node:
            out.extend(struct_elements(node.K))
    elif isinstance(node, pikepdf.Array):
        for item in node:
            out.extend(struct_elements(item))
    return out


def test_pdf_ua_structure(policy_build: PolicyBuild) -> None:
    """The default PDF is tagged PDF/UA-1: structure tree, marked, language, title shown,
    PDF/UA id in XMP, headings in order, an outline, and every font embedded."""
    with pikepdf.open(policy_build.pdf) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert bool(root.MarkInfo.Marked)
        assert str(root.Lang) == "en-US"
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        assert str(pdf.open_metadata().get("pdfuaid:part")) == "1"
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            assert titles and titles[0] == "The US–China AI Gap"
            assert [c.title for c in outline.root[0].children][:3] == [
                "Key findings",
                "The performance gap: nearly level, with a narrow US lead",
                "Where the US still leads",
            ]
        elements = struct_elements(root.StructTreeRoot)
        headings = [int(str(e.S)[2]) for e in elements if str(e.S) in ("/H1", "/H2", "/H3")]
        assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts", [font])
                descriptor = descendants[0].get("/FontDescriptor")
                assert descriptor is not None and any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )


def test_every_chart_is_a_figure_with_alt_text_from_its_data(policy_build: PolicyBuild) -> None:
    """Each chart is a Figure element whose Alt text states what it shows, every value and the
    takeaway — not "chart"."""
    with pikepdf.open(policy_build.pdf) as pdf:
        figures = [e for e in struct_elements(pdf.Root.StructTreeRoot) if str(e.S) == "/Figure"]
        alts = [str(f.get("/Alt", "")) for f in figures]
    charts = policy_build.job.audience.charts
    assert len(figures) == len(charts)
    arena = next(a for a in alts if "arena score" in a)
    assert "Feb 2025: 1,405 (United States), 1,400 (China)" in arena and "Mar 2026: 1,503 (United States)" in arena
    assert arena.endswith("The top US model led narrowly at both dates the AI Index 2026 quantifies")
    assert all(len(a) > 80 for a in alts)


def test_two_builds_in_two_folders_are_byte_identical(policy_build: PolicyBuild, tmp_path: Path) -> None:
    """The same inputs give the same bytes in another folder on another run: the date comes
    from the brief file, and nothing random is written."""
    other = copy_workspace(REPO, tmp_path / "somewhere" / "else")
    result = build(request_for(other, None, "policy"))
    assert sha256(result.path) == sha256(policy_build.pdf)


def test_source_date_epoch_sets_the_recorded_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With SOURCE_DATE_EPOCH set, the PDF records that moment, and two such builds agree."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    first = build(request_for(copy_workspace(REPO, tmp_path / "a"), None, "executive"))
    second = build(request_for(copy_workspace(REPO, tmp_path / "b"), None, "executive"))
    assert sha256(first.path) == sha256(second.path)
    with pikepdf.open(first.path) as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20260101")


def test_manifest_and_verify(policy_build: PolicyBuild, tmp_path: Path) -> None:
    """out/manifest.json records hash, size, pages, audience, standard, inputs and tool versions;
    `brief verify` passes on the PDF, fails on a tampered copy and on changed inputs."""
    root = copy_workspace(policy_build.root, tmp_path / "ws")
    shutil.copytree(policy_build.root / "out", root / "out")
    pdf = root / "out" / "us-china-ai-gap-policy.pdf"
    entry = json.loads((root / "out" / "manifest.json").read_text())["outputs"][pdf.name]
    assert entry["sha256"] == sha256(pdf) and entry["size"] == pdf.stat().st_size
    assert (entry["pages"], entry["audience"], entry["standard"]) == (policy_build.result.pages, "policy", "ua-1")
    assert set(entry["versions"]) == {"brief", "weasyprint", "altair", "vl-convert-python"}
    ok = run("-C", str(root), "verify", str(pdf))
    assert ok.exit_code == 0 and ok.output.count("ok: ") == 2, ok.output
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    tampered = run("-C", str(root), "verify", str(pdf))
    assert tampered.exit_code == 1 and "FAILED: us-china-ai-gap-policy.pdf differs" in tampered.output
    pdf.write_bytes(policy_build.pdf.read_bytes())
    (root / "data" / "figures" / "ai-index-2026.yaml").write_text(
        (root / "data" / "figures" / "ai-index-2026.yaml").read_text() + "\n# edited\n"
    )
    changed = run("-C", str(root), "verify", str(pdf))
    assert changed.exit_code == 1 and "FAILED: the workspace's inputs have changed" in changed.output
    assert "data/figures/ai-index-2026.yaml changed" in changed.output


def test_archival_pdf_a3a_is_its_own_file_tagged_with_its_figures_and_build_record(
    policy_build: PolicyBuild, copy_built: Callable[[], Path]
) -> None:
    """--pdf-standard a-3a writes NAME-AUDIENCE-a3a.pdf beside the accessible PDF (left as
    it was): PDF/A-3a, tagged (structure tree, charts as Figures with alt text), carrying
    figures.csv (every figure it prints, with its source) and the build record; both verify."""
    root = copy_built()
    accessible = root / "out" / "us-china-ai-gap-policy.pdf"
    before = sha256(accessible)
    result = run("-C", str(root), "build", "--audience", "policy", "--pdf-standard", "a-3a")
    assert result.exit_code == 0, result.output
    archival = root / "out" / "us-china-ai-gap-policy-a3a.pdf"
    assert "out/us-china-ai-gap-policy-a3a.pdf" in result.output and sha256(accessible) == before
    with pikepdf.open(archival) as pdf:
        meta = pdf.open_metadata()
        assert (str(meta.get("pdfaid:part")), str(meta.get("pdfaid:conformance"))) == ("3", "A")
        assert bool(pdf.Root.MarkInfo.Marked) and str(pdf.Root.Lang) == "en-US"
        elements = struct_elements(pdf.Root.StructTreeRoot)
        figures = [e for e in elements if str(e.S) == "/Figure"]
        assert len(figures) == len(policy_build.job.audience.charts) and all(len(str(f.Alt)) > 80 for f in figures)
        assert next(str(e.S) for e in elements if str(e.S).startswith("/H")) == "/H1"
        files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert set(files) == {"figures.csv", "build-record.json"}
    rows = list(csv.DictReader(io.StringIO(files["figures.csv"].decode("utf-8"))))
    job = policy_build.job
    assert [r["id"] for r in rows] == policy_build.rendered.figures_used
    for row in rows:
        fig = job.figures[row["id"]]
        assert row["printed_as"] == fig.text() and row["unit"] == fig.unit and row["as_of"] == fig.as_of
        assert float(row["value"]) == pytest.approx(float(fig.value))
        assert row["source"] or row["calculation"]
    record = json.loads(files["build-record.json"])
    assert (record["brief"], record["audience"], record["standard"]) == ("us-china-ai-gap", "policy", "a-3a")
    assert "data/figures/benchmarks.yaml" in record["inputs"]
    for pdf_path in (accessible, archival):
        verified = run("-C", str(root), "verify", str(pdf_path))
        assert verified.exit_code == 0 and verified.output.count("ok: ") == 2, verified.output


def test_html_edition_with_an_overlay_passes_verify_under_any_name(tmp_path: Path) -> None:
    """An HTML edition has a manifest entry, with the overlay it was built with; a renamed copy
    verifies against that manifest with no --templates given, and fails once the overlay changes."""
    root = copy_workspace(REPO, tmp_path / "ws")
    overlay = tmp_path / "house-style"
    overlay.mkdir()
    (overlay / "custom.css").write_text("h1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    built = run("-C", str(root), "build", "-a", "policy", "--format", "html", "--templates", str(overlay))
    assert built.exit_code == 0, built.output
    entry = json.loads((root / "out" / "manifest.json").read_text())["outputs"]["us-china-ai-gap-policy.html"]
    assert (entry["standard"], entry["pages"], entry["overlay"]) == ("html", 0, str(overlay.resolve()))
    copy = tmp_path / "mail" / "brief.html"
    copy.parent.mkdir()
    copy.write_bytes((root / "out" / "us-china-ai-gap-policy.html").read_bytes())
    ok = run("verify", str(copy), "--manifest", str(root / "out" / "manifest.json"))
    assert ok.exit_code == 0 and ok.output.count("ok: ") == 2, ok.output
    assert "as us-china-ai-gap-policy.html" in ok.output
    (overlay / "custom.css").write_text("h1 { letter-spacing: 0.02em; }\n", encoding="utf-8")
    changed = run("verify", str(copy), "--manifest", str(root / "out" / "manifest.json"))
    assert changed.exit_code == 1 and "FAILED: the workspace's inputs have changed" in changed.output


def test_html_edition_is_self_contained(tmp_path: Path) -> None:
    """--format html writes one file: stylesheets and subset fonts inline, charts as inline
    SVG images with their alt text, nothing fetched from elsewhere."""
    root = copy_workspace(REPO, tmp_path / "ws")
    result = run("-C", str(root), "build", "--audience", "policy", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (root / "out" / "us-china-ai-gap-policy.html").read_text(encoding="utf-8")
    assert "file://" not in html and "<link" not in html and 'src="http' not in html
    assert html.count("@font-face") == 10 and html.count("data:font/woff2;base64,") == 10
    # Half the 774 KB it was with TrueType subsets (347 KB with WOFF2 when this was written).
    assert len(html.encode("utf-8")) <= 387 * 1024
    assert html.count('<svg role="img" aria-label="') == flagship_charts("policy")
    assert "<main>" in html and "3.7\u00a0percentage points" in html


def test_html_edition_passes_axe_in_chromium(tmp_path: Path) -> None:
    """The HTML edition has no accessibility violations according to axe-core in headless
    Chromium (Debian's chromium, driven by Playwright)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("chromium is not installed: run scripts/install")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    root = copy_workspace(REPO, tmp_path / "ws")
    assert run("-C", str(root), "build", "--audience", "policy", "--format", "html").exit_code == 0
    page_path = root / "out" / "us-china-ai-gap-policy.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            assert page.locator("svg[role=img]").count() == flagship_charts("policy")
            results = Axe().run(page)
        finally:
            browser.close()
    violations = [(v["id"], v["help"]) for v in results.response["violations"]]
    assert violations == []


def test_chart_export(tmp_path: Path) -> None:
    """`brief charts` writes each of the audience's charts, named by chart id, with its
    takeaway title and source line drawn in; PNG at the requested scale."""
    root = copy_workspace(REPO, tmp_path / "ws")
    svg = run("-C", str(root), "charts", "--audience", "executive", "--format", "svg")
    assert svg.exit_code == 0, svg.output
    folder = root / "out" / "charts" / "us-china-ai-gap-executive"
    assert sorted(p.name for p in folder.iterdir()) == ["arena_gap.svg", "private_investment.svg"]
    text = (folder / "arena_gap.svg").read_text(encoding="utf-8")
    assert "top US model led narrowly" in text
    assert "Source: AI Index 2026, ch. 2, §2.1, fig. 2.1.3, February 2025 (data: Arena);" in text
    png = run("-C", str(root), "charts", "--audience", "executive", "--format", "png", "--scale", "2")
    assert png.exit_code == 0, png.output
    from PIL import Image

    with Image.open(folder / "arena_gap.png") as image:
        assert image.width >= 2 * 640


def test_tool_versions_are_the_installed_versions() -> None:
    """The versions recorded in the manifest (read from folder names, for speed) are the
    ones Python's package metadata gives."""
    from importlib.metadata import version

    from brief.publish.manifest import TOOLS, tool_versions

    assert tool_versions() == {tool: version(tool) for tool in TOOLS}
