"""Build hook: the wheel carries the flagship brief (and examples/) as ``brief init`` examples,
and docs/*.md for ``brief docs``.

The flagship and the docs live at the top of the repository, where their tests and README use
them; copying them into the built package at build time keeps one copy in the source tree and
one in the wheel, never two to edit. Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
FLAGSHIP = "us-china-ai-gap"
# The same as brief.workspace.theme.WORKSPACE_FOLDERS and WORKSPACE_FILES (a build hook cannot
# import the package it builds).
FOLDERS = ("briefs", "data", "templates", "emails")
FILES = ("recipients.csv",)


class BuildWithExamples(build_py):
    """build_py, then the example workspaces into brief/examples/ and the docs into brief/docs/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout
        docs = Path(self.build_lib) / "brief" / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        for page in sorted((HERE / "docs").glob("*.md")):
            shutil.copyfile(page, docs / page.name)
        target = Path(self.build_lib) / "brief" / "examples"
        sources = {FLAGSHIP: HERE}
        if (HERE / "examples").is_dir():
            sources |= {p.name: p for p in (HERE / "examples").iterdir() if (p / "briefs").is_dir()}
        for name, source in sources.items():
            (target / name).mkdir(parents=True, exist_ok=True)
            for file in FILES:
                if (source / file).is_file():
                    shutil.copyfile(source / file, target / name / file)
            for folder in FOLDERS:
                if (source / folder).is_dir():
                    shutil.copytree(
                        source / folder,
                        target / name / folder,
                        dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".*"),
                    )


setup(cmdclass={"build_py": BuildWithExamples})
