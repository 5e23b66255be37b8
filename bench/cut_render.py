"""How much does a rough cut cost over a bare re-encode? Baseline (same run): ffmpeg re-encoding the same footage.

Makes N clips (default 12) of 4 s at 1280x720, 24 fps, H.264 yuv420p from ffmpeg's ``testsrc2`` source, then times
(a) one bare ffmpeg re-encode of the concatenated footage (concat demuxer → libx264 at the same preset and CRF)
and (b) ``render_cut`` with one subtitle cue per clip, alternating Chinese and English (probing, frame
renumbering, BT.709 tagging, libass burn-in, the frame-count check and the SRT included). Prints both times,
the ratio (b)/(a) and each one's real-time factor (seconds of film per second of wall time). No thresholds.

    python bench/cut_render.py [--clips 12] [--seconds 4] [--preset veryfast] [--crf 20]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from storyreel.media.cut import CutClip, concat_list, render_cut
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.fonts import cjk_font
from storyreel.media.probe import probe
from storyreel.media.subtitles import Cue

WIDTH, HEIGHT, FPS = 1280, 720, 24
LINES = [
    ("林晓", "我们没有时间了，必须在天亮之前离开这座城市。"),
    ("Maya", "Then we go now, before anyone notices the door is open."),
]


def make_clips(folder: Path, count: int, seconds: float) -> list[CutClip]:
    frames = round(seconds * FPS)
    clips = []
    for k in range(count):
        path = folder / f"clip{k:02d}.mp4"
        # A different start offset per clip so no two clips are identical (the encoder cannot coast).
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error",
             "-f", "lavfi", "-i", f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS},trim=start_frame={k * 7},setpts=N/TB/{FPS}",
             "-frames:v", str(frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
             "-pix_fmt", "yuv420p", str(path)],
            check=True,
        )
        clips.append(CutClip(path, frames))
    return clips


def make_cues(clips: list[CutClip]) -> list[Cue]:
    cues, start = [], 0
    for k, clip in enumerate(clips):
        speaker, text = LINES[k % len(LINES)]
        cues.append(Cue(start + FPS // 4, start + clip.frames - FPS // 4, text, speaker))
        start += clip.frames
    return cues


def bare_reencode(folder: Path, clips: list[CutClip], preset: str, crf: int) -> float:
    listing = folder / "bare.ffconcat"
    listing.write_text(concat_list(clips, FPS), encoding="utf-8")
    t0 = time.perf_counter()
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
         "-an", str(folder / "bare.mp4")],
        check=True,
    )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="storyreel-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        clips = make_clips(folder, args.clips, args.seconds)
        total = sum(c.frames for c in clips)
        film_s = total / FPS
        print(f"{len(clips)} clips, {total} frames, {film_s:.1f} s of {WIDTH}x{HEIGHT}@{FPS} "
              f"(made in {time.perf_counter() - t0:.1f} s); ffmpeg: {ffmpeg_exe()}")

        bare_s = bare_reencode(folder, clips, args.preset, args.crf)
        font = cjk_font()
        t0 = time.perf_counter()
        out = render_cut(clips, make_cues(clips), out=folder / "cut.mp4", srt=folder / "cut.srt", width=WIDTH,
                         height=HEIGHT, fps=FPS, font=font, crf=args.crf, preset=args.preset)
        cut_s = time.perf_counter() - t0
        assert probe(out).frames == total

        print(f"(a) bare ffmpeg re-encode   {bare_s:7.2f} s   {film_s / bare_s:5.2f}x real time (baseline)")
        print(f"(b) render_cut + subtitles  {cut_s:7.2f} s   {film_s / cut_s:5.2f}x real time")
        print(f"ratio (b)/(a) {cut_s / bare_s:.2f}   preset {args.preset}, crf {args.crf}, font {font.family}")


if __name__ == "__main__":
    main()
