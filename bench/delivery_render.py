"""Delivery render vs one bare ffmpeg re-encode of the same footage (and MoviePy, when it can be installed).

Makes N takes (default 60 x 5 s, 1280x720, 24 fps, H.264 from ffmpeg's ``testsrc2``, with an AAC sound track as
generators with sound deliver them and as every take lands normalised; ``--silent-takes`` for none) and times, in
one run:

(a) bare: ffmpeg concat demuxer -> libx264 (same preset, CRF and output size as (b)), video only (-an);
(a') the same bare re-encode as ffmpeg does it by default: the takes' sound re-encoded as AAC;
(b) storyreel: what ``render_delivery`` does after assembling the cut — the loudness-normalised music bed
    (a generated sine WAV through ``media.audio.mix_to_target``), the one-pass render (``media.reel``: every
    clip split out by frame count, one handheld clip, one dissolve, burned subtitles from an ASS in the profile's
    safe area, AAC mux), the SRT, and the post-render checks (PyAV probe + EBU R128 of the audio);
(c) MoviePy: ``concatenate_videoclips(...).write_videofile`` at the same preset and CRF, run in the bench's own
    virtual environment (/tmp/storyreel-bench-moviepy, created with ``pip install moviepy`` when missing; skipped
    with a message when that fails). MoviePy is never a storyreel dependency.

Prints each time, the ratios b/a and b/a' (goal <= 1.15) and a/c, and real-time factors. No thresholds, no pass/fail.
Beside each wall time it prints the CPU time (user + system, of ffmpeg and of this process): on a shared machine the
wall clock drifts with the neighbours' load, while the CPU a render costs barely moves, so compare those first.

    python bench/delivery_render.py [--small] [--clips 60] [--seconds 5] [--profile film|youtube|douyin|...]
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from storyreel.media.audio import Bed, mix_to_target
from storyreel.media.check import Expectation, LoudnessTarget, check_delivery
from storyreel.media.delivery import PROFILES, DeliveryProfile, SafeArea, subtitles_ass
from storyreel.media.effects import ReelClip, total_frames
from storyreel.media.ffmpeg import concat_quote, ffmpeg_exe
from storyreel.media.fonts import cjk_font
from storyreel.media.reel import render_reel
from storyreel.media.subtitles import Cue, write_srt
from storyreel.model import ClipEffects, Transition

WIDTH, HEIGHT, FPS = 1280, 720, 24
MOVIEPY_VENV = Path("/tmp/storyreel-bench-moviepy")
LINES = [("林晓", "我们没有时间了，必须在天亮之前离开这座城市。"),
         ("Maya", "Then we go now, before anyone notices the door is open.")]


def cpu_s() -> float:
    """CPU seconds used so far by this process and the children it waited for (ffmpeg runs)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_takes(folder: Path, count: int, seconds: float, *, sound: bool = True) -> list[Path]:
    """Takes as generators with sound deliver them (and as every take lands normalised: with an AAC track)."""
    frames = round(seconds * FPS)
    paths = []
    for k in range(count):
        path = folder / f"take{k:03d}.mp4"
        audio = (["-f", "lavfi", "-i", f"sine=f={200 + 10 * k}:r=48000:d={seconds}", "-c:a", "aac", "-b:a", "128k",
                  "-ac", "2"] if sound else [])
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i",
             f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS},trim=start_frame={k * 7},setpts=N/TB/{FPS}", *audio,
             "-frames:v", str(frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
             str(path)], check=True)
        paths.append(path)
    return paths


def sine_wav(path: Path, seconds: float) -> Path:
    rate = 48000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        block = b"".join(struct.pack("<hh", v, v) for v in
                         (int(6000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(rate)))
        for _ in range(math.ceil(seconds)):
            w.writeframes(block)
    return path


def bare(folder: Path, takes: list[Path], frames: int, profile: DeliveryProfile, preset: str, crf: int,
         *, audio: bool = False) -> tuple[float, float]:
    """One plain re-encode of the footage: video only (the issue's anchor), or with its sound as AAC 48 kHz."""
    listing = folder / "bare.ffconcat"
    lines = ["ffconcat version 1.0"]
    for path in takes:
        lines += [f"file {concat_quote(path)}", f"duration {frames / FPS:.6f}"]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    scale = [] if (profile.width, profile.height) == (WIDTH, HEIGHT) else [
        "-vf", f"scale={profile.width}:{profile.height}"]
    c0, t0 = cpu_s(), time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "concat", "-safe", "0",
                    "-i", str(listing), *scale, "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
                    "-pix_fmt", "yuv420p",
                    *(["-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"] if audio else ["-an"]),
                    str(folder / "bare.mp4")], check=True)
    return time.perf_counter() - t0, cpu_s() - c0


