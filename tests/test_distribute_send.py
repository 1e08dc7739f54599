"""brief distribute end to end against a real SMTP server (aiosmtpd on 127.0.0.1): stamped
copies, messages parsed as received, the ledger, faults (5xx, 4xx, a dropped connection),
and a sending process killed at random points and resumed, 20 times."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.pipeline.build import build
from helpers import REPO, distribution_workspace, killed_at_random, request_for
from mailserver import Recorder

pytestmark = pytest.mark.slow

DISTRIBUTION = """
distribution:
  tlp: AMBER
  banner: CONTROLLED // FOR OFFICIAL USE
  domains: [example.org]
  unsubscribe: mailto:unsubscribe@example.org
"""


def recipients(n: int) -> str:
    rows = [f"Person {i},person{i}@example.org,Org {i % 3},policy,P{i}" for i in range(1, n + 1)]
    return "name,email,organisation,audience,greeting\n" + "\n".join(rows) + "\n"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini workspace with a distribution: block and an email template, its policy edition built."""
    return distribution_workspace(tmp_path_factory.mktemp("dist") / "ws", DISTRIBUTION)


@pytest.fixture
def ws(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace, with five recipients (the current folder)."""
    root = tmp_path / "ws"
    monkeypatch.chdir(tmp_path)
    shutil.copytree(built, root)
    (root / "recipients.csv").write_text(recipients(5), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def run(root: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def ledger(root: Path) -> dict[str, tuple[str, str, str, str | None]]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        rows = db.execute("SELECT email, state, sha256, message_id, reply FROM copies").fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def tags(node: object) -> list[str]:
    """The structure types of the tag tree under *node*, depth first."""
    found: list[str] = []
    if isinstance(node, pikepdf.Dictionary):
        found += [str(node.S)] if "/S" in node else []
        found += tags(node.K) if "/K" in node else []
    elif isinstance(node, pikepdf.Array):
        for item in node:
            found += tags(item)
    return found


def test_dry_run_writes_each_copy_and_message(ws: Path) -> None:
    result = run(ws, "recipients.csv")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "5 recipients (5 policy)" in result.output  # type: ignore[attr-defined]
    assert "markings: TLP:AMBER · CONTROLLED // FOR OFFICIAL USE" in result.output  # type: ignore[attr-defined]
    rows = ledger(ws)
    assert {state for state, *_ in rows.values()} == {"stamped"}
    folder = ws / "out" / "distribution" / "person-2"
    (pdf,) = folder.glob("*.pdf")
    (eml,) = folder.glob("*.eml")
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == rows["person2@example.org"][1]
    first = eml.read_bytes()
    assert b"Subject: TLP:AMBER " in first
    again = run(ws, "recipients.csv")
    assert again.exit_code == 0 and eml.read_bytes() == first  # type: ignore[attr-defined]


def test_stamped_copy_keeps_its_tags_and_names_its_recipient(ws: Path) -> None:
    run(ws, "recipients.csv")
    (pdf,) = (ws / "out" / "distribution" / "person-3").glob("*.pdf")
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    for page in reader.pages:
        text = page.extract_text()
        assert "Prepared for Person 3, Org 0 · copy 3 of 5" in text
        assert text.count("TLP:AMBER") == 2
    with pikepdf.open(ws / "out" / "mini-policy.pdf") as edition:
        tree = tags(edition.Root.StructTreeRoot)
    with pikepdf.open(pdf) as doc:
        assert "/StructTreeRoot" in doc.Root and doc.Root.MarkInfo.Marked
        assert len(tree) > 10 and tags(doc.Root.StructTreeRoot) == tree  # the stamp adds nothing to the tag tree
        for page in doc.pages:
            last = page.obj.Contents[-1].read_bytes()
            assert last.startswith(b"Q\n/Artifact") and last.rstrip().endswith(b"EMC")
            for font in page.Resources.Font.values():  # every font embedded, the stamp's too
                descriptor = font.get("/DescendantFonts", [font])[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        copy_id = str(doc.docinfo["/BriefCopyId"])
        with doc.open_metadata() as meta:
            assert meta.get("pdfuaid:part") == "1"
    traced = CliRunner().invoke(cli, ["-C", str(ws), "distribute", "trace", str(pdf)])
    assert traced.exit_code == 0 and f"copy ID {copy_id}" in traced.output and "person3@example.org" in traced.output


def test_trace_finds_the_recipient_when_metadata_is_stripped(ws: Path, tmp_path: Path) -> None:
    run(ws, "recipients.csv")
    (pdf,) = (ws / "out" / "distribution" / "person-4").glob("*.pdf")
    stripped = tmp_path / "leaked.pdf"
    if shutil.which("qpdf"):  # the pages alone, into an empty PDF: no document information, no XMP
        subprocess.run(["qpdf", "--empty", "--pages", str(pdf), "--", str(stripped)], check=True)
    else:  # pikepdf is qpdf's library
        with pikepdf.open(pdf) as doc:
            del doc.trailer["/Info"]
            del doc.Root["/Metadata"]
            doc.save(stripped)
    with pikepdf.open(stripped) as doc:
        assert "/BriefCopyId" not in doc.docinfo and "/Metadata" not in doc.Root
    traced = CliRunner().invoke(cli, ["-C", str(ws), "distribute", "trace", str(stripped)])
    assert traced.exit_code == 0, traced.output
    assert "Person 4 <person4@example.org>" in traced.output


def test_send_delivers_one_parsed_message_per_recipient(ws: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    result = run(ws, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = ledger(ws)
    assert recorder.count_by_recipient() == dict.fromkeys(rows, 1)
    for message in recorder.messages():
        to = message["To"].addresses[0].addr_spec
        state, sha, message_id, _ = rows[to]
        assert state == "accepted" and message["Message-ID"] == message_id
        assert message["Subject"].startswith("TLP:AMBER ")
        assert message["List-Unsubscribe"] == "<mailto:unsubscribe@example.org>"
        assert message.get_content_type() == "multipart/mixed"
        body = message.get_body(("plain",))
        assert body is not None and body.get_content().splitlines()[0] == "TLP:AMBER"
        assert message.get_body(("html",)) is not None
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert hashlib.sha256(attachment.get_content()).hexdigest() == sha
    again = run(ws, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    assert again.exit_code == 2 and "--resume" in again.output  # type: ignore[attr-defined]
    resumed = run(
        ws, "recipients.csv", "--send", "--resume", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org"
    )
    assert resumed.exit_code == 0 and len(recorder.received) == 5  # type: ignore[attr-defined]
    other = run(ws, "recipients.csv", "--from", "desk@example.org")  # another sender: another distribution
    assert other.exit_code == 0 and "skipped: 5 already received this edition" in other.output  # type: ignore[attr-defined]
    other = run(ws, "recipients.csv", "--from", "desk@example.org", "--resend-all")  # ...to send it again on purpose
    assert other.exit_code == 0 and "dry run: 5 stamped" in other.output  # type: ignore[attr-defined]


def test_refused_temporary_and_dropped(ws: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.refuse.add("person2@example.org")
    recorder.temporary["person3@example.org"] = 2
    recorder.drop["person4@example.org"] = 1
    result = run(ws, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 1
    rows = ledger(ws)
    assert rows["person2@example.org"][0] == "refused"
    assert rows["person2@example.org"][3] == "550 5.1.1 mailbox unavailable"
    assert "refused: person2@example.org (line 3)" in result.output  # type: ignore[attr-defined]
    assert {e: s for e, (s, *_) in rows.items() if e != "person2@example.org"} == dict.fromkeys(
        ["person1@example.org", "person3@example.org", "person4@example.org", "person5@example.org"], "accepted"
    )
    assert recorder.count_by_recipient() == {f"person{i}@example.org": 1 for i in (1, 3, 4, 5)}


def test_a_draft_is_not_sent_without_allow_draft(ws: Path, server: tuple[Recorder, int]) -> None:
    brief = ws / "briefs" / "mini.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace("  tlp: AMBER", "  status: draft\n  tlp: AMBER"))
    _, port = server
    result = run(ws, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 2 and "marked draft" in result.output  # type: ignore[attr-defined]


RANK = {"planned": 0, "stamped": 1, "sending": 2, "accepted": 3, "refused": 3}


def _progress(root: Path) -> int:
    """How far a run has gone: each row's state counted 0 (planned) to 3 (accepted); -1 before the ledger."""
    path = root / "out" / "distribution.sqlite"
    if not path.exists():
        return -1
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return sum(RANK[s] for (s,) in db.execute("SELECT state FROM copies"))
    except sqlite3.Error:
        return -1


def _kill_and_resume(root: Path, port: int, recorder: Recorder, seed: int) -> int:
    """Start a send, kill -9 it once it has gone a random distance, resume it (settling a
    message left unknown by the server's log, as an operator would); the progress when killed."""
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    base = [sys.executable, "-m", "brief", "-C", str(root), "distribute", "recipients.csv", "--send"]
    args = [*base, "--smtp", f"127.0.0.1:{port}", "--rate", "25"]
    target = rng.randrange(-1, 3 * 4)
    killed_at = killed_at_random(args, root, env, lambda: _progress(root), target, rng.uniform(0, 0.02))
    resumed = subprocess.run([*args, "--resume"], env=env, cwd=root, capture_output=True, text=True, timeout=60)
    if resumed.returncode != 0:
        assert "unknown:" in resumed.stderr, resumed.stderr
        received = {m["Message-ID"] for m in recorder.messages()}
        for state, _, message_id, _ in ledger(root).values():
            if state == "sending":
                answer = "accepted" if message_id in received else "resend"
                settle = [*base[:6], "settle", str(message_id), answer]
                subprocess.run(settle, env=env, cwd=root, check=True, capture_output=True, timeout=60)
        final = subprocess.run([*args, "--resume"], env=env, cwd=root, capture_output=True, text=True, timeout=60)
        assert final.returncode == 0, final.stderr
    return killed_at


def test_killed_and_resumed_twenty_times_sends_each_message_once(
    built: Path, tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    killed_at = []
    for run_number in range(20):
        root = tmp_path / f"run{run_number}"
        shutil.copytree(built, root)
        (root / "recipients.csv").write_text(recipients(4), encoding="utf-8")
        recorder.received.clear()
        killed_at.append(_kill_and_resume(root, port, recorder, run_number))
        rows = ledger(root)
        assert {s for s, *_ in rows.values()} == {"accepted"}, (run_number, rows)
        assert recorder.count_by_recipient() == dict.fromkeys(rows, 1), run_number
        received = {m["Message-ID"] for m in recorder.messages()}
        assert received == {m for _, _, m, _ in rows.values()}
    # The kills landed all along the way: before the ledger, while stamping, while sending.
    assert min(killed_at) <= 0 and max(killed_at) >= 8 and len(set(killed_at)) >= 6, killed_at


def test_every_page_is_marked_in_the_header_and_footer(built: Path) -> None:
    """The TLP label twice on each page, right of centre, 12 pt or more, in amber on black;
    the banner top and bottom; the marking in the manifest and the PDF's keywords."""
    import ctypes
    import json

    import pypdfium2
    import pypdfium2.raw as raw

    pdf = built / "out" / "mini-policy.pdf"
    document = pypdfium2.PdfDocument(str(pdf))
    for page in document:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        assert text.count("TLP:AMBER") == 2 and text.count("CONTROLLED // FOR OFFICIAL USE") == 2
        start = text.index("TLP:AMBER")
        assert raw.FPDFText_GetFontSize(textpage.raw, start) >= 12
        left, _, _, _ = textpage.get_charbox(start)
        assert left > page.get_width() * 0.6
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        raw.FPDFText_GetFillColor(textpage.raw, start, r, g, b, a)
        assert (r.value, g.value, b.value) == (0xFF, 0xC0, 0x00)
    document.close()
    entry = json.loads((built / "out" / "manifest.json").read_text())["outputs"]["mini-policy.pdf"]
    assert entry["marking"]["tlp"] == "TLP:AMBER"
    with pikepdf.open(pdf) as doc:
        assert "TLP:AMBER" in str(doc.docinfo["/Keywords"])


def test_the_html_edition_is_marked_too(built: Path) -> None:
    from brief.workspace.load import load_workspace
    from helpers import job_for, render_job

    ws_ = load_workspace(built)
    html = render_job(ws_, job_for(ws_)).html
    assert '<body class="audience-policy marked">' in html
    for kind in ("top", "bottom", "end"):
        assert f'<div class="tlp-{kind}"><span class="tlp">TLP:AMBER</span></div>' in html


def test_a_message_over_the_limit_is_refused_or_linked(ws: Path) -> None:
    brief = ws / "briefs" / "mini.yaml"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(text.replace("  domains: [example.org]", "  domains: [example.org]\n  max_message_mb: 0.01"))
    build(request_for(ws, None, "policy"))  # the brief file is a build input
    refused = run(ws, "recipients.csv")
    assert refused.exit_code == 1
    assert "recipients.csv:2: error: the message to person1@example.org would carry" in refused.output  # type: ignore[attr-defined]
    linked = text.replace(
        "  domains: [example.org]", "  domains: [example.org]\n  max_message_mb: 0.01\n  link: https://example.org/b"
    )
    brief.write_text(linked)
    build(request_for(ws, None, "policy"))
    assert run(ws, "recipients.csv").exit_code == 0
    (eml,) = (ws / "out" / "distribution" / "person-1").glob("*.eml")
    from email import message_from_bytes, policy

    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert not list(message.iter_attachments())  # type: ignore[attr-defined]
    assert "https://example.org/b" in message.get_body(("plain",)).get_content()  # type: ignore[attr-defined,union-attr]


def test_unknown_rows_wait_for_resend_unknown(ws: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    assert run(ws, "recipients.csv").exit_code == 0
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        db.execute("UPDATE copies SET state = 'sending' WHERE email = 'person1@example.org'")
    smtp = ["--smtp", f"127.0.0.1:{port}"]
    first = run(ws, "recipients.csv", "--send", "--resume", *smtp)
    assert first.exit_code == 1 and "unknown: person1@example.org (line 2)" in first.output  # type: ignore[attr-defined]
    assert "person1@example.org" not in recorder.count_by_recipient() and len(recorder.received) == 4
    second = run(ws, "recipients.csv", "--send", "--resume", "--resend-unknown", *smtp)
    assert second.exit_code == 0 and recorder.count_by_recipient()["person1@example.org"] == 1  # type: ignore[attr-defined]
    import csv
    import io
    import json

    exported = CliRunner().invoke(cli, ["-C", str(ws), "distribute", "status", "--format", "csv"]).output
    assert {r["state"] for r in csv.DictReader(io.StringIO(exported))} == {"accepted"}
    as_json = json.loads(CliRunner().invoke(cli, ["-C", str(ws), "distribute", "status", "--format", "json"]).output)
    assert len(as_json) == 5 and all(len(r["sha256"]) == 64 for r in as_json)


def test_an_edition_showing_a_passed_embargo_is_built_again_first(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embargo line is on copies made before the embargo only: an edition built (dated)
    before it is refused once it has passed; built again dated now, it no longer shows it."""
    brief = ws / "briefs" / "mini.yaml"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(
        text.replace("  tlp: AMBER", "  tlp: AMBER\n  embargo: 2025-06-01T09:00:00-04:00\n  embargo_zone: ET")
    )
    build(request_for(ws, None, "policy"))  # dated the brief's 1 May 2025: before the embargo
    from pypdf import PdfReader

    assert "EMBARGOED UNTIL 2025-06-01 09:00 ET" in PdfReader(ws / "out" / "mini-policy.pdf").pages[0].extract_text()
    refused = run(ws, "recipients.csv")
    assert refused.exit_code == 1 and "shows an embargo that has passed" in refused.output  # type: ignore[attr-defined]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time())))
    build(request_for(ws, None, "policy"))
    assert run(ws, "recipients.csv").exit_code == 0
    (pdf,) = (ws / "out" / "distribution" / "person-1").glob("*.pdf")
    assert "EMBARGOED" not in PdfReader(pdf).pages[0].extract_text()
