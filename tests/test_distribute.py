"""brief distribute's inputs, without building: the distribution: block, the recipients CSV
(every problem with its line) and the sending rules that follow from the marking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from brief.distribute.rules import check_recipients, refusal
from brief.errors import DataError
from brief.model.marking import Marking, Recipient
from brief.pipeline.markings import marking_context
from brief.workspace.recipients import read_recipients

BEFORE = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 12, 9, tzinfo=dt.UTC)
EMBARGO = dt.datetime(2026, 12, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.csv"
    path.write_text(text, encoding="utf-8")
    return path


def person(email: str = "a@example.org", channel: str = "individual") -> Recipient:
    return Recipient(line=7, name="A Person", email=email, organisation="Org", audience="policy", channel=channel)  # type: ignore[arg-type]


def test_marking_reads_tlp_without_prefix_and_needs_an_aware_embargo() -> None:
    assert Marking(tlp="amber").tlp == "TLP:AMBER"  # type: ignore[arg-type]
    assert Marking(tlp="TLP:AMBER+STRICT").tlp == "TLP:AMBER+STRICT"  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Marking(tlp="ORANGE")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timezone"):
        Marking(embargo=dt.datetime(2026, 12, 8, 9))


def test_embargo_shown_only_before_it() -> None:
    marking = Marking(tlp="TLP:GREEN", embargo=EMBARGO, embargo_zone="ET", banner="CONTROLLED // FOUO")  # type: ignore[arg-type]
    assert marking.labels(BEFORE) == ["TLP:GREEN", "CONTROLLED // FOUO", "EMBARGOED UNTIL 2026-12-08 09:00 ET"]
    assert marking.labels(AFTER) == ["TLP:GREEN", "CONTROLLED // FOUO"]
    top_before = str(marking_context(marking, BEFORE)["marking_top"])
    top_after = str(marking_context(marking, AFTER)["marking_top"])
    assert "EMBARGOED UNTIL" in top_before and "EMBARGOED" not in top_after
    assert top_before.count("TLP:GREEN") == 2  # header and footer


def test_draft_marks_the_body_for_the_watermark() -> None:
    context = marking_context(Marking(status="draft"), BEFORE)
    assert context["marking_class"] == "marked draft"
    assert "DRAFT" in str(context["marking_top"])
    assert marking_context(None, BEFORE)["marking_class"] == ""


def test_recipients_are_read_with_extra_columns(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "name,email,organisation,audience,greeting\nAna B,ana@example.org,Org,policy,Ana\n")
    (ana,) = read_recipients(path, {"policy"})
    assert (ana.line, ana.email, ana.extra, ana.channel) == (2, "ana@example.org", {"greeting": "Ana"}, "individual")


def test_every_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "name,email,organisation,audience\n"
        "Ana,ana@example.org,Org,policy\n"
        "Bo,not-an-address,Org,policy\n"
        '"Cy, multi\nline",cy@example.org,Org,board\n'
        "Ana again,ANA@example.org,Org,policy\n",
    )
    with pytest.raises(DataError) as caught:
        read_recipients(path, {"policy"})
    found = [(p.line, p.message) for p in caught.value.problems]
    assert found[0] == (3, "'not-an-address' is not an e-mail address")
    assert found[1] == (4, "unknown audience 'board'")
    assert found[2] == (6, "ANA@example.org is listed twice")
    assert "see line 2" in (caught.value.problems[2].hint or "")


def test_a_missing_column_names_the_header(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "name,email,audience\nAna,ana@example.org,policy\n")
    with pytest.raises(DataError, match="lacks organisation") as caught:
        read_recipients(path, {"policy"})
    assert caught.value.line == 1


def test_tlp_red_goes_only_to_named_people() -> None:
    red = Marking(tlp="TLP:RED")  # type: ignore[arg-type]
    assert refusal(red, person(), BEFORE) is None
    found = refusal(red, person("list@example.org", "list"), BEFORE)
    assert found is not None and "individually named" in found[0]


def test_amber_strict_stays_in_the_organisations_domains() -> None:
    strict = Marking(tlp="TLP:AMBER+STRICT", domains=["example.org"])  # type: ignore[arg-type]
    assert refusal(strict, person("a@example.org"), BEFORE) is None
    assert refusal(strict, person("a@dept.example.org"), BEFORE) is None
    found = refusal(strict, person("a@example.com"), BEFORE)
    assert found is not None and "example.com is not one of its domains" in found[0]


def test_public_channels_wait_for_the_embargo(tmp_path: Path) -> None:
    marking = Marking(tlp="TLP:CLEAR", embargo=EMBARGO)  # type: ignore[arg-type]
    press = person("press@example.org", "public")
    assert refusal(marking, press, AFTER) is None
    with pytest.raises(DataError, match="embargoed until") as caught:
        check_recipients(tmp_path / "r.csv", marking, [person(), press], BEFORE)
    assert caught.value.line == 7 and len(caught.value.problems) == 1


def test_a_row_is_claimed_for_sending_once(tmp_path: Path) -> None:
    """Two runs of one distribution cannot both send a message: the claim is one conditional,
    committed update, and the second finds the row taken."""
    from brief.distribute.ledger import Row, open_ledger

    path = tmp_path / "out" / "distribution.sqlite"
    row = Row("d1", "a@example.org", 2, "A", "Org", "policy", 1, "0123456789ab", "<m@x>", "a", "{}", None,
              "planned", None, 0, "2026-12-01")  # fmt: skip
    first, second = open_ledger(path), open_ledger(path)
    first.plan("d1", "brief", "2026-12-01", "r.csv", "{}", [row])
    first.stamped("d1", "a@example.org", "f" * 64)
    assert first.sending("d1", "a@example.org") is True
    assert second.sending("d1", "a@example.org") is False
    first.settle("d1", "a@example.org", "accepted", "250 ok")
    assert [r.state for r in second.rows("d1")] == ["accepted"]
    assert second.by_copy_id("0123456789ab") is not None
    first.close()
    second.close()
