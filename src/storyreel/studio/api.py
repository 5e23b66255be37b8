"""The studio's JSON API for the board, shots, takes and the bin: each route calls one service and shapes the
result (``schemas``). Cut, jobs, ledger and tasks live in ``api_cut`` and ``api_jobs``; all three share ``router``.

Long actions (re-roll, upgrade, render) are checked and written at once, so a refusal is the answer to the
request, then run as a task (``tasks``) whose progress the page follows on /api/events or /api/tasks/{id}.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from storyreel.engine import Event
from storyreel.errors import InvalidInput
from storyreel.model.take import parse_take_label
from storyreel.services import bin as bin_service
from storyreel.services import board as board_service
from storyreel.services import keyframes, review
from storyreel.services.film import Film
from storyreel.services.plan import list_shots
from storyreel.services.reroll import prepare_reroll, prompt_override, run_reroll
from storyreel.services.shoot import resolve_shots, upgrade_take
from storyreel.studio.schemas import (
    BinOut,
    BoardOut,
    CardOut,
    ChainEnd,
    ErrorOut,
    GrabOut,
    KeyframeOut,
    LockOut,
    SceneOut,
    ShotOut,
    TakeOut,
    TaskOut,
    keyframe_out,
    take_out,
)
from storyreel.studio.tasks import ProgressFn, Task, TaskRunner

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in (
        (401, "Missing or wrong launch token"), (403, "CSRF check failed"), (404, "Not found"),
        (409, "Not possible in the film's current state"), (421, "Wrong Host"), (422, "Invalid request"))
}
router = APIRouter(prefix="/api", responses=ERRORS)

UPLOAD_MAX_BYTES = 20 * 1024 * 1024
UPLOAD_MAX_PIXELS = 40_000_000  # 40 MP: past any keyframe a provider takes, well inside Pillow's bomb limit
UPLOAD_MAX_VIDEO_BYTES = 500 * 1024 * 1024  # a 10 s generated 1080p clip is 10–40 MB; camera footage runs larger


class UploadRefused(InvalidInput):
    """A keyframe upload over the studio's size or pixel limit (HTTP 413)."""


def film_of(request: Request) -> Film:
    return request.app.state.film


def tasks_of(request: Request) -> TaskRunner:
    return request.app.state.tasks


def task_out(task: Task) -> TaskOut:
    return TaskOut(**task.snapshot())


# -- board ------------------------------------------------------------------------------------------------------


@router.get("/board", response_model=BoardOut, tags=["board"])
def get_board(request: Request, scene: Annotated[int | None, Query(ge=0, le=100_000)] = None,
              status: str | None = None, character: str | None = None) -> BoardOut:
    """Shot cards (scenes × shots) with status, take count and cost; filter by scene, status or character."""
    film = film_of(request)
    cards = board_service.board(film, scene=scene, status=status, character=character)
    every = board_service.board(film) if (scene, status, character) != (None, None, None) else cards
    scenes = {c.scene: c.heading for c in every if not c.fragment}
    names = dict.fromkeys(n for c in every for n in c.characters)
    from storyreel.services import landing

    # One query for every card's thumbnail: a take lookup per card made a 200-shot board take a second.
    thumbs = landing.thumbnail_paths(film, [c.thumb_take for c in cards if c.thumb_take])
    return BoardOut(
        cards=[CardOut(code=c.code, scene=c.scene, heading=c.heading, order=c.order, frames=c.frames,
                       seconds=round(c.seconds, 3), status=c.status, take_count=c.take_count,
                       good_count=c.good_count, cost=c.cost, thumb_take=c.thumb_take,
                       thumb_url=f"/thumbs/{c.thumb_take}.jpg" if c.thumb_take in thumbs else None, characters=list(c.characters), fragment=c.fragment,
                       description=c.description) for c in cards],
        summary=board_service.board_summary(cards), statuses=list(board_service.STATUSES),
        scenes=[SceneOut(scene=n, heading=h) for n, h in sorted(scenes.items())], characters=list(names),
    )


# -- shots ------------------------------------------------------------------------------------------------------


