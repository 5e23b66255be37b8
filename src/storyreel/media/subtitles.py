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
line itself, measuring with the same font file at the size libass will use, and tells libass not to re-wrap.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pysubs2
from PIL import ImageFont

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import oserror_to_media_error
from storyreel.media.fonts import Font

STYLE_NAME = "Default"

# Full-width punctuation that must not begin a line (it hangs at the end of the previous one instead).
_NO_LINE_START = set("，。、；：！？）》」』】〕〉”’…·,.;:!?)]}%")
# Punctuation that must not end a line (it moves to the next one with the word it opens).
_NO_LINE_END = set("（《「『【〔〈“‘([{")


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

def is_cjk_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF  # radicals, CJK punctuation, kana, CJK unified ideographs (+ext A)
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms (，！？ etc.)
        or 0x20000 <= cp <= 0x3FFFF  # ideograph extensions B and later
    )


def is_cjk_text(text: str) -> bool:
    return any(is_cjk_char(ch) for ch in text)


def cue_text(cue: Cue) -> str:
    """The line as shown, with the speaker in front when there is one."""
    text = cue.text.strip()
    if not cue.speaker:
        return text
    name = cue.speaker.strip().upper()
    return f"{name}：{text}" if is_cjk_text(text) else f"{name}: {text}"


def _units(paragraph: str) -> list[str]:
    """Split into the pieces a line may break between: each CJK character, each Latin word with its spaces."""
    units: list[str] = []
    word = ""
    for ch in paragraph:
        if is_cjk_char(ch):
            if word:
                units.append(word)
                word = ""
            units.append(ch)
        elif ch == " ":
            word += ch
            units.append(word)
            word = ""
        else:
            word += ch
    if word:
        units.append(word)
    return units


def wrap_line(paragraph: str, measure: "Measure", max_width: float) -> list[str]:
    """Greedy wrap of one paragraph into lines no wider than ``max_width`` (as measured by ``measure``).

    Line-start/line-end punctuation rules (kinsoku) apply: a closing mark hangs on the previous line, an
    opening mark moves down with what follows it.
    """
    lines: list[list[str]] = [[]]
    for unit in _units(paragraph):
        current = lines[-1]
        fits = measure(("".join(current) + unit).rstrip()) <= max_width
        hangs = unit.strip() in _NO_LINE_START  # "" for a bare space, which is never in the set
        if not current or fits or hangs:
            current.append(unit)
            continue
        carried: list[str] = []
        while len(current) > 1 and current[-1].strip() and current[-1].strip()[-1] in _NO_LINE_END:
            carried.insert(0, current.pop())
        lines.append([*carried, unit])
    return [text for text in ("".join(line).strip() for line in lines) if text]


def wrap_balanced(paragraph: str, measure: "Measure", max_width: float) -> list[str]:
    """Wrap into as few lines as ``wrap_line`` needs, but with lines of similar length.

    Subtitle style prefers two half-lines to one full line over a short orphan: we search for the narrowest
    width that still needs no more lines than the greedy wrap at full width.
    """
    lines = wrap_line(paragraph, measure, max_width)
    if len(lines) < 2:
        return lines
    low, high = max_width / len(lines), max_width
    best = lines
    for _ in range(12):  # about 0.02% of the width: far below a pixel
        mid = (low + high) / 2
        candidate = wrap_line(paragraph, measure, mid)
        if len(candidate) <= len(lines):
            best, high = candidate, mid
        else:
            low = mid
    return best


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


# --- files --------------------------------------------------------------------------------------------------

def _atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and ``os.replace``, so readers never see half a file."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); a subtitle file should get the permissions any new file gets.
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise oserror_to_media_error(exc, path) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _new_file_mode(path: Path) -> int:
    """Mode for a file replacing ``path``: the old file's, else 0666 minus the process umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    umask = 0o022
    try:  # Linux tells the umask without changing it (os.umask can only be read by setting it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                umask = int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o666 & ~umask


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
    path = Path(path)
    _atomic_write_text(path, srt_text(cues, fps))
    return path


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
            lines.extend(wrap_balanced(paragraph, measure, max_width))
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
    path = Path(path)
    _atomic_write_text(path, ass_text(cues, fps, width=width, height=height, font=font))
    return path
