"""Jimeng (即梦) visual API on the Volcengine OpenAPI gateway: images (4.0, 3.1, 3.0) and video (3.0 Pro, 3.0).

Vendor pages. ../shared/reference/providers.md §1.3 has the facts and how sure we are of each. Re-check them
before relying on them:
- 即梦AI-图片生成4.0-接口文档 (2025-09-22) and 即梦AI-视频生成3.0 Pro-接口文档 (2025-09-01), under
  volcengine.com/docs/85621, mirrored in GitHub repo ``bolecodex/volcano-ai-workshop`` (``docs/即梦4.0.md``,
  ``docs/即梦AI-视频生成3.0 Pro.md``, ``docs/zh-CN/即梦文生图3.1.md``, ``docs/zh-CN/即梦图生图3.0智能参考.md``).
- Request signing and its official test vector: volcengine.com/docs/6369/67270 (see ``_volcsign.py``).

Files: this one (the protocol, HTTP, vendor codes); ``_jimeng_models.py`` (the models, rate card, output sizes and
clip lengths); ``_volcsign.py`` (Volcengine OpenAPI request signing, shared by any Volcengine service).

Quirks:
- One endpoint. The operation is a query parameter (``Action=CVSync2AsyncSubmitTask`` or ``CVSync2AsyncGetResult``,
  ``Version=2022-08-31``). Both are POST JSON, and every request is signed with the account's AK/SK (region
  ``cn-north-1``, service ``cv``).
- ``req_key`` picks the model and the mode (the table is in ``_jimeng_models.py``). GetResult needs it again, so it
  travels in ``Handle.data``.
- GetResult's ``req_json`` is a JSON string, not an object (``return_url``, ``logo_info``).
- ``data.status == "done"`` means finished, whether it worked or not: the outer ``code`` decides. Failures come with
  HTTP 400/429/500 and the business code in the body. Gateway failures (signature, unknown key) come in
  ``ResponseMetadata.Error`` instead [unverified shape].
- ``not_found`` means either "never existed" or "older than 12 h". Image URLs live 24 h: download them at once.
- Image 4.0 may return several images for one request and bills each one. ``force_single`` asks for one image.
- Image 4.0 documents only ``image_urls`` as input. Local files are sent inline as ``binary_data_base64``, the field
  every other Jimeng endpoint documents [unverified for 4.0]. http(s) URLs go in ``image_urls``. One request never
  mixes the two.
- Video length is a frame count ``24·n + 1`` (n = 5 or 10). ``aspect_ratio`` applies to T2V only.
- No cancel and no client reference. If the answer to a submit is lost, the task cannot be matched later, so the
  job goes to reconcile (the director checks the Volcengine console).
- The vendor says 50511 (output image moderated) may be retried and 50512 may not. Both are ``OutputModerated``;
  the difference is in the error's ``context["retryable"]``.
- Our sources publish no prices. The rate card in ``_jimeng_models.py`` is a placeholder marked [unverified].
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
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
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.media.images import HEAD_BYTES, inspect_image, sniff_format
from storyreel.model import Lane, TakeSpec
from storyreel.providers import _volcsign, net
from storyreel.providers._jimeng_models import (
    BY_NAME,
    IMAGE_EXTRAS,
    KIND_EN,
    KIND_ZH,
    LANE_BY_REQ_KEY,
    MAX_PROMPT,
    MODELS,
    RATE_CARD_VERSION,
    JimengModel,
    clip_seconds,
    image_size,
    t2v_ratio,
)
from storyreel.providers._volcsign import ACCESS_KEY_ENV, SECRET_KEY_ENV
from storyreel.providers.base import Capabilities, Estimate, Handle, ProviderSettings, Result, Status

log = logging.getLogger("storyreel.providers.jimeng")

DEFAULT_BASE_URL = "https://visual.volcengineapi.com"
API_VERSION = "2022-08-31"
SUBMIT_ACTION = "CVSync2AsyncSubmitTask"
RESULT_ACTION = "CVSync2AsyncGetResult"
REGION, SERVICE = "cn-north-1", "cv"
OK = 10000
# Every request is signed the Volcengine OpenAPI way (providers/_volcsign.py), for the visual API's region and service.
sign = functools.partial(_volcsign.sign, region=REGION, service=SERVICE)


# --- Vendor codes -> storyreel errors: the one translation table ---------------------------------------------------

class JimengReply(Exception):
    """The vendor's raw answer, chained under the translated error (``raise ... from reply``) for debugging."""

    def __init__(self, *, http_status: int, code: int | str | None, message: str, request_id: str | None) -> None:
        super().__init__(f"HTTP {http_status}, code {code}: {message} (request {request_id})")
        self.http_status, self.code, self.message, self.request_id = http_status, code, message, request_id


