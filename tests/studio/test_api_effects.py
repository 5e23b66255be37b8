"""The API behind the cut page's effects panel and the shot page's keyframes strip: per-clip effects through
``PATCH /api/cut/clips/{id}``, the delivery profiles a render may use, listing and approving keyframes, and
uploading a video as a take."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.studio.conftest import CSRF, TOKEN

BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRITE = {**AUTH, "X-CSRF-Token": CSRF}


@pytest.fixture
def client(studio_film: Path) -> Iterator[TestClient]:
    from storyreel.studio import create_app

    with TestClient(create_app(studio_film, token=TOKEN, csrf=CSRF), base_url=BASE, headers=AUTH) as c:
        yield c


def _png(width: int = 64, height: int = 36) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _upload(c: TestClient, url: str, data: bytes, name: str, mime: str, headers: dict | None = None):
    return c.post(url, headers=WRITE if headers is None else headers, files={"file": (name, data, mime)})


# -- effects ----------------------------------------------------------------------------------------------------


def _clip_ids(c: TestClient) -> list[int]:
    cut = c.post("/api/cut/materialise", headers=WRITE).json()
    return [clip["id"] for clip in cut["clips"]]


def test_effects_replace_the_clips_effects_and_change_its_length(client: TestClient) -> None:
    first, second, _ = _clip_ids(client)
    fx = {"handheld": 0.5, "handheld_seed": 7, "transition_in": "dissolve", "transition_frames": 12,
          "ken_burns": {"start": {"x": 0, "y": 0, "w": 1, "h": 1}, "end": {"x": 0.1, "y": 0.1, "w": 0.8, "h": 0.8}},
          "speed": 2.0, "hold_frames": 3}
    r = client.patch(f"/api/cut/clips/{second}", json={"effects": fx}, headers=WRITE)
    assert r.status_code == 200, r.text
    clip = next(c for c in r.json()["clips"] if c["id"] == second)
    assert clip["effects"]["handheld"] == 0.5 and clip["effects"]["transition_in"] == "dissolve"
    assert clip["effects"]["transition_frames"] == 12 and clip["effects"]["ken_burns"]["end"]["w"] == 0.8
    assert clip["record_frames"] == 13 + 3  # 1B's 26 frames at 2×, plus the hold
    # The effects are replaced, not merged: what is left out goes back to its default.
    r = client.patch(f"/api/cut/clips/{second}", json={"effects": {"fade_out_frames": 4}}, headers=WRITE)
    assert next(c for c in r.json()["clips"] if c["id"] == second)["effects"] == {"fade_out_frames": 4}
    assert client.get("/api/cut").json()["clips"][1]["effects"] == {"fade_out_frames": 4}
    # Another clip is untouched.
    assert client.get("/api/cut").json()["clips"][0]["id"] == first
    assert client.get("/api/cut").json()["clips"][0]["effects"] == {}


@pytest.mark.parametrize("effects, words", [
    ({"handheld": 1.5}, "handheld"),
    ({"speed": 0}, "speed"),
    ({"transition_in": "dissolve"}, "transition_frames"),
    ({"transition_in": "wipe", "transition_frames": 4}, "transition_in"),
    ({"freeze_at": 500, "freeze_frames": 6}, "outside"),
    ({"freeze_frames": 6}, "freeze_at"),
    ({"ken_burns": {"start": {"x": 0.5, "w": 0.8}}}, "leaves the picture"),
])
def test_bad_effects_are_422_with_a_message_in_both_languages(client: TestClient, effects: dict,
                                                              words: str) -> None:
    _, second, _ = _clip_ids(client)
    r = client.patch(f"/api/cut/clips/{second}", json={"effects": effects}, headers=WRITE)
    assert r.status_code == 422, r.text
    body = r.json()
    assert words in body["message"] and body["message_zh"]
    assert client.get("/api/cut").json()["clips"][1]["effects"] == {}  # nothing was written


def test_effects_of_an_unknown_clip_are_404_and_need_the_csrf_header(client: TestClient) -> None:
    _clip_ids(client)
    r = client.patch("/api/cut/clips/999", json={"effects": {"handheld": 0.2}}, headers=WRITE)
    assert r.status_code == 404 and r.json()["error"] == "ClipNotFound"
    r = client.patch("/api/cut/clips/1", json={"effects": {"handheld": 0.2}}, headers=AUTH)
    assert r.status_code == 403 and client.get("/api/cut").json()["clips"][0]["effects"] == {}


# -- delivery profiles ------------------------------------------------------------------------------------------


def test_profiles_list_every_delivery_and_the_films_default(client: TestClient) -> None:
    body = client.get("/api/cut/profiles").json()
    names = [p["name"] for p in body["profiles"]]
    assert names == ["douyin", "kuaishou", "bilibili", "youtube", "xiaohongshu", "scope"]
    assert body["default"] == "bilibili"  # the test film is 16:9 and names no delivery
    scope = body["profiles"][-1]
    assert (scope["width"], scope["height"], scope["picture_height"]) == (1920, 1080, 804)


def test_render_with_an_unknown_profile_is_refused_before_any_task(client: TestClient) -> None:
    r = client.post("/api/cut/render", json={"profile": "tiktok"}, headers=WRITE)
    assert r.status_code == 422 and "douyin" in r.json()["message"] and r.json()["message_zh"]
    assert client.get("/api/tasks").json() == []


# -- keyframes --------------------------------------------------------------------------------------------------


def test_list_upload_and_approve_keyframes(client: TestClient) -> None:
    assert client.get("/api/shots/1B/keyframes").json() == []
    for _ in range(2):
        assert _upload(client, "/api/shots/1B/keyframes", _png(), "ref.png", "image/png").status_code == 201
    listed = client.get("/api/shots/1b/keyframes").json()
    assert [(k["label"], k["origin"], k["approved"]) for k in listed] == \
        [("1B@k1", "uploaded", False), ("1B@k2", "uploaded", False)]

    r = client.post("/api/shots/1B/keyframes/2/approve", headers=WRITE)
    assert r.status_code == 200 and r.json()["label"] == "1B@k2" and r.json()["approved"]
    client.post("/api/shots/1B/keyframes/1/approve", headers=WRITE)
    assert [k["approved"] for k in client.get("/api/shots/1B/keyframes").json()] == [True, False]  # one per shot
    assert [k["approved"] for k in client.get("/api/shots/1B").json()["keyframes"]] == [True, False]


def test_keyframe_refusals(client: TestClient) -> None:
    missing = client.get("/api/shots/9Z/keyframes")
    assert missing.status_code == 404 and missing.json()["error"] == "ShotNotFound"
    assert client.post("/api/shots/9Z/keyframes/1/approve", headers=WRITE).status_code == 404
    none = client.post("/api/shots/1B/keyframes/3/approve", headers=WRITE)
    assert none.status_code == 404 and "k3" in none.json()["message"] and none.json()["message_zh"]
    assert client.post("/api/shots/1B/keyframes/0/approve", headers=WRITE).status_code == 422
    _upload(client, "/api/shots/1B/keyframes", _png(), "ref.png", "image/png")
    csrf = client.post("/api/shots/1B/keyframes/1/approve", headers=AUTH)
    assert csrf.status_code == 403 and not client.get("/api/shots/1B/keyframes").json()[0]["approved"]
    # A video sent to the keyframe upload is told where videos go.
    video = _upload(client, "/api/shots/1B/keyframes", b"\0\0\0\x18ftypmp42" + b"\0" * 64, "clip.mp4", "video/mp4")
    assert video.status_code == 422 and "/api/shots/1B/takes" in video.json()["message"]


# -- video takes ------------------------------------------------------------------------------------------------


def _clip_bytes(c: TestClient, label: str) -> bytes:
    return c.get(c.get(f"/api/takes/{label}").json()["media_url"]).content


def test_uploading_a_video_makes_an_uploaded_take(client: TestClient) -> None:
    data = _clip_bytes(client, "1A-t001")
    r = _upload(client, "/api/shots/1B/takes", data, "my clip.MP4", "video/mp4")
    assert r.status_code == 201, r.text
    take = r.json()
    assert take["label"] == "1B-t004" and take["origin"] == "uploaded" and take["kind"] == "video"
    assert take["frames"] == 36 and take["provider"] == "upload"
    shot = client.get("/api/shots/1B").json()
    assert [t["label"] for t in shot["takes"]][-1] == "1B-t004"
    assert client.get(take["media_url"]).content == data
    assert client.get("/api/shots/1B/keyframes").json() == []  # a take, not a keyframe


@pytest.mark.parametrize("data, name, words", [
    (_png(), "still.mp4", "image"),
    (b"not a video at all" * 10, "clip.mp4", "cannot be decoded"),
    (b"\0" * 64, "clip.exe", ".mp4"),
])
def test_video_upload_refusals(client: TestClient, data: bytes, name: str, words: str) -> None:
    r = _upload(client, "/api/shots/1B/takes", data, name, "video/mp4")
    assert r.status_code == 422, r.text
    assert words in r.json()["message"] and r.json()["message_zh"]
    assert len(client.get("/api/shots/1B").json()["takes"]) == 3


def test_video_upload_to_an_unknown_shot_or_without_csrf(client: TestClient) -> None:
    data = _clip_bytes(client, "1A-t001")
    assert _upload(client, "/api/shots/9Z/takes", data, "a.mp4", "video/mp4").status_code == 404
    assert _upload(client, "/api/shots/1B/takes", data, "a.mp4", "video/mp4", headers=AUTH).status_code == 403
    assert len(client.get("/api/shots/1B").json()["takes"]) == 3


def test_video_upload_over_the_limit_is_413(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyreel.studio import api

    monkeypatch.setattr(api, "UPLOAD_MAX_VIDEO_BYTES", 1024 * 1024)
    r = _upload(client, "/api/shots/1B/takes", b"\0" * (1024 * 1024 + 1), "a.mp4", "video/mp4")
    assert r.status_code == 413 and "1 MB" in r.json()["message"] and r.json()["message_zh"]
