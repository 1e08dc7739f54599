"""Every edition can be distributed: a `variant` column gives each recipient their variant of
a `for_each` brief (examples/country-profiles), a `language` column is checked against the
brief's language, a row naming an edition the brief does not have is an error at its line;
the stamp and its date are in the edition's language; the email template is found per brief
and per language; a marking field a brief does not set is none in a template. Sending goes to
a real SMTP server (aiosmtpd on 127.0.0.1, an ephemeral port)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.distribute.message import render_letter, template_values
from brief.errors import TemplateError
from brief.model.marking import Recipient
from mailserver import Recorder

COUNTRIES = {"us": "United States", "china": "China", "japan": "Japan", "uk": "United Kingdom"}
LETTER = """{% block subject %}SUBJECT{% endblock %}
{% block text %}Dear {{ recipient.name }}, your copy of {{ brief.title }}.{% endblock %}
{% block html %}<p>{{ brief.title }}</p>{% endblock %}
"""


def _init(root: Path, example: str) -> Path:
    result = CliRunner().invoke(cli, ["init", str(root), "--example", example])
    assert result.exit_code == 0, result.output
    return root


def _letter(folder: Path, name: str, subject: str) -> None:
    path = folder / "emails" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LETTER.replace("SUBJECT", subject), encoding="utf-8")


def _build(root: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(root), "build", "--all"])
    assert result.exit_code == 0, result.output


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/country-profiles as `brief init --example` copies it, every profile built,
    with a message template for its audience."""
    root = _init(tmp_path_factory.mktemp("profiles") / "ws", "country-profiles")
    _letter(root, "profile.j2", "Your country profile: {{ brief.title }}")
    _build(root)
    return root


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/de-brief (German, de-DE) as `brief init --example` copies it, built."""
    root = _init(tmp_path_factory.mktemp("german") / "ws", "de-brief")
    _letter(root, "policy.j2", "English")
    _build(root)
    return root


# 1. A variant column ---------------------------------------------------------------------------


@pytest.mark.slow  # builds five profiles (about 8 s), once for the module
def test_each_person_gets_their_countrys_profile(
    profiles: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """Review row 5: a `for_each` brief could not be distributed (it looked for
    out/profiles-profile.pdf). With a `variant` column each recipient is sent the profile of
    their country, stamped for them, and the message's subject names the country."""
    recorder, port = server
    root = copy(profiles)
    rows = "".join(f"Reader {v},{v}@example.org,Ministry,profile,{v}\n" for v in COUNTRIES)
    (root / "r.csv").write_text("name,email,organisation,audience,variant\n" + rows, encoding="utf-8")
    result = run(root, "r.csv", "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    assert result.exit_code == 0, result.output
    assert "sent: 4 accepted" in result.output
    got = {m["To"].addresses[0].addr_spec: m for m in recorder.messages()}
    assert sorted(got) == sorted(f"{v}@example.org" for v in COUNTRIES)
    for variant, country in COUNTRIES.items():
        message = got[f"{variant}@example.org"]
        assert message["Subject"] == f"Your country profile: {country}: AI at a glance"
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == f"profiles-profile-{variant}.pdf"
        text = " ".join(pdf_text(attachment.get_content()).split())
        assert f"{country}: AI at a glance" in text
        others = [c for v, c in COUNTRIES.items() if v != variant and c not in country]
        assert not any(f"{c}: AI at a glance" in text for c in others)
        assert f"Prepared for Reader {variant}, Ministry" in text


@pytest.mark.slow
def test_a_variant_the_brief_lacks_is_an_error_at_its_line(profiles: Path, copy: Callable[[Path], Path]) -> None:
    """A misspelt variant, a missing one, and a variant for a brief without them: each one line
    at its row, with the nearest name and every variant; nothing is written."""
    root = copy(profiles)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,variant\nA,a@example.org,O,profile,us\nB,b@example.org,O,profile,japn\n"
        "C,c@example.org,O,profile,\n",
        encoding="utf-8",
    )
    result = run(root, "r.csv")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "r.csv:3: error: unknown variant 'japn' — did you mean japan? the brief has: canada, china, japan, uk, us",
        "r.csv:4: error: the brief has one edition per variant (for_each): the row names none — write one of its "
        "variants in the row's variant column: canada, china, japan, uk, us",
    ]
    assert not (root / "out" / "distribution.sqlite").exists() or not list((root / "out").glob("distribution/*"))


