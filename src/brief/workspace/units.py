"""Read a workspace's data/units.yaml: units of its own, and overrides of brief's defaults.

The file is input like any other: every unit is validated on its own, so each bad one is
reported with its line and the good ones are still used.
"""

from __future__ import annotations

import re
from pathlib import Path

from brief.errors import BriefError, DataError
from brief.model.unit_schema import UnitSpec, texts
from brief.model.units import Unit, from_spec
from brief.workspace.yamlio import YamlMap, read_yaml, validate

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_UNITS = 500


def read_units(path: Path, root: Path | None = None) -> tuple[dict[str, Unit], list[BriefError]]:
    """The units *path* declares, by name, and a problem for each one that is not valid."""
    doc = read_yaml(path, root)
    if doc is None:
        return {}, []
    if not isinstance(doc, YamlMap):
        hint = "start each unit with its name: 'eur_billion:' then its fields, indented"
        return {}, [DataError("a units file is a mapping of unit names to units", path, 1, hint=hint)]
    if len(doc) > MAX_UNITS:
        return {}, [DataError(f"{len(doc)} units; a units file holds at most {MAX_UNITS}", path, 1)]
    units: dict[str, Unit] = {}
    problems: list[BriefError] = []
    for name, node in doc.items():
        line = doc.key_lines[name]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            hint = "lower-case letters, digits and _, starting with a letter: eur_billion"
            problems.append(DataError(f"{name!r} is not a unit name", path, line, hint=hint))
            continue
        if not isinstance(node, YamlMap):
            hint = "give long, short and axis (or currency and scale), indented under the name"
            problems.append(DataError(f"unit {name!r} is not a mapping", path, line, hint=hint))
            continue
        try:
            spec = validate(UnitSpec, node, path)
        except DataError as exc:
            for problem in exc.problems:
                problem.message = f"unit {name!r}: {problem.message}"
                # A problem with the whole unit is reported at its name.
                problem.line = line if problem.line == node.line else problem.line
            problems.extend(exc.problems)
            continue
        forms = [*texts(spec.long), *texts(spec.short)]
        forms += [w for words in spec.languages.values() for w in (*texts(words.long), *texts(words.short))]
        if name == "pp" and any("%" in form for form in forms):
            hint = "'%' is percent; a difference of two percentages is in percentage points"
            problems.append(DataError("unit 'pp': percentage points are never written '%'", path, line, hint=hint))
            continue
        units[name] = from_spec(spec)
    return units, problems
