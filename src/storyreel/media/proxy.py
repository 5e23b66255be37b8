"""Review media made once per take: a JPEG thumbnail and a small browser-playable H.264 proxy.

The studio shows dozens of takes per page and scrubs them on hover, so no page request may transcode. The proxy
is H.264 Main (every browser decodes it), yuv420p, at most 480 lines, with the index at the front (+faststart)
and a keyframe every half second: a hover-scrub seek then decodes at most half a second of frames. It keeps the
take's frame count (no frame-rate conversion), so frame numbers in the studio are the take's frame numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageOps

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.files import atomic_target
from storyreel.media.probe import VideoInfo, frame_at, probe

__all__ = ["PROXY_MAX_HEIGHT", "THUMB_WIDTH", "make_proxy", "make_thumbnail", "proxy_size", "thumbnail_frame"]

THUMB_WIDTH = 320
PROXY_MAX_HEIGHT = 480


def thumbnail_frame(frames: int) -> int:
    """A frame about a third in: past fade-ins and the first-frame sameness of image-to-video takes."""
    return max(0, min(frames - 1, frames // 3))


def make_thumbnail(src: Path, out: Path, *, width: int = THUMB_WIDTH, frame: int | None = None) -> Path:
    """Write a JPEG ``width`` pixels wide at ``out`` from a still, or from a video's ``frame`` (default: ~1/3 in)."""
    src = Path(src)
    if src.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp"}:
        try:
            with Image.open(src) as im:
                image = ImageOps.exif_transpose(im).convert("RGB")
        except OSError as exc:
            raise MediaError(f"Cannot read image {src}: {exc}.", zh=f"无法读取图片 {src}：{exc}。", path=str(src)) from None
    else:
        index = thumbnail_frame(probe(src).frames) if frame is None else frame
        image = frame_at(src, index)
    height = max(2, round(image.height * width / image.width))
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    with atomic_target(Path(out)) as tmp:
        image.save(tmp, format="JPEG", quality=82, optimize=True)
    return Path(out)


def proxy_size(width: int, height: int, max_height: int = PROXY_MAX_HEIGHT) -> tuple[int, int]:
    """Even width and height, at most ``max_height`` lines, same shape; never upscaled."""
    h = min(height, max_height) // 2 * 2
    w = max(2, round(width * h / height / 2) * 2)
    return w, max(2, h)


def make_proxy(src: Path, out: Path, *, info: VideoInfo | None = None, max_height: int = PROXY_MAX_HEIGHT,
               crf: int = 26, preset: str = "veryfast") -> Path:
    """Write the browser proxy of video ``src`` at ``out`` (MP4). Audio is kept (AAC) when the take has some."""
    src, out = Path(src), Path(out)
    info = info or probe(src)
    w, h = proxy_size(info.width, info.height, max_height)
    fps = float(info.fps) if info.fps else 24.0
    gop = max(1, math.ceil(fps / 2))
    args = ["-i", str(src), "-map", "0:v:0", "-filter:v", f"scale={w}:{h},format=yuv420p",
            "-c:v", "libx264", "-profile:v", "main", "-pix_fmt", "yuv420p", "-preset", preset, "-crf", str(crf),
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-fps_mode", "passthrough"]
    if info.has_audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    else:
        args += ["-an"]
    with atomic_target(out) as tmp:
        args += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        run_ffmpeg(args, output=out)
    return out
