"""Untrusted data files: whatever a file in briefs/ or data/ holds, brief answers with one
error line naming the file and the line, in bounded time and memory, and never reads outside
the workspace or anything that is not a regular file."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import brief as brief_package
from brief.cli import cli
from brief.errors import DataError
from brief.model.request import BuildRequest
from brief.workspace.load import load_workspace
from brief.workspace.yamlio import read_yaml
from helpers import line_number

# Subprocesses import brief from where this process did.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(brief_package.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
    ),
}
MAX_DEPTH = 100  # brief.workspace.yamlio's bounds, as the errors state them
MEMORY_LIMIT = 1536 * 1024 * 1024  # far more than a check needs, far less than an alias bomb expands to


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def brief(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m brief -C root ARGS`` in a process with bounded memory and time."""
    return subprocess.run(
        [sys.executable, "-m", "brief", "-C", str(root), *args],
        text=True,
        capture_output=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
        env=ENV,
    )


def one_error(output: str | subprocess.CompletedProcess[str], where: str, *words: str) -> str:
    """The one ``error:`` line of a run's output (``brief check`` lists problems on stdout),
    which names *where* (``path:line``) and *words*."""
    if not isinstance(output, str):
        output = output.stdout + output.stderr
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if "error:" in line]
    assert len(errors) == 1, output
    line = errors[0]
    # "path:line: error: message", from build and check alike (relative paths)
    assert line.startswith(where), line
    for word in words:
        assert word in line, line
    return line


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. alias bombs and deep nesting -------------------------------------------------

BOMB = (
    "- id: bomb\n"
    + "".join(
        f"  {name}: &{name} [{', '.join(['lol'] * 9 if name == 'a' else [f'*{prev}'] * 9)}]\n"
        for prev, name in zip("-abcdefgh", "abcdefghi", strict=True)
    )
    + "  label: *i\n"
)


def test_alias_bomb_is_refused_while_parsing(mini: Path) -> None:
    """A 'billion laughs' file (under a kilobyte, 9^9 values expanded) is one line naming the
    alias that crosses the bound, in a process whose memory is capped well below the expansion."""
    assert len(BOMB) < 1000
    path = write(mini, "data/figures/bomb.yaml", BOMB)
    for command in ("check", "build"):
        result = brief(mini, command)
        assert result.returncode == 1
        one_error(result, "data/figures/bomb.yaml:", "aliases expand to more than 100,000 values")
    with pytest.raises(DataError) as info:
        read_yaml(path)
    assert info.value.line is not None and 4 <= info.value.line <= 10


def test_aliases_within_the_bound_still_work(tmp_path: Path) -> None:
    """Anchors for shared fields, used many times, stay well within the bound."""
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {unit: pp, source: s}\n" + "".join(f"f{i}: *b\n" for i in range(1000)), encoding="utf-8")
    assert read_yaml(path)["f999"]["unit"] == "pp"


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_one_error_with_its_line(mini: Path, style: str) -> None:
    """YAML nested 500 levels deep (a RecursionError traceback before) is one line at the
    level that crosses the bound."""
    depth = 500
    if style == "flow":
        text = "- id: deep\n  label: x\n  note: " + "[" * depth + "]" * depth + "\n"
        expected_line = 3
    else:
        text = (
            "- id: deep\n  label: x\n  note:\n"
            + "".join(f"{'  ' * (i + 2)}k{i}:\n" for i in range(depth))
            + "  " * (depth + 2)
            + "end\n"
        )
        expected_line = 4 + MAX_DEPTH - 2
    write(mini, "data/figures/deep.yaml", text)
    result = brief(mini, "check")
    assert result.returncode == 1
    one_error(result, f"data/figures/deep.yaml:{expected_line}:", f"nested more than {MAX_DEPTH} levels deep")


def test_deep_nesting_in_a_brief_file(mini: Path) -> None:
    """The same bound holds in briefs/ (and any other YAML brief reads)."""
    path = mini / "briefs" / "mini.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "zz_deep: " + "{a: " * 300 + "x" + "}" * 300 + "\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"briefs/mini.yaml:{line_number(path, 'zz_deep: ')}:" in result.output
    assert "nested more than 100 levels deep" in result.output


def test_mini_still_loads(mini: Path) -> None:
    """The bounds leave ordinary data alone."""
    assert load_workspace(mini).figures


