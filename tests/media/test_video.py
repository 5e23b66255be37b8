"""media.video: frame-exact H.264 clips and PNG stills, written atomically, with readable disk errors."""

from __future__ import annotations

import errno
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from storyreel.errors import MediaError, OutputNotWritable
from storyreel.media import files
from storyreel.media.video import VideoWriter, encode_frames, save_png


def _frames(n: int, w: int = 64, h: int = 48) -> list[np.ndarray]:
    """Distinct frames: a bright bar that steps across a gradient, so every frame differs."""
    out = []
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    base[..., 2] = np.linspace(255, 0, h, dtype=np.uint8)[:, None]
    for i in range(n):
        f = base.copy()
        x = (i * 3) % (w - 4)
        f[:, x : x + 4] = 255
        out.append(f)
    return out


def _probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = list(c.decode(s))
        return {
            "codec": s.codec_context.name,
            "width": s.codec_context.width,
            "height": s.codec_context.height,
            "pix_fmt": s.codec_context.pix_fmt,
            "time_base": s.time_base,
            "rate": s.average_rate,
            "pts": [f.pts for f in frames],
            "frames": frames,
            "audio": len(c.streams.audio),
            "colour": (s.codec_context.color_primaries, s.codec_context.color_trc, s.codec_context.colorspace,
                       s.codec_context.color_range),
        }


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


@pytest.mark.parametrize(("n", "fps"), [(1, 24), (7, 12), (30, 25), (48, 24), (31, 30)])
def test_frame_exact_count_and_pts(tmp_path: Path, n: int, fps: int) -> None:
    out = tmp_path / "clip.mp4"
    assert encode_frames(_frames(n), out, fps=fps, width=64, height=48) == n
    info = _probe(out)
    assert info["pts"] == list(range(n))
    assert info["time_base"] == Fraction(1, fps)
    assert info["rate"] == fps


