"""Frame grabs are exact: every frame of a long-GOP H.264 clip with B-frames equals the sequential decode's."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.grab import grab_frame, grab_image
from storyreel.media.probe import VideoReader, rgb_image


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grab") / "clip.mp4"
    # Keyframes every 10 frames and B-frames: a seek lands before the target and must decode forward.
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=12:duration=3", "-c:v", "libx264", "-g", "10",
                "-bf", "2", "-pix_fmt", "yuv420p", str(path)], output=path)
    return path


def test_every_frame_equals_the_sequential_decode(clip: Path) -> None:
    with av.open(str(clip)) as c:
        frames = [np.asarray(rgb_image(f)) for f in c.decode(video=0)]
    assert len(frames) == 36
    for index in (35, 0, 17, 9, 10, 11, 23, 1):  # out of order, around keyframes, first and last
        assert np.array_equal(np.asarray(grab_image(clip, index)), frames[index]), index


def test_frames_past_the_end_are_refused(clip: Path) -> None:
    with pytest.raises(MediaError) as err:
        grab_image(clip, 36)
    assert "36" in err.value.message and err.value.zh


# -- choosing the source: the original when it is cheap, else a frame-aligned copy --------------------------------

@pytest.fixture(scope="module")
def long_gop(tmp_path_factory) -> dict[str, Path]:
    """One 48-frame GOP (as generators write), its frame-aligned copy with a keyframe every 6 frames, and copies
    that are not aligned (another size; fewer frames) or not a video at all."""
    folder = tmp_path_factory.mktemp("long")
    src = "testsrc2=size=160x90:rate=12:duration=4"
    paths = {name: folder / f"{name}.mp4" for name in ("original", "copy", "smaller", "shorter")}
    run_ffmpeg(["-f", "lavfi", "-i", src, "-c:v", "libx264", "-g", "300", "-bf", "2", "-pix_fmt", "yuv420p",
                str(paths["original"])], output=paths["original"])
    short_gop = ["-c:v", "libx264", "-g", "6", "-keyint_min", "6", "-sc_threshold", "0", "-bf", "2",
                 "-pix_fmt", "yuv420p"]
    # Tagged BT.709 as normalisation tags its copies (the original is untagged): a grab reads both alike.
    tags = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
    run_ffmpeg(["-i", str(paths["original"]), "-vf", tags, *short_gop, "-colorspace", "bt709", "-color_primaries", "bt709",
                "-color_trc", "bt709", "-color_range", "tv", str(paths["copy"])], output=paths["copy"])
    run_ffmpeg(["-i", str(paths["original"]), "-vf", "scale=80:44", *short_gop, str(paths["smaller"])],
               output=paths["smaller"])
    run_ffmpeg(["-i", str(paths["original"]), "-frames:v", "47", *short_gop, str(paths["shorter"])],
               output=paths["shorter"])
    paths["garbage"] = folder / "garbage.mp4"
    paths["garbage"].write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 400)
    return paths


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [np.asarray(rgb_image(f)) for f in c.decode(video=0)]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255 ** 2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


def test_decode_cost_counts_packets_from_the_keyframe(long_gop: dict[str, Path]) -> None:
    with VideoReader(long_gop["original"]) as one_gop, VideoReader(long_gop["copy"]) as short:
        assert one_gop.decode_cost(0) == short.decode_cost(0) == 1
        assert 45 <= one_gop.decode_cost(47) <= 48  # nearly every packet of the GOP (B-frames come after it)
        assert one_gop.decode_cost(47, limit=10) == 11  # stops counting once past the limit
        assert short.decode_cost(42) == 1 and short.decode_cost(47) <= 6
        assert all(short.decode_cost(i) <= 6 for i in range(48))


def test_far_frames_come_from_an_aligned_copy_near_ones_from_the_original(long_gop: dict[str, Path]) -> None:
    original, copy = _frames(long_gop["original"]), _frames(long_gop["copy"])
    copies = [long_gop["smaller"], long_gop["shorter"], long_gop["garbage"], long_gop["copy"]]
    for index in (47, 30, 2, 0):
        grab = grab_frame(long_gop["original"], index, copies=copies, budget=8)
        assert grab.index == index
        if index >= 8:  # more than the budget from the original: the aligned copy, never the misaligned ones
            assert (grab.source, grab.exact) == (long_gop["copy"], False), index
            assert np.array_equal(np.asarray(grab.image), copy[index]), index
            assert grab.cost is not None and grab.cost <= 6
            assert _psnr(copy[index], original[index]) > 30  # same picture and colours, re-encoded
        else:
            assert (grab.source, grab.exact) == (long_gop["original"], True), index
            assert np.array_equal(np.asarray(grab.image), original[index]), index


def test_exact_always_decodes_the_original(long_gop: dict[str, Path]) -> None:
    original = _frames(long_gop["original"])
    grab = grab_frame(long_gop["original"], 47, copies=[long_gop["copy"]], exact=True, budget=8)
    assert (grab.source, grab.exact) == (long_gop["original"], True)
    assert np.array_equal(np.asarray(grab.image), original[47])


def test_without_an_aligned_copy_the_original_is_decoded(long_gop: dict[str, Path]) -> None:
    original = _frames(long_gop["original"])
    grab = grab_frame(long_gop["original"], 40, copies=[long_gop["smaller"], long_gop["shorter"],
                                                        long_gop["garbage"], long_gop["original"].with_name("gone.mp4")],
                      budget=8)
    assert (grab.source, grab.exact) == (long_gop["original"], True)
    assert np.array_equal(np.asarray(grab.image), original[40])
    with pytest.raises(MediaError) as err:
        grab_frame(long_gop["original"], 48, copies=[long_gop["copy"]], budget=8)
    assert "48" in err.value.message and err.value.zh


def test_one_reader_gives_many_frames_in_any_order(long_gop: dict[str, Path]) -> None:
    original = _frames(long_gop["original"])
    with VideoReader(long_gop["original"]) as reader:
        for index in (40, 3, 47, 3, 0):
            assert reader.decode_cost(index) >= 1
            assert np.array_equal(np.asarray(reader.frame(index)), original[index]), index
