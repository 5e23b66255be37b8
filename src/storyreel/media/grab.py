"""Frame-accurate grabs for continuity: one exact frame of a take, as an RGB image, fast enough to click.

A grab must return *the* requested frame, never the nearest keyframe, so it decodes forward from the keyframe at
or before the target (``probe.frame_at``). How long that takes depends on the file, not on us: generators often
write a whole 10 s clip as one GOP, and reaching its last frame then means decoding about 240 frames of 1080p
(~0.25–0.6 s on two cores). Every take also has a copy normalised when it landed (``services.landing``), with a
keyframe every second. When that copy is *frame-aligned* with the original (same size, frame rate and frame
count: the same pictures, re-encoded), any frame is at most a second of decoding away.

``grab_frame`` therefore counts, without decoding (packets only), how many frames each source needs for the
target, and decodes the original when that is cheap (``GRAB_FRAME_BUDGET``) or no aligned copy is cheaper. The
result says which it used: ``exact`` is True only for the original's own pixels. What is sent to a provider
(a chained shot's first frame) is always grabbed with ``exact=True``; the fast path is for interactive grabs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyreel.errors import MediaError
from storyreel.media.probe import VideoInfo, VideoReader, frame_at

__all__ = ["GRAB_FRAME_BUDGET", "Grab", "grab_frame", "grab_image"]

# Frames we decode from the original before an aligned copy is preferred: ~3 ms each for 1080p H.264 on two
# cores, so 24 (a second of a normalised copy's GOP, its own worst case) keep a grab under 100 ms with the file
# open and the RGB conversion (bench/frame_grab.py: 30 let a few grabs reach 101 ms).
GRAB_FRAME_BUDGET = 24


@dataclass(frozen=True)
class Grab:
    image: Image.Image
    index: int
    source: Path  # the file the frame was decoded from
    exact: bool  # decoded from the original itself; False: from a frame-aligned re-encoded copy
    cost: int | None  # frames the decoder had to read (None when it was not counted)


def grab_image(path: Path | str, index: int) -> Image.Image:
    """Frame ``index`` (0-based, presentation order) of the video at ``path``, decoded from that file."""
    return frame_at(path, index)


def _aligned(original: VideoInfo, copy: VideoInfo) -> bool:
    """The copy holds the same pictures at the same positions: size, rate and frame count all agree."""
    return (copy.width, copy.height, copy.fps, copy.frames) == (original.width, original.height, original.fps,
                                                                 original.frames)


def _from_copy(info: VideoInfo, copy: Path, index: int, cost: int) -> Grab | None:
    """The frame from ``copy`` when it is aligned with the original and cheaper to reach than ``cost``."""
    try:
        with VideoReader(copy) as reader:
            if not _aligned(info, reader.info):
                return None
            copy_cost = reader.decode_cost(index, limit=cost)
            if copy_cost >= cost:
                return None
            return Grab(reader.frame(index), index, copy, False, copy_cost)
    except MediaError:
        return None  # unreadable or damaged: the original still has the frame


def grab_frame(original: Path | str, index: int, *, copies: Sequence[Path | str] = (), exact: bool = False,
               budget: int = GRAB_FRAME_BUDGET) -> Grab:
    """Frame ``index`` of the take at ``original``, from whichever source reaches it with the least decoding.

    ``copies`` are candidate re-encodes of the same take (its normalised clip): one is used only when
    ``exact`` is False, the original would need more than ``budget`` frames decoded, and the copy is
    frame-aligned with it and cheaper. A copy that cannot be read is passed over, never an error.
    """
    with VideoReader(original) as reader:
        if exact or not copies:
            return Grab(reader.frame(index), index, reader.path, True, None)
        cost = reader.decode_cost(index, limit=budget)
        if cost > budget and 0 <= index < reader.info.frames:
            for copy in copies:
                if Path(copy).is_file() and (found := _from_copy(reader.info, Path(copy), index, cost)) is not None:
                    return found
        return Grab(reader.frame(index), index, reader.path, True, cost if cost <= budget else None)
