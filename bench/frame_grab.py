"""Frame grabs for continuity: any frame of a 10 s 1080p24 H.264 clip, exact, in ≤ 100 ms.

Makes the clip (ffmpeg testsrc2, x264 with B-frames and a 250-frame GOP, as a generator's output would be), decodes it
once sequentially as the reference, then grabs N random frames with ``storyreel.media.grab.grab_image`` and checks
each is pixel-identical to the sequential decode's frame. Baseline in the same run, same frames: decoding from the
start of the clip up to the frame (what a grab without a seek costs).

    python bench/frame_grab.py [--grabs 30] [--seconds 10] [--size 1920x1080] [--fps 24] [--gop 250] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.grab import grab_image


def make_clip(path: Path, *, seconds: int, size: str, fps: int, gop: int) -> None:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
                "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop), "-bf", "2", "-pix_fmt", "yuv420p",
                str(path)], output=path)


def sequential(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def decode_from_start(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for n, f in enumerate(c.decode(s)):
            if n == index:
                return f.to_ndarray(format="rgb24")
    raise IndexError(index)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grabs", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--gop", type=int, default=250)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="storyreel-bench-grab-") as tmp:
        clip = Path(tmp) / "clip.mp4"
        t0 = time.perf_counter()
        make_clip(clip, seconds=args.seconds, size=args.size, fps=args.fps, gop=args.gop)
        print(f"clip: {args.seconds} s {args.size} {args.fps} fps H.264 (GOP {args.gop}, B-frames) "
              f"made in {time.perf_counter() - t0:.1f} s")
        frames = sequential(clip)
        print(f"sequential decode: {len(frames)} frames (the reference)")
        rng = random.Random(args.seed)
        picks = [rng.randrange(len(frames)) for _ in range(args.grabs)]

        grab_ms, base_ms, wrong = [], [], []
        grab_image(clip, 0)  # warm-up: first open pays for loading codecs
        for index in picks:
            t = time.perf_counter()
            image = grab_image(clip, index)
            grab_ms.append((time.perf_counter() - t) * 1000)
            if not np.array_equal(np.asarray(image.convert("RGB")), frames[index]):
                wrong.append(index)
            t = time.perf_counter()
            decode_from_start(clip, index)
            base_ms.append((time.perf_counter() - t) * 1000)

    med, worst = statistics.median(grab_ms), max(grab_ms)
    base_med = statistics.median(base_ms)
    print(f"grab: median {med:.1f} ms, max {worst:.1f} ms per frame over {len(picks)} random frames "
          f"(goal ≤ 100 ms)")
    print(f"baseline (decode from the start to the frame): median {base_med:.1f} ms, max {max(base_ms):.1f} ms")
    print(f"ratio grab / baseline (medians): {med / base_med:.2f}")
    if wrong:
        print(f"FAIL: frames {sorted(set(wrong))} differ from the sequential decode")
        return 1
    print(f"exact: all {len(picks)} grabs equal the sequential decode's frames")
    return 0 if worst <= 100 else 2


if __name__ == "__main__":
    sys.exit(main())
