"""``brief new``: scaffold an audience or a brief that builds at once."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from brief.errors import WorkspaceError
from brief.pipeline.resolve import pick_brief
from brief.workspace.load import Workspace

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _check_name(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        raise WorkspaceError(
            f"{what} name {name!r} is not valid", hint="use lower-case letters, digits, '-' and '_' (e.g. board-2026)"
        )


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Lines are never re-wrapped: adding an audience changes only the lines it adds.
    yaml.width = 1 << 20
    # Strings keep the quotes they were written with: the diff is the lines the command adds.
    yaml.preserve_quotes = True
    return yaml


def new_audience(ws: Workspace, name: str, source: str | None, brief_id: str | None) -> list[Path]:
    """Copy audience *source*'s templates to a new audience *name* and add it to the brief file."""
    _check_name(name, "audience")
    brief = pick_brief(ws, brief_id)
    source = source or ("policy" if "policy" in brief.audiences else next(iter(brief.audiences)))
    if source not in brief.audiences:
        raise WorkspaceError(
            f"brief {brief.id!r} has no audience {source!r} to copy", hint=f"choose from: {', '.join(brief.audiences)}"
        )
    if name in brief.audiences:
        raise WorkspaceError(f"brief {brief.id!r} already has an audience {name!r}")
    src_name = brief.audiences[source].templates or source
    # Next to the audience it copies: a brief whose audiences live under templates/BRIEF/
    # gets the new one there too.
    parent = Path(src_name).parent
    dest_name = (parent / name).as_posix()
    src_folder = ws.templates_dir / src_name
    dest_folder = ws.templates_dir / dest_name
    if dest_folder.exists():
        raise WorkspaceError(f"{dest_folder} already exists", hint="choose another name or remove the folder")
    path = ws.origin("brief", brief.id).path
    yaml = _yaml()
    doc = yaml.load(path.read_text(encoding="utf-8"))
    # A deep copy: a shallow one would share the sections list, and ruamel would write
    # it once with an anchor and alias it, so editing one audience edits both.
    entry: CommentedMap = copy.deepcopy(doc["audiences"][source])
    entry["label"] = f"{name.replace('-', ' ').replace('_', ' ').capitalize()} brief"
    if dest_name == name:
        entry.pop("templates", None)
    else:
        entry["templates"] = dest_name
    doc["audiences"][name] = entry
    shutil.copytree(src_folder, dest_folder)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(doc, handle)
    # The audience's email template too, so `brief distribute` can send the new audience at once.
    email, new_email = ws.root / "emails" / f"{source}.j2", ws.root / "emails" / f"{name}.j2"
    if email.is_file() and not new_email.exists():
        shutil.copyfile(email, new_email)
        return [dest_folder, path, new_email]
    return [dest_folder, path]


_SECTION = """\
{#- A narrative section: Markdown with Jinja. Numbers come from data: add a figure to
    data/figures/ and print it with {{ fig("figure_id") }}; {{ chart("id") }} places a chart. -#}
## Summary

State the bottom line here in two or three sentences.
"""


def new_brief(ws: Workspace, name: str, today: dt.date | None = None) -> list[Path]:
    """Create ``briefs/NAME.yaml`` and ``templates/NAME/policy/`` with one section."""
    _check_name(name, "brief")
    path = ws.root / "briefs" / f"{name}.yaml"
    folder = ws.templates_dir / name / "policy"
    for existing in (path, folder):
        if existing.exists():
            raise WorkspaceError(f"{existing} already exists", hint="choose another name")
    # A first guess ("Eu us fabs" from eu-us-fabs): the file's comment asks for a real title.
    title = name.replace("-", " ").replace("_", " ").capitalize()
    date = (today or dt.date.today()).isoformat()
    folder.mkdir(parents=True)
    (folder / "summary.md.j2").write_text(_SECTION, encoding="utf-8")
    path.write_text(
        f"# A brief: what it is, its charts and its audiences (brief docs reference lists every field).\n"
        f"# The title below is made from the file name: edit it to the real title (capitals, dashes).\n"
        f"title: {title}\n"
        f"date: {date}\n"
        f"authors: [Your name]\n"
        f"language: en-US\n"
        f"charts: {{}}\n"
        f"audiences:\n"
        f"  policy:\n"
        f"    label: Policy brief\n"
        f"    page_budget: 4\n"
        f"    templates: {name}/policy\n"
        f"    sections: [summary]\n"
        f"    charts: []\n",
        encoding="utf-8",
    )
    return [path, folder]