def shot_detail(film: Film, code: str) -> ShotOut:
    shot = resolve_shots(film, [code])[0]
    flags = review.shot_decisions(film, shot.code)
    takes = review.list_takes(film, shot.code)
    order = [s.code for s in list_shots(film)]
    i = order.index(shot.code) if shot.code in order else None
    chain = {role: ChainEnd(shot=str(end.get("shot", "")), at=str(end.get("at", "")))
             for role, end in flags.chain.items() if isinstance(end, dict)}
    focus = flags.focus
    return ShotOut(
        code=shot.code, scene=shot.scene, order=shot.order, heading=shot.heading, description=shot.description,
        framing=shot.framing.value, camera=shot.camera.value, frames=shot.frames,
        seconds=round(shot.seconds(film.config.profile.fps), 3), prompt=shot.prompt,
        prompt_override=prompt_override(film, shot.code), characters=shot.characters,
        dialogue=[d.model_dump(mode="json") for d in shot.dialogue], stale=flags.stale, locked=flags.locked,
        fragment=flags.fragment, omitted=flags.omitted,
        focus=[float(v) for v in focus] if isinstance(focus, list) and len(focus) == 2 else None, chain=chain,
        selected_take=next((t.label for t in takes if t.selected), None),
        previous_shot=order[i - 1] if i is not None and i > 0 else None,
        next_shot=order[i + 1] if i is not None and i + 1 < len(order) else None,
        takes=[take_out(film, t) for t in takes],
        keyframes=[keyframe_out(k) for k in keyframes.list_keyframes(film, shot.code)],
    )


def heal_media(request: Request, takes: list[TakeOut]) -> None:
    """Landed takes whose thumbnail or proxy is missing are queued for landing (the page shows them next time)."""
    from storyreel.studio.media import request_landing

    for t in takes:
        if t.landed and (t.thumb_url is None or (t.kind == "video" and t.proxy_url is None)):
            request_landing(request, t.label)


@router.get("/shots/{code}", response_model=ShotOut, tags=["shots"])
def get_shot(code: str, request: Request) -> ShotOut:
    """One shot with all its takes (thumbnail, proxy and media URLs), keyframes and continuity chain."""
    out = shot_detail(film_of(request), code)
    heal_media(request, out.takes)
    return out


class RerollIn(BaseModel):
    takes: int = Field(4, ge=1, le=16, description="how many more takes")
    provider: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=128)
    prompt: str | None = Field(None, max_length=4000,
                               description="replaces the shot's prompt for this and later re-rolls; '' clears it")
    draft: bool = False


@router.post("/shots/{code}/reroll", response_model=TaskOut, status_code=202, tags=["shots"])
def reroll(code: str, body: RerollIn, request: Request) -> TaskOut:
    """Make N more takes of the shot (any provider; optionally with an edited prompt). Returns the task."""
    film = film_of(request)
    plan = prepare_reroll(film, code, takes=body.takes, provider=body.provider, model=body.model,
                          prompt=body.prompt, draft=body.draft)

    def work(progress: ProgressFn) -> dict[str, Any]:
        done = [0]

        def listener(ev: Event) -> None:
            if ev.type == "take:new" or (ev.type == "job:state" and ev.state in ("failed", "canceled", "reconcile")):
                done[0] += 1
            progress(done[0] / max(1, len(plan.jobs)), f"{ev.shot}-t{ev.take:03d} {ev.state}")

        report = run_reroll(film, plan, listener=listener)
        return {"shot": plan.shot, "jobs": plan.jobs, "done": report.summary.done, "failed": report.summary.failed}

    return task_out(tasks_of(request).submit("reroll", plan.shot, work))


class LockIn(BaseModel):
    locked: bool = True


@router.post("/shots/{code}/lock", response_model=LockOut, tags=["shots"])
def lock(code: str, body: LockIn, request: Request) -> LockOut:
    """Lock (or unlock) a finished shot: a locked shot is not re-shot or re-bound."""
    film = film_of(request)
    shot = resolve_shots(film, [code])[0]
    return LockOut(shot=shot.code, locked=review.lock_shot(film, shot.code, body.locked))


