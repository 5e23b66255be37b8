"""PixVerse platform API behind the provider protocol: text→video, image→video and first/last-frame transitions.

Vendor pages, under https://docs.platform.pixverse.ai/ :
  text-to-video-generation-13016634e0, image-to-video-generation-13016633e0,
  transitionfirst-last-frame-generation-15123014e0, upload-image-13016631e0,
  get-video-generation-status-13016632e0, extend-generation-19094393e0 (not used, see below),
  error-codes-796041m0, common-errors-and-solutions-882978m0, and the "Model & Pricing" page.
Field schemas cross-checked with ComfyUI ``comfy_api_nodes/apis/pixverse.py`` and the community
``heshaojian/pixverse-api-kit``; facts as summarised in shared/reference/providers.md §2.

Quirks this file handles:

- Every request carries ``API-KEY`` and an ``Ai-trace-id`` (a UUID, required, unique per request). Uploads and
  polls get a fresh uuid4. The *create* call's trace id is our ``client_ref`` (as a UUID), see below.
- HTTP 200 does not mean success: the body is ``{ErrCode, ErrMsg, Resp}`` and only ``ErrCode == 0`` is success.
  Codes are translated in the one table ``_ERRCODES``; a code not in it is ``InvalidInput`` (never retried blind;
  the message names the code so the table can grow).
- Video and image ids are uint64 and exceed 2^53. They are read with ``json.loads`` (exact Python ints, never
  floats), kept as decimal strings in ``Handle.remote_id``, and sent back as JSON *numbers* (the schemas type
  them as integers; a community kit reports quoted ids being rejected). A float id is refused, never rounded.
- Images are uploaded first (``POST /image/upload``, multipart field ``image``: png/jpeg/webp, under 20 MB, at
  most 4000×4000) and referred to by ``img_id``. Uploads are free, so a failed upload is ``TransientFailure`` or
  ``InvalidInput`` and safe to retry; only the create is billable.
- Statuses are integers: 5 generating, 1 done, 6 deleted (``ResultExpired``), 7 moderation (``InputModerated``:
  the reference files status 7 under input moderation; PixVerse does not say whether prompt or output tripped
  it), 8 failed. Anything else is "unknown": keep polling, log loudly, never treat as success.
- Cost is in credits ($1 = 100 credits): ``Resp.credits`` when the API reports it (create or result), else the
  rate card below (model × quality × duration, ×2 for ``fast`` motion). Only the models with a captured rate card
  are offered (v3.5, v4, v4.5, v5): v5.5/v5.6/v6/C1 are priced per second at rates we do not have, and a
  budget cannot be honoured without them.
- ``aspect_ratio`` is sent for text→video only; image-driven videos follow the image.
- ``draft`` renders at 540p (same credits as 360p "Turbo", more legible) in ``normal`` motion, with the same
  seed, prompt and images, so ``storyreel upgrade`` re-renders the same take at full quality.
- Dropped on purpose: ``camera_fixed`` (no matching field on v5), reference images (fusion is not implemented;
  ``check`` refuses them rather than silently ignoring them), and extend: the reference documents the
  ``/video/extend/generate`` path but not its fields (sources disagree: ``source_video_id``, ``video_id``,
  ``video_media_id``), so ``metadata["pixverse"]["extend_from"]`` is refused until confirmed.
- No cancel endpoint: a started task runs to the end.

Client reference and reconciliation: sources disagree whether a reused ``Ai-trace-id`` is an idempotency key
(the vendor calls it a unique per-request id; a community kit reuses it for deliberate recovery), and PixVerse
documents no look-up of a task by trace id. So ``can_lookup_by_client_ref`` is False and a create whose answer
was lost is parked for the director (``SubmitOutcomeUnknown``). The create still sends ``client_ref`` as its
trace id: if PixVerse does de-duplicate on it, a repeated create returns the original task instead of paying
twice; if it rejects reuse, the repeat fails loudly without charge. Either way nothing is paid twice. Only after
PixVerse has *definitely refused* a create (429, concurrency, 5xx, an ErrCode) does the engine's retry of the
same job get a derived trace id: nothing was made, and a strict PixVerse would otherwise refuse the retry as a
reused trace id (or, de-duplicating, replay the cached refusal).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from storyreel.errors import (AuthFailed, ConcurrencyLimited, InputModerated, InvalidInput, ProviderError,
                              QuotaExhausted, RateLimited, ResultExpired, SubmitOutcomeUnknown, TransientFailure)
from storyreel.media.images import inspect_image
from storyreel.model import Lane, TakeSpec
from storyreel.providers import net
from storyreel.providers.base import Capabilities, Estimate, Handle, ModelInfo, ProviderSettings, Result, Status

log = logging.getLogger("storyreel.providers.pixverse")

NAME = "pixverse"
DEFAULT_BASE_URL = "https://app-api.pixverse.ai/openapi/v2"
KEY_ENV = "PIXVERSE_API_KEY"

QUALITIES = ("360p", "540p", "720p", "1080p")  # cheapest first
_TIER_HEIGHT = {"360p": 360, "540p": 540, "720p": 720, "1080p": 1080}
DRAFT_QUALITY = "540p"
ASPECT_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16")
MOTION_MODES = ("normal", "fast")
DURATIONS = (5, 8)
MAX_PROMPT_CHARS = 2048
MAX_SEED = 2_147_483_647  # "int32 random number between 0 - 2147483647"
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # "under 20 MB"
MAX_IMAGE_SIDE = 4000
IMAGE_FORMATS = ("png", "jpeg", "webp")
DEFAULT_MODEL = "v5"

# Credits per clip by model and quality, for 5 s and 8 s, ``normal`` motion ("Model & Pricing", verified).
# None: that combination is not offered (older models make no 8 s clips at 1080p). ``fast`` doubles the price.
CREDITS: dict[str, dict[str, tuple[int, int | None]]] = {
    "v5": {"360p": (45, 90), "540p": (45, 90), "720p": (60, 120), "1080p": (120, 240)},
    **{m: {"360p": (45, 90), "540p": (45, 90), "720p": (60, 120), "1080p": (120, None)}
       for m in ("v4.5", "v4", "v3.5")},
}
CREDITS_PER_DOLLAR = 100

# Result statuses of GET /video/result/{id} (verified).
_RUNNING, _SUCCEEDED, _DELETED, _MODERATED, _FAILED = 5, 1, 6, 7, 8

# The one ErrCode table. Confidence: 400011/400012/400017 from Tencent Cloud's mirror of PixVerse's code list
# [community]; 500044 from the reference [unverified]; the rest from PixVerse's "Error codes" page as
# remembered, not re-checked [unverified]. A code missing here is InvalidInput (see ``_raise_errcode``).
_ERRCODES: dict[int, tuple[type[ProviderError], str, str]] = {
    400011: (InvalidInput, "a required parameter is empty", "必填参数为空"),
    400012: (AuthFailed, "the account behind this API key is not valid; check PIXVERSE_API_KEY",
             "该 API 密钥对应的账号无效；请检查 PIXVERSE_API_KEY"),
    400017: (InvalidInput, "a parameter is invalid", "参数无效"),
    400018: (InvalidInput, "the prompt or negative prompt is longer than 2048 characters", "提示词或反向提示词超过 2048 字符"),
    500043: (QuotaExhausted, "all credits are used up; top up the PixVerse API account", "积分已用完；请为 PixVerse API 账户充值"),
    500044: (ConcurrencyLimited, "the plan's limit of concurrent generations is reached", "已达到套餐的并发生成上限"),
    500054: (InputModerated, "the prompt or image was refused by PixVerse's content moderation",
             "提示词或图片未通过 PixVerse 内容审核"),
    500063: (InputModerated, "the prompt or image was refused by PixVerse's content moderation",
             "提示词或图片未通过 PixVerse 内容审核"),
    500069: (TransientFailure, "PixVerse is under high load", "PixVerse 当前负载过高"),
    500090: (QuotaExhausted, "the account balance is insufficient; top up the PixVerse API account",
             "账户余额不足；请为 PixVerse API 账户充值"),
}

_ENDPOINTS = {"t2v": "/video/text/generate", "i2v": "/video/img/generate", "first_last": "/video/transition/generate"}
_OPTION_KEYS = frozenset({"quality", "motion_mode"})  # what metadata["pixverse"] may carry


class PixVerseErrCode(Exception):
    """The vendor's own words, kept as the cause of the translated error (``raise ... from``)."""

    def __init__(self, code: int, message: str, trace_id: str) -> None:
        super().__init__(f"ErrCode {code}: {message} (Ai-trace-id {trace_id})")
        self.code, self.message, self.trace_id = code, message, trace_id


