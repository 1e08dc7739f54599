"""Shared fixtures: workspace copies, the mini fixture workspace, and the one real PDF build.
The helpers tests call by name are in helpers.py.

The real policy brief is built once per session (``policy_build``) in a copy of the
repository's workspace and reused by every end-to-end test; nothing here writes into the
repository itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brief.pipeline.build import build
from brief.pipeline.resolve import Job
from brief.workspace.brand import Brand, load_brand
from brief.workspace.load import load_workspace
from helpers import (
    MINI,
    PRESS_SECTION,
    REPO,
    PolicyBuild,
    add_shared_templates,
    copy_workspace,
    job_for,
    render_job,
    request_for,
)
from mailserver import Recorder, serving


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_reaches_children() -> None:
    """Tests send Ctrl-C (SIGINT) to the commands they start. A shell that runs the suite in
    the background starts it with SIGINT ignored, which every child would inherit (and Python
    then never raises KeyboardInterrupt); the suite's own processes take it as a terminal does."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True, scope="session")
def private_chart_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests share one chart cache of their own, never the user's (subprocesses inherit it)."""
    import os

    os.environ["BRIEF_CACHE_DIR"] = str(tmp_path_factory.mktemp("chart-cache"))


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/mini (briefs/, data/, templates/policy/ only)."""
    return copy_workspace(MINI, tmp_path / "mini")


@pytest.fixture
def ws(mini: Path) -> Path:
    """The mini workspace with a template for its press audience and the repository's layout,
    stylesheet, brand and fonts, so that it checks clean (check renders each audience, as a
    build would)."""
    press = mini / "templates" / "press"
    press.mkdir()
    (press / "intro.md.j2").write_text(PRESS_SECTION, encoding="utf-8")
    return add_shared_templates(mini)


@pytest.fixture
def mini_full(mini: Path) -> Path:
    """The mini workspace with the repository's layout, brand and fonts, so it can be built."""
    return add_shared_templates(mini)


@pytest.fixture
def mini_job(mini: Path) -> Job:
    """The mini workspace loaded and resolved for its policy audience."""
    return job_for(load_workspace(mini))


@pytest.fixture(scope="session")
def brand() -> Brand:
    """The repository's brand (templates/brand.yml), read once."""
    return load_brand(REPO / "templates")


@pytest.fixture
def real_ws(tmp_path: Path) -> Path:
    """A fresh writable copy of the repository's workspace."""
    return copy_workspace(REPO, tmp_path / "ws")


@pytest.fixture(scope="session")
def policy_build(tmp_path_factory: pytest.TempPathFactory) -> PolicyBuild:
    """Build the flagship policy brief once per session in a copy of the workspace."""
    root = copy_workspace(REPO, tmp_path_factory.mktemp("policy") / "ws")
    result = build(request_for(root, None, "policy"))
    ws = load_workspace(root)
    job = job_for(ws)
    return PolicyBuild(root=root, result=result, rendered=render_job(ws, job), job=job)


@pytest.fixture(scope="session")
def policy_text(policy_build: PolicyBuild) -> str:
    """The built PDF's text (pypdf), page by page, NBSPs and line breaks left as they are."""
    from pypdf import PdfReader

    reader = PdfReader(policy_build.pdf)
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    """A real SMTP server on 127.0.0.1 at an ephemeral port, recording every message, for one
    test (a module that shares one across its tests defines its own, module-scoped)."""
    yield from serving()


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """A fresh copy of a built workspace, made the working folder."""

    def made(built: Path) -> Path:
        root = tmp_path / "ws"
        shutil.copytree(built, root)
        monkeypatch.chdir(root)
        return root

    return made


@pytest.fixture
def copy_built(policy_build: PolicyBuild, tmp_path: Path) -> Callable[[], Path]:
    """Make a writable copy of the built workspace, out/ (with the real PDF) included."""

    def make() -> Path:
        dest = copy_workspace(policy_build.root, tmp_path / "built")
        shutil.copytree(policy_build.root / "out", dest / "out")
        return dest

    return make


