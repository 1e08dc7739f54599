"""Corrections for every edition: a recipient's copy is judged as the edition it is (audience,
variant, language). A figure that only one country's profile prints corrects only that country's
reader; a bilingual brief's readers are corrected in their language (letter, figure labels,
sources, dates and stamp); a copy of an edition the brief no longer has is counted "not judged".
And counts of one in the distribution commands' messages are singular. Against a real SMTP
server (aiosmtpd on 127.0.0.1, an ephemeral port) and a real SQLite ledger."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from helpers import distribution_workspace, replace_in
from mailserver import Recorder, free_port

FROM = ("--from", "briefs@example.org")
LETTER = """{% block subject %}Your copy: {{ brief.title }}{% endblock %}
{% block text %}Dear {{ recipient.name }}, attached.{% endblock %}
{% block html %}<p>Dear {{ recipient.name }}, attached.</p>{% endblock %}
"""
COUNTRIES = ("us", "china", "japan", "uk", "canada")
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")  # fmt: skip


def _init(root: Path, example: str, audience: str) -> Path:
    result = CliRunner().invoke(cli, ["init", str(root), "--example", example])
    assert result.exit_code == 0, result.output
    (root / "emails").mkdir()
    (root / "emails" / f"{audience}.j2").write_text(LETTER, encoding="utf-8")
    _build(root)
    return root


def _build(root: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(root), "build", "--all"])
    assert result.exit_code == 0, result.output


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def send(root: Path, port: int, *args: str) -> Result:
    return run(root, *args, "--send", "--smtp", f"127.0.0.1:{port}", *FROM)


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/country-profiles as `brief init --example` copies it, every profile built."""
    return _init(tmp_path_factory.mktemp("profiles") / "ws", "country-profiles", "profile")


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/de-brief (one brief in de-DE and en-US) as `brief init --example` copies it, built."""
    return _init(tmp_path_factory.mktemp("german") / "ws", "de-brief", "policy")


def copy_ids(root: Path) -> dict[str, str]:
    """Each recipient's accepted copy ID (of the first distribution)."""
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        rows = db.execute("SELECT email, copy_id FROM copies WHERE state = 'accepted' AND supersedes IS NULL")
        return {str(email): str(copy_id) for email, copy_id in rows}


def by_address(recorder: Recorder) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for message in recorder.messages():
        address = message["To"].addresses[0].addr_spec
        assert address not in found, f"{address} was sent two corrections"
        found[address] = message
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def attached(message: EmailMessage) -> tuple[str, str]:
    """The attachment's file name and its PDF's text, whitespace folded."""
    (attachment,) = list(message.iter_attachments())
    document = pypdfium2.PdfDocument(attachment.get_content())
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return str(attachment.get_filename()), " ".join(text.split())


