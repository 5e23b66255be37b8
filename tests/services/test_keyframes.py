"""Keyframes: frame-accurate grabs, uploads (image, video, refused files), approval, and edits through the engine
against the Ark fake (one billed create, linked keyframe) or refused up front by a provider that cannot edit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from storyreel.errors import InvalidInput, TakeNotFound
from storyreel.media.probe import frame_at
from storyreel.services.continuity import ChainError
from storyreel.services.film import open_film
from storyreel.services.keyframes import EditUnsupported, approve_keyframe, edit_keyframe, grab, list_keyframes, upload
from storyreel.services.plan import list_shots, plan_film
from storyreel.services.review import list_takes
from storyreel.services.shoot import shoot
from storyreel.store import JobRow, KeyframeRow, LedgerRow, ShotRow, TakeRow
from tests.conftest import small_profile


@pytest.fixture
def shot_film(film_dir: Path):
    small_profile(film_dir, width=160, height=90, fps=12)
    f = open_film(film_dir)
    plan_film(f)
    yield f
    f.close()


def _png(path: Path, size=(64, 36), color=(200, 30, 30)) -> Path:
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


def test_grab_is_frame_accurate_and_registers_a_keyframe(shot_film) -> None:
    film = shot_film
    a, b = [s.code for s in list_shots(film)[:2]]
    shoot(film, takes=1, shots=[a])
    with film.store.session() as s:
        take = s.scalars(select(TakeRow).where(TakeRow.shot_code == a)).one()
    clip = film.media.path_for(take.clip_sha, take.clip_ext)
    result = grab(film, take.label, "1.5s")
    key = result.keyframe
    assert (key.label, key.origin, key.source) == (f"{a}@k1", "grab", f"{take.label} frame 18")
    with Image.open(key.path) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), np.asarray(frame_at(clip, 18)))
    last = grab(film, take.label, "last").keyframe
    with film.store.session() as s:
        assert s.scalars(select(KeyframeRow.source_frame).where(KeyframeRow.number == last.number)).one() \
            == take.frames - 1

    to = grab(film, take.label, "10f", to=b)
    assert to.chained and to.selected and to.keyframe.shot == b and to.keyframe.approved
    with film.store.session() as s:
        assert s.scalars(select(ShotRow.chain).where(ShotRow.code == b)).one() == {"first": {"shot": a, "at": "10f"}}
    with pytest.raises(ChainError, match="itself"):
        grab(film, take.label, "first", to=a)
    with pytest.raises(TakeNotFound) as err:
        grab(film, f"{a}-t009", "first")
    assert take.label in err.value.message and err.value.zh


def test_upload_image_and_approve(shot_film, tmp_path: Path) -> None:
    film = shot_film
    a = list_shots(film)[0].code
    k1 = upload(film, a, _png(tmp_path / "mine.png"))
    k2 = upload(film, a, _png(tmp_path / "other.jpg", color=(1, 2, 3)))  # a PNG named .jpg: judged by bytes
    assert (k1.label, k1.origin, k1.width, k1.height, k1.ext) == (f"{a}@k1", "uploaded", 64, 36, "png")
    assert k2.ext == "png" and film.media.verify(k2.sha, k2.ext)
    approve_keyframe(film, a, 1)
    approve_keyframe(film, a, 2)  # one approved keyframe per shot
    assert [k.approved for k in list_keyframes(film, a)] == [False, True]
    # An approved keyframe is the first frame of the shot's next video job.
    shoot(film, takes=1, shots=[a])
    with film.store.session() as s:
        first = s.scalars(select(JobRow).where(JobRow.shot_code == a)).one().spec["first_frame"]
    assert Path(first) == film.media.path_for(k2.sha, k2.ext)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("notes.png", b"just some text, not an image", "unknown format"),
    ("cut.png", None, "cannot be decoded"),
    ("huge.png", "bomb", "decompression bomb"),
    ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "cannot be decoded as a video"),
])
def test_bad_uploads_are_refused_clearly(shot_film, tmp_path: Path, name: str, data, message: str) -> None:
    film = shot_film
    path = tmp_path / name
    if data is None:  # a real PNG cut short: its header is fine, its pixels are not there
        full = _png(tmp_path / "full.png", size=(320, 180)).read_bytes()
        noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (180, 320, 3), dtype=np.uint8))
        noise.save(tmp_path / "full.png")
        full = (tmp_path / "full.png").read_bytes()
        path.write_bytes(full[: len(full) // 2])
    elif data == "bomb":
        Image.new("1", (9000, 9000)).save(path)  # 81 Mpx of one bit: a small file that claims a huge image
    else:
        path.write_bytes(data)
    code = list_shots(film)[0].code
    with pytest.raises(InvalidInput) as err:
        upload(film, code, path)
    assert message in err.value.message and err.value.zh
    with film.store.session() as s:
        assert s.scalars(select(KeyframeRow)).all() == [] and s.scalars(select(TakeRow)).all() == []


def test_upload_video_is_a_take_like_any_other(shot_film, tmp_path: Path) -> None:
    film = shot_film
    a, b = [s.code for s in list_shots(film)[:2]]
    shoot(film, takes=1, shots=[a])
    with film.store.session() as s:
        src = s.scalars(select(TakeRow).where(TakeRow.shot_code == a)).one()
    mine = tmp_path / "mine.mp4"
    mine.write_bytes(film.media.path_for(src.clip_sha, src.clip_ext).read_bytes())
    label = upload(film, b, mine)
    assert label == f"{b}-t001"
    (take,) = list_takes(film, b)
    assert (take.provider, take.frames, take.fps) == ("upload", src.frames, src.fps)
    with film.store.session() as s:
        row = s.scalars(select(TakeRow).where(TakeRow.shot_code == b)).one()
        assert (row.origin, row.width, row.height, row.cost) == ("uploaded", 160, 90, 0.0)
    # It counts toward --takes: shooting 2 takes of b makes only take 2.
    report = shoot(film, takes=2, shots=[b])
    assert report.planned == 1 and [t.number for t in list_takes(film, b)] == [1, 2]


# -- edits --------------------------------------------------------------------------------------------------


@pytest.fixture
def ark_film(ark, film_dir: Path, monkeypatch):
    url, fake = ark
    fake.reset()
    monkeypatch.setenv("ARK_API_KEY", "test-key")
    toml = film_dir / "film.toml"
    toml.write_text(toml.read_text(encoding="utf-8") +
                    f'\n[providers.ark]\nbase_url = "{url}/api/v3"\npoll_interval = 0.01\n', encoding="utf-8")
    f = open_film(film_dir)
    plan_film(f)
    yield f, fake
    f.close()


def test_edit_through_the_engine_with_seedream(ark_film, tmp_path: Path) -> None:
    film, fake = ark_film
    a = list_shots(film)[0].code
    upload(film, a, _png(tmp_path / "tv.png", size=(320, 180)))
    key = edit_keyframe(film, f"{a}@k1", "replace the TV with a 90s CRT set", provider="ark")
    assert fake.billable_creates == 1 and fake.images_billed == 1
    body = fake.api_requests()[-1].body
    assert body["prompt"] == "replace the TV with a 90s CRT set" and body["image"]
    assert (key.label, key.origin, key.source, key.prompt) == (f"{a}@k2", "edit", f"{a}@k1",
                                                               "replace the TV with a 90s CRT set")
    assert key.path.is_file() and film.media.verify(key.sha, key.ext)
    with film.store.session() as s:
        job = s.get(JobRow, key.job_id)
        assert (job.state, job.lane, job.provider) == ("done", "image", "ark")
        kinds = sorted(r.kind for r in s.scalars(select(LedgerRow).where(LedgerRow.job_id == job.id)))
        assert kinds == ["charge", "reserve"]
        # The engine's image take lives beside the shot, never among its numbered video takes.
        assert s.scalars(select(TakeRow).where(TakeRow.shot_code == a)).all() == []
    assert [k.label for k in list_keyframes(film, a)] == [f"{a}@k1", f"{a}@k2"]


def test_provider_without_editing_sends_nothing(ark_film, tmp_path: Path) -> None:
    film, fake = ark_film
    a = list_shots(film)[0].code
    upload(film, a, _png(tmp_path / "tv.png", size=(320, 180)))
    with pytest.raises(EditUnsupported) as err:
        edit_keyframe(film, f"{a}@k1", "make it night", provider="previz")
    assert "cannot edit images" in err.value.message and "不支持图片编辑" in err.value.zh
    with pytest.raises(TakeNotFound, match="no keyframe k7"):
        edit_keyframe(film, f"{a}@k7", "make it night", provider="ark")
    assert fake.received == []
    with film.store.session() as s:
        assert s.scalars(select(JobRow)).all() == []
    assert os.environ["ARK_API_KEY"] == "test-key"


def test_interactive_grabs_read_the_normalised_copy_chains_send_the_take_itself(shot_film, tmp_path: Path) -> None:
    """A generator-style take (one GOP for the whole clip): once landed, a grab deep in it reads the frame-aligned
    normalised copy (fast; says so), --exact decodes the take, and a chained job always gets the take's own frame."""
    from storyreel.media.ffmpeg import run_ffmpeg
    from storyreel.services.continuity import resolve_chain
    from storyreel.services.landing import ensure_take_media

    film = shot_film
    a, b = [s.code for s in list_shots(film)[:2]]
    mine = tmp_path / "one-gop.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=12:duration=4", "-c:v", "libx264", "-g", "300",
                "-bf", "2", "-pix_fmt", "yuv420p", str(mine)], output=mine)
    label = upload(film, a, mine)
    with film.store.session() as s:
        take = s.scalars(select(TakeRow).where(TakeRow.shot_code == a)).one()
    original = film.media.path_for(take.clip_sha, take.clip_ext)

    before = grab(film, label, "47f")  # not landed yet: only the take itself can be read
    assert before.exact
    norm = ensure_take_media(film, label).normalised
    fast = grab(film, label, "47f")
    assert not fast.exact
    with Image.open(fast.keyframe.path) as im:
        got = np.asarray(im.convert("RGB"))
    assert np.array_equal(got, np.asarray(frame_at(norm, 47)))
    # The same picture, re-encoded: closer to the take's frame 47 than to its neighbours.
    error = {i: np.mean((got.astype(float) - np.asarray(frame_at(original, i)).astype(float)) ** 2)
             for i in (45, 46, 47)}
    assert min(error, key=error.get) == 47 and 10 * np.log10(255 ** 2 / error[47]) > 30

    exact = grab(film, label, "47f", exact=True)
    assert exact.exact
    with Image.open(exact.keyframe.path) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), np.asarray(frame_at(original, 47)))
    near = grab(film, label, "5f")  # a few frames from the keyframe: the take itself is cheap enough
    assert near.exact

    chained = grab(film, label, "47f", to=b)
    assert chained.chained and not chained.exact
    with film.store.session() as s:
        sent = resolve_chain(s, b, media=film.media)["first"]
    with Image.open(sent.path) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), np.asarray(frame_at(original, 47)))


def test_upload_video_refuses_an_image_and_an_unknown_suffix(shot_film, tmp_path: Path) -> None:
    from storyreel.services.keyframes import upload_video

    film = shot_film
    a = list_shots(film)[0].code
    with pytest.raises(InvalidInput, match="is an image") as err:
        upload_video(film, a, _png(tmp_path / "still.mp4"))
    assert err.value.zh
    odd = tmp_path / "clip.xyz"
    odd.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(InvalidInput, match="must end in one of"):
        upload_video(film, a, odd)
    with film.store.session() as s:
        assert s.scalars(select(TakeRow)).all() == []
