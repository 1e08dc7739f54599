"""The package's shape is a rule, not a habit: layers by role, every import pointing down,
each heavy library in one module, and functions and modules short enough to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from brief.model.request import STANDARD_SUFFIX

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "brief"

# Lowest first. A module may import from its own layer and the layers before it, never after.
# commands/, runtime/ and distribute/ share a rank but may not import each other.
LAYERS = {
    "errors": 0,
    "model": 1,
    "workspace": 2,
    "publish": 3,
    "pipeline": 4,
    "commands": 5,
    "runtime": 5,
    "distribute": 5,
    # The public library (brief.build, brief.check): the package itself re-exports it.
    "api": 6,
    "__init__": 6,
    "cli": 7,
    "__main__": 8,
}
# Each heavy library (and Click, and process machinery) belongs to exactly one place.
# A name ending in "/" is a package: any module in it may.
OWNERS = {
    "click": {"cli/"},
    "pikepdf": {"distribute/stamp.py"},
    "smtplib": {"distribute/smtp.py"},
    "sqlite3": {"distribute/ledger.py"},
    "weasyprint": {"pipeline/typeset.py"},
    "vl_convert": {"pipeline/draw.py"},
    "altair": {"pipeline/chartkinds/"},
    "babel": {"model/language.py"},
    "multiprocessing": {"runtime/engines.py"},
    "concurrent.futures.process": {"runtime/engines.py"},
}
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def modules() -> list[Path]:
    """Every module of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(module: str) -> str:
    """``brief.pipeline.build`` → ``pipeline``; ``brief.cli`` → ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module *path* imports (at any depth: in functions too), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            # "from brief import cache" names a module, not an attribute
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names if node.module == "brief"]
    return found


def module_name(path: Path) -> str:
    """``src/brief/pipeline/build.py`` → ``brief.pipeline.build``."""
    return ".".join(("brief", *path.relative_to(PACKAGE).with_suffix("").parts))


def test_every_module_is_in_a_layer() -> None:
    """No module lives outside the known layers (a new folder must be given its place)."""
    assert {layer_of(module_name(p)) for p in modules()} <= set(LAYERS)


def test_imports_point_down() -> None:
    """A module imports only from its own layer or lower ones."""
    wrong = []
    for path in modules():
        here = layer_of(module_name(path))
        for name, line in imports(path):
            if not name.startswith("brief.") or name == "brief":
                continue
            there = layer_of(name)
            sideways = here != there and {here, there} <= {"commands", "runtime", "distribute"}
            if LAYERS[there] > LAYERS[here] or sideways:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} ({here}) imports {name} ({there})")
    assert wrong == []


def test_heavy_libraries_each_in_one_module() -> None:
    """Click, WeasyPrint, vl-convert, Altair and the process machinery each have one home."""
    wrong = []
    for path in modules():
        where = str(path.relative_to(PACKAGE))
        for name, line in imports(path):
            for library, owners in OWNERS.items():
                owned = where in owners or any(o.endswith("/") and where.startswith(o) for o in owners)
                if (name == library or name.startswith(library + ".")) and not owned:
                    wrong.append(f"{where}:{line} imports {name} (only {', '.join(sorted(owners))} may)")
    assert wrong == []


def test_functions_and_modules_are_short() -> None:
    """No function is longer than 60 lines and no module longer than 400."""
    long = []
    for path in modules():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{where}:{node.lineno} {node.name}() is {length} lines")
    assert long == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from brief.cli import main\n", True),
        ("def f():\n    from brief.runtime.engines import started\n", True),
        ("from brief.model.units import UNITS\n", False),
    ],
)
def test_the_import_rule_would_catch_an_upward_import(tmp_path: Path, source: str, expected: bool) -> None:
    """The rule is not vacuous: a pipeline module that imported the CLI or the runtime (even
    inside a function) would be reported; a downward import would not."""
    path = tmp_path / "build.py"
    path.write_text(source, encoding="utf-8")
    upward = [
        name for name, _ in imports(path) if name.startswith("brief.") and LAYERS[layer_of(name)] > LAYERS["pipeline"]
    ]
    assert bool(upward) is expected


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """``brief --help`` and a no-op build stay fast: importing the command line loads no models,
    parsers or templating (a module-level import in a command module would)."""
    import subprocess
    import sys

    code = (
        "import sys, brief.cli\n"
        "heavy = ('pydantic', 'yaml', 'babel', 'jinja2', 'weasyprint', 'altair', 'pikepdf')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_command_line_builds_and_checks_through_the_public_api() -> None:
    """``brief build`` and ``brief check`` call :func:`brief.build` and :func:`brief.check`, the
    functions a Python user calls, not the pipeline's own check or single build."""
    names = {name for name, _ in imports(PACKAGE / "cli" / "building.py")}
    assert {"brief.api"} <= names
    assert not names & {"brief.pipeline.check", "brief.pipeline.build"}
    source = (PACKAGE / "cli" / "building.py").read_text(encoding="utf-8")
    assert "from brief.api import build" in source
    assert "from brief.api import check" in source
    assert "run_one" not in source


# --- one owner per name, and a CLI over the public library -----------------------------------

