"""Write pictures to disk: H.264 clips and PNG stills, atomically.

All PyAV encoding lives here. A clip is H.264 (libx264) in yuv420p with BT.709 colour tags, constant frame rate
with time base ``1/fps`` (frame *i* has pts *i*), ``+faststart`` so browsers can play it while it downloads, and no
audio. Encoding is frame-exact: N frames in, N frames in the file.

Writes go through ``media.files.atomic_target``: a hidden temporary file in the target folder, moved into place
only when complete, so an interrupted or failed write never leaves a half file under the real name. Disk trouble
(read-only folder, full disk, no permission, file too large) is raised as ``OutputNotWritable``, naming the path
and the cause.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from storyreel.errors import MediaError
from storyreel.media.files import atomic_target

# atomic_target lives in media.files; it is still offered here for callers that took it from this module.
__all__ = ["VideoWriter", "atomic_target", "encode_frames", "save_png"]

# Container format by file suffix; anything else is refused rather than guessed.
_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


def save_png(image: Image.Image | np.ndarray, path: Path) -> Path:
    """Save ``image`` as PNG at ``path`` atomically. Returns ``path``."""
    path = Path(path)
    img = Image.fromarray(_as_rgb_array(image)) if isinstance(image, np.ndarray) else image
    with atomic_target(path) as tmp:
        img.save(tmp, format="PNG")
    return path


def _as_rgb_array(frame: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(frame, Image.Image):
        if frame.mode != "RGB":
            frame = frame.convert("RGB")
        return np.asarray(frame)
    arr = np.asarray(frame)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise MediaError(
            f"Frames must be RGB uint8 arrays of shape (h, w, 3); got {arr.dtype} {arr.shape}.",
            zh=f"帧必须是形状为 (高, 宽, 3) 的 RGB uint8 数组；实际为 {arr.dtype} {arr.shape}。",
        )
    return arr


def _rgb_source(frame: Image.Image | np.ndarray) -> av.VideoFrame:
    """Wrap an RGB picture as a PyAV frame, with as little copying as possible."""
    if isinstance(frame, Image.Image) and frame.mode == "RGB":
        # Pillow keeps RGB as 4 bytes a pixel; handing that over as-is skips a repacking copy
        w, h = frame.width, frame.height
        src = av.VideoFrame(w, h, "rgb0")
        plane = src.planes[0]
        raw = frame.tobytes("raw", "RGBX")
        if plane.line_size == w * 4:
            plane.update(raw)
        else:  # rows are padded for alignment
            dst = np.frombuffer(plane, dtype=np.uint8).reshape(h, plane.line_size)
            dst[:, : w * 4] = np.frombuffer(raw, dtype=np.uint8).reshape(h, w * 4)
        return src
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(_as_rgb_array(frame)), format="rgb24")


def _to_yuv(frame: Image.Image | np.ndarray, size: tuple[int, int] | None = None) -> av.VideoFrame:
    """RGB -> yuv420p with the BT.709 matrix (so the pixels agree with the colour tags), optionally scaled."""
    src = _rgb_source(frame)
    if size is not None and size != (src.width, src.height):
        return src.reformat(width=size[0], height=size[1], format="yuv420p", src_colorspace="itu709",
                            dst_colorspace="itu709", interpolation="BILINEAR")
    return src.reformat(format="yuv420p", src_colorspace="itu709", dst_colorspace="itu709")


class VideoWriter:
    """Write an H.264 clip frame by frame; the file appears at ``path`` only when the ``with`` block succeeds.

    ``write`` takes a frame of exactly ``width`` x ``height``. ``write_scaled`` takes a frame of any size and
    scales it to the clip size inside the colour conversion (swscale, bilinear), which is much cheaper than
    resizing in Pillow first: renderers with a moving camera hand over their crop of a larger picture.

        with VideoWriter(path, fps=24, width=1280, height=720) as out:
            for image in images:
                out.write(image)
        out.count  # frames written
    """

    def __init__(self, path: Path, *, fps: int, width: int, height: int, crf: int = 20, preset: str = "veryfast",
                 gop: int | None = None) -> None:
        self.path = Path(path)
        self.fmt = _FORMATS.get(self.path.suffix.lower())
        if self.fmt is None:
            raise MediaError(
                f"Cannot write video to {self.path}: use a .mp4, .mov or .mkv file name.",
                zh=f"无法写入视频 {self.path}：文件名请使用 .mp4、.mov 或 .mkv 扩展名。",
            )
        if fps < 1 or width < 2 or height < 2 or width % 2 or height % 2:
            raise MediaError(
                f"Cannot encode {width}x{height} at {fps} fps: H.264 yuv420p needs even width and height and "
                f"fps >= 1.",
                zh=f"无法以 {fps} fps 编码 {width}x{height}：H.264 yuv420p 要求宽高为偶数且帧率至少为 1。",
            )
        self.fps, self.width, self.height = fps, width, height
        self.crf, self.preset = crf, preset
        self.gop = gop if gop is not None else fps
        self.count = 0
        self._stack: contextlib.ExitStack | None = None
        self._container = None
        self._stream = None

    def __enter__(self) -> VideoWriter:
        stack = contextlib.ExitStack()
        tmp = stack.enter_context(atomic_target(self.path))
        self._stack = stack
        try:
            options = {"movflags": "+faststart", "video_track_timescale": str(self.fps)} if self.fmt in {
                "mp4", "mov"} else {}
            self._container = av.open(str(tmp), mode="w", format=self.fmt, options=options)
            stream = self._container.add_stream("libx264", rate=self.fps)
            stream.width = self.width
            stream.height = self.height
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, self.fps)
            cc = stream.codec_context
            cc.time_base = Fraction(1, self.fps)
            cc.framerate = Fraction(self.fps, 1)
            cc.gop_size = self.gop
            cc.color_range = 1  # MPEG / limited ("tv") range
            cc.colorspace = 1  # BT.709 matrix
            cc.color_primaries = 1  # BT.709
            cc.color_trc = 1  # BT.709
            cc.thread_count = 0  # let x264 pick
            cc.thread_type = "FRAME"  # frame threads: better throughput than sliced threads
            cc.options = {"crf": str(self.crf), "preset": self.preset}
            self._stream = stream
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def convert(self, frame: Image.Image | np.ndarray, *, scale: bool = False) -> av.VideoFrame:
        """Turn an RGB picture into the encoder's yuv420p frame (BT.709 matrix, limited range).

        Thread-safe and independent of the encoder state, so a producer thread can convert while the encoder
        works. ``scale=True`` accepts any size and scales to the clip size in the same swscale pass (bilinear).
        """
        if not isinstance(frame, Image.Image):
            frame = _as_rgb_array(frame)
        w, h = (frame.width, frame.height) if isinstance(frame, Image.Image) else (frame.shape[1], frame.shape[0])
        if not scale and (w != self.width or h != self.height):
            raise MediaError(
                f"Frame {self.count} is {w}x{h}, expected {self.width}x{self.height}.",
                zh=f"第 {self.count} 帧尺寸为 {w}x{h}，应为 {self.width}x{self.height}。",
            )
        return _to_yuv(frame, (self.width, self.height))

    def patch(self, base: av.VideoFrame, patch: Image.Image | np.ndarray, x: int, y: int) -> av.VideoFrame:
        """A copy of ``base`` (a frame from ``convert``) with ``patch`` (RGB) converted and laid over it at (x, y).

        For pictures that change only in a small region (a running timecode over a still shot): convert the
        still once, then patch each frame — a fraction of the cost of converting every frame whole. ``x``,
        ``y`` and the patch size must be even (4:2:0 chroma) and the patch must lie inside the frame.
        """
        pw, ph = (patch.width, patch.height) if isinstance(patch, Image.Image) else (patch.shape[1], patch.shape[0])
        if x % 2 or y % 2 or pw % 2 or ph % 2 or x < 0 or y < 0 or x + pw > base.width or y + ph > base.height:
            raise ValueError(f"patch {pw}x{ph} at ({x}, {y}) must be even-aligned and inside {base.width}x"
                             f"{base.height}")
        small = _to_yuv(patch)
        out = av.VideoFrame(base.width, base.height, "yuv420p")
        for i, (sub_x, sub_y) in enumerate(((1, 1), (2, 2), (2, 2))):
            src, dst, pat = base.planes[i], out.planes[i], small.planes[i]
            rows = base.height // sub_y
            s_arr = np.frombuffer(src, dtype=np.uint8).reshape(-1, src.line_size)[:rows]
            d_arr = np.frombuffer(dst, dtype=np.uint8).reshape(-1, dst.line_size)[:rows]
            p_arr = np.frombuffer(pat, dtype=np.uint8).reshape(-1, pat.line_size)
            cols = base.width // sub_x
            d_arr[:, :cols] = s_arr[:, :cols]
            px, py, pcw, pch = x // sub_x, y // sub_y, pw // sub_x, ph // sub_y
            d_arr[py:py + pch, px:px + pcw] = p_arr[:pch, :pcw]
        return out

    def write_frame(self, vf: av.VideoFrame) -> None:
        """Encode a frame made by ``convert`` as the next frame (pts = frames written so far)."""
        if vf.width != self.width or vf.height != self.height or vf.format.name != "yuv420p":
            raise MediaError(
                f"Frame {self.count} is {vf.format.name} {vf.width}x{vf.height}, expected yuv420p "
                f"{self.width}x{self.height}.",
                zh=f"第 {self.count} 帧为 {vf.format.name} {vf.width}x{vf.height}，应为 yuv420p "
                   f"{self.width}x{self.height}。",
            )
        vf.color_range = 1
        vf.colorspace = 1
        vf.color_primaries = 1
        vf.color_trc = 1
        vf.pts = self.count
        vf.time_base = Fraction(1, self.fps)
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.count += 1

    def write(self, frame: Image.Image | np.ndarray) -> None:
        """Encode a picture of exactly the clip size."""
        self.write_frame(self.convert(frame))

    def write_scaled(self, frame: Image.Image | np.ndarray) -> None:
        """Encode a picture of any size, scaled to the clip size."""
        self.write_frame(self.convert(frame, scale=True))

    def __exit__(self, et, ev, tb) -> bool:
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        if et is None:
            try:
                if self.count == 0:
                    raise MediaError(
                        f"Nothing to write to {self.path}: no frames were given.",
                        zh=f"没有可写入 {self.path} 的内容：未提供任何帧。",
                    )
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
                container, self._container = self._container, None
                container.close()  # writes the trailer and, for faststart, moves the index to the front
            except BaseException:
                if self._container is not None:
                    with contextlib.suppress(Exception):
                        self._container.close()
                    self._container = None
                if not stack.__exit__(*sys.exc_info()):
                    raise
                return False
            stack.__exit__(None, None, None)  # moves the finished file into place
            return False
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
            self._container = None
        return bool(stack.__exit__(et, ev, tb))


def encode_frames(
    frames: Iterable[Image.Image | np.ndarray],
    path: Path,
    *,
    fps: int,
    width: int,
    height: int,
    crf: int = 20,
    preset: str = "veryfast",
    gop: int | None = None,
) -> int:
    """Encode ``frames`` (PIL RGB images or ``(h, w, 3)`` uint8 arrays) to an H.264 clip at ``path``.

    Every frame must be exactly ``width`` x ``height``. Returns the number of frames written. ``gop`` is the
    keyframe interval in frames (default: one second). Raises ``OutputNotWritable`` for disk trouble and
    ``MediaError`` for bad input; in both cases nothing is left at ``path``.
    """
    with VideoWriter(path, fps=fps, width=width, height=height, crf=crf, preset=preset, gop=gop) as out:
        for frame in frames:
            out.write(frame)
    return out.count
