"""Input images, checked before a provider is paid: is the file there, how big, what it is, how many pixels.

Every hosted adapter refuses a bad input image before the billable call. This module does the mechanics they
share; each adapter keeps its own vendor limits (byte limit, formats, sides, aspect, counts) and passes them in or
checks them on the returned ``ImageFacts``.

- The format comes from the file's first bytes (``sniff_format``); the file name is never trusted, so a PNG named
  ``.jpg`` is a PNG.
- The width and height come from the header: Pillow's ``Image.open`` is lazy and no pixel is decoded. It is
  restricted to the sniffed format, and a format the caller does not accept is refused before Pillow parses it.
- A header that claims more than ``MAX_PIXELS`` pixels is refused as a possible decompression bomb: Pillow's
  ``MAX_IMAGE_PIXELS`` is set to that limit here, and its ``DecompressionBombWarning`` is raised as an error.

Every refusal is ``InvalidInput`` in English and Chinese, naming the file and what is wrong with it. Its context
carries ``reason`` (missing, too_large, unknown_format, unsupported_format, bomb, unreadable), ``path``, and
whatever the caller passed (``provider``, ``field``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyreel.errors import InvalidInput

__all__ = ["FORMATS", "HEAD_BYTES", "MAX_PIXELS", "ImageFacts", "inspect_image", "sniff_format"]

FORMATS = ("png", "jpeg", "webp", "gif", "bmp", "tiff", "heic", "avif")  # what sniff_format can name
HEAD_BYTES = 32  # enough of the file's start for sniff_format

# No vendor we call takes more than 6000×6000; anything past 8192×8192 is refused unread. Pillow warns past this
# many pixels and raises past twice as many; storyreel sets the limit explicitly rather than trusting a default.
MAX_PIXELS = 8192 * 8192
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
               (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"II+\x00", "tiff"), (b"MM\x00+", "tiff"))
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}  # the DIB header sizes Windows and OS/2 bitmaps use
_HEIF_BRANDS = {b"avif": "avif", b"avis": "avif", b"heic": "heic", b"heix": "heic", b"heim": "heic",
                b"heis": "heic", b"hevc": "heic", b"hevx": "heic"}
_PIL_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP", "tiff": "TIFF",
              "heic": "HEIF", "avif": "AVIF"}  # HEIF only with the pillow-heif plugin registered


@dataclass(frozen=True)
class ImageFacts:
    """What a file is, read from its first bytes and its header."""

    format: str  # one of FORMATS
    width: int
    height: int
    bytes: int  # file size


def sniff_format(head: bytes) -> str | None:
    """The image format from the file's first bytes (``HEAD_BYTES`` is enough), or None when unknown."""
    for magic, fmt in _SIGNATURES:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    if head[4:8] == b"ftyp":  # ISO base media: the major brand, then the compatible brands (after minor_version)
        end = min(len(head), int.from_bytes(head[:4], "big"))
        brands = [head[8:12]] + [head[i:i + 4] for i in range(16, end - 3, 4)]
        return next((_HEIF_BRANDS[b] for b in brands if b in _HEIF_BRANDS), None)
    return None


def inspect_image(path: str | os.PathLike[str], *, max_bytes: int | None, formats: Collection[str] | None = None,
                  subject: tuple[str, str] = ("Image", "图片"), **context: object) -> ImageFacts:
    """Check the image at ``path`` without decoding its pixels; InvalidInput names the file and the problem.

    ``max_bytes``: the largest file accepted (None: no limit). ``formats``: the formats accepted (None: any in
    ``FORMATS`` that Pillow can read). ``subject``: who is asking, in English and Chinese, opening each message
    (``("Ark image", "方舟图片")``). ``context`` goes into the error (``provider``, ``field``).
    """
    p = Path(path)
    refuse = _Refusal(p, subject, context)
    if not p.is_file():
        raise refuse("missing", f"no image file at {p}; give the path of an existing image file",
                     f"找不到图片文件 {p}；请给出已有图片文件的路径")
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise refuse("unreadable", f"{p.name} cannot be read ({exc.strerror or exc})",
                     f"无法读取 {p.name}（{exc.strerror or exc}）") from exc
    if max_bytes is not None and size > max_bytes:
        raise refuse("too_large", f"{p.name} is {_mb(size)} ({size} bytes); images of at most {_mb(max_bytes)} "
                     f"({max_bytes} bytes) are accepted",
                     f"{p.name} 大小为 {_mb(size)}（{size} 字节）；最大可接受 {_mb(max_bytes)}（{max_bytes} 字节）")
    fmt = sniff_format(head)
    if fmt is None:
        raise refuse("unknown_format", f"{p.name} is in an unknown format: its first bytes match no image format "
                     "(the name is not trusted)", f"{p.name} 格式未知：文件开头不符合任何图片格式（不按文件名判断）")
    if formats is not None and fmt not in formats:
        accepted = ", ".join(f.upper() for f in formats)
        raise refuse("unsupported_format", f"{p.name} is a {fmt.upper()} file; accepted: {accepted} (judged by "
                     "its bytes, not its name)", f"{p.name} 是 {fmt.upper()} 文件；可接受：{accepted}（按文件内容而非"
                     "文件名判断）")
    width, height = _header_size(p, fmt, refuse)
    return ImageFacts(fmt, width, height, size)


@dataclass(frozen=True)
class _Refusal:
    """Builds the InvalidInput for one file: the caller's subject opens the message, its context goes along."""

    path: Path
    subject: tuple[str, str]
    context: dict[str, object]

    def __call__(self, reason: str, problem: str, problem_zh: str) -> InvalidInput:
        en, zh = self.subject
        return InvalidInput(f"{en}: {problem}.", zh=f"{zh}：{problem_zh}。",
                            **{**self.context, "reason": reason, "path": str(self.path)})


def _header_size(p: Path, fmt: str, refuse: _Refusal) -> tuple[int, int]:
    """Width and height from the header, by the sniffed format's Pillow plugin only; pixels stay undecoded."""
    name = _PIL_NAMES[fmt]
    Image.preinit()
    if name not in Image.OPEN:
        Image.init()  # the less common plugins (and any registered one, such as pillow-heif's HEIF)
    if name not in Image.OPEN:
        raise refuse("unreadable", f"{p.name} is a {fmt.upper()} file, and this installation has no reader for "
                     f"{fmt.upper()}", f"{p.name} 是 {fmt.upper()} 文件，但本机没有可读取 {fmt.upper()} 的组件")
    bomb = (f"{p.name} claims more than {MAX_PIXELS} pixels; refused unread as a possible decompression bomb",
            f"{p.name} 声称超过 {MAX_PIXELS} 像素；疑似解压炸弹，未读取即拒绝")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p, formats=[name]) as im:  # lazy: reads the header, decodes no pixel
                width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refuse("bomb", *bomb) from exc
    except Exception as exc:  # a damaged or truncated file behind a valid signature; Pillow raises many kinds
        raise refuse("unreadable", f"{p.name} starts like a {fmt.upper()} file but cannot be read as one (damaged "
                     "or truncated?)", f"{p.name} 开头像 {fmt.upper()} 文件，但无法按此格式读取（文件损坏或不完整？）"
                     ) from exc
    if width <= 0 or height <= 0:
        raise refuse("unreadable", f"{p.name} declares {width}×{height} pixels",
                     f"{p.name} 声明的尺寸为 {width}×{height} 像素")
    if width * height > MAX_PIXELS:  # in case Pillow's limit was loosened elsewhere in this process
        raise refuse("bomb", *bomb)
    return width, height


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
