"""The .otio export of a real previz cut, read back with OpenTimelineIO and checked frame by frame."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from storyreel.services.film import open_film
from storyreel.services.plan import list_shots
from storyreel.services.review import list_takes
from storyreel.timeline import Clip, Cut, Subtitle
from storyreel.timeline.otio import from_otio, to_otio, write_cut
from tests.timeline.filmkit import expected_events, read_events


def test_otio_round_trip_matches_the_rough_cut(previz_film: Path, previz_cut: Cut, tmp_path: Path) -> None:
    out = write_cut(previz_cut, tmp_path / "cut.otio")
    timeline = otio.adapters.read_from_file(str(out), adapter_name="otio_json")

    assert timeline.name == "测试片" and timeline.global_start_time == otio.opentime.RationalTime(0, 24)
    events = read_events(timeline, 24)
    assert events == expected_events(previz_film)
    assert all(e.media.is_file() for e in events)
    assert timeline.duration() == otio.opentime.RationalTime(previz_cut.frames, 24)

    # The circled second take is the one exported, not the shot's first take.
    with open_film(previz_film) as film:
        second = list_shots(film)[1].code
        chosen = next(t for t in list_takes(film, second) if t.selected)
    assert chosen.number == 2 and events[1].name == f"{second}-t002"
    clip = list(timeline.find_clips())[1]
    assert dict(clip.metadata["storyreel"]) == {"shot": second, "take": f"{second}-t002", "sha": chosen.clip_sha}
    assert clip.media_reference.target_url.startswith("file:///") and "%20" in clip.media_reference.target_url
    assert clip.media_reference.available_range.duration == otio.opentime.RationalTime(chosen.frames, 24)

    # Subtitles: one marker per cue on the top-level stack, in the cue's frames, speaker kept.
    markers = list(timeline.tracks.markers)
    assert len(markers) == len(previz_cut.subtitles) > 0
    for m, sub in zip(markers, previz_cut.subtitles, strict=True):
        assert m.name == sub.text and m.metadata["storyreel"]["speaker"] == sub.speaker
        assert m.marked_range.start_time.to_frames() == sub.start
        assert m.marked_range.end_time_exclusive().to_frames() == sub.end

    assert from_otio(timeline) == previz_cut  # the faithful export loses nothing


def test_gaps_trims_and_odd_paths_survive(tmp_path: Path) -> None:
    cut = Cut("Night Ferry", 12, (
        Clip("2A-t003", "2A", tmp_path / "a b" / "镜头.mp4", 3, 15, 0, "ab12", 40),
        Clip("2B-t001", "2B", tmp_path / "b.mov", 0, 6, 20, None, None),  # 8 frames of black before it
    ), (Subtitle(1, 9, "Hello {there}", "MAYA"), Subtitle(21, 25, "没有说话人")))
    timeline = otio.adapters.read_from_file(str(write_cut(cut, tmp_path / "x.otio")), adapter_name="otio_json")
    kinds = [type(item).__name__ for item in timeline.tracks[0]]
    assert kinds == ["Clip", "Gap", "Clip"]
    assert from_otio(timeline) == cut
    assert [(e.source_in, e.frames, e.record_start) for e in read_events(timeline, 12)] == [(3, 12, 0), (0, 6, 20)]


def test_to_otio_builds_a_fresh_timeline_each_call(previz_cut: Cut) -> None:
    a, b = to_otio(previz_cut), to_otio(previz_cut)
    assert a is not b and a.is_equivalent_to(b)
