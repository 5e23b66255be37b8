"""``storyreel demo``: a bundled film, planned and shot end to end, so a new user sees the whole loop at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storyreel.services.film import copy_example, open_film
from storyreel.services.plan import plan_film
from storyreel.services.shoot import shoot

Step = Callable[[str, str], None]


def run_demo(out: Path, *, example: str = "night-ferry", takes: int = 2, step: Step = lambda en, zh: None) -> Path:
    """Copy the example to ``out`` (inputs only) and plan and shoot it. Re-running continues, never duplicates."""
    root = copy_example(example, out)
    with open_film(root) as film:
        report = plan_film(film)
        step(f"planned {report.total} shots", f"已生成 {report.total} 个镜头")
        result = shoot(film, takes=takes)
        step(f"shot {result.summary.done} takes with previz ({takes} per shot)",
             f"已用 previz 拍摄 {result.summary.done} 条（每个镜头 {takes} 条）")
    return root
