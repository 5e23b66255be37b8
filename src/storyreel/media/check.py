"""Checks on a finished delivery: does the file say what the platform needs, and does it sound right?

Every delivery render is probed afterwards (PyAV: container, streams, codec profile, colour tags, frame count)
and its sound measured (EBU R128 via ``media.loudness``, which decodes the audio only). The result is a list of
rules, each with what was expected, what the file has, and pass or fail, so a report can say exactly which
platform requirement a file misses instead of a bare "invalid".

Tolerances: the audio may end up to 50 ms from the picture (AAC works in 1024-sample frames, ~21 ms, plus its
priming); loudness within ±1 LU of the target and true peak at most 0.5 dB over the ceiling (the measurement
after AAC encoding differs slightly from the WAV that was normalised).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av

from storyreel.media.delivery import AUDIO_CHANNELS, AUDIO_RATE, COLOUR, PIX_FMT, VIDEO_PROFILE
from storyreel.media.files import atomic_write_text

__all__ = ["CheckRule", "Expectation", "LoudnessTarget", "check_delivery", "write_report"]

DURATION_TOLERANCE_S = 0.05
LUFS_TOLERANCE = 1.0
PEAK_TOLERANCE = 0.5


@dataclass(frozen=True)
class CheckRule:
    rule: str
    expected: str
    actual: str
    passed: bool


@dataclass(frozen=True)
class LoudnessTarget:
    integrated: float  # LUFS
    true_peak: float  # dBTP ceiling


@dataclass(frozen=True)
class Expectation:
    """What the delivery must be. ``loudness`` None: the sound track is silence (no soundtrack)."""

    width: int
    height: int
    fps: int
    frames: int
    loudness: LoudnessTarget | None = None


@dataclass(frozen=True)
class _Probe:
    video: dict
    audio: dict | None
    faststart: bool | None


def _atoms_in_order(path: Path) -> list[bytes]:
    """Top-level MP4 box types in file order (reads box headers only)."""
    order: list[bytes] = []
    with open(path, "rb") as f:
        while len(order) < 64:
            head = f.read(8)
            if len(head) < 8:
                break
            size = int.from_bytes(head[:4], "big")
            kind = head[4:]
            if size == 1:
                size = int.from_bytes(f.read(8), "big")
                f.seek(size - 16, 1)
            elif size == 0:
                order.append(kind)
                break
            else:
                f.seek(size - 8, 1)
            order.append(kind)
    return order


def _probe(path: Path) -> _Probe:
    with av.open(str(path)) as container:
        video: dict = {}
        if container.streams.video:
            v = container.streams.video[0]
            ctx = v.codec_context
            frames = v.frames or sum(1 for p in container.demux(v) if p.size)
            video = {
                "codec": ctx.name, "profile": ctx.profile, "pix_fmt": ctx.pix_fmt, "width": ctx.width,
                "height": ctx.height, "fps": Fraction(v.average_rate) if v.average_rate else Fraction(0),
                "frames": frames,
                "primaries": _colour(ctx.color_primaries), "transfer": _colour(ctx.color_trc),
                "matrix": _colour(ctx.colorspace),
            }
        audio = None
        if container.streams.audio:
            a = container.streams.audio[0]
            seconds = float(a.duration * a.time_base) if a.duration is not None else None
            audio = {"codec": a.codec_context.name, "rate": a.codec_context.sample_rate,
                     "channels": a.codec_context.channels, "seconds": seconds}
    atoms = _atoms_in_order(path)
    faststart = None
    if b"moov" in atoms and b"mdat" in atoms:
        faststart = atoms.index(b"moov") < atoms.index(b"mdat")
    return _Probe(video, audio, faststart)


# ffmpeg's codes for BT.709 (1) and what we call unknown. PyAV gives ints for colour properties.
_COLOUR_NAMES = {1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}


def _colour(code: object) -> str:
    if code is None:
        return "unspecified"
    try:
        return _COLOUR_NAMES.get(int(code), str(int(code)))
    except (TypeError, ValueError):
        return str(code).lower()


def check_delivery(path: Path, expect: Expectation, *,
                   measure: Callable[[Path], object] | None = None) -> list[CheckRule]:
    """The rules for ``path`` against ``expect``. ``measure`` is the loudness meter (tests may pass a fake);
    by default ``media.loudness.measure_loudness``."""
    path = Path(path)
    rules: list[CheckRule] = []

    def rule(name: str, expected: object, actual: object, passed: bool) -> None:
        rules.append(CheckRule(name, str(expected), str(actual), bool(passed)))

    try:
        p = _probe(path)
    except (av.FFmpegError, OSError) as exc:
        rule("readable", "a playable MP4", f"unreadable: {exc}", False)
        return rules
    v = p.video
    if not v:
        rule("video stream", "present", "missing", False)
    else:
        rule("video codec", "h264", v["codec"], v["codec"] == "h264")
        rule("H.264 profile", VIDEO_PROFILE, v["profile"], v["profile"] == VIDEO_PROFILE)
        rule("pixel format", PIX_FMT, v["pix_fmt"], v["pix_fmt"] == PIX_FMT)
        tags = (v["primaries"], v["transfer"], v["matrix"])
        rule("colour tags (primaries/transfer/matrix)", f"{COLOUR}/{COLOUR}/{COLOUR}", "/".join(tags),
             tags == (COLOUR, COLOUR, COLOUR))
        size = f"{v['width']}x{v['height']}"
        rule("frame size", f"{expect.width}x{expect.height}", size, (v["width"], v["height"]) == (expect.width,
                                                                                              expect.height))
        rule("frame rate", f"{expect.fps}", f"{float(v['fps']):g}", v["fps"] == expect.fps)
        rule("frame count", expect.frames, v["frames"], v["frames"] == expect.frames)
    picture_s = expect.frames / expect.fps
    a = p.audio
    if a is None:
        rule("audio stream", f"aac {AUDIO_RATE} Hz {AUDIO_CHANNELS} ch", "missing", False)
    else:
        rule("audio codec", "aac", a["codec"], a["codec"] == "aac")
        rule("audio sample rate", f"{AUDIO_RATE} Hz", f"{a['rate']} Hz", a["rate"] == AUDIO_RATE)
        rule("audio channels", AUDIO_CHANNELS, a["channels"], a["channels"] == AUDIO_CHANNELS)
        seconds = a["seconds"]
        rule("audio duration", f"{picture_s:.3f} s ±{DURATION_TOLERANCE_S}",
             "unknown" if seconds is None else f"{seconds:.3f} s",
             seconds is not None and abs(seconds - picture_s) <= DURATION_TOLERANCE_S)
    rule("index at the front (+faststart)", "moov before mdat",
         {True: "moov before mdat", False: "moov after mdat", None: "no MP4 index"}[p.faststart], p.faststart)
    if a is not None:
        rules.extend(_loudness_rules(path, expect.loudness, measure))
    return rules


def _loudness_rules(path: Path, target: LoudnessTarget | None, measure: Callable[[Path], object] | None
                    ) -> list[CheckRule]:
    if measure is None:
        from storyreel.media.loudness import measure_loudness

        measure = measure_loudness
    try:
        got = measure(path)
    except Exception as exc:  # noqa: BLE001  a failed measurement is a failed rule, not a crashed render
        return [CheckRule("loudness", "measurable", f"not measurable: {exc}", False)]
    integrated = float(got.integrated)
    peak = float(got.true_peak)
    if target is None:
        # No soundtrack: the track must be silence (nothing leaked in, no noise).
        return [CheckRule("sound", "silence (no soundtrack)", f"{integrated:.1f} LUFS", integrated <= -69.0)]
    peak_text = "-inf" if math.isinf(peak) else f"{peak:.1f} dBTP"
    return [
        CheckRule("integrated loudness", f"{target.integrated:.1f} LUFS ±{LUFS_TOLERANCE:g}",
                  f"{integrated:.1f} LUFS", abs(integrated - target.integrated) <= LUFS_TOLERANCE),
        CheckRule("true peak", f"≤ {target.true_peak + PEAK_TOLERANCE:.1f} dBTP", peak_text,
                  peak <= target.true_peak + PEAK_TOLERANCE),
    ]


def write_report(path: Path, *, video: Path, profile: str, rules: list[CheckRule]) -> Path:
    """The report as JSON (atomically): file, profile, overall pass, and every rule."""
    doc = {
        "schema": "DeliveryReport.1",
        "video": str(video),
        "profile": profile,
        "passed": all(r.passed for r in rules),
        "rules": [asdict(r) for r in rules],
    }
    return atomic_write_text(Path(path), json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
