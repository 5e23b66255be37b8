"""The JianYing (剪映) draft folder: checked against its JSON schema, read back in frames with a converter of
our own (not the module's), frame-exact at 24/25/30/60 fps and over an hour, media copied in, Chinese kept as
UTF-8, ids stable across re-exports, and a re-export replacing the previous draft as a whole."""

from __future__ import annotations

import filecmp
import json
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from storyreel.errors import StoryreelError
from storyreel.services.export import cut_for_export, draft_folder, export_cut
from storyreel.services.film import open_film
from storyreel.timeline import AudioClip, Clip, Cut, Subtitle, find_format, jianying
from storyreel.timeline.jianying import DraftFolderTaken, build_draft, write_cut
from tests.timeline.filmkit import build_previz_film, expected_events

SCHEMA = json.loads((Path(__file__).parent / "jianying_draft.schema.json").read_text(encoding="utf-8"))
CONTENT = jsonschema_rs.validator_for(SCHEMA)
META = jsonschema_rs.validator_for({"$schema": SCHEMA["$schema"], "$ref": "#/$defs/draft_meta_info",
                                    "$defs": SCHEMA["$defs"]})


# --- reading a draft back, independently of the module ---------------------------------------------------------

def us(frame: int, fps: int) -> int:
    """The agreed rule, restated with fractions: frame * 1e6 / fps, rounded half up."""
    return floor(Fraction(frame * 1_000_000, fps) + Fraction(1, 2))


def frame(micro: int, fps: int) -> int:
    """The frame starting at ``micro`` µs; fails the test if no frame starts there."""
    f = round(Fraction(micro * fps, 1_000_000))
    assert us(f, fps) == micro, f"{micro} µs is not on a frame boundary at {fps} fps"
    return f


@dataclass(frozen=True)
class Seg:
    name: str  # material name (video, audio) or the text (subtitles)
    source_in: int | None
    frames: int
    record_start: int
    path: str | None


