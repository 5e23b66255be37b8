"""Reframing: which part of a take's picture fills a delivery's picture.

Two ways to put a 16:9 take into a 9:16 feed. ``crop`` keeps the full height and cuts a 9:16 window out of it,
placed so the shot's *focus point* (where the director says the action is; the centre by default) is as close
to the window's centre as the picture allows. ``pad`` keeps the whole picture and fills the rest with black.

Rectangles are in source pixels as floats; they become whole pixels only inside the ffmpeg expressions that
draw them, so a slow Ken Burns move does not step on rounding here as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storyreel.model.cut import Crop


class Fit(StrEnum):
    CROP = "crop"
    PAD = "pad"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def scaled(self, factor: float) -> Rect:
        """The same centre, ``factor`` times the size."""
        cx, cy = self.centre
        w, h = self.w * factor, self.h * factor
        return Rect(cx - w / 2, cy - h / 2, w, h)


def from_crop(crop: Crop, width: int, height: int) -> Rect:
    """A model ``Crop`` (0..1 units) in pixels of a ``width`` x ``height`` picture."""
    return Rect(crop.x * width, crop.y * height, crop.w * width, crop.h * height)


def aspect_window(inside: Rect, aspect: float, focus: tuple[float, float] | None = None) -> Rect:
    """The largest rectangle of shape ``aspect`` (w/h) inside ``inside``, centred on ``focus`` where it fits.

    ``focus`` is a point in the same pixel space (``None``: the centre of ``inside``). The window slides along
    the one axis it can move on and stops at the edge rather than leave the picture, so a focus point near the
    left edge gives the leftmost window, never a black band.
    """
    if inside.w / inside.h > aspect:  # wider than wanted: full height, slide horizontally
        w, h = inside.h * aspect, inside.h
    else:
        w, h = inside.w, inside.w / aspect
    fx, fy = focus if focus is not None else inside.centre
    x = min(max(fx - w / 2, inside.x), inside.x + inside.w - w)
    y = min(max(fy - h / 2, inside.y), inside.y + inside.h - h)
    return Rect(x, y, w, h)


def fit_size(aspect: float, box_w: int, box_h: int) -> tuple[int, int]:
    """Even pixel size of a picture of shape ``aspect`` fitted inside ``box_w`` x ``box_h`` (for ``pad``)."""
    if box_w / box_h > aspect:
        h = box_h
        w = min(box_w, 2 * round(box_h * aspect / 2))
    else:
        w = box_w
        h = min(box_h, 2 * round(box_w / aspect / 2))
    return max(2, w), max(2, h)
