"""Stage 4, render: Jinja narrative (Markdown) and layout into one HTML document.

Numbers reach the text only through ``fig("id")``, which formats the value by its unit
and adds the endnote mark; charts are placed with ``chart("id", ...)``. Sections are
rendered by Jinja first, then Markdown, so a template can use both.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from brief.errors import BriefError, TemplateError, did_you_mean, template_location
from brief.model.language import DEFAULT, caption, format_date
from brief.model.page import page_css
from brief.model.variants import fill
from brief.pipeline.charts import RenderedChart
from brief.pipeline.citations import Note, Notes, short_title
from brief.pipeline.crossrefs import CrossRefs
from brief.pipeline.figure_html import figure_html, table_html
from brief.pipeline.footnotes import render_with_footnotes
from brief.pipeline.furniture import layout_furniture
from brief.pipeline.images import SectionImages
from brief.pipeline.markings import marking_context
from brief.pipeline.notemarks import note_link, number_notes
from brief.pipeline.resolve import Job
from brief.pipeline.sanitise import Policy, refuse
from brief.pipeline.typography import typographer
from brief.publish.printed import add as add_printed
from brief.publish.printed import narrative_digest
from brief.workspace.brand import Brand
from brief.workspace.sandbox import MAX_OUTPUT, BriefSandbox, TemplateFunction, TemplateRefused, inert
from brief.workspace.templates import TemplateSet

_FIG_STYLES = ("long", "short", "abs", "signed")
# The functions a template calls, as the reference lists them (each documented by its docstring).
TEMPLATE_FUNCTIONS = ("fig", "fig_sign", "chart", "ref", "cite", "figures_table")
_CHART_MARK = re.compile(r"<!--brief-chart:([a-z0-9_.,-]+)-->")


@dataclass(frozen=True)
class Rendered:
    """The HTML of one brief for one audience, and what it cites."""

    html: str
    notes: list[Note]
    figures_used: list[str]
    charts_placed: list[str]
    charts: dict[str, RenderedChart]
    # Each figure printed and the texts it was printed as (:mod:`brief.publish.printed`).
    printed: dict[str, list[str]] = field(default_factory=dict)
    # A digest of the sections' words, figures left out (:func:`brief.publish.printed.narrative_digest`).
    narrative: str = ""


def _markdown(language: str = DEFAULT) -> MarkdownIt:
    # The same typographer as the strings from YAML (:mod:`brief.pipeline.typography`).
    md = typographer(language)
    md.enable(["replacements", "smartquotes", "table"])
    md.use(footnote_plugin)
    for name in ("bottom-line", "key-findings", "box", "aside"):
        md.use(container_plugin, name)
    return md


class _Context:
    """The functions templates call; records what was used, in order."""

    def __init__(self, job: Job, charts: dict[str, RenderedChart]) -> None:
        self.job = job
        self.charts = charts
        self.notes = Notes(job.sources, job.brief.language, print_notes=job.brief.print_notes)
        self.figures_used: list[str] = []
        self.charts_placed: list[str] = []
        self.printed: dict[str, list[str]] = {}
        self.crossrefs = CrossRefs(job.brief.language)

    def _mark(self, note: Note) -> str:
        return note_link(note.number)

    def section(self, md: MarkdownIt, name: str, text: str) -> tuple[str, str]:
        """Section *name*'s Markdown as HTML, each footnote an explanatory endnote; and the
        footnotes' own HTML (to be held to the same policy as the section's)."""
        html, footnotes = render_with_footnotes(md, text, lambda number: f"<!--brief-footnote:{number}-->")
        for footnote in footnotes:
            note = self.notes.for_footnote((name, footnote.label), footnote.html)
            html = html.replace(f"<!--brief-footnote:{footnote.id}-->", note_link(note.number, explanatory=True))
        return html, "".join(f.html for f in footnotes)

    def fig(self, figure_id: str, style: str = "long", note: bool = True) -> Markup:
        """``{{ fig("id") }}``: the figure's value in its unit's words, with its endnote mark;
        ``fig("id", "short")`` in the short words, ``"abs"`` its magnitude, ``"signed"`` with
        "+" or "−"; ``note=False`` leaves the mark out. In a variant, ``{name}`` in the id is the
        variant's parameter *name*."""
        figure_id = fill(figure_id, self.job.variant) if isinstance(figure_id, str) else figure_id
        if figure_id not in self.job.figures:
            hint = did_you_mean(figure_id, self.job.figures, "add it to data/figures/")
            raise TemplateRefused(f"unknown figure {figure_id!r}", hint)
        if style not in _FIG_STYLES:
            raise TemplateRefused(f"fig() style must be one of {', '.join(_FIG_STYLES)}, not {style!r}")
        resolved = self.job.figures[figure_id]
        self.figures_used.append(figure_id)
        # "abs" and "signed" are the long words with the magnitude, or with "+" or "−".
        words, sign = ("long", style) if style in ("abs", "signed") else (style, "auto")
        add_printed(self.printed, figure_id, resolved.text(words, sign))
        # A non-breaking space keeps a number on the same line as its unit.
        text = escape(resolved.text(words, sign)).replace(" ", "\u00a0", 1).replace(". ", ".\u00a0")
        mark = self._mark(self.notes.for_figure(resolved)) if note else ""
        return Markup(f'<span class="figure-value" data-figure="{figure_id}">{text}</span>{mark}')

    def fig_sign(self, figure_id: str) -> str:
        """``{% if fig_sign("id") == "negative" %}``: a figure's sign as printed (``positive``,
        ``negative`` or ``zero``), to choose words by; never its value."""
        figure_id = fill(figure_id, self.job.variant) if isinstance(figure_id, str) else figure_id
        if figure_id not in self.job.figures:
            raise TemplateRefused(f"unknown figure {figure_id!r}", "add it to data/figures/")
        return self.job.figures[figure_id].sign

    def cite(self, source_id: str, locator: str | None = None) -> Markup:
        """``{{ cite("source_id", "p. 3") }}``: an endnote citing a source of data/sources.yaml,
        at a locator if given, for a quote or a claim that is not a number."""
        if source_id not in self.job.sources:
            raise TemplateRefused(f"unknown source {source_id!r}", f"sources: {', '.join(sorted(self.job.sources))}")
        return Markup(self._mark(self.notes.for_source(source_id, locator)))

    def ref(self, chart_id: str) -> Markup:
        """``{{ ref("id") }}``: "Figure 2" or "Table 1", the number chart *id* has in this
        edition, as a link to it."""
        chart_id = fill(chart_id, self.job.variant) if isinstance(chart_id, str) else chart_id
        brief_charts = list(self.job.brief.charts)
        return self.crossrefs.ref(chart_id, list(self.charts), brief_charts, self.job.audience_name)

    def figures_table(self) -> Markup:
        """``{{ figures_table() }}``: every figure printed so far, with its value, date and source."""
        rows = []
        for fid in dict.fromkeys(self.figures_used):
            fig = self.job.figures[fid]
            add_printed(self.printed, fid, fig.text())
            if fig.derivation:
                source = f"{caption('Calculated', self.job.brief.language)}: {fig.derivation}"
            else:
                source = "; ".join(
                    ", ".join(p for p in (short_title(self.job.sources[b.source]), b.locator) if p)
                    for b in fig.bases
                    if b.source
                )
            rows.append(
                f'<tr><td>{escape(fig.label)}</td><td class="num">{escape(fig.text())}</td>'
                f"<td>{escape(fig.as_of)}</td><td>{escape(source)}</td></tr>"
            )
        words = (caption(w, self.job.brief.language) for w in ("Figure", "Value", "As of", "Source"))
        # The value column is numeric: right-aligned, like its cells (class "num").
        classes = ("", ' class="num"', "", "")
        head = (
            "<tr>"
            + "".join(f'<th scope="col"{c}>{escape(w)}</th>' for c, w in zip(classes, words, strict=True))
            + "</tr>"
        )
        return Markup(f'<table class="figures-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')

    def chart(self, *chart_ids: str) -> Markup:
        """``{{ chart("id") }}``: places a chart of the audience's charts, numbered and captioned;
        ``chart("a", "b")`` places two side by side."""
        for chart_id in chart_ids:
            if chart_id not in self.charts:
                hint = f"this audience's charts: {', '.join(self.charts) or 'none'}"
                raise TemplateRefused(f"chart {chart_id!r} is not in this audience's charts", hint)
            if chart_id in self.charts_placed:
                raise TemplateRefused(f"chart {chart_id!r} is placed twice")
            self.charts_placed.append(chart_id)
        # A comment on its own line survives Markdown as an HTML block; replaced afterwards.
        return Markup(f"\n<!--brief-chart:{','.join(chart_ids)}-->\n")


