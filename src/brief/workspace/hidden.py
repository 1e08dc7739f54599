"""Hidden text: characters that show nothing where they stand (controls, format characters,
fillers), refused in every text field brief reads — workspace files, recipients lists — so that
what a reviewer reads is what is there."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from brief.errors import DataError

# Invisible characters that can make a label read differently from what it is (bidi overrides,
# zero-width spaces) or that break a line: every C0/C1 control but tab and newline, and format
# characters (Cf). Unicode 14's, as Python 3.11 knows them; a test keeps them in step.
_CONTROL_OR_FORMAT = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Outside Cc and Cf, characters that show nothing where they stand, so a label can carry text
# no reviewer sees, or two labels that read alike can differ. Spaces (Zs, such as U+3000) are
# not among them: they show as the space they are.
_BLANK = (
    # Unicode's Default_Ignorable_Code_Point outside Cc and Cf: the Hangul fillers U+115F,
    # U+1160, U+3164, U+FFA0 (modern Korean is written in whole syllables, never with a lone
    # filler), the combining grapheme joiner U+034F, the Khmer inherent vowels U+17B4-U+17B5
    # (which Unicode says not to use), the Mongolian free variation selectors, the variation
    # selectors U+FE00-U+FE0D and U+E0100-U+E01EF (a run of them hides a text behind one
    # letter), and the code points kept for future ignorables (U+2065, U+FFF0-U+FFF8, U+E0000-U+E0FFF).
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2065\u3164\ufe00-\ufe0d\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e0fff"
    # Drawn as nothing: U+2800 BRAILLE PATTERN BLANK, U+1D159 MUSICAL SYMBOL NULL NOTEHEAD, U+16FE4
    # KHITAN SMALL SCRIPT FILLER; and the line and paragraph separators (Zl, Zp), unseen breaks.
    "\u2800\U0001d159\U00016fe4\u2028\u2029"
)
# U+FE0E and U+FE0F choose the text or emoji form of the symbol before them ("\u2764\ufe0f"):
# allowed after a visible character only (alone, they could encode hidden bits).
_INVISIBLE = re.compile(f"[{_CONTROL_OR_FORMAT}{_BLANK}]|(?:^|(?<=[\\s\ufe0e\ufe0f]))[\ufe0e\ufe0f]")


def invisible_character(text: str) -> str | None:
    """A description of the first control, invisible format or blank character in *text*
    (see ``_BLANK``), or None. Every text field a workspace file holds is checked with it."""
    found = _INVISIBLE.search(text)
    if found is None:
        return None
    char = found.group(0)
    name = unicodedata.name(char, "control character" if unicodedata.category(char) == "Cc" else "reserved character")
    return f"U+{ord(char):04X} {name}"


def invisible_at(text: str) -> tuple[int, str] | None:
    """Where the first control or invisible format character in *text* is (its index) and
    what it is (as :func:`invisible_character` describes it), or None."""
    found = _INVISIBLE.search(text)
    if found is None:
        return None
    return found.start(), invisible_character(found.group(0)) or ""


def check_text(text: str, path: Path, line: int | None) -> None:
    """Raise a :class:`DataError` if *text* holds a control or invisible format character."""
    what = invisible_character(text)
    if what is not None:
        raise DataError(
            f"invisible or control character {what} in text",
            path,
            line,
            hint="delete it: text may not hide bidi overrides, zero-width, blank filler or control characters",
        )
