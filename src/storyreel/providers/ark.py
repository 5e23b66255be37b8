"""Volcengine Ark: Seedream 4.0 images (one synchronous call) and Seedance video (create, poll, download).

Vendor pages (facts copied into ../shared/reference/providers.md §1.1, §1.2, §9–§11; re-check them before trusting):
- API reference index, 火山方舟 → API 参考: https://www.volcengine.com/docs/82379
  "图片生成 API（Seedream 4.0 API）", "创建视频生成任务 API", "查询视频生成任务 API", "取消或删除视频生成任务"
  (2025-09; mirrored in github.com/bolecodex/volcano-ai-workshop, docs/api/gerenrate-image.md, docs/video.md,
  docs/video_task_info.md, docs/delele.md)
- Public error codes: https://www.volcengine.com/docs/82379/1299023
- Official SDK: github.com/volcengine/volcengine-python-sdk, volcenginesdkarkruntime/resources/content_generation/
- BytePlus (international) serves the same paths: https://ark.ap-southeast.bytepluses.com/api/v3

Quirks this file handles:
- Seedream is synchronous (10–60 s): ``submit`` makes the billable POST and returns a handle carrying the result
  URLs (valid 24 h), so ``fetch`` still works after a crash between the two. ``poll`` has nothing to ask.
- Seedream's ``watermark`` defaults to **true** (an "AI生成" mark): we always send ``false``. Seedance's ``--wm``
  defaults to false; we send it anyway.
- Seedream 4.0 takes no ``seed`` (only 3.0 does), so image takes are not reproducible; ``spec.seed`` is not sent.
- Group generation (``sequential_image_generation: auto``) lets the model choose how many images, up to
  ``max_images``; reference images plus outputs must stay within 15. One image can fail (moderation) while the
  others succeed, inside an HTTP 200; only successful images are billed (``usage.generated_images``).
- Seedance 1.0 takes its parameters as text commands appended to the prompt (``--rs 720p --rt 16:9 --dur 5``);
  1.5-pro takes them as body fields [community]. ``return_last_frame`` is a body field for both.
- Image roles are three exclusive modes (first frame; first+last frame; 1–4 reference images); 1.0-pro accepts only
  a first frame, reference mode has no 1080p. Durations are whole seconds; output is 24 fps.
- No negative prompt exists on either API: ``spec.negative_prompt`` is dropped (logged). ``spec.fps`` is not sent
  (Seedance makes 24 fps); a duration is rounded to whole seconds and the film's aspect sent as the nearest Seedance
  ratio, both logged. ``spec.draft`` on the image lane changes nothing: Seedream has no cheaper tier.
- Only queued tasks can be cancelled, and DELETE on a finished task *deletes* it (and its URLs), so ``cancel``
  looks at the task first and never deletes a result.
- Ark has no client reference: a create whose answer was lost cannot be found again, so it is
  ``SubmitOutcomeUnknown`` (parked for the director), never sent twice.
- The key goes on each API request, not on the client, so result downloads (pre-signed TOS URLs) never carry it.

``spec.metadata["ark"]`` may hold ``resolution``, ``ratio`` (also ``adaptive``), ``endpoint`` (an ``ep-…`` id to
call instead of the model id) and ``return_last_frame`` (default true). ``settings.options``: ``timeout``
(seconds, all phases) and ``region`` (``cn`` or ``intl``; default from the base URL).

Files: this one (the protocol, HTTP, error table, spec → plan); ``_ark_models.py`` (model ids, rate card, model
limits, Seedance output sizes). Input images are checked by ``storyreel.media.images`` against this file's limits.
"""

from __future__ import annotations

