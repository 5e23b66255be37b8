"""The faithful export: the cut as an OpenTimelineIO timeline (``.otio``), which DaVinci Resolve imports.

Nothing in a ``Cut`` is lost here; ``from_otio(to_otio(cut)) == cut``. How the cut maps onto OTIO:

- One video track ``V1``. Each clip is an ``otio.schema.Clip`` named by its take label (``3A-t002``) with an
  ``ExternalReference`` (named by the take too) to the take's media file as an absolute ``file://`` URL,
  percent-encoded so folders with spaces or Chinese names survive. The reference's ``available_range`` is the
  whole media file (``None`` when the cut does not know its length), the clip's ``source_range`` the frames
  used; both are ``RationalTime`` in whole frames at the cut's rate, never seconds.
- A gap in the cut (a clip starting after the previous one ends) is an ``otio.schema.Gap``.
- ``clip.metadata["storyreel"] = {"shot", "take", "sha"}`` carries what the OTIO schema does not model.
- The timeline starts at frame 0 (``global_start_time``), so OTIO's record frames are the cut's frames.
- Subtitles are **markers on the timeline's top-level stack**, one per cue: ``name`` is the line,
  ``marked_range`` its record frames, and ``metadata["storyreel"] = {"subtitle": True, "speaker": ...}``.
  OTIO has no subtitle or text track kind (only Video and Audio), and a second track of clips without media
  would import into an editor as offline video; markers are the schema's own way to pin text to a time range,
  and Resolve shows them as timeline markers. For a real subtitle track, import the SRT that
  ``services.export`` writes beside the file.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from storyreel.timeline._cut import Clip, Cut, Subtitle
from storyreel.timeline._io import write_timeline

__all__ = ["from_otio", "to_otio", "write_cut"]

NAMESPACE = "storyreel"  # key of our entries in OTIO's free-form metadata dicts
SUBTITLE_COLOR = otio.schema.MarkerColor.YELLOW


def _rt(frames: int, fps: int) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, fps)


def _range(start: int, frames: int, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, fps), _rt(frames, fps))


def _frames(t: otio.opentime.RationalTime, fps: int) -> int:
    """Whole frames at ``fps``; refuses a time between frames rather than rounding it away."""
    value = t.value_rescaled_to(fps)
    if abs(value - round(value)) > 1e-6:
        raise ValueError(f"{t} is not on a frame boundary at {fps} fps")
    return round(value)


def media_url(path: Path) -> str:
    """An absolute, percent-encoded ``file://`` URL for ``path``."""
    return Path(path).absolute().as_uri()


def to_otio(cut: Cut) -> otio.schema.Timeline:
    """The cut as a new OTIO timeline (a fresh object each call: some OTIO writers modify what they write)."""
    fps = cut.fps
    timeline = otio.schema.Timeline(name=cut.title, global_start_time=_rt(0, fps))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    position = 0
    for clip in cut.clips:
        if clip.record_start > position:
            track.append(otio.schema.Gap(source_range=_range(0, clip.record_start - position, fps)))
        available = None if clip.media_frames is None else _range(0, clip.media_frames, fps)
        # Named by the take, so an editor's bin shows 3A-t002 rather than the media store's hash file name.
        ref = otio.schema.ExternalReference(target_url=media_url(clip.media), available_range=available)
        ref.name = clip.name
        meta = {"shot": clip.shot, "take": clip.name}
        if clip.sha is not None:
            meta["sha"] = clip.sha
        track.append(otio.schema.Clip(name=clip.name, media_reference=ref,
                                      source_range=_range(clip.source_in, clip.frames, fps),
                                      metadata={NAMESPACE: meta}))
        position = clip.record_end
    timeline.tracks.append(track)
    for sub in cut.subtitles:
        timeline.tracks.markers.append(otio.schema.Marker(
            name=sub.text, marked_range=_range(sub.start, sub.end - sub.start, fps), color=SUBTITLE_COLOR,
            metadata={NAMESPACE: {"subtitle": True, "speaker": sub.speaker}},
        ))
    return timeline


def from_otio(timeline: otio.schema.Timeline, *, fps: int | None = None) -> Cut:
    """Read a cut back from a timeline written by ``to_otio`` (the first video track, the subtitle markers).

    ``fps`` defaults to the rate of the first clip; every time must fall on a whole frame at that rate.
    """
    track = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    clips: list[Clip] = []
    position = 0
    for item in track:
        if fps is None:
            fps = round(item.source_range.duration.rate)
        length = _frames(item.source_range.duration, fps)
        if isinstance(item, otio.schema.Clip):
            meta = dict(item.metadata.get(NAMESPACE, {}))
            ref = item.media_reference
            source_in = _frames(item.source_range.start_time, fps)
            media_frames = (_frames(ref.available_range.duration, fps)
                            if getattr(ref, "available_range", None) is not None else None)
            clips.append(Clip(
                name=item.name, shot=meta.get("shot", ""),
                media=Path(otio.url_utils.filepath_from_url(ref.target_url)),
                source_in=source_in, source_out=source_in + length, record_start=position,
                sha=meta.get("sha"), media_frames=media_frames,
            ))
        position += length
    if fps is None:
        fps = round(timeline.duration().rate) or 1
    subtitles = tuple(
        Subtitle(start=_frames(m.marked_range.start_time, fps), end=_frames(m.marked_range.end_time_exclusive(), fps),
                 text=m.name, speaker=m.metadata[NAMESPACE].get("speaker"))
        for m in timeline.tracks.markers if m.metadata.get(NAMESPACE, {}).get("subtitle")
    )
    return Cut(title=timeline.name, fps=fps, clips=tuple(clips), subtitles=subtitles)


def write_cut(cut: Cut, path: Path) -> Path:
    """Write ``cut`` to ``path`` as OTIO JSON. Drops nothing (see the module docstring for the mapping)."""
    return write_timeline(to_otio(cut), path, adapter="otio_json", package="opentimelineio")
