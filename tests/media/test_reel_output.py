"""The one-pass render's output contract: frame-exact joins, the output profile, burned CJK subtitles only during
their cue, fonts from fontsdir, awkward paths, and a previous render never lost (bad clips, read-only folders and
mounts, a full disk). Effects, reframing and deliveries are tested in test_effects.py and test_delivery.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.errors import MediaError, OutputNotWritable
from storyreel.media.delivery import DeliveryProfile, SafeArea, subtitles_ass
from storyreel.media.effects import ReelClip
from storyreel.media.ffmpeg import concat_quote, escape_filter_path, ffmpeg_exe
from storyreel.media.fonts import Font
from storyreel.media.probe import probe
from storyreel.media.reel import render_reel
from storyreel.media.subtitles import Cue

W, H, FPS = 320, 180, 24
# Distinct, saturated colours that survive yuv420p and x264 comfortably.
COLOURS = {"red": (200, 40, 40), "green": (40, 200, 40), "blue": (40, 40, 200)}
LENGTHS = {"red": 13, "green": 24, "blue": 7}
CUE = Cue(5, 20, "你好，世界！我们走吧。", "林晓")  # spans the red→green join
CANVAS = DeliveryProfile("test", "test", W, H, W, H, SafeArea(bottom=0.05, left=0.05, right=0.05))


def render_cut(clips: list[ReelClip], cues: list[Cue], *, out: Path, font: Font, **kwargs) -> Path:
    """The clips joined by cuts, with ``cues`` burned in, at the clips' own size."""
    ass = subtitles_ass(cues, FPS, CANVAS, font) if cues else None
    render_reel(clips, out=out, canvas=CANVAS, fps=FPS, ass=ass, font=font, **kwargs)
    return out


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


def _solid_clip(path: Path, rgb: tuple[int, int, int], frames: int, *, audio: bool = False,
                size: tuple[int, int] = (W, H)) -> Path:
    colour = "0x%02x%02x%02x" % rgb
    args = ["-f", "lavfi", "-i", f"color=c={colour}:s={size[0]}x{size[1]}:r={FPS}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=330", "-shortest", "-c:a", "aac"]
    # libx264's defaults (B-frames, edit list in MP4) on purpose: the cut must cope with them.
    _ffmpeg(*args, "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def _clips(folder: Path, *, audio: bool = False) -> list[ReelClip]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        ReelClip(_solid_clip(folder / f"{name}.mp4", COLOURS[name], LENGTHS[name], audio=audio), 0, LENGTHS[name])
        for name in ("red", "green", "blue")
    ]


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


