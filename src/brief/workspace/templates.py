"""Where templates come from: a user's overlay, the workspace's templates/, the built-in theme.

Three layers, searched in order, each file by file: an overlay folder (``--templates DIR``),
then the workspace's ``templates/`` (in the audience's folder first, then at the top level),
then the theme that ships with brief, as Pelican layers a user's theme over its own. A
workspace holds only what it changes. A template that replaces a file and still wants to
extend the one below names it with a prefix: ``{% extends "!theme/base.html.j2" %}`` for the
built-in theme, ``{% extends "!workspace/base.html.j2" %}`` for the workspace's (which falls
back to the theme).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from brief.model.language import candidates
from brief.workspace.sandbox import BriefSandbox, TemplateRefused
from brief.workspace.theme import THEME_PREFIX, theme_dir
from brief.workspace.yamlio import read_text

WORKSPACE_PREFIX = "!workspace"
# A language folder's name: a BCP 47 tag's letters only, never a path.
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")


class ConfinedLoader(jinja2.BaseLoader):
    """Loads a template from the first of its folders that has it, each folder confined to
    its root: like the typesetter's URL fetcher, a name is resolved (symlinks and ``..``
    followed) and refused unless the file is inside the root and a regular file; it is
    read with the size and encoding checks of every workspace file."""

    def __init__(self, folders: list[tuple[Path, Path]]) -> None:
        # (folder, the root it must stay in), in search order
        self.folders = [(folder, root.resolve()) for folder, root in folders]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses ".." in the name
        for folder, root in self.folders:
            candidate = folder.joinpath(*pieces)
            if not (candidate.exists() or candidate.is_symlink()):
                continue
            path = candidate.resolve()
            if not path.is_relative_to(root):
                raise TemplateRefused(
                    f"template {template!r} leads outside the template folders",
                    hint="templates may only use files inside the template folders",
                    path=candidate,
                )
            if not path.is_file():
                if path.is_dir():
                    continue
                raise TemplateRefused(
                    f"template {template!r} is not a regular file",
                    hint="a template is a text file in the template folders",
                    path=candidate,
                )
            return read_text(path), str(path), _unchanged(path)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: Path) -> Callable[[], bool]:
    mtime = path.stat().st_mtime
    return lambda: path.is_file() and path.stat().st_mtime == mtime


@dataclass(frozen=True)
class TemplateSet:
    """The template folders one audience is rendered from."""

    workspace: Path
    folder: str
    overlay: Path | None = None
    # Looked up when the set is made, not when this module is imported.
    theme: Path = field(default_factory=lambda: theme_dir())
    # The edition's language: the audience's folder may hold a folder per language
    # (templates/AUDIENCE/de-DE/ or .../de/), searched before the audience's own.
    language: str = ""

    @property
    def _editable(self) -> list[Path]:
        # The layers a user writes: the overlay first, then the workspace.
        return [self.overlay, self.workspace] if self.overlay else [self.workspace]

    @property
    def search_path(self) -> list[Path]:
        """Folders searched for a template name, first match wins."""
        return [folder for folder, _ in self.layered]

    @property
    def layered(self) -> list[tuple[Path, Path]]:
        """The search path, each folder with the layer (overlay, workspace, theme) it must stay in."""
        users = [(p, layer) for layer in self._editable for p in (*self._own(layer), layer)]
        return [*users, (self.theme, self.theme)]

    def _own(self, layer: Path) -> list[Path]:
        # The audience's folder of the edition's language (de-DE, then de), then its own.
        own = layer / self.folder
        tags = candidates(self.language) if self.language else ()
        return [*(own / tag for tag in tags if _TAG.fullmatch(tag)), own]

    @property
    def roots(self) -> list[Path]:
        """Folders whose files a document may use (fonts, images, stylesheets)."""
        return [p for p in (self.workspace, self.overlay, self.theme) if p is not None]

    def has_audience_folder(self) -> bool:
        """Whether the audience's own folder exists in the overlay or the workspace."""
        return any((layer / self.folder).is_dir() for layer in self._editable)

    def find(self, name: str) -> Path | None:
        """The winning file called *name* (audience folder first, overlay before workspace before theme)."""
        return next((p / name for p in self.search_path if (p / name).is_file()), None)

    def find_shared(self, name: str, theme: bool = True) -> Path | None:
        """The winning top-level file called *name* (overlay, workspace, then the theme unless
        *theme* is false)."""
        layers = [*self._editable, self.theme] if theme else self._editable
        return next((layer / name for layer in layers if (layer / name).is_file()), None)

    def find_own(self, name: str) -> Path | None:
        """The winning file called *name* in the audience's own folder."""
        return next(
            (own / name for layer in self._editable for own in self._own(layer) if (own / name).is_file()), None
        )

    def environment(self) -> jinja2.Environment:
        """A sandboxed Jinja environment over the search path (user templates are untrusted)."""
        workspace = [*((own, self.workspace) for own in self._own(self.workspace)), (self.workspace, self.workspace)]
        theme = [(self.theme, self.theme)]
        loader = jinja2.ChoiceLoader(
            [
                ConfinedLoader(self.layered),
                jinja2.PrefixLoader(
                    {WORKSPACE_PREFIX: ConfinedLoader(workspace + theme), THEME_PREFIX: ConfinedLoader(theme)},
                    delimiter="/",
                ),
            ]
        )
        return BriefSandbox(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
