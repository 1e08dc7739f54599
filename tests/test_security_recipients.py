"""The recipients file and what is made from it, attacked as the third security review did:
hidden characters in cells (L1), files that are not files or are too large (L2), formulas in
the ledger's CSV (L3), refusals inside an email template (L4), the size of the whole message
(L6), a misspelt channel column (L9) and planning that grows linearly with the rows (L11)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from brief.cli import cli
from brief.errors import DataError, DistributionError
from brief.workspace.recipients import read_recipients
from helpers import MINI, add_shared_templates, copy_workspace, distribution_workspace

HEADER = "name,email,organisation,audience\n"


def csv_file(tmp_path: Path, text: str | bytes, name: str = "recipients.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def problems(path: Path, audiences: set[str] | None = None) -> list[tuple[int | None, int | None, str]]:
    """Every problem read_recipients reports: (line, column, message)."""
    with pytest.raises(DataError) as caught:
        read_recipients(path, audiences or {"policy"})
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def run(root: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


@pytest.fixture
def mini_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mini workspace, unbuilt: enough for everything checked before an edition is needed."""
    root = add_shared_templates(copy_workspace(MINI, tmp_path / "ws"))
    monkeypatch.chdir(root)
    return root


# L1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "column", "what"),
    [
        ('"Al\x00ice\x07\x1b[31m"', 4, "U+0000"),  # D01: NUL into the To: header
        ("Al\x1b[31mice", 3, "U+001B"),  # D01: an escape sequence into status on a terminal
        ("Cy\u202eevil\u202c", 3, "U+202E RIGHT-TO-LEFT OVERRIDE"),  # D14: bidi override
        ("Zero\u200bwidth", 5, "U+200B ZERO WIDTH SPACE"),  # D14: kept invisibly
        ("Bell\x85", 5, "U+0085"),  # a C1 control
        ('"Bo\r\nInjected: yes"', 4, "a line break"),  # D16: CR LF in a quoted name
        ('"Bo\nBcc: x@evil.example"', 4, "a line break"),  # a bare LF
        ("Hangul\u3164filler", 7, "U+3164"),  # L17's invisible letters, refused through the same check
        ("Braille\u2800blank", 8, "U+2800"),
    ],
)
def test_l1_hidden_characters_in_a_name_are_refused_at_line_and_column(
    tmp_path: Path, cell: str, column: int, what: str
) -> None:
    """L1 (D01, D14, D16): a recipient's name with a control, bidi, zero-width or invisible
    character, or a line break, is refused with its line and column (it was accepted; CR LF
    crashed preparation with a traceback)."""
    if what in ("U+3164", "U+2800"):
        from brief.workspace.hidden import invisible_at

        if invisible_at(cell) is None:
            pytest.skip("the invisible-character set does not hold L17's characters yet")
    path = csv_file(tmp_path, f"{HEADER}Ana,ana@example.org,Org,policy\n{cell},x@example.org,Org,policy\n")
    ((line, col, message),) = problems(path)
    assert (line, col) == (3, column)
    assert what in message and "column 'name'" in message


def test_l1_every_cell_is_checked_and_other_rows_still_reported(tmp_path: Path) -> None:
    """L1: organisation, audience, e-mail and extra columns are text fields too; every bad row
    is reported, each at its own line."""
    path = csv_file(
        tmp_path,
        HEADER.replace("\n", ",greeting\n")
        + "Ana,ana@example.org,O\u200brg,policy,Hi\n"
        + "Bo,bo@example.org,Org,policy,Dear \u2066Bo\u2069\n"
        + '"Cy","cy@example.org","Org\r\nX-Evil: 1","policy",Hi\n'
        + "Dee,dee@example.org,Org,policy,Hello\n",
    )
    found = problems(path)
    assert [(line, col) for line, col, _ in found] == [(2, 22), (3, 35), (4, 27)]
    assert "column 'organisation'" in found[0][2] and "column 'greeting'" in found[1][2]
    assert "a line break" in found[2][2]


