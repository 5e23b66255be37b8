"""Thumbnails and browser proxies: sizes, codecs, frame count, scrub-friendly keyframes."""

from __future__ import annotations

import math
from pathlib import Path

import av
from PIL import Image

from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.probe import probe
from storyreel.media.proxy import make_proxy, make_thumbnail, proxy_size
from tests.media.test_normalise import colour_clip


def test_thumbnail_is_a_320_wide_jpeg_from_a_third_in(tmp_path: Path) -> None:
    src = colour_clip(tmp_path / "take.mp4", [(200, 20, 20)] * 3 + [(20, 20, 200)] * 6)
    out = make_thumbnail(src, tmp_path / "t.jpg")
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.size == (320, 180)
        r, _g, b = im.convert("RGB").getpixel((160, 90))
    assert b > 150 and r < 80  # frame 3 of 9 is blue; frame 0 is red


def test_thumbnail_of_a_still(tmp_path: Path) -> None:
    img = tmp_path / "k.png"
    Image.new("RGB", (640, 480), (10, 200, 10)).save(img)
    with Image.open(make_thumbnail(img, tmp_path / "k.jpg")) as im:
        assert im.size == (320, 240)


def test_proxy_is_small_main_profile_and_scrubbable(tmp_path: Path) -> None:
    src = tmp_path / "tall.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=720x960:r=12:d=2", "-f", "lavfi", "-i", "sine=r=48000:d=2",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                str(src)], output=src)
    out = make_proxy(src, tmp_path / "p.mp4")
    info = probe(out)
    assert (info.width, info.height) == proxy_size(720, 960) == (360, 480)
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", probe(src).frames)
    assert info.has_audio
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.codec_context.profile == "Main"
        keys = [round(p.pts * v.time_base * 12) for p in c.demux(v) if p.size and p.is_keyframe]
    # A keyframe every half second (6 frames at 12 fps), so a hover-scrub seek decodes little.
    assert keys == list(range(0, info.frames, math.ceil(12 / 2)))
    # +faststart: the index (moov) comes before the media data.
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_proxy_never_upscales(tmp_path: Path) -> None:
    assert proxy_size(320, 180) == (320, 180)
    assert proxy_size(1920, 1080) == (854, 480)
