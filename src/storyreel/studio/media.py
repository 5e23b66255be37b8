"""Media files for the browser: takes and keyframes by content id, thumbnails and proxies by take label.

No part of a request path ever reaches the filesystem. ``/media/{sha}.{ext}`` accepts a 64-hex sha and a known
extension, and only a sha some take or keyframe of this film records; the file is then looked up through the
media store. Thumbnails and proxies are found by take label through ``services.landing``, which made them when
the take landed; a page request never transcodes (issue 4, "Performance"). Video is served by Starlette's
``FileResponse``, which answers Range requests, so the browser can seek.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from storyreel.errors import TakeNotFound
from storyreel.services.film import Film
from storyreel.services.landing import media_known

router = APIRouter(tags=["media"])

SHA = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "png": "image/png",
               "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "wav": "audio/wav"}
# Content ids are immutable: the same URL always means the same bytes.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
NOT_FOUND = {404: {"description": "Unknown or not made yet (JSON error body)."}}


def _missing(what: str, what_zh: str) -> JSONResponse:
    return JSONResponse({"error": "NotFound", "message": what, "message_zh": what_zh}, status_code=404)


@router.get("/media/{sha}.{ext}", response_class=FileResponse, responses=NOT_FOUND)
def media_file(sha: str, ext: str, request: Request):
    """A take's clip or a keyframe image by content id (Range requests supported)."""
    film: Film = request.app.state.film
    ext = ext.lower()
    if not SHA.match(sha) or ext not in MEDIA_TYPES or not media_known(film, sha, ext):
        return _missing("No such media in this film.", "本片没有这个媒体文件。")
    path = film.media.path_for(sha, ext)
    if not path.is_file():
        return _missing("The media file is missing from the film's store.", "影片的媒体库中缺少这个文件。")
    return FileResponse(path, media_type=MEDIA_TYPES[ext], headers=IMMUTABLE)


def _landed(request: Request, label: str, kind: str) -> Path | None:
    """The take's thumbnail or proxy if made. A landed take without one (shot before landing existed, or its
    cache cleared) is queued for landing on the studio's worker thread; this request does not wait for it."""
    from storyreel.services import landing
    from storyreel.services.review import take_by_label

    film: Film = request.app.state.film
    try:
        take = take_by_label(film, label)
    except TakeNotFound:
        return None
    path = (landing.thumbnail_path if kind == "thumb" else landing.proxy_path)(film, take)
    if path is None and take.status in ("good", "rejected"):
        request_landing(request, take.label)
    return path


def request_landing(request: Request, label: str) -> None:
    """Queue ``ensure_take_media`` for a take once per studio launch."""
    state = request.app.state
    with state.landing_lock:
        if label in state.landing_requested:
            return
        state.landing_requested.add(label)
    state.landing.submit(label)


@router.get("/thumbs/{label}.jpg", response_class=FileResponse, responses=NOT_FOUND)
def thumbnail(label: str, request: Request):
    """A take's thumbnail, made once when it landed."""
    path = _landed(request, label, "thumb")
    if path is None or not path.is_file():
        return _missing(f"No thumbnail for {label} (yet).", f"{label} 还没有缩略图。")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})


@router.get("/proxy/{label}.mp4", response_class=FileResponse, responses=NOT_FOUND)
def proxy(label: str, request: Request):
    """A take's small browser-playable H.264 proxy, made once when it landed (Range requests supported)."""
    path = _landed(request, label, "proxy")
    if path is None or not path.is_file():
        return _missing(f"No proxy for {label} (yet).", f"{label} 还没有代理视频。")
    return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": "private, max-age=60"})


_RENDER_NAME = re.compile(r"^[\w.\-]{1,128}$")
RENDER_TYPES = {".mp4": "video/mp4", ".srt": "application/x-subrip", ".wav": "audio/wav", ".vtt": "text/vtt",
                ".ass": "text/plain", ".otio": "application/json", ".xml": "application/xml", ".edl": "text/plain"}


@router.get("/renders/{name}", response_class=FileResponse, responses=NOT_FOUND)
def rendered_file(name: str, request: Request):
    """A file the studio rendered, by a name listed in the film's renders/ folder (the name is matched against
    the listing, never joined to a path as given)."""
    film: Film = request.app.state.film
    folder = film.renders
    listed = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    if not _RENDER_NAME.match(name) or name.startswith(".") or name not in listed:
        return _missing(f"No rendered file {name!r}.", f"没有渲染文件 {name!r}。")
    path = listed[name]
    return FileResponse(path, media_type=RENDER_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                        headers={"Cache-Control": "no-cache"})
