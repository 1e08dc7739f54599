"""Whether a brand's chart colours can be read: every colour a chart draws data in needs 3:1
against the page, chart text 4.5:1 (WCAG 2.x). ``brief check`` warns about a brand that
cannot meet it, naming the line where the colour is defined."""

from __future__ import annotations

from typing import Any

from brief.errors import BriefError, BriefWarning
from brief.model.contrast import MARK_MIN, TEXT_MIN, contrast
from brief.workspace.brand import Brand, Colors, load_brand
from brief.workspace.templates import TemplateSet
from brief.workspace.yamlio import line_of, read_yaml


def _uses(brand: Brand) -> list[tuple[list[str | int], str, str, float]]:
    """Each colour charts draw with: where the brand sets it, its value, what it is drawn as,
    and the contrast it needs."""
    rules = brand.chart
    base: list[str | int] = ["defaults", "brief"]
    uses: list[tuple[list[str | int], str, str, float]] = [
        (["color", "foreground"], brand.color.foreground, "color.foreground: chart text", TEXT_MIN),
        (["color", "secondary"], brand.color.secondary, "color.secondary: a series, the dumbbell's lines", MARK_MIN),
        ([*base, "highlight"], rules.highlight, "defaults.brief.highlight: highlighted marks", MARK_MIN),
        ([*base, "muted"], rules.muted, "defaults.brief.muted: the marks not highlighted", MARK_MIN),
    ]
    series = "defaults.brief.series-colors"
    uses += [
        ([*base, "series-colors", k], v, f"{series}: {k}'s marks", MARK_MIN) for k, v in rules.series_colors.items()
    ]
    uses += [
        ([*base, "other-series", i], v, "defaults.brief.other-series", MARK_MIN)
        for i, v in enumerate(rules.other_series)
    ]
    return uses


def _defined_at(brand: Brand, node: Any, loc: list[str | int], value: str) -> tuple[str, int | None]:
    """The colour's name as the brand spells it and the line that sets its hex value: a role is
    followed to the palette, where the colour is changed."""
    if value in Colors.model_fields:
        loc, value = ["color", value], getattr(brand.color, value)
    if value in brand.color.palette:
        return value, line_of(node, ["color", "palette", value])
    return value, line_of(node, loc)


def passing_shade(colour: str, page: str, minimum: float) -> str:
    """*colour* darkened (on a light page) or lightened (on a dark one) just enough to reach
    *minimum* contrast with *page*: a suggestion, in the colour's own hue."""
    towards = 0 if contrast(page, "#000000") > contrast(page, "#ffffff") else 255
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    shade = colour
    for step in range(101):
        mixed = [round(c + (towards - c) * step / 100) for c in rgb]
        shade = "#" + "".join(f"{c:02x}" for c in mixed)
        if contrast(shade, page) >= minimum:
            break
    return shade


def contrast_problems(templates: TemplateSet) -> list[BriefError]:
    """A warning for each chart colour of the winning brand file with too little contrast
    against its background (none when the brand cannot be read: the render check says why)."""
    path = templates.find_shared("brand.yml")
    if path is None:
        return []
    try:
        brand = load_brand(templates)
        node = read_yaml(path, path.parent)
    except BriefError:
        return []
    page = brand.hex("background")
    problems: list[BriefError] = []
    seen: set[tuple[str, float]] = set()
    for loc, value, what, minimum in _uses(brand):
        hexa = brand.hex(value)
        ratio = contrast(hexa, page)
        if ratio >= minimum or (hexa, minimum) in seen:
            continue
        seen.add((hexa, minimum))
        name, line = _defined_at(brand, node, loc, value)
        label = name if name == hexa else f"{name} {hexa}"
        problems.append(
            BriefWarning(
                f"chart colour {label} ({what}) has contrast {ratio:.2f}:1 against the background {page}; "
                f"{'text' if minimum == TEXT_MIN else 'data marks'} need {minimum:g}:1",
                path,
                line,
                hint=f"a shade such as {passing_shade(hexa, page, minimum)} meets it",
            )
        )
    return problems
