"""Colours for series: each from the brand file, never typed here."""

from __future__ import annotations

from brief.workspace.brand import Brand


def series_palette(brand: Brand) -> list[str]:
    """Colours for the series of a stacked or grouped chart, in order: the highlight, the
    brand's series colours, then the secondary and muted colours."""
    rules = brand.chart
    names = [rules.highlight, *rules.series_colors.values(), "secondary", rules.muted]
    return list(dict.fromkeys(brand.hex(n) for n in names))


def series_colours(series: list[str], brand: Brand) -> list[str]:
    """One colour per series: a series named in the brand (a country) keeps its colour; the
    rest take the palette's unused colours in turn."""
    named = brand.chart.series_colors
    fixed = {s: brand.hex(named[s]) for s in series if s in named}
    free = [c for c in series_palette(brand) if c not in fixed.values()] or series_palette(brand)
    out, i = [], 0
    for s in series:
        if s in fixed:
            out.append(fixed[s])
        else:
            out.append(free[i % len(free)])
            i += 1
    return out