def test_a_language_or_variant_the_brief_lacks_is_refused(german: Path, copy: Callable[[Path], Path]) -> None:
    """The bilingual brief is in de-DE and en-US: a row asking for fr is an error at its line;
    de-de (any case), de or an empty cell is the German edition; a variant for it is an error."""
    root = copy(german)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language,variant\nA,a@example.org,O,policy,fr,\n"
        "B,b@example.org,O,policy,de-de,\nC,c@example.org,O,policy,,\nD,d@example.org,O,policy,,x\n"
        "E,e@example.org,O,policy,de,\n",
        encoding="utf-8",
    )
    result = run(root, "r.csv")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "r.csv:2: error: unknown language 'fr' — the brief has: de-DE, en-US (or leave the cell empty)",
        "r.csv:5: error: the brief has no variants, but the row names variant 'x' — leave the variant cell empty "
        "for a brief without for_each",
    ]


# 2. The edition's language: stamp, date, template --------------------------------------------


def test_a_german_brief_is_stamped_in_german(
    german: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """Review row 16: a copy of the German brief was stamped "Prepared for … · copy 1 of 1 · 6
    December 2026". Now the stamp and its date are German, the German email template
    (emails/policy.de.j2) is used over the audience's, and trace still reads the copy ID."""
    recorder, port = server
    root = copy(german)
    _letter(root, "policy.de.j2", "Deutsch: {{ brief.date | date }}")
    (root / "r.csv").write_text("name,email,organisation,audience\nBruno Keller,bk@example.org,Amt,policy\n")
    result = run(root, "r.csv", "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    assert result.exit_code == 0, result.output
    (message,) = recorder.messages()
    assert message["Subject"] == "Deutsch: 22. November 2026"
    (attachment,) = list(message.iter_attachments())
    text = " ".join(pdf_text(attachment.get_content()).split())
    today = dt.datetime.now(dt.UTC).date()
    months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember")  # fmt: skip
    stamp = f"Erstellt für Bruno Keller, Amt · Exemplar 1 von 1 · {today.day}. {months[today.month - 1]} {today.year}"
    assert stamp in text, text[-300:]
    assert "Prepared for" not in text and "copy 1 of 1" not in text
    (copy,) = (root / "out" / "distribution" / "bruno-keller").glob("*.pdf")
    copy_id = text.split("Exemplar-ID ")[1].split()[0]
    traced = CliRunner().invoke(cli, ["-C", str(root), "distribute", "trace", str(copy)])
    assert copy_id in traced.output and "Bruno Keller" in traced.output, traced.output


def test_a_bilingual_brief_s_recipients_get_their_language_s_copy_stamp_and_letter(
    german: Path, copy: Callable[[Path], Path], server: tuple[Recorder, int]
) -> None:
    """examples/de-brief is one brief in German and English: a `language` column gives each
    recipient the edition in their language, stamped in it, with the letter in it (the brief's
    title as that language writes it); a row without one gets the brief's first language."""
    recorder, port = server
    root = copy(german)
    _letter(root, "policy.de.j2", "{{ brief.title }}")
    _letter(root, "policy.j2", "{{ brief.title }}")
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language\n"
        "Anna Berg,ab@example.org,Bundestag,policy,de-DE\n"
        "Bob Ray,br@example.org,Senate,policy,en-US\n"
        "Cara Lind,cl@example.org,BMWK,policy,\n"
    )
    result = run(root, "r.csv", "--send", "--smtp", f"127.0.0.1:{port}", "--from", "briefs@example.org")
    assert result.exit_code == 0, result.output
    assert "(2 policy/de-DE, 1 policy/en-US)" in result.output, result.output
    by_person = {str(m["To"]): m for m in recorder.messages()}
    assert len(by_person) == 3
    for who, subject, stamp, absent in (
        ("Anna Berg", "Roboter und Risikokapital", "Erstellt für Anna Berg", "Robots and venture capital"),
        ("Bob Ray", "Robots and venture capital", "Prepared for Bob Ray", "Roboter und Risikokapital"),
        ("Cara Lind", "Roboter und Risikokapital", "Erstellt für Cara Lind", "Robots and venture capital"),
    ):
        (message,) = [m for to, m in by_person.items() if who in to]
        assert message["Subject"] == subject
        (attachment,) = list(message.iter_attachments())
        text = " ".join(pdf_text(attachment.get_content()).split())
        assert subject in text and absent not in text, text[:200]
        assert stamp in text, text[-300:]


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        (["policy.j2"], "policy.j2"),
        (["policy.j2", "policy.de.j2"], "policy.de.j2"),
        (["policy.de.j2", "policy.de-DE.j2"], "policy.de-DE.j2"),
        (["policy.de-DE.j2", "halbleiter/policy.j2"], "halbleiter/policy.j2"),
        (["halbleiter/policy.j2", "halbleiter/policy.de.j2"], "halbleiter/policy.de.j2"),
        (["halbleiter/policy.de.j2", "halbleiter/policy.de-DE.j2"], "halbleiter/policy.de-DE.j2"),
        (["other/policy.de-DE.j2", "policy.j2"], "policy.j2"),
    ],
)
def test_the_email_template_is_found_per_brief_and_language(tmp_path: Path, present: list[str], chosen: str) -> None:
    """emails/BRIEF/AUDIENCE.LANG.j2 before emails/BRIEF/AUDIENCE.j2 before
    emails/AUDIENCE.LANG.j2 before emails/AUDIENCE.j2, LANG the tag or its primary subtag."""
    for name in present:
        _letter(tmp_path, name, name)
    letter = render_letter(tmp_path, "policy", _values(), "halbleiter", "de-DE")
    assert letter.subject == chosen