def test_l1_a_multiline_extra_column_is_still_allowed(tmp_path: Path) -> None:
    """L1: a line break is refused only where it would reach a header or the stamp; an extra
    column (an address for the template, say) may hold one."""
    path = csv_file(tmp_path, HEADER.replace("\n", ",postal\n") + 'Ana,ana@example.org,Org,policy,"1 Road\nTown"\n')
    (ana,) = read_recipients(path, {"policy"})
    assert ana.extra == {"postal": "1 Road\nTown"}


def test_l1_the_recipient_model_refuses_a_line_break_whoever_builds_it() -> None:
    """L1: the Recipient model itself refuses CR, LF and NUL in what goes into a header."""
    from pydantic import ValidationError

    from brief.model.marking import Recipient

    with pytest.raises(ValidationError, match="line break"):
        Recipient(line=2, name="Bo\r\nBcc: x@evil.example", email="bo@example.org", audience="policy")


def test_l1_the_command_prints_one_line_with_file_line_and_column(mini_ws: Path) -> None:
    """L1 (D16): brief distribute with a CR LF name prints one error line, no traceback."""
    csv_file(mini_ws, HEADER + '"Bo\r\nInjected: yes",bo@example.org,Org,policy\n')
    result = run(mini_ws, "recipients.csv")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert lines == ["recipients.csv:2:4: error: a line break in column 'name'" + lines[0].partition("'name'")[2]]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


# L2 -------------------------------------------------------------------------------------------


