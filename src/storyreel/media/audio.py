"""The soundtrack mix: music beds and dialogue lines placed on the cut's timeline, ducked, normalised, limited.

One ffmpeg run builds the whole mix from the source files (audio only, never the picture):

    bed k ─ loop/cut to length ─ gain ─ fade in/out ─ delay to its start ─ pad ─┐
                                                 duck key ─▶ sidechaincompress ─┼─ amix ─ gain ─ limiter ─ exact length
    line j ─ 48 kHz stereo ─ delay to its cue's start frame ─ amix (dialogue bus) ─┘

Placement is in samples at 48 kHz (frame ``f`` starts at ``f * 48000 / fps``), so a line lands on its frame to the
sample for every integer rate that divides 48000 (12, 24, 25, 30, 48, 50, 60 …) and within half a sample otherwise.
The output is exactly ``round(frames * 48000 / fps)`` samples: padded with silence or cut at the end.

Ducking. The compressor on each bed is keyed by the dialogue bus made binary first (raised 90 dB and saturated, so
full scale wherever a line is louder than one 16-bit step, silence elsewhere) and moved 50 ms earlier. Keying on the
voice's raw level would make the depth depend on how loud each speaker is (a whisper would barely duck, a shout
would bury the music); a key of known level makes the depth exactly the bed's ``duck_db`` (ratio 20 above a
threshold placed ``duck_db / 0.95`` under the key), and the lead lets the music dip before the first syllable
instead of after it. Pauses shorter than the release (400 ms) keep the music down, so it does not pump between words.

Normalisation is two passes over audio only (``mix_to_target``): pass 1 renders the unlimited mix to a float WAV and
measures it with ``ebur128`` in the same graph; pass 2 applies the gain that reaches the target and a true-peak
limiter (``alimiter`` run at 4x the sample rate, so it sees the peaks between samples), measuring again. When the
peaks stay clear of the ceiling anyway there is no limiter, the gain is linear and its result known: pass 2 then
only writes the gained WAV, without measuring it. When limiting has pulled a peaky mix (speech) more than 0.5 LU
under the target, the gain pass is repeated with the difference added (at most twice, and never beyond the limiting
budget) — cheap, as it reads only the pass-1 WAV.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import check_writable, run_ffmpeg
from storyreel.media.loudness import Loudness, ebur128_filter, normalise_gain, run_measured

__all__ = [
    "LIMITING_DB", "SAMPLE_RATE", "Bed", "DialogueClip", "apply_gain", "audio_duration", "mix", "mix_to_target",
    "sample_at",
]

SAMPLE_RATE = 48_000
# How many dB the output limiter may take off the highest peaks to reach the loudness target (see normalise_gain).
LIMITING_DB = 6.0

_KEY_LEAD_S = 0.050  # the music starts to dip this long before a line
_DUCK_ATTACK_MS = 40
_DUCK_RELEASE_MS = 400
_DUCK_RATIO = 20.0
_MIN_THRESHOLD_DB = -60.2  # sidechaincompress's lowest threshold (0.000976563)
# Gain that lifts one 16-bit step (3e-5) to full scale: the key is "someone is speaking", not how loud.
_KEY_BOOST_DB = 90
_LIMITER_OVERSAMPLE = 4
# The limiter sits a little under the ceiling: the way back from 192 kHz to 48 kHz can add a small overshoot.
_LIMITER_MARGIN_DB = 0.2
# No limiter at all when the loudest true peak after the gain stays this far under the ceiling (it would do nothing).
_LIMITER_SKIP_DB = 0.5
# Corrective gain passes (over the float WAV only) when limiting left the mix this far from the target.
_TARGET_TOLERANCE_LU = 0.5
_MAX_CORRECTIONS = 2
_STEREO = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass(frozen=True)
class Bed:
    """A music bed on the cut's timeline. Shorter files loop; longer ones are cut at ``end``."""

    path: Path
    start: float = 0.0  # seconds into the cut
    end: float | None = None  # seconds into the cut; None = the end of the cut
    gain_db: float = 0.0
    fade_in: float = 0.0  # seconds, from ``start``
    fade_out: float = 0.0  # seconds, ending at ``end``
    duck_db: float = -12.0  # level change while dialogue plays (0 = no ducking)


