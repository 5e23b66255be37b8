"""Jimeng's models: what each one makes and takes, what it costs, and the rules that size and time a take.

The facts and how sure we are of each: ../shared/reference/providers.md §1.3 (vendor pages listed in jimeng.py).

- ``req_key`` picks the model and the mode (for video 3.0, T2V, first frame and first+last frame have different
  keys). Video 3.0 720p/1080p ``req_key`` values are [community].
- Video length is a frame count ``24·n + 1`` with n = 5 or 10 (121 or 241). ``aspect_ratio`` applies to T2V only;
  I2V takes the ratio nearest the input image and centre-crops.
- Image output sizes have per-model limits (sides or area); a size below the minimum is scaled up, a draft is made
  at 1K, a size above the maximum is refused.
- Our sources publish no prices. The rate card below is a placeholder marked [unverified].
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from storyreel.errors import InvalidInput
from storyreel.model import Lane, TakeSpec
from storyreel.providers.base import ModelInfo

log = logging.getLogger("storyreel.providers.jimeng")

NAME = "jimeng"

# Rate card: CNY per output image, or per 5 s of video (a 10 s clip counts double). [unverified] Our sources
# publish no Jimeng prices; these are placeholders so budgets are not zero. Override them in film.toml:
# [providers.jimeng.options.rates] "jimeng-video-3.0-pro" = 4.5
RATE_CARD_VERSION = "jimeng-placeholder-2025-09 [unverified]"

MAX_PROMPT = 800  # characters, every model
DURATIONS = (5, 10)  # seconds; frames = 24·n + 1
T2V_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
DRAFT_AREA = 1024 * 1024  # draft images are made at 1K


@dataclass(frozen=True)
class JimengModel:
    """One model: the engine's view of it (``info``) plus what the adapter needs to send and price it."""

    info: ModelInfo
    req_keys: Mapping[str, str]  # kind -> req_key
    rate: float  # see the rate card above [unverified]
    side: tuple[int, int] = (0, 0)  # image output: allowed side lengths, 0 = no rule
    area: tuple[int, int] = (0, 0)  # image output: allowed width*height, 0 = no rule
    min_input_side: int = 0
    draft: str | None = None  # the cheaper model a draft take uses

    @property
    def name(self) -> str:
        return self.info.name


_JPEG_PNG = ("jpeg", "png")
# The first model of each lane is the default.
MODELS: tuple[JimengModel, ...] = (
    JimengModel(
        ModelInfo("jimeng-4.0", Lane.IMAGE, ("t2i", "edit", "reference"), resolutions=("1K", "2K", "4K"),
                  max_references=10, max_image_bytes=15_000_000, image_formats=_JPEG_PNG),
        {"t2i": "jimeng_t2i_v40", "edit": "jimeng_t2i_v40", "reference": "jimeng_t2i_v40"}, rate=0.20,
        area=(1024 * 1024, 4096 * 4096)),
    JimengModel(
        ModelInfo("jimeng-3.1", Lane.IMAGE, ("t2i",), resolutions=("1K", "2K"), image_formats=_JPEG_PNG),
        {"t2i": "jimeng_t2i_v31"}, rate=0.20, side=(512, 2048)),
    # Text-to-image 3.0 is [community]; image-to-image 3.0 ("smart reference") is documented (one input image).
    JimengModel(
        ModelInfo("jimeng-3.0", Lane.IMAGE, ("t2i", "edit"), resolutions=("1K",), max_references=1,
                  max_image_bytes=4_700_000, image_formats=_JPEG_PNG),
        {"t2i": "jimeng_t2i_v30", "edit": "jimeng_i2i_v30"}, rate=0.20, side=(512, 2016)),
    JimengModel(
        ModelInfo("jimeng-video-3.0-pro", Lane.VIDEO, ("t2v", "i2v"), durations=(5.0, 10.0),
                  resolutions=("1080p",), max_references=0, max_image_bytes=4_700_000, image_formats=_JPEG_PNG),
        {"t2v": "jimeng_ti2v_v30_pro", "i2v": "jimeng_ti2v_v30_pro"}, rate=5.00, min_input_side=320,
        draft="jimeng-video-3.0"),
    JimengModel(
        ModelInfo("jimeng-video-3.0-1080p", Lane.VIDEO, ("t2v", "i2v", "first_last"), durations=(5.0, 10.0),
                  resolutions=("1080p",), max_image_bytes=4_700_000, image_formats=_JPEG_PNG),
        {"t2v": "jimeng_t2v_v30_1080p", "i2v": "jimeng_i2v_first_v30_1080",
         "first_last": "jimeng_i2v_first_tail_v30_1080"}, rate=3.00, min_input_side=320,
        draft="jimeng-video-3.0"),
    JimengModel(
        ModelInfo("jimeng-video-3.0", Lane.VIDEO, ("t2v", "i2v", "first_last"), durations=(5.0, 10.0),
                  resolutions=("720p",), max_image_bytes=4_700_000, image_formats=_JPEG_PNG,
                  draft_of="jimeng-video-3.0-1080p"),
        {"t2v": "jimeng_t2v_v30", "i2v": "jimeng_i2v_first_v30", "first_last": "jimeng_i2v_first_tail_v30"},
        rate=1.50, min_input_side=320),
)
BY_NAME = {(m.info.lane, m.name): m for m in MODELS}
LANE_BY_REQ_KEY = {key: m.info.lane for m in MODELS for key in m.req_keys.values()}
# Vendor options a director may pass under TakeSpec.metadata["jimeng"] (image lane only).
IMAGE_EXTRAS = ("scale", "use_pre_llm", "min_ratio", "max_ratio")

