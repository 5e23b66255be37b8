"""The previz renderer: a deterministic storyboard animatic drawn from the shot (sizes kept small for speed)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyreel.errors import InvalidInput, OutputNotWritable
from storyreel.model.shot import Blocking, CameraMove, DialogueLine, Framing, Shot
from storyreel.model.take import TakeSpec
from storyreel.providers.previz.draw import render_frames, render_take
from storyreel.providers.previz.style import font, wrap

W, H, FPS = 320, 180, 12
MARK = (18, 200, 255)  # a character colour nothing else on the board uses
MARK_HEX = "#12c8ff"


def make_shot(**kw) -> Shot:
    base = dict(code="3A", scene=3, order=5, heading="INT. 茶馆 - 夜", framing=Framing.WIDE,
                camera=CameraMove.STATIC, frames=24)
    base.update(kw)
    return Shot(**base)


DARK = ["#1d2633", "#3a4a5c", "#e0c36f", "#f2efe6"]
TWO = [Blocking(character="林晓", position="left"), Blocking(character="老周", position="right")]


def make_spec(shot: Shot | None = None, *, seed: int = 7, w: int = W, h: int = H, fps: int = FPS,
              palette: list[str] | None = None, colours: dict[str, str] | None = None, frames: int | None = None):
    shot = shot or make_shot()
    return TakeSpec(prompt="a shot", seed=seed, frames=shot.frames if frames is None else frames, fps=fps, width=w,
                    height=h, shot=shot, palette=DARK if palette is None else palette,
                    character_colors={"林晓": MARK_HEX, "老周": "#c8553d"} if colours is None else colours)


def frames_of(spec: TakeSpec) -> list[np.ndarray]:
    return [np.asarray(f) for f in render_frames(spec)]


def mark_mask(frame: np.ndarray, colour=MARK, tol: int = 10) -> np.ndarray:
    return (np.abs(frame.astype(int) - colour) <= tol).all(axis=2)


def centroid_x(frame: np.ndarray) -> float | None:
    ys, xs = np.nonzero(mark_mask(frame))
    return float(xs.mean()) if len(xs) else None


# --- size, count, determinism --------------------------------------------------------------------------------


def test_exact_count_and_size() -> None:
    spec = make_spec(make_shot(frames=17))
    frames = list(render_frames(spec))
    assert len(frames) == 17
    assert all(f.size == (W, H) and f.mode == "RGB" for f in frames)


def test_render_take_writes_clip_and_keyframe(tmp_path: Path) -> None:
    shot = make_shot(blocking=[Blocking(character="林晓", position="left", look="right")],
                     dialogue=[DialogueLine(character="林晓", text="你来了。")], frames=30)
    spec = make_spec(shot)
    n = render_take(spec, keyframe=tmp_path / "k" / "key.png", clip=tmp_path / "c" / "take.mp4")
    assert n == 30
    with av.open(str(tmp_path / "c" / "take.mp4")) as c:
        s = c.streams.video[0]
        decoded = list(c.decode(s))
        assert (s.codec_context.width, s.codec_context.height) == (W, H)
        assert s.average_rate == FPS
    assert [f.pts for f in decoded] == list(range(30))
    first = np.asarray(next(render_frames(spec)))
    with Image.open(tmp_path / "k" / "key.png") as key:
        assert key.size == (W, H)
        assert np.array_equal(np.asarray(key.convert("RGB")), first)
    # the clip shows the same pictures (lossy, so close rather than equal)
    assert np.abs(decoded[0].to_ndarray(format="rgb24").astype(int) - first).mean() < 6
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["take.mp4"]


@pytest.mark.parametrize("camera", [CameraMove.STATIC, CameraMove.PUSH_IN, CameraMove.PAN_RIGHT])
def test_clip_matches_the_frames(tmp_path: Path, camera: CameraMove) -> None:
    """render_take's faster paths (timecode patching, scaling in the encoder) give the same pictures."""
    shot = make_shot(camera=camera, blocking=[Blocking(character="林晓", position="center")],
                     dialogue=[DialogueLine(character="林晓", text="一"), DialogueLine(character="林晓", text="二")])
    spec = make_spec(shot)
    render_take(spec, keyframe=tmp_path / "k.png", clip=tmp_path / "c.mp4")
    ref = frames_of(spec)
    with av.open(str(tmp_path / "c.mp4")) as c:
        got = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    assert len(got) == len(ref)
    for a, b in zip(ref, got, strict=True):
        assert np.abs(a - b).mean() < 6