def template_functions() -> list[tuple[str, str]]:
    """Each template function's name and its docstring on one line, for the reference."""
    return [(name, " ".join((getattr(_Context, name).__doc__ or "").split())) for name in TEMPLATE_FUNCTIONS]


def _render_template(env: jinja2.Environment, name: str, context: dict[str, Any], search_path: list[Path]) -> str:
    try:
        return _bounded_render(env.get_template(name), context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error: {exc.message}",
            exc.filename or name,
            exc.lineno,
            hint="check the Jinja tags on this line: {{ ... }} and {% ... %}",
        ) from None
    except jinja2.TemplateNotFound as exc:
        folders = ", ".join(str(p) for p in search_path)
        raise TemplateError(f"template {exc.name!r} not found", hint=f"looked in {folders}") from None
    except BriefError:
        raise
    except TemplateRefused as exc:
        path, line = template_location(sys.exc_info()[2], search_path)
        if exc.line is not None:
            path, line = exc.path, exc.line
        raise TemplateError(str(exc), path or exc.path or name, line, hint=exc.hint) from None
    except jinja2.UndefinedError as exc:
        path, line = template_location(sys.exc_info()[2], search_path)
        raise TemplateError(
            f"{exc.message}", path or name, line, hint='numbers come from fig("id"); brief fields from brief.NAME'
        ) from None
    except jinja2.TemplateError as exc:
        path, line = template_location(sys.exc_info()[2], search_path)
        raise TemplateError(f"template error: {exc}", path or name, line) from None
    except RecursionError:
        path, line = template_location(sys.exc_info()[2], search_path)
        raise TemplateError(
            "templates nest too deeply", path or name, line, hint="a macro or include that calls itself without end?"
        ) from None
    except MemoryError:
        path, line = template_location(sys.exc_info()[2], search_path)
        raise TemplateError(
            "the template needs more memory than this machine has",
            path or name,
            line,
            hint="a brief is a few pages: build less text",
        ) from None
    except Exception as exc:  # a template's own mistake: 1/0, a wrong argument type...
        path, line = template_location(sys.exc_info()[2], search_path)
        raise TemplateError(f"template error: {exc or type(exc).__name__}", path or name, line) from None