def german_date(day: dt.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def english_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# 1. A variant ----------------------------------------------------------------------------------


@pytest.mark.slow  # builds the five profiles twice
def test_a_figure_only_one_country_prints_corrects_only_that_countrys_reader(
    profiles: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """us_share_ai_patents_2023 is printed by the United States' profile alone: corrected, it
    sends one correction, to the reader of that profile, with that profile's corrected copy
    (its title filled in, not "{name}: AI at a glance"); the other four get nothing, and a
    second run sends nothing."""
    recorder, port = server
    root = copy(profiles)
    rows = "".join(f"Reader {v},{v}@example.org,Ministry,profile,{v}\n" for v in COUNTRIES)
    (root / "r.csv").write_text("name,email,organisation,audience,variant\n" + rows, encoding="utf-8")
    first = send(root, port, "r.csv")
    assert first.exit_code == 0 and "sent: 5 accepted" in first.output, first.output
    old = copy_ids(root)["us@example.org"]
    recorder.received.clear()

    replace_in(root / "data" / "figures" / "profiles.yaml", "  value: 14.2\n", "  value: 14.6\n")
    _build(root)
    dry = run(root, "corrections", *FROM)
    assert dry.exit_code == 0, dry.output
    assert "corrections for profiles: 1 edition changed, 1 recipient to correct" in dry.output
    assert "profile/us edition (en-US)" in dry.output
    assert "  us_share_ai_patents_2023: 14.2% → 14.6% (source: AI Index 2025, ch. 1," in dry.output
    assert "unchanged: 4 hold an edition that prints what the current build prints" in dry.output

    sent = send(root, port, "corrections")
    assert sent.exit_code == 0 and "sent: 1 accepted" in sent.output, sent.output
    messages = by_address(recorder)
    assert list(messages) == ["us@example.org"]
    message = messages["us@example.org"]
    assert message["Subject"] == "Correction: United States: AI at a glance"
    letter = text_of(message)
    assert 'a copy of "United States: AI at a glance"' in letter and f"(copy ID {old})" in letter
    assert "US share of granted AI patents worldwide, 2023: it read 14.2%; the corrected figure is 14.6%" in letter
    name, text = attached(message)
    assert name == "profiles-profile-us.pdf"
    assert "United States: AI at a glance" in text and "14.6%" in text and "14.2%" not in text
    assert f"Prepared for Reader us, Ministry · replaces copy {old} ·" in text

    recorder.received.clear()
    again = send(root, port, "corrections")
    assert again.exit_code == 0 and "sent: nothing to correct" in again.output, again.output
    assert recorder.received == []


# 2. A language ---------------------------------------------------------------------------------


def test_a_bilingual_briefs_readers_are_corrected_each_in_their_language(
    german: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """examples/de-brief in de-DE and en-US, one reader of each: a figure both print corrected,
    each gets one correction in their edition's language: the theme's German or English letter
    (subject, the figure's label and source, the date the old copy was sent), and a corrected
    copy of their edition stamped in it ("ersetzt Exemplar …", "replaces copy …")."""
    recorder, port = server
    root = copy(german)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language\n"
        "Bruno Keller,bruno.keller@example.org,Bundesamt für Wirtschaft,policy,de-DE\n"
        "Jane Smith,jane.smith@example.org,Office of Science and Technology Policy,policy,en-US\n",
        encoding="utf-8",
    )
    assert send(root, port, "r.csv").exit_code == 0
    old = copy_ids(root)
    recorder.received.clear()
    replace_in(next((root / "data" / "figures").glob("*.yaml")), "value: 276300\n", "value: 276800\n")
    _build(root)

    dry = run(root, "corrections", *FROM)
    assert dry.exit_code == 0, dry.output
    assert "2 editions changed, 2 recipients to correct" in dry.output
    # The dry run gives each edition's figures with their source as that edition prints it.
    german_edition, english_edition = dry.output.split("policy edition (en-US)")
    assert "(source: AI Index 2025, Kap. 4, §4.5, Abb. 4.5.4, S. 276 (Daten: IFR))" in german_edition
    assert "(source: AI Index 2025, ch. 4, §4.5, fig. 4.5.4, p. 276 (data: IFR))" in english_edition

    sent = send(root, port, "corrections")
    assert sent.exit_code == 0 and "sent: 2 accepted" in sent.output, sent.output
    messages = by_address(recorder)
    assert sorted(messages) == ["bruno.keller@example.org", "jane.smith@example.org"]
    today = dt.datetime.now(dt.UTC).date()

    de = messages["bruno.keller@example.org"]
    assert de["Subject"] == "Korrektur: Roboter und Risikokapital"
    letter = text_of(de)
    assert f"am {german_date(today)} haben wir Ihnen ein Exemplar von „Roboter und Risikokapital“ geschickt" in letter
    assert f"(Exemplar-ID {old['bruno.keller@example.org']})" in letter
    assert (
        "Industrieroboter, 2023 in China neu installiert: Dort stand 276.300 Industrieroboter; richtig ist "
        "276.800 Industrieroboter (Quelle: AI Index 2025, Kap. 4, §4.5, Abb. 4.5.4, S. 276 (Daten: IFR))."
    ) in letter
    assert letter.endswith("Mit freundlichen Grüßen Open Policy Briefs")
    assert "Correction" not in letter and "it read" not in letter
    name, text = attached(de)
    assert name == "halbleiter-policy-de-DE.pdf" and "Roboter und Risikokapital" in text
    assert (
        f"Erstellt für Bruno Keller, Bundesamt für Wirtschaft · ersetzt Exemplar {old['bruno.keller@example.org']}"
        in text
    )
    assert f"· {german_date(today)}" in text and "replaces copy" not in text

    en_to = "jane.smith@example.org"
    en = messages[en_to]
    assert en["Subject"] == "Correction: Robots and venture capital"
    letter = text_of(en)
    assert f'a copy of "Robots and venture capital" on {english_date(today)}' in letter
    assert (
        "Industrial robots newly installed in China, 2023: it read 276,300 industrial robots; the corrected figure "
        "is 276,800 industrial robots (source: AI Index 2025, ch. 4, §4.5, fig. 4.5.4, p. 276 (data: IFR))."
    ) in letter
    assert letter.endswith("Kind regards, Open Policy Briefs") and "Korrektur" not in letter
    name, text = attached(en)
    assert name == "halbleiter-policy-en-US.pdf" and "Robots and venture capital" in text
    assert f"Prepared for Jane Smith, Office of Science and Technology Policy · replaces copy {old[en_to]}" in text
    assert "ersetzt" not in text


def test_a_workspaces_correction_letter_writes_dates_in_the_editions_language(
    german: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """A workspace's own emails/correction.de.j2 is found for the German edition and sees the
    edition as any email template does: `| date` writes the brief's date in German. The
    English reader, for whom the workspace wrote no letter, gets the theme's English one."""
    recorder, port = server
    root = copy(german)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language\nBruno Keller,bk@example.org,Amt,policy,de\n"
        "Jane Smith,js@example.org,OSTP,policy,en-US\n",
        encoding="utf-8",
    )
    assert send(root, port, "r.csv").exit_code == 0
    recorder.received.clear()
    (root / "emails" / "correction.de.j2").write_text(
        LETTER.replace("Your copy: {{ brief.title }}", "{{ brief.date | date }} {{ edition.language }}"),
        encoding="utf-8",
    )
    replace_in(next((root / "data" / "figures").glob("*.yaml")), "value: 276300\n", "value: 276800\n")
    _build(root)
    sent = send(root, port, "corrections")
    assert sent.exit_code == 0, sent.output
    messages = by_address(recorder)
    assert messages["bk@example.org"]["Subject"] == "22. November 2026 de-DE"
    assert messages["js@example.org"]["Subject"] == "Correction: Robots and venture capital"


# 3. An edition the brief no longer has -------------------------------------------------------


def test_a_copy_of_a_language_the_brief_no_longer_has_is_not_judged(
    german: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """The English edition taken out of the brief after it was sent: its reader is counted "not
    judged" (not an error, not a correction); the German reader is corrected."""
    recorder, port = server
    root = copy(german)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language\nA,a@example.org,O,policy,de-DE\nB,b@example.org,O,policy,en-US\n",
        encoding="utf-8",
    )
    assert send(root, port, "r.csv").exit_code == 0
    recorder.received.clear()
    replace_in(root / "briefs" / "halbleiter.yaml", "languages: [de-DE, en-US]", "languages: [de-DE]")
    replace_in(next((root / "data" / "figures").glob("*.yaml")), "value: 276300\n", "value: 276800\n")
    _build(root)
    sent = send(root, port, "corrections")
    assert sent.exit_code == 0, sent.output
    assert "1 edition changed, 1 recipient to correct" in sent.output
    assert "not judged: 1 copy (of editions built before" in sent.output
    assert list(by_address(recorder)) == ["a@example.org"]


@pytest.mark.slow  # builds the profiles twice
def test_a_copy_of_a_variant_the_brief_no_longer_has_is_not_judged(
    profiles: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """Canada taken out of data/countries.csv after its profile was sent: its reader is counted
    "not judged"; the United States' reader is corrected."""
    recorder, port = server
    root = copy(profiles)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,variant\nA,us@example.org,O,profile,us\nB,ca@example.org,O,profile,canada\n",
        encoding="utf-8",
    )
    assert send(root, port, "r.csv").exit_code == 0
    recorder.received.clear()
    countries = root / "data" / "countries.csv"
    lines = countries.read_text(encoding="utf-8").splitlines(keepends=True)
    countries.write_text("".join(line for line in lines if not line.startswith("canada,")), encoding="utf-8")
    replace_in(root / "data" / "figures" / "profiles.yaml", "  value: 14.2\n", "  value: 14.6\n")
    _build(root)
    sent = send(root, port, "corrections")
    assert sent.exit_code == 0, sent.output
    assert "1 edition changed, 1 recipient to correct" in sent.output
    assert "not judged: 1 copy (" in sent.output
    assert list(by_address(recorder)) == ["us@example.org"]


# 4. Counts of one ------------------------------------------------------------------------------


def test_counts_of_one_are_singular(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A count of one in the distribution commands' messages reads as English: not "1
    recipients", "1 rows and their copies", "1 of 1 messages"."""
    root = distribution_workspace(tmp_path / "ws", "")
    monkeypatch.chdir(root)
    (root / "one.csv").write_text("name,email,organisation,audience\nAda,ada@example.org,Org,policy\n")
    dry = run(root, "one.csv", *FROM)
    assert dry.exit_code == 0 and ", 1 recipient (1 policy)" in dry.output, dry.output
    forgotten = run(root, "forget", dry.output.split()[1].rstrip(":"))
    assert forgotten.exit_code == 0 and "forgotten: 1 row and its copy removed" in forgotten.output, forgotten.output
    refused = send(root, free_port(), "one.csv")
    assert refused.exit_code == 1 and "(1 of 1 message not sent)" in refused.output, refused.output


def test_counts_of_one_are_singular_in_what_was_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: tuple[Recorder, int]
) -> None:
    """One refused message keeps its distribution ("has 1 message offered"); one copy whose
    edition was not kept is "1 accepted copy is of an edition"; one recipient whose copy the
    current build still prints "holds" it."""
    recorder, port = server
    root = distribution_workspace(tmp_path / "ws", "")
    monkeypatch.chdir(root)
    (root / "one.csv").write_text("name,email,organisation,audience\nAda,ada@example.org,Org,policy\n")
    recorder.refuse = {"ada@example.org"}
    assert send(root, port, "one.csv").exit_code == 1
    dist = run(root, "status", "--format", "csv").output.splitlines()[1].split(",")[0]
    kept = run(root, "forget", dist)
    assert kept.exit_code == 1 and "has 1 message offered to a server" in kept.output, kept.output

    recorder.refuse = set()
    assert send(root, port, "one.csv", "--retry-refused").exit_code == 0
    unchanged = run(root, "corrections", *FROM)
    assert "unchanged: 1 holds an edition that prints what the current build prints" in unchanged.output
    for record in (root / "out" / "editions").glob("*.json"):
        record.unlink()
    impact = run(root, "impact", "widgets_alpha")
    assert "1 accepted copy is of an edition whose printed figures were not recorded" in impact.output, impact.output
