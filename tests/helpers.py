"""Helpers that tests import: workspace copies, file edits, text folding, requests and renders.

Fixtures live in conftest.py (pytest finds them there); everything a test calls by name lives
here, so importing it never depends on pytest's conftest machinery.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.model.request import BuildRequest, cache_dir, source_date
from brief.model.results import BuildResult
from brief.pipeline.build import build
from brief.pipeline.draw import DrawJob, draw_specs
from brief.pipeline.prepare import Resolved, prepare_job, templates_for
from brief.pipeline.render import Rendered
from brief.pipeline.resolve import Job, resolve
from brief.workspace.brand import load_brand
from brief.workspace.load import Workspace

REPO = Path(__file__).resolve().parent.parent


# The built-in theme (layout, stylesheet, brand, fonts), package data of brief.
THEME = REPO / "src" / "brief" / "theme"


MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


def request_for(root: Path, brief: str | None = None, audience: str = "policy", **options: Any) -> BuildRequest:
    """A build request as the CLI makes it: the chart cache and ``SOURCE_DATE_EPOCH`` from the
    environment."""
    import os

    options.setdefault("cache_dir", cache_dir(os.environ))
    options.setdefault("source_date", source_date(os.environ.get("SOURCE_DATE_EPOCH")))
    return BuildRequest(root=root, brief=brief, audience=audience, **options)


def flagship_charts(audience: str) -> int:
    """How many drawn charts (not tables) the flagship's *audience* lists: tests about the tool
    count from the brief file, so a change of content is not a change of behaviour."""
    import yaml

    brief = yaml.safe_load((REPO / "briefs" / "us-china-ai-gap.yaml").read_text(encoding="utf-8"))
    listed = brief["audiences"][audience]["charts"]
    return sum(brief["charts"][c]["kind"] != "table" for c in listed)


def flagship_budget(audience: str) -> int:
    """The flagship audience's page budget, which its edition fills."""
    import yaml

    brief = yaml.safe_load((REPO / "briefs" / "us-china-ai-gap.yaml").read_text(encoding="utf-8"))
    return int(brief["audiences"][audience]["page_budget"])


WORKSPACE_PARTS = ("briefs", "data", "templates")


# The layout, stylesheet, brand and fonts a mini workspace copies from the built-in theme (it
# would find them there anyway; a copy lets a test break them).
SHARED_TEMPLATE_FILES = ("base.html.j2", "style.css", "brand.yml")


def copy_workspace(src: Path, dest: Path) -> Path:
    """Copy the workspace folders (briefs/, data/, templates/) of *src* into *dest*."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKSPACE_PARTS:
        if (src / part).is_dir():
            shutil.copytree(src / part, dest / part)
    return dest


def add_shared_templates(root: Path) -> Path:
    """Give a workspace its own copy of the theme's layout, stylesheet, brand file and fonts."""
    templates = root / "templates"
    templates.mkdir(exist_ok=True)
    for name in SHARED_TEMPLATE_FILES:
        shutil.copy(THEME / name, templates / name)
    if not (templates / "fonts").exists():
        shutil.copytree(THEME / "fonts", templates / "fonts")
    return root