def _nearest_colour(frame: np.ndarray) -> str:
    top = frame[: H // 2].reshape(-1, 3).mean(axis=0)  # the top half never has subtitles
    return min(COLOURS, key=lambda name: float(np.abs(top - COLOURS[name]).sum()))


def _expected_colours() -> list[str]:
    return [name for name in ("red", "green", "blue") for _ in range(LENGTHS[name])]


def _ink(frame: np.ndarray, colour: str) -> int:
    """Pixels in the bottom quarter far from the clip's colour: subtitle glyphs and their outline."""
    bottom = frame[3 * H // 4:]
    return int((np.abs(bottom - COLOURS[colour]).sum(axis=2) > 150).sum())


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[ReelClip]:
    return _clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="module")
def plain_cut(tmp_path_factory: pytest.TempPathFactory, clips: list[ReelClip], font: Font) -> Path:
    out = tmp_path_factory.mktemp("plain") / "cut.mp4"
    return render_cut(clips, [], out=out, font=font)


@pytest.fixture(scope="module")
def subtitled_cut(tmp_path_factory: pytest.TempPathFactory, clips: list[ReelClip], font: Font) -> Path:
    out = tmp_path_factory.mktemp("subs") / "cut.mp4"
    return render_cut(clips, [CUE], out=out, font=font)


def test_frame_count_and_clip_ranges_are_exact(plain_cut: Path) -> None:
    assert probe(plain_cut).frames == 44
    frames = _frames(plain_cut)
    assert len(frames) == 44
    assert [_nearest_colour(f) for f in frames] == _expected_colours()


def test_output_profile(plain_cut: Path) -> None:
    info = probe(plain_cut)
    assert (info.width, info.height, info.fps) == (W, H, FPS)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.color_primaries == "bt709" and info.colorspace == "bt709"
    assert not info.has_audio
    with av.open(str(plain_cut)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.profile == "High"
        # CFR: every frame exactly one frame-duration after the previous one
        pts = [p.pts for p in container.demux(stream) if p.pts is not None]
    steps = {b - a for a, b in zip(sorted(pts), sorted(pts)[1:])}
    assert len(steps) == 1
    # +faststart: the index (moov) comes before the media data (mdat)
    head = plain_cut.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_nothing_left_behind(plain_cut: Path) -> None:
    assert sorted(p.name for p in plain_cut.parent.iterdir()) == ["cut.mp4"]


def test_subtitles_burn_only_during_the_cue(subtitled_cut: Path, plain_cut: Path) -> None:
    with_subs, without = _frames(subtitled_cut), _frames(plain_cut)
    assert len(with_subs) == 44
    expected = _expected_colours()
    assert [_nearest_colour(f) for f in with_subs] == expected
    for n, (a, b) in enumerate(zip(with_subs, without)):
        ink = _ink(a, expected[n])
        if CUE.start_frame <= n < CUE.end_frame:
            assert ink > 200, f"frame {n}: no subtitle"
            assert _ink(b, expected[n]) == 0
            # the glyphs differ from the plain render only in the bottom part of the frame
            assert np.abs(a[: H // 2] - b[: H // 2]).max() < 40
        else:
            assert ink == 0, f"frame {n}: subtitle outside its cue"


def test_progress_reaches_the_total(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    seen: list[tuple[int, int]] = []
    out = tmp_path / "cut.mp4"
    render_cut(clips, [], out=out, font=font, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (44, 44)
    assert all(total == 44 for _, total in seen)


def test_awkward_path(tmp_path: Path, font: Font) -> None:
    """Spaces, an apostrophe, a colon, brackets, commas, a backslash and Chinese — in clips and output alike."""
    folder = tmp_path / "Maya's cut: 第一幕 [v2], take;1 \\ final"
    clips = _clips(folder / "片段 it's")
    out = folder / "粗剪 it's.mp4"
    render_cut(clips, [CUE], out=out, font=font)
    frames = _frames(out)
    assert len(frames) == 44
    assert _ink(frames[10], "red") > 200 and _ink(frames[30], "green") == 0


def test_replaces_a_previous_render(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    out = tmp_path / "cut.mp4"
    out.write_bytes(b"old render")
    render_cut(clips[:1], [], out=out, font=font)
    assert probe(out).frames == 13


def test_clip_range_past_the_end_fails_before_writing(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    out = tmp_path / "cut.mp4"
    out.write_bytes(b"old render")
    wrong = [clips[0], ReelClip(clips[1].path, 0, 25)]
    with pytest.raises(MediaError, match="has 24 frames; the cut uses frames up to 25") as err:
        render_cut(wrong, [], out=out, font=font)
    assert err.value.zh
    assert out.read_bytes() == b"old render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"]


def test_a_clip_of_another_size_is_reframed(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    odd = ReelClip(_solid_clip(tmp_path / "big.mp4", COLOURS["blue"], 5, size=(640, 360)), 0, 5)
    out = render_cut([clips[0], odd], [], out=tmp_path / "cut.mp4", font=font)
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, 18)
    assert [_nearest_colour(f) for f in _frames(out)] == ["red"] * 13 + ["blue"] * 5


def test_missing_clip(tmp_path: Path, font: Font) -> None:
    with pytest.raises(MediaError, match="Cannot read video"):
        render_cut([ReelClip(tmp_path / "gone.mp4", 0, 5)], [], out=tmp_path / "cut.mp4", font=font)


def test_sound_is_cut_or_padded_to_the_picture(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    """The takes' own sound is not used (the soundtrack is mixed apart); the track is exactly the picture's length
    whether the soundtrack is longer, shorter or absent (silence)."""
    long_wav, short_wav = tmp_path / "long.wav", tmp_path / "short.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=5", "-ac", "2", "-ar", "48000", str(long_wav))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=0.5", "-ac", "2", "-ar", "48000", str(short_wav))
    for name, kwargs in (("long", {"audio": long_wav}), ("short", {"audio": short_wav}),
                         ("silent", {"silent_audio": True})):
        out = render_cut(clips, [CUE], out=tmp_path / f"{name}.mp4", font=font, **kwargs)
        info = probe(out)
        assert info.has_audio and info.frames == 44, name
        with av.open(str(out)) as container:
            audio = container.streams.audio[0]
            seconds = float(audio.duration * audio.time_base)
            assert (audio.rate, audio.channels) == (48000, 2)
        assert seconds == pytest.approx(44 / FPS, abs=0.03), name
        assert [_nearest_colour(f) for f in _frames(out)] == _expected_colours(), name


def test_read_only_output_folder(tmp_path: Path, clips: list[ReelClip], font: Font) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "cut.mp4").write_bytes(b"old render")
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user (root) who can write to a read-only folder")
        with pytest.raises(OutputNotWritable, match="cut.mp4"):
            render_cut(clips, [], out=folder / "cut.mp4", font=font)
        assert (folder / "cut.mp4").read_bytes() == b"old render"
    finally:
        folder.chmod(0o755)


RENDER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from storyreel.errors import StoryreelError
    from storyreel.media.delivery import DeliveryProfile, SafeArea, subtitles_ass
    from storyreel.media.effects import ReelClip
    from storyreel.media.fonts import cjk_font
    from storyreel.media.reel import render_reel
    from storyreel.media.subtitles import Cue
    clip, frames, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    try:
        canvas = DeliveryProfile("t", "t", 320, 180, 320, 180, SafeArea(0.05, 0.05, 0.05))
        font = cjk_font()
        render_reel([ReelClip(clip, 0, frames)], out=out, canvas=canvas, fps=24, font=font,
                    ass=subtitles_ass([Cue(1, 5, "你好")], 24, canvas, font))
    except StoryreelError as exc:
        print(type(exc).__name__, "|", exc.message, "|", exc.context.get("reason"))
        sys.exit(7)
    print("rendered")
    """
)


def test_read_only_mount(tmp_path: Path, clips: list[ReelClip]) -> None:
    """Root ignores chmod, but not a read-only mount: bind-mount the folder read-only in a private namespace."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("needs root and unshare(1); test_read_only_output_folder covers other users")
    folder = tmp_path / "ro"
    folder.mkdir()
    previous = folder / "cut.mp4"
    previous.write_bytes(b"old render")
    shell = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 99; shift; exec "$@"'
    result = subprocess.run(
        [unshare, "-m", "sh", "-c", shell, "sh", str(folder),
         sys.executable, "-c", RENDER_SCRIPT, str(clips[0].path), str(clips[0].source_frames), str(previous)],
        capture_output=True, text=True, timeout=120,
    )
    if result.returncode == 99 or "unshare failed" in result.stderr or "Operation not permitted" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()[:200]}")
    assert result.returncode == 7, result.stdout + result.stderr
    assert result.stdout.startswith("OutputNotWritable |") and "read_only" in result.stdout, result.stdout
    assert previous.read_bytes() == b"old render"
    assert sorted(p.name for p in folder.iterdir()) == ["cut.mp4"]


FULL_DISK_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    # A tiny file-size limit stands in for a full disk: writes past it fail with EFBIG ("File too large").
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    from storyreel.errors import StoryreelError
    from storyreel.media.delivery import DeliveryProfile, SafeArea, subtitles_ass
    from storyreel.media.effects import ReelClip
    from storyreel.media.fonts import cjk_font
    from storyreel.media.reel import render_reel
    from storyreel.media.subtitles import Cue
    clip, frames, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    try:
        canvas = DeliveryProfile("t", "t", 640, 360, 640, 360, SafeArea(0.05, 0.05, 0.05))
        font = cjk_font()
        render_reel([ReelClip(clip, 0, frames)], out=out, canvas=canvas, fps=24, font=font,
                    ass=subtitles_ass([Cue(1, 20, "你好")], 24, canvas, font))
    except StoryreelError as exc:
        print(type(exc).__name__, "|", exc.message, "|", exc.zh)
        sys.exit(7)
    print("rendered")
    """
)


def test_full_disk_keeps_the_previous_render(tmp_path: Path) -> None:
    pytest.importorskip("resource")
    clip = tmp_path / "busy.mp4"  # noisy picture so the encode is far bigger than the limit
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=640x360:r={FPS}", "-frames:v", "48", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(clip))
    folder = tmp_path / "out"
    folder.mkdir()
    previous = folder / "cut.mp4"
    previous.write_bytes(b"previous render" * 10)
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_SCRIPT, str(clip), "48", str(previous)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 7, result.stdout + result.stderr
    assert result.stdout.startswith("OutputNotWritable |"), result.stdout
    assert str(previous) in result.stdout
    assert "Traceback" not in result.stderr
    assert previous.read_bytes() == b"previous render" * 10
    assert sorted(p.name for p in folder.iterdir()) == ["cut.mp4"]  # no temp file or folder left


def test_escape_filter_path() -> None:
    assert escape_filter_path("/a/b.ass") == "/a/b.ass"
    assert escape_filter_path("/x/it's: 片") == "/x/it\\\\\\'s\\\\: 片"
    assert escape_filter_path("/x/[a],b;c") == "/x/\\[a\\]\\,b\\;c"
    assert escape_filter_path("C:\\f") == "C\\\\:\\\\\\\\f"


def test_concat_quote() -> None:
    assert concat_quote(Path("/a b/it's.mp4")) == "'/a b/it'\\''s.mp4'"
    with pytest.raises(MediaError):
        concat_quote(Path("/a\nb.mp4"))


def test_no_clips(tmp_path: Path, font: Font) -> None:
    with pytest.raises(MediaError):
        render_cut([], [], out=tmp_path / "c.mp4", font=font)


def test_font_comes_from_fontsdir_not_fontconfig(tmp_path: Path, clips: list[ReelClip], font: Font,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # With an empty fontconfig setup libass finds no system font at all (it then draws nothing), so ink here
    # proves the burn-in loads the resolved font file itself through fontsdir.
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n', encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    out = tmp_path / "cut.mp4"
    # A family name that is only a guess (as STORYREEL_FONT gives) must still find the glyphs.
    guessed = Font(font.path, font.path.stem, font.index)
    render_cut(clips[:1], [Cue(2, 8, "中文字幕")], out=out, font=guessed)
    frames = _frames(out)
    assert _ink(frames[4], "red") > 100
    assert _ink(frames[9], "red") == 0
