"""The command line's options, translated: each flag and environment variable lands in the
right field of the :class:`~brief.model.request.BuildRequest` (or argument) the CLI hands
the library. Nothing is built: the library's entry points are replaced by recorders, and
the workspace is an empty folder with briefs/ in it (all the CLI itself looks at).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.errors import BriefError, BriefWarning, DataError
from brief.model.request import BuildRequest
from brief.model.results import BuildResult
from brief.pipeline.check import Report
from brief.runtime.parallel import Outcome, Target


@dataclass
class Calls:
    """What the CLI asked of the library, in order."""

    run_one: list[BuildRequest] = field(default_factory=list)
    run_all: list[tuple[BuildRequest, list[str], bool, bool]] = field(default_factory=list)
    up_to_date: list[BuildRequest] = field(default_factory=list)
    up_to_date_answer: tuple[Path, int] | None = None
    # The editions each run_all call was left to build, once the CLI's filter (each edition
    # not up to date) had its say, and whether there was a filter.
    run_all_targets: list[list[Target]] = field(default_factory=list)
    run_all_filtered: list[bool] = field(default_factory=list)

    @property
    def request(self) -> BuildRequest:
        """The one request made by a single build."""
        assert len(self.run_one) == 1 and not self.run_all, self
        return self.run_one[0]


def result_for(request: BuildRequest) -> BuildResult:
    """What a build of *request* would report (only an HTML edition is written, a
    stand-in, as the CLI reports its size)."""
    name = f"{request.brief or 'flagship'}-{request.audience}.{request.format}"
    if request.format == "html":
        (request.root / "out").mkdir(exist_ok=True)
        (request.root / "out" / name).write_text("<!DOCTYPE html>\n", encoding="utf-8")
    return BuildResult(
        path=request.root / "out" / name,
        pages=2,
        seconds=0.1,
        brief=request.brief or "flagship",
        audience=request.audience,
        page_budget=4,
    )


def test_several_builds_that_are_up_to_date_are_said_so_each(root: Path, calls: Calls) -> None:
    """--all with every edition built from its current inputs builds nothing and says so per
    edition; with --force each is built without the check."""
    calls.up_to_date_answer = (root / "out" / "flagship-policy.pdf", 3)
    result = run(root, "build", "--all")
    assert result.exit_code == 0 and calls.run_all_targets == [[]], result.output
    assert result.output.count("out/flagship-policy.pdf  3 pages  up to date") == 2
    calls.up_to_date.clear()
    assert run(root, "build", "--all", "--force").exit_code == 0
    assert calls.up_to_date == [] and calls.run_all_filtered == [True, False]
    assert [t.audience for t in calls.run_all_targets[-1]] == ["policy", "executive"]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace holding one brief file whose first audience is policy (all the CLI reads
    before it calls the library), with no SOURCE_DATE_EPOCH from the caller's shell."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "ws" / "briefs").mkdir(parents=True)
    (tmp_path / "ws" / "briefs" / "flagship.yaml").write_text(
        "title: T\naudiences:\n  policy: {}\n  executive: {}\n", encoding="utf-8"
    )
    return (tmp_path / "ws").resolve()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Record run_one, run_all and the up-to-date check instead of building."""
    import brief.publish.manifest
    import brief.runtime.parallel

    made = Calls()

    def run_one(request: BuildRequest, environ: Any) -> BuildResult:
        made.run_one.append(request)
        return result_for(request)

    def plan(root: Path, brief: str | None, audiences: list[str], *options: bool) -> list[Target]:
        return [Target("flagship", a) for a in (audiences or ["policy", "executive"])]

    def run_all(
        request: BuildRequest,
        audiences: list[str],
        all_audiences: bool,
        all_briefs: bool,
        environ: Any,
        targets: list[Target] | None = None,
        wanted: Callable[[Target], bool] | None = None,
    ) -> tuple[list[Target], Iterator[Outcome]]:
        made.run_all.append((request, audiences, all_audiences, all_briefs))
        targets = targets if targets is not None else plan(request.root, request.brief, audiences)
        targets = [t for t in targets if wanted is None or wanted(t)]
        made.run_all_targets.append(targets)
        made.run_all_filtered.append(wanted is not None)
        outcomes = iter([Outcome(t, result_for(request.for_audience(t.brief, t.audience))) for t in targets])
        return targets, outcomes

    def up_to_date(request: BuildRequest) -> tuple[Path, int] | None:
        made.up_to_date.append(request)
        return made.up_to_date_answer

    monkeypatch.setattr(brief.runtime.parallel, "run_one", run_one)
    monkeypatch.setattr(brief.runtime.parallel, "run_all", run_all)
    monkeypatch.setattr(brief.runtime.parallel, "plan", plan)
    monkeypatch.setattr(brief.publish.manifest, "up_to_date", up_to_date)
    return made


