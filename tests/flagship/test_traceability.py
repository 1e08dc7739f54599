"""Every number in the built PDF is traceable to data.

The PDF's text is split into numbers; each must come from a figure the brief prints, from
a source's metadata or locator in the endnotes, from a chart's own axis labels, or be a
year, a page, note, figure or list number. A number typed by hand into a template or the
layout fails this test.
"""

from __future__ import annotations

import base64
import html as htmllib
import re

import pytest

from helpers import PolicyBuild, spaced

# A standalone number: not part of a name ("GPT-4", "3.1-405B", "H800") or glued to a
# word (an endnote mark right after a word: "points7").
NUMBER = re.compile(r"(?<![\w\-–/.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w\-–])")
YEAR = re.compile(r"^(19|20)\d\d$")


def numbers_in(text: str) -> list[str]:
    """Standalone numbers in *text*, thousands separators kept (``276,300``)."""
    return NUMBER.findall(spaced(text))


def allowed_numbers(build: PolicyBuild, pages: int) -> tuple[set[str], set[str]]:
    """Numbers that data, sources and charts produce; and the document's own numbering."""
    rendered, job = build.rendered, build.job
    allowed: set[str] = set()
    for fid in rendered.figures_used:
        fig = job.figures[fid]
        for style in ("long", "short"):
            allowed.update(numbers_in(fig.text(style)))
    for note in rendered.notes:
        allowed.update(numbers_in(htmllib.unescape(re.sub(r"<[^>]+>", " ", note.html))))
    for svg64 in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", rendered.html):
        svg = base64.b64decode(svg64).decode("utf-8")
        for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
            allowed.update(numbers_in(htmllib.unescape(text)))
    for chart in job.brief.charts.values():
        allowed.update(numbers_in(chart.title + " " + chart.subtitle))
    allowed.add(str(job.brief.date.day))
    # The colophon's licence ("CC BY 4.0") and tool version come from the brief file and the tool.
    colophon = re.search(r'<footer class="colophon">(.*?)</footer>', rendered.html, re.S)
    if colophon:
        allowed.update(numbers_in(htmllib.unescape(re.sub(r"<[^>]+>", " ", colophon[1]))))
    count = max(pages, len(rendered.notes), len(rendered.charts_placed), 10)
    return allowed, {str(n) for n in range(1, count + 1)}


def untraceable(text: str, allowed: tuple[set[str], set[str]]) -> list[str]:
    """Numbers in *text* that are neither produced from data, nor numbering, nor years."""
    data, ordinals = allowed
    out = []
    for token in numbers_in(text):
        if token in data or token in ordinals or YEAR.match(token):
            continue
        # Text extraction glues a note mark to a sentence's last number: "p. 86.5" is
        # "p. 86." then note 5. Only a data number or year followed by a note number.
        head, _, tail = token.partition(".")
        if tail in ordinals and (head in data or YEAR.match(head)):
            continue
        out.append(token)
    return out


@pytest.mark.slow
def test_every_number_in_the_pdf_comes_from_data(policy_build: PolicyBuild, policy_text: str) -> None:
    """No number in the policy PDF is untraceable: each is produced from data or numbering."""
    pages = policy_build.result.pages
    assert untraceable(policy_text, allowed_numbers(policy_build, pages)) == []


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "technical"])
def test_every_number_in_every_edition_comes_from_data(
    other_builds: dict[str, tuple[PolicyBuild, str]], audience: str
) -> None:
    """The executive and technical PDFs hold no untraceable number either."""
    made, text = other_builds[audience]
    assert untraceable(text, allowed_numbers(made, made.result.pages)) == []


@pytest.mark.slow
def test_hand_typed_number_would_be_caught(policy_build: PolicyBuild, policy_text: str) -> None:
    """The check has teeth: a number that no figure produces is reported."""
    allowed = allowed_numbers(policy_build, policy_build.result.pages)
    tampered = policy_text + "\nChina's share rose to 57.3% and $412 billion, 18,250 robots."
    assert untraceable(tampered, allowed) == ["57.3", "412", "18,250"]


@pytest.mark.slow
def test_figure_values_are_what_the_text_prints(policy_build: PolicyBuild, policy_text: str) -> None:
    """Each figure the brief uses appears in the PDF formatted by its unit, long or short form."""
    text = spaced(policy_text).replace("\u2010", "-")
    job = policy_build.job
    missing = [
        fid
        for fid in policy_build.rendered.figures_used
        if spaced(job.figures[fid].text("long")) not in text and spaced(job.figures[fid].text("short")) not in text
    ]
    assert missing == []
