"""Colours, fonts, text layout and the pencil/marker drawing helpers shared by the previz renderer.

Everything here is pure and deterministic: randomness comes in as a ``random.Random`` the caller seeded.
"""

from __future__ import annotations

import math
import random
import threading
import zlib
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFont

from storyreel.media import textlayout
from storyreel.media.fonts import cjk_font
from storyreel.media.textlayout import has_cjk as has_cjk  # re-exported: the scenery asks if a shot is Chinese

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

# Toned storyboard paper, used when the style gives no palette: paper, shade, graphite, marker red.
PAPER_PALETTE = ["#ebe3d1", "#d3c6a8", "#3b3631", "#b5523b"]

# Marker colours for characters the bible gave no colour.
CHARACTER_MARKERS = ["#c8553d", "#3d7ec8", "#4f9a5a", "#d19a2a", "#8a5cb8", "#2f9a9a", "#b84f7d", "#5d6b7a"]


def hex_rgb(value: str) -> RGB:
    v = value.strip().lstrip("#")
    if len(v) == 3:
        v = "".join(c * 2 for c in v)
    try:
        return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))
    except (ValueError, IndexError):
        return (128, 128, 128)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def luma(c: RGB) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255.0


def saturation(c: RGB) -> float:
    hi, lo = max(c), min(c)
    return 0.0 if hi == 0 else (hi - lo) / hi


def shade(c: RGB, f: float) -> RGB:
    """Darken (f < 1) or lighten toward white (f > 1)."""
    if f <= 1:
        return (round(c[0] * f), round(c[1] * f), round(c[2] * f))
    return mix(c, (255, 255, 255), min(1.0, f - 1))


def rgba(c: RGB, a: float) -> RGBA:
    return (c[0], c[1], c[2], max(0, min(255, round(a * 255))))


@dataclass(frozen=True)
class Palette:
    """The style palette resolved into roles the renderer draws with."""

    bg: RGB  # walls / sky: the first palette colour
    bg2: RGB  # floor / ground and the other end of gradients
    ink: RGB  # pencil lines: the palette colour that contrasts most with the background
    accent: RGB  # camera arrows, eyelines, lamp light: the most saturated colour
    dark: bool  # a dark (night / noir) board: lines are light

    @property
    def paper(self) -> RGB:
        """Label-tab colour: a light colour whichever way the board goes."""
        return self.ink if self.dark else mix(self.bg, (255, 255, 255), 0.55)

    @property
    def graphite(self) -> RGB:
        return self.bg if self.dark else self.ink


def resolve_palette(colours: list[str]) -> Palette:
    cols = [hex_rgb(c) for c in colours] or [hex_rgb(c) for c in PAPER_PALETTE]
    if len(cols) == 1:
        cols.append(shade(cols[0], 0.8) if luma(cols[0]) > 0.5 else shade(cols[0], 1.25))
    bg = cols[0]
    bg2 = cols[1]
    ink = max(cols[1:], key=lambda c: abs(luma(c) - luma(bg)))
    if abs(luma(ink) - luma(bg)) < 0.35:  # nothing contrasts enough: fall back to graphite / chalk
        ink = (40, 36, 32) if luma(bg) > 0.5 else (236, 230, 214)
    rest = [c for c in cols[1:] if c != ink] or [ink]
    accent = max(rest, key=lambda c: (saturation(c) * (0.4 + abs(luma(c) - luma(bg)))))
    if saturation(accent) < 0.25:
        accent = (214, 96, 60) if luma(bg) > 0.5 else (232, 190, 90)
    return Palette(bg=bg, bg2=bg2, ink=ink, accent=accent, dark=luma(bg) < 0.45)


def character_colour(name: str, given: dict[str, str], avoid: list[RGB] | tuple = ()) -> RGB:
    """The bible's colour for ``name``; otherwise a marker colour picked from the name (stable across shots),
    stepping past colours in ``avoid`` (the others in the same shot) so two actors never look alike."""
    if name in given:
        return hex_rgb(given[name])
    # crc32, not hash(): hash() of a str changes per process and would break determinism.
    start = zlib.crc32(name.encode("utf-8")) % len(CHARACTER_MARKERS)
    for step in range(len(CHARACTER_MARKERS)):
        c = hex_rgb(CHARACTER_MARKERS[(start + step) % len(CHARACTER_MARKERS)])
        if all(sum(abs(a - b) for a, b in zip(c, o, strict=True)) > 90 for o in avoid):
            return c
    return hex_rgb(CHARACTER_MARKERS[start])