# Business codes are ints in the body's ``code``; gateway codes are strings in ``ResponseMetadata.Error.Code``
# (the gateway names are the Volcengine OpenAPI common ones [unverified]).
_ERRORS: dict[int | str, tuple[type[ProviderError], str, str]] = {
    50411: (InputModerated, "an input image failed moderation; use another image",
            "输入图片未通过审核；请更换图片"),
    50412: (InputModerated, "the prompt failed moderation; reword it", "提示词未通过审核；请修改提示词"),
    50413: (InputModerated, "the prompt contains sensitive or copyrighted terms; reword it",
            "提示词含敏感词或版权词；请修改提示词"),
    50511: (OutputModerated, "the result image was withheld by moderation; Jimeng says another try (a new seed) "
                             "may pass", "生成的图片未通过审核；即梦说明可换种子重试"),
    50512: (OutputModerated, "the result was withheld by text moderation; Jimeng says not to retry, so change "
                             "the prompt", "生成结果未通过文本审核；即梦说明不要重试，请修改提示词"),
    50429: (RateLimited, "too many requests per second; slowing down", "请求过于频繁（QPS 超限）；稍后重试"),
    50430: (ConcurrencyLimited, "too many Jimeng tasks are running at once; waiting for a free slot",
            "同时运行的任务过多（并发超限）；等待空位"),
    50500: (TransientFailure, "Jimeng had an internal error; it will be retried", "即梦内部错误；将重试"),
    50501: (TransientFailure, "Jimeng's model service failed; it will be retried", "即梦算法服务出错；将重试"),
    **_volcsign.GATEWAY_ERRORS,  # signature and credential refusals, common to Volcengine OpenAPI
    "AccessDenied": (AuthFailed, "this key may not call the Jimeng API; enable 即梦AI for the account in the "
                                 "Volcengine console", "此密钥无权调用即梦接口；请在火山引擎控制台开通即梦AI"),
}
# These codes describe the task itself, wherever they turn up. Other codes on GetResult describe the query.
_TASK_OUTCOME = frozenset({50411, 50412, 50413, 50511, 50512})
_RETRYABLE = {50511: True, 50512: False}


def _by_http_status(status: int) -> tuple[type[ProviderError], str, str]:
    if status in (401, 403):
        return AuthFailed, "the gateway refused the credentials", "网关拒绝了凭证"
    if status == 429:
        return RateLimited, "too many requests", "请求过于频繁"
    if status >= 500:
        return TransientFailure, f"the service failed (HTTP {status}); it will be retried", f"服务出错（HTTP {status}）；将重试"
    if status >= 400:
        return InvalidInput, f"the request was refused (HTTP {status})", f"请求被拒绝（HTTP {status}）"
    return ProviderError, "the service gave an unexpected answer", "服务返回了无法识别的结果"


# --- The provider ------------------------------------------------------------------------------------------------

