"""WCAG 2.x contrast: the one place it is computed, for the chart theme and for ``brief check``."""

from __future__ import annotations

# WCAG 2.x minimums: 1.4.11 for marks that carry data (bars, dots, lines), 1.4.3 (AA) for
# normal-size text. Chart text is 9-11 px, never "large text".
MARK_MIN = 3.0
TEXT_MIN = 4.5


def luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb`` (or ``#rgb``)."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two hex colours (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
