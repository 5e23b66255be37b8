"""``storyreel demo``: a bundled film, ready to plan, shoot and cut, so a new user sees the whole loop at once."""

from __future__ import annotations

from pathlib import Path

from storyreel.services.film import copy_example


def copy_demo(out: Path, *, example: str = "night-ferry") -> Path:
    """Copy the example's inputs to ``out``. Running the demo again in the same folder continues, never duplicates."""
    return copy_example(example, out).resolve()
