"""Corrections: after a figure changed and the editions were rebuilt, ``brief distribute
corrections`` finds exactly the recipients whose copy printed what the current build no longer
prints, and ``--send`` sends each of them one message, naming the old and the new text, with a
corrected copy. Against a real SMTP server (aiosmtpd on 127.0.0.1, an ephemeral port) and a
real SQLite ledger."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.distribute.stamp import COPY_ID_KEY
from brief.pipeline.build import build
from helpers import distribution_workspace, request_for
from mailserver import Recorder, serving

DISTRIBUTION = """
distribution:
  tlp: AMBER
  domains: [example.org]
"""
TECHNICAL = """
  technical:
    label: Technical annex
    page_budget: 2
    sections: [intro]
    charts: [counts]
"""
POLICY = [f"policy{i}@example.org" for i in range(1, 4)]
TECH = [f"tech{i}@example.org" for i in range(1, 3)]
RECIPIENTS = "name,email,organisation,audience\n" + "".join(
    f"Person {address.split('@')[0]},{address},Org,{'policy' if address in POLICY else 'technical'}\n"
    for address in POLICY + TECH
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Recorder, int]]:
    yield from serving()


def workspace(root: Path, port: int) -> Path:
    """The mini workspace with a technical edition that also prints gadgets_claimed, its policy and
    technical editions built and sent to three and two recipients."""
    root = distribution_workspace(root, DISTRIBUTION)
    brief = root / "briefs" / "mini.yaml"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(text.replace("\ndistribution:", TECHNICAL + "\ndistribution:", 1), encoding="utf-8")
    intro = (root / "templates" / "policy" / "intro.md.j2").read_text(encoding="utf-8")
    (root / "templates" / "technical").mkdir()
    (root / "templates" / "technical" / "intro.md.j2").write_text(
        intro + '\nA vendor claims {{ fig("gadgets_claimed") }} gadgets per firm.\n', encoding="utf-8"
    )
    rebuild(root)
    (root / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    smtp = ("--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    result = run(root, str(root / "recipients.csv"), "--send", *smtp)
    assert result.exit_code == 0, result.output
    return root


def rebuild(root: Path) -> None:
    for audience in ("policy", "technical"):
        build(request_for(root, None, audience))


def change(root: Path, old: str, new: str) -> None:
    """Correct a figure's value in the figure files, and build both editions again."""
    for path in (root / "data" / "figures").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
    rebuild(root)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def corrections(root: Path, port: int | None = None, *more: str) -> Result:
    smtp = ["--send", "--smtp", f"127.0.0.1:{port}"] if port is not None else []
    return run(root, "corrections", *smtp, "--from", "briefs@example.org", *more)


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for message in messages:
        address = str(message["To"]).split("<")[-1].rstrip(">")
        assert address not in found, f"{address} was sent two corrections"
        found[address] = message
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def attached_copy_id(message: EmailMessage) -> str:
    """The copy ID in the document information of the PDF the message carries."""
    (attachment,) = list(message.iter_attachments())
    with pikepdf.open(io.BytesIO(attachment.get_content())) as pdf:
        return str(pdf.docinfo[pikepdf.Name(COPY_ID_KEY)])


