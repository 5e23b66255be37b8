"""services.cut on a real (previz) film: the timeline placed with effects, cues carried through trims, the rough
cut, and deliveries with their checks and report, through the service and the CLI."""

from __future__ import annotations

import json
import math
import struct
import wave
from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

from storyreel.errors import ShotNotFound
from storyreel.media.check import CheckRule
from storyreel.media.probe import probe
from storyreel.model import ClipEffects, Transition
from storyreel.services.cut import assemble, render_delivery, render_rough_cut, set_focus
from storyreel.services.film import new_film, open_film
from storyreel.services.plan import plan_film
from storyreel.services.shoot import shoot
from storyreel.services.timeline import materialise, set_effects, trim_clip
from tests.cli.test_bad_input import run
from tests.conftest import small_profile

FPS = 12


def _sine_wav(path: Path, seconds: float = 4.0) -> None:
    rate = 48000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = (int(8000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(int(rate * seconds)))
        w.writeframes(b"".join(struct.pack("<hh", s, s) for s in samples))


@pytest.fixture(scope="module")
def film_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("render") / "film"
    new_film(root, language="zh", title="渲染测试")
    small_profile(root, width=160, height=96, fps=FPS)
    with open_film(root) as film:
        plan_film(film)
        shoot(film, takes=1)
    return root


def test_derived_cut_places_whole_takes_end_to_end(film_root: Path) -> None:
    with open_film(film_root) as film:
        entries, cues = assemble(film)
    assert [e.start for e in entries] == [sum(x.frames for x in entries[:k]) for k in range(len(entries))]
    assert all((e.source_in, e.source_out, e.frames) == (0, e.take.frames, e.take.frames) for e in entries)
    assert cues and all(cues[k].end_frame <= cues[k + 1].start_frame for k in range(len(cues) - 1))
    for e in entries:  # each line inside its own shot
        mine = [c for c in cues if e.start <= c.start_frame < e.start + e.frames]
        assert len(mine) == len(e.dialogue) == len([d for d in e.shot.dialogue if d.text.strip()])
        assert all(c.end_frame <= e.start + e.frames for c in mine)


def test_edited_cut_with_trim_speed_and_dissolve(tmp_path: Path, film_root: Path) -> None:
    import shutil

    root = tmp_path / "film"
    shutil.copytree(film_root, root)
    with open_film(root) as film:
        before, cues_before = assemble(film)
        clips = materialise(film)
        talk = next(k for k, e in enumerate(before) if e.dialogue)
        first_cue = next(c for c in cues_before if before[talk].start <= c.start_frame)
        # Trim the talking clip's head up to its first line, and play the next clip in at double speed with a dissolve.
        head = first_cue.start_frame - before[talk].start
        trim_clip(film, clips[talk].id, head, before[talk].take.frames)
        nxt = (talk + 1) % len(clips)
        fx = ClipEffects(speed=2.0, transition_in=Transition.DISSOLVE, transition_frames=4)
        set_effects(film, clips[nxt].id, fx)
        entries, cues = assemble(film)
        result = render_rough_cut(film)
    assert entries[talk].source_in == head and entries[talk].frames == before[talk].frames - head
    assert entries[nxt].frames == fx.record_frames(before[nxt].take.frames)
    if nxt:  # dissolve: the clip starts 4 frames before the previous one ends (the first clip fades in instead)
        assert entries[nxt].start == entries[nxt - 1].start + entries[nxt - 1].frames - 4
    total = entries[-1].start + entries[-1].frames
    assert result.frames == total == probe(result.video).frames
    # the line that started `head` frames into the take now starts with the trimmed clip
    moved = next(c for c in cues if c.text == first_cue.text)
    assert moved.start_frame == entries[talk].start


def test_delivery_with_music_passes_its_checks(tmp_path: Path, film_root: Path) -> None:
    import shutil

    root = tmp_path / "film"
    shutil.copytree(film_root, root)
    (root / "music").mkdir()
    _sine_wav(root / "music" / "bed.wav")
    with open(root / "film.toml", "a", encoding="utf-8") as f:
        f.write('\n[sound]\ntarget_lufs = -16\n\n[[sound.music]]\nfile = "music/bed.wav"\n')
    with open_film(root) as film:
        seen: list[tuple[int, int]] = []
        result = render_delivery(film, "youtube", progress=lambda d, t: seen.append((d, t)))
    assert result.video == root / "renders" / "youtube.mp4" and result.srt.is_file()
    assert result.report == root / "renders" / "youtube.report.json"
    rules = {r.rule: r for r in result.rules}
    assert result.passed, [r for r in result.rules if not r.passed]
    assert {"integrated loudness", "true peak"} <= set(rules)  # there is a soundtrack, so it is measured
    assert rules["frame size"].actual == "1920x1080" and rules["frame count"].actual == str(result.frames)
    assert seen[-1] == (result.frames, result.frames)
    doc = json.loads(result.report.read_text(encoding="utf-8"))
    assert doc["passed"] is True and doc["profile"] == "youtube"
    with av.open(str(result.video)) as c:
        assert c.streams.audio[0].codec_context.sample_rate == 48000


def test_cli_render_profile_and_pad(tmp_path: Path, film_root: Path) -> None:
    import shutil

    root = tmp_path / "film"
    shutil.copytree(film_root, root)
    with open_film(root) as film:  # keep the render short: the first two clips, trimmed
        clips = materialise(film)
        for c in clips:
            trim_clip(film, c.id, 0, min(c.source_out, 6))
    proc = run("render", "--profile", "xiaohongshu", "--fit", "pad", "--out", "renders/xhs.mp4", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "frame size" in proc.stdout and "1080x1440" in proc.stdout and "FAIL" not in proc.stdout
    assert (root / "renders" / "xhs.mp4").is_file() and (root / "renders" / "xhs.report.json").is_file()
    info = probe(root / "renders" / "xhs.mp4")
    assert (info.width, info.height) == (1080, 1440)

    bad = run("render", "--profile", "tiktok", cwd=root)
    assert bad.returncode != 0 and "douyin" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_failed_check_exits_1_and_keeps_the_file(tmp_path: Path, film_root: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import storyreel.services.cut as cut_service
    from storyreel.cli.app import _state, app

    root = tmp_path / "film"
    shutil.copytree(film_root, root)
    with open_film(root) as film:
        clips = materialise(film)
        for c in clips:
            trim_clip(film, c.id, 0, min(c.source_out, 4))
    real = cut_service.check_delivery

    def failing(path, expect, **kw):
        return [*real(path, expect, **kw), CheckRule("frame count", "999", "4", False)]

    monkeypatch.setattr(cut_service, "check_delivery", failing)
    monkeypatch.setitem(_state, "film", root)
    result = CliRunner().invoke(app, ["-C", str(root), "render", "-p", "bilibili"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "kept" in result.output
    assert (root / "renders" / "bilibili.mp4").is_file()
    assert json.loads((root / "renders" / "bilibili.report.json").read_text("utf-8"))["passed"] is False


def test_set_focus(tmp_path: Path, film_root: Path) -> None:
    import shutil

    root = tmp_path / "film"
    shutil.copytree(film_root, root)
    with open_film(root) as film:
        code = assemble(film)[0][0].shot.code
        set_focus(film, code, (0.2, 0.4))
        assert assemble(film)[0][0].focus == (0.2, 0.4)
        set_focus(film, code, None)
        assert assemble(film)[0][0].focus is None
        with pytest.raises(ShotNotFound, match=code):
            set_focus(film, "99Z", (0.5, 0.5))
