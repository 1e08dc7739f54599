"""What an edition printed: each figure's id and the texts it was printed as.

A build records it in the edition's manifest entry (``printed``) and keeps it, by the
edition's SHA-256, in ``out/editions/SHA256.json``: a rebuild replaces the manifest entry,
but copies of the older edition may already have been sent, and ``brief distribute impact``
must still know what they printed. The file is written once per edition (its name is its
content's key) and read back as a workspace input is: a regular file, size-limited.

Beside the figures, the record holds a digest of the edition's narrative (``narrative``): its
sections' words with every figure's printed text, chart and table taken out, so that a
corrected number changes the figures and not the narrative, and a reworded sentence changes
the narrative. ``brief distribute corrections`` compares both.
"""

from __future__ import annotations

import hashlib
import html
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
NARRATIVE = "narrative"
OWN = ("printed", NARRATIVE)  # what a manifest entry records of what its edition printed
# What a figure prints: its value (fig()), a chart (an SVG, or an image of one), a table's cells.
_FIGURES = re.compile(
    r'<span class="figure-value"[^>]*>.*?</span>|<table\b.*?</table>|<svg\b.*?</svg>|<figure\b.*?</figure>',
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")


def narrative_digest(sections_html: str) -> str:
    """A short digest of the words of the sections' HTML, the figures' printed text, charts
    and tables left out: it changes when the narrative does, not when a number does."""
    words = " ".join(html.unescape(_TAG.sub(" ", _FIGURES.sub(" ", sections_html))).split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]


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
    if not isinstance(entry.get(NARRATIVE, ""), str):
        return f"'{NARRATIVE}' must be a digest (a string)"
    return None


def keep(out_dir: Path, entry: dict[str, Any]) -> None:
    """Write ``out/editions/SHA256.json`` for the manifest *entry* of a new edition (what it
    is and what it printed), unless the entry records nothing printed."""
    if not entry.get("printed"):
        return
    kept = {key: entry.get(key, "") for key in ("sha256", "brief", "audience", "variant", NARRATIVE)}
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
