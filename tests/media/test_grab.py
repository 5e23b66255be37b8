"""Frame grabs are exact: every frame of a long-GOP H.264 clip with B-frames equals the sequential decode's."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.grab import grab_image


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grab") / "clip.mp4"
    # Keyframes every 10 frames and B-frames: a seek lands before the target and must decode forward.
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=12:duration=3", "-c:v", "libx264", "-g", "10",
                "-bf", "2", "-pix_fmt", "yuv420p", str(path)], output=path)
    return path


def test_every_frame_equals_the_sequential_decode(clip: Path) -> None:
    with av.open(str(clip)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 36
    for index in (35, 0, 17, 9, 10, 11, 23, 1):  # out of order, around keyframes, first and last
        assert np.array_equal(np.asarray(grab_image(clip, index)), frames[index]), index


def test_frames_past_the_end_are_refused(clip: Path) -> None:
    with pytest.raises(MediaError) as err:
        grab_image(clip, 36)
    assert "36" in err.value.message and err.value.zh
