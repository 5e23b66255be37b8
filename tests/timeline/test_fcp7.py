"""The FCP7 XML export (Premiere), read back with OpenTimelineIO's fcp_xml adapter and checked frame by frame."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from storyreel.timeline import Clip, Cut, Subtitle, UnsupportedRate
from storyreel.timeline.fcp7 import write_cut
from tests.timeline.filmkit import expected_events, read_events


def test_fcp7_round_trip_matches_the_rough_cut(previz_film: Path, previz_cut: Cut, tmp_path: Path) -> None:
    out = write_cut(previz_cut, tmp_path / "cut.xml")
    text = out.read_text(encoding="utf-8")
    assert "<xmeml" in text and "file://localhost/" in text
    timeline = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")

    assert timeline.name == "测试片"
    events = read_events(timeline, 24)
    assert events == expected_events(previz_film)
    assert all(e.media.is_file() for e in events)
    # Cues survive only as sequence markers, name and frames; the speaker is dropped.
    assert [(m.name, m.marked_range.start_time.to_frames(), m.marked_range.end_time_exclusive().to_frames())
            for m in timeline.tracks.markers] == [(s.text, s.start, s.end) for s in previz_cut.subtitles]
    assert all("storyreel" not in c.metadata for c in timeline.find_clips())


def test_a_rate_without_timecode_is_written_at_a_multiple(tmp_path: Path) -> None:
    cut = Cut("t", 12, (Clip("1A-t001", "1A", tmp_path / "a.mp4", 2, 14, 0, media_frames=20),
                        Clip("1B-t001", "1B", tmp_path / "b.mp4", 0, 5, 15, media_frames=5)), (Subtitle(1, 4, "x"),))
    timeline = otio.adapters.read_from_file(str(write_cut(cut, tmp_path / "c.xml")), adapter_name="fcp_xml")
    assert [(e.source_in, e.frames, e.record_start) for e in read_events(timeline, 24)] == [(4, 24, 0), (0, 10, 30)]
    with pytest.raises(UnsupportedRate) as err:
        write_cut(Cut("t", 7, cut.clips), tmp_path / "d.xml")
    assert "7 fps" in err.value.message and "otio" in err.value.message and err.value.zh
    assert not (tmp_path / "d.xml").exists()
