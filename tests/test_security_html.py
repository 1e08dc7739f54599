"""The HTML edition keeps the policy's promise in the reader's browser (security review, round 3).

H4: the edition inlines only the SVGs brief drew, as the elements brief placed them, and checks
the finished edition with the same policy: text that merely looks like a chart's <img> (in a
comment, in an attribute value) stays text. L18: every <link> is handled, whatever the order,
case or quoting of its attributes: a stylesheet is inlined and checked, an @import (which the
browser would load unchecked) and anything else that cannot be inlined is refused.

Each edition is opened in headless Chromium (Debian's, driven by Playwright), which must run
no script and fetch nothing."""

from __future__ import annotations

import base64
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli

SECTION = "policy/intro.md.j2"
HTML = "mini-policy.html"
TITLE = "The Widget Gap: Alpha installs far more widgets than Beta"
SCRIPT = "document.title='JS RAN';console.log('JS RAN');alert('JS RAN')"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def img(svg: str) -> str:
    """Text shaped like the <img> brief writes for a chart."""
    return f'<img src="data:image/svg+xml;base64,{b64(svg)}" alt="x">'


OPENS_COMMENT = '<svg xmlns="http://www.w3.org/2000/svg"><!--'
BREAKS_OUT = "--><script>" + SCRIPT + "</script><!--"
CLOSES_QUOTE = "'><script>" + SCRIPT + "</script><p title='"
PAYLOADS = {
    # The review's (W04): in a comment, and in an attribute value with an SVG closing its quote.
    "comment": "<!-- " + img(BREAKS_OUT) + " -->",
    "attribute-value": "<p title='" + img(CLOSES_QUOTE) + "'>x</p>",
    # Two of our own: a real data: SVG image (it passes the policy on its own) that opens a
    # comment, which inlined would swallow the markup up to the "-->" of an attribute value;
    # and the same inside a figure that claims a chart's id.
    "svg-opens-a-comment": img(OPENS_COMMENT) + '<p title="--><script>' + SCRIPT + '</script>">x</p>',
    "figure-with-a-chart-id": (
        '<figure class="chart chart-full" id="figure-counts">'
        + img(OPENS_COMMENT)
        + '</figure>\n<p title="--><script>'
        + SCRIPT
        + '</script>">x</p>'
    ),
}