# A kind of take, in words, for messages.
KIND_EN = {"t2i": "text-to-image", "edit": "image editing", "reference": "reference images",
           "t2v": "text-to-video", "i2v": "video from a first frame", "first_last": "video from first and last frames"}
KIND_ZH = {"t2i": "文生图", "edit": "图片编辑", "reference": "参考图生图", "t2v": "文生视频", "i2v": "首帧生视频",
           "first_last": "首尾帧生视频"}


def clip_seconds(spec: TakeSpec) -> int:
    """The clip length in whole seconds (5 or 10), or InvalidInput naming what the take asks for."""
    seconds = spec.frames / spec.fps if spec.fps else 0.0
    n = round(seconds)
    if n not in DURATIONS or abs(seconds - n) > 0.1:
        raise InvalidInput(f"Jimeng makes 5 s or 10 s clips; this take asks for {seconds:.2f} s "
                           f"({spec.frames} frames at {spec.fps} fps).",
                           zh=f"即梦只能生成 5 秒或 10 秒的视频；此条要求 {seconds:.2f} 秒（{spec.frames} 帧，{spec.fps} fps）。",
                           provider=NAME, field="frames")
    return n


def t2v_ratio(spec: TakeSpec) -> str:
    """The vendor ratio nearest the spec's, within 5% (2560×1080 is sent as 21:9); otherwise refused."""
    want = spec.width / spec.height if spec.height else 0.0

    def value(r: str) -> float:
        a, b = r.split(":")
        return int(a) / int(b)

    best = min(T2V_RATIOS, key=lambda r: abs(math.log(value(r) / want)) if want > 0 else math.inf)
    if want <= 0 or abs(value(best) / want - 1) > 0.05:
        raise InvalidInput(f"Jimeng text-to-video makes {', '.join(T2V_RATIOS)}; {spec.width}×{spec.height} is "
                           "none of them.", zh=f"即梦文生视频只支持 {'、'.join(T2V_RATIOS)}；{spec.width}×{spec.height} "
                           "不在其中。", provider=NAME, field="width")
    return best


def image_size(spec: TakeSpec, model: JimengModel) -> tuple[int, int]:
    """The output size to ask for. A size below the model's minimum is scaled up, keeping the aspect ratio,
    and logged (a 1280×720 film still gets keyframes). A draft is made at 1K. A size above the maximum or an
    aspect ratio beyond 3:1 is refused."""
    w, h = spec.width, spec.height
    if w <= 0 or h <= 0 or not 1 / 3 <= w / h <= 3:
        raise InvalidInput(f"Jimeng makes images between 1:3 and 3:1; {w}×{h} is outside that.",
                           zh=f"即梦生成的图片宽高比须在 1:3 到 3:1 之间；{w}×{h} 超出范围。", provider=NAME,
                           field="width")
    scale = math.sqrt(DRAFT_AREA / (w * h)) if spec.draft else 1.0
    (lo_side, hi_side), (lo_area, hi_area) = model.side, model.area
    up = max(lo_side / min(w, h) if lo_side else 0.0, math.sqrt(lo_area / (w * h)) if lo_area else 0.0)
    down = min(hi_side / max(w, h) if hi_side else math.inf, math.sqrt(hi_area / (w * h)) if hi_area else math.inf)
    scale = max(scale, up)
    if scale > down + 1e-9:
        if not spec.draft and scale == 1.0:
            most = f"{hi_side} px a side" if hi_side else f"{int(math.sqrt(hi_area))}×{int(math.sqrt(hi_area))}"
            most_zh = f"边长 {hi_side} 像素" if hi_side else most
            raise InvalidInput(f"Jimeng '{model.name}' makes images up to {most}; {w}×{h} is larger.",
                               zh=f"即梦 '{model.name}' 最大生成 {most_zh}；{w}×{h} 超出。",
                               provider=NAME, field="width")
        scale = down
    size = (max(1, math.floor(w * scale + 1e-6)), max(1, math.floor(h * scale + 1e-6)))
    if min(size) < lo_side or size[0] * size[1] < lo_area:  # rounding down broke a minimum: round up
        size = (math.ceil(w * scale - 1e-6), math.ceil(h * scale - 1e-6))
    if size != (w, h):
        log.info("jimeng: %s takes %d×%d instead of %d×%d (%s)", model.name, *size, w, h,
                 "draft at 1K" if spec.draft else "model's size limits")
    return size