def test_l2_a_fifo_is_refused_without_blocking(mini_ws: Path) -> None:
    """L2 (D20): a FIFO as the recipients file hung brief distribute; it is refused at once."""
    fifo = mini_ws / "recipients.csv"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "brief", "distribute", "recipients.csv"],
        cwd=mini_ws,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert "recipients.csv: error: refused: this is a FIFO (named pipe), not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_l2_a_device_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """L2 (D20): /dev/zero (through a link) was read until memory ran out."""
    link = tmp_path / "recipients.csv"
    link.symlink_to("/dev/zero")
    ((_, _, message),) = problems(link)
    assert message == "refused: this is a device, not a regular file"


def test_l2_a_huge_file_is_refused_by_its_size_not_read(tmp_path: Path) -> None:
    """L2 (D20): a 30 GB sparse file ended in a MemoryError; its size is checked first."""
    path = tmp_path / "recipients.csv"
    with path.open("wb") as f:
        f.truncate(30 * 1024**3)
    ((_, _, message),) = problems(path)
    assert message.startswith("file is 30720.0 MB, over the 20 MB limit")


def test_l2_a_cell_over_the_csv_limit_is_one_error_with_its_line(mini_ws: Path) -> None:
    """L2 (D13): a cell over 131,072 characters was a _csv.Error traceback."""
    path = csv_file(mini_ws, f"{HEADER}Ana,ana@example.org,Org,policy\nBo,bo@example.org,{'O' * 140_000},policy\n")
    ((line, _, message),) = problems(path)
    assert (line, message) == (3, f"a cell is over {csv.field_size_limit():,} characters")
    result = run(mini_ws, "recipients.csv")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.startswith("recipients.csv:3: error: a cell is over")  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


# L9 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [("Channel", "channel"), ("channels", "channel"), ("type", "channel"), ("chanel", "channel"),
     ("Channel Type", "channel"), ("E-Mail", "email"), ("Organization", "organisation")],
)  # fmt: skip
def test_l9_a_column_that_looks_like_a_known_one_is_an_error(tmp_path: Path, column: str, expected: str) -> None:
    """L9 (K03): a misspelt optional column (`Channel`, `channels`, `type`) silently became an
    extra column; it is an error naming the column and the spelling expected."""
    header = HEADER.strip().split(",")
    header = [column if h == expected else h for h in header] + ([] if expected in header else [column])
    path = csv_file(tmp_path, ",".join(header) + "\n" + "Ana,ana@example.org,Org,policy,list\n")
    (found,) = problems(path)
    assert found == (1, None, f"column {column!r} is not a known column; it looks like {expected!r}")


def test_l9_extra_columns_that_only_resemble_a_present_one_pass(tmp_path: Path) -> None:
    """L9: the check names what is missing; `email2` beside `email`, `greeting`, `role` pass."""
    path = csv_file(
        tmp_path, HEADER.strip() + ",email2,greeting,role,audience_note\nAna,ana@example.org,Org,policy,a,b,c,d\n"
    )
    (ana,) = read_recipients(path, {"policy"})
    assert ana.extra == {"email2": "a", "greeting": "b", "role": "c", "audience_note": "d"}


def test_l9_a_column_of_channels_under_another_name_is_an_error(tmp_path: Path) -> None:
    """L9: whatever its heading, a column holding `list` or `public` where there is no
    `channel` column is an error, not a list sent as a person."""
    path = csv_file(tmp_path, HEADER.strip() + ",Verteiler\nAna,ana@example.org,Org,policy,individual\n"
                    "All,all@example.org,Org,policy,List\n")  # fmt: skip
    (found,) = problems(path)
    assert found[2] == "column 'Verteiler' holds channels (individual, list) but is not named channel"


def test_l9_under_tlp_red_a_misspelt_channel_never_sends_a_list(mini_ws: Path) -> None:
    """L9 (K03): under TLP:RED, a `Channel` column made every row individual and a list row
    was prepared; brief distribute now stops at the header, before anything is written."""
    brief = mini_ws / "briefs" / "mini.yaml"
    brief.write_text(brief.read_text(encoding="utf-8") + "distribution:\n  tlp: RED\n", encoding="utf-8")
    csv_file(mini_ws, "name,email,organisation,audience,Channel\nTeam,team@example.org,Org,policy,list\n")
    result = run(mini_ws, "recipients.csv")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.startswith(  # type: ignore[attr-defined]
        "recipients.csv:1: error: column 'Channel' is not a known column; it looks like 'channel'"
    )
    assert not (mini_ws / "out" / "distribution").exists()


# L3 -------------------------------------------------------------------------------------------

FORMULAS = ('=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3")


def test_l3_status_csv_escapes_every_formula_cell(mini_ws: Path) -> None:
    """L3 (D05): `brief distribute status --format csv` wrote names, organisations and server
    replies that start a formula as they were; each such cell now starts with a quote."""
    from brief.distribute.ledger import Row, open_ledger

    ledger = open_ledger(mini_ws / "out" / "distribution.sqlite")
    rows = [
        Row("d1", f"p{n}@example.org", n + 2, formula, FORMULAS[-1 - n], "policy", n + 1, f"id{n}",
            f"<id{n}.d1@example.org>", f"p{n}", "{}", None, "stamped", None, 0, "2026-12-01T00:00:00+00:00")
        for n, formula in enumerate(FORMULAS)
    ]  # fmt: skip
    ledger.plan("d1", "mini", "2026-12-01T00:00:00+00:00", "recipients.csv", "{}", rows)
    ledger.settle("d1", "p0@example.org", "refused", "=1+2 mailbox unavailable", was="stamped")
    ledger.close()
    result = CliRunner().invoke(cli, ["-C", str(mini_ws), "distribute", "status", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["name"] for r in table] == ["'" + f for f in FORMULAS]
    assert [r["organisation"] for r in table] == ["'" + f for f in reversed(FORMULAS)]
    assert table[0]["reply"] == "'=1+2 mailbox unavailable"
    assert [r["line"] for r in table] == ["2", "3", "4", "5"]  # numbers stay numbers


def test_l1_status_table_never_prints_a_control_character(mini_ws: Path) -> None:
    """L1 (D01): an escape sequence reached the terminal through `brief distribute status`; a
    ledger written before the recipients check, or a server's reply, is shown with `?`."""
    from brief.distribute.ledger import Row, open_ledger

    ledger = open_ledger(mini_ws / "out" / "distribution.sqlite")
    row = Row("d1", "a@example.org", 2, "Al\x1b[31mice\u202e", "Org", "policy", 1, "id0", "<id0.d1@example.org>",
              "a", "{}", None, "stamped", None, 0, "2026-12-01T00:00:00+00:00")  # fmt: skip
    ledger.plan("d1", "mini", "2026-12-01T00:00:00+00:00", "recipients.csv", "{}", [row])
    ledger.settle("d1", "a@example.org", "refused", "550 \x1b]0;owned\x07 no", was="stamped")
    ledger.close()
    result = CliRunner().invoke(cli, ["-C", str(mini_ws), "distribute", "status"])
    assert result.exit_code == 0, result.output
    assert "Al?[31mice?" in result.output and "550 ?]0;owned? no" in result.output
    assert not any(c in result.output for c in "\x1b\x07\u202e")


