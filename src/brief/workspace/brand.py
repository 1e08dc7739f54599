"""The brand: colours, fonts and organisation name, from one file.

``templates/brand.yml`` follows a subset of Quarto's ``_brand.yml`` (``meta``, ``color``
with a ``palette``, ``typography``), so an organisation's existing brand file works. It
feeds both the CSS (as custom properties) and the Altair theme, so text and charts match.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from brief.errors import DataError
from brief.model.patterns import CSS_SAFE, CSS_SIZE
from brief.workspace.files import MAX_BYTES, MAX_FONT_BYTES, check_input
from brief.workspace.templates import TemplateSet
from brief.workspace.yamlio import YamlMap, YamlSeq, line_of, read_yaml, validate

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class FontFile(BaseModel):
    """One font file of a family, with its weight and style."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(
        pattern=CSS_SAFE,
        description="the font file, relative to the brand file's folder",
        examples=["fonts/SourceSerif4-Regular.ttf"],
    )
    weight: int = Field(
        default=400, ge=100, le=900, description="its weight: 400 regular, 600 semibold, 700 bold", examples=[600]
    )
    style: Literal["normal", "italic"] = Field(default="normal", description="upright or italic")


class FontFamily(BaseModel):
    """A font family shipped with the templates (``source: file`` in Quarto's terms)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    family: str = Field(pattern=CSS_SAFE, description="the family's name", examples=["Source Serif 4"])
    source: Literal["file"] = Field(default="file", description="where the fonts come from: files next to the brand")
    files: list[FontFile] = Field(min_length=1, description="one file per weight and style")


class TypeRole(BaseModel):
    """Typography for one role (base text, headings)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # Quarto's shorthand: `base: Inter` names only the family.
        return {"family": value} if isinstance(value, str) else value

    family: str = Field(
        pattern=CSS_SAFE, description="one of the font families listed in `fonts`", examples=["Source Sans 3"]
    )
    size: str | None = Field(default=None, pattern=CSS_SIZE, description="the text size", examples=["10pt"])
    weight: int | None = Field(default=None, description="the weight used for this role", examples=[600])
    line_height: float | None = Field(
        default=None, alias="line-height", description="line spacing, as a multiple of the size", examples=[1.42]
    )


class Typography(BaseModel):
    """Font files and which family serves which role."""

    model_config = ConfigDict(extra="allow", frozen=True)
    fonts: list[FontFamily] = Field(min_length=1, description="the font families the brand ships")
    base: TypeRole = Field(description="body text")
    headings: TypeRole = Field(description="headings, chart titles and labels")


class Colors(BaseModel):
    """Named palette plus roles that refer to palette names or hex values."""

    model_config = ConfigDict(extra="allow", frozen=True)
    palette: dict[str, str] = Field(
        default_factory=dict, description="named colours, each #rrggbb", examples=[{"navy": "#1f3a5f"}]
    )
    foreground: str = Field(description="text colour: a palette name or #rrggbb", examples=["ink"])
    background: str = Field(
        default="#ffffff", description="page colour: a palette name or #rrggbb", examples=["#fdfcf8"]
    )
    primary: str = Field(description="the accent: headings and rules", examples=["navy"])
    secondary: str = Field(description="secondary text: subtitles, captions, page furniture", examples=["slate"])
    light: str = Field(description="light fills and chart gridlines", examples=["mist"])

    @model_validator(mode="after")
    def _resolvable(self) -> Colors:
        for name, value in self.palette.items():
            if not _HEX.fullmatch(value):
                raise ValueError(f"palette colour {name!r} must be #rrggbb, got {value!r}")
        for role in ("foreground", "background", "primary", "secondary", "light"):
            self.resolve(getattr(self, role), role)
        return self

    def resolve(self, value: str, role: str = "colour") -> str:
        """A palette name or a hex value, as hex."""
        hexa = self.palette.get(value, value)
        if not _HEX.fullmatch(hexa):
            raise ValueError(f"{role} {value!r} is neither a palette name nor #rrggbb")
        return hexa.lower()


class Meta(BaseModel):
    """Who publishes the brief."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(description="the organisation's name, on every edition", examples=["Open Policy Briefs"])


class ChartDefaults(BaseModel):
    """``defaults.brief`` in the brand file: how charts colour the things they compare."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    series_colors: dict[str, str] = Field(
        default_factory=dict,
        alias="series-colors",
        description="a colour for each series or label, kept in every chart",
        examples=[{"United States": "navy"}],
    )
    other_series: list[str] = Field(
        default_factory=list,
        alias="other-series",
        description="colours given in turn to the series the brand does not name (dates, scenarios), "
        "each kept for its series in every chart of a brief",
        examples=[["teal", "ochre"]],
    )
    highlight: str = Field(default="primary", description="the colour of highlighted marks", examples=["crimson"])
    muted: str = Field(
        default="secondary", description="the colour of the other marks (never one series)", examples=["silver"]
    )