# --- 2. only regular files inside the workspace, size checked before reading --------


@pytest.mark.parametrize("command", ["check", "build"])
def test_fifo_named_like_a_data_file_is_refused_not_waited_on(mini: Path, command: str) -> None:
    """A FIFO called *.yaml used to block check and build forever (no writer ever comes)."""
    os.mkfifo(mini / "data" / "figures" / "pipe.yaml")
    result = brief(mini, command, timeout=60)
    assert result.returncode == 1
    one_error(result, "data/figures/pipe.yaml", "refused: this is a FIFO (named pipe), not a regular file")


@pytest.mark.parametrize("target", ["/dev/zero", "outside.yaml"])
def test_symlink_out_of_the_workspace_is_refused(mini: Path, target: str) -> None:
    """A link to a device, or to a file outside the workspace, is refused before it is opened
    (/dev/zero ended in a MemoryError before)."""
    if target == "outside.yaml":
        outside = mini.parent / "outside.yaml"
        outside.write_text(
            (mini / "data" / "figures" / "widgets.yaml").read_text(encoding="utf-8").replace("widgets_", "outside_"),
            encoding="utf-8",
        )
        target = str(outside)
    (mini / "data" / "figures" / "linked.yaml").symlink_to(target)
    result = brief(mini, "check", timeout=60)
    assert result.returncode == 1
    one_error(result, "data/figures/linked.yaml", "refused: the file is a link to somewhere outside the workspace")


def test_symlink_inside_the_workspace_is_read(mini: Path) -> None:
    """A link that stays inside the workspace is an ordinary file."""
    folder = mini / "data" / "figures"
    (folder / "widgets.yaml").rename(mini / "data" / "widgets-master.yaml")
    (folder / "widgets.yaml").symlink_to(Path("..") / "widgets-master.yaml")
    assert "widgets_alpha" in load_workspace(mini).figures


def test_huge_sparse_file_is_refused_before_reading(mini: Path) -> None:
    """A 20 GB sparse file is refused from its size alone: nothing is read."""
    path = mini / "data" / "figures" / "huge.csv"
    with path.open("wb") as f:
        f.truncate(20 * 1024**3)
    result = brief(mini, "check", timeout=60)
    assert result.returncode == 1
    one_error(result, "data/figures/huge.csv", "file is 20480.0 MB, over the 5 MB limit")


def test_read_input_reads_at_most_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that grows after its size was checked is still read only up to limit + 1 bytes."""
    from brief.workspace import files

    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\n")
    reads: list[int] = []
    real_read = os.read

    def endless(fd: int, n: int) -> bytes:  # as if the file kept growing: every read is full
        reads.append(n)
        real_read(fd, n)
        return b"x" * n

    monkeypatch.setattr(files.os, "read", endless)
    with pytest.raises(DataError, match="grew past the 1 MB limit"):
        files.read_input(path, tmp_path, limit=1024 * 1024)
    assert sum(reads) == 1024 * 1024 + 1


def _unreadable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make opening any file called *name* fail as chmod 000 would: root ignores file modes,
    so the test cannot rely on them."""
    from brief.workspace import files

    real_open = os.open

    def open_(path: os.PathLike[str] | str, flags: int, *args: int) -> int:
        if Path(path).name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(files.os, "open", open_)


