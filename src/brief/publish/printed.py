"""What an edition printed: each figure's id and the texts it was printed as.

A build records it in the edition's manifest entry (``printed``) and keeps it, by the
edition's SHA-256, in ``out/editions/SHA256.json``: a rebuild replaces the manifest entry,
but copies of the older edition may already have been sent, and ``brief distribute impact``
must still know what they printed. The file is written once per edition (its name is its
content's key) and read back as a workspace input is: a regular file, size-limited.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from brief.errors import DataError
from brief.publish.atomic import write_atomic
from brief.workspace.files import read_input

EDITIONS = "editions"
# An edition prints at most a few hundred figures, each in a few forms: a few kilobytes.
MAX_FIGURES = 10_000
MAX_EDITION_BYTES = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def add(printed: dict[str, list[str]], figure_id: str, text: str) -> None:
    """Note that *figure_id* was printed as *text* (each text once, in the order first printed)."""
    texts = printed.setdefault(figure_id, [])
    if text not in texts:
        texts.append(text)


def problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with an entry's ``printed`` (absent is fine), or None."""
    printed = entry.get("printed", {})
    if not isinstance(printed, dict) or len(printed) > MAX_FIGURES:
        return f"'printed' must map at most {MAX_FIGURES:,} figure ids to lists of texts"
    for texts in printed.values():
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return "'printed' must map figure ids to lists of texts"
    return None


def keep(out_dir: Path, entry: dict[str, Any]) -> None:
    """Write ``out/editions/SHA256.json`` for the manifest *entry* of a new edition (what it
    is and what it printed), unless the entry records nothing printed."""
    if not entry.get("printed"):
        return
    kept = {key: entry.get(key, "") for key in ("sha256", "brief", "audience", "variant")}
    data = json.dumps(kept | {"printed": entry["printed"]}, indent=1, sort_keys=True) + "\n"
    write_atomic(out_dir / EDITIONS / f"{entry['sha256']}.json", data.encode("utf-8"))


def edition(out_dir: Path, sha256: str) -> dict[str, Any] | None:
    """What the edition with hash *sha256* printed, as :func:`keep` wrote it; None when it was
    not kept (built before editions were kept) or the file cannot be used."""
    if not _SHA256.fullmatch(sha256):
        return None
    path = out_dir / EDITIONS / f"{sha256}.json"
    if not path.is_file():
        return None
    try:
        found = json.loads(read_input(path, out_dir, MAX_EDITION_BYTES).decode("utf-8"))
    except (DataError, UnicodeDecodeError, RecursionError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("sha256") != sha256 or problem(found) is not None:
        return None
    return found
