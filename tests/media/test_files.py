"""Atomic writes and the OSError → OutputNotWritable translation."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from storyreel.errors import OutputNotWritable
from storyreel.media import files
from storyreel.media.files import atomic_target, atomic_write_text, not_writable, oserror_not_writable


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# --- atomic_write_text -----------------------------------------------------------------------------------------

def test_write_text(tmp_path: Path) -> None:
    path = tmp_path / "film.srt"
    assert atomic_write_text(path, "一\r\n二\n") == path
    assert path.read_bytes() == "一\r\n二\n".encode()  # written as given: UTF-8, no newline translation
    assert names(tmp_path) == ["film.srt"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()  # not the 0600 of a temp file


def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "film.srt"
    atomic_write_text(path, "x")
    assert path.read_text(encoding="utf-8") == "x"


def test_replacing_keeps_the_old_files_permissions(tmp_path: Path) -> None:
    path = tmp_path / "film.srt"
    path.write_text("old")
    path.chmod(0o600)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o600


def test_replacing_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "film.srt"
    path.write_text("old")
    path.chmod(0o444)
    atomic_write_text(path, "new")  # the mode is applied after writing, so it cannot stop the writer
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o444


def test_parent_is_a_file(tmp_path: Path) -> None:
    # A file where the folder should be stops root too, unlike chmod.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    target = blocker / "film.srt"
    with pytest.raises(OutputNotWritable) as err:
        atomic_write_text(target, "x")
    assert str(target) in err.value.message and "folder" in err.value.message
    assert err.value.zh and "无法写入" in err.value.zh and str(target) in err.value.zh
    assert err.value.context["reason"] == "missing"
    assert err.value.context["errno"] in (errno.ENOTDIR, errno.EEXIST)
    assert names(tmp_path) == ["blocker"]
    assert blocker.read_text() == "not a folder"


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user (root) who can write to a read-only folder")
        with pytest.raises(OutputNotWritable, match="permission denied"):
            atomic_write_text(folder / "film.srt", "x")
        assert names(folder) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("code", "reason", "words", "zh"),
    [(errno.ENOSPC, "full", "disk is full", "磁盘已满"), (errno.EDQUOT, "full", "quota", "配额"),
     (errno.EROFS, "read_only", "read-only", "只读"), (errno.EACCES, "denied", "permission denied", "权限"),
     (errno.EFBIG, "too_large", "too large", "大小")],
)
def test_failed_replace_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int,
                                           reason: str, words: str, zh: str) -> None:
    path = tmp_path / "film.srt"
    path.write_text("old")

    def failing_replace(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OutputNotWritable, match=words) as err:
        atomic_write_text(path, "new")
    assert err.value.context == {"path": str(path), "reason": reason, "errno": code}
    assert zh in (err.value.zh or "")
    assert path.read_text() == "old"
    assert names(tmp_path) == ["film.srt"]  # no temporary file left behind


# --- atomic_target ---------------------------------------------------------------------------------------------

def test_temp_file_is_hidden_beside_the_target_with_its_suffix_last(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    with atomic_target(path) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".clip.") and tmp.name.endswith(".part.mp4")
        assert tmp.exists() and not path.exists()
        tmp.write_bytes(b"data")
    assert path.read_bytes() == b"data"
    assert names(tmp_path) == ["clip.mp4"]


def test_failure_in_the_body_keeps_the_old_file_and_passes_through(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="renderer crashed"), atomic_target(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("renderer crashed")
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["clip.mp4"]


def test_oserror_in_the_body_is_output_not_writable(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"old")
    with pytest.raises(OutputNotWritable, match="disk is full") as err, atomic_target(path) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert isinstance(err.value.__cause__, OSError)  # the original stays reachable for --debug
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["clip.mp4"]


# --- messages --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["full", "too_large", "read_only", "denied", "missing", "other"])
def test_every_reason_has_a_message(reason: files.Reason) -> None:
    err = not_writable(Path("/x/cut.mp4"), reason)
    assert err.message.startswith("Cannot write /x/cut.mp4: ")
    assert err.zh and err.zh.startswith("无法写入 /x/cut.mp4：")
    assert err.context == {"path": "/x/cut.mp4", "reason": reason}


def test_unknown_errno_names_the_system_message() -> None:
    err = oserror_not_writable(OSError(errno.EIO, "Input/output error"), Path("/x/cut.mp4"))
    assert "Input/output error" in err.message and "Input/output error" in (err.zh or "")
    assert err.context["reason"] == "other" and err.context["errno"] == errno.EIO
