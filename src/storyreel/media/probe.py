"""Read what a video file holds, and grab exact frames from it, with PyAV.

PyAV is the prober in every setup because the bundled ffmpeg wheel ships no ffprobe. storyreel counts time in
frames, so ``probe`` reports an exact frame count (counting packets when the container's header does not say)
and ``frame_at`` returns precisely the requested frame, not the nearest keyframe.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import ColorPrimaries, Colorspace
from PIL import Image

from storyreel.errors import MediaError

# ffmpeg's "unspecified" / reserved codes: report them as unknown (None) rather than a misleading name.
_UNSPECIFIED = {0, 2, 3}


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    frames: int  # exact number of video frames
    duration_s: float  # frames / fps when both are known (the timeline length), else the container's duration
    codec: str  # ffmpeg codec name, e.g. "h264"
    pix_fmt: str | None  # e.g. "yuv420p"
    has_audio: bool
    color_primaries: str | None = None  # e.g. "bt709"; None when the file does not say
    colorspace: str | None = None  # matrix coefficients, e.g. "bt709"


def _unreadable(path: Path, exc: BaseException | str) -> MediaError:
    detail = str(exc).strip() or type(exc).__name__
    return MediaError(
        f"Cannot read video {path}: {detail}. The file may be missing, incomplete or not a video.",
        zh=f"无法读取视频 {path}：{detail}。文件可能不存在、不完整或不是视频。",
        path=str(path),
    )


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise _unreadable(path, "no such file")
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None


def _video_stream(container: av.container.InputContainer, path: Path) -> av.VideoStream:
    if not container.streams.video:
        container.close()
        raise _unreadable(path, "it has no video stream")
    return container.streams.video[0]


def _color_name(code: int | None, enum: type) -> str | None:
    if code is None or int(code) in _UNSPECIFIED:
        return None
    try:
        name = enum(int(code)).name.lower()
    except ValueError:
        return None
    # PyAV names the BT.709 matrix "itu709"; ffmpeg's own tools (and colour-management docs) say "bt709".
    return name.replace("itu", "bt")


def _count_packets(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    """Count frames by demuxing (no decoding): one video packet per frame for the codecs we write."""
    count = 0
    for packet in container.demux(stream):
        if packet.size:  # the flush packet at the end is empty
            count += 1
    return count


def _fps(stream: av.VideoStream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(rate) if rate else Fraction(0)


def probe(path: Path | str) -> VideoInfo:
    """Describe the video at ``path``. Raises ``MediaError`` when it is missing or unreadable."""
    path = Path(path)
    container = _open(path)
    try:
        stream = _video_stream(container, path)
        ctx = stream.codec_context
        fps = _fps(stream)
        has_audio = bool(container.streams.audio)
        frames = stream.frames  # MP4/MOV store the sample count; Matroska/WebM leave 0
        if frames <= 0:
            frames = _count_packets(container, stream)
        if frames and fps:
            duration_s = float(frames / fps)
        elif container.duration is not None:
            duration_s = container.duration / av.time_base
        else:
            duration_s = 0.0
        return VideoInfo(
            width=ctx.width,
            height=ctx.height,
            fps=fps,
            frames=frames,
            duration_s=duration_s,
            codec=ctx.name,
            pix_fmt=ctx.pix_fmt,
            has_audio=has_audio,
            color_primaries=_color_name(ctx.color_primaries, ColorPrimaries),
            colorspace=_color_name(ctx.colorspace, Colorspace),
        )
    except av.FFmpegError as exc:
        raise _unreadable(path, exc) from None
    finally:
        container.close()


def _frame_index(pts: int, start: int, time_base: Fraction, fps: Fraction) -> int:
    """Which frame a timestamp belongs to. Rounding absorbs timebases that do not divide the frame rate."""
    return round((pts - start) * time_base * fps)


def _decode_until(container: av.container.InputContainer, stream: av.VideoStream, index: int,
                  start: int, fps: Fraction) -> tuple[av.VideoFrame | None, bool]:
    """Decode from the current position until frame ``index``; (frame, overshot).

    Frames before the target that no other frame refers to (non-reference B-frames) are not decoded at all: the
    decoder is told to skip them while the packets it gets are earlier than the target. Skipping them cannot
    change any later frame — nothing refers to them — so the grab stays exact, and on long GOPs a third or more of
    the decoding is saved.
    """
    time_base = Fraction(stream.time_base)
    target_pts = start + int(Fraction(index) / fps / time_base)
    codec = stream.codec_context
    try:
        for packet in container.demux(stream):
            early = packet.pts is not None and packet.pts < target_pts
            codec.skip_frame = "NONREF" if early else "DEFAULT"
            for frame in codec.decode(packet):  # the final empty packet flushes the decoder's delayed frames
                if frame.pts is None:
                    return None, True  # no timestamps: the caller falls back to counting from the start
                current = _frame_index(frame.pts, start, time_base, fps)
                if current == index:
                    return frame, False
                if current > index:
                    return None, True  # the seek landed after the target (odd keyframe index): count instead
    finally:
        codec.skip_frame = "DEFAULT"
    return None, False


def _count_to(container: av.container.InputContainer, stream: av.VideoStream, index: int) -> av.VideoFrame | None:
    """Slow but sure: decode from the first frame and count."""
    container.seek(0, backward=True, any_frame=False)
    for n, frame in enumerate(container.decode(stream)):
        if n == index:
            return frame
    return None


def frame_at(path: Path | str, index: int) -> Image.Image:
    """Frame ``index`` (0-based, presentation order) of the video at ``path`` as an RGB image.

    Seeks back to the keyframe at or before the target, then decodes forward until the frame whose timestamp
    maps to ``index`` — exact on long-GOP H.264 with B-frames, unlike keyframe snapping.
    """
    path = Path(path)
    if index < 0:
        raise MediaError(f"Frame {index} does not exist in {path}.", zh=f"{path} 中没有第 {index} 帧。")
    container = _open(path)
    try:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        fps = _fps(stream)
        start = stream.start_time or 0
        frame: av.VideoFrame | None = None
        if fps:
            target = start + int(Fraction(index) / fps / Fraction(stream.time_base))
            container.seek(target, stream=stream, backward=True, any_frame=False)
            frame, overshot = _decode_until(container, stream, index, start, fps)
            if frame is None and overshot:
                frame = _count_to(container, stream, index)
        else:
            frame = _count_to(container, stream, index)
        if frame is None:
            raise MediaError(
                f"Frame {index} does not exist in {path} (the video is shorter).",
                zh=f"{path} 中没有第 {index} 帧（视频更短）。",
                path=str(path),
            )
        return frame.to_image()
    except av.FFmpegError as exc:
        raise _unreadable(path, exc) from None
    finally:
        container.close()