class JimengProvider:
    """Options (film.toml ``[providers.jimeng]`` or ``ProviderSettings.options``): ``timeout`` (seconds, every
    phase), ``rates`` (model -> CNY, overrides the placeholder rate card), and for tests ``clock`` (a callable that
    returns epoch seconds; it is used for the signature's X-Date)."""

    name = "jimeng"

    def __init__(self, *, workdir: Path, settings: ProviderSettings | None = None) -> None:
        self.workdir = workdir
        self.settings = settings or ProviderSettings()
        options = self.settings.options
        self._clock: Callable[[], float] = options.get("clock") or time.time
        self._timeout = httpx2.Timeout(float(options["timeout"])) if options.get("timeout") else net.DEFAULT_TIMEOUT
        self._rates: Mapping[str, float] = options.get("rates") or {}
        self.base_url = net.base_url(self.name, DEFAULT_BASE_URL, self.settings.base_url)
        self._client: httpx2.AsyncClient | None = None
        self._secrets: tuple[str, ...] = ()  # (access key id, secret key) once read; also scrubbed from messages

    def capabilities(self) -> Capabilities:
        return Capabilities(
            lanes=frozenset({Lane.IMAGE, Lane.VIDEO}), models=tuple(m.info for m in MODELS),
            max_concurrency=2, can_cancel=False,
            # Only a server task_id exists: a submit whose answer was lost cannot be found again.
            can_lookup_by_client_ref=False, resubmit_is_free=False,
            charges_failed_jobs=False,  # not documented [unverified]
            currency="CNY", key_env=ACCESS_KEY_ENV)

    def estimate(self, spec: TakeSpec) -> Estimate:
        model, kind = self._choose(spec)
        if model.info.lane == Lane.VIDEO:
            seconds = clip_seconds(spec)
            amount = self._rate(model) * seconds / 5
            note = f"{model.name} {kind} {seconds} s"
        else:
            images = 1 if self._single(spec, model) else spec.count
            amount = self._rate(model) * images
            note = f"{model.name} {kind} × {images} image(s)"
        return Estimate(round(amount, 4), "CNY", f"{note}; rate card {RATE_CARD_VERSION}")

    def check(self, spec: TakeSpec) -> None:
        model, kind = self._choose(spec)
        self._validate(spec, model, kind)
        self._credentials()

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle:
        # 1. Check the spec and the keys first. Nothing is sent for a request that cannot succeed.
        model, kind = self._choose(spec)
        self._validate(spec, model, kind)
        # 2. Build the vendor body: req_key for model and mode, frames for duration, images inline or as URLs.
        body = self._body(spec, model, kind)
        # 3. Send the signed create. From here on, a lost answer may still have started (and billed) a task.
        payload, resp = await self._send(SUBMIT_ACTION, body, creating=True)
        if payload.get("code") != OK:
            reply = _reply(resp, payload)
            raise self._translate(reply, resp.headers) from reply
        # 4. The task id lets us resume polling after a crash. GetResult needs req_key again, so it goes in data.
        task_id = (payload.get("data") or {}).get("task_id")
        if not task_id:
            raise SubmitOutcomeUnknown(
                f"Jimeng accepted the request but returned no task_id (request {payload.get('request_id')}); "
                "check the Volcengine console before generating again.",
                zh=f"即梦接受了请求但没有返回 task_id（请求 {payload.get('request_id')}）；请先查看火山引擎控制台再重新生成。",
                provider=self.name)
        log.info("jimeng: task %s created (%s, client_ref %s)", task_id, body["req_key"], client_ref)
        data: dict[str, Any] = {"req_key": body["req_key"], "model": model.name, "lane": model.info.lane.value,
                                "kind": kind}
        if model.info.lane == Lane.VIDEO:
            data["seconds"] = clip_seconds(spec)
        return Handle(remote_id=str(task_id), data=data)

    async def lookup(self, client_ref: str) -> Handle | None:
        return None  # Jimeng keeps no client reference (can_lookup_by_client_ref=False)

    async def poll(self, handle: Handle) -> Status:
        payload, resp = await self._send(RESULT_ACTION, self._query(handle), creating=False)
        state = (payload.get("data") or {}).get("status")
        if state in ("not_found", "expired"):
            return Status("failed", error=self._gone(handle, state))
        if payload.get("code") != OK:
            reply = _reply(resp, payload)
            error = self._translate(reply, resp.headers)
            if state == "done" or reply.code in _TASK_OUTCOME:
                error.__cause__ = reply
                return Status("failed", error=error)
            raise error from reply  # the query failed (429, 5xx), not the task
        if state == "in_queue":
            return Status("queued", progress=0.0)
        if state == "generating":
            return Status("running")
        if state == "done":
            return Status("succeeded", progress=1.0)
        log.warning("jimeng: task %s reports unknown status %r; still polling", handle.remote_id, state)
        return Status("unknown")

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result:
        # Ask again rather than trusting old URLs: the answer is free, and its URLs are fresh.
        payload, resp = await self._send(RESULT_ACTION, self._query(handle), creating=False)
        data = payload.get("data") or {}
        if data.get("status") in ("not_found", "expired"):
            raise self._gone(handle, data["status"])
        if payload.get("code") != OK:
            reply = _reply(resp, payload)
            raise self._translate(reply, resp.headers) from reply
        if data.get("status") != "done":
            raise TransientFailure(f"Jimeng task {handle.remote_id} is not finished yet ({data.get('status')}).",
                                   zh=f"即梦任务 {handle.remote_id} 尚未完成（{data.get('status')}）。", provider=self.name)
        dest.mkdir(parents=True, exist_ok=True)
        model = self._model_of(handle, spec)
        if _lane_of(handle) == Lane.VIDEO:
            url = data.get("video_url")
            if not url:
                raise self._empty(handle)
            # Result URLs expire; download now, before the engine marks the take done.
            clip = await net.download(self._http(), url, dest / "clip.mp4", provider=self.name)
            seconds = int(handle.data.get("seconds") or clip_seconds(spec))
            return Result(clip=clip, keyframe=None, cost=round(self._rate(model) * seconds / 5, 4),
                          usage={"videos": 1.0, "seconds": float(seconds)})
        images = await self._save_images(data, dest)
        if not images:
            raise self._empty(handle)
        # 4.0 bills each image it returns, and may return more than asked for when force_single is off.
        return Result(clip=None, keyframe=images[0], images=tuple(images),
                      cost=round(self._rate(model) * len(images), 4), usage={"images": float(len(images))})

    async def cancel(self, handle: Handle) -> None:
        # The API has no cancel (can_cancel=False): the task runs to its end at the vendor.
        log.info("jimeng: task %s cannot be cancelled remotely", handle.remote_id)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- choosing model and mode -----------------------------------------------------------------------------------

    def _choose(self, spec: TakeSpec) -> tuple[JimengModel, str]:
        lane_models = [m for m in MODELS if m.info.lane == spec.lane]
        name = spec.model or lane_models[0].name
        model = BY_NAME.get((spec.lane, name))
        if model is None:
            names = ", ".join(m.name for m in lane_models)
            raise InvalidInput(f"Jimeng has no {spec.lane.value} model '{name}'. Models: {names}.",
                               zh=f"即梦没有名为 '{name}' 的{_lane_zh(spec.lane)}模型。可用：{names}。",
                               provider=self.name, field="model")
        kind = self._kind(spec)
        if spec.draft and model.draft:
            log.info("jimeng: draft take: %s instead of %s", model.draft, model.name)
            model = BY_NAME[(spec.lane, model.draft)]
        if kind not in model.info.kinds:
            able = ", ".join(m.name for m in lane_models if kind in m.info.kinds) or "none"
            raise InvalidInput(f"Jimeng model '{model.name}' cannot do {KIND_EN[kind]}. Models that can: {able}.",
                               zh=f"即梦模型 '{model.name}' 不支持{KIND_ZH[kind]}。支持的模型：{able}。",
                               provider=self.name, field="model")
        return model, kind

    def _kind(self, spec: TakeSpec) -> str:
        if spec.lane == Lane.VIDEO:
            if spec.references or spec.edit_source:
                raise InvalidInput("Jimeng video takes only a first frame and a last frame, not reference or edit "
                                   "images.", zh="即梦视频只接受首帧和尾帧，不接受参考图或编辑图。", provider=self.name,
                                   field="references")
            if spec.last_frame and not spec.first_frame:
                raise InvalidInput("Jimeng needs a first frame whenever a last frame is given.",
                                   zh="给出尾帧时，即梦还需要首帧。", provider=self.name, field="first_frame")
            return "first_last" if spec.last_frame else "i2v" if spec.first_frame else "t2v"
        if spec.first_frame or spec.last_frame:
            raise InvalidInput("Jimeng images take edit_source or references, not first/last frames.",
                               zh="即梦图片接受 edit_source 或参考图，不接受首帧/尾帧。", provider=self.name,
                               field="first_frame")
        return "edit" if spec.edit_source else "reference" if spec.references else "t2i"

    def _single(self, spec: TakeSpec, model: JimengModel) -> bool:
        return model.name != "jimeng-4.0" or spec.count == 1 or spec.draft

    def _rate(self, model: JimengModel) -> float:
        return float(self._rates.get(model.name, model.rate))

    def _model_of(self, handle: Handle, spec: TakeSpec) -> JimengModel:
        lane = _lane_of(handle)
        return BY_NAME.get((lane, handle.data.get("model", ""))) or self._choose(spec)[0]

    # -- checking a spec (no network) -----------------------------------------------------------------------------

    def _validate(self, spec: TakeSpec, model: JimengModel, kind: str) -> None:
        if not spec.prompt.strip() and kind not in ("i2v", "first_last"):  # video from images: prompt optional
            raise InvalidInput("Jimeng needs a prompt for this take.", zh="即梦生成此条需要提示词。",
                               provider=self.name, field="prompt")
        if len(spec.prompt) > MAX_PROMPT:
            raise InvalidInput(f"The prompt has {len(spec.prompt)} characters; Jimeng takes at most {MAX_PROMPT}.",
                               zh=f"提示词有 {len(spec.prompt)} 个字符；即梦最多 {MAX_PROMPT} 个。",
                               provider=self.name, field="prompt")
        self._extras(spec, model)
        if model.info.lane == Lane.VIDEO:
            clip_seconds(spec)
            if kind == "t2v":
                t2v_ratio(spec)
        else:
            image_size(spec, model)
        inputs = self._inputs(spec, model)
        if model.info.lane == Lane.IMAGE and spec.count > 1 and not spec.draft:
            most = 15 - len(inputs) if model.name == "jimeng-4.0" else 1  # 4.0: at most 15 images, inputs included
            if spec.count > most:
                raise InvalidInput(f"Jimeng '{model.name}' makes at most {most} image(s) for this request; "
                                   f"count is {spec.count}.", zh=f"即梦 '{model.name}' 此请求最多生成 {most} 张图；"
                                   f"count 为 {spec.count}。", provider=self.name, field="count")
            # The API has no "n": without force_single the model picks how many (up to `most`), each one billed.
            log.info("jimeng: 4.0 picks the number of images itself (up to %d); count=%d only sizes the estimate",
                     most, spec.count)
        for role, ref in inputs:
            self._check_image(role, ref, model)

    def _inputs(self, spec: TakeSpec, model: JimengModel) -> list[tuple[str, str]]:
        """Input images in the order the vendor wants them (first frame before last frame)."""
        if model.info.lane == Lane.VIDEO:
            pairs = [("first_frame", spec.first_frame), ("last_frame", spec.last_frame)]
        else:
            pairs = [("edit_source", spec.edit_source)]
            pairs += [(f"references[{i}]", r) for i, r in enumerate(spec.references)]
        pairs = [(role, ref) for role, ref in pairs if ref]
        limit = max(model.info.max_references, 1)
        if model.info.lane == Lane.IMAGE and len(pairs) > limit:
            raise InvalidInput(f"Jimeng model '{model.name}' takes at most {limit} input image(s); this take has "
                               f"{len(pairs)}.", zh=f"即梦模型 '{model.name}' 最多接受 {limit} 张输入图；此条有 "
                               f"{len(pairs)} 张。", provider=self.name, field="references")
        if len({_is_url(ref) for _, ref in pairs}) > 1:
            raise InvalidInput("Jimeng takes input images either all as URLs or all as local files, not mixed.",
                               zh="即梦的输入图要么全部是链接，要么全部是本地文件，不能混用。", provider=self.name,
                               field="references")
        return pairs

    def _check_image(self, role: str, ref: str, model: JimengModel) -> None:
        if _is_url(ref):
            return  # the vendor fetches it; nothing to measure here
        facts = inspect_image(ref, max_bytes=model.info.max_image_bytes, formats=model.info.image_formats,
                              subject=(f"Jimeng '{model.name}' {role}", f"即梦 '{model.name}' {role}"),
                              provider=self.name, field=role)
        w, h, name = facts.width, facts.height, Path(ref).name
        problem = None
        if max(w, h) > 4096:
            problem = ("is larger than 4096×4096", "超过 4096×4096")
        elif min(w, h) < model.min_input_side:
            problem = (f"has a side under {model.min_input_side} px", f"短边小于 {model.min_input_side} 像素")
        elif max(w, h) / min(w, h) > 3:
            problem = ("is more elongated than 3:1", "长宽比超过 3:1")
        if problem:
            raise InvalidInput(f"{role}: {name} ({w}×{h}) {problem[0]}; Jimeng cannot use it.",
                               zh=f"{role}：{name}（{w}×{h}）{problem[1]}；即梦无法使用。", provider=self.name,
                               field=role)

    def _extras(self, spec: TakeSpec, model: JimengModel) -> dict[str, Any]:
        """Vendor options from ``metadata["jimeng"]``, passed through as they are; unknown names are refused."""
        extras = dict(spec.metadata.get(self.name) or {})
        known = IMAGE_EXTRAS if model.info.lane == Lane.IMAGE else ()
        unknown = sorted(set(extras) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise InvalidInput(f"Unknown Jimeng option(s) {', '.join(unknown)} in metadata['jimeng']. Known: {names}.",
                               zh=f"metadata['jimeng'] 中有未知的即梦选项 {', '.join(unknown)}。可用：{names}。",
                               provider=self.name, field="metadata")
        return extras

    def _credentials(self) -> tuple[str, str]:
        if len(self._secrets) == 2:
            return self._secrets[0], self._secrets[1]
        try:
            ak = net.api_key(self.name, ACCESS_KEY_ENV)
            sk = net.api_key(f"{self.name}-secret", SECRET_KEY_ENV)
        except AuthFailed as exc:
            raise AuthFailed(
                f"No Volcengine key pair for Jimeng: set {ACCESS_KEY_ENV} (access key id) and {SECRET_KEY_ENV} "
                f"(secret key) from the Volcengine console's API 访问密钥 page, or store them with "
                f"'keyring set storyreel jimeng' and 'keyring set storyreel jimeng-secret'.",
                zh=f"没有即梦所需的火山引擎密钥：请在火山引擎控制台“API 访问密钥”页面获取，并设置 {ACCESS_KEY_ENV}（Access Key "
                   f"ID）和 {SECRET_KEY_ENV}（Secret Key），或用 keyring set storyreel jimeng / jimeng-secret 保存。",
                provider=self.name) from exc
        self._secrets = (ak, sk)
        return ak, sk

    # -- building bodies ----------------------------------------------------------------------------------------------

    def _body(self, spec: TakeSpec, model: JimengModel, kind: str) -> dict[str, Any]:
        body: dict[str, Any] = {"req_key": model.req_keys[kind]}
        if spec.prompt.strip():
            body["prompt"] = spec.prompt
        body["seed"] = spec.seed if spec.seed >= 0 else -1  # -1: the vendor picks
        refs = [ref for _, ref in self._inputs(spec, model)]
        if refs and _is_url(refs[0]):
            body["image_urls"] = refs
        elif refs:
            body["binary_data_base64"] = [base64.b64encode(Path(r).read_bytes()).decode("ascii") for r in refs]
        if model.info.lane == Lane.VIDEO:
            body["frames"] = 24 * clip_seconds(spec) + 1
            if kind == "t2v":  # I2V picks the ratio nearest the input image and ignores this
                body["aspect_ratio"] = t2v_ratio(spec)
        else:
            body["width"], body["height"] = image_size(spec, model)
            if model.name == "jimeng-4.0" and self._single(spec, model):
                body["force_single"] = True  # 4.0 bills every image it decides to make
            body.update(self._extras(spec, model))
        if spec.negative_prompt:
            log.info("jimeng: no negative prompt parameter; '%s' is not sent", spec.negative_prompt)
        return body

    def _query(self, handle: Handle) -> dict[str, Any]:
        req_key = handle.data.get("req_key")
        if not req_key:
            raise InvalidInput(f"Jimeng task {handle.remote_id} cannot be queried: the job's saved data has no "
                               "req_key.", zh=f"无法查询即梦任务 {handle.remote_id}：任务数据中缺少 req_key。",
                               provider=self.name)
        body: dict[str, Any] = {"req_key": req_key, "task_id": handle.remote_id}
        if _lane_of(handle) == Lane.IMAGE:
            # A JSON string, not an object. return_url: links instead of inline base64. No visible watermark.
            body["req_json"] = json.dumps({"return_url": True, "logo_info": {"add_logo": False}},
                                          separators=(",", ":"))
        return body

    # -- HTTP -------------------------------------------------------------------------------------------------------

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = net.make_client(self.name, base_url=self.base_url, transport=self.settings.transport,
                                           timeout=self._timeout)
        return self._client

    async def _send(self, action: str, body: dict[str, Any], *, creating: bool) -> tuple[dict, httpx2.Response]:
        """Sign and POST one action. Returns the vendor envelope whatever its ``code``. Raises for network trouble,
        gateway errors and answers that are not an envelope."""
        access_key, secret_key = self._credentials()
        client = self._http()
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        query = {"Action": action, "Version": API_VERSION}
        request = client.build_request("POST", "/", params=query, content=content)
        # Sign exactly what goes on the wire: the Host and path httpx2 built, the bytes of this body.
        signed = sign(method="POST", host=request.headers["host"], path=request.url.path, query=query,
                      content_type="application/json", body=content, access_key=access_key, secret_key=secret_key,
                      now=self._clock())
        for header, value in signed.headers.items():
            request.headers[header] = value
        try:
            resp = await client.send(request)
        except httpx2.TransportError as exc:
            # A create that was sent but not answered may have started a billed task: SubmitOutcomeUnknown.
            raise net.transport_error(exc, provider=self.name, sent_create=creating) from exc
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            meta = payload.get("ResponseMetadata") or {}
            if meta.get("Error"):
                reply = JimengReply(http_status=resp.status_code, code=meta["Error"].get("Code"),
                                    message=str(meta["Error"].get("Message") or ""), request_id=meta.get("RequestId"))
                raise self._translate(reply, resp.headers) from reply
            if "code" in payload:
                try:
                    payload["code"] = int(payload["code"])
                except (TypeError, ValueError):
                    pass
                return payload, resp
        reply = JimengReply(http_status=resp.status_code, code=None, message=resp.text[:200], request_id=None)
        if creating and resp.status_code < 400:
            raise SubmitOutcomeUnknown(
                f"Jimeng answered the create with HTTP {resp.status_code} but no readable result; a task may "
                "exist. Check the Volcengine console before generating again.",
                zh=f"即梦对创建请求返回了 HTTP {resp.status_code}，但结果无法读取；任务可能已创建。请先查看火山引擎控制台再重新生成。",
                provider=self.name) from reply
        raise self._translate(reply, resp.headers) from reply

    def _translate(self, reply: JimengReply, headers: Mapping[str, str]) -> ProviderError:
        cls, en, zh = _ERRORS.get(reply.code) or _by_http_status(reply.http_status)
        vendor = self._scrub(reply.message)
        where = f"code {reply.code}, " if reply.code is not None else ""
        where += f"HTTP {reply.http_status}" + (f", request {reply.request_id}" if reply.request_id else "")
        message = f"Jimeng: {en} ({where}" + (f"; vendor says: {vendor}" if vendor else "") + ")."
        context: dict[str, Any] = {"provider": self.name, "code": reply.code, "request_id": reply.request_id}
        if reply.code in _RETRYABLE:
            context["retryable"] = _RETRYABLE[reply.code]
        if cls in (RateLimited, ConcurrencyLimited, TransientFailure):
            context["retry_after"] = net.retry_after(headers)
        return cls(message, zh=f"即梦：{zh}（{where}）。", **context)

    def _scrub(self, text: str) -> str:
        """Vendor messages may echo the credential scope or the string to sign; never let a key through."""
        text = " ".join((text or "").split())[:200]
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _gone(self, handle: Handle, state: str) -> ResultExpired:
        return ResultExpired(
            f"Jimeng no longer has task {handle.remote_id} ({state}): tasks are kept for 12 h and result links for "
            "24 h. Generate this take again.",
            zh=f"即梦已不再保留任务 {handle.remote_id}（{state}）：任务保留 12 小时，结果链接 24 小时。请重新生成此条。",
            provider=self.name, remote_id=handle.remote_id)

    def _empty(self, handle: Handle) -> ProviderError:
        return ProviderError(f"Jimeng finished task {handle.remote_id} but returned no result.",
                             zh=f"即梦任务 {handle.remote_id} 已完成，但没有返回结果。", provider=self.name,
                             remote_id=handle.remote_id)

    async def _save_images(self, data: Mapping[str, Any], dest: Path) -> list[Path]:
        images: list[Path] = []
        urls = data.get("image_urls") or []
        for i, url in enumerate(urls, start=1):
            # Image URLs live 24 h: download now.
            path = await net.download(self._http(), url, dest / f"image-{i}.jpg", provider=self.name)
            images.append(_fix_suffix(path))
        if urls:
            return images
        for i, encoded in enumerate(data.get("binary_data_base64") or [], start=1):
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise TransientFailure("Jimeng returned an image that is not valid base64.",
                                       zh="即梦返回的图片不是有效的 base64。", provider=self.name) from exc
            path = dest / f"image-{i}{_SUFFIX.get(sniff_format(raw[:HEAD_BYTES]) or '', '.bin')}"
            tmp = path.with_name(f".{path.name}.part")
            tmp.write_bytes(raw)
            os.replace(tmp, path)
            images.append(path)
        return images


# --- small helpers -----------------------------------------------------------------------------------------------

def _lane_of(handle: Handle) -> Lane:
    lane = handle.data.get("lane")
    return Lane(lane) if lane else LANE_BY_REQ_KEY.get(handle.data.get("req_key", ""), Lane.VIDEO)


def _lane_zh(lane: Lane) -> str:
    return "视频" if lane == Lane.VIDEO else "图片"


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


_SUFFIX = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}


def _fix_suffix(path: Path) -> Path:
    """4.0 returns JPEG and 3.1 returns PNG; name the file after what actually arrived."""
    with open(path, "rb") as f:
        fmt = sniff_format(f.read(HEAD_BYTES))
    suffix = _SUFFIX.get(fmt or "", path.suffix)
    if suffix == path.suffix:
        return path
    target = path.with_suffix(suffix)
    os.replace(path, target)
    return target


def _reply(resp: httpx2.Response, payload: Mapping[str, Any]) -> JimengReply:
    return JimengReply(http_status=resp.status_code, code=payload.get("code"),
                       message=str(payload.get("message") or ""), request_id=payload.get("request_id"))
