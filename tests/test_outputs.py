"""Stage 6, publish (brief.publish.outputs): a failed, interrupted, killed or concurrent build
never leaves out/ with a PDF its manifest does not describe.

Builds here go through finish() with stand-in PDF bytes (see tests/publishing.py); the
crash tests run it in a child process that is killed or interrupted at a chosen point.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief
from brief.cli import cli
from brief.publish.manifest import Record, file_digests, inputs_digest, tool_versions
from brief.publish.outputs import publish
from publishing import PDF, finish_with, manifest, pdf_bytes, record, sha256, temp_files

TESTS = Path(__file__).resolve().parent
CHILD_PATH = os.pathsep.join([str(Path(brief.__file__).resolve().parent.parent), str(TESTS)])


def verify(root: Path) -> Result:
    """`brief verify out/mini-policy.pdf` in the workspace at *root*."""
    return CliRunner().invoke(cli, ["-C", str(root), "verify", str(root / "out" / PDF)])


def assert_consistent(root: Path) -> None:
    """out/ holds the PDF and a final manifest entry describing it, and nothing else."""
    entry = manifest(root)["outputs"][PDF]
    assert "previous" not in entry
    assert entry["sha256"] == sha256(root / "out" / PDF)
    assert sorted(p.name for p in (root / "out").iterdir()) == sorted([PDF, "manifest.json"])
    result = verify(root)
    assert result.exit_code == 0 and result.output.count("ok: ") == 2, result.output


@pytest.fixture
def built(mini: Path) -> Path:
    """The mini workspace with an earlier build in out/ (PDF "old", standard ua-1)."""
    finish_with(mini, pdf_bytes("old"))
    return mini


# Defect 6: a corrupt manifest is ours to rebuild, before anything is replaced.

JUNK = {
    "not-json": b"{not json",
    "not-utf8": b"\xff\xfe{}",
    "a-list": b"[]",
    "outputs-a-list": b'{"format": 1, "outputs": []}',
    "unknown-format": b'{"format": 99, "outputs": {}}',
    "entry-a-string": b'{"format": 1, "outputs": {"mini-policy.pdf": "x"}}',
    "entry-missing-keys": b'{"format": 1, "outputs": {"mini-policy.pdf": {"sha256": "ab"}}}',
}


@pytest.mark.parametrize("junk", list(JUNK.values()), ids=list(JUNK))
def test_a_corrupt_manifest_is_rebuilt_with_a_warning(built: Path, junk: bytes) -> None:
    """A manifest that is not JSON, has the wrong shape or malformed entries does not stop
    the build: it is rebuilt with a warning, and describes the new PDF."""
    (built / "out" / "manifest.json").write_bytes(junk)
    result = finish_with(built, pdf_bytes("new"))
    assert [w.severity for w in result.warnings] == ["warning"]
    line = result.warnings[0].format(severity=False)
    assert line.startswith("out/manifest.json: ") and (" writing a new one" in line or "left out" in line), line
    assert (built / "out" / PDF).read_bytes() == pdf_bytes("new")
    assert_consistent(built)


def test_malformed_entries_are_left_out_and_the_rest_kept(built: Path) -> None:
    """Only the malformed entries of a manifest are dropped; the good ones stay."""
    path = built / "out" / "manifest.json"
    data = json.loads(path.read_text())
    other = {**data["outputs"][PDF]}
    data["outputs"]["other.pdf"] = other
    data["outputs"]["bad.pdf"] = {**other, "pages": "three"}
    data["outputs"]["../escape.pdf"] = other
    path.write_text(json.dumps(data))
    result = finish_with(built, pdf_bytes("new"))
    assert (
        "left out malformed entries (bad.pdf: 'pages' is a string, not an integer and 1 more)"
        in result.warnings[0].message
    )
    assert sorted(manifest(built)["outputs"]) == ["mini-policy.pdf", "other.pdf"]
    assert manifest(built)["outputs"]["other.pdf"] == other


def test_the_warning_is_logged_when_nobody_collects_it(built: Path, caplog: pytest.LogCaptureFixture) -> None:
    """publish() without a warnings list logs the warning on the "brief" logger."""
    from brief.publish import outputs

    (built / "out" / "manifest.json").write_text("{")
    with caplog.at_level(logging.WARNING, logger="brief"):
        outputs.publish(built / "out", PDF, pdf_bytes("new"), 3, record(built))
    assert [r.getMessage().split(": ")[0:2] for r in caplog.records] == [
        ["warning", str(built / "out" / "manifest.json")]
    ]
    assert "cannot read the manifest" in caplog.records[0].getMessage()


def test_a_failed_pdf_rename_puts_the_manifest_back(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the PDF cannot be renamed into place, the manifest is restored byte for byte,
    no temporary file is left, and the error names the PDF."""
    before = {p.name: p.read_bytes() for p in (built / "out").iterdir()}
    real = os.replace

    def refuse_pdf(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == PDF:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_pdf)
    with pytest.raises(brief.errors.PublishError, match=r"cannot write mini-policy.pdf \(No space"):
        finish_with(built, pdf_bytes("new"))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (built / "out").iterdir()} == before