@dataclass(frozen=True)
class _Plan:
    """One spec translated to PixVerse words, before any image is uploaded."""

    kind: str  # t2v | i2v | first_last
    model: str
    quality: str
    duration: int
    motion_mode: str
    credits: int
    images: tuple[Path, ...]  # first frame, then last frame


def _invalid(en: str, zh: str, **context: object) -> InvalidInput:
    return InvalidInput(f"PixVerse: {en}", zh=f"PixVerse：{zh}", provider=NAME, **context)


def credits_for(model: str, quality: str, duration: int, motion_mode: str) -> int:
    """Rate-card credits for one clip; InvalidInput for a combination PixVerse does not sell."""
    if model not in CREDITS:
        raise _invalid(f"unknown model '{model}'. Models: {', '.join(CREDITS)}.",
                       f"未知模型 '{model}'。可用：{'、'.join(CREDITS)}。", field="model")
    if quality not in CREDITS[model]:
        raise _invalid(f"unsupported quality '{quality}'. Qualities: {', '.join(QUALITIES)}.",
                       f"不支持的清晰度 '{quality}'。可用：{'、'.join(QUALITIES)}。", field="quality")
    if duration not in DURATIONS:
        raise _invalid(f"unsupported duration {duration} s; PixVerse makes 5 s or 8 s clips.",
                       f"不支持的时长 {duration} 秒；PixVerse 只生成 5 秒或 8 秒的视频。", field="duration")
    price = CREDITS[model][quality][DURATIONS.index(duration)]
    if price is None:
        raise _invalid(f"{model} makes no {duration} s clips at {quality}; use 5 s or a lower quality.",
                       f"{model} 不支持 {quality} 的 {duration} 秒视频；请改用 5 秒或较低清晰度。", field="duration")
    return price * (2 if motion_mode == "fast" else 1)


