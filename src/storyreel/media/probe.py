"""Read what a video file holds, and grab exact frames from it, with PyAV.

PyAV is the prober in every setup because the bundled ffmpeg wheel ships no ffprobe. storyreel counts time in
frames, so ``probe`` reports an exact frame count (counting packets when the container's header does not say)
and ``frame_at`` returns precisely the requested frame, not the nearest keyframe.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Self

import av
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace
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


def _describe(container: av.container.InputContainer, stream: av.VideoStream) -> VideoInfo:
    ctx = stream.codec_context
    fps = _fps(stream)
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
        has_audio=bool(container.streams.audio),
        color_primaries=_color_name(ctx.color_primaries, ColorPrimaries),
        colorspace=_color_name(ctx.colorspace, Colorspace),
    )


def probe(path: Path | str) -> VideoInfo:
    """Describe the video at ``path``. Raises ``MediaError`` when it is missing or unreadable."""
    with VideoReader(path) as reader:
        return reader.info


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


def frame_pts(stream: av.VideoStream, index: int) -> tuple[int, int, Fraction] | None:
    """(timestamp of frame ``index``, the stream's start, its frame rate), or None when the rate is unknown."""
    fps = _fps(stream)
    if not fps:
        return None
    start = stream.start_time or 0
    return start + int(Fraction(index) / fps / Fraction(stream.time_base)), start, fps


# Matrix coefficient codes (ISO/IEC 23091-2) swscale knows; "unspecified" and the rest read as BT.709.
_MATRICES = {1: Colorspace.ITU709, 4: Colorspace.FCC, 5: Colorspace.ITU601, 6: Colorspace.ITU601,
             7: Colorspace.SMPTE240M, 9: Colorspace.BT2020}


def rgb_image(frame: av.VideoFrame) -> Image.Image:
    """A decoded frame as an RGB image, converted the same way whatever the file says about its colour.

    An untagged file is read as BT.709 limited range: what normalisation tags its copies with and what every
    delivery is encoded as. Left to swscale's defaults, an untagged take would be read with the BT.601 matrix and
    its normalised copy (tagged BT.709) with another, so one frame grabbed from each would differ in colour.
    """
    matrix = _MATRICES.get(int(frame.colorspace or 0), Colorspace.ITU709)
    full = int(frame.color_range or 0) == int(ColorRange.JPEG)
    return frame.reformat(format="rgb24", src_colorspace=matrix, dst_colorspace=matrix,
                          src_color_range=ColorRange.JPEG if full else ColorRange.MPEG,
                          dst_color_range=ColorRange.JPEG).to_image()


def _count_to(container: av.container.InputContainer, stream: av.VideoStream, index: int) -> av.VideoFrame | None:
    """Slow but sure: decode from the first frame and count."""
    container.seek(0, backward=True, any_frame=False)
    for n, frame in enumerate(container.decode(stream)):
        if n == index:
            return frame
    return None


class VideoReader:
    """One open video file: what it holds (``info``), what a frame costs to reach, and exact frames.

    ``with VideoReader(path) as video: video.frame(96)``. Opening a file costs more than describing it, so a
    caller that needs several of these (a grab choosing its source) opens each file once.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._container = _open(self.path)
        try:
            self._stream = _video_stream(self._container, self.path)
            self._stream.thread_type = "AUTO"  # only settable before the decoder opens (at the first frame)
            self.info = _describe(self._container, self._stream)
        except av.FFmpegError as exc:
            self._container.close()
            raise _unreadable(self.path, exc) from None
        except BaseException:
            self._container.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def decode_cost(self, index: int, *, limit: int | None = None) -> int:
        """How many frames a decoder reads to show frame ``index``: the packets from the keyframe at or before it
        up to and including its own, in decode order. Reads packets only; nothing is decoded.

        Counting stops past ``limit`` (returns ``limit + 1``): a caller comparing against a budget needs no more.
        A frame a seek cannot find (no timestamps, or past the end) costs the whole file.
        """
        stream = self._stream
        whole = max(self.info.frames, index + 1)
        located = frame_pts(stream, index)
        if located is None:
            return whole
        target, start, fps = located
        time_base = Fraction(stream.time_base)
        try:
            self._container.seek(target, stream=stream, backward=True, any_frame=False)
            count = 0
            for packet in self._container.demux(stream):
                if not packet.size or packet.pts is None:
                    continue
                count += 1
                if limit is not None and count > limit:
                    return limit + 1
                if _frame_index(packet.pts, start, time_base, fps) == index:
                    return count
        except av.FFmpegError as exc:
            raise _unreadable(self.path, exc) from None
        return whole

    def frame(self, index: int) -> Image.Image:
        """Frame ``index`` (0-based, presentation order) as an RGB image.

        Seeks back to the keyframe at or before the target, then decodes forward until the frame whose timestamp
        maps to ``index`` — exact on long-GOP H.264 with B-frames, unlike keyframe snapping.
        """
        path = self.path
        if index < 0:
            raise MediaError(f"Frame {index} does not exist in {path}.", zh=f"{path} 中没有第 {index} 帧。")
        container, stream = self._container, self._stream
        try:
            frame: av.VideoFrame | None = None
            located = frame_pts(stream, index)
            if located is not None:
                target, start, fps = located
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
            return rgb_image(frame)
        except av.FFmpegError as exc:
            raise _unreadable(path, exc) from None


def frame_at(path: Path | str, index: int) -> Image.Image:
    """Frame ``index`` (0-based, presentation order) of the video at ``path`` as an RGB image (see
    ``VideoReader.frame``)."""
    with VideoReader(path) as reader:
        return reader.frame(index)
