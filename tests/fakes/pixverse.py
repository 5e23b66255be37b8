"""A loopback PixVerse platform API (shared/reference/providers.md §2 and §12), for adapter and engine tests.

What it reproduces: paths under ``/openapi/v2``; the ``API-KEY`` check; a *required* ``Ai-trace-id`` with a
configurable reaction to a reused one (``"reject"``, or ``"original"``: return the task first created with it);
the ``{ErrCode, ErrMsg, Resp}`` envelope with errors inside HTTP 200; multipart ``/image/upload`` returning an
``img_id``; video and image ids above 2^53 written as JSON *numbers* (and required back as numbers); integer
statuses scripted per task (5 × n, then 1, 7 or 8; 6 once deleted); result URLs served here that 404 after a
lifetime on the fake clock; credit accounting against a balance.

Knobs, all plain attributes or methods: ``fail_next`` (HTTP 429 with or without Retry-After, 5xx, any ErrCode,
a dropped connection, before or after a create is accepted, or a create answered only after ``delay`` seconds),
``script_next`` (statuses for the next task), ``delete``, ``balance``, ``concurrency_limit``, ``report_credits``,
``charge_override``, ``truncate_downloads``, ``url_ttl``, ``reused_trace``. Tests assert on ``seen`` (every request
with the headers it carried), ``billable_creates`` and ``credits_charged``: the provider's view, not the adapter's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.fakes.server import FakeClock

API = "/openapi/v2"
MODELS = {"v3.5", "v4", "v4.5", "v5", "v5.5", "v5.6", "v6", "c1"}
QUALITIES = {"360p", "540p", "720p", "1080p"}
ASPECTS = {"16:9", "4:3", "1:1", "3:4", "9:16"}
ASPECTS_V6 = ASPECTS | {"2:3", "3:2", "21:9"}
# The rate card of "Model & Pricing" (5 s, 8 s); models without captured rates are charged a flat placeholder.
RATES = {"v5": {"360p": (45, 90), "540p": (45, 90), "720p": (60, 120), "1080p": (120, 240)},
         **{m: {"360p": (45, 90), "540p": (45, 90), "720p": (60, 120), "1080p": (120, None)}
            for m in ("v4.5", "v4", "v3.5")}}
PLACEHOLDER_RATE = 100
FIRST_VIDEO_ID = 2**53 + 12_345  # beyond a double's exact integers: a float anywhere corrupts it
FIRST_IMAGE_ID = 2**60 + 77
CREATE_PATHS = {f"{API}/video/text/generate": "t2v", f"{API}/video/img/generate": "i2v",
                f"{API}/video/transition/generate": "first_last"}

ERR_EMPTY, ERR_ACCOUNT, ERR_PARAM = 400011, 400012, 400017
ERR_CREDITS, ERR_CONCURRENCY, ERR_MODERATION, ERR_BALANCE = 500043, 500044, 500054, 500090


def envelope(code: int = 0, msg: str = "success", resp: Any = None, *, status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    # json.dumps writes Python ints exactly, so ids above 2^53 go out as JSON numbers with every digit.
    body = json.dumps({"ErrCode": code, "ErrMsg": msg, "Resp": resp}, ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class _Dropped(Response):
    """Starts a response and never finishes it: uvicorn closes the connection, which the client sees as a reset
    (headers sent, body short). Used for a create lost after acceptance and for truncated downloads."""

    def __init__(self, declared: int, partial: bytes = b"", media_type: str = "application/json") -> None:
        super().__init__()
        self.declared, self.partial, self.kind = declared, partial, media_type

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(self.declared).encode()),
                                (b"content-type", self.kind.encode())]})
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})


@dataclass
class Fault:
    path: str  # matched as a substring of the request path, e.g. "/video/text/generate", "/image/upload"
    status: int = 200  # an HTTP status to answer with (429, 500, 503, 504 …)
    errcode: int = 0  # or an envelope error inside HTTP 200
    errmsg: str = "injected"
    retry_after: str | None = None
    reset: bool = False  # drop the connection
    delay: float = 0.0  # seconds before answering (real time: it is the client's timeout under test)
    after_accept: bool = False  # creates only: record and bill the task first, then misbehave
    times: int = 1


@dataclass
class Seen:
    method: str
    path: str
    api_key: str | None
    trace_id: str | None
    json: Any = None
    form_fields: tuple[str, ...] = ()


@dataclass
class Task:
    video_id: int
    kind: str
    body: dict[str, Any]
    trace_id: str
    credits: int
    script: list[int]
    polls: int = 0
    finished_at: float | None = None
    deleted: bool = False
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def active(self) -> bool:
        return not self.deleted and (self.polls == 0 or self.script[min(self.polls, len(self.script)) - 1] == 5)


class PixVerseFake:
    def __init__(self, *, api_key: str = "pv-test-key", clock: FakeClock | None = None, balance: int = 100_000,
                 url_ttl: float = 3600.0, reused_trace: str = "reject", report_credits: bool = True) -> None:
        self.api_key = api_key
        self.clock = clock or FakeClock()
        self.balance = balance
        self.url_ttl = url_ttl
        self.reused_trace = reused_trace  # "reject" | "original"
        self.report_credits = report_credits
        self.charge_override: int | None = None  # bill (and report) this instead of the rate card
        self.concurrency_limit: int | None = None
        self.truncate_downloads = False
        self.auth_status = 200  # HTTP status of a bad-key answer (the envelope carries ErrCode 400012)
        self.default_script = [5, 1]
        self.reused_trace_errcode = ERR_PARAM
        self.balance_errcode = ERR_BALANCE
        self.concurrency_errcode = ERR_CONCURRENCY
        # Accounting and observation.
        self.billable_creates = 0
        self.credits_charged = 0
        self.seen: list[Seen] = []
        self.tasks: dict[int, Task] = {}
        self.uploads: dict[int, bytes] = {}
        self.downloads = 0
        self._traces: dict[str, int | None] = {}  # trace id → the video it created (None: no task)
        self._faults: list[Fault] = []
        self._scripts: deque[list[int]] = deque()
        self._next_video = FIRST_VIDEO_ID
        self._next_image = FIRST_IMAGE_ID
        self.app = create_app(self)

    # -- knobs ---------------------------------------------------------------------------------------------------

    def fail_next(self, path: str, **kw: Any) -> Fault:
        fault = Fault(path=path, **kw)
        self._faults.append(fault)
        return fault

    def script_next(self, *statuses: int) -> None:
        """Statuses the next created task reports on successive polls; the last one repeats."""
        self._scripts.append(list(statuses))

    def delete(self, video_id: int | str) -> None:
        self.tasks[int(video_id)].deleted = True

    def api_requests(self, fragment: str = "") -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(API) and fragment in s.path]

    # -- helpers -------------------------------------------------------------------------------------------------

    def _take_fault(self, path: str, *, after_accept: bool) -> Fault | None:
        for f in self._faults:
            if f.path in path and f.after_accept == after_accept:
                f.times -= 1
                if f.times <= 0:
                    self._faults.remove(f)
                return f
        return None

    @staticmethod
    def _answer_fault(f: Fault) -> Response:
        headers = {"Retry-After": f.retry_after} if f.retry_after is not None else None
        if f.reset:
            return _Dropped(declared=256, partial=b'{"ErrCode":0,')
        if f.status != 200:
            return envelope(f.status, f.errmsg, status=f.status, headers=headers)
        return envelope(f.errcode, f.errmsg, headers=headers)

    def _price(self, model: str, quality: str, duration: int, motion: str) -> int | None:
        if self.charge_override is not None:
            return self.charge_override
        if model not in RATES:
            return PLACEHOLDER_RATE * (1 if duration <= 5 else 2)
        pair = RATES[model].get(quality)
        price = pair[0 if duration == 5 else 1] if pair else None
        return None if price is None else price * (2 if motion == "fast" else 1)

    def _status(self, task: Task) -> int:
        if task.deleted:
            return 6
        return task.script[min(task.polls, len(task.script)) - 1] if task.polls else 5

    def _validate(self, kind: str, body: Any) -> str | None:
        """The first thing PixVerse would call an invalid parameter, or None."""
        if not isinstance(body, dict):
            return "body"
        required = ["prompt", "model", "duration", "quality"] + {
            "t2v": ["aspect_ratio"], "i2v": ["img_id"], "first_last": ["first_frame_img", "last_frame_img"]}[kind]
        for name in required:
            if body.get(name) in (None, ""):
                return name
        model, duration = body["model"], body["duration"]
        if model not in MODELS:
            return "model"
        if body["quality"] not in QUALITIES:
            return "quality"
        long_ok = model in ("v6", "c1")
        if isinstance(duration, bool) or not isinstance(duration, int) or \
                (duration not in (5, 8) and not (long_ok and 1 <= duration <= 15)):
            return "duration"
        motion = body.get("motion_mode", "normal")
        if motion not in ("normal", "fast") or (motion == "fast" and (duration != 5 or body["quality"] == "1080p")):
            return "motion_mode"
        if kind == "t2v" and body["aspect_ratio"] not in (ASPECTS_V6 if model == "v6" else ASPECTS):
            return "aspect_ratio"
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1):
            return "seed"
        if len(body["prompt"]) > 2048 or len(body.get("negative_prompt") or "") > 2048:
            return "prompt"
        for name in ("img_id", "first_frame_img", "last_frame_img"):
            if name in body:
                value = body[name]  # must come back as the exact JSON number we issued, never a string
                if isinstance(value, bool) or not isinstance(value, int) or value not in self.uploads:
                    return name
        if self._price(model, body["quality"], duration, motion) is None:
            return "duration"
        return None

    def _video_bytes(self, task: Task) -> bytes:
        head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
        return head + f"pixverse-fake video {task.video_id}\n".encode() * 200


def create_app(fake: PixVerseFake) -> FastAPI:
    app = FastAPI()

    async def admit(request: Request) -> tuple[Response | None, Seen]:
        """Everything every API request goes through: record, key, trace id, injected faults."""
        raw = await request.body()
        seen = Seen(request.method, request.url.path, request.headers.get("api-key"),
                    request.headers.get("ai-trace-id"))
        if raw and request.headers.get("content-type", "").startswith("application/json"):
            try:
                seen.json = json.loads(raw)
            except ValueError:
                seen.json = "<invalid json>"
        fake.seen.append(seen)
        if seen.api_key != fake.api_key:
            return envelope(ERR_ACCOUNT, "Invalid account", status=fake.auth_status), seen
        trace = seen.trace_id
        if not trace:
            return envelope(ERR_EMPTY, "Empty parameter: Ai-trace-id is required"), seen
        try:
            uuid.UUID(trace)
        except ValueError:
            return envelope(ERR_PARAM, "invalid param: Ai-trace-id must be a UUID"), seen
        if trace in fake._traces:
            if not (fake.reused_trace == "original" and request.url.path in CREATE_PATHS):
                return envelope(fake.reused_trace_errcode, "invalid param: Ai-trace-id already used"), seen
        else:
            fake._traces[trace] = None
        fault = fake._take_fault(request.url.path, after_accept=False)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.reset or fault.status != 200 or fault.errcode:
                return fake._answer_fault(fault), seen
        return None, seen

    @app.post(f"{API}/image/upload")
    async def upload(request: Request) -> Response:
        refused, seen = await admit(request)
        if refused:
            return refused
        async with request.form() as form:
            seen.form_fields = tuple(form.keys())
            image = form.get("image")
            if image is None or isinstance(image, str):
                return envelope(ERR_EMPTY, "Empty parameter: image")
            data = await image.read()
        if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")
                or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")):
            return envelope(ERR_PARAM, "Unsupported image format")
        if len(data) >= 20 * 1024 * 1024:
            return envelope(ERR_PARAM, "Image size error")
        img_id = fake._next_image
        fake._next_image += 1_000_003
        fake.uploads[img_id] = data
        return envelope(resp={"img_id": img_id, "img_url": f"{str(request.base_url).rstrip('/')}/img/{img_id}"})

    async def create(request: Request) -> Response:
        kind = CREATE_PATHS[request.url.path]
        refused, seen = await admit(request)
        if refused:
            return refused
        trace = seen.trace_id
        if fake._traces.get(trace) is not None:  # reused_trace == "original": the first task, not a second one
            task = fake.tasks[fake._traces[trace]]
            return envelope(resp=_create_resp(task))
        bad = fake._validate(kind, seen.json)
        if bad:
            return envelope(ERR_PARAM, f"invalid param: {bad}")
        body = seen.json
        price = fake._price(body["model"], body["quality"], body["duration"], body.get("motion_mode", "normal"))
        if fake.concurrency_limit is not None and \
                sum(t.active for t in fake.tasks.values()) >= fake.concurrency_limit:
            return envelope(fake.concurrency_errcode, "Reached the limit for concurrent generations.")
        if price > fake.balance:
            return envelope(fake.balance_errcode, "Insufficient balance")
        # Accepted: from here on the account is charged, whatever happens to the answer.
        fake.balance -= price
        fake.credits_charged += price
        fake.billable_creates += 1
        video_id = fake._next_video
        fake._next_video += 7_919
        script = fake._scripts.popleft() if fake._scripts else list(fake.default_script)
        task = Task(video_id, kind, body, trace, price, script)
        fake.tasks[video_id] = task
        fake._traces[trace] = video_id
        late = fake._take_fault(request.url.path, after_accept=True)
        if late is not None:
            if late.delay:
                await asyncio.sleep(late.delay)
            if late.reset:
                return _Dropped(declared=256, partial=b'{"ErrCode":0,"ErrMsg":"success","Resp":{"video_id":')
            if late.status != 200 or late.errcode:
                return fake._answer_fault(late)
        return envelope(resp=_create_resp(task))

    def _create_resp(task: Task) -> dict[str, Any]:
        resp: dict[str, Any] = {"video_id": task.video_id}
        if fake.report_credits:
            resp["credits"] = task.credits
        return resp

    for path in CREATE_PATHS:
        app.add_api_route(path, create, methods=["POST"])

    @app.get(f"{API}/video/result/{{video_id}}")
    async def result(video_id: str, request: Request) -> Response:
        refused, _ = await admit(request)
        if refused:
            return refused
        task = fake.tasks.get(int(video_id)) if video_id.isdigit() else None
        if task is None:
            return envelope(ERR_PARAM, "invalid param: video_id not found")
        if not task.deleted:
            task.polls += 1
        status = fake._status(task)
        if status == 1 and task.finished_at is None:
            task.finished_at = fake.clock()
        body = task.body
        resp: dict[str, Any] = {
            "id": task.video_id, "status": status, "url": "", "prompt": body.get("prompt", ""),
            "negative_prompt": body.get("negative_prompt", ""), "seed": body.get("seed", 0), "style": "",
            "outputWidth": 1280, "outputHeight": 720, "resolution_ratio": 720, "size": 0,
            "create_time": "2026-01-01T00:00:00Z", "modify_time": "2026-01-01T00:00:00Z"}
        if status == 1:
            resp["url"] = f"{str(request.base_url).rstrip('/')}/media/{task.token}.mp4"
            resp["size"] = len(fake._video_bytes(task))
        if fake.report_credits:
            resp["credits"] = task.credits
        return envelope(resp=resp)

    @app.get(f"{API}/account/balance")
    async def balance(request: Request) -> Response:
        refused, _ = await admit(request)
        if refused:
            return refused
        return envelope(resp={"account_id": 1, "credit_monthly": 0, "credit_package": fake.balance})

    @app.get("/media/{name}")
    async def media(name: str, request: Request) -> Response:
        # The CDN: no key, no trace id; the URL itself is the credential, and it dies.
        fake.seen.append(Seen("GET", request.url.path, request.headers.get("api-key"),
                              request.headers.get("ai-trace-id")))
        token = name.removesuffix(".mp4")
        task = next((t for t in fake.tasks.values() if t.token == token), None)
        if task is None or task.deleted or task.finished_at is None or \
                fake.clock() > task.finished_at + fake.url_ttl:
            return Response("expired", status_code=404)
        data = fake._video_bytes(task)
        fake.downloads += 1
        if fake.truncate_downloads:
            return _Dropped(declared=len(data), partial=data[: len(data) // 2], media_type="video/mp4")
        return Response(data, media_type="video/mp4")

    @app.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    async def unknown(rest: str, request: Request) -> Response:
        fake.seen.append(Seen(request.method, request.url.path, request.headers.get("api-key"),
                              request.headers.get("ai-trace-id")))
        return envelope(404, f"no such endpoint: {request.method} /{rest}", status=404)

    return app
