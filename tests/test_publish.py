"""Stage 6, publish (brief.publish.atomic): the PDF is replaced atomically or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from brief.errors import PublishError
from brief.publish.atomic import write_atomic


def leftovers(folder: Path) -> list[str]:
    """Temporary files write_atomic may have left in *folder*."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_atomic_creates_folders_and_file(tmp_path: Path) -> None:
    """write_atomic creates missing folders, writes the bytes and returns the target."""
    target = tmp_path / "out" / "deep" / "brief.pdf"
    assert write_atomic(target, b"%PDF-1.7 new") == target
    assert target.read_bytes() == b"%PDF-1.7 new"
    assert leftovers(target.parent) == []


def test_write_atomic_replaces_content(tmp_path: Path) -> None:
    """Writing over an existing file replaces its whole content (no leftover tail)."""
    target = tmp_path / "brief.pdf"
    target.write_bytes(b"old content that is longer than the new one")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_written_file_is_world_readable(tmp_path: Path) -> None:
    """The PDF is published with mode 0644, not mkstemp's private 0600."""
    target = write_atomic(tmp_path / "brief.pdf", b"x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize("failing", ["replace", "fsync", "chmod"], ids=["os.replace", "os.fsync", "os.chmod"])
def test_failed_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          failing: str) -> None:
    """If any step fails, the error propagates, the previous file is untouched and no
    temporary file is left behind."""
    target = tmp_path / "brief.pdf"
    target.write_bytes(b"previous PDF")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(PublishError, match=r"No space left.*the previous file is unchanged"):
        write_atomic(target, b"new PDF")
    monkeypatch.undo()
    assert target.read_bytes() == b"previous PDF"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.pdf"]


def test_interrupted_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a KeyboardInterrupt during the write removes the temporary file."""
    target = tmp_path / "brief.pdf"

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    monkeypatch.undo()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
