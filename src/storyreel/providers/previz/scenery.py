"""The set behind the actors: a one-point-perspective room or street, sketched in pencil on the palette.

Geometry is a tiny pinhole camera. A point ``(X, U, Z)`` — lateral and height in *eye units* (a standing adult's
eye height = 1), depth relative to the back wall (``Z = 1``; smaller is nearer the lens) — lands on screen at
``x = vpx + X * d / Z``, ``y = horizon + (cam_u - U) * d / Z``. The framing decides how big an actor is (``S``,
pixels per eye unit at the actor's depth) and the seed decides camera height, room size and what is in it, so the
horizon always sits where the camera's eye level puts it and everything converges on one vanishing point.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from storyreel.model.shot import Framing, Shot
from storyreel.providers.previz.props import PROPS as _PROPS
from storyreel.providers.previz.props import line_col
from storyreel.providers.previz.style import Palette, Pen, has_cjk, mix, shade

HEAD_UNITS = 0.144  # head height in eye units (a 23 cm head over a 1.6 m eye height)


@dataclass(frozen=True)
class FramingRule:
    head: float  # head height, fraction of frame height
    head_y: float  # head centre, fraction of frame height
    cam_u: tuple[float, float]  # camera height range, eye units
    depth: tuple[float, float]  # actor depth relative to the back wall
    haze: float  # how far the set fades toward the wall colour (depth of field)
    blur: float  # background blur, fraction of frame height


RULES: dict[Framing, FramingRule] = {
    Framing.ESTABLISHING: FramingRule(0.017, 0.62, (2.2, 3.2), (0.38, 0.6), 0.0, 0.0),
    Framing.WIDE: FramingRule(0.082, 0.33, (0.82, 1.25), (0.36, 0.55), 0.0, 0.0),
    Framing.MEDIUM: FramingRule(0.235, 0.30, (0.93, 1.08), (0.2, 0.3), 0.18, 0.0015),
    Framing.CLOSE: FramingRule(0.40, 0.45, (0.97, 1.04), (0.11, 0.18), 0.35, 0.004),
    Framing.EXTREME_CLOSE: FramingRule(0.88, 0.52, (0.99, 1.01), (0.05, 0.09), 0.5, 0.007),
    Framing.INSERT: FramingRule(0.3, 0.5, (1.0, 1.0), (0.3, 0.3), 0.0, 0.0),
}


@dataclass
class SetPlan:
    W: float
    H: float
    framing: Framing
    interior: bool
    time: str  # "day" | "night" | "dusk"
    cam_u: float
    S: float  # pixels per eye unit at the actors' depth
    head_y: float
    horizon: float
    vpx: float
    depth: float  # actors' depth relative to the back wall
    d: float  # pixels per eye unit at the back wall
    hw_l: float
    hw_r: float
    ceil_u: float
    kind: str  # interior: "room"; exterior: "street" | "open"
    light_x: float  # -1 (light from the left) .. 1 (from the right)
    light_y: float  # 0 top .. 1 bottom, where the light pool sits
    props: list[tuple[str, dict]] = field(default_factory=list)
    chinese: bool = False
    glows: list[tuple[float, float, float, float]] = field(default_factory=list)  # x, y, radius, strength

    def proj(self, X: float, U: float, Z: float) -> tuple[float, float]:
        s = self.d / Z
        return (self.vpx + X * s, self.horizon + (self.cam_u - U) * s)


def _time_of_day(heading: str) -> str:
    h = heading.upper()
    if "NIGHT" in h or "夜" in heading or "晚" in heading:
        return "night"
    if "DUSK" in h or "DAWN" in h or "黄昏" in heading or "傍晚" in heading or "黎明" in heading or "清晨" in heading:
        return "dusk"
    return "day"


def _interior(heading: str, rng: random.Random) -> bool:
    h = heading.strip().upper()
    if h.startswith(("INT", "I/E")) or "内" in heading[:4]:
        return True
    if h.startswith("EXT") or "外" in heading[:4]:
        return False
    return rng.random() < 0.6


_OPEN_WORDS = ("MOUNTAIN", "FIELD", "FOREST", "WOODS", "BEACH", "SHORE", "RIVER", "LAKE", "PARK", "DESERT", "HILL",
               "FARM", "GARDEN", "MEADOW", "COUNTRY",
               "山", "野", "田", "林", "海", "河", "江", "湖", "园", "村", "岸", "草原")
_STREET_WORDS = ("STREET", "ROAD", "AVENUE", "ALLEY", "LANE", "SQUARE", "MARKET", "TOWN", "CITY", "DOWNTOWN",
                 "街", "巷", "路", "镇", "城", "市", "广场")


def _exterior_kind(heading: str, rng: random.Random) -> str:
    h = heading.upper()
    kind = rng.choice(["street", "open"])  # drawn even when the heading decides, so the seed stream is stable
    if any(w in h for w in _OPEN_WORDS):
        return "open"
    if any(w in h for w in _STREET_WORDS):
        return "street"
    return kind


def plan_set(shot: Shot, W: int, H: int, rng: random.Random) -> SetPlan:
    framing = shot.framing
    rule = RULES[framing]
    unit = min(H, W * 0.9)  # keeps actors a sensible size in vertical (9:16) frames
    cam_u = rng.uniform(*rule.cam_u)
    hh = rule.head * unit
    S = hh / HEAD_UNITS
    head_y = rule.head_y * H
    horizon = head_y - (cam_u - 1.0) * S
    depth = rng.uniform(*rule.depth)
    interior = _interior(shot.heading, rng)
    plan = SetPlan(
        W=W, H=H, framing=framing, interior=interior, time=_time_of_day(shot.heading), cam_u=cam_u, S=S,
        head_y=head_y, horizon=horizon, vpx=W * (0.5 + rng.uniform(-0.17, 0.17)), depth=depth, d=S * depth,
        hw_l=rng.uniform(1.7, 3.3), hw_r=rng.uniform(1.7, 3.3), ceil_u=rng.uniform(1.75, 2.35),
        kind="room" if interior else _exterior_kind(shot.heading, rng),
        light_x=rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 1.0), light_y=rng.uniform(0.15, 0.6),
        chinese=has_cjk(shot.heading + shot.description + "".join(d.text for d in shot.dialogue)),
    )
    if framing == Framing.INSERT:
        plan.horizon = -H * rng.uniform(0.6, 1.4)  # looking down at a surface
    plan.props = _choose_props(plan, rng, f"{shot.description} {shot.prompt}".lower())
    return plan


_INSERT_WORDS = {
    "cup": ("cup", "tea", "mug", "coffee", "glass", "杯", "茶", "碗"),
    "letter": ("letter", "note", "paper", "envelope", "photo", "信", "纸", "照片", "信封"),
    "phone": ("phone", "screen", "message", "text", "手机", "电话", "短信", "屏幕"),
    "book": ("book", "diary", "notebook", "journal", "书", "日记", "本子"),
    "key": ("key", "钥匙"),
}


def _choose_props(plan: SetPlan, rng: random.Random, text: str = "") -> list[tuple[str, dict]]:
    props: list[tuple[str, dict]] = []
    near = min(0.95, plan.depth * 1.35)  # props stay behind the actors
    if plan.framing == Framing.INSERT:
        named = [k for k, words in _INSERT_WORDS.items() if any(w in text for w in words)]
        first = min(named, key=lambda k: min(text.find(w) for w in _INSERT_WORDS[k] if w in text)) if named else None
        return [("insert", {"kind": first or rng.choice(["cup", "letter", "phone", "book", "key"]),
                            "x": rng.uniform(0.38, 0.62), "y": rng.uniform(0.45, 0.58), "rot": rng.uniform(-0.4, 0.4)})]
    if plan.interior:
        n_win = rng.choice([1, 1, 2, 2, 3])
        span = plan.hw_l + plan.hw_r
        for i in range(n_win):
            cx = -plan.hw_l + span * (i + 0.5 + rng.uniform(-0.25, 0.25)) / n_win
            props.append(("window", {"x": cx, "w": rng.uniform(0.45, 0.8), "sill": rng.uniform(0.45, 0.65),
                                     "top": rng.uniform(1.3, 1.6), "panes": rng.choice([2, 3, 4]),
                                     "lattice": plan.chinese and rng.random() < 0.7}))
        side = rng.choice(["left", "right"])
        props.append(("door", {"side": side, "z": rng.uniform(max(near, 0.45), 0.8), "w": rng.uniform(0.2, 0.3)}))
        for _ in range(rng.choice([1, 2, 2, 3])):
            props.append(("lamp", {"x": rng.uniform(-plan.hw_l * 0.7, plan.hw_r * 0.7), "z": rng.uniform(near, 0.9),
                                   "drop": rng.uniform(0.25, 0.5),
                                   "lantern": plan.chinese and rng.random() < 0.75}))
        for _ in range(rng.choice([1, 2])):
            props.append(("table", {"x": rng.choice([-1, 1]) * rng.uniform(0.6, 1.6), "z": rng.uniform(near, 0.85),
                                    "w": rng.uniform(0.5, 0.8), "round": rng.random() < 0.5}))
        props.append(rng.choice([("frame", {"x": rng.uniform(-0.6, 0.6), "scroll": plan.chinese}),
                                 ("shelf", {"side": "right" if side == "left" else "left"}),
                                 ("plant", {"side": "right" if side == "left" else "left"})]))
    else:
        if plan.kind == "street":
            for sgn in (-1, 1):
                z = rng.uniform(0.2, 0.3) if plan.framing == Framing.ESTABLISHING else rng.uniform(near, near + 0.3)
                while z < 9:
                    length = rng.uniform(0.5, 1.6) * z
                    props.append(("facade", {"side": sgn, "z0": z, "z1": z + length, "h": rng.uniform(2.5, 7.0),
                                             "x": sgn * rng.uniform(3.0, 4.2)}))
                    z += length + rng.uniform(0.0, 0.15) * z
            for _ in range(rng.choice([2, 3, 4])):
                props.append(("post", {"x": rng.choice([-1, 1]) * rng.uniform(2.2, 2.8), "z": rng.uniform(near, 4.0)}))
        else:
            props.append(("hills", {"n": rng.choice([2, 3]), "seed": rng.random()}))
            for _ in range(rng.choice([2, 3, 5])):
                props.append(("tree", {"x": rng.choice([-1, 1]) * rng.uniform(2.0, 7.0), "z": rng.uniform(near, 6.0),
                                       "h": rng.uniform(2.5, 5.0)}))
        props.append(("sky", {"x": rng.uniform(0.15, 0.85), "y": rng.uniform(0.1, 0.3),
                              "clouds": rng.choice([1, 2, 3])}))
    return props


# --- painting ----------------------------------------------------------------------------------------------------


def paint_set(pen: Pen, plan: SetPlan, pal: Palette) -> None:
    """Draw the set onto ``pen`` (the supersampled plate)."""
    if plan.framing == Framing.INSERT:
        _paint_insert(pen, plan, pal)
    elif plan.interior:
        _paint_room(pen, plan, pal)
    else:
        _paint_exterior(pen, plan, pal)


def _paint_room(pen: Pen, p: SetPlan, pal: Palette) -> None:
    x0, y0, x1, y1 = pen.scene_bounds()
    wall = pal.bg
    floor = mix(pal.bg, pal.bg2, 0.75)
    ceiling = shade(pal.bg, 0.9) if not pal.dark else shade(pal.bg, 0.82)
    side = mix(pal.bg, pal.bg2, 0.25)
    pen.rect(x0, y0, x1, y1, wall)
    zn = 0.02  # "at the lens": far enough out that the lines run off the canvas
    bl, br = p.proj(-p.hw_l, 0, 1), p.proj(p.hw_r, 0, 1)
    tl, tr = p.proj(-p.hw_l, p.ceil_u, 1), p.proj(p.hw_r, p.ceil_u, 1)
    nbl, nbr = p.proj(-p.hw_l, 0, zn), p.proj(p.hw_r, 0, zn)
    ntl, ntr = p.proj(-p.hw_l, p.ceil_u, zn), p.proj(p.hw_r, p.ceil_u, zn)
    pen.polygon([tl, bl, nbl, ntl], side)
    pen.polygon([tr, br, nbr, ntr], side)
    pen.polygon([bl, br, nbr, nbl], floor)
    pen.polygon([tl, tr, ntr, ntl], ceiling)
    ink = line_col(pal, 0.55)
    faint = line_col(pal, 0.22)
    # floor boards converge on the vanishing point; cross joints get closer with distance
    n = 9
    for i in range(n + 1):
        X = -p.hw_l + (p.hw_l + p.hw_r) * i / n
        pen.stroke(p.proj(X, 0, 1), p.proj(X, 0, 0.05), faint, 1.0, passes=1, overshoot=0)
    z = 1.0
    while z > 0.06:
        pen.stroke(p.proj(-p.hw_l, 0, z), p.proj(p.hw_r, 0, z), faint, 0.9, passes=1, overshoot=0)
        z *= 0.72
    # skirting on the back wall
    pen.stroke(p.proj(-p.hw_l, 0.09, 1), p.proj(p.hw_r, 0.09, 1), faint, 1.0, passes=1)
    # room edges: back wall rectangle and the four corner lines toward the lens
    pen.box([tl, tr, br, bl], ink, 1.6)
    for a, b in ((bl, nbl), (br, nbr), (tl, ntl), (tr, ntr)):
        pen.stroke(a, b, ink, 1.6, overshoot=0)
    for kind, args in p.props:
        _PROPS[kind](pen, p, pal, args)
    if p.horizon > y0:  # the eye-level line, faint, as a board artist leaves it
        pen.stroke((x0, p.horizon), (x1, p.horizon), line_col(pal, 0.12), 0.8, passes=1, overshoot=0)


def _paint_exterior(pen: Pen, p: SetPlan, pal: Palette) -> None:
    x0, y0, x1, y1 = pen.scene_bounds()
    sky_top = pal.bg
    sky_low = mix(pal.bg, pal.paper, 0.12 if p.time != "night" else 0.05)
    ground = mix(pal.bg, pal.bg2, 0.8)
    # sky as a few bands (cheap gradient), ground as one
    bands = 12
    top = min(y0, p.horizon - 1)
    for i in range(bands):
        a = top + (p.horizon - top) * i / bands
        b = top + (p.horizon - top) * (i + 1) / bands + 1
        pen.rect(x0, a, x1, b, mix(sky_top, sky_low, (i / (bands - 1)) ** 1.5))
    pen.rect(x0, p.horizon, x1, max(y1, p.horizon + 1), ground)
    for kind, args in p.props:
        if kind in ("sky", "hills"):
            _PROPS[kind](pen, p, pal, args)
    ink = line_col(pal, 0.5)
    faint = line_col(pal, 0.2)
    pen.stroke((x0, p.horizon), (x1, p.horizon), line_col(pal, 0.45), 1.3, passes=2, overshoot=0)
    road = mix(ground, pal.ink, 0.08)
    rw = 1.6
    pen.polygon([p.proj(-rw, 0, 60), p.proj(rw, 0, 60), p.proj(rw, 0, 0.03), p.proj(-rw, 0, 0.03)], road)
    for X in (-rw, rw):
        pen.stroke(p.proj(X, 0, 60), p.proj(X, 0, 0.03), ink, 1.3, passes=2, overshoot=0)
    for X in (-2.3, 2.3):
        pen.stroke(p.proj(X, 0, 60), p.proj(X, 0, 0.03), faint, 1.0, passes=1, overshoot=0)
    z = 0.06
    while z < 40:  # centre dashes, each as long as the gap, shrinking with distance
        pen.stroke(p.proj(0, 0, z), p.proj(0, 0, z * 1.12), line_col(pal, 0.3), 1.2, passes=1, overshoot=0)
        z *= 1.3
    back_to_front = sorted((a for a in p.props if a[0] not in ("sky", "hills")),
                           key=lambda a: -a[1].get("z1", a[1].get("z", 0)))
    for kind, args in back_to_front:
        _PROPS[kind](pen, p, pal, args)


def _paint_insert(pen: Pen, p: SetPlan, pal: Palette) -> None:
    x0, y0, x1, y1 = pen.scene_bounds()
    surface = mix(pal.bg, pal.bg2, 0.6)
    pen.rect(x0, y0, x1, y1, surface)
    faint = line_col(pal, 0.16)
    vp = (p.vpx, p.horizon)
    for i in range(-14, 15):  # wood grain converging on a vanishing point above the frame
        bx = p.W / 2 + i * p.W * 0.09
        pen.stroke(vp, (bx + (bx - vp[0]) * 0.4, y1 + p.H * 0.4), faint, 1.0, passes=1, overshoot=0)
    # the table's front edge
    edge_y = p.H * 0.88
    pen.polygon([(x0, edge_y), (x1, edge_y), (x1, y1), (x0, y1)], shade(surface, 0.82))
    pen.stroke((x0, edge_y), (x1, edge_y), line_col(pal, 0.5), 1.6, passes=2, overshoot=0)
    for kind, args in p.props:
        _PROPS[kind](pen, p, pal, args)



# --- light ------------------------------------------------------------------------------------------------------


def light_plate(plate: Image.Image, plan: SetPlan, pal: Palette, *, origin: tuple[float, float], k: float,
                seed: int) -> Image.Image:
    """Key light falloff, vignette and paper tooth, baked into the (1x) plate. Computed coarse, then upscaled.

    ``origin``/``k`` map scene units to plate pixels as in ``Pen``. The paper tooth is low-frequency on purpose:
    per-pixel noise would cost the encoder dearly once the camera moves.
    """
    pw, ph = plate.size
    gw, gh = max(8, pw // 8), max(8, ph // 8)
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    # scene coordinates of each coarse sample, normalised to the start view
    sx = ((xs + 0.5) * pw / gw - origin[0]) / k / plan.W
    sy = ((ys + 0.5) * ph / gh - origin[1]) / k / plan.H
    lx = 0.5 + 0.55 * plan.light_x
    ly = plan.light_y
    dist = np.sqrt(((sx - lx) * 1.6) ** 2 + (sy - ly) ** 2)
    night = plan.time == "night"
    fall = 1.0 - (0.38 if night else 0.22) * np.clip(dist / 1.1, 0, 1) ** 1.3
    corner = np.sqrt((sx - 0.5) ** 2 * 1.2 + (sy - 0.5) ** 2) / 0.72
    vig = 1.0 - (0.32 if night else 0.2) * np.clip(corner, 0, 1.4) ** 2.4
    tooth = rng.normal(0.0, 1.0, (gh, gw)).astype(np.float32)
    # smooth the tooth a little so it reads as paper, not sensor noise
    tooth = (tooth + np.roll(tooth, 1, 0) + np.roll(tooth, 1, 1) + np.roll(tooth, (1, 1), (0, 1))) / 4
    mult = np.clip(fall * vig * (1.0 - 0.025 * np.abs(tooth)), 0.3, 1.0)
    m = Image.fromarray((mult * 255).astype(np.uint8), "L").resize((pw, ph), Image.BILINEAR)
    lit = ImageChops.multiply(plate, Image.merge("RGB", (m, m, m)))
    # warm pool of light from the key side (screen blend, so it only brightens)
    glow = np.clip(1.0 - dist / 0.55, 0, 1) ** 2 * (0.16 if night else 0.08)
    px_ = sx * plan.W
    py_ = sy * plan.H
    for gx, gy, gr, gs in plan.glows:
        glow = glow + gs * np.clip(1.0 - np.sqrt((px_ - gx) ** 2 + (py_ - gy) ** 2) / max(1.0, gr), 0, 1) ** 2
    glow = np.clip(glow, 0, 0.85)
    g = Image.fromarray((glow * 255).astype(np.uint8), "L").resize((pw, ph), Image.BILINEAR)
    tint = Image.new("RGB", (pw, ph), pal.accent if night else mix(pal.accent, (255, 255, 255), 0.6))
    glow_img = ImageChops.multiply(tint, Image.merge("RGB", (g, g, g)))
    return ImageChops.screen(lit, glow_img)


def soften(plate: Image.Image, plan: SetPlan, pal: Palette, *, k: float) -> Image.Image:
    """Depth of field for tight framings: fade the set toward the wall colour and blur it."""
    rule = RULES[plan.framing]
    out = plate
    if rule.blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(radius=rule.blur * plan.H * k))
    if rule.haze > 0:
        out = Image.blend(out, Image.new("RGB", out.size, pal.bg), rule.haze)
    return out
