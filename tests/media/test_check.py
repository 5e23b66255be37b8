"""Post-render checks: a conforming delivery passes every rule; a wrong file fails the rules it breaks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from storyreel.media.check import CheckRule, Expectation, LoudnessTarget, check_delivery, write_report
from storyreel.media.delivery import film_canvas
from storyreel.media.effects import ReelClip
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.loudness import Loudness
from storyreel.media.reel import render_reel

W, H, FPS = 160, 90, 12


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    src = folder / "src.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={FPS}", "-frames:v", "12", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(src))
    return render_reel([ReelClip(src, 0, 12)], out=folder / "good.mp4", canvas=film_canvas(W, H), fps=FPS,
                       silent_audio=True).video


@pytest.fixture(scope="module")
def wrong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything a platform would refuse: MPEG-4 Part 2, 4:4:4, untagged, 44.1 kHz mono MP3, index at the end."""
    path = tmp_path_factory.mktemp("wrong") / "wrong.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=s=128x96:r=10", "-f", "lavfi", "-i", "sine=frequency=440:r=44100",
            "-frames:v", "10", "-t", "1", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-ac", "1",
            str(path))
    return path


def _by_rule(rules: list[CheckRule]) -> dict[str, CheckRule]:
    return {r.rule: r for r in rules}


def test_a_conforming_delivery_passes(good: Path) -> None:
    rules = check_delivery(good, Expectation(W, H, FPS, 12))
    assert rules and all(r.passed for r in rules), [r for r in rules if not r.passed]
    names = {r.rule for r in rules}
    assert {"video codec", "H.264 profile", "pixel format", "frame size", "frame rate", "frame count",
            "audio codec", "audio sample rate", "audio channels", "audio duration", "sound"} <= names


def test_a_wrong_file_fails_the_rules_it_breaks(wrong: Path) -> None:
    rules = _by_rule(check_delivery(wrong, Expectation(W, H, FPS, 12)))
    failed = {name for name, r in rules.items() if not r.passed}
    assert {"video codec", "colour tags (primaries/transfer/matrix)", "frame size", "frame rate", "frame count",
            "audio codec", "audio sample rate", "audio channels", "index at the front (+faststart)"} <= failed
    assert rules["video codec"].actual == "mpeg4" and rules["audio sample rate"].actual == "44100 Hz"
    assert rules["frame count"].actual == "10"


def test_expectations_are_compared_not_assumed(good: Path) -> None:
    rules = _by_rule(check_delivery(good, Expectation(W, H, FPS, 13)))  # one frame more than written
    assert not rules["frame count"].passed and not rules["audio duration"].passed
    assert rules["frame size"].passed


def test_loudness_rules_against_the_target(good: Path) -> None:
    target = LoudnessTarget(-14.0, -1.0)
    ok = _by_rule(check_delivery(good, Expectation(W, H, FPS, 12, target),
                                 measure=lambda _: Loudness(integrated=-14.6, true_peak=-1.2, lra=3.0)))
    assert ok["integrated loudness"].passed and ok["true peak"].passed
    loud = _by_rule(check_delivery(good, Expectation(W, H, FPS, 12, target),
                                   measure=lambda _: Loudness(integrated=-11.5, true_peak=0.3, lra=3.0)))
    assert not loud["integrated loudness"].passed and not loud["true peak"].passed
    assert loud["integrated loudness"].actual == "-11.5 LUFS"


def test_a_silent_delivery_must_be_silence(good: Path) -> None:
    noisy = _by_rule(check_delivery(good, Expectation(W, H, FPS, 12),
                                    measure=lambda _: Loudness(integrated=-30.0, true_peak=-10.0, lra=1.0)))
    assert not noisy["sound"].passed
    assert _by_rule(check_delivery(good, Expectation(W, H, FPS, 12)))["sound"].passed  # the real measurement


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    rules = check_delivery(bad, Expectation(W, H, FPS, 12))
    assert len(rules) == 1 and not rules[0].passed and rules[0].rule == "readable"


def test_report_json(tmp_path: Path, wrong: Path) -> None:
    rules = check_delivery(wrong, Expectation(W, H, FPS, 12))
    path = write_report(tmp_path / "wrong.report.json", video=wrong, profile="douyin", rules=rules)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["passed"] is False and doc["profile"] == "douyin" and doc["video"] == str(wrong)
    assert [r["rule"] for r in doc["rules"]] == [r.rule for r in rules]
    assert all(set(r) == {"rule", "expected", "actual", "passed"} for r in doc["rules"])
