"""CMX 3600 EDL: the oldest, plainest edit list; every editor reads one.

Written by OpenTimelineIO's ``cmx_3600`` adapter (package ``otio-cmx3600-adapter``, Avid style) from
``otio.to_otio(cut)``. An EDL carries no rate, so the reader must be told it (``rate=`` in OTIO, the project
rate in an editor).

Kept: event order, source in/out and record in/out as timecode, frame-exact; gaps (as jumps in record
timecode); each event's clip name (the take label) and media file URL as ``* FROM CLIP NAME:`` and
``* FROM CLIP:`` comments; the title.

Dropped:
- Everything but one picture track: no audio, no second video track.
- Subtitles (``services.export`` writes an SRT beside the EDL) and any markers.
- ``metadata["storyreel"]``: the shot code survives only as the reel name (below); the media hash is lost.
- Reel names longer than 8 characters: the reel is the shot code with everything but ``A-Z a-z 0-9`` removed,
  cut to 8 characters (``AX``, the "auxiliary source" reel, when nothing is left). Shot codes such as ``3A``
  or ``12B`` fit as they are.
- Non-ASCII text in the title is written as UTF-8, which older editors may show garbled.
- A rate that is not a timecode rate: 8 or 12 fps cuts are written at 24 fps (15 fps at 30, ...), each frame
  as a whole number of timecode frames, so times stay exact but frame numbers are multiplied; read the EDL back
  at that rate. A rate with no such multiple (for example 7 fps) raises ``UnsupportedRate``.
- More than 999 events (CMX 3600 numbers events with three digits) raises ``ExportTooLong``.
"""

from __future__ import annotations

import re
from pathlib import Path

import opentimelineio as otio

from storyreel.timeline._cut import Cut
from storyreel.timeline._io import timecode_rate, write_timeline
from storyreel.timeline._registry import ExportTooLong
from storyreel.timeline.otio import to_otio

__all__ = ["MAX_EVENTS", "REEL_LEN", "edl_rate", "reel_name", "to_edl_timeline", "write_cut"]

REEL_LEN = 8  # CMX 3600 reel field width
MAX_EVENTS = 999


def reel_name(shot: str) -> str:
    """The reel for a clip of shot ``shot``: its letters and digits, at most 8 of them, else ``AX``."""
    return re.sub(r"[^A-Za-z0-9]", "", shot)[:REEL_LEN] or "AX"


def edl_rate(cut: Cut) -> int:
    """The timecode rate the EDL of ``cut`` is written at (and must be read back at)."""
    return timecode_rate(cut.fps, format_name="EDL")


def to_edl_timeline(cut: Cut) -> otio.schema.Timeline:
    """The OTIO timeline as this module writes it: at the EDL rate, reels set, no markers."""
    if len(cut.clips) > MAX_EVENTS:
        raise ExportTooLong(
            f"An EDL holds at most {MAX_EVENTS} events and this cut has {len(cut.clips)} clips. "
            "Export otio or fcp7 instead.",
            zh=f"EDL 最多容纳 {MAX_EVENTS} 个事件，而此剪辑有 {len(cut.clips)} 个片段。请改为导出 otio 或 fcp7。",
            clips=len(cut.clips),
        )
    timeline = to_otio(cut.at_rate(edl_rate(cut)))
    timeline.tracks.markers.clear()
    for clip in timeline.find_clips():
        # Set explicitly: otherwise the adapter derives the reel from the media file name (a hash) and adds a
        # "* OTIO TRUNCATED REEL NAME" comment.
        clip.metadata["cmx_3600"] = {"reel": reel_name(str(clip.metadata["storyreel"]["shot"]))}
    return timeline


def write_cut(cut: Cut, path: Path) -> Path:
    """Write ``cut`` to ``path`` as a CMX 3600 EDL. Drops audio, subtitles, markers, media hashes and every track
    but the picture; reels are shot codes of at most 8 characters; see the module docstring."""
    return write_timeline(to_edl_timeline(cut), path, adapter="cmx_3600", package="otio-cmx3600-adapter",
                          rate=edl_rate(cut), style="avid", reelname_len=REEL_LEN)
