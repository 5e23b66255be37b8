"""Clip effects at render time (media.effects through media.reel): each one changes the frames as it should.

Sources are tiny and made here: a "counter" clip whose grey level encodes the frame number (so speed, freeze
and hold can be read back frame by frame), and a gradient clip whose luma encodes the source x and blue-difference
chroma the source y (so the window a camera move shows can be measured on every output frame). Planes are read
as they are stored (no RGB conversion, whose matrix would blur the encoding).
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from storyreel.media.delivery import film_canvas
from storyreel.media.effects import HANDHELD_MARGIN, ReelClip, Shake, camera_for, layout, record_frame_of
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.reel import render_reel
from storyreel.media.reframe import Fit
from storyreel.model.cut import ClipEffects, Crop, KenBurns, Transition

W, H, FPS = 160, 96, 12
STEP = 9  # grey levels between counter frames: survives yuv420p and x264 with room to spare
CANVAS = film_canvas(W, H)


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.float64) for f in c.decode(video=0)]


def _counter(frame: np.ndarray) -> int:
    """The source frame a counter-clip frame shows (its luma was 16 + STEP * n)."""
    with_luma = frame.mean(axis=2).mean()
    return round((with_luma * 219 / 255 + 16 - 16) / STEP)


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "counter.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"nullsrc=s={W}x{H}:r={FPS},geq=lum='16+{STEP}*N':cb=128:cr=128",
            "-frames:v", "24", "-c:v", "libx264", "-crf", "4", "-pix_fmt", "yuv420p", str(path))
    return path


@pytest.fixture(scope="module")
def gradient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A grey still, 40 at the left edge to 215 at the right: its luma encodes x whatever the colour matrix."""
    row = (40 + 175 * np.arange(W) / (W - 1)).round().astype(np.uint8)
    path = tmp_path_factory.mktemp("src") / "gradient.png"
    Image.fromarray(np.repeat(row[None, :], H, 0)).convert("RGB").save(path)
    return path


def _gradient_clip(path: Path, luma: str) -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"nullsrc=s={W}x{H}:r={FPS},format=yuv420p,geq=lum='{luma}':cb=128:cr=128",
            "-frames:v", "24", "-c:v", "libx264", "-crf", "2", "-pix_fmt", "yuv420p", str(path))
    return path


@pytest.fixture(scope="module")
def gradient_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Luma 40 at the left edge to 215 at the right: each output column says which source column it shows."""
    return _gradient_clip(tmp_path_factory.mktemp("src") / "gx.mp4", "40+175*X/(W-1)")


@pytest.fixture(scope="module")
def gradient_y_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, top to bottom."""
    return _gradient_clip(tmp_path_factory.mktemp("src") / "gy.mp4", "40+175*Y/(H-1)")


def _luma(path: Path) -> list[np.ndarray]:
    """The Y plane of every frame, as stored."""
    with av.open(str(path)) as c:
        return [f.to_ndarray()[:H].astype(np.float64) for f in c.decode(video=0)]  # yuv420p: Y rows first


def _render(tmp_path: Path, clips: list[ReelClip], name: str = "out.mp4") -> list[np.ndarray]:
    result = render_reel(clips, out=tmp_path / name, canvas=CANVAS, fps=FPS)
    frames = _frames(result.video)
    assert len(frames) == result.frames
    return frames


def _fit(values: np.ndarray, size: int) -> tuple[float, float]:
    """(position, length) in source pixels of the window whose gradient reads ``values`` across the output."""
    k, b = np.polyfit(np.arange(len(values)) + 0.5, (values - 40) / 175 * (size - 1), 1)
    return float(b), float(k * len(values))


# --- timing effects -----------------------------------------------------------------------------------------

def test_plain_trim_plays_exactly_its_source_frames(tmp_path: Path, counter: Path) -> None:
    frames = _render(tmp_path, [ReelClip(counter, 3, 11)])
    assert [_counter(f) for f in frames] == list(range(3, 11))


def test_double_speed_halves_the_frames(tmp_path: Path, counter: Path) -> None:
    frames = _render(tmp_path, [ReelClip(counter, 0, 20, ClipEffects(speed=2.0))])
    assert [_counter(f) for f in frames] == list(range(0, 20, 2))


