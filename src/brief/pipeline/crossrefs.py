"""Cross-references: ``{{ ref("id") }}`` prints "Figure 2" or "Table 1", the number chart *id*
has in this edition, as a link to it.

A chart is numbered only when it is placed, which may come after the text that refers to it
(a section names a chart the next section shows), so ``ref()`` leaves a placeholder and the
numbers are filled in once every section is rendered. The placeholder is two private-use
characters around a count: Markdown and the typographer leave it as it is, wherever in a
paragraph it stands (an HTML comment at the start of a line would begin an HTML block).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from brief.model.language import caption
from brief.workspace.sandbox import TemplateRefused

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


def unknown_chart(chart_id: str, brief_charts: list[str], audience: str, shown: list[str]) -> tuple[str, str]:
    """The message and hint for a reference to *chart_id*, which this edition does not show:
    a chart of the brief not in *audience*'s charts, or no chart of the brief at all."""
    if chart_id in brief_charts:
        return (
            f"chart {chart_id!r} is not shown in the {audience!r} edition, so it has no number to refer to",
            "add it to the audience's charts: in the brief file, or refer to one it shows: "
            + (", ".join(shown) or "none"),
        )
    close = difflib.get_close_matches(chart_id, brief_charts, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"the brief's charts: {', '.join(brief_charts) or 'none'}"
    return f"unknown chart {chart_id!r} in ref()", hint


@dataclass
class CrossRefs:
    """The references of one edition, and the number each placed chart got."""

    language: str
    refs: list[str] = field(default_factory=list)
    # chart id -> ("figure" or "table", its number), in the order charts are placed
    numbers: dict[str, tuple[str, int]] = field(default_factory=dict)

    def ref(self, chart_id: str, shown: list[str], brief_charts: list[str], audience: str) -> Markup:
        """The placeholder for a reference to *chart_id*, one of *shown* (this edition's charts)."""
        if chart_id not in shown:
            raise TemplateRefused(*unknown_chart(chart_id, brief_charts, audience, shown))
        self.refs.append(chart_id)
        return Markup(f"{_OPEN}{len(self.refs) - 1}{_CLOSE}")

    def placed(self, chart_id: str, kind: str, number: int) -> None:
        """Record that chart *chart_id* was placed as figure or table *number*."""
        self.numbers[chart_id] = (kind, number)

    def fill(self, html: str) -> str:
        """*html* with each placeholder replaced by its link: "Figure 2", the number and its
        word joined by a no-break space, pointing at the chart's figure element."""

        def link(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(self.refs) or self.refs[index] not in self.numbers:
                return match.group(0)
            chart_id = self.refs[index]
            kind, number = self.numbers[chart_id]
            message = "Table {number}" if kind == "table" else "Figure {number}"
            word = caption(message, self.language, number=str(number))
            text = escape(word).replace(" ", "\u00a0")
            return f'<a class="xref" href="#{kind}-{chart_id}">{text}</a>'

        return _PLACEHOLDER.sub(link, html) if _OPEN in html else html
