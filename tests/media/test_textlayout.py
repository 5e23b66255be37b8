"""Line breaking for Chinese, English and mixed text: break units, kinsoku, greedy/balanced wrap, ellipsis."""

from __future__ import annotations

import unicodedata

import pytest

from storyreel.media.textlayout import (
    ELLIPSIS,
    NO_LINE_END,
    NO_LINE_START,
    break_units,
    ellipsize,
    fit_line,
    has_cjk,
    is_cjk_char,
    truncate,
    wrap,
    wrap_balanced,
)

ZH = "我们明天早上八点在老地方见面，不要迟到，也不要告诉别人。"
EN = "If you walk out that door now, don't bother coming back."
MIXED = "林晓说「我们用 Python 写吧」，Maya 回答：“OK, let's go.”然后（笑）走了。"


def cells(text: str) -> float:
    """A monospace terminal's measure: wide characters take two cells, everything else one."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def assert_kinsoku(lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if i > 0:
            assert line[0] not in NO_LINE_START, lines
        if i < len(lines) - 1:
            assert line[-1] not in NO_LINE_END, lines


# --- characters ------------------------------------------------------------------------------------------------

def test_cjk_detection() -> None:
    assert all(is_cjk_char(ch) for ch in "你好，。「」한グ")
    assert not any(is_cjk_char(ch) for ch in "aZ1 ,.…—😀")
    assert has_cjk("Maya 说") and not has_cjk("Hello 😀")  # an emoji does not make a line Chinese


# --- break units -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [ZH, EN, MIXED, "", "  two  spaces ", "……", "「」"])
def test_units_join_back_to_the_text(text: str) -> None:
    assert "".join(break_units(text)) == text


def test_units_split_chinese_per_character_and_english_per_word() -> None:
    assert break_units("你好 world, hi") == ["你", "好", " ", "world, ", "hi"]


def test_units_glue_closing_marks_back_and_opening_marks_forward() -> None:
    assert break_units("他说「好」。") == ["他", "说", "「好」。"]
    assert break_units("Go (now), fast") == ["Go ", "(now), ", "fast"]
    assert break_units("等等……好——走") == ["等", "等……", "好——", "走"]
    assert break_units("约翰·史密斯") == ["约", "翰·", "史", "密", "斯"]


def test_kinsoku_sets_cover_both_former_rule_sets() -> None:
    # the subtitles' set had 〕 and ·, the previz set had —; the union keeps all, and every opening bracket or
    # quote has its closing partner
    assert {"〕", "·", "—", "…", "，", "。", "」", "”", ")"} <= NO_LINE_START
    pairs = {"（": "）", "［": "］", "｛": "｝", "《": "》", "「": "」", "『": "』", "【": "】", "〔": "〕", "〖": "〗",
             "〈": "〉", "“": "”", "‘": "’", "(": ")", "[": "]", "{": "}"}
    assert set(pairs) == NO_LINE_END
    assert set(pairs.values()) <= NO_LINE_START
    assert not NO_LINE_START & NO_LINE_END


@pytest.mark.parametrize("mark", sorted(NO_LINE_START))
def test_a_closing_mark_never_starts_a_line(mark: str) -> None:
    text = "一二三四" + mark + "五六七八"
    for width in range(2, 20):
        lines = wrap(text, cells, width)
        assert "".join(lines) == text
        assert_kinsoku(lines)


@pytest.mark.parametrize("mark", sorted(NO_LINE_END))
def test_an_opening_mark_never_ends_a_line(mark: str) -> None:
    text = "一二三四" + mark + "五六七八"
    for width in range(2, 20):
        lines = wrap(text, cells, width)
        assert "".join(lines) == text
        assert_kinsoku(lines)


# --- wrapping --------------------------------------------------------------------------------------------------

def test_chinese_breaks_anywhere_within_the_width() -> None:
    lines = wrap(ZH, cells, 20)
    assert len(lines) > 1
    assert "".join(lines) == ZH  # nothing lost or added
    assert all(cells(line) <= 20 for line in lines)
    assert_kinsoku(lines)


def test_english_breaks_only_at_spaces() -> None:
    lines = wrap(EN, cells, 20)
    assert len(lines) > 1
    assert " ".join(lines) == EN
    assert all(cells(line) <= 20 and line == line.strip() for line in lines)


def test_mixed_text() -> None:
    lines = wrap(MIXED, cells, 16)
    assert "".join(lines).replace(" ", "") == MIXED.replace(" ", "")
    assert all(cells(line) <= 16 for line in lines)
    assert_kinsoku(lines)
    assert any("Python" in line for line in lines)  # the English word stays whole


def test_a_unit_wider_than_the_line_gets_a_line_of_its_own() -> None:
    assert wrap("a internationalization b", cells, 8) == ["a", "internationalization", "b"]


def test_no_break_space_keeps_words_together() -> None:
    assert wrap("Mr.\u00a0Smith went home", cells, 10) == ["Mr.\u00a0Smith", "went home"]


def test_empty_and_blank_text() -> None:
    assert wrap("", cells, 10) == []
    assert wrap("   ", cells, 10) == []


def test_hanging_punctuation_saves_a_line() -> None:
    text = "一二三四五。六七"
    assert wrap(text, cells, 10) == ["一二三四", "五。六七"]  # pushed in: "五。" moves down together
    assert wrap(text, cells, 10, hang=True) == ["一二三四五。", "六七"]  # the full stop stands past the width


def test_hanging_is_one_mark_only() -> None:
    assert wrap("一二三四五」。六", cells, 10, hang=True) == ["一二三四", "五」。六"]


def test_balanced_lines_have_similar_lengths() -> None:
    text = "一二三四五六七八九十壹贰"
    assert wrap(text, cells, 20) == ["一二三四五六七八九十", "壹贰"]  # a short orphan
    balanced = wrap_balanced(text, cells, 20)
    assert balanced == ["一二三四五六", "七八九十壹贰"]


def test_balanced_never_needs_more_lines() -> None:
    for text in (ZH, EN, MIXED):
        for width in (12, 20, 31, 50):
            greedy = wrap(text, cells, width)
            balanced = wrap_balanced(text, cells, width)
            assert len(balanced) == len(greedy)
            assert all(cells(line) <= width for line in balanced)
            assert_kinsoku(balanced)


# --- truncation ------------------------------------------------------------------------------------------------

def test_max_lines_ends_in_an_ellipsis() -> None:
    lines = wrap(ZH, cells, 12, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS)
    assert all(cells(line) <= 12 for line in lines)
    assert lines[0] == wrap(ZH, cells, 12)[0]


def test_no_ellipsis_when_everything_fits() -> None:
    assert wrap("你好。", cells, 12, max_lines=2) == ["你好。"]


def test_ellipsis_does_not_follow_a_space() -> None:
    assert ellipsize("walk out that", cells, 6) == "walk" + ELLIPSIS


def test_fit_line() -> None:
    assert fit_line("short", cells, 10) == "short"
    assert fit_line("a much longer line", cells, 10) == "a much lo" + ELLIPSIS
    assert cells(fit_line("很长很长很长的一行", cells, 9)) <= 9


def test_truncate_rejects_zero_lines() -> None:
    with pytest.raises(ValueError):
        truncate(["a", "b"], cells, 10, 0)
