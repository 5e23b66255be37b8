"""Stream-copy concatenation: frame-exact cut points, soft subtitles, audio that does not drift."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from storyreel.errors import MediaError
from storyreel.media.normalise import AUDIO_FRAME, NormProfile, Treatment, normalise_clip, reference_clip
from storyreel.media.preview import Segment, concat_copy, keyframe_starts, silent_packet
from storyreel.media.probe import frame_at, probe
from storyreel.media.subtitles import Cue
from tests.media.test_normalise import colour_clip

PROFILE = NormProfile(width=160, height=90, fps=12)
COLOURS = [(220, 20, 20), (20, 220, 20), (20, 20, 220), (220, 220, 20)]
LENGTHS = [7, 13, 5, 9]  # lengths whose audio (7/12 s …) is not a whole number of AAC packets


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Segment], bytes]:
    d = tmp_path_factory.mktemp("clips")
    ref = reference_clip(PROFILE, d / "reference.mp4")
    segments = []
    for i, (colour, n) in enumerate(zip(COLOURS, LENGTHS)):
        src = colour_clip(d / f"take{i}.mp4", [colour] * n)
        out = d / f"norm{i}.mp4"
        normalise_clip(src, out, PROFILE, frames=n, reference=ref)
        segments.append(Segment(out, n))
    return segments, silent_packet(d / "reference.mp4")


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 24 for a, b in zip(pixel, colour))


def test_every_clip_starts_on_its_frame(tmp_path: Path, clips: tuple[list[Segment], bytes]) -> None:
    segments, silence = clips
    out = tmp_path / "preview.mp4"
    cues = [Cue(1, 6, "first line", "MAYA"), Cue(8, 18, "第二句"), Cue(26, 30, "third")]
    total = concat_copy(segments, cues, out=out, srt=tmp_path / "preview.srt", fps=12, silence=silence)
    assert total == sum(LENGTHS) == probe(out).frames
    start = 0
    for colour, n in zip(COLOURS, LENGTHS):
        assert _near(frame_at(out, start).getpixel((80, 45)), colour), start
        assert _near(frame_at(out, start + n - 1).getpixel((80, 45)), colour), start + n - 1
        start += n
    assert keyframe_starts(out, 12)[1] >= {0, 7, 20, 25}

    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio", "subtitle"]
        assert c.streams.subtitles[0].codec_context.name == "mov_text"
        texts = [bytes(p)[2:].decode() for p in c.demux(c.streams.subtitles[0]) if p.size > 2]
        a = c.streams.audio[0]
        assert a.codec_context.sample_rate == 48000
    assert texts == ["MAYA: first line", "第二句", "third"]
    assert (tmp_path / "preview.srt").read_text("utf-8").count("-->") == 3


def test_audio_stays_within_half_a_packet_at_every_cut(tmp_path: Path, clips: tuple[list[Segment], bytes]) -> None:
    segments, silence = clips
    out = tmp_path / "preview.mp4"
    concat_copy(segments * 3, [], out=out, srt=tmp_path / "p.srt", fps=12, silence=silence)
    with av.open(str(out)) as c:
        packets = [p for p in c.demux(c.streams.audio[0]) if p.size]
    played = sum(1 for p in packets if p.pts >= 0) * AUDIO_FRAME  # priming (pts < 0) is cut by the edit list
    expected = sum(LENGTHS) * 3 * 48000 // 12
    assert abs(played - expected) <= AUDIO_FRAME // 2
    # Back to back: no gaps or overlaps a sequential player would turn into drift.
    pts = [p.pts for p in packets if p.pts >= 0]
    assert pts == [i * AUDIO_FRAME for i in range(len(pts))]


def test_trimmed_segment_joins_like_a_whole_clip(tmp_path: Path, clips: tuple[list[Segment], bytes]) -> None:
    segments, silence = clips
    src = colour_clip(tmp_path / "two.mp4", [(220, 20, 220)] * 3 + [(20, 220, 220)] * 5)
    seg = tmp_path / "seg.mp4"
    ref = reference_clip(PROFILE, tmp_path / "ref.mp4")
    normalise_clip(src, seg, PROFILE, frames=4, reference=ref, treatment=Treatment(source_in=3, source_out=7))
    out = tmp_path / "p.mp4"
    concat_copy([segments[0], Segment(seg, 4), segments[1]], [], out=out, srt=tmp_path / "p.srt", fps=12,
                silence=silence)
    assert probe(out).frames == 7 + 4 + 13
    assert _near(frame_at(out, 7).getpixel((80, 45)), (20, 220, 220))
    assert _near(frame_at(out, 11).getpixel((80, 45)), COLOURS[1])


def test_clip_with_other_parameters_is_refused(tmp_path: Path, clips: tuple[list[Segment], bytes]) -> None:
    segments, silence = clips
    other = NormProfile(width=160, height=90, fps=12, crf=30, preset="ultrafast")
    ref = reference_clip(other, tmp_path / "other-ref.mp4")
    odd = tmp_path / "odd.mp4"
    normalise_clip(colour_clip(tmp_path / "o.mp4", [(9, 9, 9)] * 4), odd, other, frames=4, reference=ref)
    with pytest.raises(MediaError, match="H.264 parameters"):
        concat_copy([segments[0], Segment(odd, 4)], [], out=tmp_path / "x.mp4", srt=tmp_path / "x.srt", fps=12,
                    silence=silence)
    assert not (tmp_path / "x.mp4").exists()