class Brand(BaseModel):
    """The whole brand file."""

    model_config = ConfigDict(extra="allow", frozen=True)
    meta: Meta = Field(description="who publishes the brief")
    color: Colors = Field(description="the palette and the colour of each role")
    typography: Typography = Field(description="font files and the family of each role")
    # Quarto's forms: a path, or sizes {small, medium, large}; the masthead uses medium.
    logo: str | dict[str, str] | None = Field(
        default=None,
        description="the masthead logo: a path, or paths by size (small, medium, large; medium is used)",
        examples=["logo.svg"],
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="settings for tools; `brief` reads its chart colours from `defaults.brief`",
        examples=[{"brief": {"highlight": "primary"}}],
    )
    _folder: Path = PrivateAttr(default=Path("."))
    # Folders a relative logo or font path is looked up in, in order: the brand file's own,
    # then the built-in theme's, so a workspace brand can name the theme's fonts.
    _folders: tuple[Path, ...] = PrivateAttr(default=())

    def locate(self, relative: str) -> Path:
        """A logo or font path from the brand file, as an absolute path (first folder that has it)."""
        folders = self._folders or (self._folder,)
        return next((f / relative for f in folders if os.path.lexists(f / relative)), folders[0] / relative)

    @property
    def logo_path(self) -> Path | None:
        """The logo file for the masthead (medium, else small or large), or None."""
        if self.logo is None:
            return None
        name = (
            self.logo
            if isinstance(self.logo, str)
            else next((self.logo[k] for k in ("medium", "small", "large") if k in self.logo), None)
        )
        return self.locate(name) if name else None

    @property
    def logo_url(self) -> str | None:
        """The logo as a file URL for the layout, or None."""
        path = self.logo_path
        return path.resolve().as_uri() if path else None

    @property
    def chart(self) -> ChartDefaults:
        """Chart colour rules (``defaults.brief``)."""
        return ChartDefaults.model_validate(self.defaults.get("brief", {}))

    def hex(self, name: str) -> str:
        """A palette name, a colour role (``primary``) or a hex value, as hex."""
        role = getattr(self.color, name, None) if name in Colors.model_fields else None
        return self.color.resolve(role if isinstance(role, str) else name, name)

    def css_variables(self) -> dict[str, str]:
        """Custom properties for the stylesheet: every palette colour, role and font."""
        out = {f"--palette-{k}": v.lower() for k, v in self.color.palette.items()}
        for role in ("foreground", "background", "primary", "secondary", "light"):
            out[f"--color-{role}"] = self.hex(role)
        for name, value in self.chart.series_colors.items():
            out[f"--series-{_slug(name)}"] = self.hex(value)
        out["--font-base"] = f'"{self.typography.base.family}"'
        out["--font-headings"] = f'"{self.typography.headings.family}"'
        if self.typography.base.size:
            out["--font-size-base"] = self.typography.base.size
        if self.typography.base.line_height:
            out["--line-height-base"] = str(self.typography.base.line_height)
        return out

    def font_files(self) -> list[Path]:
        """Every font file, as an absolute path (relative paths are from the brand file's folder,
        else the built-in theme's)."""
        return [self.locate(f.path) for fam in self.typography.fonts for f in fam.files]

    def css(self) -> str:
        """The stylesheet preamble: ``@font-face`` rules for the font files, then the variables."""
        faces = [
            f'@font-face {{ font-family: "{fam.family}"; src: url("{self.locate(f.path).as_uri()}"); '
            f"font-weight: {f.weight}; font-style: {f.style}; }}"
            for fam in self.typography.fonts
            for f in fam.files
        ]
        variables = "".join(f"\n  {k}: {v};" for k, v in self.css_variables().items())
        return "\n".join(faces) + "\n:root {" + variables + "\n}\n"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _check_chart_defaults(brand: Brand, node: Any, path: Path) -> None:
    # defaults is free-form for other tools (as in Quarto); only our own key is checked.
    ours = node.get("defaults", {}).get("brief") if hasattr(node, "get") else None
    if ours is None:
        return
    rules = validate(ChartDefaults, ours, path)
    named: dict[tuple[str | int, ...], str] = {
        **{("series-colors", k): v for k, v in rules.series_colors.items()},
        **{("other-series", i): v for i, v in enumerate(rules.other_series)},
        ("highlight",): rules.highlight,
        ("muted",): rules.muted,
    }
    for loc, colour in named.items():
        try:
            brand.hex(colour)
        except ValueError as exc:
            raise DataError(
                f"defaults.brief.{'.'.join(map(str, loc))}: {exc}",
                path,
                line_of(node, ["defaults", "brief", *loc]),
                hint=f"palette colours: {', '.join(brand.color.palette) or 'none'}",
            ) from None