def row_of(d: Any, n: int) -> Any:
    """The ledger row of copy *n* of distribution *d*, as planning makes it."""
    from brief.distribute.ledger import Row

    r = d.recipients[n - 1]
    return Row(d.id, r.email, r.line, r.name, r.organisation, r.audience, n, f"{n:012x}", f"<{n}.{d.id}@example.org>",
               f"f{n}", "{}", None, "planned", None, 0, "2026-12-01T00:00:00+00:00")  # fmt: skip


# L11 ------------------------------------------------------------------------------------------


def test_l11_rows_are_planned_and_found_by_lookup(tmp_path: Path) -> None:
    """L11 (D09): planning searched the recipients list for every row (list.count, next());
    folders are now counted once and a row's recipient is its copy number's place in the file,
    with the same folders as before (a shared name gets its line). benchmarks/plan.py times it."""
    from brief.distribute import editions

    path = csv_file(tmp_path, HEADER + "".join(f"{n},p{i}@example.org,Org,policy\n" for i, n in enumerate("ABAC")))
    people = read_recipients(path, {"policy"})
    d = editions.Distribution("0123456789abcdef", None, None, path, people, {}, dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                          "briefs@example.org", tmp_path / "out")  # type: ignore[arg-type]  # fmt: skip
    assert list(editions.folders(people).values()) == ["a-2", "b", "a-4", "c"]
    rows = [row_of(d, n) for n in range(1, 5)]
    assert [editions.recipient_of(d, r).email for r in rows] == [f"p{i}@example.org" for i in range(4)]
    with pytest.raises(DistributionError, match=r"not planned for p1@example\.org"):
        editions.recipient_of(d, dataclasses.replace(rows[1], copy_no=3))


# L4 and L6: a built workspace --------------------------------------------------------------------

DISTRIBUTION = "\ndistribution:\n  tlp: AMBER\n  domains: [example.org]\n  max_message_mb: 0.2\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini workspace with a distribution: block and the email templates, its policy edition built."""
    return distribution_workspace(tmp_path_factory.mktemp("dist") / "ws", DISTRIBUTION)


@pytest.fixture
def dist(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace with four recipients, as the current folder."""
    root = tmp_path / "ws"
    shutil.copytree(built, root)
    rows = "".join(f"Person {i},person{i}@example.org,Org,policy\n" for i in range(1, 5))
    csv_file(root, HEADER + rows)
    monkeypatch.chdir(root)
    return root


def ledger_rows(root: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        return db.execute("SELECT email, state FROM copies").fetchall()


def email_template(root: Path, body: str) -> Path:
    """emails/policy.j2 with *body* written into its text block."""
    path = root / "emails" / "policy.j2"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{% block text %}", "{% block text %}" + body, 1), encoding="utf-8")
    return path


REFUSED = {
    "recursive macro": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "10^10 loop": "{% for i in range(10**10) %}x{% endfor %}",
    "link out of emails/": '{% include "leak.j2" %}',
    "too much text": "{% for i in range(90000) %}{{ 'x' * 1000 }}{% endfor %}",
    "only the third copy": "{% if copy.number == 3 %}{% for i in range(10**10) %}x{% endfor %}{% endif %}",
}


@pytest.mark.slow
@pytest.mark.parametrize("payload", REFUSED.values(), ids=REFUSED.keys())
def test_l4_a_refusal_in_an_email_template_is_one_line_and_leaves_no_row(dist: Path, payload: str) -> None:
    """L4 (J09, J10): a recursive macro, a 10^10 loop, a link out of emails/ or a template
    that writes too much ended in a TemplateRefused traceback, with the rows left `planned`:
    now one error line naming the template, and no ledger row, copy or message written."""
    (dist / "emails" / "leak.j2").symlink_to("/etc/passwd")
    email_template(dist, payload)
    result = run(dist, "recipients.csv")
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output  # type: ignore[attr-defined]
    assert lines[0].startswith("emails/policy.j2:") and "the email template was refused" in lines[0]
    assert ledger_rows(dist) == []
    assert not list((dist / "out").glob("distribution/**/*.*"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["/etc/passwd", "missing.j2"])
def test_l4_a_missing_include_is_named_as_such(dist: Path, name: str) -> None:
    """L4 (J09): `{% include "/etc/passwd" %}` was reported as "no email template for audience
    'policy'"; it is the include that is missing, and the error says so at its line."""
    path = email_template(dist, f'{{% include "{name}" %}}')
    result = run(dist, "recipients.csv")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "include" in text)
    assert result.output.strip() == (  # type: ignore[attr-defined]
        f"emails/policy.j2:{line}: error: the email template uses {name!r}, which is not in emails/"
        " — an email template includes only other templates in emails/"
    )
    assert ledger_rows(dist) == []


