"""The delivery render: a timeline of clips with effects, reframed, subtitled and with sound, in ONE ffmpeg run.

One pass is the performance contract (a delivery costs about one bare re-encode of the same footage): there is no
intermediate file per clip and no second pass for subtitles or sound. Inputs are grouped so one decoder reads all
video takes of one format in cut order (the concat demuxer); the graph renumbers those
frames and hands each clip exactly its source frames with ``split`` + ``trim`` by frame count. Each clip's chain
(``media.effects``) makes its record frames at the picture size; clips join by ``concat`` or, for a dissolve, by
``xfade`` over the cut so far; then letterbox, BT.709 tags and the burned ASS. Sound is a finished WAV (or
silence) padded or trimmed to the picture's length.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image

from storyreel.errors import MediaError
from storyreel.media.delivery import AUDIO_CHANNELS, AUDIO_RATE, DeliveryProfile
from storyreel.media.effects import Graph, Placement, ReelClip, clip_chain, first_dissolve_as_fade, layout
from storyreel.media.ffmpeg import (
    BT709_FILTER, BT709_FLAGS, check_writable, concat_quote, escape_filter_path, ffmpeg_exe, run_ffmpeg,
)
from storyreel.media.files import oserror_not_writable
from storyreel.media.fonts import Font, fonts_dir
from storyreel.media.probe import VideoInfo, probe
from storyreel.media.reframe import Fit

__all__ = ["ReelResult", "render_reel"]

@dataclass(frozen=True)
class ReelResult:
    video: Path
    frames: int
    has_audio: bool


def _still_info(path: Path) -> VideoInfo:
    try:
        with Image.open(path) as img:
            width, height = img.size
    except OSError as exc:
        raise MediaError(f"Cannot read image {path}: {exc}.", zh=f"无法读取图片 {path}：{exc}。", path=str(path)) from None
    return VideoInfo(width=width, height=height, fps=Fraction(0), frames=1, duration_s=0.0, codec="image",
                     pix_fmt=None, has_audio=False)


def _input_key(info: VideoInfo) -> tuple:
    # The concat demuxer hands one decoder every file of a group, so a group must share codec and geometry.
    return (info.codec, info.width, info.height, info.pix_fmt, info.fps)


def _check_source(clip: ReelClip, info: VideoInfo) -> None:
    if clip.source_in < 0 or clip.source_out <= clip.source_in:
        raise MediaError(
            f"Clip {clip.path} has an empty range [{clip.source_in}, {clip.source_out}).",
            zh=f"片段 {clip.path} 的区间 [{clip.source_in}, {clip.source_out}) 为空。", path=str(clip.path),
        )
    if not clip.still and clip.source_out > info.frames:
        raise MediaError(
            f"Clip {clip.path} has {info.frames} frames; the cut uses frames up to {clip.source_out}.",
            zh=f"片段 {clip.path} 只有 {info.frames} 帧，剪辑用到了第 {clip.source_out} 帧。", path=str(clip.path),
        )


_FFMPEG_MAJOR: dict[str, int] = {}


def _ffmpeg_major() -> int:
    exe = ffmpeg_exe()
    if exe not in _FFMPEG_MAJOR:
        try:
            first = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30, check=False).stdout
            match = re.search(r"version n?(\d+)\.", first)
            _FFMPEG_MAJOR[exe] = int(match.group(1)) if match else 7
        except (OSError, subprocess.SubprocessError):
            _FFMPEG_MAJOR[exe] = 7
    return _FFMPEG_MAJOR[exe]


def _graph_args(text: str, workdir: Path) -> list[str]:
    """A long graph goes through a file: one argument may not pass 128 KiB on Linux (300 clips get close).
    ffmpeg 7 reads option files as ``-/option``; older ones only know ``-filter_complex_script``."""
    if len(text) < 32_000:
        return ["-filter_complex", text]
    script = workdir / "graph.txt"
    script.write_text(text, "utf-8")
    return ["-/filter_complex" if _ffmpeg_major() >= 7 else "-filter_complex_script", str(script)]


def _inputs(clips: Sequence[ReelClip], infos: Sequence[VideoInfo], graph: Graph, fps: int,
            workdir: Path) -> tuple[list[str], list[str]]:
    """ffmpeg input arguments, and for each clip the graph label of its source frames (numbered from 0).

    Video clips of one format share one concat-demuxer input (one decoder, clips in cut order), split and
    trimmed per clip by frame count; a still is its own one-frame input, cloned to its length.
    """
    args: list[str] = []
    sources: list[str] = [""] * len(clips)
    groups: dict[tuple, list[int]] = {}
    for k, (clip, info) in enumerate(zip(clips, infos, strict=True)):
        if not clip.still:
            groups.setdefault(_input_key(info), []).append(k)
    index = 0
    for key, members in groups.items():
        rate = key[-1] or Fraction(fps)
        listing = workdir / f"group{index}.ffconcat"
        lines = ["ffconcat version 1.0"]
        for k in members:
            lines.append(f"file {concat_quote(clips[k].path.absolute())}")
            lines.append(f"duration {float(Fraction(infos[k].frames) / rate):.6f}")
        listing.write_text("\n".join(lines) + "\n", "utf-8")
        args += ["-f", "concat", "-safe", "0", "-i", str(listing)]
        # Renumbered frames on the film's clock; ``fps`` then only tags the rate (every frame is on its slot).
        head = [f"settb=1/{fps}", "setpts=N", f"fps={fps}:eof_action=pass"]
        outs = [graph.label("s") for _ in members]
        if len(members) > 1:
            graph.add([f"{index}:v:0"], [*head, f"split={len(members)}"], outs)
        else:
            graph.add([f"{index}:v:0"], head, outs)
        offset = 0
        for k, out in zip(members, outs, strict=True):
            a, b = offset + clips[k].source_in, offset + clips[k].source_out
            sources[k] = graph.chain(out, [f"trim=start_frame={a}:end_frame={b}", "setpts=PTS-STARTPTS"])
            offset += infos[k].frames
        index += 1
    for k, clip in enumerate(clips):
        if clip.still:
            args += ["-framerate", str(fps), "-i", str(clip.path.absolute())]
            # Pictures are RGB: convert with the BT.709 matrix the output is tagged with (ffmpeg's default is 601).
            sources[k] = graph.chain(f"{index}:v:0", [
                "scale=out_color_matrix=bt709:out_range=tv", "format=yuv444p", f"settb=1/{fps}", "setpts=N", f"tpad=stop={clip.source_frames - 1}:stop_mode=clone",
                f"trim=end_frame={clip.source_frames}"])
            index += 1
    return args, sources


def _join(graph: Graph, labels: Sequence[str], placed: Sequence[Placement], fps: int) -> str:
    """Cuts join by ``concat``. A dissolve cross-fades only the frames it spans: the end of what came before and the
    start of the next clip go through ``xfade`` (which works in yuv444p here, so whatever passes through it is
    converted there and back), everything else is concatenated untouched. Only when a dissolve reaches further back
    than the last segment (an earlier dissolve's overlap) is the whole cut so far cross-faded instead."""
    segments: list[tuple[str, int]] = [(labels[0], placed[0].frames)]  # (label, frames) in cut order

    def flush() -> tuple[str, int]:
        if len(segments) == 1:
            return segments[0]
        out = graph.label("j")
        graph.add([lab for lab, _ in segments], [f"concat=n={len(segments)}:v=1:a=0", *_renumber(fps)], [out])
        return out, sum(n for _, n in segments)

    def cut_at(label: str, frames: int, at: int) -> tuple[str, str]:
        head, tail = graph.label(), graph.label()
        graph.add([label], ["split=2"], [head, tail])
        return (graph.chain(head, [f"trim=end_frame={at}", "setpts=PTS-STARTPTS"]),
                graph.chain(tail, [f"trim=start_frame={at}", "setpts=PTS-STARTPTS"]))

    for label, place in zip(labels[1:], placed[1:], strict=True):
        n = place.overlap
        if not n:
            segments.append((label, place.frames))
            continue
        if segments[-1][1] <= n:
            whole, length = flush()
            segments[:] = [(whole, length)]
        prev, prev_frames = segments.pop()
        before, ending = cut_at(prev, prev_frames, prev_frames - n)
        starting, rest = cut_at(label, place.frames, n)
        mixed = graph.label("x")
        graph.add([ending, starting], [f"xfade=transition=fade:duration={float(Fraction(n, fps)):.6f}:offset=0",
                                       "format=yuv420p", *_renumber(fps)], [mixed])
        segments += [(before, prev_frames - n), (mixed, n)]
        if place.frames > n:
            segments.append((rest, place.frames - n))
        else:
            graph.add([rest], ["nullsink"], [])  # every pad must be connected; this one carries no frames
    return flush()[0]


def _renumber(fps: int) -> list[str]:
    return [f"settb=1/{fps}", "setpts=N"]


def render_reel(
    clips: Sequence[ReelClip],
    *,
    out: Path,
    canvas: DeliveryProfile,
    fps: int,
    fit: Fit = Fit.CROP,
    ass: str | None = None,
    font: Font | None = None,
    audio: Path | None = None,
    silent_audio: bool = False,
    crf: int = 20,
    preset: str = "veryfast",
    progress: Callable[[int, int], None] | None = None,
) -> ReelResult:
    """Render ``clips`` with their effects to ``out`` in ONE ffmpeg run, and return what was written.

    Each clip is reframed to the canvas's picture (``fit``), joined by cuts and dissolves, letterboxed when the
    picture is smaller than the canvas, and burned with ``ass`` (an ASS script at canvas size; ``font`` is the
    file it names). ``audio`` (a WAV) becomes the AAC 48 kHz stereo track, padded or cut to the picture's
    length; with none, ``silent_audio`` muxes silence (platforms reject files without sound), else no track.
    Nothing replaces an earlier ``out`` until the new file is complete and has exactly
    the expected number of frames.
    """
    if not clips:
        raise MediaError("The cut has no clips to render.", zh="剪辑中没有可渲染的片段。")
    if fps <= 0 or canvas.width % 2 or canvas.height % 2 or canvas.picture_width % 2 or canvas.picture_height % 2:
        raise ValueError(f"invalid canvas {canvas} at {fps} fps (H.264 4:2:0 needs even sizes)")
    out = Path(out).absolute()
    check_writable(out.parent, output=out)
    infos = [_still_info(c.path) if c.still else probe(c.path) for c in clips]
    for clip, info in zip(clips, infos, strict=True):
        _check_source(clip, info)
    placed = layout([(c.record_frames, c.effects) for c in clips])
    total = placed[-1].start + placed[-1].frames
    seconds = f"{float(Fraction(total, fps)):.6f}"
    picture = (canvas.picture_width, canvas.picture_height)
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{out.stem}.", suffix=".partial", dir=out.parent))
    except OSError as exc:
        raise oserror_not_writable(exc, out) from None
    try:
        graph = Graph()
        try:
            args, sources = _inputs(clips, infos, graph, fps, workdir)
            ass_path: Path | None = None
            if ass is not None:
                ass_path = workdir / "subtitles.ass"
                ass_path.write_text(ass, "utf-8")
        except OSError as exc:
            raise oserror_not_writable(exc, out) from None
        labels = []
        for k, (clip, info, source) in enumerate(zip(clips, infos, sources, strict=True)):
            if k == 0:
                clip = ReelClip(clip.path, clip.source_in, clip.source_out, first_dissolve_as_fade(clip.effects),
                                clip.focus, clip.still)
            labels.append(clip_chain(graph, source, clip, fps=fps, source_size=(info.width, info.height),
                                     picture=picture, fit=fit))
        video = _join(graph, labels, placed, fps)
        tail: list[str] = []
        if canvas.letterboxed:
            tail.append(f"pad={canvas.width}:{canvas.height}:(ow-iw)/2:(oh-ih)/2:color=black")
        tail.append(BT709_FILTER)
        if ass_path is not None:
            sub = f"ass=filename={escape_filter_path(str(ass_path))}"
            if font is not None:
                sub += f":fontsdir={escape_filter_path(str(fonts_dir(font, workdir)))}"
            tail.append(sub)
        tail.append("format=yuv420p")
        graph.add([video], tail, ["vout"])
        has_audio = audio is not None or silent_audio
        audio_input = args.count("-i")  # inputs are numbered in the order given
        if audio is not None:
            args += ["-i", str(Path(audio).absolute())]
        elif silent_audio:
            args += ["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=stereo"]
        if has_audio:
            graph.add([f"{audio_input}:a:0"], [
                f"aresample={AUDIO_RATE}", "aformat=sample_fmts=fltp:channel_layouts=stereo",
                f"apad=whole_dur={seconds}", f"atrim=end={seconds}"], ["aout"])
        tmp_out = workdir / f"reel{out.suffix or '.mp4'}"
        cmd = [*args, *_graph_args(graph.text(), workdir), "-map", "[vout]"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high",
                "-pix_fmt", "yuv420p", *BT709_FLAGS, "-fps_mode", "cfr", "-r", str(fps)]
        if has_audio:
            cmd += ["-map", "[aout]", "-c:a", "aac", "-b:a", "192k", "-ar", str(AUDIO_RATE),
                    "-ac", str(AUDIO_CHANNELS)]
        cmd += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mov" if tmp_out.suffix.lower() == ".mov" else "mp4",
                str(tmp_out)]
        run_ffmpeg(cmd, output=out, progress=(lambda done: progress(done, total)) if progress else None,
                   total_frames=total)
        written = probe(tmp_out).frames
        if written != total:
            raise MediaError(
                f"The render has {written} frames instead of {total}; the previous file was kept.",
                zh=f"渲染结果有 {written} 帧，应为 {total} 帧；已保留之前的文件。", path=str(out),
            )
        try:
            os.replace(tmp_out, out)
        except OSError as exc:
            raise oserror_not_writable(exc, out) from None
        return ReelResult(out, total, has_audio)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