def _bounded_render(template: jinja2.Template, context: dict[str, Any]) -> str:
    """The template's output, stopped at the template's line once it passes the output limit."""
    chunks, size = [], 0
    events = template.root_render_func(template.new_context(context))
    try:
        for chunk in events:
            size += len(chunk)
            if size > MAX_OUTPUT:
                frame = events.gi_frame  # type: ignore[attr-defined]
                line = template.get_corresponding_lineno(frame.f_lineno) if frame is not None else None
                raise TemplateRefused(
                    f"the template writes over {MAX_OUTPUT // 1024 // 1024} MB",
                    hint="a brief is a few pages: a loop or macro writes too much",
                    path=Path(template.filename) if template.filename else None,
                    line=line,
                )
            chunks.append(chunk)
    except TemplateRefused as exc:
        if exc.line is not None:
            raise
        template.environment.handle_exception()  # as render() does: tracebacks name template lines
    except Exception:
        template.environment.handle_exception()
    return "".join(chunks)


def template_context(job: Job, brand: Brand, ctx: _Context) -> dict[str, Any]:
    """What every template sees: plain data (:func:`inert`) and our own functions."""
    brand_fields = {name: getattr(brand, name) for name in type(brand).model_fields}
    return {
        "brief": inert(job.brief),
        "audience": inert(job.audience),
        "audience_name": job.audience_name,
        "variant": inert(dict(job.variant)),
        "created": job.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "brand": inert({**brand_fields, **(brand.model_extra or {}), "logo_url": brand.logo_url}),
        "fig": TemplateFunction(ctx.fig),
        "fig_sign": TemplateFunction(ctx.fig_sign),
        "cite": TemplateFunction(ctx.cite),
        "chart": TemplateFunction(ctx.chart),
        "ref": TemplateFunction(ctx.ref),
        "figures_table": TemplateFunction(ctx.figures_table),
        "brief_date": format_date(job.brief.date, job.brief.language),
        "caption": TemplateFunction(lambda message: caption(str(message), job.brief.language)),
    }


