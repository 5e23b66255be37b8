"""The soundtrack mix: placement to the sample, exact length, fades, loops, ducking, and two-pass loudness."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from storyreel.errors import MediaError
from storyreel.media.audio import SAMPLE_RATE, Bed, DialogueClip, audio_duration, mix, mix_to_target
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.loudness import measure_loudness

SR = SAMPLE_RATE
MS = SR // 1000  # one millisecond in samples: the placement tolerance


def _source(folder: Path, name: str, expr: str, seconds: float, *, channels: str = "mono", rate: int = SR) -> Path:
    out = folder / name
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={expr}:s={rate}:d={seconds}:c={channels}", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sources")
    return {
        # Music at 220 Hz and dialogue at 3 kHz, so each can be measured separately in the mix.
        "music": _source(d, "music.wav", "0.2*sin(2*PI*220*t)|0.2*sin(2*PI*220*t)", 1.0, channels="stereo"),
        "line": _source(d, "line.wav", "0.2*sin(2*PI*3000*t)", 1.0),
        # A 1 ms click at 22.05 kHz, the rate espeak-ng writes: placement must survive resampling.
        "click": _source(d, "click.wav", "0.5*lt(t\\,0.001)", 0.3, rate=22050),
        # Speech-like crest factor (peaks ~18 dB over the loudness, as espeak-ng's are): a tone with short loud
        # bursts, so reaching -14 LUFS under -1 dBTP needs the limiter.
        "peaky": _source(d, "peaky.wav", "0.14*sin(2*PI*300*t)+0.9*lt(mod(t\\,0.25)\\,0.005)*sin(2*PI*1000*t)", 2.0),
    }


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SR, 2, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return data.reshape(-1, 2).astype(np.float64) / 32768


def _level(audio: np.ndarray, freq: float, t0: float, t1: float) -> float:
    """dB amplitude of the ``freq`` component of the left channel in [t0, t1): one tone, ignoring the others."""
    x = audio[round(t0 * SR):round(t1 * SR), 0]
    t = np.arange(len(x)) / SR
    amp = 2 * np.hypot(x @ np.cos(2 * np.pi * freq * t), x @ np.sin(2 * np.pi * freq * t)) / len(x)
    return 20 * np.log10(amp + 1e-12)


def _rms_db(audio: np.ndarray, t0: float, t1: float) -> float:
    x = audio[round(t0 * SR):round(t1 * SR), 0]
    return 20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12)


def _first_sound(audio: np.ndarray, threshold: float = 0.01) -> int:
    loud = np.flatnonzero(np.abs(audio[:, 0]) > threshold)
    assert loud.size, "the mix is silent"
    return int(loud[0])


# --- length and placement ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("frames", "fps", "samples"), [(30, 12, 120_000), (7, 25, 13_440), (1, 24, 2_000)])
def test_mix_is_exactly_as_long_as_the_cut(tmp_path: Path, src: dict[str, Path], frames: int, fps: int,
                                           samples: int) -> None:
    out = tmp_path / "mix.wav"
    mix([Bed(src["music"])], [DialogueClip(src["line"], 0)], frames=frames, fps=fps, out_wav=out)
    assert len(_read(out)) == samples


@pytest.mark.parametrize(("frame", "fps"), [(7, 12), (13, 24), (0, 12)])
def test_line_starts_on_its_frame(tmp_path: Path, src: dict[str, Path], frame: int, fps: int) -> None:
    out = tmp_path / "click.wav"
    mix([], [DialogueClip(src["click"], frame)], frames=2 * fps, fps=fps, out_wav=out)
    assert abs(_first_sound(_read(out)) - frame * SR // fps) <= MS


def test_line_after_the_end_of_the_cut_is_not_heard(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "late.wav"
    mix([], [DialogueClip(src["click"], 30)], frames=24, fps=12, out_wav=out)
    assert not np.any(_read(out))


def test_nothing_to_play_is_exact_silence(tmp_path: Path) -> None:
    out = tmp_path / "silence.wav"
    loudness = mix([], [], frames=12, fps=12, out_wav=out)
    audio = _read(out)
    assert len(audio) == SR and not np.any(audio)
    assert loudness.is_silent


# --- beds ---------------------------------------------------------------------------------------------------------

def test_bed_starts_late_loops_and_stops_at_its_end(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "bed.wav"
    # A 1 s file from 0.75 s to 2.75 s of a 3 s cut: it must loop once and stop at 2.75 s.
    mix([Bed(src["music"], start=0.75, end=2.75)], [], frames=36, fps=12, out_wav=out)
    audio = _read(out)
    assert abs(_first_sound(audio) - round(0.75 * SR)) <= MS
    assert _level(audio, 220, 2.2, 2.6) == pytest.approx(20 * np.log10(0.2), abs=0.5)  # the loop
    assert not np.any(audio[round(2.75 * SR) + MS:])


def test_bed_gain_and_fades(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "fades.wav"
    mix([Bed(src["music"], gain_db=-6, fade_in=1.0, fade_out=1.0)], [], frames=36, fps=12, out_wav=out)
    audio = _read(out)
    full = _level(audio, 220, 1.3, 1.7)
    assert full == pytest.approx(20 * np.log10(0.2) - 6, abs=0.5)
    # Linear fades: a tenth of the way in the level is ~-20 dB, halfway ~-6 dB.
    assert _rms_db(audio, 0.0, 0.1) < _rms_db(audio, 1.3, 1.7) - 15
    assert _level(audio, 220, 0.45, 0.55) == pytest.approx(full - 6, abs=1.0)
    assert _level(audio, 220, 2.45, 2.55) == pytest.approx(full - 6, abs=1.0)
    assert _rms_db(audio, 2.9, 3.0) < _rms_db(audio, 1.3, 1.7) - 15


def test_unreadable_bed_is_a_media_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio", encoding="utf-8")
    with pytest.raises(MediaError):
        mix([Bed(junk)], [], frames=12, fps=12, out_wav=tmp_path / "out.wav")


# --- ducking --------------------------------------------------------------------------------------------------------

def test_music_ducks_under_dialogue_by_duck_db(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "duck.wav"
    # 3 s of music, a 1 s line from 1.0 s (frame 12 at 12 fps).
    mix([Bed(src["music"], duck_db=-12)], [DialogueClip(src["line"], 12)], frames=36, fps=12, out_wav=out)
    audio = _read(out)
    before, during, after = (_level(audio, 220, 0.2, 0.8), _level(audio, 220, 1.2, 1.9),
                             _level(audio, 220, 2.6, 3.0))
    assert during <= before - 6
    assert during - before == pytest.approx(-12, abs=2)
    assert after == pytest.approx(before, abs=1)
    # The dialogue itself is untouched by the ducking.
    assert _level(audio, 3000, 1.2, 1.9) == pytest.approx(20 * np.log10(0.2) - 3, abs=0.5)  # mono → -3 dB pan


def test_duck_db_zero_leaves_the_music_alone(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "noduck.wav"
    mix([Bed(src["music"], duck_db=0)], [DialogueClip(src["line"], 12)], frames=36, fps=12, out_wav=out)
    audio = _read(out)
    assert _level(audio, 220, 1.2, 1.9) == pytest.approx(_level(audio, 220, 0.2, 0.8), abs=0.3)


# --- loudness ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "ceiling"), [(-14.0, -1.0), (-23.0, -1.0)])
def test_normalised_mix_hits_the_target_under_the_ceiling(tmp_path: Path, src: dict[str, Path], target: float,
                                                          ceiling: float) -> None:
    out = tmp_path / "norm.wav"
    reported = mix_to_target([Bed(src["music"], gain_db=-10, fade_in=0.5)], [DialogueClip(src["peaky"], 6)],
                             frames=36, fps=12, out_wav=out, target_lufs=target, true_peak=ceiling)
    measured = measure_loudness(out)
    assert measured.integrated == pytest.approx(target, abs=1.0)
    assert measured.true_peak <= ceiling + 0.3
    assert reported.integrated == pytest.approx(measured.integrated, abs=0.2)
    assert len(_read(out)) == 3 * SR


def test_linear_gain_reports_what_the_written_file_measures(tmp_path: Path, src: dict[str, Path]) -> None:
    # A quiet music bed reaches -23 LUFS with its peaks far under the ceiling: no limiter, so the WAV is written
    # without a second measurement and the loudness is worked out from the gain. It must be what the file holds.
    out = tmp_path / "linear.wav"
    reported = mix_to_target([Bed(src["music"], gain_db=-10)], [], frames=36, fps=12, out_wav=out,
                             target_lufs=-23.0, true_peak=-1.0)
    measured = measure_loudness(out)
    assert reported.integrated == pytest.approx(-23.0, abs=0.05)
    assert measured.integrated == pytest.approx(reported.integrated, abs=0.2)
    assert measured.true_peak == pytest.approx(reported.true_peak, abs=0.2)
    assert measured.true_peak < -1.0 - 0.5
    assert len(_read(out)) == 3 * SR


def test_silence_normalises_to_silence(tmp_path: Path) -> None:
    out = tmp_path / "quiet.wav"
    assert mix_to_target([], [], frames=12, fps=12, out_wav=out, target_lufs=-14, true_peak=-1).is_silent
    assert not np.any(_read(out))


# --- durations ----------------------------------------------------------------------------------------------------

def test_audio_duration_counts_samples(src: dict[str, Path], tmp_path: Path) -> None:
    assert audio_duration(src["click"], exact=True) == pytest.approx(0.3, abs=1 / 22050)
    assert audio_duration(src["music"]) == pytest.approx(1.0, abs=0.01)
    text = tmp_path / "text.wav"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(MediaError, match="text.wav"):
        audio_duration(text)
    with pytest.raises(MediaError, match="no such file"):
        audio_duration(tmp_path / "missing.wav")


def test_overlapping_lines_both_play_in_place(tmp_path: Path, src: dict[str, Path]) -> None:
    out = tmp_path / "overlap.wav"
    # The 1 s line from frame 0 is still speaking when the click comes at frame 6 (0.5 s): a second lane.
    mix([], [DialogueClip(src["line"], 0), DialogueClip(src["click"], 6)], frames=24, fps=12, out_wav=out)
    audio = _read(out)
    assert _first_sound(audio) <= MS
    assert abs(_first_sound(audio, threshold=0.25) - SR // 2) <= MS  # only the click rises above the tone
    assert _level(audio, 3000, 0.6, 0.9) == pytest.approx(20 * np.log10(0.2) - 3, abs=0.5)
