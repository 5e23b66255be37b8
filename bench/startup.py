"""How fast does `storyreel --help` start? Goal: ≤ 300 ms. Baseline (same run): a bare `python -c pass`.

Prints the median of N runs for each and the ratio; heavy imports (SQLAlchemy, PyAV, Pillow) must stay lazy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_ms(cmd: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    base = median_ms([sys.executable, "-c", "pass"], n)
    help_ms = median_ms([sys.executable, "-m", "storyreel", "--help"], n)
    print(f"python -c pass      {base:7.1f} ms (baseline)")
    print(f"storyreel --help    {help_ms:7.1f} ms  ratio {help_ms / base:.2f}x  goal ≤ 300 ms")


if __name__ == "__main__":
    main()
