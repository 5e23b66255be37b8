"""Input images: format by magic bytes, size limits, header-only dimensions, decompression bombs refused."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile, features

from storyreel.errors import InvalidInput
from storyreel.media.images import HEAD_BYTES, MAX_PIXELS, ImageFacts, inspect_image, sniff_format


def encoded(fmt: str, size: tuple[int, int] = (30, 20), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 128).save(buf, fmt)
    return buf.getvalue()


def png_claiming(width: int, height: int, *, bit_depth: int = 8, colour: int = 2, idat: bytes = b"") -> bytes:
    """A PNG whose header claims ``width``×``height``; the pixel data is whatever ``idat`` holds (none by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def refusal(path: Path, **kw: object) -> InvalidInput:
    kw.setdefault("max_bytes", None)
    with pytest.raises(InvalidInput) as info:
        inspect_image(path, **kw)
    assert info.value.zh, "every refusal has a Chinese message"
    return info.value


# --- sniff_format --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pil", "fmt"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif"),
                                          ("BMP", "bmp"), ("TIFF", "tiff")])
def test_sniff_names_each_format_from_its_first_bytes(pil: str, fmt: str) -> None:
    assert sniff_format(encoded(pil)[:HEAD_BYTES]) == fmt


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF encoder")
def test_sniff_names_avif() -> None:
    assert sniff_format(encoded("AVIF")[:HEAD_BYTES]) == "avif"


def test_sniff_names_heic_from_its_ftyp_brands() -> None:
    assert sniff_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "heic"
    assert sniff_format(b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf") == "avif"  # major brand generic
    assert sniff_format(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2") is None  # an MP4 is no image


@pytest.mark.parametrize("head", [b"", b"not an image at all", b"BM is how this line starts", b"RIFF\0\0\0\0WAVEfmt "])
def test_sniff_knows_what_is_not_an_image(head: bytes) -> None:
    assert sniff_format(head) is None


# --- inspect_image: the facts ------------------------------------------------------------------------------------

def test_facts_come_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    lying = tmp_path / "photo.jpg"
    lying.write_bytes(encoded("PNG", (64, 36)))
    facts = inspect_image(lying, max_bytes=None)
    assert facts == ImageFacts(format="png", width=64, height=36, bytes=lying.stat().st_size)
    # The same file is refused where only JPEG is accepted, and the message says what it really is.
    err = refusal(lying, formats=("jpeg",))
    assert err.context["reason"] == "unsupported_format"
    assert "photo.jpg is a PNG file" in str(err) and "JPEG" in str(err)


def test_an_unaccepted_format_is_refused_before_pillow_parses_it(tmp_path: Path, monkeypatch) -> None:
    tiff = tmp_path / "scan.tif"
    tiff.write_bytes(encoded("TIFF"))

    def never(*args: object, **kw: object) -> None:
        raise AssertionError("Pillow was asked to parse a format nobody accepts")

    monkeypatch.setattr(Image, "open", never)
    assert refusal(tiff, formats=("png", "jpeg")).context["reason"] == "unsupported_format"


def test_dimensions_are_read_without_decoding_pixels(tmp_path: Path, monkeypatch) -> None:
    # A header and no pixel data at all: decoding would fail, so the size can only have come from the header.
    header_only = tmp_path / "header-only.png"
    header_only.write_bytes(png_claiming(2000, 1000))
    assert inspect_image(header_only, max_bytes=None) == ImageFacts("png", 2000, 1000, header_only.stat().st_size)

    jpeg = tmp_path / "frame.jpg"
    jpeg.write_bytes(encoded("JPEG", (320, 180)))

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    facts = inspect_image(jpeg, max_bytes=None)
    assert (facts.format, facts.width, facts.height) == ("jpeg", 320, 180)


# --- inspect_image: refusals -------------------------------------------------------------------------------------

def test_a_missing_file_is_named(tmp_path: Path) -> None:
    err = refusal(tmp_path / "nope.png", subject=("Ark image", "方舟图片"), provider="ark", field="image")
    assert str(err).startswith("Ark image: no image file at ") and "nope.png" in str(err)
    assert err.zh.startswith("方舟图片：") and "nope.png" in err.zh
    assert err.context == {"provider": "ark", "field": "image", "reason": "missing",
                           "path": str(tmp_path / "nope.png")}
    assert refusal(tmp_path).context["reason"] == "missing"  # a folder is not an image file


def test_the_byte_limit_is_inclusive_and_the_refusal_gives_both_sizes(tmp_path: Path) -> None:
    png = tmp_path / "still.png"
    png.write_bytes(encoded("PNG"))
    size = png.stat().st_size
    assert inspect_image(png, max_bytes=size).bytes == size
    err = refusal(png, max_bytes=size - 1)
    assert err.context["reason"] == "too_large"
    assert f"still.png is 0.0 MB ({size} bytes)" in str(err) and f"at most 0.0 MB ({size - 1} bytes)" in str(err)
    # The limit is checked before the file is parsed: a big file is refused whatever it holds.
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5_000_000))
    assert "at most 4.7 MB (4700000 bytes)" in str(refusal(big, max_bytes=4_700_000))


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not an image")
    err = refusal(notes)
    assert err.context["reason"] == "unknown_format" and "notes.jpg is in an unknown format" in str(err)


def test_a_damaged_file_behind_a_valid_signature_is_unreadable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff" + bytes(32))
    err = refusal(broken)
    assert err.context["reason"] == "unreadable" and "broken.jpg" in str(err) and "JPEG" in str(err)
    zero = tmp_path / "zero.gif"
    zero.write_bytes(b"GIF89a" + bytes(64))  # a 0×0 screen
    assert refusal(zero).context["reason"] == "unreadable"


def test_heic_without_a_reader_says_so(tmp_path: Path) -> None:
    Image.init()
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF reader (pillow-heif) is registered")
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    err = refusal(heic)
    assert err.context["reason"] == "unreadable" and "no reader for HEIC" in str(err)


# --- decompression bombs ---------------------------------------------------------------------------------------------

def test_pillow_limit_is_set_explicitly() -> None:
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS


def test_a_tiny_png_claiming_30000_by_30000_is_refused_as_a_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "innocent.png"
    bomb.write_bytes(png_claiming(30000, 30000))
    assert bomb.stat().st_size < 100
    err = refusal(bomb, max_bytes=10_000_000)
    assert err.context["reason"] == "bomb" and "innocent.png" in str(err) and "decompression bomb" in str(err)


def test_the_warning_band_is_an_error_too_and_warning_filters_are_left_alone(tmp_path: Path) -> None:
    # 9000×9000 is past MAX_PIXELS but under twice that, where Pillow only warns. A real bomb: one bit a pixel,
    # all zeros, so 10 MB of rows deflate to a few kilobytes.
    assert MAX_PIXELS < 9000 * 9000 < 2 * MAX_PIXELS
    rows = zlib.compress(bytes((1 + 9000 // 8) * 9000), 9)  # each row: a filter byte, then 1125 bytes of pixels
    bomb = tmp_path / "wide-open.png"
    bomb.write_bytes(png_claiming(9000, 9000, bit_depth=1, colour=0, idat=rows))
    assert bomb.stat().st_size < 50_000
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert refusal(bomb).context["reason"] == "bomb"
    assert seen == [] and warnings.filters == before


def test_a_loosened_pillow_limit_still_refuses_the_bomb(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # someone else in the process switched Pillow's check off
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(30000, 30000))
    assert refusal(bomb).context["reason"] == "bomb"
