"""The optional title page: ``Key: value`` lines (values may continue on indented lines) up to the first blank line.

A script may just as well open with "FADE IN:" or "CUT TO:", which also look like keys, so the block only counts as
a title page when every line in it fits and at least one key has a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storyreel.script._inline import plain
from storyreel.script._lexer import SourceLine, is_blank
from storyreel.script._model import Element, Kind

# Keys are English words, so a Chinese script opening with "林晓：你好" is not mistaken for one; the full-width colon
# is accepted because Chinese input methods type "Title：" as readily as "Title:".
_KEY = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9 _\-]*?)\s*[:：]\s*(?P<value>.*)")
_WELL_KNOWN = frozenset(
    {"title", "credit", "author", "authors", "source", "draft date", "date", "contact", "copyright", "notes",
     "revision"}
)


@dataclass
class _Entry:
    key: str
    lines: list[SourceLine] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TitlePage:
    values: dict[str, str]
    elements: list[Element]
    consumed: int  # how many of the given lines belong to the title page
    warning: tuple[int, str] | None = None  # (line, message)


def read_title_page(lines: list[SourceLine]) -> TitlePage:
    start = 0
    while start < len(lines) and is_blank(lines[start].text):
        start += 1
    end = start
    while end < len(lines) and not is_blank(lines[end].text):
        end += 1
    block = lines[start:end]
    entries, bad_line = _entries(block)
    if bad_line is not None or not any(e.values for e in entries):
        return TitlePage({}, [], 0, _explain(block, bad_line))
    values: dict[str, str] = {}
    for entry in entries:
        text = "\n".join(entry.values)
        values[entry.key] = f"{values[entry.key]}\n{text}" if entry.key in values else text
    return TitlePage(values, [_element(e) for e in entries], end)


def _entries(block: list[SourceLine]) -> tuple[list[_Entry], SourceLine | None]:
    entries: list[_Entry] = []
    for line in block:
        match = None if line.text[:1].isspace() else _KEY.fullmatch(line.text.rstrip())
        if match is not None:
            entries.append(_Entry(match.group("key").strip().lower()))
            value = match.group("value")
        elif entries and line.text[:1].isspace():
            value = line.text
        else:
            return entries, line
        entries[-1].lines.append(line)
        if value.strip():
            entries[-1].values.append(plain(value.strip()))
    return entries, None


def _element(entry: _Entry) -> Element:
    return Element(
        kind=Kind.TITLE,
        text="\n".join(entry.values),
        raw="\n".join(line.raw for line in entry.lines),
        line=entry.lines[0].number,
        end_line=entry.lines[-1].number,
    )


def _explain(block: list[SourceLine], bad_line: SourceLine | None) -> tuple[int, str] | None:
    # Only worth a warning when the writer clearly meant a title page and one line spoiled it.
    if not block or bad_line is None:
        return None
    first = _KEY.fullmatch(block[0].text.rstrip())
    if first is None or first.group("key").strip().lower() not in _WELL_KNOWN:
        return None
    return (
        bad_line.number,
        "title page line is neither 'Key: value' nor an indented continuation; the block is read as the script",
    )