def ledger(root: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        return list(db.execute(query))


def test_a_figure_only_the_technical_edition_prints_corrects_only_its_readers(
    tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    root = workspace(tmp_path / "ws", port)
    recorder.received.clear()

    shares = root / "data" / "figures" / "shares.yaml"
    shares.write_text(shares.read_text(encoding="utf-8").replace('"press release"', "Gadget Corp's press release"))
    change(root, "value: 12\n", "value: 14\n")  # gadgets_claimed: only the technical edition prints it
    dry = corrections(root)
    assert dry.exit_code == 0, dry.output
    assert "corrections for mini: 1 edition changed, 2 recipients to correct" in dry.output
    assert "technical edition (en-US)" in dry.output and "policy edition" not in dry.output
    assert "  gadgets_claimed: 12 → 14 (source: Gadget Survey, Gadget Corp's press release)" in dry.output
    assert "  narrative: unchanged" in dry.output
    assert all(address in dry.output for address in TECH)
    assert not any(address in dry.output for address in POLICY)
    assert "unchanged: 3 hold an edition that prints what the current build prints" in dry.output
    assert recorder.received == []  # a dry run sends nothing

    sent = corrections(root, port)
    assert sent.exit_code == 0, sent.output
    assert "sent: 2 accepted" in sent.output
    messages = by_recipient(recorder.messages())
    assert sorted(messages) == TECH
    for message in messages.values():
        assert str(message["Subject"]).startswith("TLP:AMBER Correction: The Widget Gap")
        text = " ".join(body(message).split())
        assert "it read 12; the corrected figure is 14 (source: Gadget Survey, Gadget Corp's press release)" in text
        html = message.get_body(preferencelist=("html",))
        assert html is not None and "the corrected figure is <strong>14</strong>" in str(html.get_content())

    recorder.received.clear()
    again = corrections(root, port)
    assert again.exit_code == 0, again.output
    assert "nothing to correct" in again.output
    assert recorder.received == []


def test_a_figure_every_edition_prints_corrects_everyone_once(tmp_path: Path, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    root = workspace(tmp_path / "ws", port)
    recorder.received.clear()

    change(root, "value: 276300", "value: 281700")  # widgets_alpha: in the text and the chart of both editions
    dry = corrections(root)
    assert dry.exit_code == 0, dry.output
    assert "2 editions changed, 5 recipients to correct" in dry.output
    assert "  widgets_alpha: 276,300 → 281,700 (source: " in dry.output
    assert "table 1, p. 4" in dry.output  # the new value's source, with its locator

    sent = corrections(root, port)
    assert sent.exit_code == 0, sent.output
    messages = by_recipient(recorder.messages())
    assert sorted(messages) == sorted(POLICY + TECH)
    for message in messages.values():
        text = " ".join(body(message).split())
        assert "it read 276,300" in text and "the corrected figure is 281,700" in text, text

    # Each correction is in the ledger, linked to the copy it replaces, and carries a new copy
    # of the current build; a second run sends nothing.
    linked = ledger(
        root,
        "SELECT c.email, c.copy_id, old.copy_id FROM copies c JOIN copies old ON old.copy_id = c.supersedes "
        "WHERE c.state = 'accepted' AND old.email = c.email AND old.state = 'accepted'",
    )
    assert sorted(str(email) for email, _, _ in linked) == sorted(POLICY + TECH)
    for email, new, old in linked:
        assert attached_copy_id(messages[str(email)]) == new != old
        assert f"(copy ID {old})" in " ".join(body(messages[str(email)]).split())
    records = json.loads(run(root, "status", "--format", "json").output)
    assert sorted((r["email"], r["supersedes"]) for r in records if r["supersedes"]) == sorted(
        (str(email), str(old)) for email, _, old in linked
    )
    recorder.received.clear()
    assert corrections(root, port).exit_code == 0
    assert recorder.received == []


def test_a_rebuild_that_prints_the_same_corrects_nobody(tmp_path: Path, server: tuple[Recorder, int]) -> None:
    """Ours: built again on another date, each edition is another PDF (its bytes, its
    recorded build date) that prints the same: nobody is corrected."""
    recorder, port = server
    root = workspace(tmp_path / "ws", port)
    recorder.received.clear()
    before = ledger(root, "SELECT DISTINCT edition FROM copies")
    for audience in ("policy", "technical"):
        build(request_for(root, None, audience, source_date=dt.datetime(2027, 1, 4, tzinfo=dt.UTC)))
    manifest = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert not {(manifest[f"mini-{a}.pdf"]["sha256"],) for a in ("policy", "technical")} & set(before)
    dry = corrections(root)
    assert dry.exit_code == 0, dry.output
    assert "0 editions changed, 0 recipients to correct" in dry.output
    assert "unchanged: 5 hold an edition that prints what the current build prints" in dry.output
    assert corrections(root, port).exit_code == 0
    assert recorder.received == []


def test_verify_on_a_stamped_copy_says_to_trace_it(tmp_path: Path, server: tuple[Recorder, int]) -> None:
    """A stamped copy is not a built edition: ``brief verify`` says so and names the command that
    tells whose copy it is, also when the copy has the edition's own file name (as mailed)."""
    _, port = server
    root = workspace(tmp_path / "ws", port)
    copy = next((root / "out" / "distribution" / "person-tech1").glob("*.pdf"))
    ((copy_id,),) = ledger(root, "SELECT copy_id FROM copies WHERE email = 'tech1@example.org'")
    mailed = tmp_path / "mini-technical.pdf"
    mailed.write_bytes(copy.read_bytes())
    for path in (copy, mailed):
        result = CliRunner().invoke(cli, ["-C", str(root), "verify", str(path)])
        assert result.exit_code == 1
        assert f"stamped copy of one (copy ID {copy_id})" in result.output, result.output
        assert f"brief distribute trace {path}" in result.output
    built = CliRunner().invoke(cli, ["-C", str(root), "verify", str(root / "out" / "mini-technical.pdf")])
    assert built.exit_code == 0 and "stamped" not in built.output, built.output
