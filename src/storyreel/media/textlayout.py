"""Line breaking for mixed Chinese and Latin text: burned subtitles and previz captions both wrap with this.

Chinese is written without spaces, so a line may break between any two characters; Latin text breaks only at
spaces. Some marks must not start a line (closing ones: ，。」…) and some must not end one (opening ones: 「（“).
Rather than bend the wrapping loop to these rules (kinsoku), we build them into the *break units*: a closing mark
is glued to the unit before it and an opening mark to the unit after it, so no break can fall on the wrong side
of one. By default a glued unit moves to the next line whole ("push in"), so a line is never wider than asked
unless a single unit is. With ``hang=True`` a line's final closing mark may stand past the width instead
("hanging punctuation"), which saves a line; subtitles use it, and leave room for the mark in their margins.

Widths come from a ``measure`` callable (text → width, in whatever unit the caller draws in), so the same code
serves Pillow fonts (previz) and libass-scaled metrics (subtitles).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

TextWidth = Callable[[str], float]

ELLIPSIS = "…"

# Marks that must not begin a line: closing brackets and quotes, sentence and clause punctuation, the interpunct
# of transliterated names, and the ellipsis and dash (written doubled in Chinese, …… and ——, never split off).
NO_LINE_START = frozenset("，。、；：！？）］｝》」』】〕〗〉”’…—·,.;:!?)]}%")
# Marks that must not end a line: opening brackets and quotes belong with the word they open.
NO_LINE_END = frozenset("（［｛《「『【〔〖〈“‘([{")

# Halving the width this many times in the balanced search lands within 0.02% of the best: far below a pixel.
_BALANCE_STEPS = 12


# --- characters ------------------------------------------------------------------------------------------------

def is_cjk_char(ch: str) -> bool:
    """Chinese, Japanese or Korean script, or CJK punctuation and full-width forms.

    Code-point ranges rather than ``east_asian_width``: that also calls emoji and some symbols wide, and "is this
    line Chinese?" (which colon to put after a speaker) must not answer yes for ``Hello 😀``.
    """
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF  # radicals, CJK punctuation, kana, CJK unified ideographs (+ext A)
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms (，！？ etc.)
        or 0x20000 <= cp <= 0x3FFFF  # ideograph extensions B and later
    )


def has_cjk(text: str) -> bool:
    return any(is_cjk_char(ch) for ch in text)


def _breaks_anywhere(ch: str) -> bool:
    """A character set without spaces around it, so a line may break on either side: CJK, and any other wide
    character (emoji), which would otherwise glue a whole run of them into one unbreakable word."""
    return is_cjk_char(ch) or unicodedata.east_asian_width(ch) in ("W", "F")


# --- break units -----------------------------------------------------------------------------------------------

def _raw_units(text: str) -> list[str]:
    """Each wide character alone; each Latin word with the space that ends it (a break may follow a space)."""
    units: list[str] = []
    word = ""
    for ch in text:
        if _breaks_anywhere(ch):
            if word:
                units.append(word)
                word = ""
            units.append(ch)
        elif ch == " ":  # only U+0020: a no-break space must keep its words together
            units.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        units.append(word)
    return units


def _opens(unit: str) -> bool:
    stripped = unit.rstrip()
    return bool(stripped) and stripped[-1] in NO_LINE_END


def break_units(text: str) -> list[str]:
    """Split ``text`` into the pieces a line may break between, with the line-start/line-end rules applied.

    ``"他说「好」。"`` → ``["他", "说", "「好」。"]``; ``"Go (now), fast"`` → ``["Go ", "(now), ", "fast"]``.
    Joining the units gives back ``text`` exactly.
    """
    units: list[str] = []
    glue_next = False
    for piece in _raw_units(text):
        if units and (glue_next or piece[0] in NO_LINE_START):
            units[-1] += piece
        else:
            units.append(piece)
        glue_next = _opens(units[-1])
    return units


# --- wrapping --------------------------------------------------------------------------------------------------

def _hung(line: str) -> str:
    """The part of ``line`` that must fit when its last mark may hang past the width: one mark, as in print."""
    return line[:-1] if line and line[-1] in NO_LINE_START else line


def _greedy(units: Sequence[str], measure: TextWidth, max_width: float, hang: bool) -> list[str]:
    """Fill each line with as many units as fit; a unit wider than a whole line gets a line of its own."""
    lines: list[str] = []
    current = ""
    for unit in units:
        trial = current + unit
        visible = _hung(trial.rstrip()) if hang else trial.rstrip()
        if current.strip() and measure(visible) > max_width:
            lines.append(current)
            current = unit.lstrip()  # the space a line broke at belongs to neither line
        else:
            current = trial
    lines.append(current)
    return [line.strip() for line in lines if line.strip()]


def wrap(
    text: str, measure: TextWidth, max_width: float, *, max_lines: int | None = None, hang: bool = False,
) -> list[str]:
    """Greedy wrap of one paragraph into lines no wider than ``max_width`` as measured by ``measure``.

    With ``max_lines``, what does not fit is dropped and the last line kept ends in an ellipsis. ``hang``: see
    the module docstring.
    """
    lines = _greedy(break_units(text), measure, max_width, hang)
    return lines if max_lines is None else truncate(lines, measure, max_width, max_lines)


def wrap_balanced(text: str, measure: TextWidth, max_width: float, *, hang: bool = False) -> list[str]:
    """Wrap into as few lines as ``wrap`` needs, but with lines of similar length.

    Subtitle style prefers two half-lines to one full line over a short orphan: we search for the narrowest
    width that still needs no more lines than the greedy wrap at full width.
    """
    units = break_units(text)
    lines = _greedy(units, measure, max_width, hang)
    if len(lines) < 2:
        return lines
    low, high = max_width / len(lines), max_width
    best = lines
    for _ in range(_BALANCE_STEPS):
        mid = (low + high) / 2
        candidate = _greedy(units, measure, mid, hang)
        if len(candidate) <= len(lines):
            best, high = candidate, mid
        else:
            low = mid
    return best


# --- truncation ------------------------------------------------------------------------------------------------

def ellipsize(text: str, measure: TextWidth, max_width: float) -> str:
    """``text`` shortened from the end until it fits ``max_width`` with an ellipsis after it (always added)."""
    while text and measure(text.rstrip() + ELLIPSIS) > max_width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS  # "walk …" would look like a missing word, so no space before the dots


def fit_line(text: str, measure: TextWidth, max_width: float) -> str:
    """``text`` unchanged when it fits ``max_width``, else cut short with an ellipsis."""
    return text if measure(text) <= max_width else ellipsize(text, measure, max_width)


def truncate(lines: Sequence[str], measure: TextWidth, max_width: float, max_lines: int) -> list[str]:
    """The first ``max_lines`` of ``lines``; when some were dropped, the last one kept ends in an ellipsis."""
    if max_lines < 1:
        raise ValueError(f"max_lines must be at least 1, got {max_lines}")
    if len(lines) <= max_lines:
        return list(lines)
    return [*lines[: max_lines - 1], ellipsize(lines[max_lines - 1], measure, max_width)]
