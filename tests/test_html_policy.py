"""One policy for what templates may put in a brief, for the PDF and the HTML edition alike
(brief.pipeline.sanitise): no script, no event handlers, no frames, objects, forms or <base>,
links only to http(s), mailto or within the document, and resources only data: images, charts
and files inside the template folders. Each refusal is one error line naming the template
and its line, exit status 1, and nothing written."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief as brief_package
from brief.cli import cli
from helpers import REPO, copy_workspace

PDF = "us-china-ai-gap-policy.pdf"
HTML = PDF.replace(".pdf", ".html")
SECTION = "theme/policy/bottom-line.md.j2"
EVIL_SVG = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
).decode()

# Each construct is written on line 5 of the overlay's bottom-line section.
REFUSED = {
    "script": ("<script>alert(document.domain)</script>", "<script> is not allowed"),
    "iframe": ('<iframe src="page.html"></iframe>', "<iframe> is not allowed"),
    "object": ('<object data="x.pdf"></object>', "<object> is not allowed"),
    "embed": ('<embed src="x.swf">', "<embed> is not allowed"),
    "form": ('<form action="https://example.com/"><input name="q"></form>', "<form> is not allowed"),
    "base": ('<base href="https://example.com/">', "<base> is not allowed"),
    "meta-refresh": (
        '<meta http-equiv="refresh" content="0; url=https://example.com/">',
        "<meta http-equiv> is not allowed",
    ),
    "svg-script": ("<svg><script>alert(document.domain)</script></svg>", "<script> is not allowed"),
    "foreign-object": ("<svg><foreignObject><p>x</p></foreignObject></svg>", "is not allowed"),
    "event-handler": ('<p onclick="alert(document.domain)">Click</p>', "event handler onclick="),
    "javascript-link": ('<a href="javascript:alert(document.domain)">more</a>', "links to a javascript: URL"),
    "data-link": ('<a href="data:text/html,hi">more</a>', "links to a data: URL"),
    "remote-img": ('<img src="https://example.com/pixel.png" alt="">', "<img src> loads https://example.com/"),
    "remote-srcset": (
        '<img src="fonts/x.png" srcset="fonts/x.png 1x, https://example.com/y.png 2x" alt="">',
        "<img srcset> loads https://example.com/",
    ),
    "outside-file": ('<img src="../../../../../etc/hostname" alt="">', "outside the template folders"),
    "svg-href": ('<svg><image href="https://example.com/i.png"/></svg>', "<image href> loads"),
    "style-attribute": ('<p style="background: url(https://example.com/bg.png)">x</p>', "CSS url() loads"),
    "style-import": ('<style>@import "https://example.com/x.css";</style>', "CSS @import loads"),
    "remote-stylesheet": ('<link rel="stylesheet" href="https://example.com/x.css">', "<link href> loads"),
    "svg-data-image": (f'<img src="data:image/svg+xml;base64,{EVIL_SVG}" alt="">', "an SVG image in which"),
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def build(tmp_path: Path, files: dict[str, str], fmt: str) -> tuple[Path, Result]:
    """Build the policy brief in a copy of the workspace with an overlay of *files*."""
    root = copy_workspace(REPO, tmp_path / "ws")
    overlay = tmp_path / "theme"
    for name, text in files.items():
        (overlay / name).parent.mkdir(parents=True, exist_ok=True)
        (overlay / name).write_text(text, encoding="utf-8")
    overlay.mkdir(exist_ok=True)
    return root, run("-C", str(root), "build", "--audience", "policy", "--templates", str(overlay), "--format", fmt)


def refused(root: Path, output: str, code: int, where: str, words: str) -> str:
    """The one error line, at *where* (``path:line``), saying *words*; nothing written."""
    assert code == 1, output
    assert "Traceback" not in output
    errors = [e for e in output.splitlines() if ": error: " in e or e.startswith("error: ")]
    assert len(errors) == 1, output
    assert re.match(rf"\S*{re.escape(where)}: error: ", errors[0]), errors[0]
    assert words in errors[0] and "templates may not use scripts or resources" in errors[0], errors[0]
    assert not (root / "out" / PDF).exists() and not (root / "out" / HTML).exists()
    return errors[0]


@pytest.mark.parametrize("fmt", ["html", "pdf"])
@pytest.mark.parametrize("construct", list(REFUSED))
def test_section_construct_is_refused(tmp_path: Path, construct: str, fmt: str) -> None:
    """What the PDF refuses the HTML edition refuses too, and the other way round."""
    text, words = REFUSED[construct]
    section = f"## The bottom line\n\nA paragraph.\n\n{text}\n\nMore text.\n"
    root, result = build(tmp_path, {"policy/bottom-line.md.j2": section}, fmt)
    refused(root, result.stderr, result.exit_code, f"{SECTION}:5", words)


def test_layout_is_checked_and_blamed(tmp_path: Path) -> None:
    """The final document is checked too: a script in an overlay's layout names the layout."""
    layout = (
        '{% extends "!workspace/base.html.j2" %}\n{% block extra_head %}\n'
        '<script src="https://example.com/x.js"></script>\n{% endblock %}\n'
    )
    for fmt in ("html", "pdf"):
        root, result = build(tmp_path / fmt, {"base.html.j2": layout}, fmt)
        refused(root, result.stderr, result.exit_code, "theme/base.html.j2:3", "<script> is not allowed")


def test_inlined_stylesheet_is_checked(tmp_path: Path) -> None:
    """An overlay's custom.css, inlined by the HTML edition, may not load from the web."""
    css = "body { color: black; }\n\n.masthead {\n  background: url(https://example.com/track.png);\n}\n"
    root, result = build(tmp_path, {"custom.css": css}, "html")
    refused(root, result.stderr, result.exit_code, "theme/custom.css:4", "CSS url() loads https://example.com/")


def test_refused_through_python_m_brief(tmp_path: Path) -> None:
    """The command as users type it: ``python -m brief build --format html --templates DIR``."""
    root = copy_workspace(REPO, tmp_path / "ws")
    overlay = tmp_path / "theme" / "policy"
    overlay.mkdir(parents=True)
    (overlay / "bottom-line.md.j2").write_text("## The bottom line\n\nHello <iframe src=x></iframe>\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(brief_package.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
        ),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "brief",
            "-C",
            str(root),
            "build",
            "--audience",
            "policy",
            "--templates",
            str(tmp_path / "theme"),
            "--format",
            "html",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    refused(root, result.stderr, result.returncode, f"{SECTION}:3", "<iframe> is not allowed")


def test_links_and_local_resources_are_allowed(tmp_path: Path) -> None:
    """Links to the web, mail and notes, and files inside the templates, are not refused."""
    section = (
        "## The bottom line\n\nSee [the report](https://example.com/report), "
        '<a href="mailto:desk@example.com">write</a> or <a href="#note-1">the notes</a>.\n'
        '<img src="fonts/none.png" alt="a file in the template folders" style="color: red">\n'
    )
    root, result = build(tmp_path, {"policy/bottom-line.md.j2": section}, "html")
    assert result.exit_code == 0, result.output
    page = (root / "out" / HTML).read_text(encoding="utf-8")
    assert 'href="https://example.com/report"' in page and 'href="mailto:desk@example.com"' in page


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_flagship_brief_passes_the_policy(tmp_path: Path, fmt: str) -> None:
    """The shipped templates keep to the policy: the real brief builds in both formats."""
    root = copy_workspace(REPO, tmp_path / "ws")
    result = run("-C", str(root), "build", "--audience", "policy", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert (root / "out" / (PDF if fmt == "pdf" else HTML)).stat().st_size > 10_000
