"""``storyreel studio``: the local web studio."""

from __future__ import annotations

from storyreel.cli.app import app  # noqa: F401
