"""Reading a brief's variants (``for_each``): a CSV file in data/, or a list in the brief.

Every problem names the file and line: a missing file, a missing ``id`` column, an id that
cannot name a file, a repeated id, a parameter name templates cannot use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brief.errors import BriefError, DataError
from brief.model.variants import PARAMETER, VARIANT_ID, Variant
from brief.workspace.yamlio import YamlMap, line_of, read_text


def read_variants(root: Path, brief_path: Path, doc: YamlMap, for_each: Any) -> tuple[list[Variant], list[BriefError]]:
    """The variants a brief declares, and every problem found in them."""
    line = line_of(doc, ["for_each"])
    if isinstance(for_each, str):
        return _from_csv(root, brief_path, line, for_each)
    rows = [(line_of(doc, ["for_each", i]), dict(row)) for i, row in enumerate(for_each)]
    return _checked(rows, brief_path, "the brief's for_each list")


def _from_csv(root: Path, brief_path: Path, line: int | None, name: str) -> tuple[list[Variant], list[BriefError]]:
    path = (root / name).resolve()
    if not path.is_relative_to((root / "data").resolve()) or path.suffix != ".csv":
        hint = "name a CSV file in data/, e.g. for_each: data/regions.csv"
        return [], [DataError(f"for_each: {name!r} is not a CSV file in data/", brief_path, line, hint=hint)]
    if not path.is_file():
        hint = "create it with a header line (id and the other parameters), one variant a line"
        return [], [DataError(f"for_each: {name} does not exist", brief_path, line, hint=hint)]
    try:
        reader = csv.DictReader(io.StringIO(read_text(path, root=root), newline=""))
        rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}) for row in reader]
    except (BriefError, csv.Error) as exc:
        return [], [exc if isinstance(exc, BriefError) else DataError(f"not a CSV file: {exc}", path)]
    if "id" not in (reader.fieldnames or []):
        hint = "the first line names the columns; one of them is id (it names each variant's file)"
        return [], [DataError("no id column", path, 1, hint=hint)]
    return _checked(rows, path, path.name)


def _checked(
    rows: Sequence[tuple[int | None, dict[Any, Any]]], path: Path, what: str
) -> tuple[list[Variant], list[BriefError]]:
    variants: list[Variant] = []
    problems: list[BriefError] = []
    first: dict[str, int | None] = {}
    if not rows:
        problems.append(DataError(f"{what} lists no variants", path, hint="add one row per variant"))
    for line, row in rows:
        bad = [str(k) for k in row if not isinstance(k, str) or not PARAMETER.fullmatch(k)]
        ident = str(row.get("id", ""))
        if bad:
            hint = "parameter names are lower case letters, digits and _ (templates read variant.NAME)"
            problems.append(DataError(f"parameter name {bad[0]!r} cannot be used", path, line, hint=hint))
        elif not VARIANT_ID.fullmatch(ident):
            hint = "an id is lower case letters, digits, '.', '_' and '-' (it names the variant's file)"
            problems.append(DataError(f"variant id {ident!r} cannot name a file", path, line, hint=hint))
        elif ident in first:
            where = f"line {first[ident]}" if first[ident] else "above"
            hint = "give each variant its own id: it names the variant's file"
            problems.append(DataError(f"duplicate variant id {ident!r} (first at {where})", path, line, hint=hint))
        else:
            first[ident] = line
            variants.append(Variant({str(k): str(v) for k, v in row.items()}, line))
    return variants, problems