import base64
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from storyreel.errors import (
    AuthFailed,
    ConcurrencyLimited,
    InputModerated,
    InvalidInput,
    OutputModerated,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.media.images import HEAD_BYTES, inspect_image, sniff_format
from storyreel.model import Lane, TakeSpec
from storyreel.providers import net
from storyreel.providers._ark_models import (
    BODY_PARAMS,
    DRAFT_TIER,
    IMAGE_RULES,
    MODELS,
    PIXELS,
    PRICES,
    RATE_CARD_VERSION,
    RATIOS,
    SEED_RANGE,
    SEEDANCE_15_PRO,
    SEEDANCE_LITE_I2V,
    SEEDANCE_LITE_T2V,
    SEEDANCE_PRO,
    SEEDREAM_40,
    SEEDREAM_PIXELS,
    VIDEO_FPS,
)
from storyreel.providers.base import Capabilities, Estimate, Handle, ModelInfo, ProviderSettings, Result, Status

log = logging.getLogger("storyreel.providers.ark")

NAME = "ark"
KEY_ENV = "ARK_API_KEY"
DEFAULT_BASE_URL = "https://ark.cn-beijing.volces.com/api/v3"

# Seedance 1.0 text commands: we write them after the prompt ourselves, so a prompt may not carry its own.
_TEXT_COMMAND = re.compile(r"(?<!\S)--(rs|resolution|rt|ratio|dur|duration|fps|framespersecond|wm|watermark|seed"
                           r"|cf|camerafixed)\b")

# ---- errors: one table ----------------------------------------------------------------------------------------
# First match wins. A row matches when its HTTP status is None, equal, or in its range, and its code pattern is None
# or matches the start of Ark's ``error.code``. Codes come first; bare statuses catch codes not met yet.
_E = tuple[int | range | None, str | None, type[ProviderError], str, str]
ERRORS: tuple[_E, ...] = (
    (None, r"AuthenticationError", AuthFailed, f"check {KEY_ENV}", f"请检查 {KEY_ENV}"),
    (None, r"AccessDenied", AuthFailed, "this key may not use this model or endpoint", "此密钥无权使用该模型或接入点"),
    (None, r"AccountOverdueError|QuotaExceeded", QuotaExhausted,  # QuotaExceeded: 429, free quota gone [community]
     "top up the Volcengine account", "请为火山引擎账户充值"),
    (None, r"Input\w*(SensitiveContentDetected|RiskDetection)|SensitiveContentDetected", InputModerated,
     "change the prompt or input image", "请修改提示词或输入图片"),
    (None, r"Output\w*(SensitiveContentDetected|RiskDetection)", OutputModerated,
     "the result was withheld; try another seed or prompt", "结果未通过审核；可换种子或提示词"),
    (None, r".*Concurren", ConcurrencyLimited, "too many tasks running; it waits for a slot",  # [unverified] code
     "运行中的任务过多，等待空位"),
    (None, r"RateLimitExceeded|ModelAccount(Rpm|Tpm)RateLimitExceeded", RateLimited, "slowing down", "稍后重试"),
    (None, r"ServerOverloaded|InternalServiceError|ModelLoadingError|ContentSecurityDetectionError"
           r"|InvalidEndpoint\.ClosedEndpoint", TransientFailure, "Ark is busy; retrying later", "方舟繁忙，稍后重试"),
    (None, r"ModelNotOpen", InvalidInput, "activate the model in the Ark console", "请在方舟控制台开通该模型"),
    (None, r"InvalidEndpointOrModel|InvalidEndpoint|MissingParameter|InvalidParameter", InvalidInput,
     "the request was refused as invalid", "请求参数无效"),
    (401, None, AuthFailed, f"check {KEY_ENV}", f"请检查 {KEY_ENV}"),
    (403, None, AuthFailed, "check the key's permissions", "请检查密钥权限"),
    (429, None, RateLimited, "slowing down", "稍后重试"),
    (range(500, 600), None, TransientFailure, "retrying later", "稍后重试"),
    (range(400, 500), None, InvalidInput, "the request was refused", "请求被拒绝"),
    # A failed task (no HTTP status) with a code not met yet: a failure, but not one we can name.
    (None, None, ProviderError, "see the message", "见说明"),
)
_RETRY_AFTER_CLASSES = (RateLimited, ConcurrencyLimited, TransientFailure)


def ark_error(status: int | None, body: Any, *, headers: Any = None, key: str | None = None,
              what: str = "refused the request") -> ProviderError:
    """Translate an HTTP answer (or a failed task's ``error``, status None) through ``ERRORS``."""
    err = body.get("error") if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    code, vendor = str(err.get("code") or ""), str(err.get("message") or "")
    if key:  # belt and braces: a vendor echo must never put the key in a log or on screen
        vendor = vendor.replace(key, "***")
    cls, hint, hint_zh = ProviderError, "", ""
    for row_status, pattern, row_cls, row_hint, row_zh in ERRORS:
        if isinstance(row_status, range) and status not in row_status:
            continue
        if isinstance(row_status, int) and row_status != status:
            continue
        if pattern is not None and not (code and re.match(pattern, code)):
            continue
        cls, hint, hint_zh = row_cls, row_hint, row_zh
        break
    label = " ".join(x for x in (f"HTTP {status}" if status else "", code) if x) or "no code"
    msg = f"Ark {what} ({label}): {vendor or 'no message'}. {hint[:1].upper()}{hint[1:]}."
    zh = f"方舟{'拒绝了请求' if status else '任务失败'}（{label}）：{vendor or '无说明'}。{hint_zh}。"
    kw: dict[str, Any] = dict(zh=zh, provider=NAME, code=code, status=status)
    if issubclass(cls, _RETRY_AFTER_CLASSES):
        kw["retry_after"] = net.retry_after(headers) if headers is not None else None
    return cls(msg, **kw)


def _invalid(field: str, value: object, allowed: str, zh_field: str | None = None) -> InvalidInput:
    return InvalidInput(f"Ark cannot take {field}={value!r}; allowed: {allowed}.",
                        zh=f"方舟不支持 {zh_field or field}={value!r}；可用：{allowed}。", provider=NAME, field=field)


@dataclass(frozen=True)
class _Plan:
    """One spec resolved against a model: what will be sent and what it should cost."""

    model: ModelInfo
    kind: str
    images: tuple[tuple[str, str], ...]  # (role, path): role is edit/reference (image lane) or Seedance's role
    resolution: str = ""  # video tier
    ratio: str = ""  # sent ratio (may be "adaptive")
    dims: tuple[int, int] = (0, 0)  # output pixels (video: the tier table; image: the requested size)
    duration: int = 0


class ArkProvider:
    name = NAME

    def __init__(self, *, workdir: Path, settings: ProviderSettings | None = None) -> None:
        self.workdir = workdir
        self.settings = settings or ProviderSettings()
        self.base_url = net.base_url(NAME, DEFAULT_BASE_URL, self.settings.base_url)
        opts = dict(self.settings.options or {})
        region = opts.get("region") or ("intl" if "bytepluses" in self.base_url else "cn")
        self.intl = region == "intl"
        self.currency = "USD" if self.intl else "CNY"
        seconds = opts.get("timeout")
        self._timeout = httpx2.Timeout(float(seconds)) if seconds else net.DEFAULT_TIMEOUT
        self._client: httpx2.AsyncClient | None = None

    # ---- what Ark can do ----------------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(
            lanes=frozenset({Lane.IMAGE, Lane.VIDEO}), models=MODELS,
            # Ark's per-account task concurrency is not documented [unverified]; film.toml options can raise it.
            max_concurrency=int((self.settings.options or {}).get("max_concurrency", 2)),
            can_cancel=True,  # queued video tasks only
            can_lookup_by_client_ref=False, resubmit_is_free=False, charges_failed_jobs=False,
            currency=self.currency, key_env=KEY_ENV,
        )

    def estimate(self, spec: TakeSpec) -> Estimate:
        plan = self._plan(spec)
        price = PRICES[self.currency][plan.model.name]
        if spec.lane == Lane.IMAGE:
            return Estimate(spec.count * price, self.currency, f"{plan.model.name}: up to {spec.count} image(s) "
                            f"× {price:g} (rate card {RATE_CARD_VERSION})")
        w, h = plan.dims
        tokens = w * h * VIDEO_FPS * plan.duration / 1024
        return Estimate(tokens / 1e6 * price, self.currency,
                        f"{plan.model.name} {plan.resolution} {w}x{h} {plan.duration}s ≈ {tokens:.0f} tokens "
                        f"× {price:g}/M (rate card {RATE_CARD_VERSION})")

    def check(self, spec: TakeSpec) -> None:
        """Everything Ark would refuse, refused here first, before any money (and before any request)."""
        plan = self._plan(spec)
        for _role, path in plan.images:
            self._check_image(path, plan.model, spec.lane)
        if spec.lane == Lane.VIDEO:
            if not SEED_RANGE[0] <= spec.seed <= SEED_RANGE[1]:
                raise _invalid("seed", spec.seed, f"{SEED_RANGE[0]} … {SEED_RANGE[1]}", "种子")
            if command := _TEXT_COMMAND.search(spec.prompt):
                raise _invalid("prompt", command.group(0),
                               "no Ark text commands in the prompt (set duration, size, seed on the shot)", "提示词")
        net.api_key(NAME, KEY_ENV)  # AuthFailed when there is no key: nothing can be sent

    async def lookup(self, client_ref: str) -> Handle | None:
        return None  # Ark keeps no client reference: the engine parks unknown creates (can_lookup_by_client_ref)

    # ---- submit -------------------------------------------------------------------------------------------
    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle:
        # 1. check again: nothing Ark would refuse, and nothing without a key, leaves this machine.
        self.check(spec)
        plan = self._plan(spec)
        if spec.negative_prompt:
            log.info("ark: %s has no negative prompt; dropped %r", plan.model.name, spec.negative_prompt)
        # 2. build the body in Ark's words.
        body = self._image_body(spec, plan) if spec.lane == Lane.IMAGE else self._video_body(spec, plan)
        # 3. the billable create. Once sent, a lost answer is SubmitOutcomeUnknown, never a retry.
        path = "/images/generations" if spec.lane == Lane.IMAGE else "/contents/generations/tasks"
        answer = await self._call("POST", path, body=body, create=True)
        # 4. the handle: Seedream's result URLs (already made and billed), or the Seedance task id to poll.
        if spec.lane == Lane.IMAGE:
            return self._image_handle(answer, plan, client_ref)
        task_id = answer.get("id") if isinstance(answer, dict) else None
        if not task_id:
            raise SubmitOutcomeUnknown(
                "Ark accepted the video task but its answer held no task id; it may still run and be billed.",
                zh="方舟接受了视频任务但回复中没有任务 ID；任务可能仍在运行并计费。", provider=NAME)
        return Handle(remote_id=str(task_id), data={"api": "tasks", "model": plan.model.name})

    def _image_body(self, spec: TakeSpec, plan: _Plan) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._wire_model(spec, plan.model), "prompt": spec.prompt,
            "size": f"{plan.dims[0]}x{plan.dims[1]}", "response_format": "url",
            "watermark": False,  # Ark's default is true: an "AI生成" mark on every image
            "sequential_image_generation": "auto" if spec.count > 1 else "disabled",
        }
        if spec.count > 1:
            body["sequential_image_generation_options"] = {"max_images": spec.count}
        uris = [_data_uri(path) for _role, path in plan.images]
        if uris:
            body["image"] = uris[0] if len(uris) == 1 else uris
        return body

    def _video_body(self, spec: TakeSpec, plan: _Plan) -> dict[str, Any]:
        meta = spec.metadata.get(NAME, {})
        body: dict[str, Any] = {"model": self._wire_model(spec, plan.model)}
        if plan.model.name in BODY_PARAMS:  # newer API: parameters are fields [community]
            text = spec.prompt
            body.update(resolution=plan.resolution, ratio=plan.ratio, duration=plan.duration, seed=spec.seed,
                        watermark=False, generate_audio=False)
            if spec.camera_fixed is not None:
                body["camera_fixed"] = spec.camera_fixed
        else:  # Seedance 1.0: parameters are text commands after the prompt [verified, 2025-09]
            commands = [f"--rs {plan.resolution}", f"--rt {plan.ratio}", f"--dur {plan.duration}",
                        f"--seed {spec.seed}", "--wm false"]
            if spec.camera_fixed is not None:
                commands.append(f"--cf {'true' if spec.camera_fixed else 'false'}")
            text = f"{spec.prompt.strip()} {' '.join(commands)}"
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        for role, path in plan.images:
            content.append({"type": "image_url", "image_url": {"url": _data_uri(path)}, "role": role})
        body["content"] = content
        # The last frame (a PNG, no watermark) chains the next shot; it costs nothing extra.
        body["return_last_frame"] = bool(meta.get("return_last_frame", True))
        return body

    def _image_handle(self, answer: Any, plan: _Plan, client_ref: str) -> Handle:
        items = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            if isinstance(answer, dict) and answer.get("error"):  # an error inside HTTP 200 [unverified]
                raise ark_error(None, answer, key=self._key_or_none())
            raise TransientFailure("Ark answered the image request without results.",
                                   zh="方舟的图片请求回复中没有结果。", provider=NAME)
        urls = [item["url"] for item in items if isinstance(item, dict) and item.get("url")]
        errors = [item["error"] for item in items if isinstance(item, dict) and isinstance(item.get("error"), dict)]
        usage = answer.get("usage") or {}
        if errors:
            log.warning("ark: %d of %d images failed: %s", len(errors), len(items),
                        ", ".join(str(e.get("code")) for e in errors))
        if not urls:
            if errors:  # every image failed: nothing was billed; the first reason speaks for all
                raise ark_error(None, {"error": errors[0]}, key=self._key_or_none(), what="made no image")
            raise TransientFailure("Ark made no image and gave no reason.", zh="方舟没有生成图片，也未说明原因。",
                                   provider=NAME)
        # Written into the job before anything else happens: fetch() needs only this, even after a crash.
        return Handle(remote_id=f"seedream-{client_ref}", data={
            "api": "images", "model": plan.model.name, "urls": urls,
            "errors": [str(e.get("code") or "") for e in errors],
            "usage": {k: v for k, v in usage.items() if isinstance(v, (int, float))},
        })

    # ---- poll, fetch, cancel ------------------------------------------------------------------------------
    async def poll(self, handle: Handle) -> Status:
        if _is_image(handle):
            return Status(state="succeeded", progress=1.0)  # the synchronous call already finished
        task = await self._task(handle)
        raw = str(task.get("status") or "")
        if raw in ("queued", "running"):
            return Status(state=raw)
        if raw == "succeeded":
            return Status(state="succeeded", progress=1.0)
        if raw == "failed":
            return Status(state="failed", error=ark_error(None, task, key=self._key_or_none(), what="failed the task"))
        if raw == "cancelled":
            return Status(state="failed", error=ProviderError(
                f"Ark task {handle.remote_id} was cancelled; nothing was made or billed.",
                zh=f"方舟任务 {handle.remote_id} 已取消；没有生成，也未计费。", provider=NAME, state=raw))
        if raw == "expired":  # tied to execution_expires_after [unverified]
            return Status(state="failed", error=ResultExpired(
                f"Ark task {handle.remote_id} expired before it ran.", zh=f"方舟任务 {handle.remote_id} 已过期。",
                provider=NAME))
        # A status we do not know is never success: keep polling, loudly.
        log.warning("ark: task %s has an unknown status %r; polling on", handle.remote_id, raw)
        return Status(state="unknown")

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result:
        if _is_image(handle):
            return await self._fetch_images(handle, dest)
        task = await self._task(handle)
        content = task.get("content") or {}
        if task.get("status") != "succeeded" or not content.get("video_url"):
            raise TransientFailure(f"Ark task {handle.remote_id} has no video yet (status {task.get('status')!r}).",
                                   zh=f"方舟任务 {handle.remote_id} 还没有视频（状态 {task.get('status')!r}）。",
                                   provider=NAME)
        client = self._http()
        # Seedance URLs expire after 24 h: download both now, before the engine marks the job done.
        clip = await net.download(client, content["video_url"], dest / "clip.mp4", provider=NAME)
        last = None
        if content.get("last_frame_url"):
            last = await net.download(client, content["last_frame_url"], dest / "last_frame.png", provider=NAME)
        tokens = float((task.get("usage") or {}).get("completion_tokens") or 0)
        model = handle.data.get("model") or self._plan(spec).model.name
        price = PRICES[self.currency].get(model, PRICES[self.currency][SEEDANCE_PRO])
        return Result(clip=clip, keyframe=None, last_frame=last, cost=tokens / 1e6 * price,
                      usage={"completion_tokens": tokens})

    async def _fetch_images(self, handle: Handle, dest: Path) -> Result:
        urls = handle.data.get("urls") or []
        if not urls:
            raise ResultExpired("Ark's image URLs were not recorded with this job; the take must be made again.",
                                zh="此任务没有记录方舟图片链接；需要重新生成。", provider=NAME)
        client = self._http()
        images = tuple([await net.download(client, url, dest / f"image-{i + 1}.jpg", provider=NAME)
                        for i, url in enumerate(urls)])  # Seedream output is JPEG
        usage = handle.data.get("usage") or {}
        count = float(usage.get("generated_images", len(urls)))
        price = PRICES[self.currency].get(handle.data.get("model") or SEEDREAM_40, PRICES[self.currency][SEEDREAM_40])
        return Result(clip=None, keyframe=images[0], images=images, cost=count * price,
                      usage={"generated_images": count, "failed_images": float(len(handle.data.get("errors") or []))})

    async def cancel(self, handle: Handle) -> None:
        if _is_image(handle):
            return None  # synchronous: already made and billed, nothing to stop
        # DELETE on a finished task deletes it, URLs and all: only a queued task is ever sent one.
        task = await self._task(handle)
        status = task.get("status")
        if status == "queued":
            await self._call("DELETE", f"/contents/generations/tasks/{handle.remote_id}")
        elif status == "running":
            raise InvalidInput(f"Ark cannot cancel task {handle.remote_id}: it is already running and will finish "
                               "(and be billed).", zh=f"方舟无法取消任务 {handle.remote_id}：已在运行，将完成并计费。",
                               provider=NAME)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- HTTP -----------------------------------------------------------------------------------------------
    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = net.make_client(NAME, base_url=self.base_url, transport=self.settings.transport,
                                           timeout=self._timeout)
        return self._client

    def _key_or_none(self) -> str | None:
        try:
            return net.api_key(NAME, KEY_ENV)
        except AuthFailed:
            return None

    async def _task(self, handle: Handle) -> dict[str, Any]:
        task = await self._call("GET", f"/contents/generations/tasks/{handle.remote_id}", gone_on_404=True)
        if not isinstance(task, dict):
            raise TransientFailure("Ark answered a task query with something other than a task.",
                                   zh="方舟的任务查询回复格式不对。", provider=NAME)
        return task

    async def _call(self, method: str, path: str, *, body: Any = None, create: bool = False,
                    gone_on_404: bool = False) -> Any:
        key = net.api_key(NAME, KEY_ENV)
        try:
            resp = await self._http().request(method, path, json=body,
                                              headers={"Authorization": f"Bearer {key}"})
        except httpx2.TransportError as exc:
            raise net.transport_error(exc, provider=NAME, sent_create=create) from exc
        try:
            resp.raise_for_status()
        except httpx2.HTTPStatusError as exc:
            if gone_on_404 and resp.status_code == 404:  # deleted, or past Ark's 7-day query window
                raise ResultExpired(f"Ark no longer knows task {path.rsplit('/', 1)[-1]}.",
                                    zh=f"方舟已找不到任务 {path.rsplit('/', 1)[-1]}。", provider=NAME) from exc
            raise ark_error(resp.status_code, _json_or_none(resp), headers=resp.headers, key=key) from exc
        try:
            answer = resp.json() if resp.content else {}
        except ValueError as exc:
            if create:
                raise SubmitOutcomeUnknown("Ark accepted the create but its answer was unreadable; it may be billed.",
                                           zh="方舟接受了创建请求但回复无法解析；可能已计费。", provider=NAME) from exc
            raise TransientFailure("Ark's answer was not JSON.", zh="方舟的回复不是 JSON。", provider=NAME) from exc
        # An explicit error body, even under HTTP 200, is a refusal: nothing was made, so it is not "unknown".
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict) and "id" not in answer \
                and "data" not in answer:
            raise ark_error(resp.status_code, answer, headers=resp.headers, key=key)
        return answer

    # ---- spec → plan -----------------------------------------------------------------------------------------
    def _wire_model(self, spec: TakeSpec, model: ModelInfo) -> str:
        endpoint = spec.metadata.get(NAME, {}).get("endpoint")
        if endpoint:
            return str(endpoint)
        # BytePlus ids drop the "doubao-" prefix [community].
        return model.name.removeprefix("doubao-") if self.intl else model.name

    def _plan(self, spec: TakeSpec) -> _Plan:
        """Pick the model and the wire values for ``spec``; InvalidInput names the field, value and choices."""
        lane = Lane(spec.lane)
        meta = spec.metadata.get(NAME, {})
        if lane == Lane.IMAGE:
            images = tuple([("edit", spec.edit_source)] if spec.edit_source else []) + tuple(
                ("reference", p) for p in spec.references)
            kind = "edit" if images else "t2i"
        else:
            if spec.references and (spec.first_frame or spec.last_frame):
                raise _invalid("references", len(spec.references),
                               "reference images, or a first (and last) frame, not both", "参考图")
            if spec.last_frame and not spec.first_frame:
                raise _invalid("last_frame", spec.last_frame, "a last frame only together with a first frame", "尾帧")
            if spec.references:
                kind, images = "reference", tuple(("reference_image", p) for p in spec.references)
            elif spec.first_frame and spec.last_frame:
                kind, images = "first_last", (("first_frame", spec.first_frame), ("last_frame", spec.last_frame))
            elif spec.first_frame:
                kind, images = "i2v", (("first_frame", spec.first_frame),)
            else:
                kind, images = "t2v", ()
        model = self._model(spec, lane, kind)

        if lane == Lane.IMAGE:
            if len(images) > model.max_references:
                raise _invalid("references", len(images), f"at most {model.max_references} input images", "参考图数量")
            if spec.count > 1 and len(images) + spec.count > 15:
                raise _invalid("count", spec.count, f"input images + outputs ≤ 15 (you give {len(images)} images)",
                               "数量")
            area, aspect = spec.width * spec.height, spec.width / spec.height
            lo, hi = SEEDREAM_PIXELS
            if not (lo <= area <= hi and 1 / 16 <= aspect <= 16):
                raise _invalid("size", f"{spec.width}x{spec.height}", "1280x720 … 4096x4096 total pixels, aspect "
                               "1/16 … 16 (e.g. 2560x1440 for 16:9)", "尺寸")
            return _Plan(model, kind, images, dims=(spec.width, spec.height))

        if spec.count != 1:
            raise _invalid("count", spec.count, "1 (one video per Seedance task)", "数量")
        if kind == "reference" and len(images) > model.max_references:
            raise _invalid("references", len(images), f"1 … {model.max_references} reference images", "参考图数量")
        duration = math.floor(spec.seconds + 0.5)
        if float(duration) not in model.durations:
            allowed = f"{model.durations[0]:g} … {model.durations[-1]:g} s, whole seconds"
            raise _invalid("duration", f"{spec.seconds:g}s", allowed, "时长")
        if abs(spec.seconds - duration) > 1e-6:
            log.info("ark: %.3g s rounded to %d s (Seedance makes whole seconds)", spec.seconds, duration)
        nearest = min(RATIOS, key=lambda r: abs(math.log(spec.width / spec.height) - math.log(_ratio_value(r))))
        ratio = str(meta.get("ratio") or nearest)
        if ratio not in RATIOS + ("adaptive",):
            raise _invalid("ratio", ratio, ", ".join(RATIOS + ("adaptive",)), "宽高比")
        if ratio != spec.ratio and "ratio" not in meta:
            log.info("ark: aspect %s sent as the nearest Seedance ratio %s", spec.ratio, ratio)
        dims_ratio = nearest if ratio == "adaptive" else ratio
        allowed_tiers = tuple(t for t in model.resolutions if not (kind == "reference" and t == "1080p"))
        if spec.draft:
            resolution = DRAFT_TIER
        elif meta.get("resolution"):
            resolution = str(meta["resolution"])
        else:  # the tier nearest the film's size; reference mode tops out at 720p
            short = min(spec.width, spec.height)
            resolution = min(allowed_tiers, key=lambda t: abs(min(PIXELS[t][dims_ratio]) - short))
        if resolution not in allowed_tiers:
            raise _invalid("resolution", resolution, ", ".join(allowed_tiers)
                           + (" (no 1080p with reference images)" if kind == "reference" else ""), "分辨率")
        return _Plan(model, kind, images, resolution=resolution, ratio=ratio, dims=PIXELS[resolution][dims_ratio],
                     duration=duration)

    def _model(self, spec: TakeSpec, lane: Lane, kind: str) -> ModelInfo:
        lane_models = [m for m in MODELS if m.lane == lane]
        if spec.model is None:  # the lane's first model that can do this kind of take
            model = next((m for m in lane_models if kind in m.kinds), None)
        else:
            wanted = spec.model if spec.model.startswith("doubao-") else f"doubao-{spec.model}"
            model = next((m for m in lane_models if m.name == wanted), None)
            if model is None:
                names = ", ".join(m.name for m in lane_models)
                raise InvalidInput(f"Ark has no {lane.value} model '{spec.model}'. Models: {names}.",
                                   zh=f"方舟没有{lane.value}模型 '{spec.model}'。可用：{names}。", provider=NAME,
                                   field="model")
        if model is None or kind not in model.kinds:
            able = ", ".join(m.name for m in lane_models if kind in m.kinds) or "none"
            raise _invalid("model", spec.model or "(default)", f"for a {kind} take: {able}", "模型")
        if spec.draft:  # the cheap tier with the same seed and inputs, where the model has one for this kind
            model = next((m for m in lane_models if m.draft_of == model.name and kind in m.kinds), model)
        return model

    def _check_image(self, path: str, model: ModelInfo, lane: Lane) -> None:
        # Present, within the model's bytes and formats, readable, no bomb: media.images. Sides and aspect: Ark's.
        facts = inspect_image(path, max_bytes=model.max_image_bytes, formats=model.image_formats,
                              subject=(f"Ark image for {model.name}", f"方舟 {model.name} 的输入图片"), provider=NAME,
                              field="image")
        w, h = facts.width, facts.height
        lo, hi, amin, amax, strict, max_pixels = IMAGE_RULES[lane]
        sides_ok = all((lo < s if strict else lo <= s) and (hi is None or (s < hi if strict else s <= hi))
                       for s in (w, h))
        aspect = w / h
        aspect_ok = (amin < aspect < amax) if strict else (amin <= aspect <= amax)
        if not sides_ok or not aspect_ok or (max_pixels and w * h > max_pixels):
            rule = f"sides {lo}…{hi or '∞'} px, aspect {amin:.2g}…{amax:.2g}" + (
                f", ≤ {max_pixels} pixels" if max_pixels else "")
            raise _invalid("image", f"{Path(path).name} ({w}x{h})", rule, "图片尺寸")


def _is_image(handle: Handle) -> bool:
    return handle.data.get("api") == "images" or handle.remote_id.startswith("seedream-")


def _ratio_value(ratio: str) -> float:
    w, h = ratio.split(":")
    return int(w) / int(h)


def _data_uri(path: str) -> str:
    data = Path(path).read_bytes()
    fmt = sniff_format(data[:HEAD_BYTES]) or "png"
    return f"data:image/{fmt};base64,{base64.b64encode(data).decode('ascii')}"  # Ark wants the format lowercase


def _json_or_none(resp: httpx2.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


__all__ = ["ArkProvider", "ERRORS", "MODELS", "PIXELS", "PRICES", "RATE_CARD_VERSION", "SEEDANCE_15_PRO",
           "SEEDANCE_LITE_I2V", "SEEDANCE_LITE_T2V", "SEEDANCE_PRO", "SEEDREAM_40", "ark_error"]
