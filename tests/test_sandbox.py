"""Untrusted templates: what a template overlay (``--templates DIR``) or the workspace's
templates/ can see and do. Each promise is tested end to end through the command line
where it is visible there, and on the render context itself."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner, Result
from markupsafe import Markup

import brief.pipeline.render as render_module
from brief.cli import cli
from brief.errors import CheckFailed, TemplateError
from brief.model.request import BuildRequest
from brief.pipeline.render import Rendered, render
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand
from brief.workspace.sandbox import TemplateFunction
from brief.workspace.templates import TemplateSet
from helpers import REPO, copy_workspace

SECRET = "TOP-SECRET-CONTENT"
PDF = "us-china-ai-gap-policy.pdf"


def run(*args: str) -> Result:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def hostile(tmp_path: Path) -> Callable[..., tuple[Path, Path, Result]]:
    """Build the policy brief in a copy of the workspace with an overlay whose
    ``policy/bottom-line.md.j2`` is *text* (and any other *files*)."""

    def build(text: str, files: dict[str, str] | None = None, fmt: str = "pdf") -> tuple[Path, Path, Result]:
        root = copy_workspace(REPO, tmp_path / "ws")
        (tmp_path / "secret.txt").write_text(SECRET)
        overlay = tmp_path / "theme"
        (overlay / "policy").mkdir(parents=True, exist_ok=True)
        (overlay / "policy" / "bottom-line.md.j2").write_text(text, encoding="utf-8")
        for name, content in (files or {}).items():
            (overlay / name).parent.mkdir(parents=True, exist_ok=True)
            (overlay / name).write_text(content, encoding="utf-8")
        args = ["-C", str(root), "build", "--audience", "policy", "--templates", str(overlay)]
        result = run(*args, *(["--format", fmt] if fmt != "pdf" else []))
        return root, overlay, result

    return build


def render_mini(job: Job, brand: Brand, text: str) -> Rendered:
    """Render the mini brief (no charts) with *text* as its intro section, the layout and
    stylesheet from the repository."""
    (job.root / "templates" / "policy" / "intro.md.j2").write_text(text, encoding="utf-8")
    return render(job, {}, brand, TemplateSet(REPO / "templates", "policy", job.root / "templates"))


def refused(root: Path, result: Result, where: str) -> str:
    """The one error line of a refused build, which names *where*; nothing was written
    and no outside file's content appears."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert SECRET not in result.output and "root:x:0:0" not in result.output
    errors = [e for e in result.stderr.splitlines() if ": error: " in e or e.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert re.match(rf"\S*{re.escape(where.rstrip(': '))}(?::\d+)*: error: ", errors[0]), errors[0]
    assert not (root / "out" / PDF).exists() and not (root / "out" / PDF.replace(".pdf", ".html")).exists()
    return errors[0]


# --- 1. templates see only inert data ----------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        '{{ brand.font_files()[0].joinpath("SECRET").read_text() }}',
        '{{ brand.logo_path.joinpath("SECRET").read_text() }}',
        "{{ brief.model_dump_json() }}",
        "{{ brief.copy() }}",
        "{{ brief.date.today() }}",
        "{{ audience.model_fields }}",
        "{{ fig.__self__.job.root }}",
    ],
)
def test_overlay_cannot_reach_objects_with_methods(
    hostile: Callable[..., tuple[Path, Path, Result]], tmp_path: Path, attack: str
) -> None:
    """Templates are given plain data: no path, model or date method a template could use
    to read a file (the brand's font files were pathlib.Path objects)."""
    root, _, result = hostile("Line one.\n" + attack.replace("SECRET", str(tmp_path / "secret.txt")) + "\n")
    line = refused(root, result, "theme/policy/bottom-line.md.j2:2: ")
    assert "no attribute" in line or "unsafe" in line or "undefined" in line, line


def _walk(value: Any, where: str, bad: list[str]) -> None:
    if type(value) in (str, Markup, int, float, bool, type(None), dt.date, TemplateFunction):
        return
    if type(value) is MappingProxyType:
        for key, item in value.items():
            assert type(key) is str
            _walk(item, f"{where}.{key}", bad)
    elif type(value) is tuple:
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", bad)
    else:
        bad.append(f"{where}: {type(value).__module__}.{type(value).__qualname__}")


