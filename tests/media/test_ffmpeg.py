"""ffmpeg lookup and error translation: a director sees a sentence, never a traceback or an ffmpeg log."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storyreel.errors import MediaError, OutputNotWritable
from storyreel.media import ffmpeg as ff
from storyreel.media.ffmpeg import check_writable, ffmpeg_exe, last_meaningful_line, run_ffmpeg


def _fake_ffmpeg(tmp_path: Path, body: str) -> Path:
    """A stand-in ffmpeg: a shell script that prints what a real failure prints."""
    exe = tmp_path / "fake-ffmpeg"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe


# --- lookup -------------------------------------------------------------------------------------------------

def test_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_ffmpeg(tmp_path, "exit 0")
    monkeypatch.setenv("STORYREEL_FFMPEG", str(exe))
    monkeypatch.setattr(ff.shutil, "which", lambda name: "/usr/bin/ffmpeg")
    assert ffmpeg_exe() == str(exe)


def test_env_override_that_is_wrong_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_FFMPEG", str(tmp_path / "nope"))
    with pytest.raises(MediaError, match="STORYREEL_FFMPEG") as info:
        ffmpeg_exe()
    assert info.value.zh


def test_path_before_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    monkeypatch.delenv("STORYREEL_FFMPEG", raising=False)
    monkeypatch.setattr(ff.shutil, "which", lambda name: "/opt/bin/ffmpeg" if name == "ffmpeg" else None)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: pytest.fail("bundled looked up first"))
    assert ffmpeg_exe() == "/opt/bin/ffmpeg"


def test_bundled_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    monkeypatch.delenv("STORYREEL_FFMPEG", raising=False)
    monkeypatch.setattr(ff.shutil, "which", lambda name: None)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def test_none_found_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    def missing() -> str:
        raise RuntimeError("no ffmpeg exe could be found")

    monkeypatch.delenv("STORYREEL_FFMPEG", raising=False)
    monkeypatch.setattr(ff.shutil, "which", lambda name: None)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    with pytest.raises(MediaError, match="apt-get install ffmpeg") as info:
        ffmpeg_exe()
    assert "ffmpeg" in (info.value.zh or "")


# --- running ------------------------------------------------------------------------------------------------

def test_runs_and_reports_progress(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    seen: list[int] = []
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=160x90:r=24", "-frames:v", "30", "-c:v", "libx264", str(out)],
        output=out, progress=seen.append, total_frames=30,
    )
    assert out.stat().st_size > 0
    assert seen and seen[-1] == 30
    assert seen == sorted(seen)


def test_bad_arguments_become_media_error(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(MediaError) as info:
        run_ffmpeg(["-definitely-not-an-option", str(out)], output=out)
    assert not isinstance(info.value, OutputNotWritable)
    assert "definitely-not-an-option" in info.value.message
    assert str(out) in info.value.message and info.value.zh


def test_missing_input_names_the_problem(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(MediaError, match="No such file") as info:
        run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), str(out)], output=out)
    assert not isinstance(info.value, OutputNotWritable)


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        ("[out#0/mp4 @ 0x5] Error submitting a packet to the muxer: No space left on device", "full"),
        ("[out#0/mp4 @ 0x5] Error writing trailer: File too large", "too_large"),
        ("[out#0/mp4 @ 0x5] Error opening output /x/cut.mp4: Read-only file system", "read_only"),
        ("[out#0/mp4 @ 0x5] Error opening output /x/cut.mp4: Permission denied", "denied"),
    ],
)
def test_output_failures_become_output_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stderr: str, reason: str
) -> None:
    exe = _fake_ffmpeg(tmp_path, f"echo '{stderr}' >&2\necho 'Conversion failed!' >&2\nexit 1")
    monkeypatch.setenv("STORYREEL_FFMPEG", str(exe))
    out = tmp_path / "cut.mp4"
    with pytest.raises(OutputNotWritable) as info:
        run_ffmpeg(["whatever", str(out)], output=out)
    assert info.value.context["reason"] == reason
    assert str(out) in info.value.message and str(out) in (info.value.zh or "")


def test_unreadable_input_is_not_blamed_on_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_ffmpeg(tmp_path, "echo '[in#0 @ 0x5] Error opening input: Permission denied' >&2\nexit 1")
    monkeypatch.setenv("STORYREEL_FFMPEG", str(exe))
    out = tmp_path / "cut.mp4"
    with pytest.raises(MediaError, match="Error opening input: Permission denied") as info:
        run_ffmpeg(["x", str(out)], output=out)
    assert not isinstance(info.value, OutputNotWritable)


def test_file_size_limit_signal_is_output_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_ffmpeg(tmp_path, "kill -XFSZ $$")
    monkeypatch.setenv("STORYREEL_FFMPEG", str(exe))
    out = tmp_path / "cut.mp4"
    with pytest.raises(OutputNotWritable):
        run_ffmpeg(["x", str(out)], output=out)


def test_silent_crash_still_says_something(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_FFMPEG", str(_fake_ffmpeg(tmp_path, "exit 3")))
    out = tmp_path / "cut.mp4"
    with pytest.raises(MediaError, match="exit code 3"):
        run_ffmpeg(["x", str(out)], output=out)


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user (root) who can write to a read-only folder")
        out = folder / "out.mp4"
        with pytest.raises(OutputNotWritable):
            check_writable(folder, output=out)
        with pytest.raises(OutputNotWritable):
            run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x90:r=24", "-frames:v", "2", str(out)], output=out)
    finally:
        folder.chmod(0o755)


def test_check_writable_when_the_folder_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputNotWritable, match="folder"):
        check_writable(blocker / "sub", output=blocker / "sub" / "cut.mp4")


def test_check_writable_leaves_nothing_behind(tmp_path: Path) -> None:
    check_writable(tmp_path / "new")
    assert list((tmp_path / "new").iterdir()) == []


def test_last_meaningful_line_skips_generic_lines() -> None:
    lines = [
        "[h264 @ 0x55d0] something odd",
        "[vost#0:0/libx264 @ 0x55d1] Error initializing output stream: Invalid argument",
        "",
        "Conversion failed!",
    ]
    assert last_meaningful_line(lines) == "Error initializing output stream: Invalid argument"
    assert last_meaningful_line([]) is None