def run(root: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """``brief -C ROOT ARGS``, in process."""
    return CliRunner().invoke(cli, ["-C", str(root), *args], prog_name="brief", env=env)


# --- brief build --------------------------------------------------------------------------


def test_defaults(root: Path, calls: Calls) -> None:
    """``brief build`` asks for the first audience of the only brief (policy here), ua-1 PDF, not strict,
    no overlay, no fixed date, the cache in $BRIEF_CACHE_DIR; and checks first whether the
    PDF is up to date."""
    result = run(root, "build", env={"BRIEF_CACHE_DIR": str(root.parent / "cache")})
    assert result.exit_code == 0, result.output
    assert calls.request == BuildRequest(root=root, audience="policy", cache_dir=root.parent / "cache")
    assert calls.up_to_date == [calls.request]
    assert result.stdout.startswith("out/flagship-policy.pdf  2 pages  ")


def test_options_map_to_request_fields(root: Path, calls: Calls, tmp_path: Path) -> None:
    """BRIEF, --audience, --templates, --strict, --pdf-standard and --format each land in
    their field of the request."""
    overlay = tmp_path / "mine"
    overlay.mkdir()
    result = run(
        root,
        "build",
        "other-brief",
        "--audience",
        "executive",
        "--templates",
        str(overlay),
        "--strict",
        "--pdf-standard",
        "a-3b",
        "--format",
        "pdf",
    )
    assert result.exit_code == 0, result.output
    request = calls.request
    assert (request.root, request.brief, request.audience) == (root, "other-brief", "executive")
    assert (request.overlay, request.strict, request.standard, request.format) == (overlay, True, "a-3b", "pdf")


@pytest.mark.parametrize(
    ("args", "field_name", "value"),
    [
        (["-a", "technical"], "audience", "technical"),
        (["--pdf-standard", "none"], "standard", "none"),
        (["--format", "html"], "format", "html"),
        (["--strict"], "strict", True),
    ],
    ids=["short-audience", "standard-none", "format-html", "strict"],
)
def test_one_option_changes_one_field(
    root: Path, calls: Calls, args: list[str], field_name: str, value: object
) -> None:
    """Each option changes its own field and no other."""
    assert run(root, "build", *args).exit_code == 0
    default = BuildRequest(root=root, cache_dir=calls.request.cache_dir)
    changed = {
        name: getattr(calls.request, name)
        for name in vars(default)
        if getattr(calls.request, name) != getattr(default, name)
    }
    assert changed == {field_name: value}


def test_directory_option_finds_the_workspace_above(root: Path, calls: Calls) -> None:
    """-C DIR inside a workspace builds that workspace (the nearest folder with briefs/)."""
    inner = root / "templates" / "policy"
    inner.mkdir(parents=True)
    assert run(inner, "build").exit_code == 0
    assert calls.request.root == root


def test_source_date_epoch_is_the_request_date(root: Path, calls: Calls) -> None:
    """SOURCE_DATE_EPOCH becomes the request's source date, and the up-to-date check and the
    manifest see the same seconds."""
    result = run(root, "build", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.exit_code == 0, result.output
    assert calls.request.source_date == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert calls.request.source_date_epoch == "1767225600"
    assert calls.up_to_date[0].source_date_epoch == "1767225600"


@pytest.mark.parametrize("epoch", ["yesterday", "-1", "1e9", "99999999999999"])
def test_bad_source_date_epoch_is_one_line(root: Path, calls: Calls, epoch: str) -> None:
    """A SOURCE_DATE_EPOCH that is not seconds since 1970 (up to 9999) is one error line,
    exit status 1, and nothing is built."""
    result = run(root, "build", env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: SOURCE_DATE_EPOCH={epoch!r} is not a number"), lines
    assert "Traceback" not in result.output
    assert calls.run_one == [] and calls.run_all == [] and calls.up_to_date == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BRIEF_CACHE_DIR": "/somewhere/cache", "XDG_CACHE_HOME": "/xdg"}, Path("/somewhere/cache")),
        ({"BRIEF_CACHE_DIR": None, "XDG_CACHE_HOME": "/xdg"}, Path("/xdg/brief")),
    ],
    ids=["brief-cache-dir", "xdg-cache-home"],
)
def test_cache_folder_from_the_environment(
    root: Path, calls: Calls, env: dict[str, str | None], expected: Path
) -> None:
    """$BRIEF_CACHE_DIR is the chart cache; without it, $XDG_CACHE_HOME/brief."""
    assert run(root, "build", env=env).exit_code == 0
    assert calls.request.cache_dir == expected


def test_up_to_date_pdf_is_not_rebuilt(root: Path, calls: Calls) -> None:
    """When the PDF is up to date, the CLI says so and does not build."""
    calls.up_to_date_answer = (root / "out" / "flagship-policy.pdf", 3)
    result = run(root, "build")
    assert result.exit_code == 0
    assert calls.run_one == []
    assert result.stdout.startswith("out/flagship-policy.pdf  3 pages  up to date (")
    assert "--force to rebuild" in result.stdout


@pytest.mark.parametrize("args", [["--force"], ["--strict"], ["--format", "html"]], ids=["force", "strict", "html"])
def test_force_strict_and_html_skip_the_up_to_date_check(root: Path, calls: Calls, args: list[str]) -> None:
    """--force (and --strict, and the HTML edition) build without asking whether the PDF is
    up to date."""
    calls.up_to_date_answer = (root / "out" / "flagship-policy.pdf", 3)
    assert run(root, "build", *args).exit_code == 0
    assert calls.up_to_date == []
    assert len(calls.run_one) == 1


@pytest.mark.parametrize(
    ("args", "audience", "audiences", "all_audiences", "all_briefs"),
    [
        # --all and --all-briefs name no audience: run_all plans them all.
        (["--all"], "", [], True, False),
        (["--all-briefs"], "", [], False, True),
        (["-a", "executive", "-a", "technical"], "executive", ["executive", "technical"], False, False),
    ],
    ids=["all", "all-briefs", "two-audiences"],
)
def test_several_builds_go_to_run_all(
    root: Path,
    calls: Calls,
    args: list[str],
    audience: str,
    audiences: list[str],
    all_audiences: bool,
    all_briefs: bool,
) -> None:
    """--all, --all-briefs and a repeated --audience call run_all with what they ask for,
    the options shared through the request, and the editions that are not up to date (each
    checked); no run_one."""
    result = run(root, "build", *args, "--pdf-standard", "none")
    assert result.exit_code == 0, result.output
    planned = [("flagship", a) for a in audiences or ["policy", "executive"]]
    assert calls.run_one == [] and [(c.brief, c.audience) for c in calls.up_to_date] == planned
    assert [[(t.brief, t.audience) for t in targets] for targets in calls.run_all_targets] == [planned]
    [(request, *rest)] = calls.run_all
    assert (request.audience, request.standard, request.brief) == (audience, "none", None)
    assert rest == [audiences, all_audiences, all_briefs]
    assert result.stdout.count(" 2 pages ") == len(audiences or ["policy", "executive"])


def test_unknown_choice_is_a_usage_error(root: Path, calls: Calls) -> None:
    """A --pdf-standard or --format outside its choices is Click's usage error (exit 2)."""
    for args in (["--pdf-standard", "a-1b"], ["--format", "docx"]):
        result = run(root, "build", *args)
        assert result.exit_code == 2 and "Invalid value" in result.stderr
    assert calls.run_one == []


# --- brief check --------------------------------------------------------------------------


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[tuple[Any, ...]]:
    """Replace the checks with one that records its arguments and finds one warning and two
    errors (out of file order)."""
    import brief.pipeline.check

    seen: list[tuple[Any, ...]] = []
    figures = root / "data" / "figures" / "models.yaml"
    problems: list[BriefError] = [
        DataError("value must be a number", figures, 12, hint="write 3.5, not '3.5%'"),
        BriefWarning("source 'old-report' is cited by no figure", root / "data" / "sources.yaml", 40),
        DataError("unknown unit 'percent'", figures, 3),
    ]
    problems[0].column = 10

    def check(where: Path, brief_id: str | None = None, *, overlay: Path | None = None, render: bool = False) -> Report:
        assert render  # brief check renders, as a build would
        seen.append((where, brief_id, overlay))
        ws: Any = SimpleNamespace(figures={}, sources={}, briefs={})
        return Report(ws, list(problems))

    monkeypatch.setattr(brief.pipeline.check, "check", check)
    return seen


def test_check_passes_brief_and_overlay(root: Path, checked: list[tuple[Any, ...]], tmp_path: Path) -> None:
    """``brief check BRIEF --templates DIR`` checks that brief with that overlay."""
    overlay = tmp_path / "mine"
    overlay.mkdir()
    run(root, "check", "flagship", "--templates", str(overlay))
    assert checked == [(root, "flagship", overlay)]
    run(root, "check")
    assert checked[-1] == (root, None, None)


def test_check_json_is_each_problem_as_a_dict(root: Path, checked: list[tuple[Any, ...]]) -> None:
    """``brief check --format json`` prints a list of Problem.as_dict(): path (relative to
    the workspace), line, column, severity, message and hint, sorted by file and line."""
    result = run(root, "check", "--format", "json")
    assert result.exit_code == 1  # errors found
    assert result.stderr == ""
    assert json.loads(result.stdout) == [
        {
            "path": "data/figures/models.yaml",
            "line": 3,
            "column": None,
            "severity": "error",
            "message": "unknown unit 'percent'",
            "hint": None,
        },
        {
            "path": "data/figures/models.yaml",
            "line": 12,
            "column": 10,
            "severity": "error",
            "message": "value must be a number",
            "hint": "write 3.5, not '3.5%'",
        },
        {
            "path": "data/sources.yaml",
            "line": 40,
            "column": None,
            "severity": "warning",
            "message": "source 'old-report' is cited by no figure",
            "hint": None,
        },
    ]


def test_check_text_is_one_line_per_problem(root: Path, checked: list[tuple[Any, ...]]) -> None:
    """The text format prints the same problems, one line each, and the counts on stderr."""
    result = run(root, "check")
    assert result.stdout.splitlines() == [
        "data/figures/models.yaml:3: error: unknown unit 'percent'",
        "data/figures/models.yaml:12:10: error: value must be a number — write 3.5, not '3.5%'",
        "data/sources.yaml:40: warning: source 'old-report' is cited by no figure",
    ]
    assert result.stderr == "2 errors, 1 warning in 0 figures, 0 sources, 0 briefs\n"