def _values() -> dict[str, object]:
    recipient = Recipient(line=2, name="A", email="a@example.org", audience="policy")
    return template_values(recipient, None, {"title": "T", "date": dt.date(2026, 3, 2)}, {})


# 3. What a template sees -------------------------------------------------------------------------


def test_a_marking_field_the_brief_does_not_set_is_none(tmp_path: Path) -> None:
    """Review row 17: `{% if marking.embargo %}` failed for a brief without a distribution:
    block ("this object has no attribute 'embargo'") with a hint about recipient columns. Now
    every field of the marking is there, none; a name that is no field's is an error listing
    the fields, whose hint is about that, not about recipients' columns."""
    values = _values()
    _letter(tmp_path / "a", "policy.j2", "{% if marking.embargo %}embargoed{% else %}open{% endif %} {{ marking.tlp }}")
    assert render_letter(tmp_path / "a", "policy", values).subject == "open None"
    _letter(tmp_path / "b", "policy.j2", "{{ marking.embargoe }}")
    with pytest.raises(TemplateError) as caught:
        render_letter(tmp_path / "b", "policy", values)
    assert "no attribute 'embargoe' (it has: banner, domains, embargo," in caught.value.message
    assert caught.value.hint is not None and caught.value.hint.startswith("spell the name as one of those it has")


def test_a_date_filter_writes_dates_in_the_editions_language(tmp_path: Path) -> None:
    """Review row 33: brief.date and marking.embargo reached templates as ISO text with no way
    to write them as a reader would. `| date` writes them in the edition's language."""
    values = _values()
    _letter(tmp_path, "policy.j2", "{{ brief.date | date }} / {{ '2027-03-02T09:00:00-05:00' | date(2) }}")
    assert render_letter(tmp_path, "policy", values).subject == "March 2, 2026 / March 2027"
    german = values | {"edition": {"audience": "policy", "variant": "", "language": "de-DE"}}
    assert render_letter(tmp_path, "policy", german).subject == "2. März 2026 / März 2027"


def test_a_link_in_place_of_the_pdf_is_introduced_in_the_edition_s_language(
    german: Path, copy: Callable[[Path], Path]
) -> None:
    """A message too large for the marking's limit carries the link instead of the PDF; the line
    that introduces it is brief's own text, so a German recipient reads it in German."""
    root = copy(german)
    brief = root / "briefs" / "halbleiter.yaml"
    brief.write_text(
        brief.read_text(encoding="utf-8")
        + "distribution:\n  status: final\n  max_message_mb: 0.05\n  link: https://example.org/halbleiter.pdf\n",
        encoding="utf-8",
    )
    _build(root)
    (root / "r.csv").write_text(
        "name,email,organisation,audience,language\nAnna Berg,ab@example.org,Bundestag,policy,de-DE\n"
        "Bob Ray,br@example.org,Senate,policy,en-US\n"
    )
    result = run(root, "r.csv", "--from", "briefs@example.org")
    assert result.exit_code == 0, result.output
    letters = {p.parent.name: p.read_text(encoding="utf-8") for p in (root / "out" / "distribution").glob("*/*.eml")}
    assert "Zum Dokument: https://example.org/halbleiter.pdf" in letters["anna-berg"]
    assert "The brief: https://example.org/halbleiter.pdf" in letters["bob-ray"]
    assert "The brief:" not in letters["anna-berg"]
