"""Shot durations from text length."""

from __future__ import annotations

import math

import pytest

from storyreel.script.timing import (
    ACTION_BEAT_SECONDS,
    DIALOGUE_PAD_SECONDS,
    EN_ACTION_WORDS_PER_SECOND,
    EN_READING_WORDS_PER_SECOND,
    ZH_ACTION_CHARS_PER_SECOND,
    ZH_READING_CHARS_PER_SECOND,
    action_seconds,
    clamp_seconds,
    reading_seconds,
    seconds_to_frames,
)


@pytest.mark.parametrize(
    ("text", "chars", "words"),
    [
        ("你好", 2, 0),
        ("你好，世界！", 4, 0),  # punctuation ignored
        ("「我不走。」她说。", 5, 0),
        ("Hello there.", 0, 2),
        ("Don't go, Maya's waiting.", 0, 4),  # contractions and possessives are one word
        ("I have 3 cats.", 0, 4),
        ("我用iPhone打电话", 5, 1),  # mixed
        ("OK，走吧。", 2, 1),
        ("...", 0, 0),
    ],
)
def test_reading_counts_characters_and_words(text: str, chars: int, words: int) -> None:
    expected = chars / ZH_READING_CHARS_PER_SECOND + words / EN_READING_WORDS_PER_SECOND
    expected += DIALOGUE_PAD_SECONDS if chars or words else 0.0
    assert reading_seconds(text) == pytest.approx(expected)


def test_reading_rates() -> None:
    assert ZH_READING_CHARS_PER_SECOND == 4.5
    assert EN_READING_WORDS_PER_SECOND == pytest.approx(2.7, abs=0.05)  # ~160 wpm
    # 9 characters of Chinese: 2 s of speech plus the pad
    assert reading_seconds("我明天早上就回北京。") == pytest.approx(9 / 4.5 + DIALOGUE_PAD_SECONDS)
    # 160 words take a minute
    assert reading_seconds(" ".join(["word"] * 160)) == pytest.approx(60 + DIALOGUE_PAD_SECONDS)


def test_chinese_reads_faster_per_character_than_english_per_word_but_same_meaning_similar_time() -> None:
    zh = reading_seconds("我不知道你在说什么。")  # 9 chars
    en = reading_seconds("I don't know what you're talking about.")  # 7 words
    assert abs(zh - en) < 1.0
    assert reading_seconds("你") < reading_seconds("you are")


def test_mixed_text_sums_both() -> None:
    mixed = reading_seconds("我们去Starbucks吧")
    assert mixed == pytest.approx(reading_seconds("我们去吧") + reading_seconds("Starbucks") - DIALOGUE_PAD_SECONDS)


@pytest.mark.parametrize("text", ["", "   ", "。！？", "……", "—"])
def test_nothing_to_say_is_zero(text: str) -> None:
    assert reading_seconds(text) == 0.0
    assert action_seconds(text) == 0.0


def test_action_twenty_chinese_chars_is_about_three_seconds() -> None:
    text = "林晓推开茶馆的木门，雨水顺着她的发梢滴落"  # 19 chars
    assert len([c for c in text if "\u4e00" <= c <= "\u9fff"]) == 19
    assert action_seconds(text) == pytest.approx(ACTION_BEAT_SECONDS + 19 / ZH_ACTION_CHARS_PER_SECOND)
    assert 2.5 <= action_seconds(text) <= 3.5


def test_action_english_and_mixed() -> None:
    text = "MAYA crosses to the window and looks out at the rain."  # 11 words
    assert action_seconds(text) == pytest.approx(ACTION_BEAT_SECONDS + 11 / EN_ACTION_WORDS_PER_SECOND)
    assert action_seconds("MAYA笑了") == pytest.approx(
        ACTION_BEAT_SECONDS + 2 / ZH_ACTION_CHARS_PER_SECOND + 1 / EN_ACTION_WORDS_PER_SECOND
    )


def test_short_action_still_gets_a_beat() -> None:
    assert action_seconds("她笑了。") >= ACTION_BEAT_SECONDS
    assert action_seconds("She nods.") >= ACTION_BEAT_SECONDS


def test_action_grows_with_length() -> None:
    assert action_seconds("他走。") < action_seconds("他走进雨里，头也不回。") < action_seconds("他走进雨里，头也不回。" * 3)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.5, 2.0), (2.0, 2.0), (4.2, 4.2), (10.0, 10.0), (12.7, 10.0), (-1.0, 2.0)],
)
def test_clamp(seconds: float, expected: float) -> None:
    assert clamp_seconds(seconds, minimum=2.0, maximum=10.0) == expected


def test_clamp_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError):
        clamp_seconds(3.0, minimum=5.0, maximum=2.0)
    with pytest.raises(ValueError):
        clamp_seconds(math.nan, minimum=1.0, maximum=2.0)
    assert clamp_seconds(3.0, minimum=3.0, maximum=3.0) == 3.0


@pytest.mark.parametrize(
    ("seconds", "fps", "frames"),
    [
        (1.0, 24, 24),
        (2.5, 24, 60),
        (1.02, 24, 24),  # 24.48 -> 24
        (1.03, 24, 25),  # 24.72 -> 25
        (0.35, 10, 4),  # exactly half (despite 0.35 * 10 == 3.4999999999999996) rounds up
        (1 / 48, 24, 1),  # half a frame rounds up
        (0.0, 24, 1),  # never zero frames
        (0.001, 30, 1),
        (3.0, 30, 90),
        (4.2, 25, 105),
        (10.0, 60, 600),
    ],
)
def test_seconds_to_frames(seconds: float, fps: int, frames: int) -> None:
    assert seconds_to_frames(seconds, fps) == frames


@pytest.mark.parametrize(("seconds", "fps"), [(1.0, 0), (1.0, -24), (-1.0, 24), (math.inf, 24), (math.nan, 24)])
def test_seconds_to_frames_rejects_bad_input(seconds: float, fps: int) -> None:
    with pytest.raises(ValueError):
        seconds_to_frames(seconds, fps)


def test_pipeline_line_to_frames() -> None:
    seconds = clamp_seconds(reading_seconds("我明天早上就回北京。"), minimum=2.0, maximum=10.0)
    assert seconds_to_frames(seconds, 24) == 60  # 2.5 s
