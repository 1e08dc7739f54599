"""Security review, round 3: the publish step and the files around it (M10, L12-L15, L19).

Each test holds one case of the review: it failed on the code the review found, and names
the defect it stands for.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import brief
from brief.cli import cli
from brief.errors import PublishError, WorkspaceError
from brief.model.request import BuildRequest, Edition, name_clashes, output_name
from brief.publish.manifest import (
    MAX_INPUT_ENTRIES,
    MAX_MANIFEST_BYTES,
    Record,
    file_digests,
    inputs_digest,
    locked,
    read_manifest,
    tool_versions,
    up_to_date,
)
from brief.publish.outputs import publish, tidy
from helpers import replace_in
from publishing import PDF, finish_with, manifest, pdf_bytes

TESTS = Path(__file__).resolve().parent
CHILD_PATH = os.pathsep.join([str(Path(brief.__file__).resolve().parent.parent), str(TESTS)])


def run(*args: str) -> Result:
    """The CLI, in this process."""
    return CliRunner().invoke(cli, list(args))


def _brief_with_audience(root: Path, brief: str, audience: str) -> None:
    """briefs/BRIEF.yaml: the mini brief, its policy audience renamed *audience*."""
    text = (root / "briefs" / "mini.yaml").read_text(encoding="utf-8")
    path = root / "briefs" / f"{brief}.yaml"
    path.write_text(text, encoding="utf-8")
    replace_in(path, "  policy:\n", f"  {audience}:\n    templates: policy\n")


def _record(root: Path, brief: str, audience: str, variant: str = "") -> Record:
    digests = file_digests(root)
    return Record(brief, audience, "ua-1", inputs_digest(digests), digests, tool_versions(), "", variant=variant)


@pytest.fixture
def clash(mini_full: Path) -> Path:
    """The review's case F04: brief x for audience p-q and brief x-p for audience q, whose
    files in out/ were both called x-p-q.pdf."""
    _brief_with_audience(mini_full, "x", "p-q")
    _brief_with_audience(mini_full, "x-p", "q")
    return mini_full


# M10: one brief's PDF was reported as another's, and --force overwrote it.


def test_m10_two_editions_of_one_name_are_refused_naming_both(clash: Path) -> None:
    """F04: `brief build x-p --audience q` (and `brief check`) is refused with one line that
    names both editions, before anything is built."""
    built = run("-C", str(clash), "build", "x-p", "--audience", "q", "--force")
    assert built.exit_code == 1, built.output
    said = [line for line in built.output.splitlines() if "x-p-q.pdf" in line]
    assert len(said) == 1, built.output
    assert "brief x, audience p-q" in said[0] and "brief x-p, audience q" in said[0], said[0]
    assert not (clash / "out" / "x-p-q.pdf").exists()
    checked = run("-C", str(clash), "check")
    assert checked.exit_code == 1 and "out/x-p-q.pdf would hold two editions" in checked.output, checked.output


def test_m10_another_briefs_pdf_is_never_up_to_date(clash: Path) -> None:
    """F04: after brief x's p-q edition is built, brief x-p for q is not "up to date" with
    it: the no-op check compares the edition the manifest records, not the file name."""
    name = output_name("x", "p-q")
    publish(clash / "out", name, pdf_bytes("brief x for p-q"), 3, _record(clash, "x", "p-q"))
    assert up_to_date(BuildRequest(root=clash, brief="x", audience="p-q")) is not None  # its own edition is
    assert up_to_date(BuildRequest(root=clash, brief="x-p", audience="q")) is None
    result = run("-C", str(clash), "build", "x-p", "--audience", "q")
    assert "up to date" not in result.output and result.exit_code == 1, result.output


def test_m10_publish_never_replaces_another_editions_file(clash: Path) -> None:
    """F04 with --force: the one writer of out/ refuses to put brief x-p's edition over the
    file recorded as brief x's (left there when x was renamed), and leaves both as they were."""
    name = output_name("x", "p-q")
    old = pdf_bytes("brief x for p-q")
    publish(clash / "out", name, old, 3, _record(clash, "x", "p-q"))
    (clash / "briefs" / "x.yaml").unlink()
    with pytest.raises(PublishError, match=r"is the edition of brief x, audience p-q, not of brief x-p, audience q"):
        publish(clash / "out", name, pdf_bytes("brief x-p for q"), 3, _record(clash, "x-p", "q"))
    assert (clash / "out" / name).read_bytes() == old
    assert manifest(clash)["outputs"][name]["brief"] == "x"


