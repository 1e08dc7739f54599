"""Where templates come from: the workspace's templates/, and a user's overlay on top.

An overlay folder (``--templates DIR``) wins file by file over the workspace's templates,
in the audience's folder first, then at the top level, as Pelican layers a user's theme
over its own. A template that replaces a file and still wants to extend the original
names it with the ``!workspace/`` prefix: ``{% extends "!workspace/base.html.j2" %}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from brief.workspace.sandbox import BriefSandbox

WORKSPACE_PREFIX = "!workspace"


@dataclass(frozen=True)
class TemplateSet:
    """The template folders one audience is rendered from."""

    workspace: Path
    folder: str
    overlay: Path | None = None

    @property
    def search_path(self) -> list[Path]:
        """Folders searched for a template name, first match wins."""
        layers = [self.overlay, self.workspace] if self.overlay else [self.workspace]
        return [p for layer in layers for p in (layer / self.folder, layer)]

    @property
    def roots(self) -> list[Path]:
        """Folders whose files a document may use (fonts, images, stylesheets)."""
        return [p for p in (self.workspace, self.overlay) if p is not None]

    def has_audience_folder(self) -> bool:
        """Whether the audience's own folder exists in the overlay or the workspace."""
        layers = [self.overlay, self.workspace] if self.overlay else [self.workspace]
        return any((layer / self.folder).is_dir() for layer in layers)

    def find(self, name: str) -> Path | None:
        """The winning file called *name* (audience folder first, overlay before workspace)."""
        return next((p / name for p in self.search_path if (p / name).is_file()), None)

    def find_shared(self, name: str) -> Path | None:
        """The winning top-level file called *name* (overlay before workspace)."""
        layers = [self.overlay, self.workspace] if self.overlay else [self.workspace]
        return next((layer / name for layer in layers if (layer / name).is_file()), None)

    def find_own(self, name: str) -> Path | None:
        """The winning file called *name* in the audience's own folder."""
        layers = [self.overlay, self.workspace] if self.overlay else [self.workspace]
        return next((layer / self.folder / name for layer in layers
                     if (layer / self.folder / name).is_file()), None)

    def environment(self) -> jinja2.Environment:
        """A sandboxed Jinja environment over the search path (user templates are untrusted)."""
        original = jinja2.FileSystemLoader([str(self.workspace / self.folder), str(self.workspace)])
        loader = jinja2.ChoiceLoader([
            jinja2.FileSystemLoader([str(p) for p in self.search_path]),
            jinja2.PrefixLoader({WORKSPACE_PREFIX: original}, delimiter="/"),
        ])
        return BriefSandbox(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
