"""Delivery profiles: sizes and shapes, reframing around a focus point (crop) or padding, letterbox, and
subtitles kept inside each platform's safe area."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pysubs2
import pytest

from storyreel.errors import StoryreelError
from storyreel.media.delivery import PROFILES, SubtitleLayout, find_profile, profile_for_aspect, subtitles_ass
from storyreel.media.effects import ReelClip
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.fonts import Font
from storyreel.media.reel import render_reel
from storyreel.media.reframe import Fit, Rect, aspect_window
from storyreel.media.subtitles import Cue, Measure

FPS = 12
RED, BLUE = (220, 30, 30), (30, 30, 220)


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 16:9 take: left half red, right half blue."""
    path = tmp_path_factory.mktemp("src") / "halves.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"color=c=0xdc1e1e:s=160x90:r={FPS}", "-f", "lavfi",
            "-i", f"color=c=0x1e1edc:s=160x90:r={FPS}", "-filter_complex", "[0][1]hstack,scale=320:180",
            "-frames:v", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def _frame(path: Path, index: int = 0) -> np.ndarray:
    with av.open(str(path)) as c:
        for n, f in enumerate(c.decode(video=0)):
            if n == index:
                return f.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError("no such frame")


def _is(pixel_mean: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    return float(np.abs(pixel_mean - rgb).max()) < 40


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profile_renders_its_size_and_shape(tmp_path: Path, halves: Path, name: str) -> None:
    profile = PROFILES[name]
    out = render_reel([ReelClip(halves, 0, 2)], out=tmp_path / f"{name}.mp4", canvas=profile, fps=FPS,
                      preset="ultrafast")
    with av.open(str(out.video)) as c:
        v = c.streams.video[0].codec_context
        assert (v.width, v.height) == (profile.width, profile.height)
    assert profile.width % 2 == 0 and profile.height % 2 == 0
    shape = {"douyin": (9, 16), "kuaishou": (9, 16), "bilibili": (16, 9), "youtube": (16, 9),
             "xiaohongshu": (3, 4), "scope": (2.39, 1)}[name]
    assert profile.picture_width / profile.picture_height == pytest.approx(shape[0] / shape[1], rel=0.003)


def test_scope_is_letterboxed(tmp_path: Path, halves: Path) -> None:
    scope = find_profile("scope")
    assert (scope.picture_width, scope.picture_height) == (1920, 804) and scope.letterboxed
    out = render_reel([ReelClip(halves, 0, 1)], out=tmp_path / "s.mp4", canvas=scope, fps=FPS, preset="ultrafast")
    frame = _frame(out.video)
    top = (1080 - 804) // 2
    assert frame[: top - 2].max() < 25 and frame[top + 804 + 2:].max() < 25  # black bars
    assert _is(frame[top + 10: top + 794, 100:800].reshape(-1, 3).mean(0), RED)  # the picture between them


def test_crop_follows_the_focus_point(tmp_path: Path, halves: Path) -> None:
    douyin = find_profile("douyin")
    for focus, colour in (((0.1, 0.5), RED), ((0.9, 0.5), BLUE)):
        out = render_reel([ReelClip(halves, 0, 1, focus=focus)], out=tmp_path / "c.mp4", canvas=douyin, fps=FPS,
                          preset="ultrafast")
        frame = _frame(out.video)
        assert _is(frame.reshape(-1, 3).mean(0), colour), focus  # the whole 9:16 window is on that half
    # no focus point: the centre, half and half
    out = render_reel([ReelClip(halves, 0, 1)], out=tmp_path / "m.mp4", canvas=douyin, fps=FPS, preset="ultrafast")
    frame = _frame(out.video)
    assert _is(frame[:, :400].reshape(-1, 3).mean(0), RED) and _is(frame[:, -400:].reshape(-1, 3).mean(0), BLUE)


def test_pad_keeps_the_whole_picture(tmp_path: Path, halves: Path) -> None:
    douyin = find_profile("douyin")
    out = render_reel([ReelClip(halves, 0, 1)], out=tmp_path / "p.mp4", canvas=douyin, fps=FPS, fit=Fit.PAD,
                      preset="ultrafast")
    frame = _frame(out.video)
    band = 1080 * 9 // 16  # 16:9 picture fitted to 1080 wide: 608 high, centred
    top = (1920 - 608) // 2
    assert frame[: top - 4].max() < 25 and frame[top + 608 + 4:].max() < 25
    middle = frame[top + 20: top + band - 20]
    assert _is(middle[:, 20:500].reshape(-1, 3).mean(0), RED) and _is(middle[:, -500:-20].reshape(-1, 3).mean(0),
                                                                        BLUE)


def test_aspect_window_slides_and_stops_at_the_edge() -> None:
    src = Rect(0, 0, 1280, 720)
    assert aspect_window(src, 9 / 16) == Rect(640 - 202.5, 0, 405, 720)
    assert aspect_window(src, 9 / 16, (0, 360)).x == 0  # focus at the edge: the leftmost window, no black
    assert aspect_window(src, 9 / 16, (1280, 360)).x == pytest.approx(1280 - 405)
    assert aspect_window(src, 2.39).w == 1280 and aspect_window(src, 2.39).h == pytest.approx(1280 / 2.39)


def test_unknown_profile_lists_the_profiles() -> None:
    with pytest.raises(StoryreelError, match="douyin, kuaishou, bilibili, youtube, xiaohongshu, scope"):
        find_profile("tiktok")
    assert find_profile("Douyin").name == "douyin"
    assert profile_for_aspect("9:16").name == "douyin" and profile_for_aspect("2.39:1").name == "scope"


CUES = [Cue(0, 6, "我们没有时间了，必须在天亮之前离开这座城市，不然就再也走不了了。", "林晓")]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_subtitle_margins_are_the_safe_area(font: Font, name: str) -> None:
    profile = PROFILES[name]
    subs = pysubs2.SSAFile.from_string(subtitles_ass(CUES, FPS, profile, font))
    style = subs.styles["Default"]
    left, top, right, bottom = profile.safe.box(profile.width, profile.height)
    assert style.marginv == profile.height - bottom and style.marginl == left and style.marginr == profile.width - right
    assert style.alignment == pysubs2.Alignment.BOTTOM_CENTER
    if profile.height * 9 == profile.width * 16:  # 9:16 feeds: above the bottom UI band (~20 %)
        assert style.marginv >= 0.2 * profile.height
    layout = SubtitleLayout.for_profile(profile)
    lines = subs.events[0].plaintext.split("\n")
    measure = Measure(font, layout.fontsize)
    assert all(measure(line) <= right - left for line in lines)  # wrapped for the safe box, not the frame
    assert layout.margin_v + len(lines) * layout.fontsize * 1.3 < profile.height - top


def test_burned_subtitles_stay_inside_the_safe_area(tmp_path: Path, halves: Path, font: Font) -> None:
    douyin = find_profile("douyin")
    out = render_reel([ReelClip(halves, 0, 2, focus=(0.9, 0.5))], out=tmp_path / "subs.mp4", canvas=douyin,
                      fps=FPS, ass=subtitles_ass([Cue(0, 2, CUES[0].text, "林晓")], FPS, douyin, font), font=font,
                      preset="ultrafast")
    frame = _frame(out.video)
    ink = np.abs(frame - BLUE).sum(axis=2) > 150  # anything that is not the blue picture: glyphs, outline
    rows, cols = np.nonzero(ink)
    assert len(rows) > 500, "no subtitle drawn"
    left, top, right, bottom = douyin.safe.box(douyin.width, douyin.height)
    assert rows.max() < bottom and rows.min() > top
    assert cols.min() >= left - 4 and cols.max() <= right + 4  # (outline may pass the margin by a pixel or two)
