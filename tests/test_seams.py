"""The seams of one build: the request is made once, by keyword, and flows whole; a document is
prepared one way for build, preview, check and chart export; shared options are defined once."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from brief.model.request import BuildRequest
from brief.pipeline.check import check, checked_for
from brief.pipeline.html_edition import screen_charts
from brief.pipeline.prepare import Prepared, Resolved, prepare, prepare_job, resolved, typeset_job
from brief.pipeline.record import attachments_for, record_for
from brief.pipeline.resolve import resolve
from brief.pipeline.typeset import VARIANTS, page_limit
from brief.publish.manifest import up_to_date
from helpers import add_shared_templates

CLI = Path(__file__).resolve().parent.parent / "src" / "brief" / "cli"


def test_a_request_is_made_by_keyword() -> None:
    """Ten fields in a row are not read by position: a positional request is refused."""
    with pytest.raises(TypeError):
        BuildRequest(Path("."), None, "policy")  # type: ignore[misc]
    assert all(f.kw_only for f in dataclasses.fields(BuildRequest))


def test_prepare_gives_the_rendered_document_and_the_typesetters_job(mini: Path) -> None:
    """One call checks, resolves, draws and renders; the typesetter's job follows from it, with
    the request's PDF standard and the bounds of the audience's page budget."""
    add_shared_templates(mini)
    request = BuildRequest(root=mini, audience="policy", standard="a-3a")
    prepared = prepare(request)
    assert isinstance(prepared, Prepared) and prepared.request is request
    assert prepared.job.audience_name == "policy" and "<html" in prepared.rendered.html
    job = typeset_job(prepared)
    assert job.variant == VARIANTS["a-3a"]
    assert job.max_pages == page_limit(prepared.job.audience.page_budget)
    assert job.charts.keys() == {c.url for c in prepared.rendered.charts.values()}
    # Chart export asks for the first half alone: the same job, nothing rendered.
    assert resolved(request).job == prepared.job


def test_a_check_renders_without_drawing(mini: Path) -> None:
    """The check's render stage prepares each audience as a build would, without drawing a chart."""
    add_shared_templates(mini)
    ws = resolved(BuildRequest(root=mini, audience="policy")).workspace
    prepared = prepare(BuildRequest(root=mini, audience="policy"), checked=ws, draw=False)
    assert prepared.rendered.charts and all(c.svg is None for c in prepared.rendered.charts.values())


@pytest.mark.parametrize("option", ['"--audience"', '"--variant"', '"--format"', '"--templates"', 'argument("brief"'])
def test_shared_options_are_defined_once(option: str) -> None:
    """BRIEF, --audience, --variant, --format and --templates are declared in cli/options.py and
    nowhere else: every command stacks the same bundle."""
    declared = [p.name for p in sorted(CLI.glob("*.py")) if option in p.read_text(encoding="utf-8")]
    assert declared == ["options.py"]


# The stages a build passes through, each handed what the one before made, whole.
STAGES = [
    resolved,
    resolve,
    checked_for,
    up_to_date,
    prepare,
    prepare_job,
    typeset_job,
    record_for,
    attachments_for,
    screen_charts,
]


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.__name__)
def test_a_stage_takes_the_request_whole(stage: Callable[..., Any]) -> None:
    """Each stage takes the request (or the document prepared from it) as one argument, with
    at most one other by position, and no parameter named after one of the request's fields:
    the request is never unpacked at a stage's boundary."""
    whole = (BuildRequest, Resolved, Prepared)
    hints = get_type_hints(stage)
    parameters = inspect.signature(stage).parameters
    positional = [p for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert any(hints.get(p.name) in whole for p in positional), f"{stage.__name__} takes no request"
    assert len(positional) <= 2, f"{stage.__name__}{inspect.signature(stage)}"
    fields = {f.name for f in dataclasses.fields(BuildRequest)}
    assert not fields & set(parameters), f"{stage.__name__} unpacks {sorted(fields & set(parameters))}"


def test_brief_check_is_its_own_entry_over_the_workspace() -> None:
    """``brief check`` checks the whole workspace (or one brief) in every audience and language:
    it takes no audience or language, and the overlay and rendering only by keyword."""
    parameters = inspect.signature(check).parameters
    assert [p.name for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD] == ["root", "brief_id"]
    assert {p.name for p in parameters.values() if p.kind is p.KEYWORD_ONLY} == {"overlay", "render"}


def test_a_pdfs_html_is_rendered_while_its_charts_are_drawn(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF's HTML names each chart by URL and needs only its size, so it is rendered while the
    chart engine draws (a cold build's render is off its critical path): the drawing here
    waits for the render to begin, which it would wait for in vain if the render came after."""
    import threading

    from brief.pipeline import prepare as prepare_module
    from brief.pipeline.draw import DrawJob, draw_specs

    add_shared_templates(mini)
    rendering = threading.Event()
    real_render = prepare_module.render

    def render(*args: Any, **kwargs: Any) -> Any:
        rendering.set()
        return real_render(*args, **kwargs)

    def draw(job: DrawJob) -> list[str]:
        assert rendering.wait(10), "the HTML was not rendered while the charts were drawn"
        return draw_specs(job)

    monkeypatch.setattr(prepare_module, "render", render)
    request = BuildRequest(root=mini, audience="policy", cache_dir=None)
    ready = resolved(request)
    prepared = prepare_job(ready, draw)
    assert all(c.svg for c in prepared.rendered.charts.values() if c.kind != "table")
    assert 'src="chart:' in prepared.rendered.html


def test_a_failed_render_keeps_the_charts_drawn_meanwhile_and_a_failed_chart_comes_first(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering while the charts are drawn changes nothing a user sees when it fails: the
    charts drawn meanwhile are cached (the preview's next build does not draw them again), and
    a chart that fails as well is the error, as when the charts were drawn first."""
    from brief.errors import ChartError, TemplateError
    from brief.pipeline import prepare as prepare_module
    from brief.pipeline.draw import DrawJob, draw_specs

    add_shared_templates(mini)

    def render(*args: Any, **kwargs: Any) -> Any:
        raise TemplateError("a template that fails", mini / "templates" / "policy" / "summary.md.j2", 1)

    def broken(job: DrawJob) -> list[str]:
        raise ChartError("chart 'x' failed to render")

    monkeypatch.setattr(prepare_module, "render", render)
    request = BuildRequest(root=mini, audience="policy", cache_dir=tmp_path / "cache")
    with pytest.raises(TemplateError):
        prepare_job(resolved(request), draw_specs)
    assert len(list((tmp_path / "cache" / "charts").rglob("*.svg"))) == len(resolved(request).job.audience.charts)
    fresh = BuildRequest(root=mini, audience="policy", cache_dir=tmp_path / "fresh")
    with pytest.raises(ChartError):
        prepare_job(resolved(fresh), broken)
