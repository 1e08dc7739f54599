"""Packaging by the build backend's own configuration: no setup.py hook, the examples and the
docs mapped into the wheel once, the test tools in a dependency group that the lock covers.
(tests/test_install.py builds the wheel and installs it; these read the configuration.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from brief.workspace.theme import FLAGSHIP, WORKSPACE_FILES, WORKSPACE_FOLDERS
from helpers import REPO


def _config() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_no_build_hook() -> None:
    """The wheel is laid out by configuration: there is no setup.py to run code at build time."""
    assert not (REPO / "setup.py").exists()
    assert not (REPO / "MANIFEST.in").exists()
    assert _config()["build-system"]["build-backend"] == "hatchling.build"


def test_every_example_and_doc_is_mapped_into_the_wheel_once() -> None:
    """Each example's workspace folders and each docs page go to brief/examples/NAME/ and
    brief/docs/: a new example or page that is not listed would be missing from the wheel."""
    mapped: dict[str, str] = _config()["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    sources = {FLAGSHIP: REPO} | {p.name: p for p in (REPO / "examples").iterdir() if (p / "briefs").is_dir()}
    wanted = {
        (folder / part).relative_to(REPO).as_posix(): f"brief/examples/{name}/{part}"
        for name, folder in sources.items()
        for part in (*WORKSPACE_FOLDERS, *WORKSPACE_FILES)
        if (folder / part).exists()
    }
    wanted |= {f"docs/{p.name}": f"brief/docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert mapped == wanted
    assert len(set(mapped.values())) == len(mapped)


def test_the_test_tools_are_a_dependency_group_the_lock_pins() -> None:
    """The tools are a PEP 735 group (not an extra users could install), and constraints.txt
    pins every one of them, every dependency, and the pip that reads groups (25.1 or later)."""
    config = _config()
    assert "optional-dependencies" not in config["project"]
    group = config["dependency-groups"]["test"]
    pins = {
        _name(line): line.split("==", 1)[1]
        for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    needed = {_name(r) for r in [*group, *config["project"]["dependencies"]]}
    assert needed <= pins.keys(), needed - pins.keys()
    assert tuple(int(n) for n in pins["pip"].split(".")[:2]) >= (25, 1)
    assert "--group test" in (REPO / "scripts" / "install").read_text(encoding="utf-8")


def test_the_source_distribution_carries_what_the_wheel_is_built_from() -> None:
    """Every folder the wheel maps in is in the sdist's include list (or under one of them)."""
    config = _config()["tool"]["hatch"]["build"]["targets"]
    include = config["sdist"]["include"]
    for source in config["wheel"]["force-include"]:
        assert any(Path(source).match(pattern) or source.startswith(pattern + "/") for pattern in include), source