def load(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    content_bytes = (folder / "draft_content.json").read_bytes()
    assert (folder / "draft_info.json").read_bytes() == content_bytes  # macOS reads this name
    content = json.loads(content_bytes.decode("utf-8"))
    meta = json.loads((folder / "draft_meta_info.json").read_text(encoding="utf-8"))
    CONTENT.validate(content)
    META.validate(meta)
    return content, meta


def tracks(content: dict[str, Any], kind: str, fps: int) -> list[list[Seg]]:
    """Each track of ``kind`` as segments in frames, after checking no segment overlaps the one before it."""
    mats = {m["id"]: m for group in ("videos", "audios", "texts") for m in content["materials"][group]}
    out = []
    for track in (t for t in content["tracks"] if t["type"] == kind):
        segs, end = [], 0
        for s in track["segments"]:
            t, src, mat = s["target_timerange"], s["source_timerange"], mats[s["material_id"]]
            assert t["start"] >= end, f"{kind} segment {s['id']} overlaps the previous one"
            end = t["start"] + t["duration"]
            start = frame(t["start"], fps)
            if src is not None:
                assert src["duration"] == t["duration"] and s["speed"] == 1.0  # no hidden speed change
            name = json.loads(mat["content"])["text"] if kind == "text" else mat.get("material_name", mat.get("name"))
            segs.append(Seg(name, None if src is None else frame(src["start"], fps), frame(end, fps) - start, start,
                            mat.get("path")))
        out.append(segs)
    return out


def clips_of(segs: list[Seg]) -> list[tuple[str, int | None, int, int]]:
    return [(s.name, s.source_in, s.frames, s.record_start) for s in segs]


# --- hand-made cuts -----------------------------------------------------------------------------------------------

def odd_cut(fps: int, n: int, tmp: Path, *, gap_every: int = 0) -> Cut:
    """``n`` clips of lengths that share no factor with common rates, trimmed at odd in points, back to back."""
    clips, at = [], 0
    for i in range(n):
        length, cut_in = 1 + (i * 37) % 97, (i * 13) % 11
        at += 3 if gap_every and i and i % gap_every == 0 else 0
        clips.append(Clip(f"{i // 26 + 1}{chr(65 + i % 26)}-t001", str(i), tmp / f"m{i}.mp4", cut_in,
                          cut_in + length, at, None, None))
        at += length
    subs = tuple(Subtitle(c.record_start, c.record_end, f"第{i}句台词") for i, c in enumerate(clips[::3]))
    return Cut("长片", fps, tuple(clips), subs)


@pytest.mark.parametrize("fps", [24, 25, 30, 60])
def test_long_timelines_at_awkward_rates_stay_frame_exact_and_never_overlap(fps: int, tmp_path: Path) -> None:
    n = 4500 if fps == 60 else 600  # the 60 fps one runs past an hour (about 220,000 frames)
    cut = odd_cut(fps, n, tmp_path, gap_every=97)
    content = build_draft(cut, tmp_path / "draft", os_name="windows").content
    CONTENT.validate(content)
    (video,) = tracks(content, "video", fps)
    assert clips_of(video) == [(c.name, c.source_in, c.frames, c.record_start) for c in cut.clips]
    segs = content["tracks"][0]["segments"]
    for prev, seg, before, clip in zip(segs, segs[1:], cut.clips, cut.clips[1:], strict=False):
        prev_end = prev["target_timerange"]["start"] + prev["target_timerange"]["duration"]
        if clip.record_start == before.record_end:
            assert seg["target_timerange"]["start"] == prev_end  # contiguous: the very same microsecond
        else:
            assert seg["target_timerange"]["start"] > prev_end
    assert content["duration"] == us(cut.frames, fps)
    if fps == 60:
        assert cut.frames > 3600 * 60
    (text,) = tracks(content, "text", fps)
    assert [(s.name, s.frames, s.record_start) for s in text] == [(t.text, t.end - t.start, t.start)
                                                                  for t in cut.subtitles]
    assert content["config"]["maintrack_adsorb"] is False  # the cut has gaps; the magnet would close them


def test_frame_and_microsecond_conversions_invert_at_every_whole_rate() -> None:
    for fps in range(1, 121):
        for f in (*range(3 * fps + 2), 10**7 + 1):
            assert jianying.frame_to_us(f, fps) == us(f, fps)
            assert jianying.us_to_frame(us(f, fps), fps) == f
    with pytest.raises(ValueError, match="not the start of a frame"):
        jianying.us_to_frame(us(1, 24) + 1, 24)


def test_overlapping_lines_and_sounds_get_their_own_tracks(tmp_path: Path) -> None:
    for name in ("a.mp4", "vo.wav", "music.m4a"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    cut = Cut("夜渡 Night Ferry", 12, (Clip("1A-t001", "1A", tmp_path / "a.mp4", 2, 26, 0, "ab", 30),),
              (Subtitle(0, 10, "你好，世界！「引号」"), Subtitle(6, 20, "Hello, 世界 🚢"), Subtitle(12, 24, "第三行")),
              (AudioClip("music", tmp_path / "music.m4a", 0, 24), AudioClip("voice 1A", tmp_path / "vo.wav", 3, 12, 5)))
    out = write_cut(cut, tmp_path / "剪映草稿" / "夜渡", os_name="mac")
    content, meta = load(out)

    # Lines overlapping in time sit on two text tracks; each keeps its text and frames.
    text = tracks(content, "text", 12)
    assert [clips_of(t) for t in text] == [[("你好，世界！「引号」", None, 10, 0), ("第三行", None, 12, 12)],
                                           [("Hello, 世界 🚢", None, 14, 6)]]
    audio = tracks(content, "audio", 12)
    assert [clips_of(t) for t in audio] == [[("music", 0, 24, 0)], [("voice 1A", 5, 12, 3)]]
    assert content["last_modified_platform"]["os"] == "mac"

    # UTF-8 on disk, not \u escapes, in the timeline and inside each text material's own JSON.
    raw = (out / "draft_content.json").read_text(encoding="utf-8")
    assert "你好，世界！「引号」" in raw and "🚢" in raw and "\\u4f60" not in raw

    # Every media file is copied into Resources/ and referenced there by absolute path, also in the media bin.
    paths = sorted(s.path for t in tracks(content, "video", 12) + audio for s in t)
    assert paths == sorted(str(out / "Resources" / n) for n in ("1A-t001.mp4", "music.m4a", "voice 1A.wav"))
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in paths)
    assert filecmp.cmp(out / "Resources" / "1A-t001.mp4", tmp_path / "a.mp4", shallow=False)
    (bin_,) = [g["value"] for g in meta["draft_materials"] if g["type"] == 0]
    assert sorted(r["file_Path"] for r in bin_) == paths
    assert (meta["draft_name"], meta["draft_fold_path"], meta["draft_root_path"]) == ("夜渡", str(out),
                                                                                     str(out.parent))
    assert meta["draft_id"] == content["id"] and meta["tm_duration"] == content["duration"] == us(24, 12)


def test_a_reexport_is_byte_identical_and_replaces_the_whole_folder(tmp_path: Path) -> None:
    for i in range(8):
        (tmp_path / f"m{i}.mp4").write_bytes(bytes([i]) * 64)
    cut = odd_cut(24, 8, tmp_path)
    target = tmp_path / "drafts" / "长片"
    write_cut(cut, target, os_name="windows")
    first = {p.name: p.read_bytes() for p in target.glob("*.json")}
    (target / "stray.txt").write_text("left by an editor", encoding="utf-8")
    write_cut(cut, target, os_name="windows")
    assert {p.name: p.read_bytes() for p in target.glob("*.json")} == first  # same ids, same bytes
    assert not (target / "stray.txt").exists()  # replaced as a whole, not written over
    assert sorted(p.name for p in (tmp_path / "drafts").iterdir()) == ["长片"]  # nothing staged left behind

    shorter = Cut(cut.title, 24, cut.clips[:1])
    write_cut(shorter, target, os_name="windows")
    content, _ = load(target)
    assert [p.name for p in (target / "Resources").iterdir()] == [f"{cut.clips[0].name}.mp4"]
    assert [t["type"] for t in content["tracks"]] == ["video"] and content["config"]["maintrack_adsorb"] is True


def test_a_folder_that_is_not_our_draft_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "a.mp4").write_bytes(b"a")
    cut = Cut("x", 24, (Clip("1A-t001", "1A", tmp_path / "a.mp4", 0, 5, 0),))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(DraftFolderTaken) as err:
        write_cut(cut, tmp_path / "mine")
    assert isinstance(err.value, StoryreelError) and err.value.zh
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    (tmp_path / "empty").mkdir()
    assert (write_cut(cut, tmp_path / "empty") / "draft_content.json").is_file()