def test_m10_names_of_editions_never_clash_unseen() -> None:
    """The rule behind the names: every name an edition may take (accessible, archival,
    HTML) is compared, so brief x's PDF/A-3a edition for a and brief x-a's for audience
    a3a clash too; distinct names do not."""
    found = name_clashes([Edition("x", "a"), Edition("x-a", "a3a"), Edition("y", "a"), Edition("y", "b")])
    assert [(n, str(a), str(b)) for n, a, b in found] == [
        ("x-a-a3a.pdf", "brief x, audience a", "brief x-a, audience a3a")
    ]
    assert name_clashes([Edition("x", "p", "q"), Edition("x-p", "q")]) != []
    assert name_clashes([Edition("us-china-ai-gap", "policy"), Edition("us-china-ai-gap", "press")]) == []


# L14: a variant id ending in a newline named a file in out/.


def test_l14_a_variant_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """F02: `for_each: [{id: "us\\n", …}]` is a variant id that cannot name a file, not
    out/profiles-profile-us\\n.pdf."""
    import shutil

    from brief.pipeline.check import check
    from helpers import REPO, line_number

    root = tmp_path / "profiles"
    shutil.copytree(REPO / "examples" / "country-profiles", root)
    brief = root / "briefs" / "profiles.yaml"
    replace_in(brief, "for_each: data/countries.csv", 'for_each:\n  - {id: "us\\n", name: Oz, place: Oz}')
    found = [(p.line, p.message) for p in check(root).errors]
    assert (line_number(brief, "Oz"), "variant id 'us\\n' cannot name a file") in found, found


def test_l14_a_brand_colour_with_a_trailing_newline_is_refused() -> None:
    """F02's kind elsewhere: a palette colour is #rrggbb exactly, not "#112233\\n" (which
    match() with "$" let into the stylesheet)."""
    from pydantic import ValidationError

    from brief.workspace.brand import Colors

    fields = {"foreground": "#000000", "background": "#ffffff", "primary": "a"}
    fields |= {"secondary": "#222222", "light": "#eeeeee"}
    with pytest.raises(ValidationError, match="palette colour 'a' must be #rrggbb"):
        Colors(palette={"a": "#112233\n"}, **fields)


# L13: out/manifest.json was read with no file-type or size check.

_PUBLISH_IN_CHILD = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
from publishing import finish_with, pdf_bytes
result = finish_with(Path(sys.argv[1]), pdf_bytes("new"))
for warning in result.warnings:
    print(warning.format())
