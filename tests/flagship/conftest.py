"""Fixtures shared by the flagship's content tests: the executive and technical editions, built
once per session (the policy edition is tests/conftest.py's ``policy_build``)."""

from __future__ import annotations

import pytest

from helpers import REPO, PolicyBuild, copy_workspace, request_for


@pytest.fixture(scope="session")
def other_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[PolicyBuild, str]]:
    """The executive and technical editions, built once, with their PDF text."""
    from pypdf import PdfReader

    from brief.pipeline.build import build
    from brief.workspace.load import load_workspace
    from helpers import job_for, render_job

    out = {}
    # A workspace of their own: the policy build's out/ is what other tests inspect.
    root = copy_workspace(REPO, tmp_path_factory.mktemp("other-builds"))
    for audience in ("executive", "technical"):
        result = build(request_for(root, None, audience))
        ws = load_workspace(root)
        job = job_for(ws, audience)
        made = PolicyBuild(root=root, result=result, rendered=render_job(ws, job), job=job)
        text = "\n".join(page.extract_text() for page in PdfReader(result.path).pages)
        out[audience] = (made, text)
    return out
