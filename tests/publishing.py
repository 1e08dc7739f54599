"""Helpers for the publish tests: finish a build with given PDF bytes, without typesetting.

Imported by tests/test_outputs.py and by the child processes it starts (which get tests/ on
their path), so a build can be interrupted, killed or raced at a chosen point in finish().
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from brief.errors import BriefError
from brief.model.results import BuildResult
from brief.publish.manifest import Record, file_digests, inputs_digest, tool_versions
from brief.publish.outputs import publish

PDF = "mini-policy.pdf"


def record(root: Path, standard: str = "ua-1") -> Record:
    """The record of a build of the mini workspace at *root* with *standard*."""
    digests = file_digests(root)
    return Record("mini", "policy", standard, inputs_digest(digests), digests, tool_versions(), "")


def pdf_bytes(label: str) -> bytes:
    """Stand-in PDF bytes, different for each *label*."""
    return f"%PDF-1.7 {label}\n".encode() + label.encode() * 200


def finish_with(root: Path, data: bytes, standard: str = "ua-1") -> BuildResult:
    """Publish *data* (3 pages, built with *standard*) as the build's last stage does, for
    a build of the mini workspace at *root*."""
    started = time.perf_counter()
    warnings: list[BriefError] = []
    path = publish(root / "out", PDF, data, 3, record(root, standard), warnings)
    return BuildResult(
        path=path,
        pages=3,
        seconds=time.perf_counter() - started,
        brief="mini",
        audience="policy",
        page_budget=4,
        warnings=[w.problem(root) for w in warnings],
    )


def sha256(path: Path) -> str:
    """The file's SHA-256 hex digest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(root: Path) -> dict[str, Any]:
    """out/manifest.json, parsed."""
    return json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def temp_files(root: Path) -> list[str]:
    """Temporary files left in out/."""
    return sorted(p.name for p in (root / "out").iterdir() if p.name.endswith(".tmp"))