def storyreel(folder: Path, takes: list[Path], frames: int, profile: DeliveryProfile, preset: str,
              crf: int) -> tuple[float, list, float, float, float]:
    """Wall seconds, the check rules, wall seconds of the render pass alone, CPU seconds, CPU of the render pass."""
    clips = []
    for k, path in enumerate(takes):
        fx = ClipEffects()
        if k == 1:
            fx = ClipEffects(handheld=0.6, handheld_seed=3)
        elif k == 2:
            fx = ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=12)
        clips.append(ReelClip(path, 0, frames, fx))
    total = total_frames([(c.record_frames, c.effects) for c in clips])
    cues, start = [], 0
    for k, c in enumerate(clips):
        speaker, text = LINES[k % 2]
        cues.append(Cue(start + FPS // 4, start + c.record_frames - FPS // 2, text, speaker))
        start += c.record_frames - (12 if k == 2 else 0)
    cues = [c for c in cues if c.end_frame <= total]
    music = sine_wav(folder / "bed.wav", total / FPS + 1)
    c0, t0 = cpu_s(), time.perf_counter()
    wav = folder / "mix.wav"
    mix_to_target([Bed(music)], [], frames=total, fps=FPS, out_wav=wav, target_lufs=-14.0, true_peak=-1.0)
    t_mix, c_mix = time.perf_counter(), cpu_s()
    font = cjk_font()
    out = folder / "delivery.mp4"
    render_reel(clips, out=out, canvas=profile, fps=FPS, ass=subtitles_ass(cues, FPS, profile, font), font=font,
                audio=wav, silent_audio=True, preset=preset, crf=crf)
    write_srt(cues, out.with_suffix(".srt"), FPS)
    t_render, c_render = time.perf_counter(), cpu_s()
    rules = check_delivery(out, Expectation(profile.width, profile.height, FPS, total, LoudnessTarget(-14.0, -1.0)))
    end, c_end = time.perf_counter(), cpu_s()
    print(f"    (b) stages, wall (CPU): soundtrack mix {t_mix - t0:.2f} s ({c_mix - c0:.2f} s), "
          f"one-pass render {t_render - t_mix:.2f} s ({c_render - c_mix:.2f} s), "
          f"checks {end - t_render:.2f} s ({c_end - c_render:.2f} s)")
    return end - t0, rules, t_render - t_mix, c_end - c0, c_render - c_mix


MOVIEPY_SCRIPT = """
import sys
from moviepy import VideoFileClip, concatenate_videoclips
w, h, preset, crf, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
clips = [VideoFileClip(p, audio=False) for p in sys.argv[6:]]
cut = concatenate_videoclips(clips)
if (cut.w, cut.h) != (w, h):
    cut = cut.resized((w, h))
cut.write_videofile(out, codec="libx264", preset=preset, ffmpeg_params=["-crf", crf, "-pix_fmt", "yuv420p"],
                    audio=False, logger=None)
"""


def moviepy_python() -> Path | None:
    python = MOVIEPY_VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(MOVIEPY_VENV)], check=True, capture_output=True)
        if subprocess.run([str(python), "-c", "import moviepy"], capture_output=True, check=False).returncode != 0:
            subprocess.run([str(python), "-m", "pip", "install", "-q", "moviepy"], check=True, capture_output=True,
                           timeout=600)
        return python
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"(c) MoviePy skipped: could not set up {MOVIEPY_VENV} ({type(exc).__name__}: "
              f"{getattr(exc, 'stderr', b'') or exc!s:.200})")
        return None