@dataclass(frozen=True)
class DialogueClip:
    """One spoken line: a sound file starting at ``start_frame`` of the cut."""

    path: Path
    start_frame: int
    seconds: float | None = None  # the file's exact length when already known (else it is decoded to find out)


def sample_at(seconds: float) -> int:
    """The 48 kHz sample index of a time in seconds."""
    return round(seconds * SAMPLE_RATE)


def _frame_sample(frame: int, fps: int) -> int:
    return round(frame * SAMPLE_RATE / fps)


def _unreadable(path: Path, detail: str) -> MediaError:
    return MediaError(
        f"Cannot read the sound file {path}: {detail}. The file may be missing, incomplete or not audio.",
        zh=f"无法读取声音文件 {path}：{detail}。文件可能不存在、不完整或不是音频。",
        path=str(path),
    )


def audio_duration(path: Path, *, exact: bool = False) -> float:
    """Seconds of sound in the first audio stream of ``path``; raises ``MediaError`` when it cannot be decoded.

    The first packets are always decoded, so a file that only looks like audio fails here and not halfway through a
    mix. ``exact`` decodes everything and counts samples (use it for short files whose length matters, such as
    dialogue lines that retime subtitles); otherwise the container's stated duration is used.
    """
    path = Path(path)
    if not path.is_file():
        raise _unreadable(path, "no such file")
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                raise _unreadable(path, "it has no audio stream")
            stream = container.streams.audio[0]
            samples = 0
            rate = 0
            for frame in container.decode(stream):
                rate = frame.sample_rate or rate
                samples += frame.samples
                if not exact and samples:
                    break
            if not samples:
                raise _unreadable(path, "it holds no sound")
            if exact:
                return samples / rate
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / av.time_base
            return samples / rate
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(path, str(exc).strip() or type(exc).__name__) from None


# --- the graph ------------------------------------------------------------------------------------------------

def _threshold(duck_db: float) -> float:
    """Linear threshold that turns a 0 dBFS key into ``duck_db`` of gain reduction at ``_DUCK_RATIO``."""
    db = duck_db / (1.0 - 1.0 / _DUCK_RATIO)
    return 10 ** (max(db, _MIN_THRESHOLD_DB) / 20)


def _fade_samples(bed: Bed, length: int) -> tuple[int, int]:
    """Fade lengths in samples, shrunk in proportion when together they are longer than the bed."""
    fade_in, fade_out = sample_at(bed.fade_in), sample_at(bed.fade_out)
    if fade_in + fade_out > length:
        scale = length / (fade_in + fade_out)
        fade_in, fade_out = int(fade_in * scale), int(fade_out * scale)
    return fade_in, fade_out


def _bed_chain(k: int, bed: Bed, *, total: int) -> str | None:
    start = sample_at(bed.start)
    end = total if bed.end is None else min(total, sample_at(bed.end))
    length = end - start
    if length <= 0:
        return None
    fade_in, fade_out = _fade_samples(bed, length)
    parts = [f"[{k}:a:0]{_STEREO}", "asetpts=N/SR/TB", f"atrim=end_sample={length}", f"volume={bed.gain_db:.3f}dB"]
    if fade_in:
        parts.append(f"afade=t=in:ss=0:ns={fade_in}")
    if fade_out:
        parts.append(f"afade=t=out:ss={length - fade_out}:ns={fade_out}")
    if start:
        parts.append(f"adelay=delays={start}S:all=1")
    parts.append(f"apad=whole_len={total},atrim=end_sample={total}")
    return ",".join(parts)


def _mix_labels(labels: list[str], out: str) -> str:
    if len(labels) == 1:
        return f"{labels[0]}anull[{out}]"
    return f"{''.join(labels)}amix=inputs={len(labels)}:duration=longest:normalize=0[{out}]"