def test_a_failed_export_leaves_the_previous_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(name.encode())
    cut = Cut("x", 25, (Clip("1A-t001", "1A", tmp_path / "a.mp4", 0, 5, 0),
                        Clip("1B-t001", "1B", tmp_path / "b.mp4", 0, 5, 5)))
    target = write_cut(cut, tmp_path / "drafts" / "x")
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    real_copy = jianying.shutil.copyfile
    calls = []

    def copy_then_fail(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_copy(src, dst)

    monkeypatch.setattr(jianying.shutil, "copyfile", copy_then_fail)
    with pytest.raises(OSError):
        write_cut(Cut("x", 25, cut.clips, (Subtitle(0, 5, "新字幕"),)), target)
    assert {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["x"]


# --- through services.export, on a real previz film -------------------------------------------------------------

@pytest.fixture(scope="module")
def film_25(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_previz_film(tmp_path_factory.mktemp("jianying") / "film 25", fps=25)


def test_storyreel_export_to_jianying_end_to_end(film_25: Path, tmp_path: Path) -> None:
    assert find_format("jianying").subtitles  # no SRT beside: the draft has a text track
    with open_film(film_25) as film:
        out = export_cut(film, to="jianying")
        assert out == draft_folder(film) == film_25 / "renders" / "jianying" / "测试片"
        cut_frames = [(c.source_in, c.frames, c.record_start) for c in cut_for_export(film).clips]
    content, _ = load(out)
    (video,) = tracks(content, "video", 25)
    expected = expected_events(film_25)
    assert [(s.name, s.source_in, s.frames, s.record_start) for s in video] == [
        (e.name, e.source_in, e.frames, e.record_start) for e in expected]
    assert [(s.source_in, s.frames, s.record_start) for s in video] == cut_frames
    for seg, event in zip(video, expected, strict=True):  # the circled take's own file, copied byte for byte
        assert Path(seg.path).parent == out / "Resources" and filecmp.cmp(seg.path, event.media, shallow=False)
    (text,) = tracks(content, "text", 25)
    assert text and all(s.name for s in text)
    assert content["canvas_config"]["width"] == 160 and content["canvas_config"]["height"] == 96
    assert not (out.parent / "测试片.srt").exists()

    # A second export to the same folder replaces it as a whole; nothing is left beside it.
    (out / "stray.txt").write_text("x", encoding="utf-8")
    with open_film(film_25) as film:
        assert export_cut(film, to="jianying", path=out) == out
    assert not (out / "stray.txt").exists() and sorted(p.name for p in out.parent.iterdir()) == ["测试片"]
    assert load(out)[0] == content

    with open_film(film_25) as film, pytest.raises(StoryreelError, match="folder"):
        export_cut(film, to="jianying", path=tmp_path / "cut.edl")
    assert not (tmp_path / "cut.edl").exists()