def line_number(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the *occurrence*-th line of *path* containing *needle*."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times in {path}"
    return hits[occurrence - 1]


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of *old* in *path* (fails loudly if it is not there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


_HYPHENS = dict.fromkeys(map(ord, "-\u2010\u2011\u00ad"), None)


def spaced(text: str) -> str:
    """PDF text with compatibility forms folded (NBSP, ligatures), curly quotes and U+2010
    made plain, and runs of whitespace collapsed to one space."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2010", "-").replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


def squashed(text: str) -> str:
    """*text* with every space and hyphen removed, so line breaks and hyphenation
    (``Chi‐\\nna``) cannot hide a phrase; used for presence checks only."""
    return re.sub(r"\s+", "", spaced(text)).translate(_HYPHENS)


PRESS_SECTION = '## For the press\n\nAlpha installed {{ fig("widgets_alpha") }} widgets.\n'


@dataclass(frozen=True)
class PolicyBuild:
    """The real policy brief, built once: where, what build() returned, and what rendered."""

    root: Path
    result: BuildResult
    rendered: Rendered
    job: Job

    @property
    def pdf(self) -> Path:
        return self.result.path


def distribution_workspace(root: Path, distribution: str) -> Path:
    """The mini workspace copied to *root*, with the brief file's *distribution* block, the
    email templates and its policy edition built: what every distribution test starts from."""
    copy_workspace(MINI, root)
    add_shared_templates(root)
    brief = root / "briefs" / "mini.yaml"
    brief.write_text(brief.read_text(encoding="utf-8") + distribution, encoding="utf-8")
    shutil.copytree(REPO / "emails", root / "emails")
    build(request_for(root, None, "policy"))
    return root


def out_snapshot(out: Path) -> dict[str, str]:
    """The SHA-256 of every file below *out* (the PDFs, the manifest, the kept editions'
    records in out/editions/), by its path inside it: what "nothing in out/ changed" compares."""
    import hashlib

    return {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def job_for(ws: Workspace, audience: str = "policy", brief: str | None = None, **options: Any) -> Job:
    """The job :func:`brief.pipeline.resolve.resolve` makes of *ws* for *brief* (its only one
    when None) and *audience*, with any other request *options* (``variant``, ``language``,
    ``source_date``): a test that resolves a workspace it loaded itself."""
    return resolve(ws, BuildRequest(root=ws.root, brief=brief, audience=audience, **options))


def render_job(
    ws: Workspace,
    job: Job,
    overlay: Path | None = None,
    *,
    draw: Callable[[DrawJob], list[str]] = draw_specs,
    inline: bool = True,
) -> Rendered:
    """Charts and HTML for a job a test resolved itself, as :func:`brief.pipeline.prepare.prepare`
    makes them (with *overlay*, no chart cache): with *inline* each chart's SVG is in the HTML
    (the HTML edition's), without, the HTML names each chart by URL (the PDF's)."""
    request = BuildRequest(
        root=ws.root,
        brief=job.brief.id,
        audience=job.audience_name,
        overlay=overlay,
        format="html" if inline else "pdf",
    )
    templates = templates_for(ws, job, overlay)
    return prepare_job(Resolved(request, ws, job, templates, load_brand(templates)), draw).rendered


def build_wheel(folder: Path) -> Path:
    """Build brief's wheel from this checkout into *folder*, offline (the build backend is
    installed with the test tools), as the build backend's own configuration lays it out."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(folder),
         str(Path(__file__).resolve().parent.parent)],
        check=True,
        capture_output=True,
        # Nothing of this checkout on the path but what the backend reads: no inherited PYTHONPATH.
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=300,
    )  # fmt: skip
    [wheel] = folder.glob("brief-*.whl")
    return wheel


# How many times its fixed number of examples a fuzz test runs, by Hypothesis profile.
EXAMPLES_FACTOR = {"nightly": 10}


def examples(count: int) -> int:
    """A fuzz test's number of examples under the loaded Hypothesis profile (HYPOTHESIS_PROFILE):
    *count* in `dev` and `ci`, ten times as many in `nightly`."""
    return count * EXAMPLES_FACTOR.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), 1)


def killed_at_random(
    args: list[str], root: Path, env: dict[str, str], progress: Callable[[], int], target: int, delay: float
) -> int:
    """Start the command *args* in *root*, ``kill -9`` it once *progress* reaches *target* (or it
    ends, or a minute passes) and *delay* seconds later, and wait for it; the progress it
    had made when killed. The kill tests of sending and of corrections share it."""
    import time

    process = subprocess.Popen(args, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while progress() < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    process.kill()
    process.wait()
    return progress()