def _placements(lines: Sequence[DialogueClip], *, total: int, fps: int) -> list[tuple[int, int, DialogueClip]]:
    """(start sample, length in samples, line) of each line heard in the cut, in order of start."""
    placed = []
    for line in lines:
        start = _frame_sample(line.start_frame, fps)
        if start >= total:
            continue  # after the end of the cut: nothing of it would be heard
        seconds = line.seconds if line.seconds is not None else audio_duration(line.path, exact=True)
        # +2 samples: resampling to 48 kHz may round the length up.
        placed.append((start, math.ceil(seconds * SAMPLE_RATE) + 2, line))
    return sorted(placed, key=lambda p: p[0])


def _lanes(placed: list[tuple[int, int, DialogueClip]]) -> list[list[tuple[int, int, DialogueClip]]]:
    """Lines grouped so that none overlaps another in its lane (usually one lane; two where lines overlap)."""
    lanes: list[list[tuple[int, int, DialogueClip]]] = []
    ends: list[int] = []
    for item in placed:
        start, length, _ = item
        free = next((i for i, end in enumerate(ends) if end <= start), None)
        if free is None:
            lanes.append([item])
            ends.append(start + length)
        else:
            lanes[free].append(item)
            ends[free] = start + length
    return lanes


def _graph(beds: Sequence[Bed], lines: Sequence[DialogueClip], *, total: int, fps: int) -> tuple[list[str], list[str]]:
    """Input arguments and filter chains of the mix; the chains end in the label ``[mix]`` (unlimited, gain 0).

    Each dialogue lane is one ``concat`` of its lines, each padded with silence up to the next line's start: the
    graph then processes the cut's length once per lane, not once per line (delaying every line to its place and
    mixing them all would push hours of silence through ``amix`` for a film with a hundred lines).
    """
    inputs: list[str] = []
    chains: list[str] = []
    lane_labels: list[str] = []
    for n, lane in enumerate(_lanes(_placements(lines, total=total, fps=fps))):
        segments = []
        for j, (start, _, line) in enumerate(lane):
            k = len(_input_files(inputs))
            inputs += ["-i", str(line.path)]
            room = (lane[j + 1][0] if j + 1 < len(lane) else total) - start
            chains.append(f"[{k}:a:0]{_STEREO},asetpts=N/SR/TB,apad=whole_len={room},atrim=end_sample={room}"
                          f"[l{n}s{j}]")
            segments.append(f"[l{n}s{j}]")
        joined = f"concat=n={len(segments)}:v=0:a=1," if len(segments) > 1 else ""
        first = lane[0][0]
        delay = f"adelay=delays={first}S:all=1," if first else ""
        chains.append(f"{''.join(segments)}{joined}{delay}apad=whole_len={total},atrim=end_sample={total}[lane{n}]")
        lane_labels.append(f"[lane{n}]")

    beds_placed: list[tuple[str, Bed]] = []
    for bed in beds:
        k = len(_input_files(inputs))
        chain = _bed_chain(k, bed, total=total)
        if chain is None:
            continue
        # -stream_loop goes before its -i; ``inputs`` then holds four items for this input.
        inputs += ["-stream_loop", "-1", "-i", str(bed.path)]
        label = f"bed{len(beds_placed)}"
        chains.append(f"{chain}[{label}]")
        beds_placed.append((f"[{label}]", bed))

    ducked = [(label, bed) for label, bed in beds_placed if lane_labels and bed.duck_db < -0.05]
    buses: list[str] = []
    if lane_labels:
        if ducked:
            chains.append(_mix_labels(lane_labels, "dlgfull"))
            chains.append("[dlgfull]asplit=2[dlg][dlgkey]")
            lead = sample_at(_KEY_LEAD_S)
            splits = "".join(f"[key{i}]" for i in range(len(ducked)))
            # The key: +90 dB then 16-bit saturation turns anything louder than one 16-bit step into full scale.
            chains.append(
                f"[dlgkey]volume={_KEY_BOOST_DB}dB,aformat=sample_fmts=s16,"
                f"atrim=start_sample={lead},asetpts=N/SR/TB,apad=whole_len={total},atrim=end_sample={total},"
                f"asplit={len(ducked)}{splits}"
            )
        else:
            chains.append(_mix_labels(lane_labels, "dlg"))
        buses.append("[dlg]")
    music: list[str] = []
    for i, (label, bed) in enumerate(ducked):
        chains.append(
            f"{label}[key{i}]sidechaincompress=threshold={_threshold(bed.duck_db):.6f}:ratio={_DUCK_RATIO}:"
            f"attack={_DUCK_ATTACK_MS}:release={_DUCK_RELEASE_MS}:knee=1:detection=rms:link=maximum[duck{i}]"
        )
        music.append(f"[duck{i}]")
    music += [label for label, bed in beds_placed if (label, bed) not in ducked]
    if music:
        chains.append(_mix_labels(music, "music"))
        buses.insert(0, "[music]")
    if not buses:
        buses.append(f"[{len(_input_files(inputs))}:a:0]")
        inputs += ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
    chains.append(_mix_labels(buses, "premix"))
    chains.append(f"[premix]apad=whole_len={total},atrim=end_sample={total}[mix]")
    return inputs, chains