class Requests(BaseHTTPRequestHandler):
    """Records every request (a tracker's view of the reader) and answers 404."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def tracker() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 (an ephemeral port): its base URL and the paths requested."""
    seen: list[str] = []
    handler = type("Handler", (Requests,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def build(root: Path, overlay: Path) -> Result:
    return CliRunner().invoke(
        cli, ["-C", str(root), "build", "--audience", "policy", "--templates", str(overlay), "--format", "html"]
    )


def overlay_with(mini_full: Path, tmp_path: Path, section_text: str, files: dict[str, str] | None = None) -> Path:
    """An overlay whose policy section is the mini's with *section_text* appended, and *files*."""
    overlay = tmp_path / "overlay"
    (overlay / "policy").mkdir(parents=True)
    section = (mini_full / "templates" / SECTION).read_text(encoding="utf-8")
    (overlay / SECTION).write_text(section + "\n" + section_text + "\n", encoding="utf-8")
    for name, text in (files or {}).items():
        (overlay / name).write_text(text, encoding="utf-8")
    return overlay


def one_error_line(result: Result) -> str:
    """The build failed with exit 1 and one error line, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "error: " in line]
    assert len(errors) == 1, result.output
    return errors[0]


def opened(browser: Any, path: Path, tracker: list[str] | None = None) -> dict[str, Any]:
    """Open *path* in Chromium: its title, what it logged, the dialogs it opened, the requests
    it made (other than the file itself) and how many script elements it has."""
    page = browser.new_page()
    console: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)  # anything a timer or a late stylesheet would start
        return {
            "title": page.title(),
            "console": console,
            "dialogs": dialogs,
            "requests": [r for r in requests if r != path.as_uri()],
            "scripts": page.evaluate("document.scripts.length"),
        }
    finally:
        page.close()


def inert(browser: Any, path: Path) -> None:
    seen = opened(browser, path)
    assert seen["title"] == TITLE, seen
    assert seen["console"] == [] and seen["dialogs"] == [] and seen["scripts"] == 0, seen


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_h4_text_shaped_like_a_chart_stays_inert(browser: Any, mini_full: Path, tmp_path: Path, payload: str) -> None:
    """Review W04 (and two payloads of ours): an overlay writes text shaped like the <img> of a
    data: SVG chart where the policy sees no element (a comment, an attribute value), or a real
    image that is not brief's chart; the edition either is refused with one line or, opened in
    Chromium, runs nothing: same title, no console message, no dialog, no script element."""
    overlay = overlay_with(mini_full, tmp_path, PAYLOADS[payload])
    result = build(mini_full, overlay)
    page = mini_full / "out" / HTML
    if result.exit_code != 0:
        one_error_line(result)
        assert not page.exists()
        return
    inert(browser, page)


def test_h4_brief_s_own_chart_is_inlined(mini_full: Path, tmp_path: Path) -> None:
    """The chart brief drew is still placed inline as an SVG (its fonts are the page's), and
    a copy of its very <img> in a comment stays a comment, not a second chart."""
    from brief.workspace.load import load_workspace
    from helpers import job_for, render_job

    ws = load_workspace(mini_full)
    rendered = render_job(ws, job_for(ws))
    own = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]*">', rendered.html)
    assert own is not None
    result = build(mini_full, overlay_with(mini_full, tmp_path, f"<!-- {own.group(0)} -->"))
    assert result.exit_code == 0, result.output
    edition = (mini_full / "out" / HTML).read_text(encoding="utf-8")
    figure = re.search(r'<figure class="chart[^"]*" id="figure-counts">.*?</figure>', edition, re.S)
    assert figure is not None and '<svg role="img"' in figure.group(0)
    assert edition.count('<svg role="img"') == 1 and f"<!-- {own.group(0)} -->" in edition


LINKS = {
    "href-first": '<link href="{url}" rel="stylesheet">',
    "upper-case": "<LINK HREF='{url}' REL=STYLESHEET>",
    "more-attributes": '<link media="all" href={url} type="text/css" rel="Stylesheet">',
}


@pytest.mark.parametrize("link", list(LINKS))
def test_l18_a_link_in_any_order_is_checked(
    browser: Any, mini_full: Path, tmp_path: Path, tracker: tuple[str, list[str]], link: str
) -> None:
    """Review W05: a <link> whose attributes are not in the order the edition's regex expected
    (href first, upper case, other attributes) names a stylesheet that @imports another, which
    loads a URL on a local server. The PDF build refuses it; the edition must too, or at least
    Chromium opening it must request nothing."""
    base, seen = tracker
    overlay = tmp_path / "overlay"
    url = (overlay / "policy" / "evil.css").as_uri()
    files = {
        "policy/evil.css": '@import "more.css";\n',
        "policy/more.css": f'body {{ background: url("{base}/more.png"); }}\n',
    }
    overlay_with(mini_full, tmp_path, LINKS[link].format(url=url), files)
    result = build(mini_full, overlay)
    page = mini_full / "out" / HTML
    if result.exit_code == 0:
        requests = opened(browser, page)["requests"]
        assert seen == [] and requests == [], (seen, requests)
        return
    error = one_error_line(result)
    assert "@import" in error and "evil.css:1" in error, error
    assert not page.exists()


def test_l18_a_linked_stylesheet_is_inlined_and_checked(
    browser: Any, mini_full: Path, tmp_path: Path, tracker: tuple[str, list[str]]
) -> None:
    """A stylesheet linked href-first is inlined (its rules apply, no <link> is left) and
    checked: one that loads from the web is refused at its line."""
    base, seen = tracker
    overlay = tmp_path / "overlay"
    good = (overlay / "policy" / "good.css").as_uri()
    overlay_with(
        mini_full,
        tmp_path,
        f'<link href="{good}" rel="stylesheet">',
        {"policy/good.css": "h2 { color: rgb(1, 2, 3); }\n"},
    )
    result = build(mini_full, overlay)
    assert result.exit_code == 0, result.output
    page = mini_full / "out" / HTML
    assert "<link" not in page.read_text(encoding="utf-8").lower()
    tab = browser.new_page()
    try:
        tab.goto(page.as_uri())
        assert tab.eval_on_selector("h2", "e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
    finally:
        tab.close()
    (overlay / "policy" / "good.css").write_text(f"h2 {{ color: red; }}\n\nh2 {{ background: url({base}/x.png); }}\n")
    error = one_error_line(build(mini_full, overlay))
    assert "good.css:3" in error and "CSS url() loads" in error, error
    assert seen == []


def test_l18_a_link_that_cannot_be_inlined_is_refused(mini_full: Path, tmp_path: Path) -> None:
    """Any other <link> (an icon, a preload) would have the reader's browser load a file: the
    edition refuses it with one line, whatever its attributes' order."""
    overlay = tmp_path / "overlay"
    (tmp_path / "overlay" / "policy").mkdir(parents=True)
    (overlay / "policy" / "icon.png").write_bytes(b"\x89PNG\r\n")
    overlay_with_icon = '<link href="policy/icon.png" rel="icon">'
    shutil.rmtree(overlay)
    overlay_with(mini_full, tmp_path, overlay_with_icon)
    error = one_error_line(build(mini_full, overlay))
    assert "cannot be embedded in the HTML edition" in error, error
    assert not (mini_full / "out" / HTML).exists()
