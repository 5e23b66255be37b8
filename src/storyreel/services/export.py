"""Editorial hand-off (``storyreel export``): the rough cut as a timeline file another editor opens.

The cut is the same one ``storyreel cut`` renders (``services.cut.assemble``): each shot's selected take, whole,
in shot order, with dialogue cues in frames. Here it becomes a ``timeline.Cut`` pointing at the takes' own media
files (absolute paths into the film's media store, so the editor links the originals, not the rendered cut),
and the chosen adapter writes it. Formats and what each one drops: ``storyreel.timeline``.

Files are written atomically: a failed export leaves the previous file as it was. A format that carries no
subtitle track gets the dialogue as an SRT beside it (``cut.edl`` → ``cut.srt``), timed by the same rules as
``storyreel cut``'s.

A JianYing draft is a folder, not a file (``renders/jianying/<title>/`` by default, or ``--out`` straight into
JianYing's drafts library): the media is copied into it and it replaces a previous export as a whole, the same
way (built under a hidden name beside it, then moved into place).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from storyreel.errors import StoryreelError, TakeNotFound
from storyreel.media.files import atomic_target, oserror_not_writable
from storyreel.media.subtitles import Cue, write_srt
from storyreel.services.cut import CutEntry, assemble
from storyreel.services.film import Film
from storyreel.timeline import FORMATS, Clip, Cut, ExportFormat, Subtitle, find_format

__all__ = ["cut_for_export", "draft_folder", "export_cut", "subtitles_beside"]


def cut_for_export(film: Film, *, entries: list[CutEntry] | None = None, cues: list[Cue] | None = None) -> Cut:
    """The film's rough cut as a ``timeline.Cut`` (from ``assemble`` unless its entries and cues are given)."""
    if entries is None or cues is None:
        entries, cues = assemble(film)
    clips = []
    for i, e in enumerate(entries):
        if not e.take.clip_sha:
            raise TakeNotFound(
                f"Take {e.take.label} has no media file yet. Run: storyreel shoot --shots {e.shot.code}",
                zh=f"镜头结果 {e.take.label} 还没有媒体文件。请运行：storyreel shoot --shots {e.shot.code}",
                shot=e.shot.code, take=e.take.label,
            )
        media = film.media.path_for(e.take.clip_sha, e.take.clip_ext or "mp4").absolute()
        # One picture track holds no overlaps: a dissolve into the next clip becomes a cut where it starts.
        # Speed, freeze and hold have no equivalent in every format, so a clip exports as the plain source frames
        # that fill its record length (the editor re-applies the treatment); a take too short leaves a gap.
        end = min(e.start + e.frames, entries[i + 1].start) if i + 1 < len(entries) else e.start + e.frames
        length = min(end - e.start, e.take.frames)
        source_in = min(e.source_in, e.take.frames - length)
        clips.append(Clip(name=e.take.label, shot=e.shot.code, media=media, source_in=source_in,
                          source_out=source_in + length, record_start=e.start, sha=e.take.clip_sha,
                          media_frames=e.take.frames))
    subtitles = [Subtitle(start=c.start_frame, end=c.end_frame, text=c.text, speaker=c.speaker) for c in cues]
    return Cut(title=film.config.title, fps=film.config.profile.fps, clips=tuple(clips), subtitles=tuple(subtitles))


def subtitles_beside(path: Path) -> Path:
    """Where the SRT for an export at ``path`` goes: same folder, same stem (renders/cut.edl → renders/cut.srt)."""
    return Path(path).with_suffix(".srt")


def draft_folder(film: Film) -> Path:
    """Where a JianYing export goes by default: ``renders/jianying/<title>`` (the folder name is the draft's name
    in JianYing), with characters no file system accepts replaced by ``_``."""
    title = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in film.config.title).strip(" .")
    return film.renders / "jianying" / (title or "storyreel")


def _export_folder(film: Film, fmt: ExportFormat, adapter: ModuleType, path: Path | None) -> Path:
    """A format whose adapter writes a folder (JianYing): it replaces a previous export atomically itself."""
    path = draft_folder(film) if path is None else Path(path)
    named = next((f for f in FORMATS.values() if f.suffix == path.suffix.lower()), None)
    if named is not None or path.suffix.lower() == ".srt":
        raise StoryreelError(
            f"{path} looks like a file name, but a {fmt.name} export is a folder. Give a folder name with --out "
            "(for example the draft's name inside JianYing's drafts folder).",
            zh=f"{path} 看起来是文件名，但 {fmt.name} 导出的是一个文件夹。请用 --out 指定文件夹名"
               "（例如剪映草稿目录下的草稿名）。",
            path=str(path), format=fmt.name,
        )
    entries, cues = assemble(film)
    cut = cut_for_export(film, entries=entries, cues=cues)
    profile = film.config.profile
    try:
        return adapter.write_cut(cut, path, canvas=(profile.width, profile.height))
    except OSError as exc:
        raise oserror_not_writable(exc, path) from exc


def export_cut(film: Film, *, to: str, path: Path | None = None) -> Path:
    """Write the rough cut in format ``to`` ("otio", "fcp7", "edl", "jianying", or a suffix such as ".edl") and
    return its path.

    ``path`` defaults to ``renders/cut.<suffix>`` (for jianying, the folder ``draft_folder(film)``). A ``path``
    whose suffix names a *different* format (``to="edl"`` with ``cut.xml``) is refused rather than written in the
    wrong format; other suffixes are taken as given. For a format without a subtitle track the SRT goes beside
    the file, with the same stem.
    """
    fmt = find_format(to)  # an unknown format fails here, before any work
    if fmt.suffix == "/":  # a folder format (timeline/__init__ registers it so); its adapter says so too
        adapter = fmt.load()
        if getattr(adapter, "WRITES_FOLDER", False):
            return _export_folder(film, fmt, adapter, path)
    if path is None:
        path = film.renders / f"cut{fmt.suffix}"
    path = Path(path)
    named = next((f for f in FORMATS.values() if f.suffix == path.suffix.lower()), None)
    if named is not None and named is not fmt:
        raise StoryreelError(
            f"{path} looks like {named.name} ({named.suffix}), but the format asked for is {fmt.name} "
            f"({fmt.suffix}). Use --to {named.name}, or a file name ending in {fmt.suffix}.",
            zh=f"{path} 看起来是 {named.name}（{named.suffix}），但要求的格式是 {fmt.name}（{fmt.suffix}）。"
               f"请使用 --to {named.name}，或以 {fmt.suffix} 结尾的文件名。",
            path=str(path), format=fmt.name,
        )
    if not fmt.subtitles and path.suffix.lower() == ".srt":
        raise StoryreelError(
            f"{path}: an {fmt.name} export writes its subtitles to a .srt file beside it, so it cannot itself be "
            f"named .srt. Use a file name ending in {fmt.suffix}.",
            zh=f"{path}：{fmt.name} 导出会在旁边写入同名 .srt 字幕文件，因此它本身不能以 .srt 命名。"
               f"请使用以 {fmt.suffix} 结尾的文件名。",
            path=str(path), format=fmt.name,
        )
    adapter = fmt.load()
    entries, cues = assemble(film)
    cut = cut_for_export(film, entries=entries, cues=cues)
    with atomic_target(path) as tmp:
        adapter.write_cut(cut, tmp)
    if not fmt.subtitles:
        write_srt(cues, subtitles_beside(path), cut.fps)
    return path
