"""Stage 4, render (brief.pipeline.render): figures and charts into HTML, notes, escaping, the sandbox.

Charts are stand-ins built without vl-convert (their SVG is empty); everything else is real.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest

from brief.errors import TemplateError
from brief.pipeline.charts import RenderedChart, alt_text, chart_rows
from brief.pipeline.citations import source_line
from brief.pipeline.render import Rendered, render
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand, load_brand
from brief.workspace.load import load_workspace
from brief.workspace.templates import TemplateSet
from helpers import REPO, job_for, render_job, replace_in

NOTE_REF = re.compile(r'<a class="note-ref" href="#note-(\d+)"(?: id="ref-\d+")?>(\d+)</a>')
RenderFn = Callable[..., Rendered]


def stand_in_chart(job: Job, brand: Brand, chart_id: str) -> RenderedChart:
    """A RenderedChart with real rows, alt text and source line, and an empty SVG."""
    spec = job.brief.charts[chart_id]
    rows = chart_rows(spec, job.figures, brand)
    figures = tuple(dict.fromkeys(job.figures[r.figure] for r in spec.rows))
    return RenderedChart(
        id=chart_id,
        title=spec.title,
        subtitle=spec.subtitle,
        source_line=source_line(list(figures), job.sources),
        alt=alt_text(spec, rows),
        svg='<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        width=spec.width,
        figures=figures,
    )


@pytest.fixture
def section_path(mini_job: Job) -> Path:
    """The mini workspace's one section template, templates/policy/intro.md.j2."""
    return mini_job.root / "templates" / "policy" / "intro.md.j2"


@pytest.fixture
def render_with(mini_job: Job, brand: Brand, section_path: Path) -> RenderFn:
    """Render the mini brief with *text* as its intro section (charts: the audience's, as
    stand-ins, unless *charts* is given); the layout comes from the repository."""

    def run(text: str | None = None, charts: list[str] | None = None, job: Job | None = None) -> Rendered:
        job = job or mini_job
        if text is not None:
            section_path.write_text(text, encoding="utf-8")
        ids = job.audience.charts if charts is None else charts
        rendered_charts = {cid: stand_in_chart(job, brand, cid) for cid in ids}
        templates = TemplateSet(REPO / "templates", "policy", section_path.parent.parent)
        return render(job, rendered_charts, brand, templates)

    return run


def section_html(rendered: Rendered, name: str = "intro") -> str:
    """The HTML of one section of a rendered document, without the back-link anchors on
    first marks (``id="ref-N"``), the word joiners before marks and the commas between marks
    side by side (each tested on its own)."""
    match = re.search(rf'<section class="section section-{name}">(.*?)</section>', rendered.html, re.S)
    assert match, f"no section {name!r}"
    html = re.sub(r' id="ref-\d+"', "", match.group(1)).replace("\u2060<a", "<a")
    return html.replace('<span class="note-sep">,</span><a', "<a")


def test_first_mark_of_each_note_is_a_link_target(render_with: RenderFn) -> None:
    """Each note's first mark carries id="ref-N" and its note links back to it; later marks
    of the same note carry no id (ids are unique)."""
    html = render_with('Alpha {{ fig("widgets_alpha") }}.\n\nAgain {{ fig("widgets_alpha") }}.\n', charts=[]).html
    assert html.count('id="ref-1"') == 1
    assert '<a class="note-ref" href="#note-1" id="ref-1">1</a>' in html
    assert '<a class="note-back" href="#ref-1"' in html


def template_error(run: Callable[[], object]) -> TemplateError:
    """Run *run*, expecting a TemplateError, and return it."""
    with pytest.raises(TemplateError) as info:
        run()
    return info.value


# --- fig() ------------------------------------------------------------------------------


def test_fixture_section_renders(render_with: RenderFn) -> None:
    """The fixture's own section renders: figures, the chart and three notes."""
    rendered = render_with()
    assert rendered.figures_used == ["widgets_alpha", "widgets_ratio", "share_rise", "widgets_beta"]
    assert rendered.charts_placed == ["counts"]
    assert [n.number for n in rendered.notes] == [1, 2, 3]


