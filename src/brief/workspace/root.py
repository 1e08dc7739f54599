"""Finding the workspace: kept apart from the loader so that finding it stays cheap."""

from __future__ import annotations

import re
from pathlib import Path

from brief.errors import WorkspaceError


def find_root(start: Path) -> Path:
    """The nearest folder at or above *start* that holds ``briefs/``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "briefs").is_dir():
            return folder
    raise WorkspaceError(
        f"no workspace here: neither {start} nor a parent holds a briefs/ folder",
        hint="run inside a workspace or pass -C DIR",
    )


def first_audience(root: Path, brief_id: str | None) -> str | None:
    """The first audience the brief file declares, read without loading the workspace (a
    no-op build must stay cheap: no models, no validation); None when that cannot be told
    from the file alone, and the full load then says why."""
    import yaml

    from brief.workspace.files import read_input

    if brief_id is not None:
        path = root / "briefs" / f"{Path(brief_id).stem}.yaml"
    else:
        found = sorted((root / "briefs").glob("*.yaml"))
        if len(found) != 1:
            return None
        path = found[0]
    try:
        # Composed, not constructed: aliases stay shared nodes, never expanded. libyaml's
        # parser where it is built in: the whole brief file is parsed for one key.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        node = yaml.compose(read_input(path, root).decode("utf-8"), Loader=loader)
    except Exception:  # anything odd is reported by the full load
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    audiences = next((v for k, v in node.value if getattr(k, "value", None) == "audiences"), None)
    if isinstance(audiences, yaml.MappingNode) and audiences.value:
        first = audiences.value[0][0]
        return first.value if isinstance(first, yaml.ScalarNode) and first.value else None
    return None


def brief_languages(root: Path, brief_id: str | None) -> list[str] | None:
    """The languages the brief file declares (``languages``, else ``language``, else en-US),
    read as :func:`first_audience` reads, without loading the workspace; None when that cannot
    be told from the file alone."""
    from brief.workspace.files import read_input

    found = [root / "briefs" / f"{Path(brief_id).stem}.yaml"] if brief_id else sorted((root / "briefs").glob("*.yaml"))
    if len(found) != 1:
        return None
    try:
        text = read_input(found[0], root).decode("utf-8")
    except Exception:  # anything odd is reported by the full load
        return None
    # A rebuild that finds nothing changed asks this twice, and would import and run the YAML
    # parser for it alone (a fifth of its time): a file with no key that could name a language,
    # or one plain `language: tag` line, is read without it.
    if not _one_block_mapping(text):
        return _declared_languages(text)
    found_keys = list(_MAY_NAME_LANGUAGES.finditer(text))
    if not found_keys:
        return ["en-US"]
    if len(found_keys) == 1 and (plain := _PLAIN_LANGUAGE.match(text, found_keys[0].start())):
        return [plain[1]]
    return _declared_languages(text)


def _one_block_mapping(text: str) -> bool:
    """Whether *text* is plainly one YAML document whose top level is a block mapping with its
    keys at the start of a line (every brief file ``brief new`` and ``brief init`` write is),
    so that a top-level key is a line that starts with it: no line break but \\n, no document
    marker after the first content, and the first content line not indented."""
    if any(mark in text for mark in _OTHER_LINE_BREAKS):
        return False
    lines = text.removeprefix("\ufeff").split("\n")
    content = [line for line in lines if line.strip() and not line.lstrip().startswith(("#", "%"))]
    if content and content[0].rstrip() == "---":  # an opening marker alone on its line
        content = content[1:]
    return bool(content) and content[0][0] not in " \t" and not any(c.startswith(("---", "...")) for c in content)


# Line breaks YAML reads besides \n (\r\n ends a line before the regular expressions' $).
_OTHER_LINE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


# What could set a top-level key naming a language: a block mapping's key at the start of a
# line (languages or language, maybe quoted), a merge key (<<), a flow mapping ({...}), or a
# line that starts with a key indicator, anchor, alias or tag. Anything else is read as none.
_MAY_NAME_LANGUAGES = re.compile(r"""^\ufeff?(?:(["']?)languages?\1[ \t]*:|<<|[ \t]*\{|[?&*!])""", re.MULTILINE)
_PLAIN_LANGUAGE = re.compile(
    r"\ufeff?language[ \t]*:[ \t]+([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)[ \t]*(?:#.*)?$", re.MULTILINE
)


def _declared_languages(text: str) -> list[str] | None:
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        node = yaml.compose(text, Loader=loader)
    except Exception:  # anything odd is reported by the full load
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    keys = {getattr(k, "value", None): v for k, v in node.value}
    if "<<" in keys:  # a merge key: composing the file does not merge, loading it does
        return None
    many, one = keys.get("languages"), keys.get("language")
    if isinstance(many, yaml.SequenceNode) and many.value:
        tags = [item.value for item in many.value if isinstance(item, yaml.ScalarNode)]
        return tags if len(tags) == len(many.value) else None
    if isinstance(one, yaml.ScalarNode):
        return [one.value]
    return ["en-US"] if one is None and many is None else None
