"""Frame-accurate grabs for continuity: one exact frame of a take, as an RGB image.

``probe.frame_at`` already seeks to the keyframe at or before the target and decodes forward, naming frames by
their timestamps; this module is the continuity entry point to it (bench/frame_grab.py measures it).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from storyreel.media.probe import frame_at

__all__ = ["grab_image"]


def grab_image(path: Path | str, index: int) -> Image.Image:
    """Frame ``index`` (0-based, presentation order) of the video at ``path``."""
    return frame_at(path, index)
