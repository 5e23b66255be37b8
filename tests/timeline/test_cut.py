"""The neutral Cut value and the format registry (no OpenTimelineIO needed for either)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyreel.errors import StoryreelError
from storyreel.timeline import FORMATS, Clip, Cut, Subtitle, UnknownFormat, find_format, format_for_path


def _clip(name: str, start: int, src: tuple[int, int] = (0, 10), **kw) -> Clip:
    return Clip(name=name, shot=name.split("-")[0], media=Path("/m") / f"{name}.mp4", source_in=src[0],
                source_out=src[1], record_start=start, **kw)


def test_cut_counts_frames_and_refuses_overlaps() -> None:
    cut = Cut("t", 24, [_clip("1A-t001", 0), _clip("1B-t002", 12, (2, 8))], [Subtitle(1, 5, "hi")])
    assert isinstance(cut.clips, tuple) and isinstance(cut.subtitles, tuple)
    assert [c.frames for c in cut.clips] == [10, 6] and cut.clips[1].record_end == 18 and cut.frames == 18
    with pytest.raises(ValueError, match="overlap"):
        Cut("t", 24, [_clip("1A-t001", 0), _clip("1B-t001", 9)])
    for bad in (0, 23.976, True):
        with pytest.raises(ValueError, match="fps"):
            Cut("t", bad, [])
    with pytest.raises(ValueError):
        _clip("1A-t001", 0, (5, 5))
    with pytest.raises(ValueError):
        _clip("1A-t001", 0, (0, 30), media_frames=20)
    with pytest.raises(ValueError):
        Subtitle(4, 4, "x")


def test_at_rate_multiplies_every_frame() -> None:
    cut = Cut("t", 12, [_clip("1A-t001", 0, (1, 7), media_frames=9), _clip("1B-t001", 8)], [Subtitle(2, 5, "a", "B")])
    at24 = cut.at_rate(24)
    assert at24.fps == 24 and cut.at_rate(12) is cut
    a, b = at24.clips
    assert (a.source_in, a.source_out, a.record_start, a.media_frames) == (2, 14, 0, 18)
    assert (b.source_in, b.source_out, b.record_start, b.media_frames) == (0, 20, 16, None)
    assert at24.subtitles == (Subtitle(4, 10, "a", "B"),)
    with pytest.raises(ValueError):
        cut.at_rate(25)


@pytest.mark.parametrize(("key", "name"), [("otio", "otio"), (".OTIO", "otio"), ("fcp7", "fcp7"), (".xml", "fcp7"),
                                           ("EDL", "edl"), (".edl", "edl")])
def test_formats_by_name_or_suffix(key: str, name: str) -> None:
    assert find_format(key).name == name
    assert format_for_path(f"renders/cut{find_format(key).suffix}").name == name


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(UnknownFormat) as err:
        find_format("aaf")
    assert isinstance(err.value, StoryreelError)
    for f in FORMATS.values():
        assert f.name in err.value.message and f.suffix in err.value.message
        assert f.name in err.value.zh and f.suffix in err.value.zh
    assert "aaf" in err.value.message and "未知的导出格式" in err.value.zh
    assert err.value.context["formats"] == ["otio", "fcp7", "edl", "jianying"]
    with pytest.raises(UnknownFormat, match="no suffix"):
        format_for_path("renders/cut")


def test_every_registered_module_has_write_cut() -> None:
    for f in FORMATS.values():
        module = f.load()
        assert "Drops" in (module.write_cut.__doc__ or ""), f.name  # STYLE 10: each says what it drops


def test_registry_imports_no_opentimelineio() -> None:
    # storyreel --help must not pay for OpenTimelineIO; only an adapter that is used imports it.
    code = ("import sys, storyreel.timeline, storyreel.services.export, storyreel.timeline as t; "
            "assert 'opentimelineio' not in sys.modules, 'imported at startup'; "
            "t.find_format('edl').load(); assert 'opentimelineio' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_a_missing_adapter_names_the_package_to_install(tmp_path: Path) -> None:
    import opentimelineio as otio

    from storyreel.timeline import FormatUnavailable
    from storyreel.timeline._io import write_timeline

    with pytest.raises(FormatUnavailable, match="pip install otio-aaf-adapter") as err:
        write_timeline(otio.schema.Timeline(), tmp_path / "x.aaf", adapter="no_such_adapter", package="otio-aaf-adapter")
    assert "otio-aaf-adapter" in err.value.zh and not (tmp_path / "x.aaf").exists()
