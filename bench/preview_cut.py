"""Preview-cut benchmark: stream copy of normalised takes vs a bare ffmpeg concat, in one run, same clips.

    .venv/bin/python bench/preview_cut.py            # 60 takes x 5 s, 1280x720, 24 fps (300 s of footage)
    .venv/bin/python bench/preview_cut.py --small    # 6 takes x 2 s, 320x180, 12 fps: a quick check

Takes are made with ffmpeg testsrc2 + a sine tone (so they carry audio, like an uploaded take). Measured:
  (a) bare ``ffmpeg -f concat -c copy`` of those files (the baseline);
  (b) storyreel normalisation of every take (done once, when a take lands; reported on its own);
  (c) storyreel's preview: cache checks of every normalised clip + packet-level stream copy with a soft
      subtitle track and the frame/cut-point verification (media.preview.concat_copy), as preview_cut runs it.
Goal from issue 5: (c) >= 200x real time. Timing never goes into a unit test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyreel.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from storyreel.media.normalise import NormProfile, avcc, normalise_clip, reference_clip
from storyreel.media.preview import Segment, concat_copy, silent_packet
from storyreel.media.probe import probe
from storyreel.media.subtitles import Cue


def make_takes(folder: Path, n: int, seconds: int, width: int, height: int, fps: int) -> list[Path]:
    takes = []
    for i in range(n):
        out = folder / f"take{i:03d}.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={seconds}", "-f", "lavfi",
                    "-i", f"sine=f={220 + 20 * i}:r=48000:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-g", str(fps), "-c:a", "aac", "-shortest", str(out)], output=out)
        takes.append(out)
    return takes


def bare_concat(takes: list[Path], out: Path) -> None:
    lst = out.with_suffix(".txt")
    lst.write_text("".join(f"file '{t}'\n" for t in takes), "utf-8")
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst),
                    "-c", "copy", str(out)], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="6 x 2 s at 320x180, 12 fps")
    ap.add_argument("--takes", type=int, default=None)
    ap.add_argument("--seconds", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    n = args.takes or (6 if args.small else 60)
    seconds = args.seconds or (2 if args.small else 5)
    width, height, fps = (320, 180, 12) if args.small else (1280, 720, 24)
    frames = seconds * fps
    footage = n * seconds
    work = Path(tempfile.mkdtemp(prefix="storyreel-bench-"))
    try:
        print(f"making {n} takes of {seconds} s at {width}x{height} {fps} fps ({footage} s of footage)…", flush=True)
        takes = make_takes(work, n, seconds, width, height, fps)

        t0 = time.perf_counter()
        bare_concat(takes, work / "bare.mp4")
        a = time.perf_counter() - t0

        profile = NormProfile(width=width, height=height, fps=fps)
        t0 = time.perf_counter()
        ref = reference_clip(profile, work / "norm" / "reference.mp4")
        normalised = []
        for take in takes:
            out = work / "norm" / take.name
            normalise_clip(take, out, profile, frames=frames, reference=ref)
            normalised.append(out)
        b = time.perf_counter() - t0

        cues = [Cue(k * frames + 3, k * frames + frames - 3, f"line {k}") for k in range(n)]
        t0 = time.perf_counter()
        # What preview_cut does per clip before copying: check the cache entry is whole and compatible.
        for path in normalised:
            assert probe(path).frames == frames and avcc(path) == ref
        silence = silent_packet(work / "norm" / "reference.mp4")
        total = concat_copy([Segment(p, frames) for p in normalised], cues, out=work / "preview.mp4",
                            srt=work / "preview.srt", fps=fps, silence=silence)
        c = time.perf_counter() - t0
        assert total == n * frames

        print(f"(a) bare ffmpeg concat stream copy : {a:7.2f} s  ({footage / a:7.0f}x real time)")
        print(f"(b) storyreel normalisation (once) : {b:7.2f} s  ({footage / b:7.1f}x real time, "
              f"{b / n:.2f} s per take)")
        print(f"(c) storyreel preview (copy + subs): {c:7.2f} s  ({footage / c:7.0f}x real time; goal >= 200x)")
        print(f"    ratio c/a = {c / a:.2f}")
    finally:
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