def test_half_speed_doubles_each_frame(tmp_path: Path, counter: Path) -> None:
    frames = _render(tmp_path, [ReelClip(counter, 4, 9, ClipEffects(speed=0.5))])
    assert [_counter(f) for f in frames] == [4, 4, 5, 5, 6, 6, 7, 7, 8, 8]


def test_freeze_frame_holds_the_chosen_frame(tmp_path: Path, counter: Path) -> None:
    fx = ClipEffects(freeze_at=6, freeze_frames=5)
    frames = _render(tmp_path, [ReelClip(counter, 2, 12, fx)])
    assert len(frames) == fx.record_frames(10) == 15
    assert [_counter(f) for f in frames] == [2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 7, 8, 9, 10, 11]


def test_hold_repeats_the_last_frame(tmp_path: Path, counter: Path) -> None:
    frames = _render(tmp_path, [ReelClip(counter, 0, 6, ClipEffects(hold_frames=4))])
    assert [_counter(f) for f in frames] == [0, 1, 2, 3, 4, 5, 5, 5, 5, 5]


def test_fades_start_and_end_black(tmp_path: Path, gradient_clip: Path) -> None:
    fx = ClipEffects(transition_in=Transition.FADE, transition_frames=4, fade_out_frames=4)
    frames = _render(tmp_path, [ReelClip(gradient_clip, 0, 16, fx)])
    levels = [f.mean() for f in frames]
    assert len(frames) == 16
    assert levels[0] < 20 and levels[-1] < 20  # black at both ends
    assert levels[0] < levels[1] < levels[2] < levels[3] < levels[4]  # ramps up ...
    assert abs(levels[8] - levels[4]) < 3  # ... to the full picture
    assert levels[11] > levels[12] > levels[13] > levels[14] > levels[15]


def test_dissolve_overlaps_and_blends(tmp_path: Path, counter: Path, gradient_clip: Path) -> None:
    a = ReelClip(counter, 0, 12)
    b = ReelClip(gradient_clip, 0, 12, ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=4))
    frames = _render(tmp_path, [a, b])
    assert len(frames) == 12 + 12 - 4
    assert [p.start for p in layout([(12, a.effects), (12, b.effects)])] == [0, 8]
    assert [_counter(f) for f in frames[:8]] == list(range(8))
    pure_b = frames[-1]
    # Over the overlap the picture moves from clip a's frame toward clip b's.
    gaps = [np.abs(frames[k] - pure_b).mean() for k in range(7, 13)]
    assert all(x > y for x, y in itertools.pairwise(gaps))
    assert gaps[-1] < 3


def test_back_to_back_dissolves_keep_every_frame(tmp_path: Path, counter: Path, gradient_clip: Path) -> None:
    # The second dissolve (10 frames) reaches back past the first one's overlap: the whole cut so far is
    # cross-faded there; the first is cut out of its neighbours. Either way the count is exact and the cuts hold.
    short = ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=4)
    long = ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=10)
    clips = [ReelClip(counter, 0, 12), ReelClip(gradient_clip, 0, 12, short), ReelClip(counter, 0, 12, long)]
    frames = _render(tmp_path, clips)
    assert len(frames) == 12 + (12 - 4) + (12 - 10)
    assert [_counter(f) for f in frames[:8]] == list(range(8))  # untouched before the first dissolve
    assert [_counter(f) for f in frames[-1:]] == [11]  # the last clip's own last frame


def test_a_first_clip_dissolve_is_a_fade_from_black(tmp_path: Path, gradient_clip: Path) -> None:
    fx = ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=3)
    frames = _render(tmp_path, [ReelClip(gradient_clip, 0, 8, fx)])
    assert len(frames) == 8 and frames[0].mean() < 20 and frames[5].mean() > 100


def test_layout_and_record_mapping() -> None:
    fx = ClipEffects(speed=2.0, freeze_at=10, freeze_frames=3)
    clip = ReelClip(Path("x.mp4"), 4, 24, fx)
    assert clip.record_frames == 13
    assert record_frame_of(4, clip) == 0
    assert record_frame_of(3, clip) is None and record_frame_of(24, clip) is None
    assert record_frame_of(10, clip) == 3  # the frozen frame itself
    assert record_frame_of(12, clip) == 4 + 3  # after the freeze
    dissolve = ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=30)
    placed = layout([(10, ClipEffects()), (20, dissolve), (5, ClipEffects())])
    assert [(p.start, p.overlap) for p in placed] == [(0, 0), (1, 9), (21, 0)]  # overlap capped by clip lengths


