"""Delivery profiles: the size, shape and subtitle safe area of each platform a film goes out to.

A profile is a *canvas* (the file's frame size) holding a *picture* (where the film's image goes). They are the
same except for cinema scope, which letterboxes a 2.39:1 picture inside a 16:9 frame, so players that ignore
the stream's aspect still show it right. The frame rate is not part of a profile: deliveries keep the film's own
(re-timing generated motion would judder), and every platform here accepts 24/25/30.

The safe area is where subtitles may go without being covered by the platform's own interface. Vertical feeds
(Douyin, Kuaishou) lay the caption, music ticker and account name over roughly the lower fifth, and a column of
like/comment/share buttons down the right edge; Xiaohongshu's 3:4 feed covers less; landscape players (Bilibili,
YouTube) only draw a progress bar at the bottom. Figures are fractions of the canvas, measured on the apps'
2024 layouts and rounded up: a line placed inside them stays readable on every phone size we tried.

Encoding is the same for every profile (what all of these platforms ingest without re-encoding trouble): H.264
High, yuv420p, BT.709 tags, AAC-LC 48 kHz stereo, ``+faststart`` so playback starts before the download ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import pysubs2

from storyreel.errors import StoryreelError
from storyreel.media.fonts import Font
from storyreel.media.subtitles import STYLE_NAME, Cue, Measure, ass_text, cue_text
from storyreel.media.textlayout import wrap_balanced

AUDIO_RATE = 48000
AUDIO_CHANNELS = 2
VIDEO_PROFILE = "High"
PIX_FMT = "yuv420p"
COLOUR = "bt709"


@dataclass(frozen=True)
class SafeArea:
    """Margins kept free of subtitles, as fractions of the canvas width (left/right) and height (top/bottom)."""

    bottom: float
    left: float
    right: float
    top: float = 0.05

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle in pixels: (left, top, right, bottom) edges, right/bottom exclusive."""
        return (round(width * self.left), round(height * self.top),
                width - round(width * self.right), height - round(height * self.bottom))


@dataclass(frozen=True)
class DeliveryProfile:
    name: str
    title: str  # for tables and reports
    width: int  # canvas
    height: int
    picture_width: int  # the film's image inside the canvas (centred; the rest is black)
    picture_height: int
    safe: SafeArea

    @property
    def aspect(self) -> Fraction:
        """Shape of the picture (what reframing crops or pads to)."""
        return Fraction(self.picture_width, self.picture_height)

    @property
    def letterboxed(self) -> bool:
        return (self.picture_width, self.picture_height) != (self.width, self.height)

    @property
    def picture_offset(self) -> tuple[int, int]:
        return (self.width - self.picture_width) // 2, (self.height - self.picture_height) // 2


def _full(name: str, title: str, width: int, height: int, safe: SafeArea) -> DeliveryProfile:
    return DeliveryProfile(name, title, width, height, width, height, safe)


_VERTICAL_FEED = SafeArea(bottom=0.20, left=0.06, right=0.14, top=0.10)

PROFILES: dict[str, DeliveryProfile] = {
    p.name: p
    for p in (
        _full("douyin", "Douyin 抖音 9:16", 1080, 1920, _VERTICAL_FEED),
        _full("kuaishou", "Kuaishou 快手 9:16", 1080, 1920, _VERTICAL_FEED),
        _full("bilibili", "Bilibili 哔哩哔哩 16:9", 1920, 1080, SafeArea(bottom=0.08, left=0.05, right=0.05)),
        _full("youtube", "YouTube 16:9", 1920, 1080, SafeArea(bottom=0.08, left=0.05, right=0.05)),
        _full("xiaohongshu", "Xiaohongshu 小红书 3:4", 1080, 1440,
              SafeArea(bottom=0.12, left=0.06, right=0.06, top=0.08)),
        # 1920/2.39 = 803.3 → 804 (even, for 4:2:0). Subtitles sit low, mostly in the bottom bar, as in cinemas.
        DeliveryProfile("scope", "Cinema scope 2.39:1 (letterboxed 16:9)", 1920, 1080, 1920, 804,
                        SafeArea(bottom=0.035, left=0.08, right=0.08)),
    )
}