def test_same_seed_is_byte_identical() -> None:
    shot = make_shot(camera=CameraMove.HANDHELD,
                     blocking=[Blocking(character="林晓", position="left", exits="right"),
                               Blocking(character="老周", position="right", look="left")],
                     dialogue=[DialogueLine(character="老周", text="等等。")])
    a = [f.tobytes() for f in render_frames(make_spec(shot, seed=99))]
    b = [f.tobytes() for f in render_frames(make_spec(shot, seed=99))]
    assert a == b


def _digest(spec: TakeSpec) -> str:
    h = hashlib.sha256()
    for f in render_frames(spec):
        h.update(f.tobytes())
    return h.hexdigest()


def test_deterministic_across_processes() -> None:
    """No hash() or global RNG sneaks in: another interpreter with another hash seed draws the same take."""
    shot = make_shot(framing=Framing.MEDIUM, camera=CameraMove.PUSH_IN, frames=6,
                     blocking=[Blocking(character="林晓", position="left"),
                               Blocking(character="Ben", position="right")])
    spec = make_spec(shot, seed=1234, colours={})
    code = (
        "import sys, hashlib; from storyreel.model.take import TakeSpec;"
        "from storyreel.providers.previz.draw import render_frames;"
        "spec = TakeSpec.model_validate_json(sys.stdin.read()); h = hashlib.sha256()\n"
        "for f in render_frames(spec): h.update(f.tobytes())\n"
        "print(h.hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], input=spec.model_dump_json(by_alias=True), text=True,
                         capture_output=True, env=env, check=True, timeout=120)
    assert out.stdout.strip() == _digest(spec)


def test_parallel_renders_match_serial_ones() -> None:
    """Takes render side by side in worker threads (the engine runs several at once)."""
    from concurrent.futures import ThreadPoolExecutor

    shots = [make_shot(camera=c, frames=4, blocking=TWO, dialogue=[DialogueLine(character="林晓", text="同时渲染。")])
             for c in (CameraMove.STATIC, CameraMove.PUSH_IN, CameraMove.PAN_LEFT, CameraMove.HANDHELD)]
    specs = [make_spec(sh, seed=i) for i, sh in enumerate(shots)]
    serial = [_digest(s) for s in specs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(_digest, specs)) == serial


def test_different_seeds_give_different_boards() -> None:
    shot = make_shot(blocking=TWO)
    boards = [np.asarray(next(render_frames(make_spec(shot, seed=s)))).astype(int) for s in (1, 2, 3)]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(boards[i] - boards[j]).mean() > 6


# --- what the board shows ----------------------------------------------------------------------------------------


def test_exit_left_walks_out_of_frame() -> None:
    shot = make_shot(blocking=[Blocking(character="林晓", position="center", exits="left")], frames=24)
    frames = frames_of(make_spec(shot))
    xs = [centroid_x(f) for f in frames]
    assert xs[0] is not None and abs(xs[0] - W / 2) < W * 0.12  # starts on the centre mark
    visible = [x for x in xs if x is not None]
    assert all(b <= a + 0.5 for a, b in zip(visible, visible[1:], strict=False))  # only ever moves left
    assert visible[-1] < xs[0] - W * 0.2
    assert xs[-1] is None  # gone by the last frame
    assert mark_mask(frames[-1]).sum() == 0


def test_enter_right_walks_into_frame() -> None:
    shot = make_shot(blocking=[Blocking(character="林晓", position="left", enters="right")], frames=24)
    frames = frames_of(make_spec(shot))
    assert mark_mask(frames[0]).sum() == 0  # not yet on screen
    xs = [centroid_x(f) for f in frames]
    visible = [x for x in xs if x is not None]
    assert all(b <= a + 0.5 for a, b in zip(visible, visible[1:], strict=False))  # walking right-to-left
    assert xs[-1] is not None and xs[-1] < W * 0.45  # ends on the left mark


def test_exit_upstage_fades_away() -> None:
    shot = make_shot(blocking=[Blocking(character="林晓", position="center", exits="center")], frames=24)
    frames = frames_of(make_spec(shot))
    assert mark_mask(frames[0]).sum() > 0
    assert mark_mask(frames[-1]).sum() == 0


def _width(frame: np.ndarray) -> int:
    xs = np.nonzero(mark_mask(frame))[1]
    return int(xs.max() - xs.min()) if len(xs) else 0


