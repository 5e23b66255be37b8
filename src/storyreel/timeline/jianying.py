"""A JianYing (剪映, CapCut China's desktop editor) draft folder, for JianYing Pro 5.9 and earlier.

JianYing opens drafts, not interchange files: a draft is a folder in its drafts library holding the timeline as
JSON. ``write_cut(cut, folder)`` writes one, self-contained:

    <folder>/draft_content.json     the timeline (the name JianYing for Windows reads)
    <folder>/draft_info.json        the same bytes (the name JianYing for macOS, and 6.0+ everywhere, reads)
    <folder>/draft_meta_info.json   the draft's name, id and place, and its media bin
    <folder>/Resources/3A-t002.mp4  every media file, copied in and named by its take
    <folder>/storyreel.json         marks the folder as ours, so a re-export may replace it (nothing else may)

Version: the JSON is what pyJianYingDraft writes for JianYing Pro 5.9 (``last_modified_platform.app_version``
"5.9.0", ``version`` 360000); the fields and their sources are in ``_jianying_json``. JianYing 6.0 and later
*encrypt* the drafts they save (pyJianYingDraft#93), so a draft cannot be read back once JianYing 6+ has
re-saved it; reports say 6+ still opens a plain draft and converts it (pyJianYingDraft PR #198), which is not
tested here. CapCut International uses a different app id and is not a target.

Where the folder goes: JianYing refuses relative media paths (VectCutAPI#35), so ``path`` in every material is
absolute and points into ``<folder>/Resources/``. Export straight into JianYing's drafts library (Windows
``%LOCALAPPDATA%\\JianyingPro\\User Data\\Projects\\com.lveditor.draft\\<name>``, macOS
``~/Movies/JianyingPro/User Data/Projects/com.lveditor.draft/<name>``); a moved folder has to be exported again.
Media lives inside the draft because macOS JianYing is sandboxed and cannot read files elsewhere.

Time: JianYing counts microseconds. Every boundary is computed from a frame number by one rule,
``frame_to_us(f) = round_half_up(f * 1_000_000 / fps)`` in integer arithmetic, so a segment's end and the next
segment's start are the same integer and segments on a track never overlap (one microsecond of overlap makes
JianYing reject the draft; video-shotcraft PR #36). Each track is checked before anything is written.

Mapping:
- Picture: one video track, one segment per clip in record order, ``source_timerange`` from the clip's in point,
  ``target_timerange`` its record frames; speed 1, the take's own sound at full volume. One material per media
  file, named by the take label.
- Subtitles: a text track in JianYing's imported-subtitle style (centred, size 5, low in the frame). Lines that
  overlap in time go on a second text track.
- ``cut.audio``: audio tracks, one per layer of overlapping clips.

Dropped:
- The subtitle speaker (JianYing text has no speaker) and ``Clip.shot`` / ``Clip.sha`` (no place for them; the
  take label survives as the material name).
- Gaps: JianYing's main track closes gaps when "main track magnet" (``maintrack_adsorb``) is on, so it is written
  off for a cut with gaps; JianYing still moves a main track's first segment to 0 (pyJianYingDraft
  ``add_track``), so black before the first clip is lost.
- Times and machine fingerprints: creation times are 0 and the platform block names only the OS, so the same cut
  exports to the same bytes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from storyreel.errors import StoryreelError
from storyreel.timeline import _jianying_json as J
from storyreel.timeline._cut import Cut

__all__ = ["DRAFT_FILES", "JIANYING_VERSION", "WRITES_FOLDER", "Draft", "DraftFolderTaken", "build_draft",
           "check_track", "frame_to_us", "us_to_frame", "write_cut"]

JIANYING_VERSION = J.APP_VERSION
WRITES_FOLDER = True  # write_cut makes a folder (atomically, itself); services.export must not wrap it in a file
DRAFT_FILES = ("draft_content.json", "draft_info.json")  # identical timeline files, for Windows and macOS
META_FILE = "draft_meta_info.json"
MARKER_FILE = "storyreel.json"
RESOURCES = "Resources"
US_PER_SECOND = 1_000_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}

# Ids are uuid5 in this namespace, from the draft's name and each object's role and position: a re-export of
# the same cut to the same folder gets the same ids, so drafts diff cleanly.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "storyreel:timeline:jianying-draft")


class DraftFolderTaken(StoryreelError):
    """The export folder exists and is not a draft storyreel wrote, so it is not replaced."""


# --- time ------------------------------------------------------------------------------------------------------

def frame_to_us(frame: int, fps: int) -> int:
    """Microseconds at the start of ``frame``: ``frame * 1e6 / fps`` rounded half up, in integers."""
    return (frame * 2 * US_PER_SECOND + fps) // (2 * fps)


def us_to_frame(us: int, fps: int) -> int:
    """The frame whose start ``frame_to_us`` puts at ``us``; refuses a time that is not such a start."""
    frame = (us * fps * 2 + US_PER_SECOND) // (2 * US_PER_SECOND)
    if frame_to_us(frame, fps) != us:
        raise ValueError(f"{us} µs is not the start of a frame at {fps} fps")
    return frame


def _range(start: int, end: int, fps: int) -> J.JsonDict:
    """Frames [start, end) as a JianYing time range: both ends by ``frame_to_us``, then subtracted."""
    first = frame_to_us(start, fps)
    return J.timerange(first, frame_to_us(end, fps) - first)


# --- building ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """A draft as it will be written: the two JSON documents and the media files to copy into the folder."""

    content: J.JsonDict  # draft_content.json (and draft_info.json)
    meta: J.JsonDict  # draft_meta_info.json
    copies: tuple[tuple[Path, str], ...]  # (source file, path inside the folder with "/" separators)


T = TypeVar("T")


def _lanes(items: Iterable[T], span: Callable[[T], tuple[int, int]]) -> list[list[T]]:
    """Items spread over as few lanes as possible so that none overlaps another on its lane (first fit)."""
    lanes: list[list[T]] = []
    ends: list[int] = []
    for item in sorted(items, key=lambda i: span(i)[0]):
        start, end = span(item)
        for n, lane_end in enumerate(ends):
            if lane_end <= start:
                lanes[n].append(item)
                ends[n] = end
                break
        else:
            lanes.append([item])
            ends.append(end)
    return lanes


def check_track(track: Mapping[str, Any]) -> None:
    """Refuse a track whose segments are empty, out of order or overlap by even one microsecond."""
    end = 0
    for seg in track["segments"]:
        t = seg["target_timerange"]
        if t["duration"] <= 0 or t["start"] < end:
            raise ValueError(f"{track['type']} track {track['name']!r}: segment {seg['id']} at {t} starts before "
                             f"the previous one ends ({end} µs) or is empty")
        end = t["start"] + t["duration"]


def _safe_name(name: str) -> str:
    """A file name every OS accepts, for a take label or title."""
    cleaned = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned or "media"


class _Media:
    """The draft's media files: one material and one copy under Resources/ per distinct source file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: dict[Path, str] = {}  # source → file name under Resources/
        self.used: set[str] = set()
        self.ends: dict[Path, int] = {}  # source → furthest microsecond used

    def add(self, source: Path, label: str, end_us: int) -> str:
        source = Path(source).absolute()
        if source not in self.names:
            stem, suffix = _safe_name(label), source.suffix.lower()
            name, n = stem + suffix, 2
            while name.lower() in self.used:
                name, n = f"{stem}-{n}{suffix}", n + 1
            self.used.add(name.lower())
            self.names[source] = name
        self.ends[source] = max(self.ends.get(source, 0), end_us)
        return self.names[source]

    def path(self, source: Path) -> str:
        return str(self.folder / RESOURCES / self.names[Path(source).absolute()])


