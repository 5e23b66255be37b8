"""A loopback fake of the Jimeng (即梦) visual API on the Volcengine OpenAPI gateway.

It follows ../shared/reference/providers.md §1.3 and the Jimeng row of §12:
- ``POST /?Action=CVSync2AsyncSubmitTask|CVSync2AsyncGetResult&Version=2022-08-31``; anything else is refused in
  the gateway's error shape.
- The Volcengine HMAC-SHA256 signature is recomputed here by code written separately from the adapter's signer
  (a test checks it against the official vector). A bad signature, an unknown key, a changed body or an ``X-Date``
  outside the skew window is refused with ``ResponseMetadata.Error`` (shape and code names [unverified]).
- The ``code == 10000`` envelope; business errors with the HTTP status of the vendor's table and the code in the
  body; ``done`` with a non-10000 code for failed tasks.
- A scripted state machine per task (``in_queue`` × n, ``generating`` × m, then ``done``); ``not_found`` once the
  12 h window has passed on the fake clock; ``expired`` on demand.
- ``req_json`` must be a JSON string. Image results come as URLs when it asks for ``return_url``, otherwise as base64.
- Result files under ``/files/{token}`` that answer 404 once their lifetime has passed.
- Faults: business codes, raw HTTP errors (with or without Retry-After), a connection dropped after the request was
  read, a create that is accepted and billed but answered only after a delay, and downloads that break off short of
  their Content-Length.

Accounting is the provider's view: ``billable_submits`` counts accepted creates (including those whose answer never
arrived), ``outputs_billed`` counts delivered images or videos.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import itertools
import json
import re
import uuid
from calendar import timegm
from dataclasses import dataclass, field
from time import strptime
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeClock

VERSION = "2022-08-31"
SUBMIT, RESULT = "CVSync2AsyncSubmitTask", "CVSync2AsyncGetResult"
REGION, SERVICE = "cn-north-1", "cv"
OK = 10000
INVALID = 50400  # parameter errors: the vendor's code for these is not in our sources [unverified]

# The vendor's business-error table: code -> (HTTP status, message).
BUSINESS = {
    50411: (400, "Pre Img Risk Not Pass"), 50511: (400, "Post Img Risk Not Pass"),
    50412: (400, "Text Risk Not Pass"), 50512: (400, "Post Text Risk Not Pass"),
    50413: (400, "Post Text Risk Not Pass"),
    50429: (429, "Request Has Reached API Limit, Please Try Later"),
    50430: (429, "Request Has Reached API Concurrent Limit, Please Try Later"),
    50500: (500, "Internal Error"), 50501: (500, "Internal RPC Error"),
    INVALID: (400, "Invalid Parameter"),
}
IMAGE_KEYS = {"jimeng_t2i_v40": (0, 10), "jimeng_t2i_v31": (0, 0), "jimeng_t2i_v30": (0, 0),
              "jimeng_i2i_v30": (1, 1)}  # req_key -> (min, max) input images
VIDEO_KEYS = {"jimeng_ti2v_v30_pro": (0, 1), "jimeng_t2v_v30": (0, 0), "jimeng_t2v_v30_1080p": (0, 0),
              "jimeng_i2v_first_v30": (1, 1), "jimeng_i2v_first_v30_1080": (1, 1),
              "jimeng_i2v_first_tail_v30": (2, 2), "jimeng_i2v_first_tail_v30_1080": (2, 2)}
RATIOS = {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9"}


def expected_signature(*, secret: str, method: str, path: str, raw_query: str, headers: dict[str, str],
                       signed: list[str], payload_sha: str, x_date: str, region: str, service: str) -> str:
    """Volcengine HMAC-SHA256, from the documented steps. Deliberately not the adapter's code."""
    enc = lambda s: quote(s, safe="-_.~")  # noqa: E731
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    query = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    block = "".join(name + ":" + headers.get(name, "").strip() + "\n" for name in signed)
    canonical = method + "\n" + path + "\n" + query + "\n" + block + "\n" + ";".join(signed) + "\n" + payload_sha
    day = x_date[:8]
    scope = "/".join([day, region, service, "request"])
    string_to_sign = "HMAC-SHA256\n" + x_date + "\n" + scope + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
    k_date = hmac.new(secret.encode(), day.encode(), hashlib.sha256).digest()
    k_region = hmac.new(k_date, region.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_region, service.encode(), hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"request", hashlib.sha256).digest()
    return hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Script:
    """How one task behaves: polls answered in_queue, then generating, then done with ``final_code``."""

    in_queue: int = 1
    generating: int = 1
    final_code: int = OK
    images: int = 1  # outputs of a 4.0 request sent without force_single (each one billed)


