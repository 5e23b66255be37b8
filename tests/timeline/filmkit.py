"""A small previz film with a rough cut, and helpers to read an exported timeline back in frames.

The film is real (scaffolded, planned, shot by the built-in previz provider), only small: 160x96 pixels, one
take per shot, and a second take of the second shot circled, so an export that ignored the selection (or took
"the first take") would point at the wrong file and the wrong length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from storyreel.services.cut import assemble
from storyreel.services.film import new_film, open_film
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.review import select_take
from storyreel.services.shoot import shoot
from tests.conftest import small_profile


def build_previz_film(root: Path, *, fps: int, language: str = "zh", title: str = "测试片") -> Path:
    """Scaffold, plan and shoot a film at ``root``; returns ``root``. About a second at 160x96."""
    new_film(root, language=language, title=title)
    small_profile(root, width=160, height=96, fps=fps)
    with open_film(root) as film:
        plan_film(film)
        shots = list_shots(film)
        shoot(film, takes=1)
        shoot(film, takes=2, shots=[shots[1].code])  # a second take of one shot ...
        select_take(film, shots[1].code, 2)  # ... circled, so the cut does not use the default first take
    return root


@dataclass(frozen=True)
class Event:
    """One clip of a timeline, in whole frames at the rate it was read at."""

    name: str
    source_in: int
    frames: int
    record_start: int
    media: Path | None


def expected_events(root: Path, *, scale: int = 1) -> list[Event]:
    """The rough cut as ``services.cut.assemble`` has it, in frames multiplied by ``scale``."""
    with open_film(root) as film:
        entries, _ = assemble(film)
        return [Event(e.take.label, 0, e.frames * scale, e.start * scale,
                      film.media.path_for(e.take.clip_sha, e.take.clip_ext).absolute()) for e in entries]


def _whole(t: otio.opentime.RationalTime, rate: int) -> int:
    value = t.value_rescaled_to(rate)
    assert value == int(value), f"{t} is not on a whole frame at {rate} fps"
    return int(value)


def read_events(timeline: otio.schema.Timeline, rate: int) -> list[Event]:
    """The clips of the timeline's first video track: name, source in, length and record start in frames."""
    (track,) = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    events = []
    for clip in track.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        events.append(Event(
            name=clip.name,
            source_in=_whole(clip.source_range.start_time, rate),
            frames=_whole(clip.source_range.duration, rate),
            record_start=_whole(clip.range_in_parent().start_time, rate),
            media=Path(otio.url_utils.filepath_from_url(url)) if url else None,
        ))
    return events