def moviepy(folder: Path, takes: list[Path], profile: DeliveryProfile, preset: str, crf: int) -> float | None:
    python = moviepy_python()
    if python is None:
        return None
    script = folder / "moviepy_cut.py"
    script.write_text(MOVIEPY_SCRIPT, encoding="utf-8")
    t0 = time.perf_counter()
    proc = subprocess.run([str(python), str(script), str(profile.width), str(profile.height), preset, str(crf),
                           str(folder / "moviepy.mp4"), *map(str, takes)], capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"(c) MoviePy failed: {proc.stderr.strip()[-300:]}")
        return None
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="6 takes of 2 s: a quick check that it all runs")
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--profile", default="film",
                        help="film (the takes' own 1280x720, as in the issue's anchors) or a delivery profile")
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=20)
    parser.add_argument("--no-moviepy", action="store_true")
    parser.add_argument("--silent-takes", action="store_true",
                        help="takes without a sound track (then (a') equals (a): there is no sound to encode)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate (a) and (b) this many times and compare medians: a shared VM's speed drifts "
                             "over minutes, so back-to-back pairs are fairer than one long run of each")
    args = parser.parse_args()
    if args.small:
        args.clips, args.seconds = 6, 2.0
    profile = (DeliveryProfile("film", "takes' own size", WIDTH, HEIGHT, WIDTH, HEIGHT,
                               SafeArea(bottom=0.08, left=0.05, right=0.05))
               if args.profile == "film" else PROFILES[args.profile])
    frames = round(args.seconds * FPS)
    footage = args.clips * frames / FPS
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-") as tmp:
        folder = Path(tmp)
        print(f"making {args.clips} takes of {args.seconds:g} s at {WIDTH}x{HEIGHT} {FPS} fps …")
        takes = make_takes(folder, args.clips, args.seconds, sound=not args.silent_takes)
        print(f"output {profile.width}x{profile.height}, x264 {args.preset} crf {args.crf}; {footage:.0f} s footage")
        runs_a, runs_as, runs_b, stages = [], [], [], []
        cpu_a, cpu_b, cpu_stage = [], [], []
        for _ in range(args.repeat):
            wall, cpu = bare(folder, takes, frames, profile, args.preset, args.crf)
            runs_a.append(wall)
            cpu_a.append(cpu)
            print(f"(a) bare ffmpeg re-encode:   {wall:8.2f} s  ({footage / wall:6.1f}x real time)  CPU {cpu:7.2f} s")
            wall, cpu = bare(folder, takes, frames, profile, args.preset, args.crf, audio=True)
            runs_as.append(wall)
            print(f"(a') same, with its sound:   {wall:8.2f} s  (the takes' sound re-encoded as AAC, ffmpeg's default)  "
                  f"CPU {cpu:7.2f} s")
            b, rules, render_only, cpu, cpu_render = storyreel(folder, takes, frames, profile, args.preset, args.crf)
            runs_b.append(b)
            stages.append(render_only)
            cpu_b.append(cpu)
            cpu_stage.append(cpu_render)
            failed = [r for r in rules if not r.passed]
            print(f"(b) storyreel delivery:      {b:8.2f} s  ({footage / b:6.1f}x real time)  CPU {cpu:7.2f} s  "
                  f"checks: {len(rules) - len(failed)}/{len(rules)} pass" + (f" FAILED {failed}" if failed else ""))
        a, a_sound, b = statistics.median(runs_a), statistics.median(runs_as), statistics.median(runs_b)
        print(f"    ratio b/a = {b / a:.3f}  (goal <= 1.15; median of {args.repeat}); "
              f"render pass alone / a = {statistics.median(stages) / a:.3f}; b/a' = {b / a_sound:.3f}")
        ca = statistics.median(cpu_a)
        print(f"    CPU ratio b/a = {statistics.median(cpu_b) / ca:.3f}; "
              f"render pass alone / a = {statistics.median(cpu_stage) / ca:.3f}  (median of {args.repeat})")
        c = None if args.no_moviepy else moviepy(folder, takes, profile, args.preset, args.crf)
        if c is not None:
            print(f"(c) MoviePy concat + write:  {c:8.2f} s  ({footage / c:6.1f}x real time)")
            print(f"    ratio a/c = {a / c:.3f}   b/c = {b / c:.3f}")


if __name__ == "__main__":
    main()
