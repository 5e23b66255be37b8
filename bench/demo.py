"""How long does `storyreel demo` take end to end? Goal: ≤ 90 s on a 2-core machine.

Baseline (same run): encoding the same number of frames, at the same profile, of a plain test pattern with the
same encoder settings — the floor set by H.264 encoding alone. The ratio is what planning, drawing, the engine
and the cut add on top.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from storyreel.media.video import encode_frames
    from storyreel.services.film import open_film
    from storyreel.services.plan import list_shots

    takes = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "storyreel", "demo", "--out", str(out), "--takes", str(takes)],
                       check=True, capture_output=True)
        demo_s = time.perf_counter() - t0
        with open_film(out) as film:
            p = film.config.profile
            frames = sum(s.frames for s in list_shots(film))
        total = frames * takes + frames  # every take, plus the cut
        pattern = np.zeros((p.height, p.width, 3), np.uint8)
        pattern[:, :, 1] = np.linspace(0, 255, p.width, dtype=np.uint8)
        t0 = time.perf_counter()
        encode_frames((pattern for _ in range(total)), Path(tmp) / "base.mp4", fps=p.fps, width=p.width,
                      height=p.height)
        base_s = time.perf_counter() - t0
    print(f"frames encoded       {total} at {p.width}x{p.height}@{p.fps}")
    print(f"bare encode          {base_s:6.2f} s (baseline)")
    print(f"storyreel demo       {demo_s:6.2f} s  ratio {demo_s / base_s:.2f}x  goal ≤ 90 s")


if __name__ == "__main__":
    main()
