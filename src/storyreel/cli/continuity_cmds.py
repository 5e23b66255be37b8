"""Continuity and keyframes: chain, edit, keyframe (upload, approve)."""

from __future__ import annotations

from storyreel.cli.app import app  # noqa: F401
