"""What a parsed screenplay looks like: elements in source order, grouped on demand into scenes and speeches.

The parser only produces the flat ``elements`` tuple; ``Screenplay.scenes`` derives the planner's view from it, so a
screenplay built by hand (in a test, or by another importer) gets the same scenes as a parsed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TITLE = "title"
    SCENE_HEADING = "scene_heading"
    ACTION = "action"
    CHARACTER = "character"
    PARENTHETICAL = "parenthetical"
    DIALOGUE = "dialogue"
    LYRICS = "lyrics"
    TRANSITION = "transition"
    CENTERED = "centered"
    NOTE = "note"
    BONEYARD = "boneyard"
    SECTION = "section"
    SYNOPSIS = "synopsis"
    PAGE_BREAK = "page_break"


@dataclass(frozen=True)
class Element:
    """One screenplay element. ``text`` is what a reader sees; ``raw`` is what the writer typed."""

    kind: Kind
    text: str
    raw: str
    line: int
    end_line: int
    forced: bool = False
    scene_number: str | None = None
    extension: str | None = None
    dual: bool = False
    depth: int = 0


@dataclass(frozen=True)
class Speech:
    """One character cue with its parentheticals, dialogue and sung lines."""

    character: str
    extension: str | None
    dual: bool
    line: int
    parentheticals: tuple[str, ...]
    text: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scene:
    heading: Element
    number: int
    beats: tuple[Element | Speech, ...]


@dataclass(frozen=True)
class Screenplay:
    source: str
    title_page: dict[str, str]
    elements: tuple[Element, ...]
    warnings: tuple[str, ...]

    @property
    def scenes(self) -> tuple[Scene, ...]:
        return _build_scenes(self.elements)

    @property
    def characters(self) -> list[str]:
        names: dict[str, None] = {}
        for element in self.elements:
            if element.kind is Kind.CHARACTER:
                names.setdefault(element.text, None)
        return list(names)


# Elements a reader of the film never sees; they neither become beats nor end a speech.
_INVISIBLE = frozenset({Kind.NOTE, Kind.BONEYARD, Kind.SECTION, Kind.SYNOPSIS, Kind.PAGE_BREAK, Kind.TITLE})
_SPEECH_PARTS = frozenset({Kind.PARENTHETICAL, Kind.DIALOGUE, Kind.LYRICS})


class _SpeechBuilder:
    def __init__(self, cue: Element) -> None:
        self.cue = cue
        self.parts: list[Element] = []
        # Last source line known to belong to this speech; a lyric further down is a standalone song, not singing.
        self.covered_until = cue.end_line

    def touches(self, element: Element) -> bool:
        return element.line <= self.covered_until + 1

    def add(self, element: Element) -> None:
        self.parts.append(element)
        self.covered_until = max(self.covered_until, element.end_line)

    def build(self) -> Speech:
        spoken = [p.text for p in self.parts if p.kind is not Kind.PARENTHETICAL]
        return Speech(
            character=self.cue.text,
            extension=self.cue.extension,
            dual=self.cue.dual,
            line=self.cue.line,
            parentheticals=tuple(p.text for p in self.parts if p.kind is Kind.PARENTHETICAL),
            text="\n".join(spoken),
            lines=tuple((p.kind.value, p.text) for p in self.parts),
        )


class _SceneBuilder:
    def __init__(self, heading: Element, number: int) -> None:
        self.heading = heading
        self.number = number
        self.beats: list[Element | Speech] = []
        self.speech: _SpeechBuilder | None = None

    def feed(self, element: Element) -> None:
        if element.kind in _INVISIBLE:
            # A note inside a speech keeps the speech contiguous across the lines it covers.
            if self.speech is not None and self.speech.touches(element):
                self.speech.covered_until = max(self.speech.covered_until, element.end_line)
            return
        if element.kind is Kind.CHARACTER:
            self._close_speech()
            self.speech = _SpeechBuilder(element)
            return
        if self.speech is not None and element.kind in _SPEECH_PARTS:
            if element.kind is not Kind.LYRICS or self.speech.touches(element):
                self.speech.add(element)
                return
        self._close_speech()
        self.beats.append(element)

    def _close_speech(self) -> None:
        if self.speech is not None:
            self.beats.append(self.speech.build())
            self.speech = None

    def build(self) -> Scene:
        self._close_speech()
        return Scene(heading=self.heading, number=self.number, beats=tuple(self.beats))


def _build_scenes(elements: tuple[Element, ...]) -> tuple[Scene, ...]:
    scenes: list[Scene] = []
    current: _SceneBuilder | None = None
    for element in elements:
        if element.kind is Kind.SCENE_HEADING:
            if current is not None:
                scenes.append(current.build())
            current = _SceneBuilder(element, len(scenes) + 1)
        elif current is not None:
            current.feed(element)
    if current is not None:
        scenes.append(current.build())
    return tuple(scenes)
