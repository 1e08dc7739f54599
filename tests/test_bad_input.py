"""Bad input: every kind of mistake is one clear error naming file and line, exit status 1,
no traceback, and the previous PDF and manifest left exactly as they were."""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pikepdf
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from helpers import REPO, copy_workspace, line_number, out_snapshot, replace_in

PDF = "us-china-ai-gap-policy.pdf"
Breaker = Callable[[Path], tuple[str, int | None]]


def run(*args: str) -> Result:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args))


def digest(path: Path) -> str:
    """sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _figures(root: Path, name: str = "investment.yaml") -> Path:
    return root / "data" / "figures" / name


def yaml_syntax(root: Path) -> tuple[str, int | None]:
    path = _figures(root)
    replace_in(path, "  value: 109.1\n", "  value: [109.1\n")
    # The parser notices the unclosed bracket on the next line, and says so there.
    return "data/figures/investment.yaml", line_number(path, "  value: [109.1") + 1


def wrong_type(root: Path) -> tuple[str, int | None]:
    path = _figures(root)
    replace_in(path, "  value: 109.1\n", "  value: a lot\n")
    return "data/figures/investment.yaml", line_number(path, "  value: a lot")


def missing_field(root: Path) -> tuple[str, int | None]:
    path = _figures(root)
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: private_ai_investment_2024_us")
    end = text.index("  locator:", start)
    path.write_text(text[:end] + text[text.index("\n", end) + 1 :], encoding="utf-8")
    return "data/figures/investment.yaml", line_number(path, "- id: private_ai_investment_2024_us")


def unknown_source(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "robots.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("source: ai-index-2025", "source: ai-index-2024", 1), encoding="utf-8")
    return "data/figures/robots.yaml", line_number(path, "- id: industrial_robots_china_2023")


def _append_to_section(root: Path, line: str, needle: str) -> tuple[str, int | None]:
    """Add *line* to the policy method section; where the error should point."""
    path = root / "templates" / "policy" / "method.md.j2"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return "templates/policy/method.md.j2", line_number(path, needle)


def unknown_figure(root: Path) -> tuple[str, int | None]:
    return _append_to_section(root, 'Also {{ fig("us_lead_mmlu_end2025") }}.', "us_lead_mmlu_end2025")


def unknown_chart(root: Path) -> tuple[str, int | None]:
    return _append_to_section(root, '{{ chart("benchmark_gaps") }}', "benchmark_gaps")


def duplicate_id(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "zz-duplicate.yaml")
    path.write_text(
        "- id: industrial_robots_us_2023\n  label: A second entry\n  value: 1\n  unit: count\n"
        "  as_of: '2023'\n  source: ai-index-2025\n  locator: p. 1\n",
        encoding="utf-8",
    )
    return "data/figures/zz-duplicate.yaml", 1


def csv_missing_column(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "opinion.csv")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("id,label,value,unit,", "id,label,unit,", 1), encoding="utf-8")
    return "data/figures/opinion.csv", 1


def csv_bad_number(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "opinion.csv")
    replace_in(path, 'drawbacks, 2024",83,', 'drawbacks, 2024",83%,')
    return "data/figures/opinion.csv", line_number(path, "83%")


def csv_ragged_row(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "opinion.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "data/figures/opinion.csv", 4


def template_syntax(root: Path) -> tuple[str, int | None]:
    return _append_to_section(root, "{% if %}", "{% if %}")


def missing_variable(root: Path) -> tuple[str, int | None]:
    return _append_to_section(root, "By {{ brief.editor }}.", "brief.editor")


def empty_brief(root: Path) -> tuple[str, int | None]:
    (root / "briefs" / "us-china-ai-gap.yaml").write_text("", encoding="utf-8")
    return "briefs/us-china-ai-gap.yaml", 1


def binary_file(root: Path) -> tuple[str, int | None]:
    _figures(root, "zz-binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return "data/figures/zz-binary.yaml", None


def not_utf8(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "robots.yaml")
    label = "Industrial robots installed in Japan"
    path.write_bytes(path.read_bytes().replace(label.encode(), b"Robots install\xe9s au Japon"))
    return "data/figures/robots.yaml", line_number(_figures(REPO, "robots.yaml"), label)


def huge_file(root: Path) -> tuple[str, int | None]:
    path = _figures(root, "zz-huge.yaml")
    path.write_text("# padding\n" * 600_000, encoding="utf-8")
    return "data/figures/zz-huge.yaml", None


def missing_font(root: Path) -> tuple[str, int | None]:
    # Neither the workspace nor the built-in theme has a file of this name.
    replace_in(root / "templates" / "brand.yml", "SourceSans3-Semibold.ttf", "SourceSans3-Semibolder.ttf")
    return "templates/brand.yml", line_number(root / "templates" / "brand.yml", "SourceSans3-Semibolder.ttf")


CASES: dict[str, tuple[Breaker, str]] = {
    "yaml-syntax": (yaml_syntax, "YAML syntax error"),
    "wrong-type": (wrong_type, "value: Input should be a valid number"),
    "missing-field": (missing_field, "a figure needs locator"),
    "unknown-source": (unknown_source, "cites unknown source 'ai-index-2024'"),
    "unknown-figure": (unknown_figure, "unknown figure 'us_lead_mmlu_end2025' — did you mean us_lead_mmlu_end2024"),
    "unknown-chart": (unknown_chart, "unknown chart 'benchmark_gaps' — did you mean benchmark_gap"),
    "duplicate-id": (duplicate_id, "duplicate figure id 'industrial_robots_us_2023'"),
    "csv-missing-column": (csv_missing_column, "missing column: value"),
    "csv-bad-number": (csv_bad_number, "value: '83%' is not a number"),
    "csv-ragged-row": (csv_ragged_row, "row has 9 cells, the header has 8"),
    "template-syntax": (template_syntax, "template syntax error"),
    "missing-variable": (missing_variable, "has no attribute 'editor'"),
    "empty-brief": (empty_brief, "a brief file is a mapping"),
    "binary-file": (binary_file, "binary file, not text"),
    "not-utf8": (not_utf8, "not UTF-8 text (byte 0xe9)"),
    "huge-file": (huge_file, "over the 5 MB limit"),
    "missing-font": (missing_font, "font file 'fonts/SourceSans3-Semibolder.ttf' of 'Source Sans 3' not found"),
}


@pytest.fixture
def built(copy_built: Callable[[], Path]) -> Path:
    """A workspace whose out/ holds a good PDF and manifest from an earlier build."""
    return copy_built()


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_clear_error_and_nothing_is_lost(built: Path, case: str) -> None:
    """Exit 1; the error names the file (and line where there is one), says what is wrong and
    what to do; no traceback; the previous PDF and manifest are byte-identical; no temp files."""
    out = built / "out"
    before = out_snapshot(out)
    breaker, words = CASES[case]
    where, line = breaker(built)
    result = run("-C", str(built), "build", "--audience", "policy", "--force")
    assert result.exit_code == 1, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)
    errors = [e for e in result.stderr.splitlines() if ": error: " in e]
    assert errors, result.stderr
    first = errors[0]
    location = re.escape(where) + (rf":{line}(:\d+)?: error: " if line else r"(:\d+)*: error: ")
    assert re.match(location, first), first
    assert words in first, first
    assert " — " in first  # a hint: what to do
    assert out_snapshot(out) == before


@pytest.mark.slow
def test_unknown_audience_and_brief_list_the_valid_names(built: Path) -> None:
    """An unknown audience or brief on the command line is one line listing what exists."""
    audience = run("-C", str(built), "build", "--audience", "board")
    assert audience.exit_code == 1 and "choose from: policy, executive, technical" in audience.stderr
    brief = run("-C", str(built), "build", "us-chna-ai-gap")
    assert brief.exit_code == 1 and "no brief named 'us-chna-ai-gap' — choose from: us-china-ai-gap" in brief.stderr


def test_usage_errors_exit_2() -> None:
    """A mistyped option is a usage error: exit status 2."""
    assert run("build", "--pdf-standard", "x").exit_code == 2
    assert run("bulid").exit_code == 2


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["permission", "disk-full"])
def test_unwritable_output_keeps_the_previous_pdf(built: Path, failure: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """When out/ cannot be written (no permission, a full disk) the build fails with a hint and
    the previous PDF and manifest are untouched, with no temporary file left."""
    out = built / "out"
    before = out_snapshot(out)
    code = errno.EACCES if failure == "permission" else errno.ENOSPC

    def refuse(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", refuse)
    result = run("-C", str(built), "build", "--audience", "policy", "--force")
    monkeypatch.undo()
    assert result.exit_code == 1
    hint = "not writable" if failure == "permission" else "the disk is full"
    # The edition's record of what it printed is written first (see brief.publish.outputs),
    # then the manifest's new entry: the first rename is refused.
    assert re.match(
        rf"out/editions/[0-9a-f]{{64}}\.json: error: cannot write [0-9a-f]{{64}}\.json \(.+\); the previous "
        rf"file is unchanged — .*{hint}",
        result.stderr.strip(),
    ), result.stderr
    assert out_snapshot(out) == before


@pytest.mark.slow
def test_out_that_is_a_file(tmp_path: Path) -> None:
    """An `out` that is a file, not a folder, is a one-line error, not a traceback."""
    root = copy_workspace(REPO, tmp_path / "ws")
    (root / "out").write_text("not a folder")
    result = run("-C", str(root), "build", "--audience", "executive")
    assert result.exit_code == 1 and result.stderr.startswith("out"), result.output
    assert ": error: " in result.stderr
    assert "out must be a folder" in result.stderr


@pytest.mark.slow
def test_two_builds_at_once_both_finish(tmp_path: Path) -> None:
    """Two builds of the same workspace at the same time both succeed; the PDFs and the shared
    manifest are valid afterwards."""
    root = copy_workspace(REPO, tmp_path / "ws")
    env = {**os.environ, "BRIEF_CACHE_DIR": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "brief", "-C", str(root), "build", "--force", "--audience", a],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in ("policy", "policy", "executive")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    for name in (PDF, "us-china-ai-gap-executive.pdf"):
        with pikepdf.open(root / "out" / name) as pdf:
            assert len(pdf.pages) >= 2
        assert manifest["outputs"][name]["sha256"] == digest(root / "out" / name)
    assert sorted(p.name for p in (root / "out").iterdir()) == sorted(
        ["editions", "manifest.json", PDF, "us-china-ai-gap-executive.pdf"]
    )


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that records every request it receives."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["stylesheet", "image", "css-import", "file-url", "symlink"])
def test_hostile_overlay_reaches_nothing(tmp_path: Path, local_server: str, attack: str) -> None:
    """A downloaded overlay that points at a local web server, at a file outside the workspace,
    or at a symlink leading out of it, fails with a message naming the URL; no request arrives
    and no outside file's content reaches an output."""
    root = copy_workspace(REPO, tmp_path / "ws")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    overlay = tmp_path / "downloaded-theme"
    overlay.mkdir()
    head = {
        "stylesheet": f'<link rel="stylesheet" href="{local_server}/evil.css">',
        "image": "",
        "css-import": "",
        "file-url": "",
        "symlink": "",
    }[attack]
    body = {
        "image": f'<img src="{local_server}/pixel.png" alt="x">',
        "file-url": f'<img src="{secret.as_uri()}" alt="x">',
        "symlink": '<img src="escape/secret.txt" alt="x">',
    }.get(attack, "")
    if attack == "css-import":
        (overlay / "custom.css").write_text(f'@import url("{local_server}/imported.css");\n')
    if attack == "symlink":
        (root / "templates" / "escape").symlink_to(tmp_path)
    (overlay / "base.html.j2").write_text(
        '{% extends "!workspace/base.html.j2" %}\n'
        f"{{% block extra_head %}}{head}{{% endblock %}}\n"
        f"{{% block before_sections %}}{body}{{% endblock %}}\n"
    )
    result = run("-C", str(root), "build", "--audience", "policy", "--templates", str(overlay))
    assert result.exit_code == 1, result.output
    if attack == "css-import":  # an overlay's stylesheet: refused by the typesetter's URL fetcher
        assert "refused to fetch" in result.stderr
    else:  # refused by the HTML policy at the template's line, before anything is fetched
        assert "base.html.j2:" in result.stderr and "outside the template folders" in result.stderr
    assert "Traceback" not in result.output
    assert _Recorder.requests == []
    assert not (root / "out" / PDF).exists()


@pytest.mark.slow
def test_hostile_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    """Attribute access to Python internals in a user template is refused by the sandbox."""
    root = copy_workspace(REPO, tmp_path / "ws")
    path = root / "templates" / "policy" / "method.md.j2"
    path.write_text(path.read_text() + "\n{{ brief.__class__.__mro__[1].__subclasses__() }}\n")
    result = run("-C", str(root), "build", "--audience", "policy")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.match(r"templates/policy/method\.md\.j2:\d+: error: ", result.stderr), result.stderr
    assert "unsafe" in result.stderr or "access" in result.stderr
