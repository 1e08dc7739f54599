"""Which of the workspace's files one edition uses, and how they compare with those its
manifest entry records.

An edition's inputs are not the whole workspace: editing another brief, or another audience's
templates, leaves it up to date. What it uses is recorded as rules (:class:`Scope`), so that the
no-op check and ``brief verify`` find the same files again, a new file among them included.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import DataError
from brief.workspace.files import read_input

INPUT_FOLDERS = ("briefs", "data", "templates")
# The prefix of a digest that stands for an input that cannot be read: a no-op build is never
# "up to date" with one of them, so the real build runs and reports it.
UNUSABLE = "!"


def inputs_digest(digests: dict[str, str]) -> str:
    """One digest over all input files (names and contents)."""
    h = hashlib.sha256()
    for name, digest in sorted(digests.items()):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Scope:
    """Which of the workspace's files one edition uses, as rules rather than a list, so that the
    no-op check and ``brief verify`` find the same files again and notice a new one.

    Every path is relative to the workspace. Only files the walk of :func:`file_digests` found
    are ever selected, so a scope read from an edited manifest can narrow what is compared but
    never widen what is read."""

    # The brief file (briefs/NAME.yaml).
    brief: str
    # The audience's template folders under templates/ (each with everything below it).
    folders: tuple[str, ...]
    # Other audiences' template folders, which are not this edition's inputs.
    others: tuple[str, ...] = ()
    # Files the brief file names (a for_each CSV, a Vega-Lite spec).
    files: tuple[str, ...] = ()
    # The ids of the figures it uses (with their bases and alternatives): a figure file that
    # mentions none of them is not an input.
    words: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The scope as recorded in a manifest entry."""
        return {"brief": self.brief, **{k: list(getattr(self, k)) for k in ("folders", "others", "files", "words")}}


def scope_of(entry: dict[str, Any]) -> Scope | None:
    """The scope a manifest entry records (checked by :func:`entry_problem`); None for an entry
    written before scopes were recorded, whose inputs are the whole workspace."""
    raw = entry.get("scope")
    if not isinstance(raw, dict):
        return None
    return Scope(raw["brief"], *(tuple(raw[k]) for k in ("folders", "others", "files", "words")))


def select(scope: Scope, digests: dict[str, str], root: Path) -> dict[str, str]:
    """Of *digests* (every input file's, keyed as :func:`~brief.publish.manifest.file_digests`
    keys them), those of the files an edition with *scope* uses: its brief file, the figure
    files that mention its figures, data/sources.yaml and data/units.yaml, the files its brief
    file names, templates/ but other audiences' folders, the overlay and the theme.
    Conservative: a file that cannot be read, or that may be used, counts."""
    return {key: digest for key, digest in digests.items() if _uses(scope, key, digest, root)}


def _uses(scope: Scope, key: str, digest: str, root: Path) -> bool:
    if digest.startswith(UNUSABLE) or not key.startswith(INPUT_FOLDERS) or key in scope.files:
        return True  # unreadable, the overlay or the theme, or named by the brief file
    folder, _, rest = key.partition("/")
    if folder == "briefs":
        # Another brief file may declare this brief's id (a duplicate the build refuses).
        return key == scope.brief or ("/" not in rest and rest.endswith(".yaml") and _may_claim_an_id(root / key, root))
    if folder == "data":
        if rest in ("sources.yaml", "units.yaml"):
            return True
        if rest == "figures.yaml" or (rest.startswith("figures/") and rest.count("/") == 1):
            return _mentions(root / key, root, scope.words)
        return False  # data/ files the loader never reads (a README, a recipients list)
    # The longest folder that holds the file decides: an audience's folder is the edition's,
    # but its folder of another language (``policy/de-DE`` for the English edition) is not.
    own = max((len(f) for f in scope.folders if rest.startswith(f"{f}/")), default=-1)
    other = max((len(f) for f in scope.others if rest.startswith(f"{f}/")), default=-1)
    return own >= other


# A top-level `id:` (quoted or not, or as an explicit `? id` key), a mapping written in flow
# style, or a merge key (`<<`) that could bring an `id` in from elsewhere in the file.
_DECLARES_ID = re.compile(rb"^[\"']?id[\"']?[ \t]*:|^\?|^[ \t]*\{|<<", re.MULTILINE)


def _may_claim_an_id(path: Path, root: Path) -> bool:
    try:
        return _DECLARES_ID.search(read_input(path, root)) is not None
    except DataError:
        return True


def _mentions(path: Path, root: Path, words: tuple[str, ...]) -> bool:
    """Whether the figure file at *path* mentions one of *words* (as a whole word): the file
    that defines a figure mentions its id, and so does one that would define it again. One
    that may spell an id otherwise (an escape in a quoted string, a YAML tag) counts too."""
    try:
        text = read_input(path, root)
    except DataError:
        return True
    if b"\\" in text or b"!" in text:
        return True
    return bool(words) and _words_pattern(words).search(text) is not None


@functools.lru_cache(maxsize=64)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[bytes]:
    alternatives = b"|".join(re.escape(w.encode()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives + rb")(?![A-Za-z0-9_])")


THEME_KEY = "theme:"


def short_digests(digests: dict[str, str]) -> dict[str, str]:
    """Each input's digest cut to 16 hex digits (64 bits), the theme's files as one: enough to
    say which input changed, while the whole of each is in ``inputs_sha256``, and an entry
    stays small."""
    return {name: digest[:16] for name, digest in _theme_as_one(digests).items()}


def _theme_as_one(digests: dict[str, str]) -> dict[str, str]:
    theme = {k: v for k, v in digests.items() if k.startswith(THEME_KEY)}
    rest = {k: v for k, v in digests.items() if not k.startswith(THEME_KEY)}
    unusable = [v for v in theme.values() if v.startswith(UNUSABLE)]
    return rest | ({THEME_KEY: unusable[0] if unusable else inputs_digest(theme)} if theme else {})


def changes(recorded: object, current: dict[str, str]) -> list[str]:
    """What differs between the inputs an entry records (its ``inputs``: :func:`short_digests`)
    and *current* (full digests), in the order of the names: ``X changed``, ``X is gone``,
    ``X is new``, ``X cannot be read (why)``."""
    if not isinstance(recorded, dict):
        return []
    now_all = _theme_as_one(current)
    out = []
    for name in sorted(set(recorded) | set(now_all)):
        now = now_all.get(name)
        shown = "the built-in theme" if name == THEME_KEY else name
        if now is None:
            out.append(f"{shown} is gone")
        elif now.startswith(UNUSABLE):
            out.append(f"{shown} cannot be read ({now[len(UNUSABLE) :]})")
        elif name not in recorded:
            out.append(f"{shown} is new")
        elif len(str(recorded[name])) < 16 or not now.startswith(str(recorded[name])):
            out.append(f"{shown} changed")
    return out


def scope_problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with an entry's ``scope`` and ``inputs`` (both optional), or None."""
    inputs = entry.get("inputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        return "'inputs' must map input files to digests"
    if "scope" not in entry:
        return None
    scope = entry["scope"]
    if not isinstance(scope, dict) or not isinstance(scope.get("brief"), str):
        return "'scope' must be an object naming the brief file"
    for key in ("folders", "others", "files", "words"):
        value = scope.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"'scope.{key}' must be a list of names"
    return None