# --- camera -------------------------------------------------------------------------------------------------

def test_handheld_moves_a_small_bounded_window_without_borders(tmp_path: Path, gradient_clip: Path,
                                                              gradient_y_clip: Path) -> None:
    fx = ClipEffects(handheld=1.0, handheld_seed=7)
    clip = ReelClip(gradient_clip, 0, 24, fx)
    frames = _render(tmp_path, [clip], "x.mp4")
    _render(tmp_path, [ReelClip(gradient_y_clip, 0, 24, fx)], "y.mp4")  # same seed: the same camera
    xs = [_fit(f[8:-8].mean(axis=0), W) for f in _luma(tmp_path / "x.mp4")]
    ys = [_fit(f[:, 8:-8].mean(axis=1), H) for f in _luma(tmp_path / "y.mp4")]
    cam = camera_for(clip, source_size=(W, H), picture=(W, H), fit=Fit.CROP)
    want = [cam.window(n, FPS) for n in range(24)]
    for n, frame in enumerate(frames):
        # Positions land on whole pixels (crop), so allow that and the read-back's own half pixel.
        assert abs(xs[n][0] - want[n].x) < 2 and abs(ys[n][0] - want[n].y) < 2, (n, xs[n], ys[n], want[n])
        assert abs(xs[n][1] - W * (1 - 2 * HANDHELD_MARGIN)) < 2 and abs(ys[n][1] - H * (1 - 2 * HANDHELD_MARGIN)) < 2
        # The window stays inside the picture, so no border is ever drawn: the gradient never reaches black.
        edges = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        assert edges.max(axis=1).min() > 25, f"frame {n}: a dark border"
    for got, wanted in ((xs, [w.x for w in want]), (ys, [w.y for w in want])):
        got_pos = [g[0] for g in got]
        assert max(wanted) - min(wanted) > 2  # this seed moves the camera visibly on both axes ...
        assert np.corrcoef(got_pos, wanted)[0, 1] > 0.9  # ... and the picture follows it
        assert max(abs(a - b) for a, b in itertools.pairwise(got_pos)) < 2.5  # slowly: breathing, not jitter
    assert all(-1 < x < 2 * HANDHELD_MARGIN * W + 1 for x, _ in xs)


def test_handheld_is_seeded() -> None:
    a, b, c = Shake.seeded(1), Shake.seeded(1), Shake.seeded(2)
    assert a == b and a != c
    values = [a.at(n, 24) for n in range(24 * 10)]
    assert all(-1 <= x <= 1 and -1 <= y <= 1 for x, y in values)
    assert all(0.2 <= hz <= 1.5 for _, hz, _ in a.x + a.y)


def test_ken_burns_on_a_still_moves_from_start_to_end_framing(tmp_path: Path, gradient: Path) -> None:
    kb = KenBurns(start=Crop(x=0, y=0, w=1, h=1), end=Crop(x=0.5, y=0.5, w=0.5, h=0.5))
    frames = _render(tmp_path, [ReelClip(gradient, 0, 12, ClipEffects(ken_burns=kb), still=True)])
    assert len(frames) == 12
    # The grey still's luma is 16 + 219/255 of its value (video range): undo that, then read x like the clip's.
    windows = [_fit((luma[8:-8].mean(axis=0) - 16) * 255 / 219, W) for luma in _luma(tmp_path / "out.mp4")]
    (x0, w0), (x1, w1) = windows[0], windows[-1]
    assert abs(x0) < 1.5 and abs(w0 - W) < 2
    assert abs(x1 - W / 2) < 1.5 and abs(w1 - W / 2) < 2
    widths = [w for _, w in windows]
    assert all(a > b for a, b in itertools.pairwise(widths))  # a steady push in


def test_effects_are_not_written_to_the_source(tmp_path: Path, counter: Path) -> None:
    before = counter.read_bytes()
    _render(tmp_path, [ReelClip(counter, 0, 12, ClipEffects(speed=2.0, handheld=0.5, hold_frames=2))])
    assert counter.read_bytes() == before