def _hypothesis_profiles() -> None:
    """`dev` (the default), `ci` and `nightly`, chosen by HYPOTHESIS_PROFILE. The fuzz tests fix
    their own example counts and deadlines (tests/test_fuzz.py), scaled by
    :func:`helpers.examples`; a profile sets what they leave open. `ci` prints the blob that
    replays a failure, since a CI machine keeps no example database to find it again; `nightly`
    does too, and runs ten times the examples (a scheduled run, with time to spare)."""
    import os

    from hypothesis import settings

    settings.register_profile("dev")
    settings.register_profile("ci", print_blob=True)
    settings.register_profile("nightly", print_blob=True, max_examples=1000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_hypothesis_profiles()

# Test tiers (README, Develop). `python3 -m pytest` runs every test; `python3 -m pytest -m fast`
# is a developer's quick run. A test can be in several tiers:
#   e2e      real PDFs built end to end: every test marked slow (that is what slow means here),
#            the flagship's session builds, and the modules below that share a built edition
#   stress   fuzzing, kill and interrupt loops, layout bombs, payloads under a memory limit
#   browser  headless Chromium (Playwright)
#   smtp     a real SMTP server on 127.0.0.1 (any module that uses tests/mailserver.py)
#   fast     none of slow, e2e, stress and browser (added below, so that `-m fast` selects it)
# Keys are paths under tests/, a whole module or one test function in it ("module::function").
# A module named nowhere is fast unless its tests are marked slow; tests/test_tiers.py checks that
# every name here exists. Fast on purpose: test_outputs.py's kill -9 and Ctrl-C tests and
# test_untrusted.py's alias bomb and sparse file each take under a second and guard the publish step
# and the loaders, which a developer changes often; the builds of test_staleness.py are of the tiny
# mini workspace.
TIERS: dict[str, tuple[str, ...]] = {
    # Hypothesis: a few thousand generated YAML, CSV and Markdown inputs.
    "test_fuzz.py": ("stress",),
    # Fifty hostile templates, each a `brief` subprocess under an operating-system memory limit.
    "test_security_sandbox.py": ("stress",),
    # Layout bombs (20,000 page breaks, a million-column span, a letter per page) typeset to the limit.
    "test_security_typeset.py": ("stress",),
    # Vega-Lite payloads, and the chart engine killed under `ulimit -v`.
    "test_security_vega.py": ("stress",),
    # A sending process killed at random points and resumed, twenty times.
    "test_distribute_send.py::test_killed_and_resumed_twenty_times_sends_each_message_once": ("stress",),
    "test_corrections_kill.py": ("stress",),
    # Builds interrupted by Ctrl-C or killed outright, and a typesetter killed mid-build.
    "test_workers.py::test_an_interrupted_build_publishes_nothing_and_leaves_no_process": ("stress",),
    "test_workers.py::test_workers_die_with_a_command_killed_outright": ("stress",),
    "test_workers.py::test_a_dead_typesetter_is_replaced_by_this_process": ("stress",),
    # Each test sends a real built edition, stamped per recipient, to the SMTP server.
    "test_distribution_over_time.py": ("e2e",),
    # Build editions, send them, change a figure, build again and send the corrections.
    "test_corrections.py": ("e2e",),
    "test_corrections_editions.py": ("e2e",),
    # Every edition distributed: country profiles and a bilingual brief built, stamped and sent.
    "test_distribute_editions.py": ("e2e",),
    # A built flagship distributed, then what each figure printed looked up in the ledger.
    "test_figure_impact.py": ("e2e",),
    # Each row of the usability review replayed as its user did: a workspace built from scratch.
    "test_usability_rows.py": ("e2e",),
    # Each test builds a brief that prints the numbers, and reads them off the PDF.
    "test_numbers.py": ("e2e",),
    # A German edition and a brief of its own, each built to a PDF to find the link and the image.
    "test_crossrefs.py::test_ref_in_german": ("e2e",),
    "test_crossrefs.py::test_image_in_a_brief_folder_resolves_from_it": ("e2e",),
    "test_security_smtp.py": ("e2e",),
    # Real stamped copies of a built edition, edited with pikepdf as the review's attacker did.
    "test_security_trace.py": ("e2e",),
    # The one test of the module that builds an HTML edition with charts; the others are refused early.
    "test_html_policy.py::test_links_and_local_resources_are_allowed": ("e2e",),
    # Chromium: the module's browser is launched by a fixture or inside the test.
    "test_html_edition.py": ("browser",),
    "test_html_mobile.py": ("browser",),
    "test_security_html.py": ("browser", "e2e"),
    "test_preview.py": ("browser",),
    "test_distribution.py::test_html_edition_passes_axe_in_chromium": ("browser",),
}
# Fixtures that put every test using them (directly or through another fixture) in a tier.
TIER_FIXTURES: dict[str, str] = {
    "policy_build": "e2e",  # the flagship policy brief, built once per session
    "other_builds": "e2e",  # its executive and technical editions (tests/flagship/conftest.py)
    "browser": "browser",  # headless Chromium, launched once per module
}
NOT_FAST = ("slow", "e2e", "stress", "browser")


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection reads the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each collected test with its tiers (TIERS, TIER_FIXTURES), then `fast` if it is in none."""
    here = Path(__file__).resolve().parent
    for item in items:
        module = item.path.relative_to(here).as_posix() if item.path.is_relative_to(here) else item.nodeid
        function = getattr(item, "originalname", item.name)
        tiers = set(TIERS.get(module, ())) | set(TIERS.get(f"{module}::{function}", ()))
        tiers |= {TIER_FIXTURES[name] for name in getattr(item, "fixturenames", ()) if name in TIER_FIXTURES}
        module_globals = vars(item.module) if isinstance(item, pytest.Function) else {}
        if any(getattr(value, "__module__", None) == "mailserver" for value in module_globals.values()):
            tiers.add("smtp")
        if item.get_closest_marker("slow"):
            tiers.add("e2e")
        for tier in sorted(tiers):
            item.add_marker(tier)
        if not any(item.get_closest_marker(name) for name in NOT_FAST):
            item.add_marker("fast")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a browser build of its own)."""
    import os

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("chromium is not installed: run scripts/install")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            yield browser
        finally:
            browser.close()