def test_render_context_is_inert(monkeypatch: pytest.MonkeyPatch, mini_job: Job, brand: Brand) -> None:
    """Every value every template is given (sections and layout) is a str, number, bool,
    None, date, Markup, read-only mapping or tuple of those, or one of our functions."""
    seen: list[dict[str, Any]] = []
    real = render_module._render_template

    def recording(env: Any, name: str, context: dict[str, Any], search_path: list[Path]) -> str:
        seen.append(context)
        return real(env, name, context, search_path)

    monkeypatch.setattr(render_module, "_render_template", recording)
    brand = brand.model_copy(update={"logo": "fonts/LICENSE-SourceSans3.md"})  # so logo_url is given
    rendered = render_mini(mini_job, brand, 'Alpha {{ fig("widgets_alpha") }}, {{ cite("report-a") }}.\n')
    assert rendered.html and len(seen) >= 2
    bad: list[str] = []
    for context in seen:
        for name, value in context.items():
            _walk(value, name, bad)
    assert bad == []
    layout = seen[-1]
    assert {"brief", "audience", "brand", "sections", "notes", "stylesheets", "fig"} <= set(layout)
    assert type(layout["brief"]["date"]) is dt.date
    assert isinstance(layout["brand"]["logo_url"], str)


def test_dates_give_only_their_parts_and_formats(mini_job: Job, brand: Brand) -> None:
    """A date formats itself; its other methods (today(), replace()) are refused."""
    html = render_mini(mini_job, brand, "Dated {{ brief.date.strftime('%Y') }} {{ brief.date.isoformat() }}.\n").html
    assert re.search(r"Dated \d{4} \d{4}-\d\d-\d\d\.", html)
    with pytest.raises(TemplateError, match="unsafe"):
        render_mini(mini_job, brand, "{{ brief.date.replace(year=1) }}\n")


# --- 2. the template loader stays in its folders -----------------------------------


@pytest.mark.parametrize("how", ["symlink", "symlinked-folder", "fifo"])
def test_includes_stay_inside_the_template_folders(
    hostile: Callable[..., tuple[Path, Path, Result]], tmp_path: Path, how: str
) -> None:
    """An include that resolves (through a symlink) outside the overlay, or to something that
    is not a regular file, is refused at the include's line; nothing of the file is shown."""
    import os

    theme = tmp_path / "theme"
    theme.mkdir()
    name = {"symlink": "leak.html", "symlinked-folder": "outside/secret.txt", "fifo": "pipe.html"}[how]
    if how == "symlink":
        (theme / "leak.html").symlink_to(tmp_path / "secret.txt")
    elif how == "symlinked-folder":
        (theme / "outside").symlink_to(tmp_path)
    else:
        os.mkfifo(theme / "pipe.html")
    root, _, result = hostile(f'Line one.\n{{% include "{name}" %}}\n')
    line = refused(root, result, "theme/policy/bottom-line.md.j2:2: ")
    assert "outside the template folders" in line or "not a regular file" in line, line


def test_a_section_that_links_outside_is_refused(tmp_path: Path) -> None:
    """A section template that is itself a symlink out of the overlay is refused before its
    text is read (the check used to parse it, and quote its numbers)."""
    root = copy_workspace(REPO, tmp_path / "ws")
    (tmp_path / "secret.txt").write_text(f"{SECRET} 4242\n")
    (tmp_path / "theme" / "policy").mkdir(parents=True)
    (tmp_path / "theme" / "policy" / "bottom-line.md.j2").symlink_to(tmp_path / "secret.txt")
    result = run("-C", str(root), "build", "--audience", "policy", "--templates", str(tmp_path / "theme"))
    line = refused(root, result, "theme/policy/bottom-line.md.j2: ")
    assert "leads outside the template folders" in line and "4242" not in result.output


def test_audience_template_folder_must_stay_under_templates(tmp_path: Path) -> None:
    """The brief file's ``templates:`` is a folder name under templates/: ``..`` parts are a
    DataError naming the brief file and the line."""
    root = copy_workspace(REPO, tmp_path / "ws")
    brief = root / "briefs" / "us-china-ai-gap.yaml"
    text = brief.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "policy:")
    label = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("label:"))
    indent = lines[label][: len(lines[label]) - len(lines[label].lstrip())]
    lines.insert(label + 1, f"{indent}templates: policy/../../../../etc")
    brief.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("-C", str(root), "build", "--audience", "policy")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"briefs/us-china-ai-gap.yaml:{label + 2}: error: " in result.stderr, result.stderr
    assert "no '.' or '..' parts" in result.stderr


# --- 6. brief check checks an overlay like the workspace --------------------------------