def trace_id_for(client_ref: str, refusals: int = 0) -> str:
    """The create call's Ai-trace-id: the client_ref itself when it is a UUID (storyreel writes uuid4 hex), else a
    UUID derived from it, so the same job always sends the same trace id. After ``refusals`` definite refusals of
    that job's create, a derived id instead: a refused create made nothing to protect, and PixVerse wants each
    request's trace id unique (so an engine retry after a 429 is not turned away as a reused trace id)."""
    if refusals:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"storyreel:{client_ref}:retry-{refusals}"))
    try:
        return str(uuid.UUID(client_ref))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"storyreel:{client_ref}"))


def _id_text(value: Any) -> str | None:
    """A uint64 id as exact decimal text; None when missing or not an exact integer (a float was already rounded)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    return None


def _status_of(resp: dict[str, Any]) -> int | None:
    raw = resp.get("status")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def _quality_for(spec: TakeSpec) -> str:
    """The smallest tier that holds the frame's short side (a 1280×720 film renders at 720p)."""
    short = min(spec.width, spec.height)
    for tier in QUALITIES:
        if short <= _TIER_HEIGHT[tier]:
            return tier
    raise _invalid(f"the frame {spec.width}×{spec.height} is larger than PixVerse's 1080p; render at 1080p or less.",
                   f"画面 {spec.width}×{spec.height} 超过 PixVerse 的 1080p 上限；请改为 1080p 或更低。", field="height")


