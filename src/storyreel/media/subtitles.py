"""Subtitles from dialogue: SRT for players and editors, ASS styled for burning into the picture.

Timing rule (both formats). storyreel counts in frames; frame ``f`` is presented at ``f / fps`` seconds. A cue
covers frames ``[start_frame, end_frame)`` and is written as

    start = floor(start_frame / fps) and end = floor(end_frame / fps), in the format's unit
    (milliseconds for SRT, centiseconds for ASS).

Flooring, not rounding to nearest, is what keeps the cue on exactly its frames: each boundary lands at or before
its frame's presentation time (so the first frame shows the cue and the end frame does not) and after the
previous frame's time (so nothing earlier shows it), for any rate below 1000 fps (SRT) or 100 fps (ASS). Rounding
to nearest would put 24 fps frame 1 (41.67 ms) at 42 ms, and a player showing ``start <= t`` would skip it.
Examples at 24 fps: frame 1 → 00:00:00,041; frame 24 → 00:00:01,000; frame 37 → 00:00:01,541.

Speakers are shown in front of the line: ``林晓：你好`` (full-width colon, no space) when the line is Chinese,
``MAYA: Hello`` otherwise; names are upper-cased, as in a screenplay.

libass breaks lines only at spaces, so Chinese would run off the screen. ``write_ass`` therefore wraps every
line itself (``media.textlayout``: balanced lines, Chinese line-start/line-end rules), measuring with the same
font file at the size libass will use, and tells libass not to re-wrap. Files are written atomically
(``media.files``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pysubs2
from PIL import ImageFont

from storyreel.errors import MediaError
from storyreel.media.files import atomic_write_text
from storyreel.media.fonts import Font
from storyreel.media.textlayout import has_cjk, wrap_balanced

STYLE_NAME = "Default"


@dataclass(frozen=True)
class Cue:
    start_frame: int  # first frame showing the line
    end_frame: int  # first frame no longer showing it (exclusive)
    text: str
    speaker: str | None = None

    def __post_init__(self) -> None:
        if self.start_frame < 0 or self.end_frame <= self.start_frame:
            raise ValueError(f"cue frames must satisfy 0 <= start < end, got [{self.start_frame}, {self.end_frame})")


# --- timing -------------------------------------------------------------------------------------------------

def frame_to_ms(frame: int, fps: int | Fraction) -> int:
    """Millisecond timestamp of ``frame`` for SRT (floored; see the module docstring)."""
    return math.floor(Fraction(frame) * 1000 / Fraction(fps))


def frame_to_ass_ms(frame: int, fps: int | Fraction) -> int:
    """Timestamp of ``frame`` for ASS, in ms but on ASS's centisecond grid (floored to a whole centisecond)."""
    return math.floor(Fraction(frame) * 100 / Fraction(fps)) * 10


# --- text ---------------------------------------------------------------------------------------------------

def cue_text(cue: Cue) -> str:
    """The line as shown, with the speaker in front when there is one."""
    text = cue.text.strip()
    if not cue.speaker:
        return text
    name = cue.speaker.strip().upper()
    return f"{name}：{text}" if has_cjk(text) else f"{name}: {text}"


class Measure:
    """Width in ASS script pixels of text rendered by libass at ``fontsize`` with ``font``.

    libass sizes a font so that its ascent + descent (not its em) equals the ASS font size, so we scale Pillow's
    em-based measurement by ``fontsize / (ascent + descent)``.
    """

    REF_SIZE = 100

    def __init__(self, font: Font, fontsize: float) -> None:
        self._font = _load_font(str(font.path), font.index, self.REF_SIZE)
        ascent, descent = self._font.getmetrics()
        self._scale = fontsize / (ascent + descent)

    def __call__(self, text: str) -> float:
        return self._font.getlength(text) * self._scale


def ass_font_family(font: Font) -> str:
    """The family name to put in the ASS style: the one inside the font file, which is what libass matches.

    ``Font.family`` can be a guess (``STORYREEL_FONT`` gives only a path, so it is the file's stem); a name libass
    cannot match silently falls back to whatever fontconfig offers, or to nothing on a bare server.
    """
    family = _load_font(str(font.path), font.index, Measure.REF_SIZE).getname()[0]
    return family or font.family


