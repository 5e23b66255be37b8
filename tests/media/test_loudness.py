"""EBU R128 measurement through ffmpeg's ebur128 filter, and the gain that reaches a loudness target."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.loudness import SILENCE_LUFS, Loudness, measure_loudness, normalise_gain, parse_summary

# BS.1770 calibration: a full-scale 1 kHz sine on one channel reads -3.01 LUFS, so the same sine on both channels
# reads 0 LUFS, and amplitude 0.1 reads -20 LUFS. Its true peak is 20*log10(0.1) = -20 dBTP.
_AMP = 0.1
_EXPECTED_LUFS = -20.0
_EXPECTED_PEAK = -20.0


def _lavfi(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args, str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    expr = f"{_AMP}*sin(2*PI*1000*t)"
    return _lavfi(tmp_path_factory.mktemp("tone"), "tone.wav", "-f", "lavfi", "-i",
                  f"aevalsrc={expr}|{expr}:s=48000:d=3")


def test_tone_measures_its_known_loudness_every_time(tone: Path) -> None:
    first = measure_loudness(tone)
    assert first.integrated == pytest.approx(_EXPECTED_LUFS, abs=0.3)
    assert first.true_peak == pytest.approx(_EXPECTED_PEAK, abs=0.3)
    assert measure_loudness(tone) == first


def test_silence_is_minus_70_and_minus_inf(tmp_path: Path) -> None:
    silent = _lavfi(tmp_path, "silence.wav", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2")
    measured = measure_loudness(silent)
    assert measured.integrated == SILENCE_LUFS
    assert measured.true_peak == -math.inf
    assert measured.is_silent


def test_reads_the_audio_of_a_video_file(tmp_path: Path) -> None:
    expr = f"{_AMP}*sin(2*PI*1000*t)"
    video = _lavfi(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=2",
                   "-f", "lavfi", "-i", f"aevalsrc={expr}|{expr}:s=48000:d=2",
                   "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest")
    assert measure_loudness(video).integrated == pytest.approx(_EXPECTED_LUFS, abs=0.5)


def test_video_without_audio_says_so(tmp_path: Path) -> None:
    video = _lavfi(tmp_path, "mute.mp4", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=1",
                   "-c:v", "libx264", "-preset", "ultrafast")
    with pytest.raises(MediaError, match="no audio stream") as info:
        measure_loudness(video)
    assert info.value.zh


def test_missing_and_broken_files_are_media_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        measure_loudness(tmp_path / "nope.wav")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    with pytest.raises(MediaError, match="broken.wav"):
        measure_loudness(broken)


def test_parse_summary_reads_the_last_block() -> None:
    log = ("[Parsed_ebur128_0 @ 0x1] [info] Summary:\n\n  Integrated loudness:\n    I:         -30.0 LUFS\n"
           "  Loudness range:\n    LRA:         2.0 LU\n  True peak:\n    Peak:      -9.0 dBFS\n"
           "[Parsed_ebur128_0 @ 0x1] [info] Summary:\n\n  Integrated loudness:\n    I:         -70.0 LUFS\n"
           "    Threshold:   0.0 LUFS\n  Loudness range:\n    LRA:         0.0 LU\n"
           "  True peak:\n    Peak:       -inf dBFS\n")
    assert parse_summary(log) == Loudness(-70.0, -math.inf, 0.0)
    assert parse_summary("no summary here") is None


# --- the gain -------------------------------------------------------------------------------------------------

def test_gain_reaches_the_target_when_peaks_allow() -> None:
    assert normalise_gain(Loudness(-20.0, -12.0, 3.0), -14.0, -1.0) == pytest.approx(6.0)
    assert normalise_gain(Loudness(-10.0, -2.0, 3.0), -23.0, -1.0) == pytest.approx(-13.0)


def test_gain_stops_where_the_peaks_touch_the_ceiling() -> None:
    # +6 dB would put the peak at +1 dBTP; without limiting, the gain stops at -1 dBTP.
    assert normalise_gain(Loudness(-20.0, -5.0, 3.0), -14.0, -1.0) == pytest.approx(4.0)
    # Allowing 3 dB of limiting lets it go further, but not past the target.
    assert normalise_gain(Loudness(-20.0, -5.0, 3.0), -14.0, -1.0, limiting_db=3.0) == pytest.approx(6.0)
    assert normalise_gain(Loudness(-20.0, -2.0, 3.0), -14.0, -1.0, limiting_db=3.0) == pytest.approx(4.0)


def test_silence_gets_no_gain() -> None:
    assert normalise_gain(Loudness(SILENCE_LUFS, -math.inf, 0.0), -14.0, -1.0) == 0.0
