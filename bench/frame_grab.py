"""Frame grabs for continuity: any frame of a 10 s 1080p24 H.264 clip, frame-accurate, in ≤ 100 ms.

Makes the clip (ffmpeg testsrc2, x264 with B-frames; by default one 250-frame GOP, as generators write), and the
copy ``services.landing`` makes when the take lands (``media.normalise`` at the film profile 1920x1080@24: the same
frames, a keyframe every second). Decodes both sequentially as the reference. Then, for N random frames, times:

(a) baseline: decoding from the start of the clip to the frame (a grab without a seek);
(b) exact: ``grab_frame(..., exact=True)`` — seek to the keyframe before the frame, decode forward, the take's
    own pixels (what a chained shot sends to a provider);
(c) interactive: ``grab_frame(..., copies=[normalised])`` — the take itself when the frame is within
    ``GRAB_FRAME_BUDGET`` frames of a keyframe, else the aligned normalised copy;
(d) (c) plus writing the PNG the way ``storyreel grab`` stores it.

Checks every grab against the sequential decode of the file it says it read (frame-accurate), and reports how
close (c)'s copy frames are to the take's own (PSNR). Prints medians, maxima and ratios to (a); no thresholds.

    python bench/frame_grab.py [--grabs 40] [--seconds 10] [--size 1920x1080] [--fps 24] [--gop 250] [--seed 7]
"""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.grab import GRAB_FRAME_BUDGET, grab_frame
from storyreel.media.normalise import NormProfile, normalise_clip, reference_clip
from storyreel.media.probe import rgb_image


def make_clip(path: Path, *, seconds: int, size: str, fps: int, gop: int) -> None:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
                "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop), "-bf", "2", "-pix_fmt", "yuv420p",
                str(path)], output=path)


def sequential(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [np.asarray(rgb_image(f)) for f in c.decode(video=0)]


def decode_from_start(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for n, f in enumerate(c.decode(s)):
            if n == index:
                return np.asarray(rgb_image(f))
    raise IndexError(index)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - t) * 1000


def summary(name: str, ms: list[float], base: float) -> str:
    med = statistics.median(ms)
    return (f"{name:<34} median {med:6.1f} ms  max {max(ms):6.1f} ms  "
            f"({sum(m <= 100 for m in ms)}/{len(ms)} ≤ 100 ms; median {med / base:.2f}x baseline)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grabs", type=int, default=40)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--gop", type=int, default=250)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    width, height = map(int, args.size.split("x"))

    with tempfile.TemporaryDirectory(prefix="storyreel-bench-grab-") as tmp:
        clip, norm = Path(tmp) / "clip.mp4", Path(tmp) / "normalised.mp4"
        t0 = time.perf_counter()
        make_clip(clip, seconds=args.seconds, size=args.size, fps=args.fps, gop=args.gop)
        print(f"clip: {args.seconds} s {args.size} {args.fps} fps H.264 (GOP {args.gop}, B-frames) "
              f"made in {time.perf_counter() - t0:.1f} s")
        profile = NormProfile(width, height, args.fps)
        t0 = time.perf_counter()
        ref = reference_clip(profile, Path(tmp) / "reference.mp4")
        normalise_clip(clip, norm, profile, frames=args.seconds * args.fps, reference=ref)
        print(f"normalised copy (as landing makes it, GOP {profile.gop}) in {time.perf_counter() - t0:.1f} s")
        frames = {clip: sequential(clip), norm: sequential(norm)}
        print(f"sequential decode: {len(frames[clip])} frames of each (the reference)")
        rng = random.Random(args.seed)
        picks = [rng.randrange(len(frames[clip])) for _ in range(args.grabs)]
        picks += [0, len(frames[clip]) - 1]  # first and last: what chains ask for most

        base, exact_ms, fast_ms, stored_ms, wrong, copy_psnr = [], [], [], [], [], []
        from_copy = 0
        grab_frame(clip, 0, exact=True)  # warm-up: the first open pays for loading codecs
        for index in picks:
            base.append(timed(decode_from_start, clip, index)[1])
            grab, ms = timed(grab_frame, clip, index, exact=True)
            exact_ms.append(ms)
            if not np.array_equal(np.asarray(grab.image), frames[clip][index]):
                wrong.append(("exact", index))
            grab, ms = timed(grab_frame, clip, index, copies=[norm])
            fast_ms.append(ms)
            got = np.asarray(grab.image)
            if not np.array_equal(got, frames[grab.source][index]):
                wrong.append(("interactive", index))
            if not grab.exact:
                from_copy += 1
                copy_psnr.append(psnr(got, frames[clip][index]))
            t = time.perf_counter()
            grab = grab_frame(clip, index, copies=[norm])
            grab.image.save(io.BytesIO(), format="PNG", compress_level=1)
            stored_ms.append((time.perf_counter() - t) * 1000)

    b = statistics.median(base)
    print(f"{len(picks)} grabs ({args.grabs} random frames + first + last); "
          f"budget {GRAB_FRAME_BUDGET} frames from the take before the copy is used")
    print(f"(a) {'baseline: decode from the start':<34} median {b:6.1f} ms  max {max(base):6.1f} ms")
    print("(b) " + summary("exact (the take's own pixels)", exact_ms, b))
    print("(c) " + summary("interactive (take or aligned copy)", fast_ms, b))
    print("(d) " + summary("(c) + PNG as storyreel grab stores", stored_ms, b))
    if copy_psnr:
        print(f"    (c) read {from_copy} of {len(picks)} frames from the normalised copy: PSNR to the take's own "
              f"frame min {min(copy_psnr):.1f} dB, median {statistics.median(copy_psnr):.1f} dB")
    if wrong:
        print(f"FAIL: grabs differ from the sequential decode of their source: {wrong}")
        return 1
    print(f"frame-accurate: all {3 * len(picks)} grabs equal the sequential decode of the file they read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
