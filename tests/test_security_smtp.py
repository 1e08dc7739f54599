"""Security review round 3, sending by SMTP and the ledger (H2, H3, M1, M2, M3, L1 --from, L5,
L7, L8): each review case against a real SMTP server (aiosmtpd on 127.0.0.1, an ephemeral port)
and a real SQLite ledger; messages are counted at the server."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief
from brief.cli import cli
from helpers import distribution_workspace
from mailserver import Recorder, serving

DISTRIBUTION = """
distribution:
  tlp: AMBER
  domains: [example.org]
"""
FROM = ("--from", "briefs@example.org")


def recipients(n: int) -> str:
    rows = [f"Person {i},person{i}@example.org,Org,policy" for i in range(1, n + 1)]
    return "name,email,organisation,audience\n" + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini workspace with a distribution: block and the email templates, its policy edition built."""
    return distribution_workspace(tmp_path_factory.mktemp("smtp") / "ws", DISTRIBUTION)


@pytest.fixture
def ws(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace with two recipients, and quick retries."""
    root = tmp_path / "ws"
    shutil.copytree(built, root)
    (root / "recipients.csv").write_text(recipients(2), encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setattr("brief.distribute.run.RETRIES", 2)
    return root


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    yield from serving()


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def send(root: Path, port: int, *args: str) -> Result:
    return run(root, "recipients.csv", "--send", "--smtp", f"127.0.0.1:{port}", *FROM, *args)


def states(root: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        rows = db.execute("SELECT email, state, reply FROM copies").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


# H2 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        ("554 5.7.1 message content rejected", "refused"),  # S23
        ("552 5.3.4 message too big for system", "refused"),  # ours
    ],
)
def test_h2_a_refusal_after_the_data_is_refused(ws: Path, server: tuple[Recorder, int], reply: str, state: str) -> None:
    """S23: the server answers the final dot with 554 (a content filter): the row was recorded
    `accepted` and the run exited 0. It is `refused`, with the reply, and the run exits 1."""
    recorder, port = server
    recorder.after_dot = [reply]
    result = send(ws, port)
    assert result.exit_code == 1, result.output
    assert states(ws)["person1@example.org"] == (state, reply)
    assert states(ws)["person2@example.org"][0] == "accepted"
    assert f"refused: person1@example.org (line 2) {reply}" in result.output


@pytest.mark.parametrize("reply", ["421 4.3.2 shutting down", "451 4.3.0 queue full, try later"])  # S09, S06
def test_h2_4xx_after_the_data_is_not_taken(ws: Path, server: tuple[Recorder, int], reply: str) -> None:
    """S09/S06: 421 or 451 after the data were recorded `accepted` and never sent again. The
    server has not taken the message: it is retried, goes back to `stamped` when the 4xx
    persists, and the next --resume sends it."""
    recorder, port = server
    recorder.after_dot = [reply, reply]  # both attempts (RETRIES is 2 here)
    send(ws, port)
    assert states(ws)["person1@example.org"] == ("stamped", reply)
    assert recorder.count_by_recipient(recorder.read) == {"person1@example.org": 2, "person2@example.org": 1}
    resumed = send(ws, port, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert recorder.count_by_recipient() == {"person1@example.org": 1, "person2@example.org": 1}


@pytest.mark.parametrize(
    "reply",
    [
        "garbage",  # S23: a reply without a code
        "2.0.0 queued as 4F2A",  # ours: an enhanced status code without the reply code
        "354 go ahead",  # ours: a reply of no class that judges a message
    ],
)
def test_h2_no_reply_or_garbage_after_the_data_is_unknown(ws: Path, server: tuple[Recorder, int], reply: str) -> None:
    """S23 (garbage): a reply with no code after the data was recorded `accepted`. Nothing says
    whether the server has the message: the row stays `sending` (unknown) and is reported."""
    recorder, port = server
    recorder.after_dot = [reply]
    result = send(ws, port)
    assert result.exit_code == 1, result.output
    assert states(ws)["person1@example.org"][0] == "sending"
    assert "unknown: person1@example.org (line 2)" in result.output
    assert states(ws)["person2@example.org"][0] == "accepted"


# M1 -----------------------------------------------------------------------------------------

SESSION_FAULTS = {
    "S07 nothing listens": ({}, (), "cannot connect to 127.0.0.1:"),
    "S20 garbage greeting": ({"greeting": "hello there"}, (), "did not greet as a mail server"),
    "S20 no STARTTLS": ({}, ("--starttls",), "does not offer STARTTLS"),
    "554 greeting": ({"greeting": "554 5.3.2 not accepting mail"}, (), "did not greet as a mail server"),
    "EHLO refused": ({"ehlo": "550 5.7.1 go away"}, (), "refused EHLO: 550 5.7.1 go away"),
    "sender refused": ({"mail": "553 5.7.1 sender rejected"}, (), "refused the sender briefs@example.org"),
    "421 greeting": ({"greeting": "421 4.3.2 too busy"}, (), "takes no message now (421 4.3.2 too busy)"),
    "451 to MAIL": ({"mail": "451 4.3.0 try later"}, (), "takes no message now (451 4.3.0 try later)"),
}


@pytest.mark.parametrize("fault", list(SESSION_FAULTS))
def test_m1_a_session_that_fails_leaves_every_row_as_it_was(ws: Path, server: tuple[Recorder, int], fault: str) -> None:
    """S07, S20: a server that cannot be reached or spoken to left the first row `sending`
    (unknown), and each retry one more. Nothing was handed over: every row stays `stamped`,
    and one error line says what failed (the connection, the greeting, TLS, the sender)."""
    recorder, port = server
    settings, options, said = SESSION_FAULTS[fault]
    for name, value in settings.items():
        setattr(recorder, name, value)
    if fault.startswith("S07"):
        from mailserver import free_port

        port = free_port()
    for _ in range(2):
        result = send(ws, port, *options)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if "error:" in line]
        assert len(errors) == 1 and said in errors[0], result.output
        assert "2 of 2 messages not sent" in errors[0] and "Traceback" not in result.output
        assert {state for state, _ in states(ws).values()} == {"stamped"}
    assert recorder.read == []


def test_m1_a_server_gone_mid_run_leaves_the_next_row_stamped(ws: Path, server: tuple[Recorder, int]) -> None:
    """S10: the server goes away after the first message; the reconnection fails before anything
    is handed over, so the second row stays `stamped` (it was left `sending`), and --resume
    sends it once the server is back."""
    recorder, port = server
    recorder.gone_after = 1
    result = send(ws, port)
    assert result.exit_code == 1 and "1 of 2 messages not sent" in result.output, result.output
    assert states(ws)["person1@example.org"][0] == "accepted"
    assert states(ws)["person2@example.org"][0] == "stamped"
    recorder.gone_after, recorder.greeting = None, None
    assert send(ws, port, "--resume").exit_code == 0
    assert recorder.count_by_recipient() == {"person1@example.org": 1, "person2@example.org": 1}


# M2 -----------------------------------------------------------------------------------------


def test_m2_a_send_that_delivered_nothing_exits_1(ws: Path, server: tuple[Recorder, int]) -> None:
    """S24: a server answering 451 to every RCPT: every row back to `stamped`, and the send
    exited 0. It exits 1 and says how many are not sent and the command that continues."""
    recorder, port = server
    recorder.temporary = {"person1@example.org": 9, "person2@example.org": 9}
    result = send(ws, port)
    assert result.exit_code == 1, result.output
    assert "2 not sent yet" in result.output and "--send --resume" in result.output
    assert {state for state, _ in states(ws).values()} == {"stamped"}
    assert recorder.read == []


def test_m2_a_send_with_one_deferred_exits_1_and_a_dry_run_exits_0(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours (S24 with one of two deferred): 1 until every recipient is accepted; a dry run is
    0 when every copy is prepared."""
    recorder, port = server
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    recorder.temporary = {"person2@example.org": 9}
    result = send(ws, port)
    assert result.exit_code == 1 and "1 not sent yet" in result.output, result.output
    recorder.temporary = {}
    assert send(ws, port, "--resume").exit_code == 0


# M3 -----------------------------------------------------------------------------------------


def _first_distribution(root: Path) -> str:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        return str(db.execute("SELECT id FROM distributions ORDER BY rowid LIMIT 1").fetchone()[0])


def test_m3_resume_after_the_recipients_changed_refuses(ws: Path, server: tuple[Recorder, int]) -> None:
    """S16: send to the recipients, fix a typo in one row, --send --resume: a new distribution
    was made without a word and everyone got a second copy. --resume refuses, in one line
    naming the distribution it would have continued; nothing is sent or planned."""
    recorder, port = server
    assert send(ws, port).exit_code == 0
    first = _first_distribution(ws)
    csv = ws / "recipients.csv"
    csv.write_text(csv.read_text().replace("Person 2,", "Person Two,"))
    result = send(ws, port, "--resume")
    assert result.exit_code == 2, result.output
    assert f"not continue {first}" in result.output and len(result.output.splitlines()) == 1
    assert len(recorder.read) == 2 and len(states(ws)) == 2


def test_m3_resume_with_another_sender_refuses(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours (S27's partial send, then another --from): a different distribution is not resumed."""
    recorder, port = server
    recorder.temporary = {"person2@example.org": 9}
    assert send(ws, port).exit_code == 1  # person1 sent, person2 waiting
    first = _first_distribution(ws)
    recorder.temporary = {}
    other = ["--send", "--resume", "--smtp", f"127.0.0.1:{port}", "--from", "desk@example.org"]
    result = run(ws, "recipients.csv", *other)
    assert result.exit_code == 2 and f"not continue {first}" in result.output, result.output
    assert recorder.count_by_recipient() == {"person1@example.org": 1}
    assert send(ws, port, "--resume").exit_code == 0  # the distribution itself still resumes
    assert recorder.count_by_recipient() == {"person1@example.org": 1, "person2@example.org": 1}


# H3 -----------------------------------------------------------------------------------------


def _brief(root: Path, *args: str) -> subprocess.Popen[bytes]:
    """``brief distribute`` in a process of its own (the same code as the tests)."""
    env = {**os.environ, "PYTHONPATH": str(Path(brief.__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "brief", "-C", str(root), "distribute", "recipients.csv", *FROM, *args]
    return subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _count(root: Path, state: str) -> int:
    path = root / "out" / "distribution.sqlite"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM copies WHERE state = ?", (state,)).fetchone()[0])
    except sqlite3.Error:
        return 0


def _paused_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """Stop *process* (SIGSTOP) as soon as *ready* holds."""
    deadline = time.monotonic() + 60
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGSTOP)
    assert process.poll() is None and ready(), "the run ended before it could be paused"


def test_h3_a_dry_run_beside_a_send_never_sends_twice(ws: Path, server: tuple[Recorder, int]) -> None:
    """S25: a dry run paused once some rows are stamped, a send run to the end, the dry run
    continued, then --send --resume: the dry run re-stamped the rows the send had had accepted
    and --resume sent them again (31 of 40). One run at a time: the send is refused in one
    line while the dry run holds the ledger, and every recipient gets one message."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(12), encoding="utf-8")
    dry = _brief(ws)
    _paused_when(dry, lambda: _count(ws, "stamped") >= 4)
    try:
        during = send(ws, port)
    finally:
        dry.send_signal(signal.SIGCONT)
    assert dry.wait(60) == 0
    after = send(ws, port)
    resumed = send(ws, port, "--resume")
    assert recorder.count_by_recipient(recorder.read) == {f"person{i}@example.org": 1 for i in range(1, 13)}
    assert during.exit_code == 1 and "another brief distribute is running" in during.output, during.output
    assert len(during.output.splitlines()) == 1
    assert after.exit_code == 0 and resumed.exit_code == 0


def test_h3_a_second_send_beside_a_paused_send_is_refused(ws: Path, server: tuple[Recorder, int]) -> None:
    """Ours: a send paused after its first message, and a second --send --resume meanwhile:
    the second is refused while the first holds the ledger; the first ends the work, once each."""
    recorder, port = server
    (ws / "recipients.csv").write_text(recipients(6), encoding="utf-8")
    first = _brief(ws, "--send", "--smtp", f"127.0.0.1:{port}", "--rate", "20")
    _paused_when(first, lambda: len(recorder.read) >= 1)
    try:
        second = send(ws, port, "--resume")
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(60) == 0
    assert second.exit_code == 1 and "another brief distribute is running" in second.output, second.output
    assert recorder.count_by_recipient(recorder.read) == {f"person{i}@example.org": 1 for i in range(1, 7)}


def test_h3_a_stale_run_never_restamps_an_accepted_row(ws: Path) -> None:
    """Ours, at the ledger: a run that read a row as `stamped` and re-stamps it after another
    has had it accepted. The change is conditional on the state it expects: refused (one line),
    the row stays `accepted`; a settle from a state the row is no longer in changes nothing."""
    from brief.distribute.ledger import open_ledger
    from brief.errors import DistributionError

    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    path = ws / "out" / "distribution.sqlite"
    stale, sender = open_ledger(path), open_ledger(path)
    try:
        row = stale.rows()[0]
        assert sender.sending(row.distribution, row.email, "stamped")
        assert sender.settle(row.distribution, row.email, "accepted", "250 queued")
        with pytest.raises(DistributionError, match="another run has changed its row"):
            stale.stamped(row.distribution, row.email, "0" * 64)
        assert not stale.settle(row.distribution, row.email, "stamped", "451 later", was="sending")
    finally:
        stale.close()
        sender.close()
    assert states(ws)[row.email] == ("accepted", "250 queued")


# L5 -----------------------------------------------------------------------------------------


def _one_error_line(result: Result, said: str) -> None:
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    lines = result.output.splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and said in lines[0], result.output


def test_l5_a_ledger_of_another_schema_is_one_line(ws: Path) -> None:
    """S18: a ledger whose tables lack columns ended in `sqlite3.OperationalError: no such
    column: created` (a traceback). It is one line naming what is missing, for a run and status."""
    (ws / "out").mkdir(exist_ok=True)
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        db.execute("CREATE TABLE distributions (id TEXT PRIMARY KEY, brief TEXT)")
        db.execute("CREATE TABLE copies (distribution TEXT, email TEXT, state TEXT)")
    said = "not of a schema brief knows: table distributions lacks created"
    _one_error_line(run(ws, "recipients.csv", *FROM), said)
    _one_error_line(run(ws, "status"), said)


def test_l5_a_ledger_locked_by_another_process_is_one_line(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """S18: a ledger another process holds with BEGIN EXCLUSIVE: a traceback after 30 s
    ("database is locked"). It is one line, after a bounded wait."""
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    monkeypatch.setattr("brief.distribute.ledger.BUSY_SECONDS", 0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)",
         str(ws / "out" / "distribution.sqlite")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        _one_error_line(run(ws, "status"), "the ledger is locked by another program")
        _one_error_line(run(ws, "recipients.csv", *FROM), "the ledger is locked by another program")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_l5_an_unknown_schema_version_is_refused_and_other_tables_are_kept(ws: Path) -> None:
    """Ours: a ledger of a later schema version (PRAGMA user_version) is refused in one line;
    a table brief's other parts keep in the ledger (a key, say) is no reason to refuse it."""
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    path = ws / "out" / "distribution.sqlite"
    with sqlite3.connect(path) as db:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        # The copy-ID key's table (distribute/copyid.py) is there already; one more of another part.
        db.execute("CREATE TABLE IF NOT EXISTS copy_key (id INTEGER PRIMARY KEY, key BLOB NOT NULL)")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        db.execute("PRAGMA user_version = 99")
    _one_error_line(
        run(ws, "recipients.csv", *FROM), f"schema version 99, and this brief knows versions up to {version}"
    )
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {version}")
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    assert run(ws, "status").exit_code == 0
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"copy_key", "notes"} <= tables


# L7 -----------------------------------------------------------------------------------------


def _edit_eml(root: Path, folder: str, edit: Callable[[bytes], bytes]) -> Path:
    (eml,) = (root / "out" / "distribution" / folder).glob("*.eml")
    eml.write_bytes(edit(eml.read_bytes()))
    return eml


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: b"Bcc: leak@elsewhere.example\r\n" + m,  # S17: a Bcc header added
        lambda m: m.replace(b"Person 1", b"Person 9", 1),  # ours: a word of the letter changed
    ],
    ids=["S17 Bcc", "body edited"],
)
def test_l7_an_edited_message_is_not_sent(
    ws: Path, server: tuple[Recorder, int], edit: Callable[[bytes], bytes]
) -> None:
    """S17: between a dry run and --send, a `.eml` was edited (a Bcc header, the attachment
    swapped): it was sent as edited, as only the PDF beside it was checked. The message's
    hash is recorded when it is prepared: an edited one is refused, in one line naming it."""
    recorder, port = server
    assert run(ws, "recipients.csv", *FROM).exit_code == 0
    eml = _edit_eml(ws, "person-1", edit)
    result = send(ws, port)
    _one_error_line(result, "the message for person1@example.org is not the one the ledger recorded")
    assert eml.name in result.output and recorder.read == []
    assert states(ws)["person1@example.org"][0] == "stamped"


# L8 -----------------------------------------------------------------------------------------


@pytest.fixture
def auth_server() -> Iterator[tuple[Recorder, int]]:
    yield from serving(auth=True)


def test_l8_a_login_without_tls_is_refused(
    ws: Path, auth_server: tuple[Recorder, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """S26: --user without --starttls/--ssl sent the password in the clear to a server offering
    AUTH PLAIN, without a word. It is refused before connecting unless --allow-plain-auth."""
    recorder, port = auth_server
    monkeypatch.setenv("BRIEF_SMTP_PASSWORD", "s3cret-pw")
    refused = send(ws, port, "--user", "briefs")
    assert refused.exit_code == 2, refused.output
    assert "unencrypted" in refused.output and len(refused.output.splitlines()) == 1
    assert recorder.logins == [] and recorder.read == []
    allowed = send(ws, port, "--user", "briefs", "--allow-plain-auth")
    assert allowed.exit_code == 0, allowed.output
    assert recorder.logins and recorder.logins[0][1] == b"s3cret-pw" and len(recorder.received) == 2


def test_l8_the_connection_never_logs_in_unencrypted(auth_server: tuple[Recorder, int]) -> None:
    """Ours: a Server made without the command line (as a library caller would) still does not
    send the password on a plain connection: one error line, no message claimed."""
    from brief.distribute.smtp import Connection, Server, SmtpError

    recorder, port = auth_server
    conn = Connection(Server("127.0.0.1", port, "none", "briefs", "s3cret-pw"))
    with pytest.raises(SmtpError, match="unencrypted"):
        conn.send("briefs@example.org", "person1@example.org", b"Subject: x\r\n\r\nx\r\n", lambda: True)
    conn.close()
    assert recorder.logins == [] and recorder.read == []


# L1 (--from) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    [
        "briefs@example.org\r\nBcc: leak@elsewhere.example",  # S20: CR LF (a traceback)
        "not an address",  # S20: used as the From
        "briefs\x1b[31m@example.org",  # ours: an escape sequence
        "Briefs <briefs@example.org>",  # ours: a display name, not one address
    ],
)
def test_l1_from_must_be_one_plain_address(ws: Path, sender: str) -> None:
    """S20: --from was not checked: CR LF ended in a traceback, "not an address" became the
    From of every message. It is refused in one line before anything is prepared."""
    result = run(ws, "recipients.csv", "--from", sender)
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --from ") and "Traceback" not in result.output
    assert not (ws / "out" / "distribution").exists()
