"""Probing and frame-exact grabs with PyAV."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.probe import frame_at, probe

FPS = 24


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


def _numbered_clip(path: Path, frames: int, *, gop: int = 12) -> Path:
    """Frame n is solid grey at level 4n: its brightness says which frame it is.

    Long GOP with B-frames (libx264's default) so that most frames are neither keyframes nor in decode order.
    """
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "8", "g": str(gop), "bf": "3"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(frames):
            rgb = np.full((48, 64, 3), 4 * n, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _level(image) -> float:
    return float(np.asarray(image.convert("L"), dtype=np.float64).mean())


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _numbered_clip(tmp_path_factory.mktemp("probe") / "numbered.mp4", 60)


def test_probe_generated_clip_with_audio(tmp_path: Path) -> None:
    clip = tmp_path / "a.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}", "-f", "lavfi", "-i", "sine=frequency=440",
            "-frames:v", "37", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-vf", "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709", "-c:a", "aac", str(clip))
    info = probe(clip)
    assert (info.width, info.height) == (320, 180)
    assert info.fps == Fraction(24)
    assert info.frames == 37
    assert info.duration_s == pytest.approx(37 / 24)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.has_audio
    assert info.color_primaries == "bt709" and info.colorspace == "bt709"


def test_probe_counts_frames_when_the_container_does_not_say(tmp_path: Path) -> None:
    clip = tmp_path / "b.mkv"  # Matroska stores no frame count
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x90:r=25", "-frames:v", "29", "-c:v", "libx264", str(clip))
    info = probe(clip)
    assert info.frames == 29
    assert info.fps == Fraction(25)
    assert not info.has_audio
    assert info.color_primaries is None  # untagged stays unknown, not a guess


def test_probe_ntsc_rate(tmp_path: Path) -> None:
    clip = tmp_path / "ntsc.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x90:r=30000/1001", "-frames:v", "10", "-c:v", "libx264", str(clip))
    info = probe(clip)
    assert info.fps == Fraction(30000, 1001) and info.frames == 10


def test_probe_unreadable_and_missing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(MediaError, match="Cannot read video") as info:
        probe(junk)
    assert info.value.zh
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "missing.mp4")


def test_probe_audio_only_file_is_refused(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", str(wav))
    with pytest.raises(MediaError, match="no video stream"):
        probe(wav)


def test_numbered_clip_is_what_we_think(numbered: Path) -> None:
    info = probe(numbered)
    assert info.frames == 60
    # Sanity check of the fixture itself: decoding in order gives levels 0, 4, 8, …
    with av.open(str(numbered)) as container:
        levels = [_level(f.to_image()) for f in container.decode(video=0)]
    assert [round(v / 4) for v in levels] == list(range(60))


@pytest.mark.parametrize("index", [0, 1, 5, 11, 12, 13, 23, 37, 46, 58, 59])
def test_frame_at_is_exact(numbered: Path, index: int) -> None:
    assert _level(frame_at(numbered, index)) == pytest.approx(4 * index, abs=1.5)


def test_frame_at_in_any_order(numbered: Path) -> None:
    for index in (50, 3, 37, 36, 38, 0, 59):
        assert round(_level(frame_at(numbered, index)) / 4) == index


def test_frame_at_matroska(tmp_path: Path) -> None:
    clip = _numbered_clip(tmp_path / "n.mkv", 30, gop=10)
    for index in (0, 9, 10, 17, 29):
        assert round(_level(frame_at(clip, index)) / 4) == index


def test_frame_at_out_of_range(numbered: Path) -> None:
    with pytest.raises(MediaError, match="Frame 60"):
        frame_at(numbered, 60)
    with pytest.raises(MediaError):
        frame_at(numbered, -1)


def test_frame_at_returns_rgb_image_of_the_right_size(numbered: Path) -> None:
    image = frame_at(numbered, 7)
    assert image.mode == "RGB" and image.size == (64, 48)