"""


def _publish_in_child(root: Path) -> subprocess.CompletedProcess[str]:
    """Publish a build of *root* in a child process (memory limited to 1.5 GB), as a build's
    last stage does; a hang is cut off after 30 s."""
    env = {**os.environ, "PYTHONPATH": CHILD_PATH}
    try:
        return subprocess.run(
            [sys.executable, "-c", _PUBLISH_IN_CHILD, str(root)], capture_output=True, text=True, timeout=30, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail("publishing hung on out/manifest.json")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_l13_a_manifest_that_is_no_regular_file_is_one_warning(mini: Path, kind: str) -> None:
    """M02: out/manifest.json as a FIFO hung every build; as a link to /dev/zero it ended in
    a traceback. Now it is read as a workspace input is: one warning, and a new manifest."""
    out = mini / "out"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / "manifest.json")
    else:
        (out / "manifest.json").symlink_to("/dev/zero")
    done = _publish_in_child(mini)
    assert done.returncode == 0, done.stderr
    said = "a FIFO (named pipe)" if kind == "fifo" else "a device"
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and f"cannot read the manifest (refused: this is {said}, not a regular file)" in lines[0]
    assert "Traceback" not in done.stderr
    assert (out / "manifest.json").is_file() and not (out / "manifest.json").is_symlink()
    assert manifest(mini)["outputs"][PDF]["sha256"] == hashlib.sha256(pdf_bytes("new")).hexdigest()


def test_l13_a_manifest_over_the_limit_is_refused_by_every_reader(mini: Path) -> None:
    """M02's size half: a manifest larger than any real one is not read into memory by the
    no-op check, `brief verify` or publish."""
    out = mini / "out"
    out.mkdir()
    (out / PDF).write_bytes(pdf_bytes("old"))
    with (out / "manifest.json").open("wb") as f:
        f.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: no disk used
    with pytest.raises(WorkspaceError, match="over the 64 MB limit"):
        read_manifest(out / "manifest.json")
    assert up_to_date(BuildRequest(root=mini)) is None
    checked = run("-C", str(mini), "verify", str(out / PDF))
    assert (
        checked.exit_code == 1 and "cannot read the manifest (file is 64.0 MB, over the 64 MB limit)" in checked.output
    )


# L19: a no-op build left the temporary files a killed build had left.


def test_l19_an_up_to_date_build_sweeps_leftover_temporary_files(
    mini_full: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R09: after a kill -9 right after the PDF's rename, out/.manifest.json.XXXX.tmp was left
    past the next `brief build`, which was "up to date"; a no-op build now sweeps as a real
    build does (and leaves the PDF and the manifest as they are)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    finish_with(mini_full, pdf_bytes("built"))
    out = mini_full / "out"
    leftovers = [out / ".manifest.json.k1ll3d.tmp", out / f".{PDF}.k1ll3d.tmp"]
    for path in leftovers:
        path.write_bytes(b"half written")
    before = {p.name: p.read_bytes() for p in (out / PDF, out / "manifest.json")}
    result = run("-C", str(mini_full), "build")
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    assert not any(path.exists() for path in leftovers)
    assert {p.name: p.read_bytes() for p in (out / PDF, out / "manifest.json")} == before


def test_l19_an_up_to_date_build_does_not_wait_for_a_build_holding_out(mini_full: Path) -> None:
    """The sweep of a no-op build never waits: while another build holds out/'s lock, it is
    still "up to date" at once (that build sweeps)."""
    finish_with(mini_full, pdf_bytes("built"))
    leftover = mini_full / "out" / ".manifest.json.k1ll3d.tmp"
    leftover.write_bytes(b"half written")
    with locked(mini_full / "out"):
        assert tidy(mini_full / "out") == []
    assert leftover.exists()
    assert tidy(mini_full / "out") == [leftover] and not leftover.exists()


# L15: `brief init --force` wrote through symlinks in the target folder.


@pytest.mark.parametrize("link", ["templates/brand.yml", "templates"])
def test_l15_init_force_refuses_a_symlink_in_the_target(tmp_path: Path, link: str) -> None:
    """I01: `brief init --force DIR` where DIR/templates/brand.yml (or DIR/templates) is a
    symlink overwrote the file it leads to with the starter's. It is refused with one line,
    before anything is written, and the file the link leads to is as it was."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "templates").mkdir(parents=True)
    victim = elsewhere / "templates" / "brand.yml"
    victim.write_text("precious: true\n", encoding="utf-8")
    target = tmp_path / "ws"
    (target / "templates").mkdir(parents=True)
    if link == "templates":
        (target / "templates").rmdir()
        (target / "templates").symlink_to(elsewhere / "templates")
    else:
        (target / link).symlink_to(victim)
    result = run("init", str(target), "--force")
    assert result.exit_code != 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{target / link}: error: this is a symbolic link"), result.output
    assert victim.read_text(encoding="utf-8") == "precious: true\n"
    assert sorted(elsewhere.rglob("*")) == [elsewhere / "templates", victim]
    assert not (target / "briefs").exists()


def test_l15_init_force_still_writes_over_regular_files(tmp_path: Path) -> None:
    """Without links, --force writes the workspace's files over ones of the same name (and
    keeps the rest), as before; the new workspace checks."""
    target = tmp_path / "ws"
    (target / "templates").mkdir(parents=True)
    (target / "templates" / "brand.yml").write_text("old: true\n", encoding="utf-8")
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run("init", str(target), "--force")
    assert result.exit_code == 0, result.output
    assert "old: true" not in (target / "templates" / "brand.yml").read_text(encoding="utf-8")
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert run("-C", str(target), "check").exit_code == 0