@dataclass
class Fault:
    kind: str  # "code" | "http" | "reset" | "delay"
    code: int = 0
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class Task:
    task_id: str
    req_key: str
    body: dict
    created_at: float
    script: Script
    polls: int = 0
    expired: bool = False
    outputs: list[tuple[str, bytes]] | None = None  # (token, bytes)


@dataclass
class StoredFile:
    data: bytes
    content_type: str
    expires_at: float


class _Dropped(Response):
    """Headers and part of a body, then the connection closes: a reset after the request was read, or a
    download cut short. (Returning without finishing the body makes uvicorn close the socket.)"""

    def __init__(self, declared: int, partial: bytes, content_type: str = "application/json") -> None:
        self.declared, self.partial, self.kind = declared, partial, content_type

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", self.kind.encode()),
                                (b"content-length", str(self.declared).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})


@dataclass
class JimengFake:
    clock: FakeClock = field(default_factory=FakeClock)
    ak: str = "AKLTfakeaccesskeyid0000000000000000000000000"
    sk: str = "ZmFrZS1zZWNyZXQta2V5LWZvci10ZXN0cy1vbmx5"
    skew_window: float = 15 * 60  # [unverified]: Volcengine's window is not in our sources
    task_ttl: float = 12 * 3600
    url_ttl: float = 24 * 3600
    script: Script = field(default_factory=Script)
    ignore_return_url: bool = False  # answer images as base64 even when URLs were asked for
    # Accounting and what arrived.
    billable_submits: int = 0
    outputs_billed: int = 0
    downloads: int = 0
    requests: list[dict] = field(default_factory=list)  # everything that reached the fake
    received: list[dict] = field(default_factory=list)  # authenticated and routed: {"action", "body", "headers"}
    tasks: dict[str, Task] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=lambda: {"submit": [], "result": [], "files": []})
    scripts: list[Script] = field(default_factory=list)  # per-task scripts, consumed by the next creates
    _ids: Any = field(default_factory=lambda: itertools.count(7392616336519610409))

    # -- knobs -------------------------------------------------------------------------------------------------

    def reset(self, **changes: Any) -> None:
        """Forget tasks, files, faults and accounting, keeping the app being served (tests share one server)."""
        self.__dict__.update(JimengFake(**changes).__dict__)

    def fail_next(self, action: str, code: int, *, retry_after: str | None = None) -> None:
        """The next ``action`` ("submit" or "result") answers with a business code (nothing created)."""
        self.faults[action].append(Fault("code", code=code, retry_after=retry_after))

    def http_error_next(self, action: str, status: int, *, retry_after: str | None = None) -> None:
        """The next ``action`` answers with a bare HTTP error (an HTML-ish body, as a proxy would)."""
        self.faults[action].append(Fault("http", status=status, retry_after=retry_after))

    def reset_next(self, action: str) -> None:
        """The next ``action`` is read (a create is accepted and billed), then the connection drops."""
        self.faults[action].append(Fault("reset"))

    def delay_next_submit(self, seconds: float) -> None:
        """The next create is accepted and billed, but answered only after ``seconds``."""
        self.faults["submit"].append(Fault("delay", seconds=seconds))

    def truncate_next_download(self) -> None:
        self.faults["files"].append(Fault("reset"))

    def expire(self, task_id: str) -> None:
        self.tasks[task_id].expired = True

    def submitted(self) -> list[dict]:
        return [r["body"] for r in self.received if r["action"] == SUBMIT]

    def queried(self) -> list[dict]:
        return [r["body"] for r in self.received if r["action"] == RESULT]

    # -- the app ---------------------------------------------------------------------------------------------------

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self._openapi, methods=["POST"]),
                                 Route("/files/{token}", self._file, methods=["GET"])])

    async def _openapi(self, request: Request) -> Response:
        raw = await request.body()
        action, version = request.query_params.get("Action"), request.query_params.get("Version")
        self.requests.append({"action": action, "raw": raw, "headers": dict(request.headers)})
        if action not in (SUBMIT, RESULT) or version != VERSION:
            return self._gateway(404, "InvalidActionOrVersion", f"Could not find operation {action} for version "
                                 f"{version}", action, version)
        refused = self._authenticate(request, raw, action)
        if refused is not None:
            return refused
        try:
            body = json.loads(raw)
        except ValueError:
            return self._business(INVALID, "body is not JSON")
        self.received.append({"action": action, "body": body, "headers": dict(request.headers)})
        return await (self._submit(request, body) if action == SUBMIT else self._result(request, body))

    def _authenticate(self, request: Request, raw: bytes, action: str) -> Response | None:
        h = {k.lower(): v for k, v in request.headers.items()}
        auth = h.get("authorization")
        if not auth:
            return self._gateway(401, "MissingAuthenticationToken", "Request is missing Authentication Token", action)
        m = re.fullmatch(r"HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/request, "
                         r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
        if not m:
            return self._gateway(401, "InvalidAuthorization", "Authorization header is malformed", action)
        ak, day, region, service, signed_list, signature = m.groups()
        if ak != self.ak:
            return self._gateway(401, "InvalidAccessKey", f"The access key {ak} is not valid", action)
        x_date = h.get("x-date", "")
        try:
            when = timegm(strptime(x_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return self._gateway(401, "InvalidTimestamp", f"X-Date '{x_date}' is malformed", action)
        if abs(self.clock() - when) > self.skew_window or day != x_date[:8]:
            return self._gateway(401, "InvalidTimestamp", f"X-Date {x_date} is outside the allowed window", action)
        if (region, service) != (REGION, SERVICE):
            return self._gateway(401, "InvalidCredential", f"Credential scope {region}/{service} is wrong", action)
        signed = signed_list.split(";")
        if signed != sorted(signed) or not {"content-type", "host", "x-content-sha256", "x-date"} <= set(signed):
            return self._gateway(401, "InvalidAuthorization", "SignedHeaders is incomplete", action)
        payload_sha = hashlib.sha256(raw).hexdigest()
        expected = expected_signature(secret=self.sk, method=request.method, path=request.url.path,
                                      raw_query=request.url.query, headers=h, signed=signed,
                                      payload_sha=payload_sha, x_date=x_date, region=region, service=service)
        if h.get("x-content-sha256") != payload_sha or not hmac.compare_digest(expected, signature):
            # Like AWS, the message echoes the credential; the adapter must not pass it on unredacted.
            return self._gateway(401, "SignatureDoesNotMatch", f"The request signature we calculated does not "
                                 f"match the signature you provided (Credential={ak}/{day}/{region}/{service})",
                                 action)
        return None

    async def _submit(self, request: Request, body: dict) -> Response:
        problem = _validate_submit(body)
        if problem:
            return self._business(INVALID, problem)
        fault = self._fault("submit")
        if fault and fault.kind in ("code", "http"):
            return self._injected(fault)
        task_id = str(next(self._ids))
        script = self.scripts.pop(0) if self.scripts else self.script
        self.tasks[task_id] = Task(task_id, body["req_key"], body, self.clock(), script)
        self.billable_submits += 1
        answer = self._envelope({"task_id": task_id})
        if fault and fault.kind == "reset":
            return _Dropped(len(answer.body) + 50, answer.body[:10])
        if fault and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        return answer

    async def _result(self, request: Request, body: dict) -> Response:
        req_json = body.get("req_json")
        if req_json is not None and not isinstance(req_json, str):
            return self._business(INVALID, "req_json must be a JSON string")
        try:
            options = json.loads(req_json) if req_json else {}
        except ValueError:
            return self._business(INVALID, "req_json is not valid JSON")
        if not body.get("req_key") or not body.get("task_id"):
            return self._business(INVALID, "req_key and task_id are required")
        fault = self._fault("result")
        if fault and fault.kind in ("code", "http"):
            return self._injected(fault)
        if fault and fault.kind == "reset":
            return _Dropped(200, b'{"code":')
        task = self.tasks.get(body["task_id"])
        if task is None or task.req_key != body["req_key"] or self.clock() > task.created_at + self.task_ttl:
            return self._envelope({"status": "not_found"})  # [unverified]: code 10000 with this status
        if task.expired:
            return self._envelope({"status": "expired"})
        task.polls += 1
        s = task.script
        if task.polls <= s.in_queue:
            return self._envelope({"status": "in_queue"})
        if task.polls <= s.in_queue + s.generating:
            return self._envelope({"status": "generating"})
        if s.final_code != OK:
            status, message = BUSINESS[s.final_code]
            return JSONResponse(_envelope_body(s.final_code, message, {"status": "done"}), status_code=status)
        return self._envelope(self._done(request, task, options))

    def _done(self, request: Request, task: Task, options: dict) -> dict:
        video = task.req_key in VIDEO_KEYS
        if task.outputs is None:
            n = 1 if video or task.body.get("force_single") or task.req_key != "jimeng_t2i_v40" else task.script.images
            task.outputs = []
            for i in range(n):
                data, kind = (_video_bytes(task.task_id), "video/mp4") if video else _image_bytes(task.req_key, i)
                token = uuid.uuid4().hex
                self.files[token] = StoredFile(data, kind, self.clock() + self.url_ttl)
                task.outputs.append((token, data))
            self.outputs_billed += n
        urls = [f"{str(request.base_url).rstrip('/')}/files/{token}" for token, _ in task.outputs]
        if video:
            return {"status": "done", "video_url": urls[0]}
        if options.get("return_url") and not self.ignore_return_url:
            return {"status": "done", "image_urls": urls, "binary_data_base64": None}
        return {"status": "done", "image_urls": None,
                "binary_data_base64": [base64.b64encode(data).decode() for _, data in task.outputs]}

    async def _file(self, request: Request) -> Response:
        stored = self.files.get(request.path_params["token"])
        if stored is None or self.clock() > stored.expires_at:
            return PlainTextResponse("NoSuchKey: the object does not exist or has expired", status_code=404)
        self.downloads += 1
        if self._fault("files"):
            return _Dropped(len(stored.data), stored.data[: len(stored.data) // 2], stored.content_type)
        return Response(stored.data, media_type=stored.content_type)

    # -- answers -----------------------------------------------------------------------------------------------------

    def _fault(self, action: str) -> Fault | None:
        return self.faults[action].pop(0) if self.faults[action] else None

    def _injected(self, fault: Fault) -> Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.kind == "http":
            return PlainTextResponse(f"<html><body>{fault.status} Service Unavailable</body></html>",
                                     status_code=fault.status, headers=headers)
        status, message = BUSINESS[fault.code]
        return JSONResponse(_envelope_body(fault.code, message, None), status_code=status, headers=headers)

    def _business(self, code: int, detail: str) -> Response:
        status, message = BUSINESS[code]
        return JSONResponse(_envelope_body(code, f"{message}: {detail}", None), status_code=status)

    def _envelope(self, data: dict) -> JSONResponse:
        return JSONResponse(_envelope_body(OK, "Success", data))

    def _gateway(self, status: int, code: str, message: str, action: str | None, version: str = VERSION) -> Response:
        meta = {"RequestId": uuid.uuid4().hex.upper(), "Action": action, "Version": version, "Service": SERVICE,
                "Region": REGION, "Error": {"Code": code, "Message": message}}
        return JSONResponse({"ResponseMetadata": meta}, status_code=status)


def _envelope_body(code: int, message: str, data: dict | None) -> dict:
    return {"code": code, "data": data, "message": message, "request_id": uuid.uuid4().hex.upper(),
            "status": code, "time_elapsed": "12.3ms"}


def _validate_submit(body: dict) -> str | None:
    """The documented field rules; the first broken one, or None."""
    key = body.get("req_key")
    if key not in IMAGE_KEYS and key not in VIDEO_KEYS:
        return f"unknown req_key {key!r}"
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > 800:
        return "prompt must be a string of at most 800 characters"
    if not isinstance(body.get("seed", -1), int):
        return "seed must be an int"
    if "image_urls" in body and "binary_data_base64" in body:
        return "give binary_data_base64 or image_urls, not both"
    images = body.get("image_urls") or body.get("binary_data_base64") or []
    for encoded in body.get("binary_data_base64") or []:
        try:
            head = base64.b64decode(encoded, validate=True)[:8]
        except ValueError:
            return "binary_data_base64 holds invalid base64"
        if not (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG")):
            return "input images must be JPEG or PNG"
    lo, hi = (IMAGE_KEYS.get(key) or VIDEO_KEYS[key])
    if not lo <= len(images) <= hi:
        return f"{key} takes {lo}..{hi} input images, got {len(images)}"
    if key in VIDEO_KEYS:
        if body.get("frames", 121) not in (121, 241):
            return "frames must be 121 or 241"
        if body.get("aspect_ratio", "16:9") not in RATIOS:
            return "aspect_ratio is not supported"
        if not prompt and not images:
            return "prompt is required for text-to-video"
        return None
    if not prompt:
        return "prompt is required"
    if ("width" in body) != ("height" in body):
        return "width and height go together"
    if "width" in body:
        w, h = body["width"], body["height"]
        if key == "jimeng_t2i_v40" and not 1024 * 1024 <= w * h <= 4096 * 4096:
            return "width*height must be within [1024*1024, 4096*4096]"
        if key != "jimeng_t2i_v40" and not (512 <= w <= 2048 and 512 <= h <= 2048):
            return "width and height must be within [512, 2048]"
        if not 1 / 3 <= w / h <= 3:
            return "aspect ratio must be within [1/3, 3]"
    return None


def _image_bytes(req_key: str, index: int) -> tuple[bytes, str]:
    from PIL import Image

    fmt = "PNG" if req_key == "jimeng_t2i_v31" else "JPEG"  # 4.0 answers JPEG, 3.1 PNG
    buf = io.BytesIO()
    Image.new("RGB", (64, 36), (40 * index % 256, 90, 160)).save(buf, fmt)
    return buf.getvalue(), f"image/{fmt.lower()}"


def _video_bytes(task_id: str) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + task_id.encode() * 64