# --- text -------------------------------------------------------------------------------------------------------


_fonts = threading.local()


def font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK-capable font at ``size`` px, cached per thread: a FreeType face must not be shared by threads
    drawing at the same time (several takes render in parallel), and loading one costs about a millisecond."""
    cache: dict[int, ImageFont.FreeTypeFont] | None = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    size = max(6, int(size))
    fnt = cache.get(size)
    if fnt is None:
        f = cjk_font()
        fnt = cache[size] = ImageFont.truetype(str(f.path), size, index=f.index)
    return fnt


def text_size(text: str, fnt: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """Advance width and line height (ascent + descent), stable for any text in this font."""
    ascent, descent = fnt.getmetrics()
    return (math.ceil(fnt.getlength(text)), ascent + descent)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, max_width: float, max_lines: int = 3) -> list[str]:
    """Wrap ``text`` (Chinese breaks anywhere, English at spaces) to ``max_width`` px in ``fnt``; lines past
    ``max_lines`` are dropped and the last kept one ends in an ellipsis. Runs of whitespace count as one space:
    captions come from screenplay text, where line breaks and indents are layout, not content."""
    return textlayout.wrap(" ".join(text.split()), fnt.getlength, max_width, max_lines=max_lines)


def fit_text(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> str:
    """``text`` on one line of at most ``max_width`` px, cut short with an ellipsis when it is longer."""
    return textlayout.fit_line(text, fnt.getlength, max_width)


# --- pencil / marker strokes ---------------------------------------------------------------------------------


class Pen:
    """Draws in *scene units* (pixels of the output frame at the shot's starting view) onto a bigger canvas.

    ``x_canvas = ox + k * x``: ``k`` folds in the plate scale and supersampling, ``ox/oy`` where the start view's
    top-left corner lies on the canvas. Strokes are blended (the canvas draw is opened in RGBA mode).
    """

    def __init__(self, image: Image.Image, k: float, ox: float, oy: float, rng: random.Random) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.k = k
        self.ox = ox
        self.oy = oy
        self.rng = rng

    def p(self, x: float, y: float) -> tuple[float, float]:
        return (self.ox + self.k * x, self.oy + self.k * y)

    def pts(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [self.p(x, y) for x, y in points]

    def w(self, width: float) -> int:
        return max(1, round(self.k * width))

    def scene_bounds(self) -> tuple[float, float, float, float]:
        """The canvas extent in scene units: (x0, y0, x1, y1)."""
        return (
            -self.ox / self.k,
            -self.oy / self.k,
            (self.image.width - self.ox) / self.k,
            (self.image.height - self.oy) / self.k,
        )

    def polygon(self, points: list[tuple[float, float]], fill: RGB | RGBA) -> None:
        self.draw.polygon(self.pts(points), fill=fill)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB | RGBA) -> None:
        a, b = self.p(x0, y0)
        c, d = self.p(x1, y1)
        self.draw.rectangle((min(a, c), min(b, d), max(a, c), max(b, d)), fill=fill)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill=None, outline=None, width: float = 1) -> None:
        a, b = self.p(cx - rx, cy - ry)
        c, d = self.p(cx + rx, cy + ry)
        self.draw.ellipse((a, b, c, d), fill=fill, outline=outline, width=self.w(width) if outline else 0)

    def line(self, points: list[tuple[float, float]], fill: RGBA, width: float = 1.0) -> None:
        self.draw.line(self.pts(points), fill=fill, width=self.w(width), joint="curve")

    def stroke(self, a: tuple[float, float], b: tuple[float, float], fill: RGBA, width: float = 1.0,
               passes: int = 2, wobble: float = 1.2, overshoot: float = 0.04) -> None:
        """A hand-drawn line: a couple of slightly different passes, ends a little past the corner."""
        (x0, y0), (x1, y1) = a, b
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy) or 1.0
        for i in range(passes):
            o0 = self.rng.uniform(0, overshoot) * length if i == 0 else self.rng.uniform(-0.01, 0.03) * length
            o1 = self.rng.uniform(0, overshoot) * length if i == 0 else self.rng.uniform(-0.01, 0.03) * length
            j = wobble * (1 if i else 0.4)
            sx = x0 - dx / length * o0 + self.rng.uniform(-j, j)
            sy = y0 - dy / length * o0 + self.rng.uniform(-j, j)
            ex = x1 + dx / length * o1 + self.rng.uniform(-j, j)
            ey = y1 + dy / length * o1 + self.rng.uniform(-j, j)
            # a slight bow in the middle, the way a wrist draws a long line
            bow = self.rng.uniform(-1, 1) * min(3.0, 0.006 * length) * (1 if i else 0.5)
            mx, my = (sx + ex) / 2 - dy / length * bow, (sy + ey) / 2 + dx / length * bow
            col = fill if i == 0 else (fill[0], fill[1], fill[2], int(fill[3] * 0.55))
            self.draw.line(self.pts([(sx, sy), (mx, my), (ex, ey)]), fill=col,
                           width=self.w(width * (1 if i == 0 else 0.7)), joint="curve")

    def box(self, corners: list[tuple[float, float]], fill: RGBA, width: float = 1.0, passes: int = 2) -> None:
        for i in range(len(corners)):
            self.stroke(corners[i], corners[(i + 1) % len(corners)], fill, width, passes=passes)

    def hatch(self, corners: list[tuple[float, float]], fill: RGBA, spacing: float, width: float = 0.8,
              angle: float = 0.9) -> None:
        """Parallel diagonal strokes clipped to a polygon: the storyboard way to say 'in shadow'."""
        cs = self.pts(corners)
        bx0 = max(0, int(min(c[0] for c in cs)) - 2)
        by0 = max(0, int(min(c[1] for c in cs)) - 2)
        bx1 = min(self.image.width, int(max(c[0] for c in cs)) + 3)
        by1 = min(self.image.height, int(max(c[1] for c in cs)) + 3)
        if bx1 - bx0 < 2 or by1 - by0 < 2:
            return
        size = (bx1 - bx0, by1 - by0)
        local = [(x - bx0, y - by0) for x, y in cs]
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).polygon(local, fill=255)
        layer = Image.new("L", size, 0)
        d = ImageDraw.Draw(layer)
        h = size[1]
        step = max(2.0, spacing * self.k)
        span = h / max(0.2, math.tan(angle))
        x = -span
        jitter = self.k
        while x < size[0]:
            d.line(((x + self.rng.uniform(-jitter, jitter), h), (x + span + self.rng.uniform(-jitter, jitter), 0)),
                   fill=fill[3], width=self.w(width))
            x += step * self.rng.uniform(0.8, 1.2)
        alpha = ImageChops.multiply(layer, mask)
        solid = Image.new(self.image.mode, size, fill[:3] if self.image.mode == "RGB" else (*fill[:3], 255))
        if self.image.mode == "RGB":
            self.image.paste(solid, (bx0, by0), alpha)
        else:
            solid.putalpha(alpha)
            self.image.alpha_composite(solid, (bx0, by0))

    def arrow(self, a: tuple[float, float], b: tuple[float, float], fill: RGBA, width: float = 2.0,
              head: float = 10.0, dashed: bool = False, dash: float | None = None) -> None:
        (x0, y0), (x1, y1) = a, b
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        end = (x1 - ux * head * 0.6, y1 - uy * head * 0.6)
        if dashed:
            dash = dash if dash is not None else head * 0.6
            t = 0.0
            while t < length - head * 0.6:
                t2 = min(t + dash, length - head * 0.6)
                self.line([(x0 + ux * t, y0 + uy * t), (x0 + ux * t2, y0 + uy * t2)], fill, width)
                t += dash * 1.8
        else:
            self.line([a, end], fill, width)
        px, py = -uy, ux
        self.polygon([(x1, y1), (x1 - ux * head + px * head * 0.5, y1 - uy * head + py * head * 0.5),
                      (x1 - ux * head - px * head * 0.5, y1 - uy * head - py * head * 0.5)], fill)