def test_h264_yuv420p_bt709_no_audio(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    encode_frames(_frames(12), out, fps=12, width=64, height=48)
    info = _probe(out)
    assert info["codec"] == "h264"
    assert (info["width"], info["height"]) == (64, 48)
    assert info["pix_fmt"] == "yuv420p"
    assert info["colour"] == (1, 1, 1, 1)  # BT.709 primaries / transfer / matrix, limited range
    assert info["audio"] == 0


def test_faststart_puts_the_index_first(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    encode_frames(_frames(24), out, fps=24, width=64, height=48)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_colours_survive_with_the_bt709_matrix(tmp_path: Path) -> None:
    flat = np.zeros((32, 32, 3), np.uint8)
    flat[:] = (200, 100, 50)
    out = tmp_path / "flat.mp4"
    encode_frames([flat] * 3, out, fps=12, width=32, height=32, crf=10)
    with av.open(str(out)) as c:
        f = next(c.decode(video=0))
        rgb = f.reformat(format="rgb24", src_colorspace="itu709").to_ndarray()
    assert np.abs(rgb[16, 16].astype(int) - [200, 100, 50]).max() <= 4


def test_pil_images_and_arrays_are_both_accepted(tmp_path: Path) -> None:
    frames = _frames(6)
    mixed = [Image.fromarray(f) if i % 2 else f for i, f in enumerate(frames)]
    mixed.append(Image.fromarray(frames[0]).convert("RGBA"))  # other modes are converted
    out = tmp_path / "mixed.mp4"
    assert encode_frames(iter(mixed), out, fps=12, width=64, height=48) == 7
    decoded = _probe(out)["frames"]
    a = decoded[2].to_ndarray(format="rgb24").astype(int)
    assert np.abs(a - frames[2]).mean() < 6


def test_write_scaled_and_patch(tmp_path: Path) -> None:
    out = tmp_path / "scaled.mp4"
    big = np.zeros((96, 128, 3), np.uint8)
    big[:, :64] = (255, 255, 255)  # left half white at any scale
    with VideoWriter(out, fps=12, width=64, height=48, crf=10) as w:
        w.write_scaled(big)
        base = w.convert(np.zeros((48, 64, 3), np.uint8))
        patch = Image.new("RGB", (16, 8), (255, 255, 255))
        w.write_frame(w.patch(base, patch, 10, 20))
        with pytest.raises(ValueError):
            w.patch(base, patch, 11, 20)  # odd x would split chroma samples
    assert w.count == 2
    frames = [f.to_ndarray(format="rgb24").astype(int) for f in _probe(out)["frames"]]
    assert frames[0].shape == (48, 64, 3)
    assert frames[0][:, :28].mean() > 230 and frames[0][:, 36:].mean() < 25
    assert frames[1][22:26, 13:23].mean() > 220  # inside the patch
    assert frames[1][:, 40:].mean() < 20  # the rest is the black base


def test_bad_frame_size_raises_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    frames = _frames(3) + [np.zeros((10, 10, 3), np.uint8)]
    with pytest.raises(MediaError, match="expected 64x48"):
        encode_frames(frames, out, fps=12, width=64, height=48)
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_bad_arrays_and_arguments(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        encode_frames([np.zeros((48, 64), np.uint8)], tmp_path / "a.mp4", fps=12, width=64, height=48)
    with pytest.raises(MediaError, match="even"):
        encode_frames(_frames(2, 63, 48), tmp_path / "b.mp4", fps=12, width=63, height=48)
    with pytest.raises(MediaError, match=r"\.mp4"):
        encode_frames(_frames(2), tmp_path / "c.gif", fps=12, width=64, height=48)
    with pytest.raises(MediaError, match="no frames"):
        encode_frames([], tmp_path / "d.mp4", fps=12, width=64, height=48)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    encode_frames(_frames(5), out, fps=12, width=64, height=48)
    before = out.read_bytes()

    def boom():
        yield from _frames(3)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        encode_frames(boom(), out, fps=12, width=64, height=48)
    assert out.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_other_container_suffixes(tmp_path: Path) -> None:
    for name in ("clip.mov", "clip.mkv"):
        encode_frames(_frames(4), tmp_path / name, fps=12, width=64, height=48)
        assert len(_probe(tmp_path / name)["pts"]) == 4


def test_parent_is_a_file_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(OutputNotWritable) as err:
        encode_frames(_frames(2), blocker / "clip.mp4", fps=12, width=64, height=48)
    assert str(blocker / "clip.mp4") in err.value.message
    assert err.value.zh and "无法写入" in err.value.zh


def test_missing_folders_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "clip.mp4"
    encode_frames(_frames(2), out, fps=12, width=64, height=48)
    assert out.is_file()


def test_read_only_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that can write anywhere (root): chmod does not stop writes")
        with pytest.raises(OutputNotWritable, match="permission denied"):
            encode_frames(_frames(2), ro / "clip.mp4", fps=12, width=64, height=48)
        with pytest.raises(OutputNotWritable):
            save_png(Image.new("RGB", (8, 8)), ro / "still.png")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize(
    ("code", "words", "zh"),
    [(errno.ENOSPC, "disk is full", "磁盘已满"), (errno.EROFS, "read-only", "只读"),
     (errno.EACCES, "permission denied", "权限"), (errno.EFBIG, "too large", "大小")],
)
def test_disk_errors_become_output_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int,
                                                words: str, zh: str) -> None:
    def failing_replace(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "replace", failing_replace)
    out = tmp_path / "clip.mp4"
    with pytest.raises(OutputNotWritable, match=words) as err:
        encode_frames(_frames(3), out, fps=12, width=64, height=48)
    assert str(out) in str(err.value)
    assert zh in err.value.zh
    assert err.value.context["errno"] == code
    assert not out.exists()
    assert _leftovers(tmp_path) == []
    with pytest.raises(OutputNotWritable, match=words):
        save_png(Image.new("RGB", (8, 8)), tmp_path / "still.png")
    assert list(tmp_path.iterdir()) == []


def test_save_png_round_trip(tmp_path: Path) -> None:
    arr = _frames(1)[0]
    out = save_png(Image.fromarray(arr), tmp_path / "k" / "still.png")
    assert out == tmp_path / "k" / "still.png"
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert np.array_equal(np.asarray(im.convert("RGB")), arr)
    save_png(arr, tmp_path / "array.png")  # arrays too
    with Image.open(tmp_path / "array.png") as im:
        assert np.array_equal(np.asarray(im), arr)
    assert _leftovers(tmp_path / "k") == []


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    encode_frames(_frames(2), out, fps=12, width=64, height=48)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
