"""Normalising a take to the film profile: every property a stream copy relies on, checked with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.normalise import NormProfile, Treatment, avcc, normalise_clip, reference_clip
from storyreel.media.probe import frame_at, probe
from storyreel.media.video import VideoWriter

PROFILE = NormProfile(width=160, height=90, fps=12)


def colour_clip(path: Path, colours: list[tuple[int, int, int]], *, width: int = 160, height: int = 90,
                fps: int = 12) -> Path:
    """One frame per colour, written the way the previz renderer writes takes."""
    with VideoWriter(path, fps=fps, width=width, height=height) as out:
        for c in colours:
            out.write(np.full((height, width, 3), c, np.uint8))
    return path


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 24 for a, b in zip(pixel, colour))


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return reference_clip(PROFILE, tmp_path_factory.mktemp("ref") / "reference.mp4")


def _audio_rate(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as c:
        a = c.streams.audio[0].codec_context
        return a.sample_rate, a.channels


def test_matching_take_is_remuxed_with_a_silent_track(tmp_path: Path, ref: bytes) -> None:
    src = colour_clip(tmp_path / "take.mp4", [(200, 30, 30)] * 10 + [(30, 30, 200)] * 8)
    out = tmp_path / "norm.mp4"
    assert normalise_clip(src, out, PROFILE, frames=18, reference=ref) is True
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frames) == (160, 90, 12, 18)
    assert (info.codec, info.pix_fmt, info.color_primaries) == ("h264", "yuv420p", "bt709")
    assert info.has_audio and _audio_rate(out) == (48000, 2)
    assert avcc(out) == ref
    with av.open(str(out)) as c:
        assert c.streams.video[0].time_base.denominator == PROFILE.timescale


def test_other_size_and_audio_are_re_encoded_to_the_profile(tmp_path: Path, ref: bytes) -> None:
    src = tmp_path / "upload.mp4"
    # A 4:3 upload at 24 fps with a 44.1 kHz mono tone: everything about it differs from the profile.
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=120x90:r=24:d=1", "-f", "lavfi", "-i", "sine=f=440:r=44100:d=1",
                "-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", str(src)], output=src)
    out = tmp_path / "norm.mp4"
    assert normalise_clip(src, out, PROFILE, frames=12, reference=ref) is False
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frames, info.pix_fmt) == (160, 90, 12, 12, "yuv420p")
    assert avcc(out) == ref and _audio_rate(out) == (48000, 2)
    with av.open(str(out)) as c:  # the audio is exactly the picture's length
        a = c.streams.audio[0]
        assert round(a.duration * a.time_base * 48000) == 48000


def test_trimmed_segment_starts_on_its_source_frame(tmp_path: Path, ref: bytes) -> None:
    colours = [(220, 20, 20)] * 4 + [(20, 220, 20)] * 4 + [(20, 20, 220)] * 4
    src = colour_clip(tmp_path / "take.mp4", colours)
    out = tmp_path / "seg.mp4"
    normalise_clip(src, out, PROFILE, frames=5, reference=ref, treatment=Treatment(source_in=4, source_out=9))
    assert probe(out).frames == 5 and avcc(out) == ref
    assert _near(frame_at(out, 0).getpixel((80, 45)), (20, 220, 20))
    assert _near(frame_at(out, 4).getpixel((80, 45)), (20, 20, 220))


def test_still_image_becomes_a_clip_of_the_asked_length(tmp_path: Path, ref: bytes) -> None:
    from PIL import Image

    img = tmp_path / "still.png"
    Image.new("RGB", (90, 90), (200, 200, 40)).save(img)
    out = tmp_path / "still.mp4"
    normalise_clip(img, out, PROFILE, frames=7, reference=ref)
    info = probe(out)
    assert (info.width, info.height, info.frames) == (160, 90, 7) and info.has_audio
    # Pillarboxed, not stretched: the centre is the still, the left edge is black.
    assert _near(frame_at(out, 3).getpixel((80, 45)), (200, 200, 40))
    assert _near(frame_at(out, 3).getpixel((5, 45)), (0, 0, 0))