def test_unreadable_data_file_is_one_line(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _unreadable(monkeypatch, "shares.yaml")
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1
    one_error(result.output, "data/figures/shares.yaml", "cannot read file (Permission denied)")


def test_data_file_that_is_a_folder(mini: Path) -> None:
    (mini / "data" / "figures" / "folder.yaml").mkdir()
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1
    one_error(result.output, "data/figures/folder.yaml", "refused: this is a folder, not a regular file")


@pytest.mark.parametrize("how", ["unreadable", "folder", "fifo", "outside"])
def test_unusable_font_file_is_one_line_naming_it(mini_full: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A font file that cannot be read is an error at its line of the brand file, naming it."""
    from brief.workspace.brand import load_brand

    font = mini_full / "templates" / "fonts" / "SourceSans3-Regular.ttf"
    if how == "unreadable":
        _unreadable(monkeypatch, font.name)
        words = "cannot read file (Permission denied)"
    elif how == "folder":
        font.unlink()
        font.mkdir()
        words = "refused: this is a folder"
    elif how == "fifo":
        font.unlink()
        os.mkfifo(font)
        words = "refused: this is a FIFO"
    else:
        moved = mini_full / "SourceSans3-Regular.ttf"
        font.rename(moved)
        font.symlink_to(moved)
        words = "link to somewhere outside"
    brand_file = mini_full / "templates" / "brand.yml"
    with pytest.raises(DataError) as info:
        load_brand(mini_full / "templates")
    error = info.value
    assert error.path == brand_file
    assert error.line == line_number(brand_file, "SourceSans3-Regular.ttf")
    assert "font file 'fonts/SourceSans3-Regular.ttf' of 'Source Sans 3' cannot be used" in error.message
    assert words in error.message


# --- 3, 4, 5. values and text that check and build both refuse ----------------------

FIGURE = """\
- id: extra_figure
  label: An extra figure for a test
  value: 12.5
  unit: pp
  as_of: "2024"
  source: report-a
  locator: "table 9"
"""

DIGITS_40 = "1" + "0" * 40
DIGITS_5000 = "9" * 5000

# name: (file under data/figures/, its text, text on the line the error names, words in the error)
DATA_CASES = {
    "float-1e30": (
        "zz.yaml",
        FIGURE.replace("value: 12.5", "value: 1e30"),
        "value: 1e30",
        "value: 1e+30 is out of range: figure values are below 10^15 in size",
    ),
    "int-literal-10-to-40": (
        "zz.yaml",
        FIGURE.replace("value: 12.5", f"value: {DIGITS_40}"),
        "value: 1000",
        "value: a number of about 40 digits is out of range",
    ),
    "5000-digits": (
        "zz.yaml",
        FIGURE.replace("value: 12.5", f"value: {DIGITS_5000}"),
        "value: 9999",
        "a number 5,000 digits long",
    ),
    "csv-5000-digits": (
        "zz.csv",
        f"id,label,value,unit,as_of,source,locator\nbig,A big number,{DIGITS_5000},count,2024,report-a,p. 1\n",
        "big,",
        "value: a number 5,000 characters long",
    ),
    "csv-1e400": (
        "zz.csv",
        "id,label,value,unit,as_of,source,locator\nbig,A big number,1e400,count,2024,report-a,p1\n",
        "big,",
        "value must be a finite number, not inf",
    ),
    "derived-overflow": (
        "zz.yaml",
        FIGURE.replace("value: 12.5", "value: 900000000000000")
        + FIGURE.replace("extra_figure", "tiny").replace("value: 12.5", "value: 1e-12")
        + "- id: overflow\n  label: An overflowing ratio\n  unit: ratio\n"
        "  derive: {op: ratio, of: [extra_figure, tiny]}\n",
        "- id: overflow",
        "figure 'overflow' computes to 9e+26 (ratio of 'extra_figure' and 'tiny'), out of range",
    ),
    "as-of-month-13": (
        "zz.yaml",
        FIGURE.replace('as_of: "2024"', 'as_of: "2025-13-45"'),
        "as_of:",
        "as_of: '2025-13-45' has month 13; months run from 01 to 12",
    ),
    "as-of-february-30": (
        "zz.yaml",
        FIGURE.replace('as_of: "2024"', 'as_of: "2024-02-30"'),
        "as_of:",
        "as_of: '2024-02-30' is not a real date",
    ),
    "negative-count": (
        "zz.yaml",
        FIGURE.replace("value: 12.5\n  unit: pp", "value: -3\n  unit: count"),
        "value: -3",
        "value: -3 is negative, but 'count' counts things",
    ),
    "bidi-override-in-label": (
        "zz.yaml",
        FIGURE.replace("An extra", "An \u202eextra"),
        "label:",
        "invisible or control character U+202E RIGHT-TO-LEFT OVERRIDE in text",
    ),
    "zero-width-space-in-locator": (
        "zz.yaml",
        FIGURE.replace("table 9", "table\u200b9"),
        "locator:",
        "U+200B ZERO WIDTH SPACE",
    ),
    "escaped-control-character": ("zz.yaml", FIGURE.replace('"table 9"', '"table\\a9"'), "locator:", "U+0007"),
    "isolate-in-csv": (
        "zz.csv",
        "id,label,value,unit,as_of,source,locator\niso,Widgets \u2066made\u2069,5,count,2024,report-a,p. 1\n",
        "iso,",
        "U+2066",
    ),
}


@pytest.mark.parametrize("case", list(DATA_CASES), ids=list(DATA_CASES))
def test_bad_value_or_text_is_one_error_from_check(mini: Path, case: str) -> None:
    """Each is one line naming file and line from ``brief check`` (the build checks first, with
    the same code); before, these loaded silently, or passed check and crashed the build."""
    name, text, needle, words = DATA_CASES[case]
    path = write(mini, f"data/figures/{name}", text)
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1, result.output
    one_error(result.output, f"data/figures/{name}:{line_number(path, needle)}:", words)


def test_invisible_character_in_a_brief_title(mini: Path) -> None:
    path = mini / "briefs" / "mini.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: The Widget Gap", "title: The Widget\u2067 Gap"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1
    one_error(result.output, f"briefs/mini.yaml:{line_number(path, 'title: The Widget')}:", "U+2067")


def test_ordinary_text_and_dates_still_load(mini: Path) -> None:
    """Tabs and newlines in text, accents, CJK, emoji, a leap day, and year or month precision."""
    write(
        mini,
        "data/figures/zz.yaml",
        FIGURE.replace("An extra figure", "Ünïcode 图 😀\tfigure").replace('as_of: "2024"', 'as_of: "2024-02-29"')
        + FIGURE.replace("extra_figure", "month").replace('as_of: "2024"', 'as_of: "2024-12"')
        + FIGURE.replace("extra_figure", "zero").replace("value: 12.5\n  unit: pp", "value: 0\n  unit: count"),
    )
    figures = load_workspace(mini).figures
    assert figures["extra_figure"].as_of == "2024-02-29"
    assert figures["month"].as_of == "2024-12"


@pytest.mark.slow
def test_build_refuses_what_check_reports(mini_full: Path) -> None:
    """``brief build`` stops at the same line as ``brief check`` (it crashed formatting 1e30 before)."""
    name, text, needle, words = DATA_CASES["float-1e30"]
    path = write(mini_full, f"data/figures/{name}", text)
    result = brief(mini_full, "build", timeout=300)
    assert result.returncode == 1
    one_error(result, f"data/figures/{name}:{line_number(path, needle)}:", words)
    assert not (mini_full / "out" / "mini-policy.pdf").exists()


# --- 5. CSV we write: no cell a spreadsheet would run --------------------------------

FORMULAS = ['=HYPERLINK("http://example.org","x")', "+1+2", "-2+3 widgets", "@SUM(A1:A9)"]


def test_safe_cell_follows_the_owasp_rule() -> None:
    from brief.publish.csvcells import safe_cell

    for text in FORMULAS:
        assert safe_cell(text) == "'" + text
    for text in ("Widgets", "-3.5", "+12", "1e5", "", "a=b"):
        assert safe_cell(text) == text


def test_figures_csv_attachment_escapes_formulas(mini_job: object) -> None:
    """The figures.csv attached to PDF/A documents quotes a label that starts like a formula."""
    import csv
    import dataclasses
    import io

    from brief.pipeline.record import figures_csv
    from brief.pipeline.resolve import Job

    assert isinstance(mini_job, Job)
    figures = dict(mini_job.figures)
    ids = list(figures)[: len(FORMULAS)]
    for fid, label in zip(ids, FORMULAS, strict=True):
        figures[fid] = dataclasses.replace(figures[fid], label=label)
    job = dataclasses.replace(mini_job, figures=figures)
    rows = list(csv.DictReader(io.StringIO(figures_csv(job, ids).decode("utf-8"))))
    assert [r["label"] for r in rows] == ["'" + f for f in FORMULAS]


def test_figures_command_csv_escapes_formulas(ws: Path) -> None:
    """``brief figures --format csv`` quotes a source title that starts like a formula."""
    import csv
    import io

    path = ws / "data" / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title-short: Widget Report", 'title-short: "=HYPERLINK(1)"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(ws), "figures", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    quoted = [r["source"] for r in rows if "HYPERLINK" in r["source"]]
    assert quoted and all(s.startswith("'=HYPERLINK(1)") for s in quoted)


# --- 6. "up to date" only when every input can be read --------------------------------


def _recorded_as_built(root: Path) -> Path:
    """A stand-in PDF and a manifest entry matching the current inputs: a no-op build."""
    import hashlib
    import json

    from brief.publish.manifest import file_digests, inputs_digest, tool_versions

    out = root / "out"
    out.mkdir()
    pdf = out / "mini-policy.pdf"
    pdf.write_bytes(b"%PDF-1.7 stand-in")
    entry = {
        "brief": "mini",  # the edition the entry records, which the no-op check compares
        "audience": "policy",
        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
        "pages": 2,
        "standard": "ua-1",
        "inputs_sha256": inputs_digest(file_digests(root)),
        "versions": tool_versions(),
        "source_date_epoch": "",
    }
    (out / "manifest.json").write_text(json.dumps({"format": 1, "outputs": {pdf.name: entry}}), encoding="utf-8")
    return pdf


def _up_to_date(root: Path) -> bool:
    from brief.publish.manifest import up_to_date

    return up_to_date(BuildRequest(root=root)) is not None


def test_fifo_input_makes_the_build_run_and_fail(mini: Path) -> None:
    """A FIFO named *.yaml made `brief build` say "up to date" (it was not digested); now the
    build runs and reports it, and the stand-in PDF is left as it was."""
    pdf = _recorded_as_built(mini)
    assert _up_to_date(mini)
    assert "up to date" in brief(mini, "build", timeout=120).stdout
    os.mkfifo(mini / "data" / "figures" / "pipe.yaml")
    result = brief(mini, "build", timeout=120)
    assert result.returncode == 1
    assert "up to date" not in result.stdout
    one_error(result, "data/figures/pipe.yaml", "refused: this is a FIFO (named pipe), not a regular file")
    assert pdf.read_bytes() == b"%PDF-1.7 stand-in"


@pytest.mark.parametrize(
    "what",
    [
        "folder-named-yaml",
        "fifo-in-templates",
        "link-outside",
        "link-to-dev-zero",
        "huge-sparse-template",
        "folder-link-outside",
    ],
)
def test_unusable_input_is_never_up_to_date(mini: Path, tmp_path: Path, what: str) -> None:
    """Each of these left the no-op check saying "up to date" (or reading /dev/zero or 20 GB)."""
    import time

    _recorded_as_built(mini)
    assert _up_to_date(mini)
    if what == "folder-named-yaml":
        (mini / "briefs" / "other.yaml").mkdir()
    elif what == "fifo-in-templates":
        os.mkfifo(mini / "templates" / "policy" / "intro.md.j2.pipe.j2")
    elif what == "link-outside":
        secret = tmp_path / "secret.yaml"
        secret.write_text("- id: secret\n", encoding="utf-8")
        (mini / "data" / "figures" / "secret.yaml").symlink_to(secret)
    elif what == "link-to-dev-zero":
        (mini / "templates" / "policy" / "zero.md.j2").symlink_to("/dev/zero")
    elif what == "huge-sparse-template":
        with (mini / "templates" / "policy" / "huge.css").open("wb") as f:
            f.truncate(20 * 1024**3)
    else:
        (tmp_path / "elsewhere").mkdir()
        (mini / "data" / "more").symlink_to(tmp_path / "elsewhere")
    started = time.monotonic()
    assert not _up_to_date(mini)
    assert time.monotonic() - started < 10


def test_no_op_check_stays_light() -> None:
    """The no-op check imports neither pydantic nor the pipeline nor the models (only the
    request, a plain dataclass module that names the output file)."""
    code = (
        "import sys; import brief.publish.manifest\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic' or m.startswith('brief.pipeline')"
        " or (m.startswith('brief.model.') and m != 'brief.model.request')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    assert result.stdout.strip() == "[]"


def test_invisible_characters_are_exactly_cc_and_cf() -> None:
    """The refused set is Unicode's Cc (but tab and newline) and Cf, as this Python knows them,
    and the blank characters outside them (tests/test_security_sandbox.py, L17)."""
    import unicodedata

    from brief.workspace.hidden import invisible_character
    from test_security_sandbox import BLANK

    for code in range(0x110000):
        char = chr(code)
        expected = (unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\t") or code in BLANK
        assert (invisible_character(char) is not None) == expected, f"U+{code:04X}"