def _receive(file: UploadFile, path: Path, limit: int, subject: tuple[str, str]) -> None:
    """Stream an upload to ``path``, refusing it (413) as soon as it passes ``limit`` bytes."""
    size = 0
    with open(path, "wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise UploadRefused(f"{subject[0]}: larger than {limit // (1024 * 1024)} MB; refused.",
                                    zh=f"{subject[1]}：超过 {limit // (1024 * 1024)} MB，已拒绝。", reason="too_large")
            out.write(chunk)


def _upload_name(file: UploadFile) -> str:
    """``upload`` plus the client's suffix when it is a plain one (the name itself never reaches the disk)."""
    suffix = Path(file.filename).suffix[:8].lower() if file.filename else ""
    return f"upload{suffix if suffix.isascii() and suffix[1:].isalnum() else ''}"


@router.get("/shots/{code}/keyframes", response_model=list[KeyframeOut], tags=["shots"])
def get_keyframes(code: str, request: Request) -> list[KeyframeOut]:
    """The shot's keyframes (``3A@k2``) in number order, with origin (generated, edit, uploaded, grab), source
    and which one is approved."""
    return [keyframe_out(k) for k in keyframes.list_keyframes(film_of(request), code)]


@router.post("/shots/{code}/keyframes/{number}/approve", response_model=KeyframeOut, tags=["shots"])
def approve_keyframe(code: str, number: Annotated[int, PathParam(ge=1, le=1_000_000)], request: Request
                     ) -> KeyframeOut:
    """Approve keyframe ``number``: the shot's next takes start from it (unless the shot is chained). One approved
    keyframe per shot; approving another moves the approval."""
    return keyframe_out(keyframes.approve_keyframe(film_of(request), code, number))


@router.post("/shots/{code}/keyframes", response_model=KeyframeOut, status_code=201, tags=["shots"],
             responses={413: {"model": ErrorOut, "description": "File or picture too large"}})
def upload_keyframe(code: str, request: Request, file: Annotated[UploadFile, File(description="PNG, JPEG or WebP")]
                    ) -> KeyframeOut:
    """Upload a reference or keyframe image for the shot. Limits: 20 MB and 40 megapixels; the format is judged
    by the file's bytes, the header is read before any pixel, and decompression bombs are refused (413).
    A video is a take, not a keyframe: ``POST /api/shots/{code}/takes``."""
    film = film_of(request)
    resolve_shots(film, [code])  # 404 before reading the upload
    with tempfile.TemporaryDirectory(prefix="storyreel-upload-") as tmp:
        path = Path(tmp) / _upload_name(file)
        _receive(file, path, UPLOAD_MAX_BYTES, ("Uploaded image", "上传的图片"))
        from storyreel.media.images import inspect_image

        try:
            facts = inspect_image(path, max_bytes=UPLOAD_MAX_BYTES, formats=keyframes.IMAGE_FORMATS,
                                  subject=("Uploaded image", "上传的图片"))
        except InvalidInput as exc:
            if exc.context.get("reason") in ("too_large", "bomb"):
                raise UploadRefused(exc.message, zh=exc.zh, **exc.context) from exc
            if path.suffix in keyframes.VIDEO_EXTS:
                raise InvalidInput(f"{exc.message} A video becomes a take: upload it to /api/shots/{code}/takes.",
                                   zh=f"{exc.zh}视频会成为一条素材：请上传到 /api/shots/{code}/takes。",
                                   **exc.context) from exc
            raise
        if facts.width * facts.height > UPLOAD_MAX_PIXELS:
            raise UploadRefused(
                f"Uploaded image: {facts.width}×{facts.height} is more than {UPLOAD_MAX_PIXELS // 1_000_000} "
                "megapixels; scale it down first.",
                zh=f"上传的图片：{facts.width}×{facts.height} 超过 {UPLOAD_MAX_PIXELS // 1_000_000} 百万像素；请先缩小。",
                reason="too_many_pixels")
        info = keyframes.upload_image(film, code, path)
    return keyframe_out(info)


@router.post("/shots/{code}/takes", response_model=TakeOut, status_code=201, tags=["shots"],
             responses={413: {"model": ErrorOut, "description": "File too large"}})
def upload_take(code: str, request: Request,
                file: Annotated[UploadFile, File(description="a video: MP4, MOV, M4V, MKV, WebM or AVI")]) -> TakeOut:
    """Upload your own video as a take of the shot (provenance "uploaded"), like ``storyreel keyframe 3A
    --upload my.mp4``. Limit: 500 MB. The file is probed and its first frame decoded before it is stored; an image
    is refused here (it is a keyframe: ``POST /api/shots/{code}/keyframes``). Thumbnail and proxy are made in the
    background, as for a generated take."""
    film = film_of(request)
    resolve_shots(film, [code])  # 404 before reading the upload
    with tempfile.TemporaryDirectory(prefix="storyreel-upload-") as tmp:
        path = Path(tmp) / _upload_name(file)
        _receive(file, path, UPLOAD_MAX_VIDEO_BYTES, ("Uploaded video", "上传的视频"))
        label = keyframes.upload_video(film, code, path)
    from storyreel.studio.media import request_landing

    request_landing(request, label)
    return take_out(film, review.take_by_label(film, label))


# -- takes ------------------------------------------------------------------------------------------------------


@router.get("/takes/{label}", response_model=TakeOut, tags=["takes"])
def get_take(label: str, request: Request) -> TakeOut:
    film = film_of(request)
    return take_out(film, review.take_by_label(film, label))


class RatingIn(BaseModel):
    stars: int | None = Field(..., ge=1, le=5, description="1–5, or null to clear")


class NoteIn(BaseModel):
    text: str = Field(..., max_length=10_000)


class TagsIn(BaseModel):
    add: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=64)
    remove: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=64)


