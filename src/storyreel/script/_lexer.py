"""Facts about single lines, without context: what a line could be if the lines around it allow it.

The block parser in ``fountain.py`` decides; these functions only answer questions about one line's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyreel.script._inline import plain
from storyreel.script._model import Kind


@dataclass(frozen=True)
class SourceLine:
    number: int  # 1-based line in the file
    text: str  # notes and boneyard removed
    raw: str  # as written


def is_blank(text: str) -> bool:
    return not text.strip()


def is_spacer(text: str) -> bool:
    """The "two spaces" line: blank to the eye, but it keeps a dialogue or action block together."""
    return len(text) >= 2 and is_blank(text)


_PAGE_BREAK = re.compile(r"={3,}")

# Lines whose first character alone decides what they are, wherever they stand.
MARKER_KINDS = frozenset({Kind.PAGE_BREAK, Kind.SECTION, Kind.SYNOPSIS, Kind.CENTERED, Kind.TRANSITION, Kind.LYRICS})


def marker_kind(stripped: str) -> Kind | None:
    if _PAGE_BREAK.fullmatch(stripped):
        return Kind.PAGE_BREAK
    if stripped.startswith("#"):
        return Kind.SECTION
    if stripped.startswith("="):
        return Kind.SYNOPSIS
    if stripped.startswith(">") and len(stripped) > 1:
        return Kind.CENTERED if stripped.endswith("<") else Kind.TRANSITION
    if stripped.startswith("~"):
        return Kind.LYRICS
    return None


def section_depth(stripped: str) -> int:
    return len(stripped) - len(stripped.lstrip("#"))


_HEADING = re.compile(r"(?:INT\.?/EXT|INT|EXT|EST|I\.?/E)[.\s]", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]+)#\s*$")


def looks_like_heading(stripped: str) -> bool:
    return _HEADING.match(stripped) is not None


def is_forced_heading(stripped: str) -> bool:
    # "..." opens ordinary action ("... and then"), so only a single leading period forces a heading.
    return len(stripped) > 1 and stripped[0] == "." and stripped[1] != "."


def split_scene_number(heading: str) -> tuple[str, str | None]:
    match = _SCENE_NUMBER.search(heading)
    if match is None:
        return heading, None
    return heading[: match.start()], match.group(1)


def is_upper(text: str) -> bool:
    """Upper case in the screenplay sense: at least one capital and no small letter (so Chinese is never upper)."""
    return any(c.isupper() for c in text) and not any(c.islower() for c in text)


def looks_like_transition(text: str) -> bool:
    # Trailing spaces deliberately defeat it: "CUT TO: " is the spec's way of writing such a line as action.
    body = text.lstrip()
    return body.endswith("TO:") and is_upper(body)


@dataclass(frozen=True)
class Cue:
    name: str
    extension: str | None
    dual: bool


_CUE = re.compile(r"(?P<name>[^()（）^]*?)\s*(?P<ext>(?:[(（][^()（）]*[)）]\s*)*)(?P<dual>\^)?\s*")
_EXTENSION = re.compile(r"[(（]([^()（）]*)[)）]")


def parse_cue(stripped: str) -> Cue | None:
    """Split a cue line (without '@') into name, extension and the dual-dialogue caret."""
    match = _CUE.fullmatch(stripped)
    if match is None:
        return None
    name = plain(match.group("name")).strip()
    if not name:
        return None
    extensions = [e.strip() for e in _EXTENSION.findall(match.group("ext"))]
    extension = ", ".join(e for e in extensions if e) or None
    return Cue(name=name, extension=extension, dual=match.group("dual") is not None)


def could_be_cue(stripped: str) -> Cue | None:
    """An unforced cue: an upper-case name that is not a heading or a transition."""
    if looks_like_heading(stripped) or stripped.endswith("TO:"):
        return None
    cue = parse_cue(stripped)
    if cue is None or not is_upper(cue.name):
        return None
    return cue


def parenthetical_opens(stripped: str) -> bool:
    return stripped[:1] in ("(", "（")


def parenthetical_closes(stripped: str) -> bool:
    return stripped[-1:] in (")", "）")


def strip_parens(text: str) -> str:
    return text.strip()[1:-1].strip() if len(text.strip()) >= 2 else ""
