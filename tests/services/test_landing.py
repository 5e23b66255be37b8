"""Takes land when shot (thumbnail, proxy, normalised clip), idempotently; the preview cut copies them."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.media.normalise import avcc
from storyreel.media.probe import frame_at, probe
from storyreel.services.cut import assemble
from storyreel.services.film import new_film, open_film
from storyreel.services.landing import (
    ensure_take_media,
    normalised_path,
    proxy_path,
    reference,
    thumbnail_path,
)
from storyreel.services.plan import plan_film
from storyreel.services.preview import preview_cut
from storyreel.services.review import list_takes
from storyreel.services.shoot import shoot
from storyreel.services.timeline import materialise, reset_cut, timeline, trim_clip
from tests.conftest import small_profile


@pytest.fixture(scope="module")
def shot_film(tmp_path_factory: pytest.TempPathFactory):
    root = new_film(tmp_path_factory.mktemp("landing") / "film", language="en", title="Landing")
    small_profile(root, width=160, height=90, fps=12)
    film = open_film(root)
    plan_film(film)
    shoot(film, takes=1)
    yield film
    film.close()


def _takes(film):
    return [t for c in timeline(film) for t in [c.take]]


def test_shoot_lands_every_take(shot_film) -> None:
    for take in _takes(shot_film):
        thumb, proxy, norm = thumbnail_path(shot_film, take), proxy_path(shot_film, take), normalised_path(
            shot_film, take)
        assert thumb is not None and proxy is not None and norm is not None, take.label
        info = probe(norm)
        assert (info.width, info.height, info.fps, info.frames) == (160, 90, 12, take.frames)
        assert info.has_audio and avcc(norm) == reference(shot_film)[0]
        with av.open(str(norm)) as c:
            assert c.streams.audio[0].codec_context.sample_rate == 48000
        assert probe(proxy).frames == take.frames


def test_second_call_makes_nothing(shot_film) -> None:
    label = _takes(shot_film)[0].label
    take = _takes(shot_film)[0]
    paths = [thumbnail_path(shot_film, take), proxy_path(shot_film, take), normalised_path(shot_film, take)]
    before = [p.stat().st_mtime_ns for p in paths]
    assert ensure_take_media(shot_film, label).made == ()
    assert [p.stat().st_mtime_ns for p in paths] == before


def test_missing_and_corrupt_entries_are_made_again(shot_film) -> None:
    take = _takes(shot_film)[1]
    proxy, norm, thumb = proxy_path(shot_film, take), normalised_path(shot_film, take), thumbnail_path(shot_film, take)
    proxy.write_bytes(b"not a video")
    norm.write_bytes(norm.read_bytes()[:200])  # truncated
    thumb.unlink()
    media = ensure_take_media(shot_film, take.label)
    assert set(media.made) == {"thumbnail", "proxy", "normalised"}
    assert probe(proxy_path(shot_film, take)).frames == take.frames
    assert probe(normalised_path(shot_film, take)).frames == take.frames
    os.utime(media.thumbnail, ns=(1, 1))  # a valid entry is left alone, however old
    assert ensure_take_media(shot_film, take.label).made == ()


def test_preview_copies_every_whole_clip(shot_film) -> None:
    reset_cut(shot_film)
    result = preview_cut(shot_film)
    clips = timeline(shot_film)
    assert (result.clips, result.copied, result.reencoded) == (len(clips), len(clips), 0)
    assert result.frames == sum(c.record_frames for c in clips) == probe(result.video).frames
    _, cues = assemble(shot_film)
    with av.open(str(result.video)) as c:
        texts = [p for p in c.demux(c.streams.subtitles[0]) if p.size > 2]
    assert len(texts) == len(cues) == result.cues > 0
    # Each clip's first frame in the preview is its take's first frame.
    for clip in clips:
        got = np.asarray(frame_at(result.video, clip.record_start), dtype=float)
        want = np.asarray(frame_at(normalised_path(shot_film, clip.take), 0), dtype=float)
        assert np.abs(got - want).mean() < 1.0, clip.take.label


def test_trimmed_clip_is_the_only_one_re_encoded(shot_film) -> None:
    clips = materialise(shot_film)
    target = clips[1]
    trim_clip(shot_film, target.id, 2, target.take.frames - 3)
    try:
        result = preview_cut(shot_film)
        assert (result.copied, result.reencoded) == (len(clips) - 1, 1)
        edited = timeline(shot_film)
        assert result.frames == sum(c.record_frames for c in edited) == probe(result.video).frames
        got = np.asarray(frame_at(result.video, edited[1].record_start), dtype=float)
        want = np.asarray(frame_at(normalised_path(shot_film, target.take), 2), dtype=float)
        assert np.abs(got - want).mean() < 4.0  # re-encoded: same picture, not the same bits
        after = np.asarray(frame_at(result.video, edited[2].record_start), dtype=float)
        assert np.abs(after - np.asarray(frame_at(normalised_path(shot_film, edited[2].take), 0),
                                         dtype=float)).mean() < 1.0
    finally:
        reset_cut(shot_film)


def test_listing_takes_still_works_after_landing(shot_film) -> None:
    code = _takes(shot_film)[0].shot
    assert [t.label for t in list_takes(shot_film, code)] == [f"{code}-t001"]
    assert isinstance(Path(normalised_path(shot_film, _takes(shot_film)[0])), Path)