class GrabIn(BaseModel):
    at: str = Field(..., max_length=32, description='"4.2s", "first", "last" or "<n>f"')
    to_shot: str | None = Field(None, max_length=32, description="the shot that starts on this frame")
    exact: bool = Field(False, description="decode the take itself even when its normalised copy is faster")


@router.post("/takes/{label}/rating", response_model=TakeOut, tags=["takes"])
def rate(label: str, body: RatingIn, request: Request) -> TakeOut:
    film = film_of(request)
    return take_out(film, review.rate_take(film, label, body.stars))


@router.post("/takes/{label}/note", response_model=TakeOut, tags=["takes"])
def note(label: str, body: NoteIn, request: Request) -> TakeOut:
    film = film_of(request)
    return take_out(film, review.note_take(film, label, body.text))


@router.post("/takes/{label}/tags", response_model=TakeOut, tags=["takes"])
def tags(label: str, body: TagsIn, request: Request) -> TakeOut:
    film = film_of(request)
    return take_out(film, review.tag_take(film, label, add=body.add, remove=body.remove))


@router.post("/takes/{label}/select", response_model=TakeOut, tags=["takes"])
def pick(label: str, request: Request) -> TakeOut:
    """Pick this take for its shot (un-rejects it); chained shots are re-bound, an edited cut swaps it in."""
    film = film_of(request)
    code, number = parse_take_label(label)
    return take_out(film, review.select_take(film, code, number))


@router.post("/takes/{label}/reject", response_model=TakeOut, tags=["takes"])
def reject(label: str, request: Request) -> TakeOut:
    film = film_of(request)
    return take_out(film, review.reject_label(film, label))


@router.post("/takes/{label}/upgrade", response_model=TaskOut, status_code=202, tags=["takes"])
def upgrade(label: str, request: Request) -> TaskOut:
    """Re-render a draft take at final quality (same seed and inputs), as a task."""
    film = film_of(request)
    info = review.take_by_label(film, label)
    if not info.draft:
        raise review.InvalidEdit(f"{info.label} is already a final take; only draft takes are upgraded.",
                                 zh=f"{info.label} 已是正式质量；只有草稿可以升级。")

    def work(progress: ProgressFn) -> dict[str, Any]:
        def listener(ev: Event) -> None:
            progress(1.0 if ev.type == "take:new" else 0.5, f"{ev.shot}-t{ev.take:03d} {ev.state}")

        report = upgrade_take(film, info.shot, info.number, listener=listener)
        return {"take": info.label, "jobs": report.jobs, "done": report.summary.done,
                "failed": report.summary.failed}

    return task_out(tasks_of(request).submit("upgrade", info.label, work))


@router.post("/takes/{label}/grab", response_model=GrabOut, tags=["takes"])
def grab(label: str, body: GrabIn, request: Request) -> GrabOut:
    """Grab a frame of this take as a keyframe; with ``to_shot``, that shot now starts on it (a chain)."""
    result = keyframes.grab(film_of(request), label, body.at, to=body.to_shot, exact=body.exact)
    return GrabOut(keyframe=keyframe_out(result.keyframe), chained=result.chained, selected=result.selected,
                   exact=result.exact)


# -- bin --------------------------------------------------------------------------------------------------------


@router.get("/bin", response_model=BinOut, tags=["bin"])
def get_bin(request: Request, q: Annotated[str | None, Query(max_length=200)] = None,
            character: Annotated[str | None, Query(max_length=100)] = None,
            tag: Annotated[str | None, Query(max_length=64)] = None,
            min_rating: Annotated[int | None, Query(ge=1, le=5)] = None) -> BinOut:
    """Takes not in the cut, searchable by text (prompt, note, tags, dialogue), character, tag and rating."""
    film = film_of(request)
    takes = [take_out(film, t) for t in bin_service.bin_takes(film, q=q, character=character, tag=tag,
                                                               min_rating=min_rating)]
    heal_media(request, takes)
    return BinOut(takes=takes)
