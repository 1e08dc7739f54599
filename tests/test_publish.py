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
def test_failed_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
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


def test_a_temp_file_that_cannot_be_opened_is_closed_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the temporary file's descriptor cannot be wrapped, it is closed (not leaked) and
    the file removed."""
    closed: list[int] = []
    real_close = os.close

    def fail(*args: object, **kwargs: object) -> None:
        raise MemoryError

    def close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(os, "fdopen", fail)
    monkeypatch.setattr(os, "close", close)
    with pytest.raises(MemoryError):
        write_atomic(tmp_path / "brief.pdf", b"new")
    monkeypatch.undo()
    assert closed and list(tmp_path.iterdir()) == []


def test_a_cleanup_that_fails_does_not_hide_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the temporary file cannot even be removed, the PublishError still says what failed."""

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", fail)
    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(PublishError, match="No space left"):
        write_atomic(tmp_path / "brief.pdf", b"new")


@pytest.mark.parametrize(
    "junk",
    [b"", b"<svg width='1'", b"not svg at all", b"\xff\xfe", None],
    ids=["empty", "cut-short", "junk", "not-utf8", "a-folder"],
)
def test_a_junk_chart_cache_entry_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, junk: bytes | None
) -> None:
    """An entry that is not a whole SVG is not used: the chart is drawn again and replaces it."""
    from brief.publish import cache

    key = "ab" * 32
    path = tmp_path / "charts" / key[:2] / f"{key}.svg"
    path.parent.mkdir(parents=True)
    if junk is None:
        path.mkdir()
    else:
        path.write_bytes(junk)
    assert cache.get(tmp_path / "charts", key) is None
    if junk is not None:
        cache.put(tmp_path / "charts", key, "<svg></svg>\n")
        assert cache.get(tmp_path / "charts", key) == "<svg></svg>\n"