# The modules that make the names of the files brief writes (model/request.py: output_name,
# edition_stem, copy_names) and check them for clashes (pipeline/names.py).
NAMING_OWNERS = {"model/request.py", "pipeline/names.py"}
_MADE = (".pdf", ".html")
# The part of a name that says its PDF standard ("-a3a", "-a3b", "-plain"), from the naming owner.
_STANDARD_PARTS = tuple(part for part in STANDARD_SUFFIX.values() if part)
# Where a file name in a string is read, not made: compared, matched, or said in prose.
_READING_CALLS = {"endswith", "startswith", "removesuffix", "glob", "rglob", "match", "fnmatch"}
_PROSE_KEYWORDS = {"help", "hint", "short_help", "metavar", "examples", "description"}


def _makes_a_name(text: str) -> bool:
    # A standard's part ends a name or comes before its suffix ("-plain.pdf", f"{stem}-a3b{suffix}").
    return text.rstrip().lower().endswith(_MADE) or any(
        re.search(re.escape(part) + r"(\.|$)", text) for part in _STANDARD_PARTS
    )


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }


def output_names_made(source: str) -> list[int]:
    """The lines of *source* that make a name of a file brief writes: a string (or an f-string)
    ending in ``.pdf`` or ``.html``, or holding a standard's part (``-a3a``...), used for anything but reading
    one (a comparison, ``endswith``, ``glob``...) or prose (a docstring, a ``help=``/``hint=``).
    Joined onto a folder, concatenated, formatted, passed to ``with_suffix`` or ``"".join``:
    all count, since the string is made either way."""
    tree = ast.parse(source)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    skip = _docstrings(tree)
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skip:
            continue
        # An f-string is one string: its last literal part says what it makes.
        value: ast.AST = node
        if isinstance(parent.get(node), ast.JoinedStr):
            value = parent[node]
            parts = [p.value for p in value.values if isinstance(p, ast.Constant) and isinstance(p.value, str)]  # type: ignore[attr-defined]
            text = "".join(parts) if node is value.values[-1] else node.value if _makes_a_name(node.value) else ""  # type: ignore[attr-defined]
        else:
            text = node.value
        if not _makes_a_name(text):
            continue
        above = parent.get(value)
        while isinstance(above, ast.List | ast.Tuple):  # endswith((".pdf", ".html")), examples=[...]
            value, above = above, parent.get(above)
        if isinstance(above, ast.Compare | ast.Expr):
            continue
        if isinstance(above, ast.keyword) and above.arg in _PROSE_KEYWORDS:
            continue
        if (
            isinstance(above, ast.Call)
            and isinstance(above.func, ast.Attribute)
            and above.func.attr in _READING_CALLS
            and value in above.args
        ):
            continue
        lines.append(node.lineno)
    return sorted(set(lines))


def test_only_the_naming_owner_makes_output_names() -> None:
    """An edition's file name (``BRIEF-AUDIENCE[-VARIANT][-LANGUAGE][-a3a].pdf``, ``.html``) and a
    copy's are made by model/request.py alone, which build, the no-op check, verify, chart export,
    the preview and distribute all ask; a name made by hand elsewhere goes stale (a variant's
    PDF that distribute could not find)."""
    wrong = []
    for path in modules():
        where = path.relative_to(PACKAGE).as_posix()
        if where not in NAMING_OWNERS:
            wrong += [f"{where}:{line}" for line in output_names_made(path.read_text(encoding="utf-8"))]
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "made"),
    [
        ('path = out / f"{brief}-{audience}.pdf"\n', True),
        ('path = out / (stem + ".pdf")\n', True),
        ('name = "%s-a3a.pdf" % stem\n', True),
        ('name = f"{stem}-a3b{suffix}"\n', True),
        ('name = stem + "-plain"\n', True),
        ('page = Path(out, stem).with_suffix(".html")\n', True),
        ('name = "".join([stem, ".pdf"])\n', True),
        ('name = "{}.html".format(stem)\n', True),
        ('if path.suffix == ".pdf":\n    pass\n', False),
        ('found = name.endswith(".html")\n', False),
        ('ours = key.endswith((".css", ".html"))\n', False),
        ('pdfs = folder.glob("*.pdf")\n', False),
        ('raise UsageError("give a PDF", hint="brief verify FILE.pdf")\n', False),
        ('def f():\n    """Writes NAME-AUDIENCE.pdf."""\n', False),
    ],
)
def test_the_naming_rule_is_not_fooled(source: str, made: bool) -> None:
    """The naming rule catches a name made by joining, adding, formatting or a suffix, and
    lets through a name that is only compared, matched, or mentioned in prose."""
    assert bool(output_names_made(source)) is made


# The command line imports only the public library and the errors it translates.
CLI_MAY_IMPORT = {"brief.api", "brief.errors"}


def test_the_command_line_imports_only_the_public_api() -> None:
    """Every command goes through :mod:`brief.api` (sqlite-utils' CLI over its library): a
    module in cli/ imports brief.api, brief.errors and its own package, nothing else of brief."""
    wrong = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        for name, line in imports(path):
            if name.startswith("brief.") and name not in CLI_MAY_IMPORT and not name.startswith("brief.cli"):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {name}")
    assert wrong == []


def test_the_public_api_names_each_command_function_once_for_run_time_and_for_types() -> None:
    """api.py's table of what the commands call (loaded on first use) and the imports type
    checkers read name the same functions."""
    import brief.api

    tree = ast.parse((PACKAGE / "api.py").read_text(encoding="utf-8"))
    typed = {
        alias.asname or alias.name: (node.module, alias.name)
        for block in tree.body
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == brief.api._COMMANDS
    assert set(typed) <= set(brief.api.__all__)
    for name in typed:
        assert getattr(brief.api, name) is not None
