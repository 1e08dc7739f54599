"""``brief docs``: the documentation, read from the installation itself.

A wheel carries ``docs/*.md`` under ``brief/docs/`` (the build copies them there, so the
repository keeps one copy); a source checkout installed for development reads them from
``docs/`` at the top of the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from brief.errors import UsageError, WorkspaceError

# The topics a user reads, each with the line `brief docs` lists it with. Their files are
# docs/TOPIC.md; the other pages there are about the code, for contributors.
TOPICS = {
    "reference": "every field of every file a workspace holds (briefs, figures, sources, units, brand)",
    "customising": "a walk-through: add a figure, a source, a chart or an audience; change the layout and brand",
    "distributing": "send stamped per-recipient copies: recipients file, email templates, markings, ledger",
    "security": "what shared templates, data and recipient lists can and cannot do",
    "errors": "every kind of error message, with examples, and the exit statuses",
}


@dataclass(frozen=True)
class Topic:
    """One page of the documentation."""

    name: str
    summary: str
    path: Path


def docs_dir() -> Path | None:
    """The folder the documentation is read from: the installed package's, else the checkout's."""
    packaged = Path(str(files("brief") / "docs"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "docs"
    return checkout if (checkout / "reference.md").is_file() else None


def topics() -> list[Topic]:
    """Every topic, in the order ``brief docs`` lists them."""
    folder = docs_dir() or Path("docs")
    return [Topic(name, summary, folder / f"{name}.md") for name, summary in TOPICS.items()]


def listing() -> str:
    """What ``brief docs`` prints: the topics, one line each, and how to read one."""
    width = max(map(len, TOPICS))
    lines = [f"  {t.name:<{width}}  {t.summary}" for t in topics()]
    return "topics:\n" + "\n".join(lines) + "\n\nread one with: brief docs TOPIC\n"


def read_topic(name: str) -> str:
    """The text of topic *name* (Markdown, as written)."""
    topic = next((t for t in topics() if t.name == name.lower().removesuffix(".md")), None)
    if topic is None:
        raise UsageError(f"no documentation topic {name!r}", hint=f"choose from: {', '.join(TOPICS)}")
    try:
        return topic.path.read_text(encoding="utf-8")
    except OSError:
        raise WorkspaceError(
            f"the documentation page {topic.name!r} is missing from this installation",
            hint="reinstall brief from its wheel (e.g. pipx reinstall brief)",
        ) from None
