"""Issue 4 "Safety": launch token, CSRF, Host (DNS rebinding), media by content id only, safe uploads."""

from __future__ import annotations

import io
import struct
import zlib
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

    with TestClient(create_app(studio_film, token=TOKEN, csrf=CSRF), base_url=BASE, follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/api/board", "/api/shots/1A", "/openapi.json", "/docs", "/", "/shot/1A",
                                  "/static/api.js", "/api/events", "/thumbs/1A-t001.jpg"])
def test_everything_needs_the_token(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.json()["error"] == "Unauthorized" and r.json()["message_zh"]
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    # A cookie for another studio (another port) is not this one's.
    assert client.get(path, headers={"Cookie": f"storyreel_token_9999={TOKEN}"}).status_code == 401


def test_token_in_url_becomes_a_strict_httponly_cookie_and_leaves_the_url(client: TestClient) -> None:
    r = client.get(f"/shot/1B?token={TOKEN}&x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/shot/1B?x=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"storyreel_token_8765={TOKEN}") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    # The browser now sends the cookie: pages and the API answer.
    client.cookies.set("storyreel_token_8765", TOKEN)
    assert client.get("/shot/1B?x=1").status_code == 200
    assert client.get("/api/board").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_wrong_token_in_url_and_token_on_api_urls_are_refused(client: TestClient) -> None:
    assert client.get("/?token=nope").status_code == 401
    assert "set-cookie" not in client.get("/?token=nope").headers
    assert client.get(f"/api/board?token={TOKEN}").status_code == 401  # the API takes the cookie or the header


@pytest.mark.parametrize("host, ok", [("127.0.0.1:8765", True), ("localhost:8765", True),
                                      ("evil.example:8765", False), ("127.0.0.1:9999", False),
                                      ("127.0.0.1.evil.example:8765", False), ("", False)])
def test_host_header_must_be_loopback_and_this_port(client: TestClient, host: str, ok: bool) -> None:
    r = client.get("/api/board", headers={**AUTH, "Host": host})
    assert (r.status_code == 200) is ok
    if not ok:
        assert r.status_code == 421 and r.json()["error"] == "WrongHost"


def test_state_changes_need_the_csrf_header_and_our_own_origin(client: TestClient) -> None:
    url, body = "/api/takes/1A-t002/rating", {"stars": 4}
    assert client.post(url, json=body, headers=AUTH).status_code == 403
    assert client.post(url, json=body, headers={**AUTH, "X-CSRF-Token": "guess"}).status_code == 403
    for evil in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Referer": "http://evil.example/x"},
                 {"Origin": "http://127.0.0.1:9999"}):
        r = client.post(url, json=body, headers={**WRITE, **evil})
        assert r.status_code == 403 and r.json()["error"] == "CsrfRejected", evil
    assert client.get("/api/takes/1A-t002", headers=AUTH).json()["rating"] is None  # nothing was changed
    ok = client.post(url, json=body, headers={**WRITE, "Origin": BASE, "Referer": f"{BASE}/shot/1A"})
    assert ok.status_code == 200 and ok.json()["rating"] == 4
    for method, path in (("PATCH", "/api/cut/clips/1"), ("DELETE", "/api/cut/clips/1")):
        assert client.request(method, path, headers=AUTH).status_code == 403


def test_responses_keep_pages_out_of_frames_and_scripts_to_this_origin(client: TestClient) -> None:
    r = client.get("/", headers=AUTH)
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_media_only_by_a_content_id_this_film_knows(client: TestClient, studio_film: Path) -> None:
    take = client.get("/api/takes/1A-t001", headers=AUTH).json()
    clip = client.get(take["media_url"], headers=AUTH)
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
    part = client.get(take["media_url"], headers={**AUTH, "Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 0-99/")
    assert client.get(take["keyframe_url"], headers=AUTH).headers["content-type"] == "image/png"

    # A file in the media store that no take or keyframe records is not served, nor is anything by path.
    stray = studio_film / ".storyreel" / "media" / "ab" / ("ab" + "0" * 62 + ".png")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"\x89PNG\r\n\x1a\n")
    for path in (f"/media/ab{'0' * 62}.png", "/media/..%2F..%2Ffilm.toml", "/media/../../film.toml",
                 f"/media/{take['media_url'][7:71].upper()}.mp4", f"/media/{take['media_url'][7:71]}.toml",
                 "/thumbs/..%2F..%2Ffilm.toml.jpg", "/renders/..%2Ffilm.toml", "/static/../film.toml"):
        r = client.get(path, headers=AUTH)
        assert r.status_code == 404, path
        assert b"title" not in r.content


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height``: the pixels would not fit in memory."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _upload(client: TestClient, data: bytes, name: str = "ref.png"):
    return client.post("/api/shots/1B/keyframes", headers=WRITE, files={"file": (name, data, "image/png")})


def test_upload_accepts_a_real_image_and_serves_it_by_content_id(client: TestClient) -> None:
    r = _upload(client, _png(64, 36))
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["label"] == "1B@k1" and (key["width"], key["height"]) == (64, 36) and key["origin"] == "uploaded"
    got = client.get(key["url"], headers=AUTH)
    assert got.status_code == 200 and Image.open(io.BytesIO(got.content)).size == (64, 36)
    assert [k["label"] for k in client.get("/api/shots/1B", headers=AUTH).json()["keyframes"]] == ["1B@k1"]


@pytest.mark.parametrize("data, status, reason", [
    (_bomb_png(100_000, 100_000), 413, "decompression bomb"),  # past Pillow's limit: refused from the header, unread
    (_bomb_png(8000, 8000), 413, "megapixels"),  # under Pillow's limit, over the studio's 40 MP
    (b"GIF89a" + b"\0" * 40, 422, "accepted: png"),  # a GIF is not a keyframe format
    (b"#!/bin/sh\nrm -rf /\n", 422, "unknown format"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, 422, "cannot be read"),  # a PNG signature over garbage
])
def test_upload_refuses_bombs_and_non_images_with_a_clear_json_error(client: TestClient, data: bytes, status: int,
                                                                     reason: str) -> None:
    r = _upload(client, data)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] in ("UploadRefused", "InvalidInput") and body["message"] and body["message_zh"]
    assert reason in body["message"].lower()
    assert client.get("/api/shots/1B", headers=AUTH).json()["keyframes"] == []


def test_upload_over_the_size_limit_is_413(client: TestClient) -> None:
    from storyreel.studio.api import UPLOAD_MAX_BYTES

    r = _upload(client, _png(8, 8) + b"\0" * UPLOAD_MAX_BYTES)
    assert r.status_code == 413 and "20 MB" in r.json()["message"]


def test_every_state_changing_route_needs_the_csrf_header(client: TestClient) -> None:
    """The guard sits in front of every route: an endpoint added later is covered without being listed here."""
    spec = client.get("/openapi.json", headers=AUTH).json()
    unsafe = [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops
              if method.upper() in ("POST", "PUT", "PATCH", "DELETE")]
    assert ("POST", "/api/shots/{code}/keyframes/{number}/approve") in unsafe
    assert ("POST", "/api/shots/{code}/takes") in unsafe and len(unsafe) >= 15
    values = {"code": "1B", "label": "1B-t001", "clip_id": "1", "job_id": "1", "number": "1", "task_id": "t1"}
    for method, path in unsafe:
        url = path.format(**{k: v for k, v in values.items() if "{" + k + "}" in path})
        assert client.request(method, url, headers=AUTH).status_code == 403, (method, path)
        assert client.request(method, url).status_code == 401, (method, path)
