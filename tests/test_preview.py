"""`brief preview`: a real browser sees the pages, an edit, an error and the recovery."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, copy_workspace

pytestmark = pytest.mark.slow
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[Path, str, list[str]]]:
    """`brief preview --port 0` running on a copy of the workspace: (workspace, base URL, the
    lines it has printed in the terminal so far)."""
    root = copy_workspace(REPO, tmp_path / "ws")
    # Its own TMPDIR: the preview keeps WeasyPrint's font copies between rebuilds and must
    # remove them when it stops (M13 of the third security review).
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "-C", str(root), "preview", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"preview at (http://127\.0\.0\.1:\d+/)", line)
    assert match, line
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        yield root, match.group(1), lines
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:  # it did not stop: the test fails, but leaves no server behind
                proc.kill()
                proc.wait()
        reader.join(timeout=5)
        proc.stderr.close()
        rest = "".join(lines)
        assert code == 0 and "stopped" in rest and "Traceback" not in rest, rest
        assert not list(tmpdir.iterdir()), "the preview left files in TMPDIR"


def fetch(url: str, **headers: str) -> tuple[int, bytes]:
    """Status and body of a GET (with *headers*)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serves_only_its_own_routes_on_loopback(preview: tuple[Path, str, list[str]]) -> None:
    """The server listens on 127.0.0.1 and answers only its routes: no file from disk."""
    _, base, _ = preview
    assert base.startswith("http://127.0.0.1:")
    status, body = fetch(base + "page.bmp?audience=policy&n=1")
    assert status == 200 and body.startswith(b"BM")
    status, body = fetch(base + "brief.pdf?audience=policy")
    assert status == 200 and body.startswith(b"%PDF")
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(body)) as pdf:  # the download is the tagged PDF `brief build` writes
        assert "/StructTreeRoot" in pdf.Root and len(pdf.pages) == 4
    for path in (
        "../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "templates/brand.yml",
        "page.bmp?n=99",
        "state.json?audience=../../etc",
    ):
        assert fetch(base + path)[0] == 404, path


def test_browser_sees_edit_error_and_recovery(preview: tuple[Path, str, list[str]]) -> None:
    """In headless Chromium: the first page image shows; a narrative edit appears without a
    reload; a broken data file shows its error with file and line while the last good pages stay;
    fixing it recovers."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is not installed: run scripts/install")
    from playwright.sync_api import sync_playwright

    root, base, _ = preview
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(base)
            page.wait_for_selector("main img")
            # The page publishes its version only once the images have decoded.
            page.wait_for_function("document.body.dataset.version !== undefined")
            assert page.locator("main img").count() == 4
            assert page.evaluate("document.images[0].naturalWidth") > 500
            assert "4 pages" in page.inner_text("#status")
            version = page.evaluate("document.body.dataset.version")
            first_page = page.evaluate("document.images[0].src")
            last_page = page.evaluate("document.images[3].src")

            section = root / "templates" / "policy" / "bottom-line.md.j2"
            section.write_text(section.read_text().replace("**Bottom line.**", "**Bottom line, revised.**"))
            page.wait_for_function(f"document.body.dataset.version !== '{version}'", timeout=30_000)
            assert page.evaluate("document.images[0].src") != first_page
            # The edit does not reach page 4: its image is kept, not fetched again.
            assert page.evaluate("document.images[3].src") == last_page
            pdf = page.evaluate(
                "fetch(document.getElementById('download').href).then(r => r.arrayBuffer()).then(b => b.byteLength)"
            )
            assert pdf > 10_000

            data = root / "data" / "figures" / "robots.yaml"
            good = data.read_text()
            data.write_text(good.replace("value: 276300", "value: [276300"))
            page.wait_for_selector("#error", state="visible", timeout=30_000)
            assert re.match(r"data/figures/robots\.yaml:\d+:\d+: error: YAML syntax error", page.inner_text("#error"))
            assert page.locator("main img").count() == 4  # the last good pages stay
            assert "last build failed" in page.inner_text("#status")

            data.write_text(good)
            page.wait_for_selector("#error", state="hidden", timeout=30_000)
            assert "last build failed" not in page.inner_text("#status")
        finally:
            browser.close()


def test_answers_only_its_own_host_and_origin(preview: tuple[Path, str, list[str]]) -> None:
    """DNS rebinding: a page elsewhere that reaches the port under its own host name, or
    asks from another origin, is refused; the loopback names the preview serves are answered."""
    _, base, _ = preview
    port = base.rsplit(":", 1)[1].strip("/")
    assert fetch(base + "state.json?audience=policy")[0] == 200
    assert fetch(base + "state.json?audience=policy", Host=f"localhost:{port}")[0] == 200
    assert fetch(base + "state.json?audience=policy", Host=f"attacker.example:{port}")[0] == 403
    assert fetch(base + "brief.pdf?audience=policy", Host="attacker.example")[0] == 403
    assert fetch(base + "state.json?audience=policy", Origin="http://attacker.example")[0] == 403
    assert fetch(base + "state.json?audience=policy", Origin=f"http://127.0.0.1:{port}")[0] == 200


def wait_for_state(base: str, done: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
    """The policy edition's state once *done* says so (polling, as the page's script would)."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        state = json.loads(fetch(base + "state.json?audience=policy")[1])
        if done(state) or time.monotonic() > deadline:
            return state  # type: ignore[no-any-return]
        time.sleep(0.2)


