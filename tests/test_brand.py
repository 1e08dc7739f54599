"""The brand (brief.workspace.brand): one file feeds the stylesheet and the chart theme."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from brief.errors import DataError
from brief.workspace.brand import Brand, load_brand
from helpers import REPO, THEME, line_number, replace_in


@pytest.fixture
def brand_dir(tmp_path: Path) -> Path:
    """A writable templates folder holding the repository's brand.yml and fonts."""
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(REPO / "templates" / "brand.yml", folder / "brand.yml")
    shutil.copytree(THEME / "fonts", folder / "fonts")
    return folder


def brand_error(folder: Path) -> DataError:
    """Load the brand in *folder* and use it as the build does, expecting a DataError."""
    with pytest.raises(DataError) as info:
        brand = load_brand(folder)
        brand.css()
        for name in brand.chart.series_colors.values():
            brand.hex(name)
        brand.hex(brand.chart.highlight)
        brand.hex(brand.chart.muted)
    return info.value


def test_css_has_a_font_face_for_every_font_file(brand: Brand) -> None:
    """css() declares every font file with its family, weight and style, as a file URL
    next to the brand file (so an overlay's brand can bring its own fonts)."""
    css = brand.css()
    files = sorted(p.name for p in (THEME / "fonts").glob("*.ttf"))
    prefix = re.escape((THEME / "fonts").as_uri())
    faces = re.findall(
        r'@font-face \{ font-family: "([^"]+)"; src: url\("' + prefix + r'/([^"]+)"\); '
        r"font-weight: (\d+); font-style: (normal|italic); \}",
        css,
    )
    assert sorted(f[1] for f in faces) == files
    assert {f[0] for f in faces} == {"Source Serif 4", "Source Sans 3"}
    assert ("Source Serif 4", "SourceSerif4-BoldIt.ttf", "700", "italic") in faces


def test_css_variables(brand: Brand) -> None:
    """css() sets colour roles, palette, series colours and fonts as custom properties."""
    css = brand.css()
    for line in (
        "--color-primary: #1f3a5f;",
        "--color-foreground: #1c2330;",
        "--palette-crimson: #b4283b;",
        "--series-united-states: #1f3a5f;",
        "--series-china: #b4283b;",
        '--font-base: "Source Serif 4";',
        '--font-headings: "Source Sans 3";',
        "--font-size-base: 10pt;",
        "--line-height-base: 1.33;",
    ):
        assert line in css
    assert css.index("@font-face") < css.index(":root {")


@pytest.mark.parametrize(
    ("name", "hexa"),
    [
        ("primary", "#1f3a5f"),
        ("navy", "#1f3a5f"),
        ("foreground", "#1c2330"),
        ("#ABCDEF", "#abcdef"),
    ],
    ids=["role", "palette", "role-to-palette", "hex"],
)
def test_hex_resolves_roles_palette_and_hex(brand: Brand, name: str, hexa: str) -> None:
    """hex() accepts a role, a palette name or a hex value and returns lower-case hex."""
    assert brand.hex(name) == hexa


def test_chart_defaults(brand: Brand) -> None:
    """defaults.brief gives each country its colour and names highlight and muted colours."""
    chart = brand.chart
    assert chart.series_colors == {"United States": "navy", "China": "crimson"}
    assert (chart.highlight, chart.muted) == ("primary", "silver")


def test_unresolvable_role_is_a_data_error_with_line(brand_dir: Path) -> None:
    """A colour role naming no palette colour is a DataError in brand.yml, at the colour block."""
    path = brand_dir / "brand.yml"
    replace_in(path, "primary: navy", "primary: navvy")
    error = brand_error(brand_dir)
    assert error.path == path
    assert error.line is not None
    assert line_number(path, "color:") <= error.line <= line_number(path, "primary: navvy")
    assert "primary 'navvy' is neither a palette name nor #rrggbb" in error.message


def test_palette_colour_must_be_hex(brand_dir: Path) -> None:
    """A palette entry that is not #rrggbb is a DataError naming it."""
    path = brand_dir / "brand.yml"
    replace_in(path, 'navy: "#1f3a5f"', "navy: dark blue")
    error = brand_error(brand_dir)
    assert error.path == path and error.line is not None
    assert "palette colour 'navy' must be #rrggbb, got 'dark blue'" in error.message


BRAND_DEFAULT_CASES = {
    "series-colour": ("China: crimson", "China: crimsn"),
    "muted": ("muted: silver", "muted: silvr"),
    "unknown-key": ("highlight: primary", "hilite: primary"),
}


@pytest.mark.parametrize("case", list(BRAND_DEFAULT_CASES), ids=list(BRAND_DEFAULT_CASES))
def test_chart_defaults_are_validated(brand_dir: Path, case: str) -> None:
    """A bad colour or key in defaults.brief is a DataError in brand.yml with its line."""
    old, new = BRAND_DEFAULT_CASES[case]
    path = brand_dir / "brand.yml"
    replace_in(path, old, new)
    error = brand_error(brand_dir)
    assert (error.path, error.line) == (path, line_number(path, new))


def test_missing_font_file(brand_dir: Path) -> None:
    """A font file that neither the brand's folder nor the theme has is a DataError naming the
    file and the family, at its line."""
    path = brand_dir / "brand.yml"
    replace_in(path, "fonts/SourceSans3-Bold.ttf", "fonts/SourceSans3-Heavy.ttf")
    error = brand_error(brand_dir)
    assert error.message == "font file 'fonts/SourceSans3-Heavy.ttf' of 'Source Sans 3' not found"
    assert (error.path, error.line) == (path, line_number(path, "SourceSans3-Heavy.ttf"))


def test_a_font_the_workspace_lacks_comes_from_the_theme(brand_dir: Path) -> None:
    """A brand naming a font file that is not next to it uses the built-in theme's file of that
    name; one that is next to it wins over the theme's."""
    (brand_dir / "fonts" / "SourceSans3-Bold.ttf").unlink()
    brand = load_brand(brand_dir)
    files = {p.name: p for p in brand.font_files()}
    assert files["SourceSans3-Bold.ttf"] == THEME.resolve() / "fonts" / "SourceSans3-Bold.ttf"
    assert files["SourceSans3-Regular.ttf"] == brand_dir.resolve() / "fonts" / "SourceSans3-Regular.ttf"
    assert (THEME.resolve() / "fonts" / "SourceSans3-Bold.ttf").as_uri() in brand.css()


def test_no_brand_file_means_the_theme_brand(tmp_path: Path) -> None:
    """A templates folder without brand.yml uses the built-in theme's brand and fonts."""
    brand = load_brand(tmp_path)
    assert brand.meta.name == "Your organisation"
    assert all(p.is_relative_to(THEME.resolve()) for p in brand.font_files())


BREAKOUT = 'fonts/x.ttf\\"); } body { background: url(\\"http://evil/'


@pytest.mark.parametrize("value", [BREAKOUT, "fonts/a;b.ttf"], ids=["quote-and-brace", "semicolon"])
def test_font_path_cannot_break_out_of_css(brand_dir: Path, value: str) -> None:
    """A font path with characters that could end the CSS string or rule is rejected."""
    path = brand_dir / "brand.yml"
    replace_in(path, "{path: fonts/SourceSans3-Bold.ttf, weight: 700}", f'{{path: "{value}", weight: 700}}')
    error = brand_error(brand_dir)
    assert error.path == path
    assert error.line == line_number(path, f'{{path: "{value[:8]}')
    assert "typography.fonts.1.files.3.path" in error.message
