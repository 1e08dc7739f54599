"""The test tiers (tests/conftest.py, README's Develop section): every module and test the tier map
names exists, every tier is a registered marker, and `-m fast` leaves out the stress tests and the
slow ones while still running the rest."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import NOT_FAST, TIER_FIXTURES, TIERS
from helpers import REPO

TESTS = REPO / "tests"
# Collects selected tests with their markers, after -m has deselected the rest.
DUMP_PLUGIN = """
import json, os

def pytest_collection_finish(session):
    with open(os.environ["TIER_DUMP"], "w", encoding="utf-8") as out:
        json.dump({item.nodeid: sorted({m.name for m in item.iter_markers()}) for item in session.items}, out)
"""


def _functions(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_module_and_test_the_tier_map_names_exists() -> None:
    """A renamed module or test would silently drop out of its tier (and into the fast run)."""
    missing = []
    for key in TIERS:
        module, _, function = key.partition("::")
        path = TESTS / module
        if not path.is_file() or (function and function not in _functions(path)):
            missing.append(key)
    assert missing == []


def test_every_tier_fixture_is_defined() -> None:
    """The fixtures that put a test in a tier are fixtures some test file or conftest defines."""
    defined = set().union(*(_functions(path) for path in TESTS.rglob("*.py")))
    assert set(TIER_FIXTURES) <= defined


def test_every_tier_is_a_registered_marker() -> None:
    """`--strict-markers` refuses a tier pyproject.toml does not declare; `fast` is declared too."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    registered = {line.split(":")[0] for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    used = {tier for tiers in TIERS.values() for tier in tiers} | set(TIER_FIXTURES.values())
    assert used | set(NOT_FAST) | {"fast", "smtp"} <= registered


def test_fast_leaves_out_stress_and_slow_tests(tmp_path: Path) -> None:
    """`python3 -m pytest -m fast` as a developer types it, on the modules with stress tests, a module
    marked slow and a module of quick tests: only the quick ones are selected."""
    stressed = sorted({key.partition("::")[0] for key, tiers in TIERS.items() if "stress" in tiers})
    quick = "test_units.py"
    (tmp_path / "tier_dump.py").write_text(DUMP_PLUGIN, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "TIER_DUMP": str(tmp_path / "selected.json"),
    }
    paths = [f"tests/{module}" for module in [*stressed, "test_end_to_end.py", quick]]
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "tier_dump"]
    result = subprocess.run([*command, "-m", "fast", *paths], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    selected: dict[str, list[str]] = json.loads((tmp_path / "selected.json").read_text(encoding="utf-8"))

    stress_keys = [key for key, tiers in TIERS.items() if "stress" in tiers]
    assert [node for node in selected if any(node.startswith(f"tests/{key}") for key in stress_keys)] == []
    assert [node for node, marks in selected.items() if set(marks) & set(NOT_FAST)] == []
    assert not any(node.startswith("tests/test_end_to_end.py") for node in selected)
    # The quick module runs, and so do the quick tests beside stress ones in the same module.
    assert any(node.startswith(f"tests/{quick}::") for node in selected)
    assert any(node.startswith("tests/test_workers.py::") for node in selected)
    assert all("fast" in marks for marks in selected.values())