def build_draft(cut: Cut, folder: Path, *, canvas: tuple[int, int] = (1920, 1080),
                media_sizes: Mapping[Path, tuple[int, int]] | None = None, os_name: str | None = None) -> Draft:
    """The draft for ``cut`` as it will sit at ``folder`` (absolute media paths point there). Pure: reads no file.

    ``canvas`` is the frame size (width, height); ``media_sizes`` the size of each media file where it differs.
    ``os_name`` ("windows" or "mac") defaults to this machine's.
    """
    folder = Path(folder).absolute()
    fps, key = cut.fps, folder.name
    sizes = {Path(p).absolute(): wh for p, wh in (media_sizes or {}).items()}

    def make_id(*parts: object) -> str:
        return uuid.uuid5(NAMESPACE, "/".join(map(str, (key, *parts)))).hex

    media = _Media(folder)
    videos, audios, speeds, texts = {}, {}, [], []
    tracks: list[J.JsonDict] = []

    # 1. Picture: one video track, clips in record order.
    segments = []
    for pos, clip in enumerate(cut.clips):
        target = _range(clip.record_start, clip.record_end, fps)
        # The source range has the target's length exactly: JianYing's speed is source / target duration, and
        # rounding both ends of the source separately could make it 0.999998.
        source = J.timerange(frame_to_us(clip.source_in, fps), target["duration"])
        media_frames = clip.media_frames if clip.media_frames is not None else clip.source_out
        media.add(clip.media, clip.name, max(frame_to_us(media_frames, fps), source["start"] + source["duration"]))
        material_id = make_id("material", media.names[clip.media.absolute()])
        speed_id = make_id("speed", "video", pos)
        videos.setdefault(material_id, clip)  # named by the first clip that uses the file
        speeds.append(J.speed_material(speed_id))
        segments.append(J.video_segment(segment_id=make_id("segment", "video", pos, clip.name),
                                        material_id=material_id, speed_id=speed_id, source=source, target=target))
    tracks.append(J.track(track_id=make_id("track", "video", 0), kind="video", name="", segments=segments))

    # 2. Sound under the picture, one track per layer of overlapping clips.
    for lane_no, lane in enumerate(_lanes(enumerate(cut.audio), lambda pa: (pa[1].record_start, pa[1].record_end))):
        segments = []
        for pos, sound in lane:
            target = _range(sound.record_start, sound.record_end, fps)
            source = J.timerange(frame_to_us(sound.source_in, fps), target["duration"])
            media.add(sound.media, sound.name, source["start"] + source["duration"])
            material_id = make_id("material", media.names[sound.media.absolute()])
            speed_id = make_id("speed", "audio", pos)
            audios.setdefault(material_id, sound)
            speeds.append(J.speed_material(speed_id))
            segments.append(J.audio_segment(segment_id=make_id("segment", "audio", pos, sound.name),
                                            material_id=material_id, speed_id=speed_id, source=source,
                                            target=target))
        tracks.append(J.track(track_id=make_id("track", "audio", lane_no), kind="audio",
                              name="" if lane_no == 0 else f"audio {lane_no + 1}", segments=segments))

    # 3. Subtitles above everything, one track per layer of overlapping lines.
    for lane_no, lane in enumerate(_lanes(enumerate(cut.subtitles), lambda ps: (ps[1].start, ps[1].end))):
        segments = []
        for pos, sub in lane:
            material_id = make_id("text", pos)
            texts.append(J.text_material(material_id=material_id, text=sub.text))
            segments.append(J.text_segment(segment_id=make_id("segment", "text", pos), material_id=material_id,
                                           target=_range(sub.start, sub.end, fps)))
        tracks.append(J.track(track_id=make_id("track", "text", lane_no), kind="text",
                              name="" if lane_no == 0 else f"subtitles {lane_no + 1}", segments=segments))

    for track in tracks:
        check_track(track)
    _check_frames(cut, tracks[0])

    width, height = canvas
    video_materials = []
    for material_id, clip in videos.items():
        source = clip.media.absolute()
        still = source.suffix.lower() in IMAGE_SUFFIXES
        w, h = sizes.get(source, canvas)
        video_materials.append(J.video_material(
            material_id=material_id, name=clip.name, path=media.path(source),
            duration_us=J.PHOTO_DURATION_US if still else media.ends[source], width=w, height=h,
            kind="photo" if still else "video"))
    audio_materials = [J.audio_material(material_id=material_id, name=sound.name, path=media.path(sound.media),
                                        duration_us=media.ends[sound.media.absolute()])
                       for material_id, sound in audios.items()]
    duration = max([frame_to_us(cut.frames, fps)]
                   + [frame_to_us(a.record_end, fps) for a in cut.audio]
                   + [frame_to_us(s.end, fps) for s in cut.subtitles])
    gaps = any(c.record_start != (cut.clips[i - 1].record_end if i else 0) for i, c in enumerate(cut.clips))
    draft_id = str(uuid.uuid5(NAMESPACE, f"draft/{key}/{cut.title}")).upper()
    content = J.draft_content(
        draft_id=draft_id, name=key, fps=fps, duration_us=duration, width=width, height=height,
        os_name=os_name or ("mac" if sys.platform == "darwin" else "windows"), maintrack_adsorb=not gaps,
        materials=J.materials(videos=video_materials, audios=audio_materials, speeds=speeds, texts=texts),
        tracks=tracks)

    records = [J.meta_material_record(record_id=make_id("bin", m["id"]), name=m["material_name"], path=m["path"],
                                      duration_us=m["duration"], width=m["width"], height=m["height"],
                                      metetype=m["type"]) for m in video_materials]
    records += [J.meta_material_record(record_id=make_id("bin", m["id"]), name=m["name"], path=m["path"],
                                       duration_us=m["duration"], width=0, height=0, metetype="music")
                for m in audio_materials]
    meta = J.draft_meta_info(draft_id=draft_id, name=key, folder=str(folder), root=str(folder.parent),
                             duration_us=duration, media=records)
    copies = tuple((source, f"{RESOURCES}/{name}") for source, name in media.names.items())
    return Draft(content=content, meta=meta, copies=copies)