def _input_files(inputs: list[str]) -> list[str]:
    return [inputs[i + 1] for i, arg in enumerate(inputs) if arg == "-i"]


def _limiter(true_peak: float) -> str:
    limit = 10 ** ((true_peak - _LIMITER_MARGIN_DB) / 20)
    up = SAMPLE_RATE * _LIMITER_OVERSAMPLE
    # level=0: alimiter otherwise raises the whole signal to the limit ("auto level"), undoing our gain.
    # latency=1: compensate the look-ahead so nothing moves off its sample.
    return (f"aresample={up},alimiter=limit={max(limit, 0.0625):.6f}:attack=5:release=50:level=0:latency=1,"
            f"aresample={SAMPLE_RATE}")


def _finish(label: str, *, total: int, gain_db: float, true_peak: float | None) -> str:
    parts = [f"[{label}]volume={gain_db:.3f}dB"]
    if true_peak is not None:
        parts.append(_limiter(true_peak))
    parts += ["aformat=channel_layouts=stereo", f"apad=whole_len={total},atrim=end_sample={total}",
              ebur128_filter(), f"aformat=sample_fmts=flt:sample_rates={SAMPLE_RATE}:channel_layouts=stereo[out]"]
    return ",".join(parts)


def _output_args(out_wav: Path, codec: str) -> list[str]:
    return ["-map", "[out]", "-c:a", codec, "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "wav", str(out_wav)]


def _total_samples(frames: int, fps: int) -> int:
    if frames <= 0 or fps <= 0:
        raise ValueError(f"a mix needs frames > 0 and fps > 0, got frames={frames}, fps={fps}")
    return _frame_sample(frames, fps)


def _render(beds: Sequence[Bed], lines: Sequence[DialogueClip], *, frames: int, fps: int, out_wav: Path,
            gain_db: float, true_peak: float | None, codec: str) -> Loudness:
    total = _total_samples(frames, fps)
    inputs, chains = _graph(beds, lines, total=total, fps=fps)
    chains.append(_finish("mix", total=total, gain_db=gain_db, true_peak=true_peak))
    out_wav = Path(out_wav)
    check_writable(out_wav.parent, output=out_wav)
    return run_measured([*inputs, "-filter_complex", ";".join(chains), *_output_args(out_wav, codec)],
                        output=out_wav, what=out_wav)


def mix(beds: Sequence[Bed], lines: Sequence[DialogueClip], *, frames: int, fps: int, out_wav: Path,
        gain_db: float = 0.0, true_peak: float | None = -1.0) -> Loudness:
    """Render the mix in one ffmpeg run: 48 kHz stereo 16-bit WAV, exactly ``frames / fps`` seconds long.

    ``gain_db`` is applied to the whole mix, then a limiter holds the true peak under ``true_peak`` dBTP (``None``:
    no limiter). Returns the loudness of what was written.
    """
    return _render(beds, lines, frames=frames, fps=fps, out_wav=out_wav, gain_db=gain_db, true_peak=true_peak,
                   codec="pcm_s16le")


def apply_gain(in_wav: Path, out_wav: Path, *, gain_db: float, true_peak: float | None) -> Loudness:
    """Second pass: ``in_wav`` with ``gain_db`` and the true-peak limiter (``None``: none), as a 16-bit WAV of the
    same length. Returns the loudness of what was written."""
    in_wav, out_wav = Path(in_wav), Path(out_wav)
    total = round(audio_duration(in_wav, exact=True) * SAMPLE_RATE)
    chain = _finish("0:a:0", total=total, gain_db=gain_db, true_peak=true_peak)
    check_writable(out_wav.parent, output=out_wav)
    return run_measured(["-i", str(in_wav), "-filter_complex", chain, *_output_args(out_wav, "pcm_s16le")],
                        output=out_wav, what=out_wav)


def _write_gain(in_wav: Path, out_wav: Path, *, total: int, gain_db: float) -> None:
    """``in_wav`` with a plain gain as a 16-bit WAV of exactly ``total`` samples (no limiter, no meter)."""
    chain = f"volume={gain_db:.3f}dB,aformat=channel_layouts=stereo,apad=whole_len={total},atrim=end_sample={total}"
    run_ffmpeg(["-i", str(in_wav), "-af", chain, "-c:a", "pcm_s16le", "-ar", str(SAMPLE_RATE), "-ac", "2",
                "-f", "wav", str(out_wav)], output=out_wav)


def _limit_to(measured: Loudness, gain_db: float, true_peak: float) -> float | None:
    """The limiter's ceiling, or ``None`` when the peaks after ``gain_db`` stay clear of it and it would do nothing."""
    if math.isfinite(measured.true_peak) and measured.true_peak + gain_db <= true_peak - _LIMITER_SKIP_DB:
        return None
    return true_peak


def mix_to_target(beds: Sequence[Bed], lines: Sequence[DialogueClip], *, frames: int, fps: int, out_wav: Path,
                  target_lufs: float, true_peak: float, limiting_db: float = LIMITING_DB) -> Loudness:
    """Render the mix normalised to ``target_lufs`` (integrated) under ``true_peak`` dBTP, in two audio-only passes.

    Returns the loudness measured on the final file. Silence stays silence (no gain is applied to it).
    """
    out_wav = Path(out_wav)
    check_writable(out_wav.parent, output=out_wav)
    with tempfile.TemporaryDirectory(prefix=".storyreel-mix-", dir=out_wav.parent) as tmp:
        raw = Path(tmp) / "unnormalised.wav"
        # Float, unlimited: pass 1 must measure the mix as it is, clipping nothing.
        measured = _render(beds, lines, frames=frames, fps=fps, out_wav=raw, gain_db=0.0, true_peak=None,
                           codec="pcm_f32le")
        gain = normalise_gain(measured, target_lufs, true_peak, limiting_db=limiting_db)
        limit = _limit_to(measured, gain, true_peak)
        if limit is None and not measured.is_silent:
            # No limiter: the gain is linear, so the loudness moves by exactly the gain (R128's relative gates move
            # with it) and the target is met. Measuring again would run a 4x-oversampled true-peak meter over the
            # whole soundtrack for a number we already know; the delivery check still measures the written film.
            _write_gain(raw, out_wav, total=_total_samples(frames, fps), gain_db=gain)
            return Loudness(measured.integrated + gain, measured.true_peak + gain, measured.lra)
        result = apply_gain(raw, out_wav, gain_db=gain, true_peak=limit)
        for _ in range(_MAX_CORRECTIONS):
            if result.is_silent or abs(result.integrated - target_lufs) <= _TARGET_TOLERANCE_LU:
                break
            # Limiting peaks lowers the loudness a little (the limiter's release also holds down what follows a
            # peak), so a peaky mix lands under the target: ask for the difference, still within the peak budget.
            wanted = measured.integrated + gain + (target_lufs - result.integrated)
            corrected = normalise_gain(measured, wanted, true_peak, limiting_db=limiting_db)
            if abs(corrected - gain) < 0.1:
                break
            gain = corrected
            result = apply_gain(raw, out_wav, gain_db=gain, true_peak=_limit_to(measured, gain, true_peak))
        return result
