"""Distributing the same brief again and again, as an office does every week: once per person
and edition across distributions, refused rows tried again, a distribution that never sent
anything forgotten, the Date set when a message is sent, and who got which copy. Against a
real SMTP server (aiosmtpd on 127.0.0.1, an ephemeral port) and a real SQLite ledger;
messages are counted at the server."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.distribute.ledger_schema import VERSION
from brief.pipeline.build import build
from helpers import distribution_workspace, request_for
from mailserver import Recorder

DISTRIBUTION = """
distribution:
  tlp: AMBER
  domains: [example.org]
"""
FROM = ("--from", "briefs@example.org")
WRONG = "persn3@example.org"  # person 3's address, mistyped


def recipients(n: int, wrong: bool = False) -> str:
    rows = [f"Person {i},person{i}@example.org,Org,policy" for i in range(1, n + 1)]
    if wrong:
        rows[2] = f"Person 3,{WRONG},Org,policy"
    return "name,email,organisation,audience\n" + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini workspace with a distribution: block and the email templates, its policy edition built."""
    return distribution_workspace(tmp_path_factory.mktemp("weekly") / "ws", DISTRIBUTION)


@pytest.fixture
def ws(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace with ten recipients, person 3's address mistyped."""
    root = tmp_path / "ws"
    shutil.copytree(built, root)
    (root / "recipients.csv").write_text(recipients(10, wrong=True), encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setattr("brief.distribute.run.RETRIES", 2)
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def send(root: Path, port: int, *args: str) -> Result:
    return run(root, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}", *FROM, *args)


def ledger(root: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        return list(db.execute(query).fetchall())


def _fix_the_address(root: Path) -> None:
    csv = root / "recipients.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(WRONG, "person3@example.org"), encoding="utf-8")


# 1. Once per person and edition, across distributions ----------------------------------------


def test_fixing_one_address_sends_exactly_one_message(ws: Path, server: tuple[Recorder, int]) -> None:
    """Review row 3: one address refused (550), fixed in the recipients file, run again: a new
    distribution sent all ten again, nine of them a duplicate. Now the dry run and the send say
    that nine already received this edition, and the server gets exactly one new message."""
    recorder, port = server
    recorder.refuse = {WRONG}
    first = send(ws, port)
    assert first.exit_code == 1 and "sent: 9 accepted, 1 refused" in first.output, first.output
    assert len(recorder.received) == 9
    _fix_the_address(ws)
    dry = run(ws, "recipients.csv", *FROM)
    assert dry.exit_code == 0, dry.output
    assert "dry run: 1 stamped" in dry.output and "skipped: 9 already received this edition" in dry.output
    again = send(ws, port)
    assert again.exit_code == 0, again.output
    assert "sent: 1 accepted" in again.output and "skipped: 9 already received this edition" in again.output
    assert len(recorder.received) == 10
    assert recorder.count_by_recipient() == {f"person{i}@example.org": 1 for i in range(1, 11)}
    # The second distribution holds only the one it sent: the ledger says who got which copy.
    assert ledger(ws, "SELECT count(*) FROM copies") == [(11,)]


def test_an_address_is_the_same_whatever_its_case(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours: the address written in capitals in the next week's file is the same person."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    assert send(ws, port).exit_code == 0
    csv = ws / "recipients.csv"
    upper = csv.read_text(encoding="utf-8").replace("person2@", "PERSON2@")
    csv.write_text(upper + "Person 4,p4@example.org,O,policy\n", encoding="utf-8")
    result = send(ws, port)
    assert result.exit_code == 0 and "skipped: 3 already received this edition" in result.output, result.output
    assert recorder.count_by_recipient() == {**{f"person{i}@example.org": 1 for i in (1, 2, 3)}, "p4@example.org": 1}


def test_resend_sends_again_on_purpose(ws: Path, server: tuple[Recorder, int]) -> None:
    """--resend ADDRESS (repeatable) sends the edition again to those named; --resend-all to
    everyone; an address that is not in the file is a usage error (exit 2)."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(4), encoding="utf-8")
    assert send(ws, port).exit_code == 0
    (ws / "recipients.csv").write_text(recipients(4) + "Person 5,person5@example.org,Org,policy\n", encoding="utf-8")
    named = send(ws, port, "--resend", "PERSON1@example.org", "--resend", "person4@example.org")
    assert named.exit_code == 0 and "skipped: 2 already received" in named.output, named.output
    assert recorder.count_by_recipient() == {
        "person1@example.org": 2, "person2@example.org": 1, "person3@example.org": 1,
        "person4@example.org": 2, "person5@example.org": 1,
    }  # fmt: skip
    unknown = send(ws, port, "--resume", "--resend", "nobody@example.org")
    assert unknown.exit_code == 2 and "--resend nobody@example.org: not in the file" in unknown.output
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    everyone = send(ws, port, "--resend-all")
    assert everyone.exit_code == 0 and "skipped" not in everyone.output, everyone.output
    assert recorder.count_by_recipient()["person1@example.org"] == 3
    assert recorder.count_by_recipient()["person2@example.org"] == 2


def test_another_edition_is_sent(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours: who received another edition (another PDF: last week's, say) is sent this one."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    assert send(ws, port).exit_code == 0
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        db.execute("UPDATE copies SET edition = ?", ("0" * 64,))
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    result = send(ws, port)
    assert result.exit_code == 0 and "sent: 3 accepted" in result.output and "skipped" not in result.output
    assert len(recorder.received) == 5


def test_a_ledger_of_version_2_learns_its_editions(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours: a ledger written before editions were recorded gains the columns when opened; its
    distribution, run again, records the edition of its rows, and from then on who has it is
    passed over by the next distribution."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    assert send(ws, port).exit_code == 0
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        db.execute("DROP INDEX copies_by_edition")
        for column in ("edition", "variant", "language", "sent_at"):
            db.execute(f"ALTER TABLE copies DROP COLUMN {column}")
        db.execute("PRAGMA user_version = 2")
    assert send(ws, port, "--resume").exit_code == 0
    assert ledger(ws, "SELECT count(*) FROM copies WHERE edition IS NULL") == [(0,)]
    assert ledger(ws, "PRAGMA user_version") == [(VERSION,)]
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    result = send(ws, port)
    assert result.exit_code == 0 and "skipped: 2 already received this edition" in result.output, result.output
    assert len(recorder.received) == 3


# 2. --retry-refused ----------------------------------------------------------------------------


def test_retry_refused_sends_the_refused_rows_again(ws: Path, server: tuple[Recorder, int]) -> None:
    """Review row 3: a refused row could not be tried again (`settle … resend` said nothing was
    waiting). --resume leaves it refused; --retry-refused sends it, and only it, again."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    recorder.refuse = {"person2@example.org"}
    first = send(ws, port)
    assert first.exit_code == 1 and "--send --retry-refused" in first.output, first.output
    recorder.refuse = set()
    again = send(ws, port)  # review row 35: "already sent to 3 of 3", though one was refused
    assert again.exit_code == 2 and "was sent before (2 accepted, 1 refused of 3)" in again.output, again.output
    assert "--retry-refused" in again.output
    resumed = send(ws, port, "--resume")
    assert resumed.exit_code == 1 and len(recorder.received) == 2, resumed.output
    retried = send(ws, port, "--retry-refused")
    assert retried.exit_code == 0 and "sent: 3 accepted" in retried.output, retried.output
    assert recorder.count_by_recipient() == {f"person{i}@example.org": 1 for i in (1, 2, 3)}
    # Refused at RCPT the first time, it was never handed over: one attempt, the one accepted.
    retried_row = ledger(ws, "SELECT state, attempts, reply FROM copies WHERE email = 'person2@example.org'")
    assert retried_row == [("accepted", 1, "250 2.0.0 queued")]


def test_retry_refused_after_the_data(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours: a message refused at its final dot (a content filter, 554) was handed over: tried
    again with --retry-refused, it is claimed from `refused`, and accepted once."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    recorder.after_dot = ["554 5.7.1 content rejected"]
    assert send(ws, port).exit_code == 1
    retried = send(ws, port, "--retry-refused")
    assert retried.exit_code == 0 and "sent: 2 accepted" in retried.output, retried.output
    assert recorder.count_by_recipient() == {"person1@example.org": 1, "person2@example.org": 1}
    assert ledger(ws, "SELECT attempts FROM copies WHERE email = 'person1@example.org'") == [(2,)]


# 3. forget ---------------------------------------------------------------------------------


def _distributions(root: Path) -> list[str]:
    return [str(i) for (i,) in ledger(root, "SELECT id FROM distributions ORDER BY rowid")]


def test_forget_removes_a_distribution_that_sent_nothing(ws: Path) -> None:
    """Review row 30: a dry run, or a run that stopped, left its rows in the ledger forever.
    `forget ID` removes the distribution, its rows and its copies; another is left alone."""
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    (ws / "other.csv").write_text(recipients(2), encoding="utf-8")
    assert run(ws, "other.csv", *FROM).exit_code == 0
    first, other = _distributions(ws)
    copies = ws / "out" / "distribution"
    assert len(list(copies.glob(f"*/{first[:8]}-copy-*"))) == 6
    result = run(ws, "forget", first[:8])
    assert result.exit_code == 0 and f"distribution {first} forgotten: 3 rows" in result.output, result.output
    assert _distributions(ws) == [other]
    assert ledger(ws, "SELECT DISTINCT distribution FROM copies") == [(other,)]
    assert list(copies.glob(f"*/{first[:8]}-copy-*")) == [] and (copies / "person-3").exists() is False
    assert len(list(copies.glob(f"*/{other[:8]}-copy-*"))) == 4
    unknown = run(ws, "forget", first)
    assert unknown.exit_code == 1 and len(unknown.output.splitlines()) == 1
    assert f"no distribution {first} in the ledger" in unknown.output


def test_forget_refuses_a_distribution_that_sent_something(ws: Path, server: tuple[Recorder, int]) -> None:
    """A distribution with a row handed to a server (accepted, refused or unknown) is the
    record of what was sent: `forget` refuses it in one line and changes nothing."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    recorder.refuse = {"person1@example.org", "person2@example.org"}
    assert send(ws, port).exit_code == 1
    (dist,) = _distributions(ws)
    result = run(ws, "forget", dist)
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1, result.output
    assert "has 2 messages offered to a server" in result.output
    assert _distributions(ws) == [dist] and len(ledger(ws, "SELECT * FROM copies")) == 2


# 4. The Date when sent --------------------------------------------------------------------


def test_the_date_is_the_moment_of_sending(
    ws: Path, server: tuple[Recorder, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review row 33: the Date header was fixed when the dry run wrote the message, days before
    the send. It is set as the message is handed over; every other byte is the dry run's."""
    import datetime as dt

    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(1), encoding="utf-8")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    (eml,) = (ws / "out" / "distribution" / "person-1").glob("*.eml")
    written = eml.read_bytes()
    monkeypatch.setattr("brief.distribute.run.clock", lambda: dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    assert send(ws, port).exit_code == 0
    (message,) = recorder.messages()
    assert message["Date"] == "Tue, 04 Mar 2031 05:06:07 +0000"
    ((_, sent),) = recorder.received
    date_line = next(line for line in written.split(b"\r\n") if line.startswith(b"Date: "))
    assert date_line != b"Date: Tue, 04 Mar 2031 05:06:07 +0000"
    assert sent == written.replace(date_line, b"Date: Tue, 04 Mar 2031 05:06:07 +0000")


@pytest.mark.parametrize(
    ("edit", "refused"),
    [
        (lambda m: m.replace(b"\r\nDate: ", b"\r\nBcc: leak@elsewhere.example\r\nDate: ", 1), True),
        (lambda m: m.replace(b"\r\nDate: ", b"\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\nX-Old-Date: ", 1), True),
        (lambda m: m.replace(b"\r\nDate: ", b"\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\n\t", 1), False),
    ],
    ids=["a Bcc beside the Date", "a header after the Date", "the Date itself"],
)
def test_an_edited_message_is_still_refused(
    ws: Path, server: tuple[Recorder, int], edit: Callable[[bytes], bytes], refused: bool
) -> None:
    """L7 holds with the Date set at sending: the ledger's hash covers the message with its Date
    header left blank, so a header added beside it is refused; an edit of the Date alone is
    replaced by the moment of sending."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(1), encoding="utf-8")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    (eml,) = (ws / "out" / "distribution" / "person-1").glob("*.eml")
    eml.write_bytes(edit(eml.read_bytes()))
    result = send(ws, port)
    if refused:
        assert result.exit_code == 1 and "is not the one the ledger recorded" in result.output, result.output
        assert recorder.read == []
    else:
        assert result.exit_code == 0, result.output
        (message,) = recorder.messages()
        assert "2001" not in message["Date"] and len(message.get_all("Date") or []) == 1


# 5. status --------------------------------------------------------------------------------


def test_status_says_who_got_which_copy(ws: Path, server: tuple[Recorder, int]) -> None:
    """Review row 31: `status` had no brief, no time, nothing to tell a dry run from a send;
    JSON held the marking as a string. Each row now has its brief, its edition, when it was
    sent (UTC) and whether its distribution was a dry run; --brief, --email and --state
    choose rows; JSON has real types."""
    import json

    recorder, port = server
    (ws / "other.csv").write_text(recipients(2), encoding="utf-8")
    assert run(ws, "other.csv", *FROM).exit_code == 0  # a dry run only
    (ws / "recipients.csv").write_text(recipients(3), encoding="utf-8")
    recorder.refuse = {"person2@example.org"}
    assert send(ws, port).exit_code == 1
    dry, sent = _distributions(ws)
    records = json.loads(run(ws, "status", "--format", "json").output)
    assert [(r["distribution"], r["email"], r["state"], r["dry_run"]) for r in records] == [
        (dry, "person1@example.org", "stamped", True), (dry, "person2@example.org", "stamped", True),
        (sent, "person1@example.org", "accepted", False), (sent, "person2@example.org", "refused", False),
        (sent, "person3@example.org", "accepted", False),
    ]  # fmt: skip
    first = records[2]
    assert first["brief"] == "mini" and first["audience"] == "policy" and first["variant"] is None
    assert isinstance(first["language"], str) and len(str(first["edition"])) == 64
    assert isinstance(first["line"], int) and isinstance(first["copy_no"], int) and isinstance(first["attempts"], int)
    assert first["marking"]["tlp"] == "TLP:AMBER" and str(first["sent_at"]).endswith("Z")
    assert records[0]["sent_at"] is None and str(records[3]["sent_at"]).endswith("Z")  # a dry run's; when refused

    mine = json.loads(run(ws, "status", "--email", "PERSON1@example.org", "--format", "json").output)
    assert [r["distribution"] for r in mine] == [dry, sent]
    refused = run(ws, "status", "--state", "refused", "--format", "csv").output.splitlines()
    assert len(refused) == 2 and "person2@example.org" in refused[1] and ",False," in refused[1]
    assert run(ws, "status", "--brief", "another").output.splitlines() == [
        "distribution  brief  edition  name  email  copy_id  state  sent_at  run  reply"
    ]
    shown = run(ws, "status", "--state", "accepted")
    table = shown.output.splitlines()
    assert shown.exit_code == 0, (shown.output, shown.exception)
    assert len(table) == 3 and table[0].split() == [
        "distribution", "brief", "edition", "name", "email", "copy_id", "state", "sent_at", "run", "reply"
    ]  # fmt: skip
    edition = f"policy {first['language']} {str(first['edition'])[:8]}"
    assert f"{sent}  mini   {edition}" in table[1] and " UTC  sent  250 2.0.0 queued" in table[1], table
    assert "dry run" in run(ws, "status", "--email", "person1@example.org").output


# Review rows 34 and 37 -------------------------------------------------------------------------


def test_the_embargo_is_named_once_in_a_refusal() -> None:
    """Review row 34: "embargoed until EMBARGOED UNTIL 2026-12-10 09:00 CET"."""
    import datetime as dt

    from brief.distribute.rules import refusal
    from brief.model.marking import Marking, Recipient

    marking = Marking(embargo=dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC), embargo_zone="CET")  # type: ignore[call-arg]
    press = Recipient(
        name="Press", email="press@example.org", organisation="", audience="policy", channel="public", line=2
    )  # type: ignore[call-arg]
    found = refusal(marking, press, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert found is not None and found[0].endswith("embargoed until 2026-12-10 09:00 CET"), found


def test_a_default_sender_on_localhost_is_said(ws: Path) -> None:
    """Review row 37: a brief without domains, and no --from, prepared messages from
    distribution@localhost without a word; the summary says so."""
    brief = ws / "briefs" / "mini.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace("  domains: [example.org]\n", ""), encoding="utf-8")
    build(request_for(ws, None, "policy"))
    (ws / "recipients.csv").write_text(recipients(1), encoding="utf-8")
    result = run(ws, "recipients.csv")
    assert "warning: the sender is distribution@localhost: no --from" in result.output, result.output
    assert "warning" not in run(ws, "recipients.csv", *FROM).output


def test_a_folder_name_keeps_the_letters_of_an_accented_name(ws: Path) -> None:
    """Review row 36: "Chloé Martin" was written to chlo-martin/, "Jürgen Müller" to j-rgen-m-ller/."""
    rows = ["Chloé Martin,chloe@example.org,Org,policy", "Jürgen Müller,jm@example.org,Org,policy",
            "Łukasz Żak,lz@example.org,Org,policy"]  # fmt: skip
    (ws / "recipients.csv").write_text("name,email,organisation,audience\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    folders = sorted(p.name for p in (ws / "out" / "distribution").iterdir())
    assert folders == ["chloe-martin", "jurgen-muller", "lukasz-zak"]


def test_trace_a_copy_id_read_off_paper(ws: Path) -> None:
    """Review row 38: a scanned or photographed copy carries its ID only in pixels, and `trace`
    took only a PDF. `trace --id` names the copy's recipient from the ledger (one line when the
    ID is not there; exit 2 for what is not a copy ID)."""
    (ws / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    ((copy_id,),) = ledger(ws, "SELECT copy_id FROM copies WHERE email = 'person2@example.org'")
    traced = run(ws, "trace", "--id", f" {str(copy_id).upper()} ")
    assert traced.exit_code == 0, traced.output
    assert "prepared for Person 2 <person2@example.org>, Org (recipients line 3)" in traced.output
    missing = run(ws, "trace", "--id", "0123456789ab")
    assert missing.exit_code == 1 and len(missing.output.splitlines()) == 1
    assert "copy ID 0123456789ab is not in this workspace's ledger" in missing.output
    assert run(ws, "trace", "--id", "not-an-id").exit_code == 2
    assert run(ws, "trace").exit_code == 2


def test_a_stale_edition_names_the_brief_to_build(ws: Path) -> None:
    """Review row 14: the hint said `brief build --all`, which fails in a workspace of several
    briefs ("name one"); it names the brief."""
    (ws / "out" / "mini-policy.pdf").unlink()
    (ws / "recipients.csv").write_text(recipients(1), encoding="utf-8")
    result = run(ws, "recipients.csv", *FROM)
    assert result.exit_code == 1 and "build every audience first: brief build mini --all" in result.output