def test_fig_writes_formatted_value_and_note_link(render_with: RenderFn) -> None:
    """fig() writes the value formatted by its unit (number and unit joined by a no-break
    space), marked with its figure id, and a link to its endnote."""
    html = section_html(render_with('We invested {{ fig("investment_alpha") }} in widgets.\n', charts=[]))
    assert '<span class="figure-value" data-figure="investment_alpha">$109.1\u00a0billion</span>' in html
    assert 'in widgets.<a class="note-ref" href="#note-1">1</a>' in html


def test_fig_short_style_and_no_note(render_with: RenderFn) -> None:
    """fig(id, "short") uses the short form; note=False leaves out the note mark."""
    rendered = render_with('Up {{ fig("share_rise", "short") }}, or {{ fig("share_rise", note=False) }}.\n', charts=[])
    html = section_html(rendered)
    assert ">27.0\u00a0pp</span>" in html
    assert ">27.0\u00a0percentage points</span>" in html
    assert len(NOTE_REF.findall(html)) == 1


def test_fig_with_bad_style(render_with: RenderFn, section_path: Path) -> None:
    """A style other than long, short, abs or signed is a TemplateError at the template line."""
    error = template_error(lambda: render_with('Up {{ fig("share_rise", "tiny") }}.\n', charts=[]))
    assert error.message == "fig() style must be one of long, short, abs, signed, not 'tiny'"
    assert (error.path, error.line) == (section_path, 1)


def test_figures_used_in_order_without_repeats(render_with: RenderFn) -> None:
    """figures_used lists each figure once, text first then chart figures."""
    rendered = render_with(
        '{{ fig("share_2024") }} and {{ fig("share_2023") }} and {{ fig("share_2024") }}.\n\n{{ chart("counts") }}\n'
    )
    assert rendered.figures_used == ["share_2024", "share_2023", "widgets_alpha", "widgets_beta"]


def test_unknown_figure_names_template_file_and_line(render_with: RenderFn, section_path: Path) -> None:
    """An unknown figure is a TemplateError at the template's file and line, with a hint."""
    error = template_error(
        lambda: render_with('## Title\n\nAlpha installed\n{{ fig("widgets_alpah") }} widgets.\n', charts=[])
    )
    assert error.message == "unknown figure 'widgets_alpah'"
    assert (error.path, error.line) == (section_path, 4)
    assert (error.hint or "").startswith("did you mean widgets_alpha")
    assert error.format().startswith(f"{section_path}:4: unknown figure 'widgets_alpah'")


def test_template_syntax_error(render_with: RenderFn, section_path: Path) -> None:
    """A Jinja syntax error is a TemplateError at the template's line."""
    error = template_error(lambda: render_with('Fine.\n\n{{ fig("share_2023" }}\n', charts=[]))
    assert error.message.startswith("template syntax error")
    assert error.line == 3
    assert error.path is not None and error.path.name == "intro.md.j2"


def test_undefined_name(render_with: RenderFn, section_path: Path) -> None:
    """Using a name the template does not have is a TemplateError at its line, with a hint."""
    error = template_error(lambda: render_with("One.\n{{ brief.nonexistent_field }}\n", charts=[]))
    assert (error.path, error.line) == (section_path, 2)
    assert "nonexistent_field" in error.message
    assert 'fig("id")' in (error.hint or "")


def test_missing_section_template(render_with: RenderFn, mini_job: Job) -> None:
    """A section the audience lists but no template provides is a TemplateError naming it."""
    audience = mini_job.audience.model_copy(update={"sections": ["intro", "missing"]})
    error = template_error(lambda: render_with(job=replace(mini_job, audience=audience)))
    assert error.message == "template 'missing.md.j2' not found"


