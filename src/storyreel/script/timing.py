"""Shot duration from text length: how long a line takes to say, how long described action takes to play.

These are planning estimates for a first cut (the director retimes in the cut), so the constants aim for "about
right and predictable" rather than precision. Chinese and English are measured in their natural units: CJK
characters (one syllable each) and words.

The two languages are kept consistent through one ratio: a Chinese text runs about 1.6 characters per English word
of the same meaning, so 4.5 characters/s of speech ~= 2.8 words/s, and 10 characters/s of action ~= 6 words/s.
"""

from __future__ import annotations

import math
import re

# Spoken Mandarin in film dialogue runs about 4-5 syllables per second; one CJK character is one syllable.
ZH_READING_CHARS_PER_SECOND = 4.5
# English dialogue at a conversational 160 words per minute (audiobook narration is 150-160 wpm).
EN_READING_WORDS_PER_SECOND = 160 / 60  # ~2.67

# Actors take a breath before a line and let it land after it; a shot cut exactly to the last syllable feels clipped.
# Total over lead-in and lead-out, added once per non-empty line.
DIALOGUE_PAD_SECONDS = 0.5

# Described action is denser than speech: a short clause names an event that takes a moment to happen. Screenplay
# practice ("one page ~= one minute") and shot lists put ~20 characters of Chinese action at ~3 s on screen:
# a 1 s beat (the action registers, a reaction settles) plus 10 characters per second of description.
ZH_ACTION_CHARS_PER_SECOND = 10.0
# English at the same density via the ~1.6 characters-per-word ratio: 12 words of action ~= 3 s.
EN_ACTION_WORDS_PER_SECOND = 6.0
# Every described action, however short ("他笑了。" / "She nods."), needs a beat to be seen at all.
ACTION_BEAT_SECONDS = 1.0

# CJK ideographs (unified, extension A, compatibility, extensions B+), plus kana and Hangul syllables, which are
# spoken at about one syllable per character too. Punctuation (。，！ etc.) is outside these ranges, so it is ignored.
_CJK_CHAR = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3040-\u309f\u30a0-\u30ff\uac00-\ud7af]"
)
# A Latin-script word or number: "don't", "Maya's", "3", "1.5" count once; hyphenated words count per part.
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’.][A-Za-z0-9\u00c0-\u024f]+)*")


def _counts(text: str) -> tuple[int, int]:
    """(CJK characters, Latin words) in ``text``; the two never overlap because words exclude CJK characters."""
    return len(_CJK_CHAR.findall(text)), len(_WORD.findall(text))


def reading_seconds(text: str) -> float:
    """Seconds to say ``text`` aloud as dialogue, including the lead-in/out pad; 0.0 when there is nothing to say.

    Mixed text (a Chinese line with an English name or brand) sums both rates.
    """
    chars, words = _counts(text)
    if chars == 0 and words == 0:
        return 0.0
    return chars / ZH_READING_CHARS_PER_SECOND + words / EN_READING_WORDS_PER_SECOND + DIALOGUE_PAD_SECONDS


def action_seconds(text: str) -> float:
    """Seconds the action described by ``text`` takes on screen; 0.0 when nothing is described."""
    chars, words = _counts(text)
    if chars == 0 and words == 0:
        return 0.0
    return ACTION_BEAT_SECONDS + chars / ZH_ACTION_CHARS_PER_SECOND + words / EN_ACTION_WORDS_PER_SECOND


def clamp_seconds(seconds: float, *, minimum: float, maximum: float) -> float:
    """``seconds`` limited to ``[minimum, maximum]`` (generators have hard clip-length limits, e.g. 2-10 s)."""
    if math.isnan(seconds) or math.isnan(minimum) or math.isnan(maximum):
        raise ValueError("clamp_seconds: NaN is not a duration")
    if minimum > maximum:
        raise ValueError(f"clamp_seconds: minimum {minimum} is greater than maximum {maximum}")
    return min(max(seconds, minimum), maximum)


def seconds_to_frames(seconds: float, fps: int) -> int:
    """Whole frames nearest to ``seconds`` at ``fps`` (halves round up), never fewer than 1.

    A shot of zero frames cannot exist, so tiny positive (and zero) durations become one frame.
    """
    if fps <= 0:
        raise ValueError(f"seconds_to_frames: fps must be positive, got {fps}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds_to_frames: seconds must be a finite non-negative number, got {seconds}")
    # Round the product first so binary noise (0.35 * 10 == 3.4999999999999996) does not flip a half down.
    exact = round(seconds * fps, 9)
    return max(1, math.floor(exact + 0.5))