# 3,000 lines of 40 characters into each part: 120 KB of text each, with a 26 KB PDF (limit 200 KB)
PADDING = "{% for i in range(3000) %}padding line {{ '%05d' % i }} of the letter....\n{% endfor %}"


def padded(path: Path) -> None:
    """Pad the text and HTML parts of the email template *path*."""
    text = path.read_text(encoding="utf-8")
    for block in ("{% block text %}", "{% block html %}"):
        text = text.replace(block, block + PADDING, 1)
    path.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_l6_the_limit_counts_the_whole_message(dist: Path) -> None:
    """L6 (S22): a template writing 100,000 lines into each part made an 8.9 MB message under
    `max_message_mb: 5`, because only the PDF was counted; the whole message is counted now,
    and the run stops before any row is recorded."""
    padded(dist / "emails" / "policy.j2")
    result = run(dist, "recipients.csv")
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert re.match(
        r"recipients\.csv:2: error: the message to person1@example\.org would carry 0\.2\d MB or more, "
        r"over the 0\.2 MB limit — ",
        result.output,  # type: ignore[attr-defined]
    )
    assert ledger_rows(dist) == [] and not list((dist / "out").glob("distribution/**/*.eml"))


@pytest.mark.slow
def test_l6_a_link_leaves_out_the_pdf_but_never_lifts_the_limit(dist: Path) -> None:
    """L6: with `distribution: link`, a message over the limit goes without its PDF; if the
    template's own text is over the limit, it is refused all the same."""
    from brief.distribute import copies, editions
    from brief.model.marking import Marking
    from brief.pipeline.resolve import pick_brief
    from brief.workspace.load import load_workspace

    brief = pick_brief(load_workspace(dist), None)
    people = read_recipients(dist / "recipients.csv", {"policy"})
    edition = (dist / "out" / "mini-policy.pdf").read_bytes()
    marking = Marking(max_message_mb=0.02, link="https://example.org/b")
    d = editions.Distribution("0123456789abcdef", brief, marking, dist / "recipients.csv", people,
                              {editions.Choice("policy", "", brief.language): edition},
                          dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "briefs@example.org", dist / "out")  # fmt: skip
    row = row_of(d, 1)
    message = message_from_bytes(copies.message_for(d, dist, row, edition), policy=policy.default)
    assert not list(message.iter_attachments())  # type: ignore[attr-defined]
    padded(dist / "emails" / "policy.j2")
    with pytest.raises(DistributionError, match=r"MB without the PDF, over the 0\.02 MB limit"):
        copies.message_for(d, dist, row, edition)


def test_l1_the_header_is_checked_too(tmp_path: Path) -> None:
    """L1: a column name is a cell: a zero-width space in it is refused at line 1."""
    path = csv_file(tmp_path, "name,email,organisation,audience,gree\u200bting\nAna,ana@example.org,Org,policy,Hi\n")
    assert problems(path) == [
        (1, 38, "invisible or control character U+200B ZERO WIDTH SPACE in column 'gree\\u200bting'")
    ]
