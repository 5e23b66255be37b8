"""Render the rough cut: join takes in order, burn in the dialogue subtitles, write the SRT beside it.

Frame exactness is the contract: the output has exactly ``sum(clip.frames)`` frames and clip k occupies frames
``[sum(frames before k), … + frames_k)``. We get it by reading the clips through ffmpeg's concat demuxer (one
decoder at a time, so a 300-shot film does not open 300 decoders) and then *renumbering* every decoded frame
(``settb=1/fps, setpts=N``): output timestamps no longer depend on container durations, edit lists or audio
priming, so the constant-frame-rate muxer never has a reason to drop or duplicate a frame. Each clip is probed
first, so a clip whose length differs from what the timeline expects fails loudly instead of shifting every
later shot, and the encoded result is probed again before it replaces the previous render.

The output is H.264 High, yuv420p, tagged BT.709, CFR, with the index at the front (+faststart). Audio is kept
only when every clip has some (the concat demuxer takes its streams from the first file, so mixing would drop
or misalign sound); music and dialogue mixing happen elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import check_writable, run_ffmpeg
from storyreel.media.files import oserror_not_writable
from storyreel.media.fonts import Font
from storyreel.media.probe import VideoInfo, probe
from storyreel.media.subtitles import Cue, ass_text, write_srt

# Tags written both as encoder options (read by older ffmpeg) and through setparams (ffmpeg 8+ takes colour
# properties from the frames and ignores -color_primaries / -color_trc on the command line).
BT709_FILTER = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
BT709_FLAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]


@dataclass(frozen=True)
class CutClip:
    path: Path
    frames: int  # the whole clip is used; clips are already at the film profile (size, fps, H.264 yuv420p)


# --- escaping -----------------------------------------------------------------------------------------------

def escape_filter_path(value: str) -> str:
    """Escape ``value`` for use as an option value inside an ffmpeg filtergraph string.

    Two parsers read it, each with backslash escapes: first the filtergraph (where ``[ ] , ; ' \\`` are special),
    then the filter's own option list (where ``: ' \\`` are special). So we escape for the inner level first and
    then escape the result again for the outer one. ``/tmp/it's: 片`` becomes ``/tmp/it\\\\\\'s\\\\: 片``.
    """
    inner = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", inner)


def concat_quote(path: Path) -> str:
    """Quote a path for a concat-demuxer list: single quotes, with ``'`` written as ``'\\''`` (shell-style)."""
    text = str(path)
    if "\n" in text or "\r" in text:
        raise MediaError(
            f"Clip path {text!r} contains a line break, which ffmpeg's concat list cannot hold. Rename the file.",
            zh=f"片段路径 {text!r} 含有换行符，ffmpeg 的拼接列表无法处理。请重命名该文件。",
        )
    return "'" + text.replace("'", "'\\''") + "'"


def concat_list(clips: Sequence[CutClip], fps: int) -> str:
    lines = ["ffconcat version 1.0"]
    for clip in clips:
        lines.append(f"file {concat_quote(clip.path)}")
        # An explicit duration makes the demuxer offset the next clip by exactly frames/fps, which keeps any
        # audio aligned with the renumbered video (microsecond precision is all the format takes).
        lines.append(f"duration {float(Fraction(clip.frames, fps)):.6f}")
    return "\n".join(lines) + "\n"


# --- checks -------------------------------------------------------------------------------------------------

def _profile_error(clip: CutClip, what: str, zh_what: str) -> MediaError:
    return MediaError(
        f"Clip {clip.path} {what}. Normalise the take to the film's profile before cutting.",
        zh=f"片段 {clip.path} {zh_what}。请先把该镜头规范化为影片的格式再剪辑。",
        path=str(clip.path),
    )


def _check_clip(clip: CutClip, info: VideoInfo, *, width: int, height: int, fps: int, codec: str) -> None:
    if info.frames != clip.frames:
        raise _profile_error(
            clip,
            f"has {info.frames} frames but the cut expects {clip.frames}",
            f"有 {info.frames} 帧，但剪辑需要 {clip.frames} 帧",
        )
    if (info.width, info.height) != (width, height):
        raise _profile_error(
            clip, f"is {info.width}x{info.height}, not {width}x{height}",
            f"尺寸为 {info.width}x{info.height}，而不是 {width}x{height}",
        )
    if info.fps != fps:
        raise _profile_error(
            clip, f"runs at {float(info.fps):g} fps, not {fps}", f"帧率为 {float(info.fps):g}，而不是 {fps}",
        )
    if info.codec != codec:
        raise _profile_error(
            clip, f"is {info.codec}, the other clips are {codec}", f"编码为 {info.codec}，其他片段为 {codec}",
        )


def _probe_clips(clips: Sequence[CutClip], *, width: int, height: int, fps: int) -> list[VideoInfo]:
    infos = [probe(clip.path) for clip in clips]
    for clip, info in zip(clips, infos):
        _check_clip(clip, info, width=width, height=height, fps=fps, codec=infos[0].codec)
    return infos


# --- command ------------------------------------------------------------------------------------------------

def fonts_dir(font: Font, workdir: Path) -> Path:
    """A folder holding only ``font``, for libass's ``fontsdir``.

    libass reads every file in ``fontsdir`` into memory (and ffmpeg initialises the filter twice), so pointing it
    at the system's Noto folder would load ~90 MB of fonts per render; a link to the one file is enough.
    """
    folder = workdir / "fonts"
    folder.mkdir()
    link = folder / font.path.name
    try:
        link.symlink_to(font.path.resolve())
    except OSError:  # no symlinks (some Windows setups): a copy works too
        shutil.copyfile(font.path, link)
    return folder


def _video_filter(fps: int, ass: Path | None, fonts: Path | None) -> str:
    # Renumber frames 0, 1, 2, … at 1/fps: timestamps now come from the frame count alone.
    chain = [f"settb=1/{fps}", "setpts=N", BT709_FILTER]
    if ass is not None:
        sub = f"ass=filename={escape_filter_path(str(ass))}"
        if fonts is not None:
            sub += f":fontsdir={escape_filter_path(str(fonts))}"
        chain.append(sub)
    chain.append("format=yuv420p")
    return ",".join(chain)


def _ffmpeg_args(
    *, concat: Path, video_filter: str, tmp_out: Path, fps: int, total_frames: int, has_audio: bool,
    crf: int, preset: str,
) -> list[str]:
    args = ["-f", "concat", "-safe", "0", "-i", str(concat), "-map", "0:v:0"]
    args += ["-filter:v", video_filter]
    args += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high", "-pix_fmt", "yuv420p"]
    args += BT709_FLAGS
    args += ["-fps_mode", "cfr", "-r", str(fps)]
    if has_audio:
        # Pad or trim the sound to exactly the picture's length, filling any gap between clips with silence.
        seconds = f"{float(Fraction(total_frames, fps)):.6f}"
        args += ["-map", "0:a:0", "-filter:a", (f"aresample=async=1:first_pts=0,apad=whole_dur={seconds},"
                 f"atrim=end={seconds}"), "-c:a", "aac", "-b:a", "192k"]
    else:
        args += ["-an"]
    args += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mov" if tmp_out.suffix.lower() == ".mov" else "mp4"]
    args.append(str(tmp_out))
    return args


# --- render -------------------------------------------------------------------------------------------------

def render_cut(
    clips: Sequence[CutClip],
    cues: Sequence[Cue],
    *,
    out: Path,
    srt: Path,
    width: int,
    height: int,
    fps: int,
    font: Font,
    crf: int = 20,
    preset: str = "veryfast",
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render the cut to ``out`` and its subtitles to ``srt``; returns ``out``.

    Nothing replaces a previous render until the new one is complete and verified (a temporary folder next to
    ``out`` holds the work and is removed whatever happens). ``progress(done_frames, total_frames)`` follows the
    encoder. Raises ``OutputNotWritable`` for a read-only folder or a full disk, ``MediaError`` otherwise.
    """
    if not clips:
        raise MediaError("The cut has no clips to render.", zh="剪辑中没有可渲染的片段。")
    if fps <= 0 or width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"invalid film profile {width}x{height}@{fps} (H.264 4:2:0 needs even sizes)")
    out, srt = Path(out).absolute(), Path(srt).absolute()
    check_writable(out.parent, output=out)  # minutes of encoding are wasted if we only find out at the end
    if srt.parent != out.parent:
        check_writable(srt.parent, output=srt)
    infos = _probe_clips(clips, width=width, height=height, fps=fps)
    total = sum(clip.frames for clip in clips)
    has_audio = all(info.has_audio for info in infos)

    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{out.stem}.", suffix=".partial", dir=out.parent))
    except OSError as exc:
        raise oserror_not_writable(exc, out) from None
    try:
        try:  # small files; an OSError here still means the output folder is the problem
            concat = workdir / "clips.ffconcat"
            concat.write_text(concat_list([CutClip(c.path.absolute(), c.frames) for c in clips], fps), "utf-8")
            ass: Path | None = None
            fonts: Path | None = None
            if cues:
                ass = workdir / "subtitles.ass"
                ass.write_text(ass_text(cues, fps, width=width, height=height, font=font), "utf-8")
                fonts = fonts_dir(font, workdir)
        except OSError as exc:
            raise oserror_not_writable(exc, out) from None
        tmp_out = workdir / f"cut{out.suffix or '.mp4'}"
        run_ffmpeg(
            _ffmpeg_args(concat=concat, video_filter=_video_filter(fps, ass, fonts), tmp_out=tmp_out, fps=fps,
                         total_frames=total, has_audio=has_audio, crf=crf, preset=preset),
            output=out,
            progress=(lambda done: progress(done, total)) if progress else None,
            total_frames=total,
        )
        written = probe(tmp_out).frames
        if written != total:  # a bug, not a user error: refuse to replace a good render with a shifted one
            raise MediaError(
                f"The rendered cut has {written} frames instead of {total}; the previous render was kept.",
                zh=f"渲染结果有 {written} 帧，应为 {total} 帧；已保留之前的渲染。",
                path=str(out),
            )
        try:
            os.replace(tmp_out, out)
        except OSError as exc:
            raise oserror_not_writable(exc, out) from None
        write_srt(cues, srt, fps)
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