def test_survives_any_template_error_and_says_so_in_the_terminal(preview: tuple[Path, str, list[str]]) -> None:
    """A recursive macro (not one of our errors inside Jinja) and a refused URL each show on
    the page and in the terminal, keep the last good pages, and a fix recovers."""
    root, base, lines = preview
    first = wait_for_state(base, lambda s: s["pages"] == 4)
    section = root / "templates" / "policy" / "bottom-line.md.j2"
    good = section.read_text()
    section.write_text("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}\n" + good)
    broken = wait_for_state(base, lambda s: s["error"] is not None and s["version"] > first["version"])
    assert "bottom-line" in broken["error"] or "calls itself" in broken["error"]
    assert broken["pages"] == 4  # the last good pages stay
    section.write_text(good + '\n<img src="http://attacker.example/pixel.png" alt="">\n')
    refused = wait_for_state(base, lambda s: s["version"] > broken["version"] and s["error"] != broken["error"])
    assert refused["error"] and "attacker.example" in refused["error"]
    section.write_text(good)
    fixed = wait_for_state(base, lambda s: s["error"] is None and s["version"] > refused["version"])
    assert fixed["error"] is None and fixed["pages"] == 4
    said = "".join(lines)
    assert broken["error"] in said and refused["error"] in said
    assert re.search(r"policy: 4 pages in \d+\.\d+ s", said)


def test_rebuilds_the_audience_on_screen_first_and_says_where_the_time_went(
    preview: tuple[Path, str, list[str]],
) -> None:
    """After a save, the audience the page shows is rebuilt before the others shown earlier
    (each takes a full layout); the page's state gives each stage's seconds."""
    import json

    root, base, lines = preview
    first = wait_for_state(base, lambda s: s["pages"] == 4)
    assert set(first["stages"]) == {"prepare", "layout", "pdf", "rasterise"}
    assert all(seconds > 0 for seconds in first["stages"].values())
    # The page switches to the executive edition (built on first request) and stays there.
    executive = json.loads(fetch(base + "state.json?audience=executive")[1])
    assert executive["pages"] >= 1 and executive["error"] is None
    while not re.search(r"^executive: \d+ pages in", "".join(lines), re.M):  # the terminal has said so
        time.sleep(0.05)
    said = len(lines)
    section = root / "templates" / "policy" / "bottom-line.md.j2"
    section.write_text(section.read_text().replace("**Bottom line.**", "**Bottom line, revised.**"))
    deadline = time.monotonic() + 60
    rebuilt: list[str] = []
    while len(rebuilt) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        rebuilt = [m.group(1) for m in re.finditer(r"^(\w+): \d+ pages in", "".join(lines[said:]), re.M)]
    assert rebuilt[:2] == ["executive", "policy"], "".join(lines[said:])