def test_cite_a_source(render_with: RenderFn) -> None:
    """cite() marks a quote with a note citing the source at the locator."""
    rendered = render_with('They said "widgets win".{{ cite("report-a", "p. 3") }}\n', charts=[])
    assert rendered.notes[0].html.startswith("Widget Institute, <cite>The Widget Report 2025</cite>")
    assert rendered.notes[0].html.endswith(
        'p. 3. <a class="url" href="https://example.org/widgets">https://example.org/widgets</a>.'
    )


def test_cite_unknown_source(render_with: RenderFn, section_path: Path) -> None:
    """cite() of an unknown source is a TemplateError listing the sources."""
    error = template_error(lambda: render_with('X.{{ cite("report-z") }}\n', charts=[]))
    assert error.message == "unknown source 'report-z'"
    assert error.hint == "sources: report-a, survey-b"
    assert (error.path, error.line) == (section_path, 1)


# --- note marks ----------------------------------------------------------------------------


def test_note_marks_move_to_sentence_end(render_with: RenderFn) -> None:
    """Marks go after the sentence's punctuation, never straight after a number."""
    html = section_html(
        render_with(
            'Alpha installed {{ fig("widgets_alpha") }} widgets, {{ fig("widgets_ratio") }} as many as Beta. '
            'Gadget use rose {{ fig("share_rise") }}; investment was {{ fig("investment_alpha") }}.\n',
            charts=[],
        )
    )
    assert "</span><a" not in html
    assert ('as many as Beta.<a class="note-ref" href="#note-1">1</a><a class="note-ref" href="#note-2">2</a> ') in html
    assert (
        'rose <span class="figure-value" data-figure="share_rise">27.0\u00a0percentage points</span>;'
        '<a class="note-ref" href="#note-3">3</a>' in html
    )
    assert html.rstrip().endswith('billion</span>.<a class="note-ref" href="#note-4">4</a></p>')


def test_decimal_point_is_not_a_sentence_end(render_with: RenderFn) -> None:
    """A decimal point ("109.1") or a dotted name ("3.1-405B") does not end a sentence."""
    html = section_html(
        render_with('Investment was {{ fig("investment_alpha") }} for model 3.1-405B in total.\n', charts=[])
    )
    assert html.rstrip().endswith('in total.<a class="note-ref" href="#note-1">1</a></p>')


def test_a_note_is_marked_once_per_paragraph(render_with: RenderFn) -> None:
    """A figure cited in two sentences of a paragraph is marked once, at the first sentence."""
    html = section_html(
        render_with(
            'Alpha installed {{ fig("widgets_alpha") }}. Beta installed {{ fig("widgets_beta") }}.\n\n'
            'Again, {{ fig("widgets_alpha") }}.\n',
            charts=[],
        )
    )
    assert NOTE_REF.findall(html) == [("1", "1"), ("1", "1")]
    assert 'Alpha installed <span class="figure-value" data-figure="widgets_alpha">276,300</span>.<a' in html
    assert "Beta installed" in html and html.count("note-ref") == 2


def test_marks_follow_closing_quotes(render_with: RenderFn) -> None:
    """A sentence ending in a closing quote gets its mark after the quote."""
    html = section_html(render_with('It rose by {{ fig("share_rise") }} "in one year." Next.\n', charts=[]))
    assert '”<a class="note-ref" href="#note-1">1</a> Next.' in html


def test_marks_in_real_policy_sections(tmp_path: Path) -> None:
    """In the real policy brief every note mark follows sentence punctuation, a closing quote
    or another mark, never a number or a figure."""
    from helpers import copy_workspace

    root = copy_workspace(REPO, tmp_path / "ws")
    job = job_for(load_workspace(root))
    templates = TemplateSet(root / "templates", "policy")
    brand = load_brand(templates)  # the copy's brand: its fonts are inside the copy's templates
    charts = {cid: stand_in_chart(job, brand, cid) for cid in job.audience.charts}
    rendered = render(job, charts, brand, templates)
    body = rendered.html.split('<section class="endnotes">')[0]
    marks = list(NOTE_REF.finditer(body))
    assert len(marks) > 20
    for mark in marks:
        before = body[: mark.start()]
        assert before.endswith("\u2060"), before[-60:]  # joined to the word before it
        before = before.removesuffix("\u2060").removesuffix('<span class="note-sep">,</span>')
        assert before.endswith(("</a>", ".", ";", "!", "?", "”", ")")), before[-60:]
        assert not before.endswith("</span>")


