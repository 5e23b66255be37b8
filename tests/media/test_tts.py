"""Temp dialogue with espeak-ng: real speech when it is installed, a clear install hint when it is not."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from storyreel.errors import MediaError
from storyreel.media.tts import default_voice, espeak_exe, speak

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64) / 32768
        return data, w.getframerate()


@needs_espeak
@pytest.mark.parametrize(("text", "voice", "syllables"), [
    ("你好，欢迎来到我们的故事。", None, 12),
    ("Hello, and welcome to our story.", None, 9),
    ("今晚的渡船会准时出发。", "cmn", 10),
])
def test_speaks_audible_speech_of_plausible_length(tmp_path: Path, text: str, voice: str | None,
                                                   syllables: int) -> None:
    out = tmp_path / "line.wav"
    seconds = speak(text, voice, out)
    data, rate = _samples(out)
    assert seconds == pytest.approx(len(data) / rate)
    # Somewhere between a fast 8 and a slow 1.5 syllables a second, plus a little silence around the line.
    assert syllables / 8 < seconds < syllables / 1.5 + 1.0
    rms_db = 20 * np.log10(np.sqrt(np.mean(data**2)))
    assert rms_db > -40


@needs_espeak
def test_a_line_starting_with_a_dash_is_spoken_not_parsed(tmp_path: Path) -> None:
    assert speak("-h ... hello?", "en", tmp_path / "dash.wav") > 0.3


@needs_espeak
def test_unknown_voice_names_the_voice_and_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "bad.wav"
    with pytest.raises(MediaError, match="no voice 'klingon-xx'") as info:
        speak("hello", "klingon-xx", out)
    assert "espeak-ng --voices" in str(info.value)
    assert info.value.zh
    assert not out.exists()


def test_default_voice_follows_the_text() -> None:
    assert default_voice("我们走吧") == "cmn"
    assert default_voice("MAYA: 走吧!") == "cmn"
    assert default_voice("Let's go.") == "en"


def test_missing_espeak_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORYREEL_ESPEAK", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no espeak-ng anywhere on PATH
    with pytest.raises(MediaError, match="apt install espeak-ng") as info:
        speak("你好", None, tmp_path / "out.wav")
    assert "apt install espeak-ng" in (info.value.zh or "")
    assert "临时对白" in (info.value.zh or "")
    assert not (tmp_path / "out.wav").exists()


def test_wrong_override_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_ESPEAK", str(tmp_path / "no-such-espeak"))
    with pytest.raises(MediaError, match="STORYREEL_ESPEAK"):
        espeak_exe()


def test_empty_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        speak("   ", "en", tmp_path / "x.wav")
