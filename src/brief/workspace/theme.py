"""The built-in theme: the layout, print stylesheet, brand, fonts and shared sections that ship
inside the package, so a workspace holds only what it changes.

The files are package data, found with :mod:`importlib.resources`. They must be real files
on disk (WeasyPrint and vl-convert read fonts by path), which every wheel or source install
gives; a zipped install is refused with a clear message rather than typeset without fonts.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from brief.errors import DataError, WorkspaceError
from brief.workspace.files import check_input

THEME_PREFIX = "!theme"


@cache
def theme_dir() -> Path:
    """The folder of the built-in theme."""
    folder = files("brief") / "theme"
    path = Path(str(folder))
    if not path.is_dir():
        raise WorkspaceError(
            "the built-in theme is missing from this installation",
            path,
            hint="reinstall brief from its wheel or source (a zipped install cannot be used)",
        )
    return path


def starter_dir() -> Path:
    """The folder of the starter workspace that ``brief init`` copies."""
    return Path(str(files("brief") / "starter"))


FLAGSHIP = "us-china-ai-gap"
# The folders and files of a workspace that an example is made of (out/ is made empty).
WORKSPACE_FOLDERS = ("briefs", "data", "templates", "emails")
WORKSPACE_FILES = ("recipients.csv",)


def examples() -> dict[str, Path]:
    """The example workspaces ``brief init --example`` can copy, by name.

    A wheel carries them under ``brief/examples/`` (copied there when it is built); a source
    checkout installed for development reads them where they live: the flagship at the top of
    the repository and the others under ``examples/``."""
    packaged = Path(str(files("brief") / "examples"))
    if packaged.is_dir():
        return {p.name: p for p in sorted(packaged.iterdir()) if (p / "briefs").is_dir()}
    checkout = Path(__file__).resolve().parents[3]
    if not (checkout / "briefs" / f"{FLAGSHIP}.yaml").is_file():
        return {}
    found = {FLAGSHIP: checkout}
    if (checkout / "examples").is_dir():
        found |= {p.name: p for p in sorted((checkout / "examples").iterdir()) if (p / "briefs").is_dir()}
    return found


# What every build reads from the theme unless a workspace replaces it.
REQUIRED = ("base.html.j2", "style.css", "brand.yml")
REINSTALL = "reinstall brief (e.g. pipx reinstall brief) to restore its theme"


def theme_problems(theme: Path) -> list[WorkspaceError]:
    """Every required theme file that is missing or cannot be read, as an error naming it."""
    problems = []
    for name in REQUIRED:
        try:
            check_input(theme / name, theme)
        except DataError as exc:
            problems.append(
                WorkspaceError(
                    f"the built-in theme's {name} cannot be used: {exc.message}", theme / name, hint=REINSTALL
                )
            )
    return problems


def theme_files() -> list[Path]:
    """Every file of the built-in theme, in a stable order (for digests)."""
    root = theme_dir()
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