def load_brand(templates: TemplateSet | Path) -> Brand:
    """Read the winning ``brand.yml`` (overlay, workspace, then the theme's) and check its files."""
    if isinstance(templates, Path):
        templates = TemplateSet(templates, ".")
    found = templates.find_shared("brand.yml")
    path = found or templates.theme / "brand.yml"
    if found is None:
        raise DataError(
            "the built-in theme has no brand file", path, hint="reinstall brief, or add templates/brand.yml"
        )
    node = read_yaml(path, path.parent)
    theme_brand = templates.theme / "brand.yml"
    if path.resolve() != theme_brand.resolve() and theme_brand.is_file():
        node = _inherit(YamlMap(1) if node is None else node, read_yaml(theme_brand, theme_brand.parent))
    brand = validate(Brand, node, path)
    _check_chart_defaults(brand, node, path)
    brand._folder = path.parent.resolve()
    brand._folders = tuple(dict.fromkeys((brand._folder, templates.theme.resolve())))
    if brand.logo_path is not None:
        _check_file(brand.logo_path, brand, "logo file", path, line_of(node, ["logo"]), MAX_BYTES)
    for i, family in enumerate(brand.typography.fonts):
        for j, font in enumerate(family.files):
            line = line_of(node, ["typography", "fonts", i, "files", j])
            what = f"font file {font.path!r} of {family.family!r}"
            _check_file(brand.locate(font.path), brand, what, path, line, MAX_FONT_BYTES)
    return brand


def _inherit(ours: Any, theirs: Any) -> Any:
    """The workspace's brand with what it leaves out taken from the theme's: mappings are merged
    key by key, anything else (a list, a colour) is the workspace's. The font list gains the
    theme's families it does not list, so a role it leaves to the theme keeps its font. A key
    taken from the theme is reported, if ever, at the line of the mapping that lacks it."""
    if not (isinstance(ours, YamlMap) and isinstance(theirs, dict)):
        return ours
    merged = YamlMap(ours.line)
    merged.update(ours)
    merged.key_lines = dict(ours.key_lines)
    for key, value in theirs.items():
        if key not in ours:
            merged[key], merged.key_lines[key] = value, ours.line
        elif key == "fonts" and isinstance(ours[key], YamlSeq) and isinstance(value, list):
            merged[key] = _more_fonts(ours[key], value)
        elif isinstance(ours[key], str) and isinstance(value, dict) and "family" in value:
            # `base: Inter` (Quarto's shorthand) changes the family and keeps the theme's size.
            role = YamlMap(ours.key_lines[key])
            role["family"], role.key_lines["family"] = ours[key], ours.key_lines[key]
            merged[key] = _inherit(role, value)
        else:
            merged[key] = _inherit(ours[key], value)
    return merged


def _more_fonts(ours: YamlSeq, theirs: list[Any]) -> YamlSeq:
    named = {f.get("family") for f in ours if isinstance(f, dict)}
    out = YamlSeq(ours.line)
    out.extend(ours)
    out.item_lines = list(ours.item_lines)
    for family in theirs:
        if isinstance(family, dict) and family.get("family") not in named:
            out.append(family)
            out.item_lines.append(ours.line)
    return out


def _check_file(file: Path, brand: Brand, what: str, brand_path: Path, line: int | None, limit: int) -> None:
    """A logo or font file must be a readable regular file inside the folder it was found in."""
    if not os.path.lexists(file):
        name = repr(file.name) if what == "logo file" else ""
        raise DataError(
            f"{what}{' ' + name if name else ''} not found",
            brand_path,
            line,
            hint=f"{what.split()[0]} paths are relative to the brand file's folder (or the built-in theme's)",
        )
    layer = next((f for f in brand._folders if file.is_relative_to(f)), brand._folder)
    try:
        check_input(file, layer, limit)
    except DataError as exc:
        raise DataError(f"{what} cannot be used: {exc.message}", brand_path, line, hint=exc.hint) from None
