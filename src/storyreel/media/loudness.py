"""EBU R128 loudness: measure it with ffmpeg's ``ebur128`` filter, and work out the gain that reaches a target.

Only the audio is ever read (``-map 0:a:0 -vn``): measuring a rendered film costs a decode of its sound, not of its
picture, which keeps the delivery check and the two-pass soundtrack normalisation cheap.

``ebur128`` prints its result once, as a "Summary" block at the end of the run, at ffmpeg's *info* log level.
``run_ffmpeg`` keeps ffmpeg at *error* level, so this module runs ffmpeg itself with ``-v level+info``: every log
line then carries its level, which lets us read the summary from the info lines and build error messages from the
``[error]``/``[fatal]`` lines only. Per-frame meter lines are pushed to *verbose* (``framelog=verbose``) so a long
film does not print ten lines a second.

Silence measures as −70 LUFS (the gate's floor: nothing passed the absolute gate) and a true peak of ``-inf``;
both are valid results, not errors.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import classify_stderr, error_summary, ffmpeg_exe

__all__ = ["SILENCE_LUFS", "Loudness", "ebur128_filter", "measure_loudness", "normalise_gain", "run_measured"]

# What ebur128 reports when no block passed the absolute gate (-70 LUFS): there is nothing to normalise.
SILENCE_LUFS = -70.0

_LEVEL_TAG = re.compile(r"\[(panic|fatal|error|warning|info|verbose|debug|trace)\]\s?")
_SUMMARY_I = re.compile(r"^\s*I:\s+(-?(?:inf|\d+(?:\.\d+)?))\s+LUFS", re.MULTILINE)
_SUMMARY_LRA = re.compile(r"^\s*LRA:\s+(-?(?:inf|\d+(?:\.\d+)?))\s+LU\b", re.MULTILINE)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?(?:inf|\d+(?:\.\d+)?))\s+dBFS", re.MULTILINE)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS; SILENCE_LUFS (-70) for silence
    true_peak: float  # dBTP (ebur128's true-peak meter, 4x oversampled); -inf for digital silence
    lra: float  # loudness range, LU

    @property
    def is_silent(self) -> bool:
        return self.integrated <= SILENCE_LUFS + 0.05


def ebur128_filter() -> str:
    """The measuring filter to put at the end of an audio graph (it passes the audio through unchanged)."""
    return "ebur128=peak=true:framelog=verbose"


def parse_summary(log: str) -> Loudness | None:
    """The loudness in the last ebur128 "Summary" block of an ffmpeg log, or ``None`` when there is none."""
    at = log.rfind("Summary:")
    if at < 0:
        return None
    block = log[at:]
    found = [rx.search(block) for rx in (_SUMMARY_I, _SUMMARY_PEAK, _SUMMARY_LRA)]
    if not all(found):
        return None
    integrated, peak, lra = (float(m.group(1)) for m in found)  # type: ignore[union-attr]
    return Loudness(integrated=integrated, true_peak=peak, lra=lra)


def run_measured(args: list[str], *, output: Path, what: Path) -> Loudness:
    """Run ffmpeg with ``args`` (whose graph ends in ``ebur128_filter()``) and return the measured loudness.

    ``output`` is the file errors should name when writing fails; ``what`` is the file being measured or made, for
    the message when ffmpeg fails for another reason.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-nostats", "-v", "level+info", *args]
    try:
        proc = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                              errors="replace")
    except OSError as exc:
        raise MediaError(
            f"Could not start ffmpeg ({cmd[0]}): {exc.strerror or exc}.",
            zh=f"无法启动 ffmpeg（{cmd[0]}）：{exc.strerror or exc}。",
        ) from None
    log = proc.stderr
    if proc.returncode == 0:
        measured = parse_summary(log)
        if measured is not None:
            return measured
        detail = "ffmpeg printed no loudness summary"
    else:
        problems = [_LEVEL_TAG.sub("", line, count=1) for line in log.splitlines()
                    if "[error]" in line or "[fatal]" in line or "[panic]" in line]
        translated = classify_stderr(problems, output)
        if translated is not None:
            raise translated
        detail = error_summary(problems) or f"exit code {proc.returncode}"
        # ffmpeg ≤ 7 says "Stream map '0:a:0' matches no streams", ffmpeg 8+ "Failed to set value '0:a:0'".
        if "0:a:0" in detail:
            detail = "it has no audio stream"
    raise MediaError(
        f"Cannot measure the loudness of {what}: {detail}",
        zh=f"无法测量 {what} 的响度：{detail}",
        path=str(what),
    )


def measure_loudness(path: Path) -> Loudness:
    """EBU R128 integrated loudness, true peak and loudness range of the first audio stream of ``path``.

    Works on a WAV or on a video file (its picture is not decoded). Raises ``MediaError`` when the file is missing,
    unreadable or has no audio.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"Cannot measure the loudness of {path}: no such file.",
                         zh=f"无法测量 {path} 的响度：文件不存在。", path=str(path))
    return run_measured(
        ["-vn", "-sn", "-dn", "-i", str(path), "-map", "0:a:0", "-af", ebur128_filter(), "-f", "null", "-"],
        output=path, what=path,
    )


def normalise_gain(measured: Loudness, target_lufs: float, true_peak: float, *, limiting_db: float = 0.0) -> float:
    """Gain in dB that brings ``measured`` to ``target_lufs`` without its true peak passing ``true_peak`` dBTP.

    When the target would push the peaks over the ceiling, the gain stops where the peaks touch it (so the result
    is quieter than the target) — unless ``limiting_db`` allows the output limiter to take that many dB off the
    highest peaks. Speech has a high crest factor, so a mix with dialogue often needs a few dB of limiting to reach
    −14 LUFS under −1 dBTP. Silence gets 0 dB: there is nothing to bring up.
    """
    if measured.is_silent or not math.isfinite(measured.integrated):
        return 0.0
    gain = target_lufs - measured.integrated
    if math.isfinite(measured.true_peak):
        gain = min(gain, true_peak - measured.true_peak + max(0.0, limiting_db))
    return gain
