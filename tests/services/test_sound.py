"""The soundtrack service: film.toml's [sound] turned into a mixed WAV, and subtitles retimed to the speech."""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from storyreel.errors import FilmConfigError, FilmError
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.loudness import measure_loudness
from storyreel.media.subtitles import Cue
from storyreel.model import MusicBed, SoundConfig
from storyreel.services import sound as sound_service
from storyreel.services.sound import VoiceLine, build_soundtrack, dialogue_path, retime_cues

FPS = 12


def _tone(path: Path, seconds: float, freq: int = 440, amp: float = 0.2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={amp}*sin(2*PI*{freq}*t):s=22050:d={seconds}", str(path)], check=True)
    return path


def _configure(film, **sound: object) -> None:
    """Set [sound] on the open film, and write the music entries into film.toml so errors can point at them."""
    config = SoundConfig(**sound)
    film.config = film.config.model_copy(update={"sound": config})
    toml = film.root / "film.toml"
    entries = "".join(f'\n[[sound.music]]\nfile = "{bed.file}"\nstart = {bed.start}\n' for bed in config.music)
    toml.write_text(toml.read_text(encoding="utf-8") + entries, encoding="utf-8")


def _samples(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels()) == (48_000, 2)
        return w.getnframes()


def _samples_at(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _line(shot: str, index: int, start: int, end: int, text: str, speaker: str | None = "林晓") -> VoiceLine:
    return VoiceLine(shot=shot, index=index, cue=Cue(start, end, text, speaker))


# --- nothing to play, and errors ---------------------------------------------------------------------------------

def test_nothing_to_play_gives_no_wav_and_unchanged_cues(film, tmp_path: Path) -> None:
    lines = [_line("1A", 1, 0, 10, "你好")]
    track = build_soundtrack(film, lines, frames=24, fps=FPS, out=tmp_path / "mix.wav")
    assert track.wav is None and track.loudness is None
    assert track.cues == [lines[0].cue]
    assert not (tmp_path / "mix.wav").exists()


def test_missing_music_names_the_film_toml_entry(film, tmp_path: Path) -> None:
    _configure(film, music=[MusicBed(file="music/theme.mp3")])
    with pytest.raises(FilmConfigError) as info:
        build_soundtrack(film, [], frames=24, fps=FPS, out=tmp_path / "mix.wav")
    message = str(info.value)
    assert "[[sound.music]] #1" in message and "music/theme.mp3" in message and "does not exist" in message
    line = (film.root / "film.toml").read_text(encoding="utf-8").splitlines().index('file = "music/theme.mp3"') + 1
    assert f"film.toml:{line}:" in message
    assert info.value.zh


def test_unreadable_music_is_a_config_error(film, tmp_path: Path) -> None:
    (film.root / "music").mkdir()
    (film.root / "music" / "theme.wav").write_text("not audio", encoding="utf-8")
    _configure(film, music=[MusicBed(file="music/theme.wav")])
    with pytest.raises(FilmConfigError, match="cannot be read as audio"):
        build_soundtrack(film, [], frames=24, fps=FPS, out=tmp_path / "mix.wav")


def test_missing_dialogue_file_names_the_expected_path(film, tmp_path: Path) -> None:
    _configure(film, dialogue="files")
    _tone(dialogue_path(film, "1A", 1), 0.5)
    lines = [_line("1A", 1, 0, 10, "你好"), _line("1A", 2, 12, 20, "再见")]
    with pytest.raises(FilmError) as info:
        build_soundtrack(film, lines, frames=24, fps=FPS, out=tmp_path / "mix.wav")
    assert str(film.root / "sound" / "dialogue" / "1A-2.wav") in str(info.value)
    assert info.value.zh


# --- dialogue from files -------------------------------------------------------------------------------------------

def test_files_dialogue_mixes_to_target_and_retimes_cues(film, tmp_path: Path) -> None:
    (film.root / "music").mkdir()
    _tone(film.root / "music" / "bed.wav", 1.0, freq=220)
    _configure(film, dialogue="files", target_lufs=-16, true_peak=-1,
               music=[MusicBed(file="music/bed.wav", gain_db=-8, fade_in=0.2, fade_out=0.5)])
    _tone(dialogue_path(film, "1A", 1), 1.0, freq=2000)  # 12 frames at 12 fps
    _tone(dialogue_path(film, "2A", 1), 2.0, freq=2000)  # runs past the end of the cut
    lines = [_line("1A", 1, 6, 30, "你好"), _line("2A", 1, 20, 23, "再见", speaker=None)]
    out = tmp_path / "renders" / "mix.wav"
    track = build_soundtrack(film, lines, frames=36, fps=FPS, out=out)
    assert track.wav == out
    assert _samples(out) == 3 * 48_000
    assert [(c.start_frame, c.end_frame) for c in track.cues] == [(6, 18), (20, 36)]
    assert [c.text for c in track.cues] == ["你好", "再见"]
    measured = measure_loudness(out)
    assert measured.integrated == pytest.approx(-16, abs=1.0)
    assert measured.true_peak <= -1 + 0.3
    assert track.loudness is not None and track.loudness.integrated == pytest.approx(measured.integrated, abs=0.2)
    assert not [p for p in out.parent.iterdir() if p.name != "mix.wav"]  # no temporary files left behind


def test_music_only_plays_each_bed_until_the_next(film, tmp_path: Path) -> None:
    (film.root / "music").mkdir()
    _tone(film.root / "music" / "a.wav", 0.5, freq=220)
    _tone(film.root / "music" / "b.wav", 0.5, freq=880)
    _configure(film, music=[MusicBed(file="music/b.wav", start=1.0, fade_in=0, fade_out=0),
                            MusicBed(file="music/a.wav", start=0.0, fade_in=0, fade_out=0),
                            MusicBed(file="music/a.wav", start=9.0)])  # after the cut: ignored
    track = build_soundtrack(film, [], frames=24, fps=FPS, out=tmp_path / "mix.wav")
    assert track.wav is not None and _samples(track.wav) == 2 * 48_000
    with wave.open(str(track.wav), "rb") as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, 2)[:, 0] / 32768

    def tone_db(freq: int, t0: float, t1: float) -> float:
        x = audio[round(t0 * 48_000):round(t1 * 48_000)]
        t = np.arange(len(x)) / 48_000
        return 20 * math.log10(2 * abs(x @ np.exp(-2j * np.pi * freq * t)) / len(x) + 1e-12)

    assert tone_db(220, 0.6, 0.9) > tone_db(880, 0.6, 0.9) + 30  # bed a looped, b not started
    assert tone_db(880, 1.2, 1.8) > tone_db(220, 1.2, 1.8) + 30  # bed b took over


# --- TTS ----------------------------------------------------------------------------------------------------------

def test_tts_voices_come_from_the_voices_map_then_the_text(film, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    spoken: list[tuple[str, str | None]] = []

    def fake_speak(text: str, voice: str | None, out_wav: Path) -> float:
        spoken.append((text, voice))
        _tone(out_wav, 0.5)
        return 0.5

    monkeypatch.setattr(sound_service, "speak", fake_speak)
    _configure(film, dialogue="tts", voices={"lin xiao": "cmn+f3", "MAYA": "en-us"})
    lines = [_line("1A", 1, 0, 5, "你好"),  # 林晓 is aliased "Lin Xiao" in the bible; the map key is case-folded
             _line("1A", 2, 6, 11, "Hi.", speaker="Maya"),
             _line("1A", 3, 12, 17, "走吧", speaker="老周"),  # no voice set: chosen from the text
             _line("1A", 4, 18, 23, "Go.", speaker=None)]
    track = build_soundtrack(film, lines, frames=24, fps=FPS, out=tmp_path / "mix.wav")
    assert spoken == [("你好", "cmn+f3"), ("Hi.", "en-us"), ("走吧", "cmn"), ("Go.", "en")]
    assert [(c.start_frame, c.end_frame) for c in track.cues] == [(0, 6), (6, 12), (12, 18), (18, 24)]
    # Spoken lines are cached: a second build speaks nothing.
    spoken.clear()
    build_soundtrack(film, lines, frames=24, fps=FPS, out=tmp_path / "mix.wav")
    assert spoken == []


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_tts_with_espeak_drives_the_subtitles(film, tmp_path: Path) -> None:
    _configure(film, dialogue="tts")
    lines = [_line("1A", 1, 3, 20, "你好，我们走吧。"), _line("2A", 1, 60, 70, "Let's go.", speaker="Maya")]
    track = build_soundtrack(film, lines, frames=84, fps=FPS, out=tmp_path / "mix.wav")
    assert track.wav is not None and _samples(track.wav) == 7 * 48_000
    cached = sorted((film.state_dir / "cache" / "tts").glob("*.wav"))
    assert len(cached) == 2
    for cue, line in zip(track.cues, lines, strict=True):
        assert cue.start_frame == line.cue.start_frame
    seconds = [_samples_at(p) for p in cached]
    assert sorted(c.end_frame - c.start_frame for c in track.cues) == sorted(min(math.ceil(s * FPS), 57)
                                                                             for s in seconds)
    assert track.loudness is not None and track.loudness.integrated == pytest.approx(-14, abs=1.0)


# --- retiming ----------------------------------------------------------------------------------------------------

def test_retime_clamps_to_the_next_cue_and_the_cut_end() -> None:
    cues = [Cue(0, 10, "a"), Cue(12, 20, "b"), Cue(12, 14, "b2"), Cue(30, 40, "c"), Cue(50, 55, "late")]
    out = retime_cues(cues, [2.0, 0.01, None, 3.0, 1.0], fps=12, frames=48)
    assert [(c.start_frame, c.end_frame) for c in out] == [(0, 12), (12, 13), (12, 14), (30, 48), (50, 55)]
    assert [c.text for c in out] == ["a", "b", "b2", "c", "late"]