def test_push_in_grows_the_picture_and_pull_out_shrinks_it() -> None:
    blocking = [Blocking(character="林晓", position="center")]
    push = frames_of(make_spec(make_shot(camera=CameraMove.PUSH_IN, blocking=blocking)))
    widths = [_width(push[i]) for i in (0, len(push) // 2, -1)]
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] > widths[0] * 1.12
    pull = frames_of(make_spec(make_shot(camera=CameraMove.PULL_OUT, blocking=blocking)))
    assert _width(pull[-1]) < _width(pull[0]) / 1.12


def test_pans_drift_the_picture_sideways() -> None:
    blocking = [Blocking(character="林晓", position="center")]
    left = frames_of(make_spec(make_shot(camera=CameraMove.PAN_LEFT, blocking=blocking)))
    right = frames_of(make_spec(make_shot(camera=CameraMove.PAN_RIGHT, blocking=blocking)))
    # panning left, the world slides right across the frame (and vice versa)
    assert centroid_x(left[-1]) > centroid_x(left[0]) + W * 0.1
    assert centroid_x(right[-1]) < centroid_x(right[0]) - W * 0.1


def test_tilts_and_handheld_move_the_picture() -> None:
    blocking = [Blocking(character="林晓", position="center")]

    def cy(f: np.ndarray) -> float:
        return float(np.nonzero(mark_mask(f))[0].mean())

    up = frames_of(make_spec(make_shot(camera=CameraMove.TILT_UP, blocking=blocking)))
    down = frames_of(make_spec(make_shot(camera=CameraMove.TILT_DOWN, blocking=blocking)))
    assert cy(up[-1]) > cy(up[0]) + H * 0.1  # tilting up, the world slides down the frame
    assert cy(down[-1]) < cy(down[0]) - H * 0.1
    shaky = frames_of(make_spec(make_shot(camera=CameraMove.HANDHELD, blocking=blocking, frames=36)))
    xs = [centroid_x(f) for f in shaky]
    assert max(xs) - min(xs) > 1.0  # it moves ...
    assert max(xs) - min(xs) < W * 0.06  # ... but only a little
    assert shaky[5].tobytes() != shaky[6].tobytes()


def test_static_shot_changes_only_timecode_and_caption() -> None:
    shot = make_shot(blocking=[Blocking(character="林晓", position="left")])
    frames = frames_of(make_spec(shot))
    diff = np.abs(frames[0].astype(int) - frames[-1].astype(int)).sum(axis=2)
    ys, xs = np.nonzero(diff)
    assert len(ys) > 0  # the timecode runs
    assert xs.max() < W * 0.35 and ys.max() < H * 0.35  # ... inside the slate, top left


def test_framing_sets_the_size_of_the_actors() -> None:
    sizes = {}
    for framing in (Framing.ESTABLISHING, Framing.WIDE, Framing.MEDIUM, Framing.CLOSE):
        shot = make_shot(framing=framing, blocking=[Blocking(character="林晓", position="center")])
        sizes[framing] = _width(np.asarray(next(render_frames(make_spec(shot)))))  # shoulder width, roughly
    assert 0 < sizes[Framing.ESTABLISHING] < sizes[Framing.WIDE] < sizes[Framing.MEDIUM] < sizes[Framing.CLOSE]


def test_blocking_positions_place_the_actors() -> None:
    spots = {}
    for side in ("left", "center", "right"):
        shot = make_shot(blocking=[Blocking(character="林晓", position=side)])
        spots[side] = centroid_x(np.asarray(next(render_frames(make_spec(shot)))))
    assert spots["left"] < W * 0.4 < spots["center"] < W * 0.6 < spots["right"]


def test_eyeline_and_looking_at_camera_are_drawn() -> None:
    def head(look: str | None) -> np.ndarray:
        shot = make_shot(framing=Framing.CLOSE, blocking=[Blocking(character="林晓", position="center", look=look)])
        return np.asarray(next(render_frames(make_spec(shot, w=640, h=360)))).astype(int)

    left, right, cam = head("left"), head("right"), head("camera")
    assert np.abs(left - right).mean() > 1
    assert np.abs(cam - left).mean() > 1
    # a left look puts the eyeline arrow (accent colour) left of the face, a right look right of it
    accent = np.array([224, 195, 111])

    def accent_x(img: np.ndarray) -> float:
        m = (np.abs(img[40:300] - accent) <= 30).all(axis=2)
        m[:, 560:] = False  # ignore the framing chip's camera glyph, top right
        return float(np.nonzero(m)[1].mean())

    assert accent_x(left) < 320 < accent_x(right)


def test_insert_has_no_actors() -> None:
    shot = make_shot(framing=Framing.INSERT, blocking=[Blocking(character="林晓")], description="一封信")
    assert mark_mask(np.asarray(next(render_frames(make_spec(shot))))).sum() == 0


def _caption_band(spec: TakeSpec, i: int = 0) -> np.ndarray:
    frames = frames_of(spec)
    # Captions sit in the top band: the bottom of the frame is kept for the subtitles the cut burns in.
    return frames[i][: int(spec.height * 0.3)].astype(int)


def test_dialogue_shows_as_a_caption() -> None:
    blocking = [Blocking(character="林晓", position="left")]
    silent = _caption_band(make_spec(make_shot(blocking=blocking, frames=2), w=640, h=360))
    talking = _caption_band(make_spec(make_shot(blocking=blocking, frames=2,
                                                dialogue=[DialogueLine(character="林晓", text="你还记得吗？")]),
                                      w=640, h=360))
    dark = (silent.sum(axis=2) < 90).sum(), (talking.sum(axis=2) < 90).sum()
    bright = (silent.min(axis=2) > 150).sum(), (talking.min(axis=2) > 150).sum()
    assert dark[1] > dark[0] + 800  # the caption box
    assert bright[1] > bright[0] + 40  # white text in it


def test_chinese_captions_draw_real_glyphs() -> None:
    """With a font lacking CJK, both strings would come out as the same row of empty boxes."""
    def band(text: str) -> np.ndarray:
        shot = make_shot(blocking=[Blocking(character="林晓", position="left")],
                         dialogue=[DialogueLine(character="林晓", text=text)])
        return _caption_band(make_spec(shot, seed=3))

    assert np.abs(band("林晓来了") - band("王强走了")).sum() > 2000
    # and straight from the font: a real glyph differs from the missing-glyph box
    def ink(text: str) -> np.ndarray:
        im = Image.new("L", (120, 40))
        ImageDraw.Draw(im).text((4, 4), text, font=font(28), fill=255)
        return np.asarray(im)

    missing = ink("\U000f0000\U000f0001")  # private-use code points: no font has them
    assert not np.array_equal(ink("林晓"), missing)
    assert not np.array_equal(ink("林晓"), ink("王强"))
    assert ink("林晓").sum() > 0


def test_several_lines_take_turns() -> None:
    shot = make_shot(blocking=TWO,
                     dialogue=[DialogueLine(character="林晓", text="第一句话在这里。"),
                               DialogueLine(character="老周", text="然后是第二句。", parenthetical="低声")],
                     frames=24)
    frames = frames_of(make_spec(shot))
    band = (slice(0, int(H * 0.3)), slice(int(W * 0.25), int(W * 0.75)))  # clear of the slate's running timecode
    first, last = frames[0][band].astype(int), frames[-1][band].astype(int)
    assert np.abs(first - last).sum() > 2000  # a different line is up at the end


def test_wrap_handles_chinese_and_english() -> None:
    f = font(20)
    zh = wrap("我们明天早上八点在老地方见面，不要迟到，也不要告诉别人。", f, 200)
    assert len(zh) > 1 and all(f.getlength(line) <= 200 for line in zh)
    assert not any(line.startswith(("，", "。")) for line in zh)  # punctuation never starts a line
    en = wrap("If you walk out that door now, don't bother coming back.", f, 200)
    assert len(en) > 1 and all(not line.startswith(" ") for line in en)
    assert " ".join(en) == "If you walk out that door now, don't bother coming back."


@pytest.mark.parametrize("framing", list(Framing))
@pytest.mark.parametrize("camera", list(CameraMove))
def test_every_framing_and_move_renders(framing: Framing, camera: CameraMove) -> None:
    shot = make_shot(framing=framing, camera=camera, frames=3, heading="EXT. HARBOUR ROAD - DAY",
                     blocking=[Blocking(character="Anna", position="left", look="camera", enters="left"),
                               Blocking(character="Ben", position="right", exits="right")],
                     dialogue=[DialogueLine(character="Anna", text="Hello there.")])
    frames = list(render_frames(make_spec(shot, w=160, h=90, palette=[])))
    assert len(frames) == 3 and all(f.size == (160, 90) for f in frames)


@pytest.mark.parametrize(("w", "h"), [(90, 160), (240, 100), (64, 64)])
def test_other_aspects(w: int, h: int) -> None:
    shot = make_shot(framing=Framing.MEDIUM, camera=CameraMove.PUSH_IN, frames=2,
                     blocking=TWO, dialogue=[DialogueLine(character="林晓", text="竖屏也要能看。")])
    assert all(f.size == (w, h) for f in render_frames(make_spec(shot, w=w, h=h)))


def test_a_spec_without_a_shot_still_renders() -> None:
    spec = TakeSpec(prompt="A lighthouse at dusk", seed=1, frames=2, fps=12, width=W, height=H)
    assert len(list(render_frames(spec))) == 2


def test_no_frames_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        render_frames(make_spec(make_shot(), frames=0))


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputNotWritable):
        render_take(make_spec(make_shot(frames=2)), keyframe=tmp_path / "k.png", clip=blocker / "c.mp4")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: chmod does not stop writes")
        with pytest.raises(OutputNotWritable):
            render_take(make_spec(make_shot(frames=2)), keyframe=ro / "k.png", clip=ro / "c.mp4")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)
