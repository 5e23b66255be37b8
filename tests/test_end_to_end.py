"""new → plan → shoot (2 takes) → select → cut, through the real CLI, checked frame by frame with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pysubs2
from PIL import Image

from storyreel.services.film import open_film
from storyreel.services.plan import list_shots
from storyreel.services.review import list_takes
from tests.cli.test_bad_input import run
from tests.conftest import small_profile


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_new_plan_shoot_select_cut(tmp_path: Path) -> None:
    assert run("new", "myfilm", cwd=tmp_path).returncode == 0
    root = tmp_path / "myfilm"
    small_profile(root, width=256, height=144, fps=12)
    for args in (("plan",), ("shots",), ("shoot", "--takes", "2")):
        proc = run(*args, cwd=root)
        assert proc.returncode == 0, proc.stderr
    # Re-running continues and never duplicates a take.
    again = run("shoot", "--takes", "2", cwd=root)
    assert again.returncode == 0 and "0 new jobs" in again.stdout.replace("\n", " ")

    with open_film(root) as film:
        shots = list_shots(film)
        assert len(shots) >= 4
        for s in shots:
            assert [t.number for t in list_takes(film, s.code)] == [1, 2]
    second = shots[1].code
    assert run("select", second, "2", cwd=root).returncode == 0
    listing = run("takes", second, cwd=root)
    assert f"{second}-t002" in listing.stdout and "selected" in listing.stdout

    proc = run("cut", cwd=root)
    assert proc.returncode == 0, proc.stderr
    cut, srt = root / "renders" / "cut.mp4", root / "renders" / "cut.srt"

    # Stream parameters are the film profile.
    with av.open(str(cut)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (256, 144)
        assert v.average_rate == 12 and v.codec_context.pix_fmt == "yuv420p" and v.codec_context.name == "h264"
    frames = _frames(cut)
    with open_film(root) as film:
        takes = {s.code: next(t for t in list_takes(film, s.code) if t.selected) for s in shots}
        assert takes[second].number == 2 and takes[shots[0].code].number == 1
        assert len(frames) == sum(takes[s.code].frames for s in shots)
        # Each shot occupies its frame range: the first and last frame of each range match its selected take
        # (upper part only; subtitles are burned into the lower part of the cut).
        start = 0
        for s in shots:
            take = takes[s.code]
            clip = _frames(film.media.path_for(take.clip_sha, take.clip_ext))
            assert len(clip) == take.frames
            for k in (0, take.frames - 1):
                top = slice(0, 144 * 6 // 10)
                diff = np.abs(frames[start + k][top].astype(int) - clip[k][top].astype(int)).mean()
                assert diff < 6, (s.code, k, diff)
            other = _frames(film.media.path_for(*(lambda t: (t.clip_sha, t.clip_ext))(
                next(t for t in list_takes(film, s.code) if not t.selected))))
            assert np.abs(frames[start][top].astype(int) - other[0][top].astype(int)).mean() > 1
            start += take.frames
        keyframe = film.media.path_for(takes[shots[0].code].keyframe_sha, "png")
        assert Image.open(keyframe).size == (256, 144)

    # The SRT carries each dialogue line inside its shot's time range.
    subs = pysubs2.load(str(srt))
    dialogue = [(s, d) for s in shots for d in s.dialogue]
    assert len(subs) == len(dialogue) > 0
    start = 0
    bounds = {}
    for s in shots:
        bounds[s.code] = (start / 12 * 1000, (start + takes[s.code].frames) / 12 * 1000)
        start += takes[s.code].frames
    for event, (s, d) in zip(subs, dialogue, strict=True):
        assert d.text in event.plaintext
        lo, hi = bounds[s.code]
        assert lo <= event.start < event.end <= hi + 1
