"""storyreel export: the rough cut of a real previz film as .otio, FCP7 XML and EDL, read back with
OpenTimelineIO and compared frame by frame with services.cut.assemble; SRTs beside; atomic writes."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pysubs2
import pytest

import storyreel.timeline.edl
from storyreel.errors import StoryreelError
from storyreel.media.subtitles import frame_to_ms
from storyreel.services.cut import assemble
from storyreel.services.export import cut_for_export, export_cut, subtitles_beside
from storyreel.services.film import open_film
from storyreel.timeline import UnknownFormat
from tests.timeline.filmkit import build_previz_film, expected_events, read_events

ADAPTERS = {"otio": "otio_json", "fcp7": "fcp_xml", "edl": "cmx_3600"}


@pytest.fixture(scope="module")
def film_24(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_previz_film(tmp_path_factory.mktemp("export") / "film24", fps=24, language="en", title="Last Bus")


@pytest.fixture(scope="module")
def film_8(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_previz_film(tmp_path_factory.mktemp("export") / "film8", fps=8)


def _read(path: Path, fmt: str, rate: int) -> otio.schema.Timeline:
    options = {"rate": rate} if fmt == "edl" else {}
    return otio.adapters.read_from_file(str(path), adapter_name=ADAPTERS[fmt], **options)


@pytest.mark.parametrize(("fmt", "suffix"), [("otio", ".otio"), ("fcp7", ".xml"), ("edl", ".edl")])
def test_export_each_format_to_renders(film_24: Path, fmt: str, suffix: str) -> None:
    with open_film(film_24) as film:
        out = export_cut(film, to=fmt)
        entries, cues = assemble(film)
    assert out == film_24 / "renders" / f"cut{suffix}" and out.is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"

    events = read_events(_read(out, fmt, 24), 24)
    assert [e.name for e in events] == [e.take.label for e in entries]
    assert [(e.source_in, e.frames, e.record_start) for e in events] == [(0, e.frames, e.start) for e in entries]
    assert events == expected_events(film_24)
    assert all(e.media.is_file() for e in events)
    assert entries[1].take.number == 2  # the circled second take, not the default first

    # None of these formats carries a subtitle track, so the dialogue goes beside it as SRT, in the cut's frames.
    srt = subtitles_beside(out)
    assert srt == out.with_suffix(".srt")
    subs = pysubs2.load(str(srt))
    assert len(subs) == len(cues) > 0
    for event, cue in zip(subs, cues, strict=True):
        assert cue.text in event.plaintext
        assert (event.start, event.end) == (frame_to_ms(cue.start_frame, 24), frame_to_ms(cue.end_frame, 24))


@pytest.mark.parametrize("fmt", ["fcp7", "edl"])
def test_an_8fps_film_goes_out_at_24(film_8: Path, tmp_path: Path, fmt: str) -> None:
    # 8 fps has no SMPTE timecode; the timecode formats count each frame as 3 frames of 24 fps, exactly.
    with open_film(film_8) as film:
        out = export_cut(film, to=fmt, path=tmp_path / f"animatic.{'xml' if fmt == 'fcp7' else 'edl'}")
    assert read_events(_read(out, fmt, 24), 24) == expected_events(film_8, scale=3)
    assert (tmp_path / "animatic.srt").is_file()


def test_otio_keeps_8fps_and_everything_else(film_8: Path, tmp_path: Path) -> None:
    from storyreel.timeline.otio import from_otio

    with open_film(film_8) as film:
        out = export_cut(film, to=".otio", path=tmp_path / "a" / "cut.otio")  # missing folders are made
        cut = cut_for_export(film)
    timeline = _read(out, "otio", 8)
    assert read_events(timeline, 8) == expected_events(film_8)
    assert from_otio(timeline) == cut and cut.title == "测试片" and cut.fps == 8


def test_unknown_format_lists_the_formats_before_any_work(film_24: Path) -> None:
    with open_film(film_24) as film, pytest.raises(UnknownFormat) as err:
        export_cut(film, to="premiere", path=film_24 / "renders" / "never.json")
    assert isinstance(err.value, StoryreelError)
    for name, suffix in (("otio", ".otio"), ("fcp7", ".xml"), ("edl", ".edl")):
        assert f"{name} ({suffix}" in err.value.message and f"{name}（{suffix}" in err.value.zh
    assert not (film_24 / "renders" / "never.json").exists()


def test_a_path_naming_another_format_is_refused(film_24: Path, tmp_path: Path) -> None:
    with open_film(film_24) as film:
        with pytest.raises(StoryreelError, match="--to fcp7"):
            export_cut(film, to="edl", path=tmp_path / "cut.xml")
        with pytest.raises(StoryreelError, match=r"\.srt"):
            export_cut(film, to="edl", path=tmp_path / "cut.srt")
        assert export_cut(film, to="edl", path=tmp_path / "cut.txt").read_text(encoding="utf-8").startswith("TITLE:")
    assert not (tmp_path / "cut.xml").exists()


def test_a_failed_export_leaves_the_previous_file(film_24: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "cut.edl"
    with open_film(film_24) as film:
        export_cut(film, to="edl", path=target)
        before = target.read_bytes()

        def half_written(cut, path):
            Path(path).write_text("001  1A", encoding="utf-8")
            raise RuntimeError("disk pulled out")

        monkeypatch.setattr(storyreel.timeline.edl, "write_cut", half_written)
        with pytest.raises(RuntimeError):
            export_cut(film, to="edl", path=target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.edl", "cut.srt"]


def test_an_edited_cut_exports_its_trims_and_dissolves_without_overlap(tmp_path: Path) -> None:
    from storyreel.model import ClipEffects, Transition
    from storyreel.services.timeline import materialise, set_effects, timeline, trim_clip

    root = build_previz_film(tmp_path / "edited", fps=24, language="en", title="Edited")
    with open_film(root) as film:
        materialise(film)
        first, second = timeline(film)[:2]
        trim_clip(film, first.id, 6, first.take.frames - 4)
        set_effects(film, second.id, ClipEffects(transition_in=Transition.DISSOLVE, transition_frames=8))
        entries, _ = assemble(film)
        out = export_cut(film, to="otio", path=tmp_path / "edited.otio")
    events = read_events(_read(out, "otio", 24), 24)
    assert entries[0].frames == entries[0].take.frames - 10  # the trim
    assert events[0].source_in == 6 and events[0].frames == entries[0].frames - 8  # cut where the dissolve starts
    # The dissolve starts 8 frames before the trimmed first clip ends: the export cuts there, one track, no overlap.
    assert events[1].record_start == entries[1].start == events[0].record_start + events[0].frames
    for a, b in zip(events, events[1:]):
        assert a.record_start + a.frames <= b.record_start
