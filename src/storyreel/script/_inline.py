"""Markup that lives inside lines: notes and boneyard (cut out before lines are classified) and emphasis.

Notes ``[[ ]]`` and boneyard ``/* */`` may start and end anywhere, even across paragraphs, so they are removed from
the whole text in one pass before anything looks at lines. The newlines they held are kept, which is what keeps
every later line number equal to its line in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyreel.errors import ScriptError
from storyreel.script._model import Element, Kind

_OPENER = re.compile(r"/\*|\[\[")
_CLOSER = {"/*": "*/", "[[": "]]"}
_HORIZONTAL_SPACE = " \t"


@dataclass(frozen=True)
class CutText:
    lines: list[str]  # the document's lines with notes and boneyard removed
    vanished: frozenset[int]  # 1-based lines that held nothing but removed markup
    cutouts: list[Element]  # NOTE and BONEYARD elements, in source order


def cut_notes_and_boneyard(text: str, source: str) -> CutText:
    pieces: list[str] = []
    cutouts: list[Element] = []
    touched: set[int] = set()
    pos, line = 0, 1
    while (match := _OPENER.search(text, pos)) is not None:
        before = text[pos : match.start()]
        line += before.count("\n")
        pieces.append(before)
        end = text.find(_CLOSER[match.group()], match.end())
        if end == -1:
            raise _unclosed(match.group(), source, line)
        raw = text[match.start() : end + 2]
        end_line = line + raw.count("\n")
        after = text[end + 2 : end + 3]
        if after in ("", "\n") or after in _HORIZONTAL_SPACE:
            # "an [[aside]] word" must read "an word", and "CUT TO: [[x]]" must still end in "TO:".
            pieces[-1] = pieces[-1].rstrip(_HORIZONTAL_SPACE)
        pieces.append("\n" * (end_line - line))
        touched.update(range(line, end_line + 1))
        cutouts.append(_cutout(match.group(), raw, line, end_line))
        pos, line = end + 2, end_line
    pieces.append(text[pos:])
    lines = "".join(pieces).split("\n")
    vanished = frozenset(n for n in touched if not lines[n - 1].strip())
    return CutText(lines=lines, vanished=vanished, cutouts=cutouts)


def _cutout(opener: str, raw: str, line: int, end_line: int) -> Element:
    inner = raw[2:-2]
    text = "\n".join(part.strip() for part in inner.split("\n")).strip("\n")
    kind = Kind.BONEYARD if opener == "/*" else Kind.NOTE
    return Element(kind=kind, text=text, raw=raw, line=line, end_line=end_line)


def _unclosed(opener: str, source: str, line: int) -> ScriptError:
    closer = _CLOSER[opener]
    if opener == "/*":
        what, what_zh = "boneyard opened with '/*' is never closed", "废稿区 '/*' 没有闭合"
    else:
        what, what_zh = "note opened with '[[' is never closed", "注释 '[[' 没有闭合"
    return ScriptError(
        f"{source}:{line}: {what}; expected '{closer}' to end it",
        zh=f"{source}:{line}: {what_zh}；需要用 '{closer}' 结束",
        file=source,
        line=line,
    )


# Emphasis never crosses a line, must hug its text ("* 3 *" is arithmetic), and is undone outermost-count first so
# that "***x***" is not read as italic around bold markers. A span may not contain its own closing marker, which is
# what keeps a long line full of stray asterisks linear instead of quadratic.
_EMPHASIS = (
    re.compile(r"\*\*\*(?=\S)((?:[^*]|\*(?!\*\*))+?)(?<=\S)\*\*\*"),
    re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"),
    re.compile(r"\*(?=\S)([^*]+?)(?<=\S)\*"),
    # Underscores inside words (file_name) are not underline.
    re.compile(r"(?<![A-Za-z0-9])_(?=\S)([^_]+?)(?<=\S)_(?![A-Za-z0-9])"),
)
_ESCAPED = re.compile(r"\\([*_])")


def plain(line: str) -> str:
    """``line`` without emphasis markers; escaped ``\\*`` and ``\\_`` become literal characters."""
    if "*" not in line and "_" not in line:
        return line
    star, underscore = _free_characters(line)
    hidden = _ESCAPED.sub(lambda m: star if m.group(1) == "*" else underscore, line)
    for pattern in _EMPHASIS:
        hidden = pattern.sub(r"\1", hidden)
    return hidden.replace(star, "*").replace(underscore, "_")


def _free_characters(line: str) -> tuple[str, str]:
    # Escaped markers hide behind private-use characters that the line itself does not contain.
    free = (chr(c) for c in range(0xE000, 0xF900) if chr(c) not in line)
    return next(free), next(free)