@lru_cache(maxsize=8)
def _load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(path, size=size, index=index)
    except OSError as exc:  # not an OSError for the caller: the *font* is the problem, not the output folder
        raise MediaError(
            f"Cannot use the font {path} (face {index}): {exc}. Set STORYREEL_FONT to a .ttf/.otf/.ttc file.",
            zh=f"无法使用字体 {path}（第 {index} 个字形）：{exc}。请将 STORYREEL_FONT 设为 .ttf/.otf/.ttc 文件。",
        ) from None


def _sorted(cues: Iterable[Cue]) -> list[Cue]:
    return sorted(cues, key=lambda c: (c.start_frame, c.end_frame))


def srt_text(cues: Iterable[Cue], fps: int | Fraction) -> str:
    subs = pysubs2.SSAFile()
    for cue in _sorted(cues):
        event = pysubs2.SSAEvent(start=frame_to_ms(cue.start_frame, fps), end=frame_to_ms(cue.end_frame, fps))
        event.plaintext = cue_text(cue)
        subs.events.append(event)
    # keep_ssa_tags: the text is plain; stop pysubs2 from reading "{...}" in dialogue as style overrides.
    return subs.to_string("srt", keep_ssa_tags=True)


def write_srt(cues: Iterable[Cue], path: Path, fps: int | Fraction) -> Path:
    """Write ``cues`` as SubRip to ``path`` (UTF-8, atomically). Timing rules: see the module docstring."""
    return atomic_write_text(path, srt_text(cues, fps))


@dataclass(frozen=True)
class BurnStyle:
    """Sizes in script pixels (PlayRes = the video size), derived from the frame height so any size looks alike."""

    fontsize: int
    outline: float
    shadow: float
    margin_v: int
    margin_lr: int

    @classmethod
    def for_frame(cls, width: int, height: int) -> "BurnStyle":
        return cls(
            fontsize=max(8, round(height / 18)),  # 40 px at 720p: readable on a phone, not shouting on a TV
            outline=round(max(1.0, height / 270), 2),
            shadow=round(max(0.5, height / 540), 2),
            margin_v=round(height / 24),  # lifts the text off the bottom edge (TV-safe-ish)
            margin_lr=round(width / 16),
        )


def ass_text(cues: Iterable[Cue], fps: int | Fraction, *, width: int, height: int, font: Font) -> str:
    style = BurnStyle.for_frame(width, height)
    subs = pysubs2.SSAFile()
    subs.info.update({
        "Title": "storyreel",
        "PlayResX": str(width),
        "PlayResY": str(height),
        "WrapStyle": "2",  # no automatic wrapping: we break lines ourselves (libass cannot break CJK)
        "ScaledBorderAndShadow": "yes",
        "YCbCr Matrix": "TV.709",  # the cut is BT.709; keeps colours from shifting when blended
    })
    subs.styles[STYLE_NAME] = pysubs2.SSAStyle(
        fontname=ass_font_family(font),
        fontsize=style.fontsize,
        primarycolor=pysubs2.Color(255, 255, 255, 0),
        secondarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(16, 16, 16, 0),
        backcolor=pysubs2.Color(0, 0, 0, 128),  # the shadow: half-transparent black
        bold=False,
        borderstyle=1,  # outline + drop shadow, no opaque box
        outline=style.outline,
        shadow=style.shadow,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=style.margin_lr,
        marginr=style.margin_lr,
        marginv=style.margin_v,
        encoding=1,
    )
    measure = Measure(font, style.fontsize)
    # A little slack: Pillow's and libass's hinting differ by a pixel here and there.
    max_width = (width - 2 * style.margin_lr - 2 * style.outline) * 0.97
    for cue in _sorted(cues):
        lines: list[str] = []
        for paragraph in cue_text(cue).splitlines():
            # hang: a closing mark may stand in the margin rather than take a line of its own
            lines.extend(wrap_balanced(paragraph, measure, max_width, hang=True))
        event = pysubs2.SSAEvent(
            start=frame_to_ass_ms(cue.start_frame, fps),
            end=frame_to_ass_ms(cue.end_frame, fps),
            style=STYLE_NAME,
        )
        event.plaintext = "\n".join(lines)
        subs.events.append(event)
    return subs.to_string("ass")


def write_ass(
    cues: Sequence[Cue] | Iterable[Cue],
    path: Path,
    fps: int | Fraction,
    *,
    width: int,
    height: int,
    font: Font,
) -> Path:
    """Write ``cues`` as an ASS script styled for burn-in at ``width``×``height`` (UTF-8, atomically)."""
    return atomic_write_text(path, ass_text(cues, fps, width=width, height=height, font=font))
