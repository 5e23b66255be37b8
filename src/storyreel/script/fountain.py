"""A Fountain screenplay parser (https://fountain.io/syntax), written for storyreel's planner.

Approach, in four passes over the text:

1. Normalise: drop a UTF-8 BOM, turn CRLF and lone CR into LF. Line numbers count LF-separated lines from 1.
2. Cut out notes ``[[ ]]`` and boneyard ``/* */`` from the whole text (``_inline.py``). They can span lines and
   paragraphs, so they go before anything looks at lines; their newlines stay, so every line keeps its number.
   Lines that held nothing but such markup are dropped from the line list: they are neither blank nor content, so
   a note between a cue and its dialogue does not split the speech.
3. Read the optional title page (``_title_page.py``).
4. Walk the remaining lines once, block by block (``_BodyParser``). Fountain decides most elements from context
   (a cue needs a blank line before and text after, a heading or transition needs blank lines around), so the
   walker carries just that context: whether the previous line was blank, and whether a speech is open in this
   scene (for '^'). ``_lexer.py`` answers the questions about one line's text.

The result is a flat tuple of elements in source order; ``Screenplay.scenes`` groups it for the planner.
Anything the writer cannot have meant is a ``ScriptError`` with file:line; anything merely odd that we can read
sensibly anyway is read that way and reported in ``Screenplay.warnings``.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from pathlib import Path

from storyreel.errors import ScriptError
from storyreel.script._inline import cut_notes_and_boneyard, plain
from storyreel.script._lexer import (
    Cue,
    SourceLine,
    could_be_cue,
    is_blank,
    is_forced_heading,
    is_spacer,
    looks_like_heading,
    looks_like_transition,
    marker_kind,
    parenthetical_closes,
    parenthetical_opens,
    parse_cue,
    section_depth,
    split_scene_number,
    strip_parens,
)
from storyreel.script._model import Element, Kind, Screenplay
from storyreel.script._title_page import read_title_page

__all__ = ["parse_fountain", "read_fountain"]

# Outline-only elements: they do not separate what is around them, so a heading directly under "# Act One" still
# counts as preceded by a blank line, and a synopsis directly under a heading does not spoil the heading.
_TRANSPARENT = frozenset({Kind.SECTION, Kind.SYNOPSIS, Kind.PAGE_BREAK})


def parse_fountain(text: str, *, source: str = "<string>") -> Screenplay:
    """Parse Fountain text. Raises ``ScriptError`` (with ``source:line``) for markup that is never closed."""
    text = _normalise(text)
    if is_blank(text):
        return Screenplay(source=source, title_page={}, elements=(), warnings=())
    raw_lines = text.split("\n")
    cut = cut_notes_and_boneyard(text, source)
    lines = [
        SourceLine(number, cut.lines[number - 1], raw_lines[number - 1])
        for number in range(1, len(raw_lines) + 1)
        if number not in cut.vanished
    ]
    title = read_title_page(lines)
    warnings = [f"{source}:{title.warning[0]}: {title.warning[1]}"] if title.warning else []
    body = _BodyParser(lines[title.consumed :], source)
    body_elements = body.parse()
    warnings.extend(body.warnings)
    return Screenplay(
        source=source,
        title_page=title.values,
        elements=_in_source_order([*title.elements, *body_elements], cut.cutouts),
        warnings=tuple(warnings),
    )


def read_fountain(path: str | os.PathLike[str]) -> Screenplay:
    """Read and parse a UTF-8 Fountain file (a BOM is fine). Errors name the file as it was given."""
    source = os.fsdecode(path)
    data = Path(path).read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(source, data, exc.start) from None
    return parse_fountain(text, source=source)


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _in_source_order(elements: list[Element], cutouts: list[Element]) -> tuple[Element, ...]:
    # On a shared first line the element being read comes before the note inside it.
    tagged = [(e.line, 0, k, e) for k, e in enumerate(elements)]
    tagged += [(e.line, 1, k, e) for k, e in enumerate(cutouts)]
    return tuple(e for *_, e in sorted(tagged, key=lambda t: t[:3]))


def _not_utf8(source: str, data: bytes, offset: int) -> ScriptError:
    before = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    column = len(before) - (before.rfind(b"\n") + 1) + 1
    byte = data[offset]
    return ScriptError(
        f"{source}:{line}: text is not valid UTF-8 (byte 0x{byte:02x} at column {column}); "
        "expected a UTF-8 encoded text file",
        zh=f"{source}:{line}: 文本不是有效的 UTF-8（第 {column} 列的字节 0x{byte:02x}）；请把剧本另存为 UTF-8 编码",
        file=source,
        line=line,
    )


class _BodyParser:
    """Walks the lines after the title page and emits elements block by block."""

    def __init__(self, lines: list[SourceLine], source: str) -> None:
        self.lines = lines
        self.source = source
        self.i = 0
        self.elements: list[Element] = []
        self.warnings: list[str] = []
        self.after_blank = True  # the document start counts as a blank line
        self.speech_in_scene = False
        self.after_speech = False

    def parse(self) -> list[Element]:
        while self.i < len(self.lines):
            if is_blank(self.lines[self.i].text):
                self.after_blank = True
                self.i += 1
            else:
                self._element()
        return self.elements

    # -- dispatch ---------------------------------------------------------------------------------------------

    def _element(self) -> None:
        line = self.lines[self.i]
        stripped = line.text.strip()
        if stripped.startswith("!"):
            self._action()
        elif (kind := marker_kind(stripped)) is not None:
            self._marker(kind, stripped)
        elif stripped.startswith("@"):
            self._forced_cue(stripped)
        elif self.after_blank and is_forced_heading(stripped):
            self._heading(stripped, forced=True)
        elif self.after_blank and looks_like_heading(stripped):
            self._unless_crowded(lambda: self._heading(stripped, forced=False), "scene heading")
        elif self.after_blank and looks_like_transition(line.text):
            self._unless_crowded(lambda: self._single(Kind.TRANSITION, plain(stripped)), "transition")
        elif self.after_blank and (cue := could_be_cue(stripped)) is not None:
            self._cue_or_action(cue, line)
        else:
            self._action()

    def _unless_crowded(self, emit: Callable[[], None], what: str) -> None:
        # Headings and transitions need a blank line after them; without one the spec makes the line action.
        if self._blank_follows():
            emit()
            return
        self._warn(self.lines[self.i], f"looks like a {what} but has no blank line after it; read as action")
        self._action()

    def _cue_or_action(self, cue: Cue, line: SourceLine) -> None:
        if self._dialogue_follows():
            self._speech(cue, forced=False)
            return
        if cue.dual:
            self._warn(line, "dual-dialogue cue has no dialogue after it; read as action")
        self._action()

    def _forced_cue(self, stripped: str) -> None:
        name = stripped[1:].strip()
        cue = parse_cue(name) or (Cue(plain(name), None, False) if name else None)
        if cue is None or not self._dialogue_follows():
            self._warn(self.lines[self.i], "character cue '@' has no dialogue after it; read as action")
            self._action()
            return
        self._speech(cue, forced=True)

    # -- context ----------------------------------------------------------------------------------------------

    def _blank_follows(self) -> bool:
        j = self.i + 1
        while j < len(self.lines) and marker_kind(self.lines[j].text.strip()) in _TRANSPARENT:
            j += 1
        return j >= len(self.lines) or is_blank(self.lines[j].text)

    def _content_after(self, index: int) -> bool:
        return index + 1 < len(self.lines) and not is_blank(self.lines[index + 1].text)

    def _dialogue_follows(self) -> bool:
        return self._content_after(self.i) and not self.breaks_block(self.i + 1, in_dialogue=True)

    def breaks_block(self, index: int, in_dialogue: bool) -> bool:
        """Whether line ``index`` starts a new element even though no blank line precedes it."""
        stripped = self.lines[index].text.strip()
        kind = marker_kind(stripped)
        if kind is Kind.LYRICS:
            return not in_dialogue  # sung lines belong to the speech they are in
        if kind is not None:
            return True
        if stripped.startswith("!"):
            return in_dialogue  # inside action, '!' only keeps a line from being read as something else
        return stripped.startswith("@") and self._content_after(index)

    def spacer_continues(self, in_dialogue: bool) -> bool:
        """A "two spaces" line keeps the block open if the block goes on after it."""
        if not is_spacer(self.lines[self.i].text):
            return False
        j = self.i
        while j < len(self.lines) and is_spacer(self.lines[j].text):
            j += 1
        if j >= len(self.lines) or is_blank(self.lines[j].text):
            return False
        return not self.breaks_block(j, in_dialogue)

    # -- emitting ---------------------------------------------------------------------------------------------

    def emit(
        self,
        kind: Kind,
        first: int,
        last: int,
        text: str,
        *,
        forced: bool = False,
        scene_number: str | None = None,
        extension: str | None = None,
        dual: bool = False,
        depth: int = 0,
    ) -> None:
        """Append an element made of lines ``first..last`` (indices into ``self.lines``)."""
        span = self.lines[first : last + 1]
        self.elements.append(
            Element(
                kind=kind,
                text=text,
                raw="\n".join(line.raw for line in span),
                line=span[0].number,
                end_line=span[-1].number,
                forced=forced,
                scene_number=scene_number,
                extension=extension,
                dual=dual,
                depth=depth,
            )
        )
        if kind not in _TRANSPARENT:
            self.after_blank = False
            self.after_speech = False

    def _single(
        self,
        kind: Kind,
        text: str,
        *,
        forced: bool = False,
        scene_number: str | None = None,
        extension: str | None = None,
        dual: bool = False,
        depth: int = 0,
    ) -> None:
        """Emit the current line as one element and move past it."""
        self.emit(
            kind, self.i, self.i, text,
            forced=forced, scene_number=scene_number, extension=extension, dual=dual, depth=depth,
        )
        self.i += 1

    def _warn(self, line: SourceLine, message: str) -> None:
        self.warnings.append(f"{self.source}:{line.number}: {message}")

    # -- blocks -----------------------------------------------------------------------------------------------

    def _marker(self, kind: Kind, stripped: str) -> None:
        if kind is Kind.PAGE_BREAK:
            self._single(kind, "")
        elif kind is Kind.SECTION:
            self._single(kind, plain(stripped.lstrip("#").strip()), depth=section_depth(stripped))
        elif kind is Kind.SYNOPSIS:
            self._single(kind, plain(stripped[1:].strip()))
        elif kind is Kind.CENTERED:
            self._single(kind, plain(stripped[1:-1].strip()))
        elif kind is Kind.TRANSITION:
            self._single(kind, plain(stripped[1:].strip()), forced=True)
        else:
            self._lyrics()

    def _lyrics(self) -> None:
        first, texts = self.i, []
        while self.i < len(self.lines) and self.lines[self.i].text.strip().startswith("~"):
            texts.append(plain(self.lines[self.i].text.strip()[1:].strip()))
            self.i += 1
        self.emit(Kind.LYRICS, first, self.i - 1, "\n".join(texts))

    def _heading(self, stripped: str, forced: bool) -> None:
        body, number = split_scene_number(stripped[1:] if forced else stripped)
        self._single(Kind.SCENE_HEADING, plain(body.strip()), forced=forced, scene_number=number)
        self.speech_in_scene = False

    def _action(self) -> None:
        first, texts, forced = self.i, [], False
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if is_blank(line.text):
                if not self.spacer_continues(in_dialogue=False):
                    break
                texts.append("")
            elif self.i > first and self.breaks_block(self.i, in_dialogue=False):
                break
            else:
                stripped = line.text.strip()
                if stripped.startswith("!"):
                    forced = forced or self.i == first
                    stripped = stripped[1:].strip()
                texts.append(plain(stripped))
            self.i += 1
        self.emit(Kind.ACTION, first, self.i - 1, "\n".join(texts), forced=forced)

    def _speech(self, cue: Cue, forced: bool) -> None:
        line = self.lines[self.i]
        if cue.dual:
            self._check_dual(line)
        self._single(Kind.CHARACTER, cue.name, forced=forced, extension=cue.extension, dual=cue.dual)
        _SpeechBlock(self).read()
        self.speech_in_scene = True
        self.after_speech = True

    def _check_dual(self, line: SourceLine) -> None:
        if not self.speech_in_scene:
            raise ScriptError(
                f"{self.source}:{line.number}: dual-dialogue cue '{line.text.strip()}' has no speech before it in "
                "this scene; expected another character's speech right before a cue marked '^'",
                zh=f"{self.source}:{line.number}: 双人对白角色 '{line.text.strip()}' 在本场之前没有对白；"
                "'^' 只能标在紧跟另一段对白的角色名后",
                file=self.source,
                line=line.number,
            )
        if not self.after_speech:
            self._warn(line, "dual-dialogue cue does not directly follow another speech; paired with nothing")


class _SpeechBlock:
    """The lines under a cue, up to the next blank line: dialogue, parentheticals and lyrics."""

    def __init__(self, parser: _BodyParser) -> None:
        self.parser = parser
        self.group_kind: Kind | None = None
        self.group: list[tuple[int, str]] = []  # (line index, plain text)

    def read(self) -> None:
        p = self.parser
        while p.i < len(p.lines):
            line = p.lines[p.i]
            if is_blank(line.text):
                if not p.spacer_continues(in_dialogue=True):
                    break
                if self.group_kind in (Kind.DIALOGUE, Kind.LYRICS):
                    self.group.append((p.i, ""))  # a pause in a speech, a stanza break in a song
                p.i += 1
                continue
            if p.breaks_block(p.i, in_dialogue=True):
                break
            stripped = line.text.strip()
            if parenthetical_opens(stripped) and (close := self._parenthetical_end()) is not None:
                self._flush()
                self._parenthetical(close)
                continue
            kind = Kind.LYRICS if stripped.startswith("~") else Kind.DIALOGUE
            if kind is not self.group_kind:
                self._flush()
                self.group_kind = kind
            self.group.append((p.i, plain(stripped[1:].strip() if kind is Kind.LYRICS else stripped)))
            p.i += 1
        self._flush()

    def _parenthetical_end(self) -> int | None:
        # A parenthetical may wrap onto following lines; it ends at the first line that closes it.
        p = self.parser
        j = p.i
        while j < len(p.lines) and not is_blank(p.lines[j].text):
            stripped = p.lines[j].text.strip()
            if j > p.i and parenthetical_opens(stripped):
                return None
            if parenthetical_closes(stripped):
                return j
            j += 1
        return None

    def _parenthetical(self, close: int) -> None:
        p = self.parser
        joined = "\n".join(line.text.strip() for line in p.lines[p.i : close + 1])
        text = "\n".join(plain(part.strip()) for part in strip_parens(joined).split("\n"))
        p.emit(Kind.PARENTHETICAL, p.i, close, text)
        p.i = close + 1

    def _flush(self) -> None:
        while self.group and not self.group[-1][1]:
            self.group.pop()  # a "two spaces" line only counts between lines
        if self.group and self.group_kind is not None:
            text = "\n".join(text for _, text in self.group)
            self.parser.emit(self.group_kind, self.group[0][0], self.group[-1][0], text)
        self.group_kind = None
        self.group = []