def test_check_runs_every_template_check_over_an_overlay(tmp_path: Path) -> None:
    """check() with an overlay reads the overlay's templates through the confined loader and
    reports, at their lines: a syntax error, an unknown figure, a hand-typed number, in the
    overlay's sections and in the partials and layouts they include or extend, and a file
    that leads outside the template folders."""
    from brief.pipeline.check import checked_for

    root = copy_workspace(REPO, tmp_path / "ws")
    (tmp_path / "secret.txt").write_text(SECRET)
    theme = tmp_path / "theme"
    (theme / "policy").mkdir(parents=True)
    (theme / "policy" / "bottom-line.md.j2").write_text(
        'Fine {{ fig("no_such_figure") }}.\n{% include "partial.md.j2" %}\n{% include "leak.md.j2" %}\n'
    )
    (theme / "partial.md.j2").write_text("Typed 1234 by hand.\n")
    (theme / "leak.md.j2").symlink_to(tmp_path / "secret.txt")
    (theme / "policy" / "method.md.j2").write_text("Broken {{ fig( }}\n")
    (theme / "base.html.j2").write_text(
        '{% extends "!workspace/base.html.j2" %}\n{% block extra_head %}{{ cite("no-such-source") }}{% endblock %}\n'
    )
    with pytest.raises(CheckFailed) as failed:
        checked_for(BuildRequest(root=root, audience="policy", overlay=theme))
    found = {
        (p.path.name if p.path else None, p.line, p.message.split(":")[0])
        for p in failed.value.problems
        if p.severity == "error"
    }
    assert ("bottom-line.md.j2", 1, "unknown figure 'no_such_figure'") in found
    assert ("partial.md.j2", 1, "hand-typed number '1234' in narrative text") in found
    assert ("bottom-line.md.j2", 3, "template 'leak.md.j2' leads outside the template folders") in found
    assert ("method.md.j2", 1, "template syntax error") in found
    assert ("base.html.j2", 2, "unknown source 'no-such-source'") in found


# --- 3. rendering is bounded in time, work and size ------------------------------------

BOUNDED = {
    "nested-loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "steps to render",
    ),
    "huge-range": ("{% for i in range(10**9) %}{% endfor %}", "range() of 1,000,000,000 numbers"),
    "recursive-macro": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "calls nest over"),
    "recursive-include": ('{% include "intro.md.j2" %}', "templates nest too deeply"),
    "big-output": ('{% for i in range(100000) %}{{ "x" * 100 }}{% endfor %}', "writes over 5 MB"),
    "big-string": ('{{ "x" * 10**9 }}', "builds a value of over 5 MB"),
    "doubling": (
        '{% set ns = namespace(s="xxxxxxxx") %}{% for i in range(40) %}'
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "builds a value of over 5 MB",
    ),
    "power": ("{{ 7 ** 99999999 }}", "too large"),
    # Refused before they run: each would allocate gigabytes before its size could be checked.
    "zfill": ('{{ "x".zfill(3000000000)|length }}', "builds a value of over 5 MB"),
    "expandtabs": ('{{ ("x\t" * 1000000).expandtabs(100000)|length }}', "builds a value of over 5 MB"),
    "replace": ('{{ ("x" * 4000000).replace("x", "yy")|length }}', "builds a value of over 5 MB"),
    "center-filter": ('{{ ("x" * 1000)|center(9000000)|length }}', "builds a value of over 5 MB"),
    "join": ('{{ ("x" * 4000000).join(["a", "b", "c"])|length }}', "builds a value of over 5 MB"),
    "division": ("{{ 1 / 0 }}", "division by zero"),
}


@pytest.mark.parametrize("case", list(BOUNDED), ids=list(BOUNDED))
def test_rendering_is_bounded(mini_job: Job, brand: Brand, case: str) -> None:
    """Loops, recursion and string building that would hang the build, exhaust memory or
    end in a traceback are a TemplateError naming the template and its line."""
    text, words = BOUNDED[case]
    with pytest.raises(TemplateError) as info:
        render_mini(mini_job, brand, f"Line one.\n{text}\n")
    assert words in info.value.message, info.value.message
    assert info.value.path is not None and info.value.path.name == "intro.md.j2"
    assert info.value.line == 2


def test_rendering_has_a_deadline(
    monkeypatch: pytest.MonkeyPatch, hostile: Callable[..., tuple[Path, Path, Result]]
) -> None:
    """A render that runs past the deadline stops with one error line, end to end."""
    import brief.workspace.sandbox as sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.5)
    root, _, result = hostile(
        "Line one.\n{% for i in range(100000) %}{% for j in range(100000) %}"
        "{{ range(10)|sum }}{% endfor %}{% endfor %}\n"
    )
    line = refused(root, result, "theme/policy/bottom-line.md.j2:2: ")
    assert "take over 0.5 s to render" in line


# --- 5. a byte order mark is not text -----------------------------------------------------


def test_a_byte_order_mark_is_stripped(mini_job: Job, brand: Brand) -> None:
    """A template saved with a UTF-8 byte order mark renders as if it had none: the mark
    reaches neither the output nor the line numbers."""
    path = mini_job.root / "templates" / "policy" / "intro.md.j2"
    render_mini(mini_job, brand, "placeholder\n")
    path.write_bytes(b"\xef\xbb\xbf" + b'Alpha {{ fig("widgets_alpha") }}.\n')
    templates = TemplateSet(REPO / "templates", "policy", mini_job.root / "templates")
    html = render(mini_job, {}, brand, templates).html
    assert "\ufeff" not in html and "<p>Alpha" in html
