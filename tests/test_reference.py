"""docs/reference.md is generated from the models (brief.commands.reference) and kept current."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, create_model
from pydantic.fields import FieldInfo

from brief.commands.reference import ROOTS, model_table, reference, sections
from brief.workspace.yamlio import plain, read_yaml
from helpers import REPO

PAGE = REPO / "docs" / "reference.md"


def every_field() -> list[tuple[str, type[BaseModel], str, FieldInfo]]:
    """``(path, model, name, field)`` for every field the reference documents."""
    return [
        (path, model, name, info)
        for root in ROOTS
        for path, model in sections(root)
        for name, info in model.model_fields.items()
    ]


def test_reference_is_current() -> None:
    """The page is exactly what the generator writes now: run scripts/generate-reference after
    changing a model, and commit the page with the change."""
    assert PAGE.read_text(encoding="utf-8") == reference(), "docs/reference.md is stale: run scripts/generate-reference"


def test_every_file_kind_is_covered() -> None:
    """The brief, audience, chart, figure, source and brand models all have tables."""
    text = reference()
    for heading in ("## Brief file", "### `charts.NAME`", "### `audiences.NAME`", "## Figure", "## Source"):
        assert heading in text
    assert "## Brand file" in text and "### `typography.fonts[].files[]`" in text


def test_every_field_has_a_plain_description() -> None:
    """No field is documented by its name alone."""
    missing = [f"{m.__name__}.{n}" for _, m, n, info in every_field() if not (info.description or "").strip()]
    assert missing == []


def test_every_field_has_an_example_or_a_table_of_its_own() -> None:
    """Each row ends in an example written as YAML, or points to the nested table below."""
    for root in ROOTS:
        for _, model in sections(root):
            for row in model_table(model)[2:]:
                assert not row.endswith("|  |"), row


def test_limits_carry_units_and_no_regular_expressions() -> None:
    """A chart's height is 60 to 600 px; a page budget counts pages; no pattern is shown raw."""
    text = reference()
    assert "| `height` | whole number | `150` | 60 to 600 px |" in text
    assert "1 to 200 pages" in text
    assert "a date such as 2024, 2024-06 or 2024-06-30" in text
    for regex_mark in ("^", "$", "\\d", "[a-z"):
        assert regex_mark not in text


@pytest.mark.parametrize(
    "path, model, name, info",
    [f for f in every_field() if f[3].examples],
    ids=[f"{f[1].__name__}.{f[2]}" for f in every_field() if f[3].examples],
)
def test_examples_are_valid_values(
    path: str, model: type[BaseModel], name: str, info: FieldInfo, tmp_path: Path
) -> None:
    """Each example, written into a YAML file as the page shows it, passes the field's validation."""
    cell = next(row for row in model_table(model) if row.startswith(f"| `{info.alias or name}` |"))
    example = cell.rstrip(" |").rsplit("| `", 1)[1].rstrip("`").replace("\\|", "|")
    file = tmp_path / "example.yaml"
    file.write_text(example + "\n", encoding="utf-8")
    one_field = create_model("OneField", **{name: (info.annotation, info)})  # type: ignore[call-overload]
    one_field.model_validate(plain(read_yaml(file)))
