"""Volcengine Ark's models: ids, rate card, what each model takes, and Seedance's output sizes.

The facts, and how sure we are of each, are in ../shared/reference/providers.md §1.1, §1.2 (vendor pages listed in
ark.py). ``[community]`` and ``[unverified]`` mark what no vendor page confirmed.
"""

from __future__ import annotations

from storyreel.model import Lane
from storyreel.providers.base import ModelInfo

SEEDREAM_40 = "doubao-seedream-4-0-250828"
SEEDANCE_PRO = "doubao-seedance-1-0-pro-250528"
SEEDANCE_LITE_T2V = "doubao-seedance-1-0-lite-t2v-250428"
SEEDANCE_LITE_I2V = "doubao-seedance-1-0-lite-i2v-250428"
SEEDANCE_15_PRO = "doubao-seedance-1-5-pro-251215"  # [community] id, limits and fields

# ---- rate card ------------------------------------------------------------------------------------------------
# Seedream: price per generated image. Seedance: price per million completion tokens. The Beijing endpoint bills
# in CNY, BytePlus in USD; the region picks the card. Estimates only: the charge is settled from reported usage.
RATE_CARD_VERSION = "ark-2025-09.1"
PRICES: dict[str, dict[str, float]] = {
    "USD": {
        SEEDREAM_40: 0.03,  # BytePlus billing page [community]
        SEEDANCE_PRO: 2.5,  # third-party rate card [community]
        SEEDANCE_LITE_T2V: 1.8,  # [community]
        SEEDANCE_LITE_I2V: 1.8,  # [community]
        SEEDANCE_15_PRO: 1.2,  # silent; 2.4 with audio, which we never ask for [community]
    },
    "CNY": {
        SEEDREAM_40: 0.2,  # "often quoted" per image [unverified]
        # The reference gives no CNY token prices; these are from the Volcengine model price page as remembered
        # (volcengine.com/docs/82379/1099320) [unverified: confirm before relying on a budget].
        SEEDANCE_PRO: 15.0,
        SEEDANCE_LITE_T2V: 10.0,
        SEEDANCE_LITE_I2V: 10.0,
        SEEDANCE_15_PRO: 8.0,
    },
}

# ---- models ---------------------------------------------------------------------------------------------------
SEEDREAM_FORMATS = ("jpeg", "png")
SEEDANCE_FORMATS = ("jpeg", "png", "webp", "bmp", "tiff", "gif")
DURATIONS_10 = tuple(float(s) for s in range(3, 13))
DURATIONS_15 = tuple(float(s) for s in range(4, 13))  # [community]
TIERS = ("480p", "720p", "1080p")
MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(SEEDREAM_40, Lane.IMAGE, ("t2i", "edit"), resolutions=("2048x2048", "2304x1728", "1728x2304",
              "2560x1440", "1440x2560", "2496x1664", "1664x2496", "3024x1296"), max_references=10,
              max_image_bytes=10 * 1024 * 1024, image_formats=SEEDREAM_FORMATS),
    ModelInfo(SEEDANCE_PRO, Lane.VIDEO, ("t2v", "i2v"), durations=DURATIONS_10, resolutions=TIERS,
              max_image_bytes=30 * 1024 * 1024, image_formats=SEEDANCE_FORMATS),
    ModelInfo(SEEDANCE_LITE_T2V, Lane.VIDEO, ("t2v",), durations=DURATIONS_10, resolutions=TIERS,
              max_image_bytes=30 * 1024 * 1024, image_formats=SEEDANCE_FORMATS, draft_of=SEEDANCE_PRO),
    ModelInfo(SEEDANCE_LITE_I2V, Lane.VIDEO, ("i2v", "first_last", "reference"), durations=DURATIONS_10,
              resolutions=TIERS, max_references=4, max_image_bytes=30 * 1024 * 1024,
              image_formats=SEEDANCE_FORMATS, draft_of=SEEDANCE_PRO),
    ModelInfo(SEEDANCE_15_PRO, Lane.VIDEO, ("t2v", "i2v"), durations=DURATIONS_15, resolutions=TIERS,
              max_image_bytes=30 * 1024 * 1024, image_formats=SEEDANCE_FORMATS),
)
BODY_PARAMS = {SEEDANCE_15_PRO}  # models that take resolution/ratio/duration as body fields, not text commands
VIDEO_FPS = 24  # Seedance output; the token count (and so the price) follows it, not the film's fps
DRAFT_TIER = "480p"

# Seedance 1.0 output sizes per tier and ratio [verified]; also what the token estimate multiplies.
PIXELS: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {"16:9": (864, 480), "4:3": (736, 544), "1:1": (640, 640), "3:4": (544, 736), "9:16": (480, 864),
             "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "4:3": (1120, 832), "1:1": (960, 960), "3:4": (832, 1120), "9:16": (704, 1248),
             "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440), "3:4": (1248, 1664),
              "9:16": (1088, 1920), "21:9": (2176, 928)},
}
RATIOS = tuple(PIXELS["480p"])
# Input image rules per API: (min side, max side, min aspect, max aspect, open interval?, max total pixels).
IMAGE_RULES = {Lane.IMAGE: (15, None, 1 / 3, 3.0, False, 6000 * 6000),  # sides "> 14 px"
               Lane.VIDEO: (300, 6000, 0.4, 2.5, True, None)}  # "(300, 6000)" and "(0.4, 2.5)", open
SEEDREAM_PIXELS = (1280 * 720, 4096 * 4096)  # output size: total pixels, min and max
SEED_RANGE = (-1, 2**32 - 1)