def test_notes_numbered_in_reading_order_with_a_chart_first(render_with: RenderFn) -> None:
    """A chart placed above a paragraph takes the first note number; the paragraph the next."""
    rendered = render_with('{{ chart("counts") }}\n\nGadget use rose {{ fig("share_rise") }}.\n')
    numbers = [int(n) for n, _ in NOTE_REF.findall(section_html(rendered))]
    assert numbers == sorted(numbers)


# --- charts ---------------------------------------------------------------------------------


def test_chart_is_placed_as_a_figure(render_with: RenderFn) -> None:
    """chart() places a numbered figure: title, subtitle, SVG image with alt text, source line
    with the note of its figures."""
    html = section_html(render_with())
    figure = re.search(r'<figure class="chart chart-half" id="figure-counts">.*?</figure>', html, re.S)
    assert figure
    text = figure.group(0)
    assert '<span class="chart-number">Figure 1.</span> Alpha installs about six times' in text
    assert '<img src="data:image/svg+xml;base64,' in text
    assert 'alt="Bar chart of widgets installed in 2024, units. Alpha: 276,300; Beta: 46,100.' in text
    assert re.search(
        r'<p class="chart-source">Source: Widget Report, table 1, p\. 4\.'
        r'<a class="note-ref" href="#note-1">1</a></p>',
        text,
    )


def test_two_charts_side_by_side(render_with: RenderFn, mini_job: Job) -> None:
    """chart("a", "b") places two figures in one row, numbered in order."""
    audience = mini_job.audience.model_copy(update={"charts": ["counts", "shares"]})
    job = replace(mini_job, audience=audience)
    html = section_html(render_with('Text.\n\n{{ chart("counts", "shares") }}\n', job=job))
    assert '<div class="chart-row"><figure class="chart chart-half" id="figure-counts">' in html
    assert html.index("Figure 1.") < html.index("Figure 2.")
    assert 'id="figure-shares"' in html


def test_chart_listed_but_not_placed(render_with: RenderFn, mini_job: Job) -> None:
    """A chart listed for the audience that no template places is a TemplateError."""
    error = template_error(lambda: render_with("No chart here.\n"))
    assert error.message == "audience 'policy' lists charts no template places: counts"
    assert error.path == mini_job.brief_path
    assert 'chart("id")' in (error.hint or "")


def test_chart_placed_twice(render_with: RenderFn, section_path: Path) -> None:
    """Placing the same chart twice is a TemplateError at the second place."""
    error = template_error(lambda: render_with('{{ chart("counts") }}\n\nText.\n\n{{ chart("counts") }}\n'))
    assert error.message == "chart 'counts' is placed twice"
    assert (error.path, error.line) == (section_path, 5)


def test_chart_not_in_audience(render_with: RenderFn, section_path: Path) -> None:
    """Placing a chart the audience does not list is a TemplateError naming the audience's charts."""
    error = template_error(lambda: render_with('{{ chart("counts") }}\n\n{{ chart("shares") }}\n'))
    assert error.message == "chart 'shares' is not in this audience's charts"
    assert error.hint == "this audience's charts: counts"
    assert (error.path, error.line) == (section_path, 3)


# --- layout, Markdown and escaping ---------------------------------------------------------


def test_layout_has_language_and_metadata(render_with: RenderFn) -> None:
    """The layout sets the document language and the metadata WeasyPrint turns into PDF info."""
    html = render_with().html
    assert '<html lang="en-US">' in html
    assert "<title>The Widget Gap: Alpha installs far more widgets than Beta</title>" in html
    assert '<meta name="author" content="Test Author">' in html
    assert '<meta name="description" content="Widgets and gadgets, for tests">' in html
    assert '<meta name="keywords" content="widgets, gadgets">' in html
    assert "@font-face" in html
    assert '<li id="note-1" class="note-source">' in html