# The profile picked when film.toml names none: the first one whose picture has the film's aspect.
_BY_ASPECT = {"9:16": "douyin", "16:9": "bilibili", "3:4": "xiaohongshu", "2.39:1": "scope"}


def find_profile(name: str) -> DeliveryProfile:
    """The profile called ``name`` (case-insensitive). An unknown name lists the ones that exist."""
    key = name.strip().lower()
    if key in PROFILES:
        return PROFILES[key]
    known = ", ".join(PROFILES)
    raise StoryreelError(
        f"No delivery profile '{name}'. Profiles: {known}.",
        zh=f"没有名为 '{name}' 的交付规格。可用：{known}。",
        profile=name,
    )


def profile_for_aspect(aspect: str) -> DeliveryProfile:
    """The default delivery for a film shot at ``aspect`` ("16:9", "9:16", "3:4", "2.39:1")."""
    return PROFILES[_BY_ASPECT.get(str(aspect), "bilibili")]


def film_canvas(width: int, height: int, *, name: str = "film") -> DeliveryProfile:
    """The film's own profile as a canvas (the rough cut): no reframing, subtitles where the rough cut puts them."""
    return _full(name, f"Film profile {width}x{height}", width, height,
                 SafeArea(bottom=1 / 24, left=1 / 16, right=1 / 16))


# --- subtitles inside the safe area -------------------------------------------------------------------------

@dataclass(frozen=True)
class SubtitleLayout:
    """Where and how big burned subtitles are on a canvas, in ASS script pixels (= canvas pixels)."""

    fontsize: int
    outline: float
    shadow: float
    margin_l: int
    margin_r: int
    margin_v: int  # from the bottom edge of the canvas to the bottom of the last line

    @classmethod
    def for_profile(cls, profile: DeliveryProfile) -> SubtitleLayout:
        # Sized on the short side: a 9:16 phone frame held upright shows text at the same size as 16:9 held
        # sideways, so the same line is as readable on both.
        short = min(profile.width, profile.height)
        left, _, right, bottom = profile.safe.box(profile.width, profile.height)
        return cls(
            fontsize=max(8, round(short / 18)),
            outline=round(max(1.0, short / 270), 2),
            shadow=round(max(0.5, short / 540), 2),
            margin_l=left,
            margin_r=profile.width - right,
            margin_v=profile.height - bottom,
        )


def subtitles_ass(cues: Iterable[Cue], fps: int | Fraction, profile: DeliveryProfile, font: Font) -> str:
    """An ASS script burning ``cues`` inside ``profile``'s safe area.

    Built on ``media.subtitles.ass_text`` (timing, font, colours, no libass re-wrap), with this profile's sizes
    and margins, and every line wrapped again for the narrower box (libass would otherwise let a line run past
    the margins, under the buttons of a vertical feed).
    """
    ordered = sorted(cues, key=lambda c: (c.start_frame, c.end_frame))  # ass_text's event order
    subs = pysubs2.SSAFile.from_string(ass_text(ordered, fps, width=profile.width, height=profile.height,
                                                font=font))
    lay = SubtitleLayout.for_profile(profile)
    style = subs.styles[STYLE_NAME]
    style.fontsize = lay.fontsize
    style.outline = lay.outline
    style.shadow = lay.shadow
    style.marginl, style.marginr, style.marginv = lay.margin_l, lay.margin_r, lay.margin_v
    measure = Measure(font, lay.fontsize)
    max_width = (profile.width - lay.margin_l - lay.margin_r - 2 * lay.outline) * 0.97
    for event, cue in zip(subs.events, ordered, strict=True):
        lines: list[str] = []
        for paragraph in cue_text(cue).splitlines():
            lines.extend(wrap_balanced(paragraph, measure, max_width, hang=True))
        event.plaintext = "\n".join(lines)
    return subs.to_string("ass")
