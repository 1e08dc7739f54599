"""Installed users have everything: ``brief docs`` prints the docs the package carries, every hint
names ``brief docs TOPIC`` (never a file of a checkout), ``brief init`` writes what the first
``brief distribute`` needs, a partial brand inherits the theme's, and no message names a class."""

from __future__ import annotations

import ast
import csv
import importlib
import inspect
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel, ValidationError

from brief.cli import cli
from brief.workspace.brand import load_brand
from brief.workspace.messages import explain
from helpers import REPO, THEME, build_wheel

PACKAGE = REPO / "src" / "brief"
# The pages an installed user reads, in the order `brief docs` lists them.
TOPICS = ("reference", "customising", "distributing", "security", "errors")


def run(*args: str) -> Result:
    """The CLI, in process."""
    return CliRunner().invoke(cli, list(args))


def page(topic: str) -> str:
    """The repository's copy of a docs page: the one source of what ``brief docs`` prints."""
    return (REPO / "docs" / f"{topic}.md").read_text(encoding="utf-8")


# --- brief docs -------------------------------------------------------------------------------


def test_docs_lists_the_topics_with_a_line_each() -> None:
    """``brief docs`` alone lists reference, customising, distributing, security and errors,
    each with one line saying what it covers, and how to read one."""
    result = run("docs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for topic in TOPICS:
        [line] = [x for x in lines if x.split()[:1] == [topic]]
        assert len(line.split()) > 4, line
    assert "brief docs TOPIC" in result.output


@pytest.mark.parametrize("topic", list(TOPICS))
def test_docs_prints_each_topic(topic: str) -> None:
    """``brief docs TOPIC`` prints the page as written in docs/."""
    result = run("docs", topic)
    assert result.exit_code == 0, result.output
    assert result.output == page(topic)


def test_docs_piped_is_plain_text_and_an_unknown_topic_is_one_line() -> None:
    """Piped (no terminal), the page is printed as it is, with no pager in the way; an unknown
    topic is one line naming the topics, exit status 2."""
    env = {**os.environ, "PAGER": "false", "LESS": ""}
    done = subprocess.run(
        [sys.executable, "-m", "brief", "docs", "distributing"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == page("distributing")
    wrong = subprocess.run(
        [sys.executable, "-m", "brief", "docs", "referense"], capture_output=True, text=True, env=env, timeout=60
    )
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "error: no documentation topic 'referense' — "
        "choose from: reference, customising, distributing, security, errors"
    )


def test_docs_work_from_the_built_package(tmp_path: Path) -> None:
    """The package as a wheel lays it out (the build backend's, not the checkout) carries
    docs/*.md under brief/docs/, and ``brief docs`` reads them there, far from any checkout."""
    lib = tmp_path / "lib"
    zipfile.ZipFile(build_wheel(tmp_path / "dist")).extractall(lib)
    for topic in TOPICS:
        assert (lib / "brief" / "docs" / f"{topic}.md").read_text(encoding="utf-8") == page(topic)
    env = {**os.environ, "PYTHONPATH": str(lib)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "from brief.commands.docs import docs_dir; print(docs_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()) == lib / "brief" / "docs"
    done = subprocess.run(
        [sys.executable, "-m", "brief", "docs", "security"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == page("security")


# --- hints ------------------------------------------------------------------------------------

_PATH = re.compile(r"docs/\w+\.md")


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module that is not a docstring, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_message_or_shipped_file_points_at_a_docs_file() -> None:
    """What the package says or writes (message strings; the starter's and the units' comments)
    names ``brief docs TOPIC``, never docs/SOMETHING.md, which an installed user does not have."""
    found = [
        f"{path.relative_to(REPO)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in _strings(path)
        if _PATH.search(text)
    ]
    shipped = [*(p for p in (PACKAGE / "starter").rglob("*") if p.is_file()), PACKAGE / "model" / "units.yaml"]
    found += [str(p.relative_to(REPO)) for p in shipped if _PATH.search(p.read_text(encoding="utf-8"))]
    assert not found, found
    starter = (PACKAGE / "starter" / "briefs" / "first-brief.yaml").read_text(encoding="utf-8")
    assert "brief docs reference" in starter


def test_a_figure_error_hint_names_brief_docs(tmp_path: Path) -> None:
    """A wrong figure entry ends with '(brief docs reference)'."""
    assert run("init", str(tmp_path / "ws")).exit_code == 0
    figures = tmp_path / "ws" / "data" / "figures" / "starter.yaml"
    figures.write_text(figures.read_text(encoding="utf-8").replace("value: 109.1", "value: oops", 1))
    result = run("-C", str(tmp_path / "ws"), "check")
    assert result.exit_code == 1
    assert "(brief docs reference)" in result.output, result.output
    assert "docs/" not in result.output


# --- brief init: the first distribute works ---------------------------------------------------


def test_init_writes_an_email_template_and_recipients_then_distribute_works(tmp_path: Path) -> None:
    """``brief init`` writes a commented emails/policy.j2 and a recipients.csv of example.org
    addresses; ``brief build`` then ``brief distribute recipients.csv --from ...`` (a dry run)
    succeeds and writes each recipient's message. Without the template, the hint names brief docs."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).exit_code == 0
    template = (ws / "emails" / "policy.j2").read_text(encoding="utf-8")
    assert template.startswith("{#") and "brief docs distributing" in template
    with (ws / "recipients.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["email"].endswith("@example.org") and r["audience"] == "policy" for r in rows)

    built = run("-C", str(ws), "build")
    assert built.exit_code == 0, built.output
    template_path = ws / "emails" / "policy.j2"
    template_path.unlink()
    missing = run("-C", str(ws), "distribute", str(ws / "recipients.csv"), "--from", "x@example.org")
    assert missing.exit_code == 1
    assert "brief docs distributing" in missing.output and "docs/" not in missing.output
    template_path.write_text(template, encoding="utf-8")

    sent = run("-C", str(ws), "distribute", str(ws / "recipients.csv"), "--from", "x@example.org")
    assert sent.exit_code == 0, sent.output
    assert f"dry run: {len(rows)} stamped" in sent.output
    messages = sorted((ws / "out" / "distribution").glob("*/*.eml"))
    assert len(messages) == len(rows)
    text = "".join(m.read_text(encoding="utf-8") for m in messages)
    # An empty greeting cell falls back to the name.
    assert "Dear Alex," in text and "Dear Sam Okafor," in text and "Dear ," not in text


def test_new_audience_gets_its_email_template(tmp_path: Path) -> None:
    """``brief new audience board`` copies the policy email template to emails/board.j2."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).exit_code == 0
    result = run("-C", str(ws), "new", "audience", "board")
    assert result.exit_code == 0, result.output
    assert "wrote emails/board.j2" in result.output
    assert (ws / "emails" / "board.j2").read_bytes() == (ws / "emails" / "policy.j2").read_bytes()


# --- a partial brand --------------------------------------------------------------------------

PARTIAL = """\
meta:
  name: Northbridge Institute
color:
  primary: "#7a1f5c"
typography:
  base: Source Sans 3
"""


def test_a_partial_brand_inherits_the_theme_and_builds(tmp_path: Path) -> None:
    """Four keys of brand.yml (name, primary colour, body family in Quarto's shorthand) build;
    the rest (palette, roles, fonts, size, chart colours) is the theme's."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).exit_code == 0
    (ws / "templates" / "brand.yml").write_text(PARTIAL, encoding="utf-8")
    theme = load_brand(THEME)
    brand = load_brand(ws / "templates")
    assert brand.meta.name == "Northbridge Institute"
    assert brand.hex("primary") == "#7a1f5c"
    assert brand.typography.base.family == "Source Sans 3"
    assert brand.typography.base.size == theme.typography.base.size
    assert brand.typography.base.line_height == theme.typography.base.line_height
    assert brand.typography.headings == theme.typography.headings
    for role in ("foreground", "background", "secondary", "light"):
        assert brand.hex(role) == theme.hex(role), role
    assert brand.color.palette == theme.color.palette
    assert brand.chart == theme.chart
    assert brand.font_files() == theme.font_files()

    checked = run("-C", str(ws), "check", "--strict")
    assert checked.exit_code == 0, checked.output
    built = run("-C", str(ws), "build")
    assert built.exit_code == 0, built.output
    import pikepdf

    with pikepdf.open(ws / "out" / "first-brief-policy.pdf") as pdf:
        assert len(pdf.pages) >= 1


def test_a_brand_error_is_in_words_at_its_line(tmp_path: Path) -> None:
    """A role that is not a mapping, in a partial brand: its line, the keys it takes, no class."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).exit_code == 0
    (ws / "templates" / "brand.yml").write_text("meta:\n  name: X\ntypography:\n  base: [Inter]\n", encoding="utf-8")
    result = run("-C", str(ws), "check")
    assert result.exit_code == 1
    assert (
        "templates/brand.yml:4: error: typography.base: should be a mapping (indented key: value lines), "
        "not a list; its keys: family, size, weight, line-height"
    ) in result.output
    assert "instance of" not in result.output and "TypeRole" not in result.output


# --- no class names in any message ------------------------------------------------------------

_MODULES = [
    "brief.model.schema",
    "brief.model.chart_schema",
    "brief.model.unit_schema",
    "brief.model.page_schema",
    "brief.model.marking",
    "brief.workspace.brand",
    "brief.workspace.yamlio",
]
_BAD: list[Any] = ["x", 5, 2.5, True, None, [1], ["x"], {"a": 1}, [{"a": 1}], {"x": [1]}]


def _models() -> list[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for name in _MODULES:
        module = importlib.import_module(name)
        found |= {
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__.startswith("brief.")
        }
    pending = [BaseModel]
    while pending:  # every model of ours, wherever it is defined
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("brief."):
                found.add(sub)
    return sorted(found, key=lambda m: (m.__module__, m.__qualname__))


def test_no_message_names_a_validator_class() -> None:
    """Every model, given bad input as a whole and in each of its fields: no message names one
    of our classes, says 'instance of', or shows a type as a place ('list[...]')."""
    models = _models()
    assert len(models) >= 20
    names = {m.__name__ for m in models} | {"BaseModel"}
    classes = "|".join(sorted(names))
    forbidden = re.compile(rf"instance of|valid dictionary|\b(list|dict|union|tuple)\[|\b({classes})\b")
    messages = 0
    bad: list[str] = []
    for model in models:
        inputs: list[Any] = list(_BAD)
        for name, info in model.model_fields.items():
            inputs += [{info.alias or name: value} for value in _BAD]
        for value in inputs:
            try:
                model.model_validate(value)
            except ValidationError as exc:
                for _, message in explain(exc.errors(), model):
                    messages += 1
                    if forbidden.search(message):
                        bad.append(f"{model.__name__}: {message}")
    assert messages > 300
    assert not bad, sorted(set(bad))[:20]