def _check_frames(cut: Cut, video_track: Mapping[str, Any]) -> None:
    """Every picture segment must read back as the clip's own frames (a bug guard, not an input check)."""
    for clip, seg in zip(cut.clips, video_track["segments"], strict=True):
        t, s = seg["target_timerange"], seg["source_timerange"]
        start, end = us_to_frame(t["start"], cut.fps), us_to_frame(t["start"] + t["duration"], cut.fps)
        if (start, end - start, us_to_frame(s["start"], cut.fps)) != (clip.record_start, clip.frames,
                                                                      clip.source_in):
            raise ValueError(f"clip {clip.name}: the draft does not hold its frames exactly")


# --- writing ----------------------------------------------------------------------------------------------------

def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _is_ours(folder: Path) -> bool:
    """May ``folder`` be replaced: missing, empty, or a draft this module wrote (it holds our marker)."""
    if not folder.exists() and not folder.is_symlink():
        return True
    return folder.is_dir() and not folder.is_symlink() and (
        not any(folder.iterdir()) or (folder / MARKER_FILE).is_file())


def _swap_in(staged: Path, final: Path) -> None:
    """Put the finished folder ``staged`` at ``final``, replacing a previous export there.

    A directory cannot be renamed over a non-empty one, so the old draft is first renamed aside, and put back
    if the second rename fails; only after both succeed is it deleted. Readers see the old draft or the new one,
    never a half-written one (for the instant between the renames, neither).
    """
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{secrets.token_hex(4)}.old")
        os.rename(final, old)
    try:
        os.rename(staged, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_cut(cut: Cut, path: Path, *, canvas: tuple[int, int] = (1920, 1080),
              media_sizes: Mapping[Path, tuple[int, int]] | None = None, os_name: str | None = None) -> Path:
    """Write ``cut`` as a JianYing draft folder at ``path``, media copied in; returns ``path``.

    The folder is built beside ``path`` under a hidden name and moved into place when complete, so a failed
    export leaves the previous draft as it was. An existing folder is replaced only if it is empty or a draft
    this function wrote; anything else raises ``DraftFolderTaken``. Drops subtitle speakers, shot codes, media
    hashes and leading black; see the module docstring. ``OSError`` passes through (the caller names the cause).
    """
    final = Path(path).absolute()
    if not _is_ours(final):
        raise DraftFolderTaken(
            f"{final} already exists and is not a JianYing draft exported by storyreel, so it was left alone. "
            "Choose a new folder name with --out.",
            zh=f"{final} 已存在，且不是 storyreel 导出的剪映草稿，因此未覆盖。请用 --out 指定一个新的文件夹名。",
            path=str(final),
        )
    draft = build_draft(cut, final, canvas=canvas, media_sizes=media_sizes, os_name=os_name)
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
    os.mkdir(staged, 0o777)  # not mkdtemp: its 0700 would stick to the draft; this honours the umask
    try:
        (staged / RESOURCES).mkdir()
        for source, inside in draft.copies:
            shutil.copyfile(source, staged / inside)
        body = _json_bytes(draft.content)
        for name in DRAFT_FILES:
            (staged / name).write_bytes(body)
        (staged / META_FILE).write_bytes(_json_bytes(draft.meta))
        (staged / MARKER_FILE).write_bytes(_json_bytes(_marker(cut)))
        _swap_in(staged, final)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return final


def _marker(cut: Cut) -> dict[str, object]:
    return {"storyreel": "jianying-draft", "title": cut.title, "fps": cut.fps, "jianying_version": JIANYING_VERSION,
            "clips": [c.name for c in cut.clips]}

