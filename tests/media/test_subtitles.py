"""SRT/ASS writing: frame-exact timing, speaker labels, burn-in style, CJK wrapping, atomic writes."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pysubs2
import pytest

from storyreel.errors import MediaError, OutputNotWritable
from storyreel.media.fonts import Font
from storyreel.media.subtitles import (
    BurnStyle,
    Cue,
    Measure,
    cue_text,
    frame_to_ass_ms,
    frame_to_ms,
    write_ass,
    write_srt,
)

RATES = [24, 25, 30, 50, 60, Fraction(24000, 1001), Fraction(30000, 1001)]


def test_srt_times_known_values() -> None:
    assert frame_to_ms(0, 24) == 0
    assert frame_to_ms(1, 24) == 41  # 41.67 ms: floored, never after the frame
    assert frame_to_ms(24, 24) == 1000
    assert frame_to_ms(37, 24) == 1541
    assert frame_to_ms(1, 25) == 40
    assert frame_to_ms(1, Fraction(30000, 1001)) == 33
    assert frame_to_ms(30, Fraction(30000, 1001)) == 1001
    assert frame_to_ms(24 * 3600, 24) == 3_600_000


@pytest.mark.parametrize("fps", RATES)
def test_srt_boundary_falls_between_the_previous_frame_and_its_own(fps: int | Fraction) -> None:
    for frame in range(1, 3000):
        t_ms = Fraction(frame) * 1000 / Fraction(fps)
        t_prev_ms = Fraction(frame - 1) * 1000 / Fraction(fps)
        assert t_prev_ms < frame_to_ms(frame, fps) <= t_ms


@pytest.mark.parametrize("fps", RATES)
def test_ass_boundary_on_the_centisecond_grid(fps: int | Fraction) -> None:
    for frame in range(1, 3000):
        ms = frame_to_ass_ms(frame, fps)
        assert ms % 10 == 0
        assert Fraction(frame - 1) * 1000 / Fraction(fps) < ms <= Fraction(frame) * 1000 / Fraction(fps)


def test_speaker_labels() -> None:
    assert cue_text(Cue(0, 1, "你好。", "林晓")) == "林晓：你好。"
    assert cue_text(Cue(0, 1, "Hello.", "Maya")) == "MAYA: Hello."
    assert cue_text(Cue(0, 1, "  Just text ", None)) == "Just text"


def test_invalid_cue() -> None:
    with pytest.raises(ValueError):
        Cue(10, 10, "x")
    with pytest.raises(ValueError):
        Cue(-1, 3, "x")


def test_write_srt(tmp_path: Path) -> None:
    path = write_srt(
        [Cue(48, 60, "Run!", "Maya"), Cue(1, 37, "你好，{世界}", "林晓"), Cue(60, 72, "two\nlines")],
        tmp_path / "film.srt",
        24,
    )
    assert path.read_text(encoding="utf-8") == (
        "1\n00:00:00,041 --> 00:00:01,541\n林晓：你好，{世界}\n\n"
        "2\n00:00:02,000 --> 00:00:02,500\nMAYA: Run!\n\n"
        "3\n00:00:02,500 --> 00:00:03,000\ntwo\nlines\n\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["film.srt"]  # no temp file left
    assert path.stat().st_mode & 0o077, "a subtitle file should not be private like a temp file"


def test_write_srt_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "film.srt"
    path.write_text("old", encoding="utf-8")
    write_srt([Cue(0, 24, "new")], path, 24)
    assert "new" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.srt"]


def test_write_srt_into_a_file_is_output_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputNotWritable):
        write_srt([Cue(0, 1, "x")], blocker / "film.srt", 24)


def test_write_srt_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user (root) who can write to a read-only folder")
        with pytest.raises(OutputNotWritable):
            write_srt([Cue(0, 1, "x")], folder / "film.srt", 24)
    finally:
        folder.chmod(0o755)


def test_ass_style_for_burn_in(tmp_path: Path, font: Font) -> None:
    path = write_ass([Cue(24, 48, "你好", "林晓")], tmp_path / "s.ass", 24, width=1280, height=720, font=font)
    subs = pysubs2.load(str(path))
    style = subs.styles["Default"]
    assert style.fontname == font.family
    assert style.fontsize == 40  # height / 18
    assert style.primarycolor == pysubs2.Color(255, 255, 255, 0)
    assert style.outline > 0 and style.shadow > 0 and style.borderstyle == 1
    assert style.alignment == pysubs2.Alignment.BOTTOM_CENTER and style.marginv > 0
    assert subs.info["PlayResX"] == "1280" and subs.info["PlayResY"] == "720"
    assert subs.info["WrapStyle"] == "2"
    event = subs.events[0]
    assert (event.start, event.end) == (1000, 2000)
    assert event.plaintext == "林晓：你好"


def test_ass_style_uses_the_family_inside_the_file(tmp_path: Path, font: Font) -> None:
    # STORYREEL_FONT yields Font(path, <file stem>, 0); libass matches the name stored in the file, not the stem.
    guessed = Font(font.path, "some-file-stem", font.index)
    path = write_ass([Cue(0, 24, "你好")], tmp_path / "s.ass", 24, width=320, height=180, font=guessed)
    assert pysubs2.load(str(path)).styles["Default"].fontname == font.family


def test_unusable_font_is_a_media_error(tmp_path: Path) -> None:
    bogus = tmp_path / "font.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(MediaError, match="Cannot use the font"):
        write_ass([Cue(0, 24, "你好")], tmp_path / "s.ass", 24, width=320, height=180, font=Font(bogus, "X"))
    assert not (tmp_path / "s.ass").exists()


def test_ass_wraps_chinese_within_the_frame(tmp_path: Path, font: Font) -> None:
    text = "这是一句很长很长的中文台词，它没有任何空格，所以字幕渲染器自己不会换行，我们必须在写文件之前把它折成几行才行。"
    width, height = 640, 360
    path = write_ass([Cue(0, 24, text, "林晓")], tmp_path / "s.ass", 24, width=width, height=height, font=font)
    lines = pysubs2.load(str(path)).events[0].plaintext.split("\n")
    assert len(lines) >= 2
    assert "".join(lines) == "林晓：" + text  # nothing lost or added
    style = BurnStyle.for_frame(width, height)
    measure = Measure(font, style.fontsize)
    for line in lines:
        assert measure(line) <= width - 2 * style.margin_lr
        assert line[0] not in "，。！？、"  # closing punctuation never starts a line
    # balanced: no short orphan line
    widths = [measure(line) for line in lines]
    assert min(widths) > 0.5 * max(widths)


def test_ass_wraps_english_at_spaces(tmp_path: Path, font: Font) -> None:
    text = ("This is a rather long line of dialogue that cannot possibly fit on one line at this small size, "
            "so it wraps.")
    path = write_ass([Cue(0, 24, text)], tmp_path / "s.ass", 24, width=320, height=180, font=font)
    lines = pysubs2.load(str(path)).events[0].plaintext.split("\n")
    assert len(lines) >= 2
    assert " ".join(lines) == text  # broken only where there were spaces


def test_ass_times_follow_frames(tmp_path: Path, font: Font) -> None:
    path = write_ass([Cue(1, 3, "x")], tmp_path / "s.ass", 24, width=320, height=180, font=font)
    raw = path.read_text(encoding="utf-8")
    assert "0:00:00.04,0:00:00.12" in raw  # 41.7 ms → 4 cs; 125 ms → 12 cs