class PixVerseProvider:
    name = NAME

    def __init__(self, *, workdir: Path, settings: ProviderSettings) -> None:
        self.workdir = workdir
        self.settings = settings
        self.base_url = net.base_url(NAME, DEFAULT_BASE_URL, settings.base_url)
        self._client: httpx2.AsyncClient | None = None
        self._refusals: dict[str, int] = {}  # client_ref → creates PixVerse definitely refused (this process)

    # -- what this provider can do -------------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        models = tuple(
            ModelInfo(m, Lane.VIDEO, ("t2v", "i2v", "first_last"), durations=tuple(float(d) for d in DURATIONS),
                      resolutions=QUALITIES, max_references=0, max_image_bytes=MAX_IMAGE_BYTES,
                      image_formats=IMAGE_FORMATS)
            for m in CREDITS  # v5 first: the default model
        )
        return Capabilities(
            lanes=frozenset({Lane.VIDEO}), models=models,
            # Concurrency is plan-based (5 reported on "Essential"); 2 is safe on any plan, film.toml can raise it.
            max_concurrency=int(self.settings.options.get("max_concurrency", 2)),
            can_cancel=False,
            can_lookup_by_client_ref=False,  # no documented look-up by Ai-trace-id: see the module docstring
            resubmit_is_free=False, charges_failed_jobs=False, currency="credits", key_env=KEY_ENV,
        )

    def estimate(self, spec: TakeSpec) -> Estimate:
        plan = self._plan(spec)
        return Estimate(float(plan.credits), "credits",
                        f"{plan.credits} credits ≈ ${plan.credits / CREDITS_PER_DOLLAR:.2f} "
                        f"({plan.model} {plan.quality} {plan.duration}s {plan.motion_mode}, PixVerse rate card)")

    def check(self, spec: TakeSpec) -> None:
        """Everything PixVerse would refuse, found before anything is sent: model, duration, quality, ratio, seed,
        prompt length, images (present, png/jpeg/webp by their bytes, under 20 MB, at most 4000×4000), the key."""
        plan = self._plan(spec)
        for path in plan.images:
            self._read_image(path)
        net.api_key(NAME, KEY_ENV)

    # -- the job -------------------------------------------------------------------------------------------------

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle:
        # 1. translate and validate; read the images now so a bad file fails before any request.
        plan = self._plan(spec)
        images = [(path, self._read_image(path)) for path in plan.images]

        # 2. upload the frames (free, safe to retry) and collect their img_ids, exact ints.
        img_ids = [await self._upload(path, data, fmt) for path, (data, fmt) in images]

        # 3. the body, in PixVerse's words.
        body: dict[str, Any] = {"prompt": spec.prompt, "model": plan.model, "duration": plan.duration,
                                "quality": plan.quality, "motion_mode": plan.motion_mode, "seed": spec.seed}
        if spec.negative_prompt:
            body["negative_prompt"] = spec.negative_prompt
        if plan.kind == "t2v":
            body["aspect_ratio"] = spec.ratio
        elif plan.kind == "i2v":
            body["img_id"] = img_ids[0]
        else:
            body["first_frame_img"], body["last_frame_img"] = img_ids

        # 4. the one billable call. Its trace id is our client_ref: see the module docstring.
        trace = trace_id_for(client_ref, self._refusals.get(client_ref, 0))
        try:
            resp = await self._call("POST", _ENDPOINTS[plan.kind], trace=trace, create=True, json=body)
        except SubmitOutcomeUnknown:
            raise  # the trace id stays: it may name a task PixVerse made
        except ProviderError:
            self._refusals[client_ref] = self._refusals.get(client_ref, 0) + 1
            raise

        # 5. the remote id, exact, is what lets the engine resume without paying again.
        video_id = _id_text(resp.get("video_id"))
        if video_id is None:
            raise SubmitOutcomeUnknown(
                f"PixVerse accepted the create (Ai-trace-id {trace}) but returned no usable video_id "
                f"({resp.get('video_id')!r}); find the task in the PixVerse console before retrying.",
                zh=f"PixVerse 接受了创建请求（Ai-trace-id {trace}），但没有返回可用的 video_id；"
                   "请先在 PixVerse 控制台核对再重试。", provider=NAME, trace_id=trace)
        data: dict[str, Any] = {"trace_id": trace, "kind": plan.kind, "model": plan.model, "quality": plan.quality,
                                "duration": plan.duration, "motion_mode": plan.motion_mode}
        if isinstance(resp.get("credits"), int):
            data["credits"] = resp["credits"]
        return Handle(remote_id=video_id, data=data)

    async def lookup(self, client_ref: str) -> Handle | None:
        # Never "None" (that would tell the engine PixVerse never saw the create, and it would pay again).
        trace = trace_id_for(client_ref)
        raise SubmitOutcomeUnknown(
            f"PixVerse cannot look a task up by our reference; check the PixVerse console for Ai-trace-id {trace} "
            "before retrying.",
            zh=f"PixVerse 无法按客户端引用查询任务；重试前请在 PixVerse 控制台核对 Ai-trace-id {trace}。", provider=NAME)

    async def poll(self, handle: Handle) -> Status:
        resp = await self._result(handle)
        status = _status_of(resp)
        if status == _RUNNING:
            return Status("running", retry_after=float(self.settings.options.get("poll_interval", 5.0)))
        if status == _SUCCEEDED and resp.get("url"):
            return Status("succeeded", progress=1.0)
        if status == _DELETED:
            return Status("failed", error=ResultExpired(
                f"PixVerse video {handle.remote_id} was deleted; generate this take again.",
                zh=f"PixVerse 视频 {handle.remote_id} 已被删除；请重新生成此条。", provider=NAME))
        if status == _MODERATED:
            return Status("failed", error=InputModerated(
                f"PixVerse withheld video {handle.remote_id} after content moderation (status 7); change the "
                "prompt or images.",
                zh=f"PixVerse 视频 {handle.remote_id} 未通过内容审核（状态 7）；请修改提示词或图片。", provider=NAME))
        if status == _FAILED:
            return Status("failed", error=ProviderError(
                f"PixVerse could not generate video {handle.remote_id} (status 8); try another seed or prompt.",
                zh=f"PixVerse 生成视频 {handle.remote_id} 失败（状态 8）；请换个种子或提示词再试。", provider=NAME))
        log.warning("PixVerse video %s: unexpected status %r (url %s); still polling", handle.remote_id,
                    resp.get("status"),
                    "present" if resp.get("url") else "absent")
        return Status("unknown")

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result:
        # Ask again rather than trust a stored URL: the engine may fetch long after the poll.
        resp = await self._result(handle)
        status = _status_of(resp)
        if status == _DELETED:
            raise ResultExpired(f"PixVerse video {handle.remote_id} was deleted; generate this take again.",
                                zh=f"PixVerse 视频 {handle.remote_id} 已被删除；请重新生成此条。", provider=NAME)
        url = resp.get("url")
        if status != _SUCCEEDED or not isinstance(url, str) or not url:
            raise TransientFailure(f"PixVerse video {handle.remote_id} is not ready to download yet.",
                                   zh=f"PixVerse 视频 {handle.remote_id} 尚不可下载。", provider=NAME)
        # Result URLs expire (lifetime undocumented): download now, before the engine marks the take done.
        clip = await net.download(self._http(), url, dest / "clip.mp4", provider=NAME)
        credits = self._settled_credits(handle, spec, resp)
        return Result(clip=clip, keyframe=None, cost=float(credits),
                      usage={"credits": float(credits), "usd": credits / CREDITS_PER_DOLLAR,
                             "seconds": float(handle.data.get("duration") or spec.seconds)})

    async def cancel(self, handle: Handle) -> None:
        log.info("PixVerse has no cancel endpoint; video %s runs to the end", handle.remote_id)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- translation ---------------------------------------------------------------------------------------------

    def _plan(self, spec: TakeSpec) -> _Plan:
        if spec.lane != Lane.VIDEO:
            raise _invalid("this adapter makes videos only; use another provider for images.",
                           "此适配器只生成视频；图片请使用其他生成服务。", field="lane")
        opts = dict(spec.metadata.get(NAME) or {})
        if "extend_from" in opts:
            raise _invalid("extend is not supported yet: PixVerse's extend fields are not confirmed.",
                           "暂不支持续写（extend）：PixVerse 续写接口的字段尚未确认。", field="metadata.pixverse.extend_from")
        unknown = sorted(set(opts) - _OPTION_KEYS)
        if unknown:
            raise _invalid(f"unknown option(s) {', '.join(unknown)} under metadata['pixverse']; "
                           f"known: {', '.join(sorted(_OPTION_KEYS))}.",
                           f"metadata['pixverse'] 中有未知选项 {'、'.join(unknown)}；"
                           f"可用：{'、'.join(sorted(_OPTION_KEYS))}。", field="metadata.pixverse")
        if spec.references:
            raise _invalid("reference images (fusion) are not supported by this adapter; remove them or use "
                           "a first frame.", "此适配器不支持参考图（fusion）；请移除或改用首帧。", field="references")
        if spec.edit_source:
            raise _invalid("image editing is not a PixVerse video feature.", "PixVerse 视频不支持图片编辑。",
                           field="edit_source")
        if spec.count != 1:
            raise _invalid(f"one clip per request; got count={spec.count}.", f"每次请求只生成一条；收到 count={spec.count}。",
                           field="count")
        if spec.last_frame and not spec.first_frame:
            raise _invalid("a last frame needs a first frame (transition).", "尾帧需要同时提供首帧（首尾帧过渡）。",
                           field="last_frame")
        model = spec.model or DEFAULT_MODEL
        seconds = spec.seconds
        duration = next((d for d in DURATIONS if abs(seconds - d) < 1e-6), None)
        if duration is None:
            raise _invalid(f"PixVerse makes 5 s or 8 s clips; this shot asks for {seconds:g} s "
                           f"({spec.frames} frames at {spec.fps} fps).",
                           f"PixVerse 只生成 5 秒或 8 秒的视频；此镜头需要 {seconds:g} 秒（{spec.frames} 帧，{spec.fps} fps）。",
                           field="frames")
        quality = opts.get("quality") or _quality_for(spec)
        motion = opts.get("motion_mode", "normal")
        if motion not in MOTION_MODES:
            raise _invalid(f"unknown motion_mode '{motion}'; use normal or fast.",
                           f"未知 motion_mode '{motion}'；可用 normal 或 fast。", field="motion_mode")
        if spec.draft:
            # The cheap tier: lower quality and normal motion, same seed, prompt and images.
            if quality not in QUALITIES or QUALITIES.index(quality) > QUALITIES.index(DRAFT_QUALITY):
                quality = DRAFT_QUALITY
            motion = "normal"
        if motion == "fast" and (duration != 5 or quality == "1080p"):
            raise _invalid("fast motion is 5 s only and not at 1080p.", "fast 运动模式只支持 5 秒且不支持 1080p。",
                           field="motion_mode")
        credits = credits_for(model, quality, duration, motion)
        if not spec.prompt.strip():
            raise _invalid("the prompt is empty.", "提示词为空。", field="prompt")
        for field_name, text in (("prompt", spec.prompt), ("negative_prompt", spec.negative_prompt or "")):
            if len(text) > MAX_PROMPT_CHARS:
                raise _invalid(f"{field_name} has {len(text)} characters; the limit is {MAX_PROMPT_CHARS}.",
                               f"{field_name} 有 {len(text)} 个字符，上限为 {MAX_PROMPT_CHARS}。", field=field_name)
        if not 0 <= spec.seed <= MAX_SEED:
            raise _invalid(f"seed {spec.seed} is outside 0…{MAX_SEED}.", f"种子 {spec.seed} 超出 0…{MAX_SEED}。",
                           field="seed")
        images = tuple(Path(p) for p in (spec.first_frame, spec.last_frame) if p)
        kind = {0: "t2v", 1: "i2v", 2: "first_last"}[len(images)]
        if kind == "t2v" and spec.ratio not in ASPECT_RATIOS:
            raise _invalid(f"aspect ratio {spec.ratio} ({spec.width}×{spec.height}) is not offered; "
                           f"use {', '.join(ASPECT_RATIOS)}.",
                           f"不支持画幅 {spec.ratio}（{spec.width}×{spec.height}）；可用：{'、'.join(ASPECT_RATIOS)}。",
                           field="width")
        return _Plan(kind, model, quality, duration, motion, credits, images)

    def _read_image(self, path: Path) -> tuple[bytes, str]:
        """The file's bytes and format, or InvalidInput naming the file and what is wrong with it."""
        facts = inspect_image(path, max_bytes=MAX_IMAGE_BYTES - 1, formats=IMAGE_FORMATS,  # "under 20 MB"
                              subject=("PixVerse image", "PixVerse 图片"), provider=NAME, field="image")
        if max(facts.width, facts.height) > MAX_IMAGE_SIDE:
            raise _invalid(f"image {path.name} is {facts.width}×{facts.height}; PixVerse takes at most "
                           f"{MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}.",
                           f"图片 {path.name} 为 {facts.width}×{facts.height}；PixVerse 最大支持 "
                           f"{MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}。", field="image", path=str(path))
        return path.read_bytes(), facts.format

    def _settled_credits(self, handle: Handle, spec: TakeSpec, resp: dict[str, Any]) -> int:
        for reported in (resp.get("credits"), handle.data.get("credits")):
            if isinstance(reported, int) and not isinstance(reported, bool):
                return reported
        d = handle.data
        if {"model", "quality", "duration", "motion_mode"} <= d.keys():
            return credits_for(d["model"], d["quality"], d["duration"], d["motion_mode"])
        return self._plan(spec).credits

    # -- HTTP ----------------------------------------------------------------------------------------------------

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            timeout = self.settings.options.get("timeout")
            self._client = net.make_client(
                NAME, base_url=self.base_url, transport=self.settings.transport,
                timeout=httpx2.Timeout(float(timeout)) if timeout is not None else net.DEFAULT_TIMEOUT)
        return self._client

    async def _upload(self, path: Path, data: bytes, fmt: str) -> int:
        resp = await self._call("POST", "/image/upload", files={"image": (path.name, data, f"image/{fmt}")})
        img_id = resp.get("img_id")
        if isinstance(img_id, bool) or not isinstance(img_id, int):
            # Nothing billable happened yet, so a retry is safe.
            raise TransientFailure(f"PixVerse accepted the upload of {path.name} but returned no img_id.",
                                   zh=f"PixVerse 接收了 {path.name} 的上传，但没有返回 img_id。", provider=NAME)
        return img_id

    async def _result(self, handle: Handle) -> dict[str, Any]:
        if _id_text(handle.remote_id) is None:
            raise _invalid(f"'{handle.remote_id}' is not a PixVerse video id.",
                           f"'{handle.remote_id}' 不是 PixVerse 视频 id。", field="remote_id")
        return await self._call("GET", f"/video/result/{handle.remote_id}")

    async def _call(self, method: str, path: str, *, trace: str | None = None, create: bool = False,
                    **kwargs: Any) -> dict[str, Any]:
        """One request: key and trace id on, network errors classified, the envelope opened. Returns ``Resp``."""
        trace = trace or str(uuid.uuid4())  # a fresh trace id for every request but the create
        headers = {"API-KEY": net.api_key(NAME, KEY_ENV), "Ai-trace-id": trace}
        try:
            resp = await self._http().request(method, path, headers=headers, **kwargs)
        except httpx2.TransportError as exc:
            raise net.transport_error(exc, provider=NAME, sent_create=create) from exc
        return self._open_envelope(resp, trace=trace, create=create)

    def _open_envelope(self, resp: httpx2.Response, *, trace: str, create: bool) -> dict[str, Any]:
        code, wait = resp.status_code, net.retry_after(resp.headers)
        if code in (401, 403):
            raise AuthFailed(f"PixVerse refused the API key (HTTP {code}); check {KEY_ENV}.",
                             zh=f"PixVerse 拒绝了 API 密钥（HTTP {code}）；请检查 {KEY_ENV}。", provider=NAME, trace_id=trace)
        if code == 429:
            raise RateLimited(f"PixVerse: too many requests (HTTP 429){_after(wait)}.",
                              zh=f"PixVerse：请求过于频繁（HTTP 429）{_after_zh(wait)}。", retry_after=wait,
                              provider=NAME, trace_id=trace)
        if code >= 500:
            if create and code in (502, 504):
                # A gateway that timed out may already have handed the create on: the outcome is unknown.
                raise SubmitOutcomeUnknown(
                    f"PixVerse's gateway answered HTTP {code} to the create (Ai-trace-id {trace}); the task may "
                    "exist. It will be reconciled, not sent again.",
                    zh=f"PixVerse 网关对创建请求返回 HTTP {code}（Ai-trace-id {trace}）；任务可能已创建，将核对而不会重复提交。",
                    provider=NAME, trace_id=trace)
            raise TransientFailure(f"PixVerse server error (HTTP {code}){_after(wait)}.",
                                   zh=f"PixVerse 服务器错误（HTTP {code}）{_after_zh(wait)}。", retry_after=wait,
                                   provider=NAME, trace_id=trace)
        try:
            # json.loads keeps big integers exact; ids are never routed through float.
            body = json.loads(resp.content)
            err = body["ErrCode"]
            err = int(err)
        except (ValueError, KeyError, TypeError) as exc:
            if create and code == 200:
                raise SubmitOutcomeUnknown(
                    f"PixVerse answered the create (Ai-trace-id {trace}) with an unreadable body; the task may "
                    "exist. It will be reconciled, not sent again.",
                    zh=f"PixVerse 对创建请求（Ai-trace-id {trace}）的回复无法解析；任务可能已创建，将核对而不会重复提交。",
                    provider=NAME, trace_id=trace) from exc
            cls = TransientFailure if code == 200 else InvalidInput
            raise cls(f"PixVerse answered HTTP {code} without its usual envelope.",
                      zh=f"PixVerse 返回 HTTP {code}，但缺少标准响应结构。", provider=NAME, trace_id=trace) from exc
        if err != 0:
            self._raise_errcode(err, str(body.get("ErrMsg") or ""), trace, wait)
        if code != 200:
            raise InvalidInput(f"PixVerse answered HTTP {code}.", zh=f"PixVerse 返回 HTTP {code}。", provider=NAME,
                               trace_id=trace)
        payload = body.get("Resp")
        return payload if isinstance(payload, dict) else {}

    @staticmethod
    def _raise_errcode(err: int, msg: str, trace: str, wait: float | None) -> None:
        cls, en, zh = _ERRCODES.get(err, (InvalidInput, "the request was refused (code not in storyreel's table)",
                                          "请求被拒绝（错误码不在 storyreel 的对照表中）"))
        kwargs: dict[str, Any] = {"provider": NAME, "trace_id": trace, "errcode": err}
        if cls in (RateLimited, ConcurrencyLimited, TransientFailure):
            kwargs["retry_after"] = wait
        cause = PixVerseErrCode(err, msg, trace)
        raise cls(f"PixVerse: {en} (ErrCode {err}: {msg or 'no message'}).",
                  zh=f"PixVerse：{zh}（ErrCode {err}：{msg or '无说明'}）。", **kwargs) from cause


def _after(wait: float | None) -> str:
    return f"; retry after {wait:g} s" if wait is not None else ""


def _after_zh(wait: float | None) -> str:
    return f"；请 {wait:g} 秒后重试" if wait is not None else ""