def test_markdown_containers_and_typography(render_with: RenderFn) -> None:
    """Sections are Markdown: headings, ::: boxes and curly quotes."""
    html = section_html(render_with('## Heading\n\n::: box\nIt\'s "boxed".\n:::\n', charts=[]))
    assert "<h2>Heading</h2>" in html
    assert '<div class="box">' in html
    assert "It’s “boxed”." in html


def test_audience_layout_overrides_base(render_with: RenderFn, section_path: Path) -> None:
    """A layout.html.j2 in the audience folder is used instead of base.html.j2."""
    (section_path.parent / "layout.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block endnotes %}<p>custom notes</p>{% endblock %}', encoding="utf-8"
    )
    html = render_with().html
    assert "<p>custom notes</p>" in html
    assert '<section class="endnotes">' not in html


def test_data_is_escaped(mini: Path, brand: Brand) -> None:
    """HTML in data (brief title, figure labels, chart titles) is escaped wherever it is printed."""
    brief = mini / "briefs" / "mini.yaml"
    replace_in(brief, "title: The Widget Gap", "title: Widgets <script>alert(1)</script> & co")
    replace_in(brief, "title: Alpha installs about six times", "title: <b>Alpha</b> installs about six times")
    replace_in(
        mini / "data" / "figures" / "widgets.yaml",
        "label: Widgets installed by Alpha, 2024",
        "label: Widgets <img src=x> installed by Alpha, 2024",
    )
    (mini / "templates" / "policy" / "intro.md.j2").write_text(
        '# {{ brief.title }}\n\nRatio {{ fig("widgets_ratio") }}.\n\n{{ chart("counts") }}\n', encoding="utf-8"
    )
    job = job_for(load_workspace(mini))
    rendered = render(
        job,
        {"counts": stand_in_chart(job, brand, "counts")},
        brand,
        TemplateSet(REPO / "templates", "policy", mini / "templates"),
    )
    html = rendered.html
    assert "<script>" not in html and "<img src=x>" not in html and "<b>Alpha</b>" not in html
    assert "<h1>Widgets &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</h1>" in html
    assert "<title>Widgets &lt;script&gt;" in html
    assert "Widgets &lt;img src=x&gt; installed by Alpha" in rendered.notes[0].html
    assert "&lt;b&gt;Alpha&lt;/b&gt; installs" in html
    # and the section's own heading, rendered by Markdown from an escaped value
    assert unescape(section_html(rendered)).count("<script>alert(1)</script>") == 1


SANDBOX_CASES = {
    "function-globals": "{{ fig.__globals__ }}",
    "str-mro": "{{ ''.__class__.__mro__ }}",
    "bound-self": "{{ fig.__self__.job }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'] }}",
}


@pytest.mark.parametrize("case", list(SANDBOX_CASES), ids=list(SANDBOX_CASES))
def test_sandbox_blocks_python_internals(render_with: RenderFn, section_path: Path, case: str) -> None:
    """A template cannot reach Python internals: Jinja's SecurityError surfaces as a
    TemplateError at the template line, saying the access is unsafe."""
    error = template_error(lambda: render_with(f"Line one.\n{SANDBOX_CASES[case]}\n", charts=[]))
    assert "unsafe" in error.message
    assert (error.path, error.line) == (section_path, 2)


def test_templates_cannot_include_files_outside_the_template_folders(render_with: RenderFn) -> None:
    """An include that climbs out of the template folders finds nothing."""
    error = template_error(lambda: render_with('{% include "../../data/sources.yaml" %}\n', charts=[]))
    assert "not found" in error.message


def test_render_job_needs_the_audience_template_folder(mini: Path) -> None:
    """An audience without a templates/AUDIENCE/ folder is a TemplateError with a hint."""
    ws = load_workspace(mini)
    error = template_error(lambda: render_job(ws, job_for(ws, "press")))
    assert error.message == "no template folder for audience 'press'"
    assert error.hint == "create templates/press/ with the audience's sections"
