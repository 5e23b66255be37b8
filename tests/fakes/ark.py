"""A loopback fake of Volcengine Ark: Seedream image generation and Seedance video tasks.

It reproduces what providers.md §1.1, §1.2 and the Ark rows of §12 say, not what the adapter happens to send:

- paths under ``/api/v3`` (``POST /images/generations``; ``POST /contents/generations/tasks``,
  ``GET``/``DELETE /contents/generations/tasks/{id}``), anything else answered 404/405 in Ark's error shape;
- ``Authorization: Bearer <key>``, else 401 ``AuthenticationError``; errors as ``{"error": {code, message, type}}``;
- Seedream: synchronous; ``watermark`` **defaults to true** (such images are counted in ``watermarked_images``);
  size ``WxH`` within 1280x720 … 4096x4096 total pixels and aspect 1/16 … 16, or ``1K``/``2K``/``4K``;
  ``image`` as data URIs (lowercase jpeg/png, ≤ 10 MB, ≤ 10 images) or URLs; group generation with
  ``max_images`` and the "inputs + outputs ≤ 15" rule; per-image errors mixed with successes (an internal error
  stops the images after it); ``usage.generated_images`` counts successes only;
- Seedance: ``cgt-…`` ids; 1.0 models read text commands (``--rs --rt --dur --seed --wm --cf --fps``) from the
  prompt, 1.5-pro body fields; exclusive image-role modes per model; no 1080p with reference images; a scripted
  state machine per task (one step per query); DELETE cancels a queued task, deletes a finished one, and refuses a
  running one; tokens ``w*h*24*dur/1024`` billed on success only;
- result URLs served by the fake at ``/files/{token}``, dead (404) once ``url_ttl`` has passed on the fake clock.

Knobs: ``script`` (per new task), ``task_seconds`` (a fixed real-time latency instead of the script), ``fail_code``, ``image_errors`` ({index: code}), ``group_size``, ``url_ttl``,
``max_active_tasks`` + ``concurrency_code``, ``truncate_downloads`` (count), and ``inject(Fault(...))`` for
errors, connection drops and delayed answers on one operation. Accounting: ``billable_creates``,
``tokens_billed``, ``images_billed``; every request is kept in ``received``.

Not reproduced: SSE streaming, callbacks, the task list endpoint, ``b64_json`` size limits. Whether Ark ever
answers an error inside HTTP 200 is not documented; ``Fault(kind="ok_error")`` makes it happen for tests.
Names marked [unverified] in the reference (the concurrency code, the 404 code of an unknown task, the refusal
code for cancelling a running task) are placeholders and knobs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeClock

IMAGE_MODELS = {"doubao-seedream-4-0-250828"}
# model → (image-role modes it accepts, "text" or "body" parameters, allowed durations)
VIDEO_MODELS: dict[str, tuple[frozenset[str], str, range]] = {
    "doubao-seedance-1-0-pro-250528": (frozenset({"t2v", "first_frame"}), "text", range(3, 13)),
    "doubao-seedance-1-0-pro-fast-251015": (frozenset({"t2v", "first_frame"}), "text", range(3, 13)),
    "doubao-seedance-1-0-lite-t2v-250428": (frozenset({"t2v"}), "text", range(3, 13)),
    "doubao-seedance-1-0-lite-i2v-250428": (frozenset({"first_frame", "first_last", "reference"}), "text",
                                            range(3, 13)),
    "doubao-seedance-1-5-pro-251215": (frozenset({"t2v", "first_frame"}), "body", range(4, 13)),
}
PIXELS = {
    "480p": {"16:9": (864, 480), "4:3": (736, 544), "1:1": (640, 640), "3:4": (544, 736), "9:16": (480, 864),
             "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "4:3": (1120, 832), "1:1": (960, 960), "3:4": (832, 1120), "9:16": (704, 1248),
             "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440), "3:4": (1248, 1664),
              "9:16": (1088, 1920), "21:9": (2176, 928)},
}
_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests",
          500: "InternalServiceError", 503: "ServiceUnavailable"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"seedream-image" * 20 + b"\xff\xd9"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"seedance-video" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"last-frame" * 30


@dataclass
class Fault:
    """One injected misbehaviour for the next ``times`` requests of operation ``op``
    (``images``, ``create``, ``query``, ``delete``, ``files``).

    kind ``error``: answer ``status`` with Ark's error body (``code``) and optional ``Retry-After``;
    ``ok_error``: HTTP 200 whose body is only an error; ``reset``: drop the connection mid-answer;
    ``delay``: do the work (a create is accepted and billed), then answer after ``delay`` real seconds. A ``reset``
    with ``accept`` also does the work first, so the client cannot know whether it happened; without, nothing is
    done.
    """

    op: str
    kind: str = "error"
    status: int = 500
    code: str | None = None
    message: str = "injected"
    retry_after: str | None = None
    accept: bool = False
    delay: float = 0.0
    times: int = 1


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeTask:
    id: str
    model: str
    body: dict
    mode: str
    resolution: str
    ratio: str
    duration: int
    seed: int
    watermark: bool
    return_last_frame: bool
    script: list[str]
    created_at: float
    updated_at: float
    pos: int = 0
    run_seconds: float | None = None  # real-time mode: running for this long after creation, then succeeded
    started_real: float = 0.0
    deleted: bool = False
    settled: bool = False
    tokens: int = 0
    video_token: str | None = None
    last_frame_token: str | None = None

    @property
    def status(self) -> str:
        if self.run_seconds is not None and self.script != ["cancelled"]:
            return "running" if time.monotonic() - self.started_real < self.run_seconds else "succeeded"
        return self.script[self.pos]


class ArkFake:
    def __init__(self, *, clock: FakeClock, key: str = "test-key") -> None:
        self.clock, self.key = clock, key
        self.reset()
        self.app = Starlette(routes=[
            Route("/api/v3/images/generations", self._images, methods=["POST"]),
            Route("/api/v3/contents/generations/tasks", self._create, methods=["POST"]),
            Route("/api/v3/contents/generations/tasks/{task_id}", self._query, methods=["GET"]),
            Route("/api/v3/contents/generations/tasks/{task_id}", self._delete, methods=["DELETE"]),
            Route("/files/{token}", self._file, methods=["GET"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ])

    def reset(self) -> None:
        """Forget everything (tests share one server and reset it between them)."""
        self.script = ["queued", "queued", "running", "running", "running", "succeeded"]
        self.fail_code = "OutputVideoSensitiveContentDetected"
        self.image_errors: dict[int, str] = {}
        self.group_size: int | None = None  # images made in "auto" mode; None: max_images
        self.url_ttl = 86400.0
        self.max_active_tasks: int | None = None
        self.task_seconds: float | None = None  # fixed real latency per task (benchmarks), instead of ``script``
        self.concurrency_code = "ConcurrencyLimitExceeded"  # [unverified] placeholder
        self.truncate_downloads = 0
        self.faults: list[Fault] = []
        self.received: list[Received] = []
        self.tasks: dict[str, FakeTask] = {}
        self.files: dict[str, tuple[bytes, str, float]] = {}
        self.billable_creates = 0
        self.tokens_billed = 0
        self.images_billed = 0
        self.watermarked_images = 0

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def api_requests(self) -> list[Received]:
        return [r for r in self.received if r.path.startswith("/api/")]

    # ---- plumbing --------------------------------------------------------------------------------------------
    def _fault(self, op: str) -> Fault | None:
        for f in self.faults:
            if f.op == op and f.times > 0:
                f.times -= 1
                return f
        return None

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.received.append(Received(request.method, request.url.path, dict(request.headers), body))
        return body

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.key}"

    def _file_url(self, request: Request, data: bytes, mime: str) -> str:
        token = secrets.token_hex(8)
        self.files[token] = (data, mime, self.clock())
        return f"{str(request.base_url).rstrip('/')}/files/{token}?X-Tos-Expires={int(self.url_ttl)}"

    async def _before(self, request: Request, op: str) -> tuple[Any, Response | None, Fault | None]:
        """Record, check the key, apply an injected error. Returns (body, early answer, pending reset/delay)."""
        body = await self._record(request)
        if not self._authorized(request):
            return body, error(401, "AuthenticationError",
                               "The API key or AK/SK in the request is missing or invalid."), None
        fault = self._fault(op)
        if fault and fault.kind == "error":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            return body, error(fault.status, fault.code, fault.message, headers=headers), None
        if fault and fault.kind == "ok_error":
            return body, JSONResponse({"error": {"code": fault.code, "message": fault.message}}), None
        if fault and fault.kind == "reset" and not fault.accept:  # lost before anything happened
            return body, Dropped(), None
        return body, None, fault

    async def _answer(self, payload: dict, fault: Fault | None) -> Any:
        if fault and fault.kind == "delay":
            await asyncio.sleep(fault.delay)  # the work is done (and billed); the client gives up waiting
        if fault and fault.kind == "reset":
            return Dropped()
        return JSONResponse(payload)

    # ---- Seedream --------------------------------------------------------------------------------------------
    async def _images(self, request: Request) -> Any:
        body, early, fault = await self._before(request, "images")
        if early is not None:
            return early
        if not isinstance(body, dict):
            return error(400, "InvalidParameter", "The request body is not valid JSON.")
        model = body.get("model")
        if not model:
            return error(400, "MissingParameter.model", "The request failed because it is missing model.")
        if model not in IMAGE_MODELS:
            return error(404, "InvalidEndpointOrModel.NotFound", f"The model or endpoint {model} does not exist.")
        if not body.get("prompt"):
            return error(400, "MissingParameter.prompt", "The request failed because it is missing prompt.")
        dims = _image_size(body.get("size", "2048x2048"))
        if dims is None:
            return error(400, "InvalidParameter", f"size {body.get('size')!r} is not valid.", param="size")
        images = body.get("image") or []
        images = [images] if isinstance(images, str) else images
        if len(images) > 10:
            return error(400, "InvalidParameter", "at most 10 reference images.", param="image")
        for item in images:
            problem = _image_problem(item, formats=("jpeg", "png"), max_bytes=10 * 1024 * 1024)
            if problem:
                return error(400, "InvalidParameter", problem, param="image")
        mode = body.get("sequential_image_generation", "disabled")
        if mode not in ("auto", "disabled"):
            return error(400, "InvalidParameter", f"sequential_image_generation {mode!r}.")
        max_images = (body.get("sequential_image_generation_options") or {}).get("max_images", 15)
        if not (isinstance(max_images, int) and 1 <= max_images <= 15):
            return error(400, "InvalidParameter", "max_images must be 1..15.")
        if mode == "auto" and len(images) + max_images > 15:
            return error(400, "InvalidParameter", "reference images plus generated images must not exceed 15.")
        fmt = body.get("response_format", "url")
        if fmt not in ("url", "b64_json"):
            return error(400, "InvalidParameter", f"response_format {fmt!r}.")
        watermark = body.get("watermark", True)  # Ark's documented default

        wanted = 1 if mode == "disabled" else min(self.group_size or max_images, 15 - len(images))
        data, made = [], 0
        for i in range(wanted):
            code = self.image_errors.get(i)
            if code:
                data.append({"error": {"code": code, "message": f"image {i} failed: {code}"}})
                if "Sensitive" not in code and "Risk" not in code:
                    break  # an internal error stops the rest; a moderation failure does not
                continue
            made += 1
            item = {"size": f"{dims[0]}x{dims[1]}"}
            if fmt == "url":
                item["url"] = self._file_url(request, JPEG + bytes([i]), "image/jpeg")
            else:
                item["b64_json"] = base64.b64encode(JPEG).decode()
            data.append(item)
        self.billable_creates += 1
        self.images_billed += made
        self.watermarked_images += made if watermark else 0
        tokens = made * dims[0] * dims[1] // 256
        return await self._answer({"model": model, "created": int(self.clock()), "data": data,
                                   "usage": {"generated_images": made, "output_tokens": tokens,
                                             "total_tokens": tokens}}, fault)

    # ---- Seedance --------------------------------------------------------------------------------------------
    async def _create(self, request: Request) -> Any:
        body, early, fault = await self._before(request, "create")
        if early is not None:
            return early
        if not isinstance(body, dict):
            return error(400, "InvalidParameter", "The request body is not valid JSON.")
        model = body.get("model")
        if not model:
            return error(400, "MissingParameter.model", "The request failed because it is missing model.")
        if model not in VIDEO_MODELS:
            return error(404, "InvalidEndpointOrModel.NotFound", f"The model or endpoint {model} does not exist.")
        modes, style, durations = VIDEO_MODELS[model]
        content = body.get("content")
        if not isinstance(content, list) or not content:
            return error(400, "MissingParameter.content", "content is required.")
        texts = [c for c in content if isinstance(c, dict) and c.get("type") == "text"]
        pictures = [c for c in content if isinstance(c, dict) and c.get("type") == "image_url"]
        if len(texts) + len(pictures) != len(content) or len(texts) > 1:
            return error(400, "InvalidParameter", "content items must be one text and image_url items.")
        roles = [p.get("role") or "first_frame" for p in pictures]
        for p in pictures:
            problem = _image_problem((p.get("image_url") or {}).get("url"),
                                     formats=("jpeg", "png", "webp", "bmp", "tiff", "gif"), max_bytes=30 * 1024 * 1024)
            if problem:
                return error(400, "InvalidParameter", problem, param="content.image_url")
        if not pictures:
            mode = "t2v"
        elif roles == ["first_frame"]:
            mode = "first_frame"
        elif sorted(roles) == ["first_frame", "last_frame"] and all(p.get("role") for p in pictures):
            mode = "first_last"
        elif set(roles) == {"reference_image"} and 1 <= len(roles) <= 4:
            mode = "reference"
        else:
            return error(400, "InvalidParameter", f"image roles {roles} mix exclusive modes.", param="content.role")
        if mode not in modes:
            return error(400, "InvalidParameter", f"{model} does not support {mode}.", param="content")
        text = texts[0].get("text", "") if texts else ""
        params = _commands(text) if style == "text" else {}
        if style == "body":
            params = {k: body[k] for k in ("resolution", "ratio", "duration", "seed", "watermark", "camera_fixed")
                      if k in body}
        default_res = "1080p" if "pro" in model and style == "text" else "720p"
        resolution = str(params.get("resolution", default_res))
        ratio = str(params.get("ratio", "adaptive" if mode != "t2v" else "16:9"))
        try:
            duration, seed = int(params.get("duration", 5)), int(params.get("seed", -1))
        except (TypeError, ValueError):
            return error(400, "InvalidParameter", "duration and seed must be integers.")
        if resolution not in PIXELS or (mode == "reference" and resolution == "1080p"):
            return error(400, "InvalidParameter", f"resolution {resolution} is not supported.", param="resolution")
        if ratio not in PIXELS["480p"] and ratio != "adaptive":
            return error(400, "InvalidParameter", f"ratio {ratio} is not supported.", param="ratio")
        if duration not in durations:
            return error(400, "InvalidParameter", f"duration {duration} is not supported.", param="duration")
        if not -1 <= seed <= 2**32 - 1:
            return error(400, "InvalidParameter", f"seed {seed} is out of range.", param="seed")
        if self.max_active_tasks is not None:
            active = sum(1 for t in self.tasks.values() if not t.deleted and t.status in ("queued", "running"))
            if active >= self.max_active_tasks:
                return error(429, self.concurrency_code, "Too many tasks are running for this account.")

        now = self.clock()
        task_id = f"cgt-{time.strftime('%Y%m%d%H%M%S', time.gmtime(now))}-{secrets.token_hex(3)}"
        self.tasks[task_id] = FakeTask(
            id=task_id, model=model, body=body, mode=mode, resolution=resolution, ratio=ratio, duration=duration,
            seed=seed if seed != -1 else 12345, watermark=str(params.get("watermark", "false")).lower() == "true",
            return_last_frame=bool(body.get("return_last_frame", False)), script=list(self.script),
            created_at=now, updated_at=now, run_seconds=self.task_seconds, started_real=time.monotonic())
        self.billable_creates += 1
        return await self._answer({"id": task_id}, fault)

    async def _query(self, request: Request) -> Any:
        _body, early, fault = await self._before(request, "query")
        if early is not None:
            return early
        task = self.tasks.get(request.path_params["task_id"])
        if task is None or task.deleted:
            return error(404, "NotFound", "The specified task is not found.")  # code [unverified]
        payload = self._task_json(request, task)
        task.pos = min(task.pos + 1, len(task.script) - 1)  # the next query may see the next state
        return await self._answer(payload, fault)

    async def _delete(self, request: Request) -> Any:
        _body, early, fault = await self._before(request, "delete")
        if early is not None:
            return early
        task = self.tasks.get(request.path_params["task_id"])
        if task is None or task.deleted:
            return error(404, "NotFound", "The specified task is not found.")
        if task.status == "queued":
            task.script, task.pos = ["cancelled"], 0
            task.updated_at = self.clock()
        elif task.status == "running":  # only queued tasks can be cancelled; the code is [unverified]
            return error(400, "InvalidParameter", "Only queued tasks can be cancelled.", param="id")
        else:
            task.deleted = True  # "取消或删除": a finished task is deleted
        return await self._answer({}, fault)

    def _task_json(self, request: Request, task: FakeTask) -> dict:
        status = task.status
        out: dict[str, Any] = {"id": task.id, "model": task.model, "status": status, "error": None,
                               "created_at": int(task.created_at), "updated_at": int(self.clock()),
                               "seed": task.seed, "resolution": task.resolution, "duration": task.duration,
                               "framespersecond": 24}
        w, h = PIXELS[task.resolution]["16:9" if task.ratio == "adaptive" else task.ratio]
        out["ratio"] = "16:9" if task.ratio == "adaptive" else task.ratio
        if status == "succeeded":
            if not task.settled:  # billed once, when it succeeds
                task.settled = True
                task.tokens = w * h * 24 * task.duration // 1024
                self.tokens_billed += task.tokens
                # Each task's video is distinct (its id inside), so tests can tell results apart by hash.
                task.video_token = self._file_url(request, MP4 + task.id.encode(), "video/mp4")
                if task.return_last_frame:
                    task.last_frame_token = self._file_url(request, PNG + task.id.encode(), "image/png")
            out["content"] = {"video_url": task.video_token}
            if task.last_frame_token:
                out["content"]["last_frame_url"] = task.last_frame_token
            out["usage"] = {"completion_tokens": task.tokens, "total_tokens": task.tokens}
        elif status == "failed":
            out["error"] = {"code": self.fail_code, "message": f"The task failed: {self.fail_code}."}
            out["usage"] = {"completion_tokens": 0, "total_tokens": 0}
        return out

    # ---- results and the rest --------------------------------------------------------------------------------
    async def _file(self, request: Request) -> Any:
        await self._record(request)
        fault = self._fault("files")
        if fault and fault.kind == "error":
            return Response(status_code=fault.status)
        entry = self.files.get(request.path_params["token"])
        if entry is None or self.clock() > entry[2] + self.url_ttl:
            return Response(b"<Error><Code>NoSuchKey</Code></Error>", status_code=404, media_type="application/xml")
        data, mime, _ = entry
        if self.truncate_downloads > 0:
            self.truncate_downloads -= 1
            return CutShort(data[: len(data) // 2], declared=len(data), mime=mime)
        return Response(data, media_type=mime)

    async def _unknown(self, request: Request) -> Any:
        await self._record(request)
        return error(404, "NotFound", f"{request.method} {request.url.path} is not an Ark API.")


def error(status: int, code: str | None, message: str, *, param: str | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": f"{message} Request id: fake", "type": _TYPES.get(status, "")}
    if param:
        body["param"] = param
    return JSONResponse({"error": body}, status_code=status, headers=headers)


class Dropped:
    """The connection dies mid-answer: headers promise a body that never comes."""

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
        await send({"type": "http.response.body", "body": b'{"id": "cgt-', "more_body": True})
        # returning here leaves the response incomplete: the server closes the connection


class CutShort:
    """A download whose Content-Length promises more than is sent before the connection closes."""

    def __init__(self, body: bytes, *, declared: int, mime: str) -> None:
        self.body, self.declared, self.mime = body, declared, mime

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", self.mime.encode()),
                                (b"content-length", str(self.declared).encode())]})
        await send({"type": "http.response.body", "body": self.body, "more_body": True})


def _image_size(size: Any) -> tuple[int, int] | None:
    tiers = {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)}
    if size in tiers:
        return tiers[size]
    m = re.fullmatch(r"(\d+)x(\d+)", str(size))
    if not m:
        return None
    w, h = int(m.group(1)), int(m.group(2))
    if not (1280 * 720 <= w * h <= 4096 * 4096 and 1 / 16 <= w / h <= 16):
        return None
    return w, h


def _image_problem(item: Any, *, formats: tuple[str, ...], max_bytes: int) -> str | None:
    if not isinstance(item, str):
        return "an image must be a URL or a data URI."
    if item.startswith(("http://", "https://")):
        return None
    m = re.fullmatch(r"data:image/([a-z]+);base64,(.+)", item, flags=re.S)
    if not m:
        return "a data URI must look like data:image/<format in lowercase>;base64,<data>."
    if m.group(1) not in formats:
        return f"image format {m.group(1)} is not supported."
    try:
        data = base64.b64decode(m.group(2), validate=True)
    except ValueError:
        return "the image is not valid base64."
    if len(data) > max_bytes:
        return "the image is too large."
    return None


def _commands(text: str) -> dict[str, str]:
    """Seedance 1.0 text commands after the prompt, by their long names."""
    names = {"rs": "resolution", "rt": "ratio", "dur": "duration", "fps": "framespersecond", "wm": "watermark",
             "cf": "camerafixed"}
    return {names.get(k, k): v for k, v in re.findall(r"--(\w+)\s+(\S+)", text)}


def make_app(*, clock: FakeClock, key: str = "test-key") -> tuple[Starlette, ArkFake]:
    fake = ArkFake(clock=clock, key=key)
    return fake.app, fake
