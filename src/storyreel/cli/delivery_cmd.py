"""``storyreel render``: delivery renders (profiles, effects, sound) and their checks."""

from __future__ import annotations

from storyreel.cli.app import app  # noqa: F401