# Defect 7: concurrent builds read, decide and write under one lock.


def test_concurrent_builds_leave_the_entry_of_the_pdf_on_disk(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds of one PDF with different standards, interleaved: the first is paused just
    after its PDF is renamed into place while the second runs. The manifest entry then
    describes the PDF on disk (its hash and its standard)."""
    standard_of = {sha256_of(pdf_bytes("ua")): "ua-1", sha256_of(pdf_bytes("a3b")): "a-3b"}
    real = os.replace
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            finish_with(built, pdf_bytes("a3b"), "a-3b")
        except BaseException as exc:
            errors.append(exc)
        finally:
            second_done.set()

    racer = threading.Thread(target=second)

    def replace(src: str | Path, dst: str | Path) -> None:
        real(src, dst)
        if Path(dst).name == PDF and threading.current_thread() is threading.main_thread():
            racer.start()
            second_done.wait(timeout=1.5)  # it finishes meanwhile unless a lock holds it back

    monkeypatch.setattr(os, "replace", replace)
    finish_with(built, pdf_bytes("ua"), "ua-1")
    racer.join(timeout=30)
    monkeypatch.undo()
    assert not errors
    on_disk = sha256(built / "out" / PDF)
    entry = manifest(built)["outputs"][PDF]
    assert (entry["sha256"], entry["standard"]) == (on_disk, standard_of[on_disk])
    assert_consistent(built)


def sha256_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# Defect 14: kill -9 at any point of publishing leaves out/ recoverable.

CHILD = """
import os, signal, sys, time
from pathlib import Path
from publishing import PDF, finish_with, pdf_bytes

root, point = Path(sys.argv[1]), sys.argv[2]
real_replace = os.replace
manifests = []

def kill():
    os.kill(os.getpid(), signal.SIGKILL)

def replace(src, dst):
    name = Path(dst).name
    if name == "manifest.json":
        manifests.append(dst)
        if point == f"manifest-rename-{len(manifests)}":
            kill()
    if name == PDF and point == "before-pdf-rename":
        kill()
    real_replace(src, dst)
    if name == PDF and point == "after-pdf-rename":
        kill()

os.replace = replace
finish_with(root, pdf_bytes("new"), "a-3b")
print("finished")
"""


def run_child(root: Path, point: str, code: str = CHILD) -> subprocess.Popen[str]:
    """Start a child that publishes pdf_bytes("new") into *root*/out with the hook *point*."""
    env = {**os.environ, "PYTHONPATH": CHILD_PATH}
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root), point],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("point", ["manifest-rename-1", "before-pdf-rename", "after-pdf-rename", "manifest-rename-2"])
def test_kill_9_while_publishing_leaves_out_recoverable(built: Path, point: str) -> None:
    """A build killed at any step of publishing leaves a PDF that `brief verify` accepts
    (the old one or the new one); the next build removes its temporary files and leaves one
    final entry."""
    child = run_child(built, point)
    _, err = child.communicate(timeout=120)
    assert child.returncode in (-signal.SIGKILL, 0), err
    assert (built / "out" / PDF).read_bytes() in (pdf_bytes("old"), pdf_bytes("new"))
    result = verify(built)
    assert result.exit_code == 0 and result.output.count("ok: ") == 2, result.output
    finish_with(built, pdf_bytes("third"))
    assert temp_files(built) == []
    assert_consistent(built)


def test_stale_temporary_files_are_swept(built: Path) -> None:
    """Under the lock, temporary files of PDFs, HTML editions and the manifest always go (only a
    lock holder writes them); others (an exported chart's) once they are old."""
    out = built / "out"
    for name in (
        f".{PDF}.abcd1234.tmp",
        ".manifest.json.abcd1234.tmp",
        ".mini-policy.html.new12345.tmp",
        ".counts.svg.old12345.tmp",
        ".counts.svg.new12345.tmp",
    ):
        (out / name).write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(out / ".counts.svg.old12345.tmp", (an_hour_ago, an_hour_ago))
    finish_with(built, pdf_bytes("new"))
    assert temp_files(built) == [".counts.svg.new12345.tmp"]


# Defect 5 (publish half): Ctrl-C never publishes half a build.

INTERRUPTED = """
import fcntl, os, sys, time
from pathlib import Path
from publishing import PDF, finish_with, pdf_bytes

root, point = Path(sys.argv[1]), sys.argv[2]
real_replace, real_flock = os.replace, fcntl.flock

def wait_for_go(marker):
    (root / marker).write_text("")
    for _ in range(400):
        if (root / "go").exists():
            return
        time.sleep(0.025)

def replace(src, dst):
    real_replace(src, dst)
    if Path(dst).name == PDF and point == "after-pdf-rename":
        wait_for_go("paused")

def flock(fd, operation):
    if point == "waiting-for-lock" and operation == fcntl.LOCK_EX:
        (root / "paused").write_text("")
    real_flock(fd, operation)

os.replace, fcntl.flock = replace, flock
finish_with(root, pdf_bytes("new"), "a-3b")
print("finished")
"""


def wait_for(path: Path, child: subprocess.Popen[str]) -> None:
    """Wait until *child* creates *path*."""
    for _ in range(1200):
        if path.exists():
            return
        assert child.poll() is None, child.communicate()
        time.sleep(0.025)
    raise AssertionError(f"the child never reached {path.name}")


def test_ctrl_c_inside_publish_waits_until_pdf_and_manifest_agree(built: Path) -> None:
    """SIGINT arriving after the new PDF is renamed into place (between it and the manifest's
    final entry) is delivered once both are written: the build stops with a
    KeyboardInterrupt, and the manifest describes the new PDF."""
    child = run_child(built, "after-pdf-rename", INTERRUPTED)
    wait_for(built / "paused", child)
    child.send_signal(signal.SIGINT)
    time.sleep(0.2)
    (built / "go").write_text("")
    out, err = child.communicate(timeout=60)
    assert "KeyboardInterrupt" in err and "finished" not in out, out + err
    (built / "paused").unlink()
    (built / "go").unlink()
    assert (built / "out" / PDF).read_bytes() == pdf_bytes("new")
    assert manifest(built)["outputs"][PDF]["standard"] == "a-3b"
    assert_consistent(built)


def test_ctrl_c_before_the_lock_is_taken_writes_nothing(built: Path) -> None:
    """SIGINT arriving while the build waits for out/'s lock (another build holds it) stops
    it with nothing written: the PDF and manifest are byte-identical, no temporary files."""
    out = built / "out"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        child = run_child(built, "waiting-for-lock", INTERRUPTED)
        wait_for(built / "paused", child)
        time.sleep(0.3)  # inside flock() by now
        child.send_signal(signal.SIGINT)
        out_text, err = child.communicate(timeout=60)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert "KeyboardInterrupt" in err and "finished" not in out_text, out_text + err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_signals_are_delivered_after_the_deferred_block() -> None:
    """deferred_signals() holds SIGINT back and raises the KeyboardInterrupt on the way out."""
    from brief.publish import outputs

    reached: list[str] = []
    with pytest.raises(KeyboardInterrupt), outputs.deferred_signals():
        signal.raise_signal(signal.SIGINT)
        reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# Defect 12: `brief verify` with a malformed entry is one line, not a traceback.

MALFORMED: dict[str, Callable[[dict[str, object]], object]] = {
    "not-an-object": lambda e: ["sha256"],
    "missing-sha256": lambda e: {k: v for k, v in e.items() if k != "sha256"},
    "pages-a-string": lambda e: {**e, "pages": "3"},
    "sha256-a-number": lambda e: {**e, "sha256": 12},
    "versions-a-list": lambda e: {**e, "versions": []},
    "bad-previous": lambda e: {**e, "previous": {"sha256": "x"}},
}


@pytest.mark.parametrize("breaker", list(MALFORMED.values()), ids=list(MALFORMED))
def test_verify_with_a_malformed_entry_is_one_line(built: Path, breaker: Callable[[dict[str, object]], object]) -> None:
    """verify names the manifest, the entry and what is wrong with it, with a hint."""
    path = built / "out" / "manifest.json"
    data = json.loads(path.read_text())
    data["outputs"][PDF] = breaker(data["outputs"][PDF])
    path.write_text(json.dumps(data))
    result = verify(built)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"out/manifest.json: error: the manifest's entry for {PDF} is malformed: "
    ), lines
    assert " — build it again to write a new entry" in lines[0]


def test_a_manifest_that_cannot_be_finalised_still_describes_the_new_pdf(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the last step (the final entry) fails, the build warns, and the pending entry it
    leaves describes the new PDF; the next build tidies it."""
    real = os.replace
    renames: list[str] = []

    def refuse_second_manifest(src: str | Path, dst: str | Path) -> None:
        renames.append(Path(dst).name)
        if renames.count("manifest.json") == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_second_manifest)
    result = finish_with(built, pdf_bytes("new"))
    monkeypatch.undo()
    assert [w.format(severity=False) for w in result.warnings] == [
        "out/manifest.json: cannot write manifest.json (No space left on device); it records the new PDF, "
        "still with the entry it replaced — the next build tidies it"
    ]
    assert verify(built).exit_code == 0
    assert manifest(built)["outputs"][PDF]["previous"]["sha256"] == sha256_of(pdf_bytes("old"))
    finish_with(built, pdf_bytes("third"))
    assert_consistent(built)


# `brief verify` where a recipient uses it: the file is found by its hash, under any name.


def test_a_renamed_copy_verifies_by_its_hash(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF copied elsewhere under another name verifies with --manifest, with -C, and from
    inside the workspace with no option; the line names the file it was built as."""
    copy = tmp_path / "downloads" / "Widget brief (final).pdf"
    copy.parent.mkdir()
    copy.write_bytes((built / "out" / PDF).read_bytes())
    runner = CliRunner()
    for args in (["--manifest", str(built / "out" / "manifest.json")], ["-C", str(built)], []):
        if not args:
            monkeypatch.chdir(built / "templates")
        command = [*args[:2], "verify", str(copy)] if args[:1] == ["-C"] else ["verify", str(copy), *args]
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, (args, result.output)
        assert result.output.startswith(f"ok: {copy.name} is the file built for mini/policy as {PDF} (sha256 ")
        assert result.output.count("ok: ") == 2


def test_an_altered_renamed_copy_matches_no_entry(built: Path, tmp_path: Path) -> None:
    """A renamed copy that was changed is none of the files the manifest records: exit 1."""
    copy = tmp_path / "brief.pdf"
    copy.write_bytes((built / "out" / PDF).read_bytes() + b"\n% edited")
    result = CliRunner().invoke(cli, ["verify", str(copy), "--manifest", str(built / "out" / "manifest.json")])
    assert result.exit_code == 1
    assert result.output.startswith("FAILED: brief.pdf is none of the 1 file the manifest records (sha256 ")


def test_the_overlay_a_build_used_is_recorded_and_verified(mini: Path) -> None:
    """The manifest records the --templates overlay (relative to the workspace); verify checks
    it without being told, and fails when the overlay changed or is gone."""
    overlay = mini / "mine"
    overlay.mkdir()
    (overlay / "custom.css").write_text("p { color: black; }\n", encoding="utf-8")
    digests = file_digests(mini, overlay)
    rec = Record("mini", "policy", "ua-1", inputs_digest(digests), digests, tool_versions(), "", "mine")
    publish(mini / "out", PDF, pdf_bytes("with overlay"), 3, rec)
    assert manifest(mini)["outputs"][PDF]["overlay"] == "mine"
    ok = verify(mini)
    assert ok.exit_code == 0 and "templates/ and the overlay mine are the inputs" in ok.output, ok.output
    (overlay / "custom.css").write_text("p { color: red; }\n", encoding="utf-8")
    assert "FAILED: the workspace's inputs have changed" in verify(mini).output
    shutil.rmtree(overlay)
    gone = verify(mini)
    assert (
        gone.exit_code == 1
        and f"FAILED: the template overlay it was built with, {overlay}, is not there" in gone.output
    )
