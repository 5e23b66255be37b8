"""Final Cut Pro 7 XML (``xmeml`` version 4), the interchange Adobe Premiere Pro imports.

Written by OpenTimelineIO's ``fcp_xml`` adapter (package ``otio-fcp-adapter``) from ``otio.to_otio(cut)``, with
two adjustments: media URLs take the ``file://localhost/...`` form Premiere and FCP 7 write themselves, and a cut
at a rate SMPTE timecode lacks is counted at a multiple of it (see below).

Kept: the sequence name (the film's title); clip order, source in/out and record positions, frame-exact;
each clip's name (the take label) and its media file path; gaps; subtitle cues as *sequence markers* (the
line as the marker name, its frames as the marker in/out).

Dropped:
- ``metadata["storyreel"]``: the shot code and the media hash of each clip (FCP7 XML has no place for them).
- Subtitles as subtitles: markers are not a caption track, and the speaker of each line is lost.
  ``services.export`` writes an SRT beside the XML; import it onto a caption track.
- Audio: the file is written with no audio tracks in the sequence (the adapter still flags each file as
  having audio, which editors ignore when the file has none).
- The frame size: the sequence ``<format>`` is left empty; the editor takes it from the media or asks.
- A rate that is not a timecode rate: 8 or 12 fps cuts are written at 24 fps (15 fps at 30, ...), each frame
  as a whole number of timecode frames, so times stay exact but frame numbers are multiplied. A rate with no
  such multiple (for example 7 fps) raises ``UnsupportedRate``.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from storyreel.timeline._cut import Cut
from storyreel.timeline._io import timecode_rate, write_timeline
from storyreel.timeline.otio import to_otio

__all__ = ["to_fcp7_timeline", "write_cut"]


def to_fcp7_timeline(cut: Cut) -> otio.schema.Timeline:
    """The OTIO timeline as this module writes it (at a timecode rate, with localhost file URLs)."""
    timeline = to_otio(cut.at_rate(timecode_rate(cut.fps, format_name="FCP7 XML")))
    for clip in timeline.find_clips():
        ref = clip.media_reference
        if ref.available_range is None:  # the adapter needs the file's length; the clip's end is all we know
            ref.available_range = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, timeline.global_start_time.rate), clip.source_range.end_time_exclusive())
        if ref.target_url.startswith("file:///"):
            ref.target_url = "file://localhost/" + ref.target_url[len("file:///"):]
    return timeline


def write_cut(cut: Cut, path: Path) -> Path:
    """Write ``cut`` to ``path`` as FCP7 XML. Drops shot codes, media hashes, subtitle speakers and the subtitle
    track itself (cues become sequence markers), audio and the frame size; see the module docstring."""
    return write_timeline(to_fcp7_timeline(cut), path, adapter="fcp_xml", package="otio-fcp-adapter")
