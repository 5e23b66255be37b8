"""The CMX 3600 EDL export, read back with OpenTimelineIO's cmx_3600 adapter (rate given) frame by frame."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from storyreel.timeline import Clip, Cut, ExportTooLong, UnsupportedRate
from storyreel.timeline.edl import edl_rate, reel_name, write_cut
from tests.timeline.filmkit import expected_events, read_events


def _event_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:3].isdigit()]


def test_edl_round_trip_matches_the_rough_cut(previz_film: Path, previz_cut: Cut, tmp_path: Path) -> None:
    out = write_cut(previz_cut, tmp_path / "cut.edl")
    text = out.read_text(encoding="utf-8")
    timeline = otio.adapters.read_from_file(str(out), adapter_name="cmx_3600", rate=24)

    events = read_events(timeline, 24)
    assert events == expected_events(previz_film)
    assert all(e.media.is_file() for e in events)
    # Reels are the shot codes, at most 8 characters; no reel comes from the media's hash file name.
    lines = _event_lines(text)
    assert len(lines) == len(previz_cut.clips)
    reels = [line.split()[1] for line in lines]
    assert reels == [c.shot for c in previz_cut.clips] and all(len(r) <= 8 for r in reels)
    assert [c.metadata["cmx_3600"]["reel"] for c in timeline.find_clips()] == reels
    assert "TRUNCATED REEL" not in text
    # One picture track; no subtitles, no markers, no audio.
    assert [t.kind for t in timeline.tracks] == [otio.schema.TrackKind.Video]
    assert "LOC:" not in text and not any(s.text in text for s in previz_cut.subtitles)
    assert all(line.split()[2] == "V" for line in lines)


@pytest.mark.parametrize(("shot", "reel"), [("3A", "3A"), ("12B", "12B"), ("SC010-SH0040", "SC010SH0"),
                                           ("镜头", "AX"), ("1A_pickup", "1Apickup")])
def test_reel_names_fit_eight_characters(shot: str, reel: str) -> None:
    assert reel_name(shot) == reel


def test_a_long_shot_code_is_cut_to_eight(tmp_path: Path) -> None:
    cut = Cut("t", 25, (Clip("SC010-SH0040-t001", "SC010-SH0040", tmp_path / "a.mp4", 0, 25, 0),))
    text = write_cut(cut, tmp_path / "a.edl").read_text(encoding="utf-8")
    assert _event_lines(text)[0].split()[1] == "SC010SH0"
    timeline = otio.adapters.read_from_file(str(tmp_path / "a.edl"), adapter_name="cmx_3600", rate=25)
    assert [(e.source_in, e.frames, e.record_start) for e in read_events(timeline, 25)] == [(0, 25, 0)]


def test_rates_and_limits(tmp_path: Path) -> None:
    clip = Clip("1A-t001", "1A", tmp_path / "a.mp4", 0, 8, 0)
    assert edl_rate(Cut("t", 8, (clip,))) == 24 and edl_rate(Cut("t", 15, (clip,))) == 30
    timeline = otio.adapters.read_from_file(str(write_cut(Cut("t", 8, (clip,)), tmp_path / "a.edl")),
                                            adapter_name="cmx_3600", rate=24)
    assert [(e.source_in, e.frames, e.record_start) for e in read_events(timeline, 24)] == [(0, 24, 0)]
    with pytest.raises(UnsupportedRate):
        write_cut(Cut("t", 7, (clip,)), tmp_path / "b.edl")
    many = tuple(Clip(f"S{i}-t001", f"S{i}", tmp_path / "a.mp4", 0, 1, i) for i in range(1000))
    with pytest.raises(ExportTooLong, match="999"):
        write_cut(Cut("t", 24, many), tmp_path / "c.edl")