def test_l14_a_new_brief_name_with_a_trailing_newline_is_refused(mini: Path) -> None:
    """F02's kind in `brief new brief`: a name ending in a newline made briefs/NAME\\n.yaml."""
    result = run("-C", str(mini), "new", "brief", "fresh\n")
    assert result.exit_code != 0 and "brief name 'fresh\\n' is not valid" in result.output, result.output
    assert sorted(p.name for p in (mini / "briefs").iterdir()) == ["mini.yaml"]


# L12: `brief verify` walked whatever folder the manifest's "overlay" named.


def _recorded_with_overlay(root: Path, overlay: str | None) -> None:
    """Publish a build of the mini workspace, then edit its manifest entry's overlay, as
    anyone who can write out/ can."""
    finish_with(root, pdf_bytes("built"))
    path = root / "out" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["outputs"][PDF]["overlay"] = overlay
    path.write_text(json.dumps(data), encoding="utf-8")


def _verify_in_child(root: Path) -> subprocess.CompletedProcess[str]:
    """`brief verify out/mini-policy.pdf` in a child process, cut off after 30 s."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "brief", "-C", str(root), "verify", str(root / "out" / PDF)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONPATH": CHILD_PATH},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("brief verify walked the folder the manifest named")


@pytest.mark.parametrize("overlay", ["/usr", "../../../../../../../../../../usr"])
def test_l12_verify_never_walks_a_folder_the_manifest_names_outside(mini: Path, overlay: str) -> None:
    """M01: `"overlay": "/usr"` in out/manifest.json made `brief verify` open 80,000 files;
    the manifest is anyone's to edit, so a recorded overlay outside the workspace that holds
    no templates is refused with one line, at once."""
    _recorded_with_overlay(mini, overlay)
    started = time.perf_counter()
    done = _verify_in_child(mini)
    assert time.perf_counter() - started < 10
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "FAILED: the manifest names /usr as the template overlay, outside the workspace and not a template folder"
        in (done.stdout)
    ), done.stdout
    assert "Traceback" not in done.stderr


def test_l12_the_walk_of_an_overlay_is_bounded(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """M01's other half: a folder that looks like an overlay (a brand file at its top) but
    holds more than any workspace does is not walked to its end (the bound is lowered here
    from 10,000 to 50 entries, to keep the test fast)."""
    import brief.publish.manifest

    assert MAX_INPUT_ENTRIES == 10_000
    monkeypatch.setattr(brief.publish.manifest, "MAX_INPUT_ENTRIES", 50)
    big = tmp_path / "big"
    (big / "many").mkdir(parents=True)
    (big / "brand.yml").write_text("organisation: {name: X}\n", encoding="utf-8")
    for i in range(60):
        (big / "many" / f"{i}.txt").touch()
    _recorded_with_overlay(mini, str(big))
    result = run("-C", str(mini), "verify", str(mini / "out" / PDF))
    assert result.exit_code == 1
    assert f"FAILED: {big} holds more than 50 files and folders" in result.output, result.output
    assert up_to_date(BuildRequest(root=mini, overlay=big)) is None


def test_l12_an_overlay_outside_the_workspace_that_holds_templates_still_verifies(mini: Path, tmp_path: Path) -> None:
    """What the bound keeps: a build with `--templates DIR` outside the workspace verifies
    without DIR being named again, and fails once DIR changes."""
    overlay = tmp_path / "house-style"
    overlay.mkdir()
    (overlay / "custom.css").write_text("h1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    digests = file_digests(mini, overlay)
    rec = Record("mini", "policy", "ua-1", inputs_digest(digests), digests, tool_versions(), "", str(overlay))
    publish(mini / "out", PDF, pdf_bytes("with overlay"), 3, rec)
    ok = run("-C", str(mini), "verify", str(mini / "out" / PDF))
    assert ok.exit_code == 0 and ok.output.count("ok: ") == 2, ok.output
    (overlay / "custom.css").write_text("h1 { letter-spacing: 0.02em; }\n", encoding="utf-8")
    changed = run("-C", str(mini), "verify", str(mini / "out" / PDF))
    assert changed.exit_code == 1 and "FAILED: the workspace's inputs have changed" in changed.output