def _place_charts(html: str, ctx: _Context, counter: list[int], inline: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        figures = []
        for chart_id in match.group(1).split(","):
            chart = ctx.charts[chart_id]
            counter[chart.table is not None] += 1  # tables are numbered apart from figures
            number = counter[chart.table is not None]
            ctx.crossrefs.placed(chart_id, "table" if chart.table is not None else "figure", number)
            marks = "".join(dict.fromkeys(ctx._mark(ctx.notes.for_figure(f)) for f in chart.figures))
            ctx.figures_used.extend(f.id for f in chart.figures)
            for f in chart.figures:  # a chart's marks and a table's cells print the short text
                add_printed(ctx.printed, f.id, f.text("short"))
            language = ctx.job.brief.language
            table = chart.table is not None
            figures.append(
                table_html(chart, counter[1], marks, language)
                if table
                else figure_html(chart, counter[0], marks, inline, language)
            )
        if len(figures) == 1:
            return figures[0]
        return f'<div class="chart-row">{"".join(figures)}</div>'

    return _CHART_MARK.sub(replace, html)


def _section_file(templates: TemplateSet, name: str) -> tuple[Path | None, Path | None]:
    """The file the section template *name* is read from, and the layer (overlay or the
    workspace's templates/) whose files its images may use; the theme's sections use none."""
    for folder, layer in templates.layered:
        if (folder / name).is_file():
            return (folder / name, layer) if layer != templates.theme else (folder / name, None)
    return None, None


def _enforce(policy: Policy, html: str, env: jinja2.Environment, name: str) -> None:
    """Refuse *html* if it breaks the policy (:mod:`brief.pipeline.sanitise`), blaming template *name*."""
    refusal = policy.check_html(html, policy.roots[0])
    if refusal is not None:
        filename = env.get_template(name).filename
        raise refuse(refusal, Path(filename) if filename else None)


def render(
    job: Job, charts: dict[str, RenderedChart], brand: Brand, templates: TemplateSet, inline: bool = True
) -> Rendered:
    """Render the job's sections and layout into one HTML document.

    With *inline*, each chart's SVG is in the HTML (a data: URL); without, the HTML names it
    by :attr:`RenderedChart.url` and the typesetter is handed the SVG, which need not be
    drawn yet: only its size matters until the pages are drawn."""
    env = templates.environment()
    assert isinstance(env, BriefSandbox)
    env.budget.start()
    search_path = templates.search_path
    ctx = _Context(job, charts)
    md = _markdown(job.brief.language)
    images = SectionImages().installed(md)
    base = template_context(job, brand, ctx)
    counter = [0, 0]
    sections = []
    policy = Policy(templates.roots, (c.svg for c in charts.values() if c.svg))
    for name in job.audience.sections:
        text = _render_template(env, f"{name}.md.j2", base, search_path)
        images.template, images.layer = _section_file(templates, f"{name}.md.j2")
        html, footnotes = ctx.section(md, name, text)
        sections.append({"name": name, "html": _place_charts(html, ctx, counter, inline)})
        _enforce(policy, sections[-1]["html"] + footnotes, env, f"{name}.md.j2")
    sections = [{**s, "html": ctx.crossrefs.fill(s["html"])} for s in sections]
    number_notes(sections, ctx.notes)
    unplaced = [c for c in charts if c not in ctx.charts_placed]
    if unplaced:
        raise TemplateError(
            f"audience {job.audience_name!r} lists charts no template places: {', '.join(unplaced)}",
            job.brief_path,
            job.audience_line,
            hint='place them with {{ chart("id") }} or remove them from the audience',
        )
    layout = "layout.html.j2" if templates.find_own("layout.html.j2") else "base.html.j2"
    # The theme's stylesheet, then the workspace's (or overlay's) style.css, the audience's
    # own and custom.css: later rules win, so a workspace changes one rule without copying
    # the whole stylesheet.
    candidates = (
        templates.theme / "style.css",
        templates.find_shared("style.css", theme=False),
        templates.find_own("style.css"),
        templates.find_shared("custom.css", theme=False),
    )
    stylesheets = list(dict.fromkeys(p.resolve().as_uri() for p in candidates if p is not None and p.is_file()))
    footer = caption("Page {page} of {pages}", job.brief.language)
    css = brand.css() + page_css(job.brief.page, footer)
    sections, furniture = layout_furniture(job, brand.meta.name, base["brief_date"], sections)
    layout_context = inert(
        {"sections": sections, "notes": ctx.notes.notes, "brand_css": Markup(css), "stylesheets": stylesheets}
        | marking_context(job.brief.distribution, job.created, footer, brand.typography.headings.family, job.brief.page)
        | furniture
    )
    html = ctx.crossrefs.fill(_render_template(env, layout, {**base, **layout_context}, search_path))
    _enforce(policy, html, env, layout)
    narrative = narrative_digest("".join(section["html"] for section in sections))
    return Rendered(
        html, ctx.notes.notes, list(dict.fromkeys(ctx.figures_used)), ctx.charts_placed, charts, ctx.printed, narrative
    )
