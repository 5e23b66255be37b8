"""Actors: marker-drawn mannequins sized by framing, placed by blocking, walking in and out of frame.

A figure is built from simple shapes (capsules for limbs, a polygon torso, ellipses for the head) in *head units*
around the head centre. It is drawn twice — first every shape grown by the outline width in the outline colour,
then every shape in its fill — so only the outer silhouette gets a line, the way a marker artist draws it.
Each (actor, facing, stride) is rendered once per take into an RGBA sprite; frames only paste sprites.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageDraw

from storyreel.model.shot import Blocking, Framing, Look, Shot, Side
from storyreel.providers.previz.scenery import SetPlan
from storyreel.providers.previz.style import (
    RGB,
    Palette,
    Pen,
    character_colour,
    fit_text,
    font,
    mix,
    rgba,
    shade,
    text_size,
)

SS = 2  # supersampling for sprites

# Screen x of the blocking positions, by framing (fraction of frame width).
_SPOTS = {
    Framing.ESTABLISHING: (0.3, 0.5, 0.7),
    Framing.WIDE: (0.27, 0.5, 0.73),
    Framing.MEDIUM: (0.3, 0.5, 0.7),
    Framing.CLOSE: (0.29, 0.5, 0.71),
    Framing.EXTREME_CLOSE: (0.3, 0.5, 0.7),
    Framing.INSERT: (0.3, 0.5, 0.7),
}


@dataclass
class Move:
    """One stretch of movement over normalised shot time ``t0..t1``."""

    t0: float
    t1: float
    x0: float
    x1: float
    depth0: float = 1.0  # 1 = the actor's mark; smaller = further upstage (for centre entrances / exits)
    depth1: float = 1.0
    facing: str = "right"


@dataclass
class Actor:
    name: str
    colour: RGB
    x: float  # scene x of the mark (head centre)
    scale: float  # 1 = front row; back-row actors are a little smaller
    facing: str  # "left" | "right" | "front" | "back" while standing
    look: Look | None
    moves: list[Move] = field(default_factory=list)
    lean: float = 0.0  # pose variation, head units
    tilt: float = 0.0
    arm: float = 0.0

    @property
    def moving(self) -> bool:
        return bool(self.moves)


def _side_x(side: Side, framing: Framing) -> float:
    spots = _SPOTS[framing]
    return {Side.LEFT: spots[0], Side.CENTER: spots[1], Side.RIGHT: spots[2]}[side]


def stage(shot: Shot, plan: SetPlan, colours: dict[str, str], rng: random.Random,
          view_bounds: tuple[float, float]) -> list[Actor]:
    """Turn the shot's blocking into actors with marks and moves. ``view_bounds`` is the plate's scene x-extent."""
    if shot.framing == Framing.INSERT:
        return []
    blocking = list(shot.blocking)
    if not blocking and shot.dialogue:  # a dialogue shot with no blocking still shows who speaks
        names: list[str] = []
        for d in shot.dialogue:
            if d.character not in names:
                names.append(d.character)
        sides = [Side.CENTER] if len(names) == 1 else [Side.LEFT, Side.RIGHT, Side.CENTER]
        blocking = [Blocking(character=n, position=sides[i % len(sides)]) for i, n in enumerate(names[:3])]
    W = plan.W
    hh = plan.S * 0.144
    groups: dict[Side, list[Blocking]] = {}
    for b in blocking:
        groups.setdefault(b.position, []).append(b)
    actors: list[Actor] = []
    # colours: the bible's first, then marker colours that differ from everyone already in the shot
    palette: dict[str, RGB] = {b.character: character_colour(b.character, colours) for b in blocking
                               if b.character in colours}
    for b in blocking:
        if b.character not in palette:
            palette[b.character] = character_colour(b.character, colours, list(palette.values()))
    for side, members in groups.items():
        base = _side_x(side, shot.framing) * W
        n = len(members)
        spread = min(W * 0.17, hh * 2.3)
        for i, b in enumerate(members):
            off = (i - (n - 1) / 2) * spread
            x = base + off + rng.uniform(-0.02, 0.02) * W
            scale = 1.0 - 0.1 * i  # the first named stands nearest; the others a step upstage
            actors.append(Actor(name=b.character, colour=palette[b.character], x=x, scale=scale,
                                facing="front", look=b.look, lean=rng.uniform(-0.08, 0.08),
                                tilt=rng.uniform(-0.06, 0.06), arm=rng.uniform(-0.15, 0.25)))
            actors[-1].moves = _moves(b, actors[-1], view_bounds, hh)
    xs = [a.x for a in actors]
    for a in actors:
        a.facing = _rest_facing(a, xs, W)
    # back row first so the front row overlaps it
    actors.sort(key=lambda a: a.scale)
    return actors


def _rest_facing(a: Actor, xs: list[float], W: float) -> str:
    if a.look == Look.CAMERA:
        return "front"
    if a.look == Look.LEFT:
        return "left"
    if a.look == Look.RIGHT:
        return "right"
    others = [x for x in xs if abs(x - a.x) > 1e-6]
    if others:
        return "right" if sum(others) / len(others) > a.x else "left"
    if a.x < W * 0.45:
        return "right"
    if a.x > W * 0.55:
        return "left"
    return "front"


def _moves(b: Blocking, a: Actor, bounds: tuple[float, float], hh: float) -> list[Move]:
    moves: list[Move] = []
    half = hh * 2.6  # a sprite's half-width, label included, with margin
    off_left, off_right = bounds[0] - half, bounds[1] + half
    both = b.enters is not None and b.exits is not None
    if b.enters is not None:
        t0, t1 = (0.0, 0.4) if both else (0.0, 0.45)
        if b.enters == Side.CENTER:  # comes forward from upstage
            moves.append(Move(t0, t1, a.x, a.x, 0.35, 1.0, facing="front"))
        else:
            start = off_left if b.enters == Side.LEFT else off_right
            moves.append(Move(t0, t1, start, a.x, facing="right" if start < a.x else "left"))
    if b.exits is not None:
        t0, t1 = (0.55, 0.95) if both else (0.45, 0.9)
        if b.exits == Side.CENTER:  # walks away upstage
            moves.append(Move(t0, t1, a.x, a.x, 1.0, 0.35, facing="back"))
        else:
            end = off_left if b.exits == Side.LEFT else off_right
            moves.append(Move(t0, t1, a.x, end, facing="right" if end > a.x else "left"))
    return moves


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def actor_at(a: Actor, t: float) -> tuple[float, float, str, bool]:
    """Where the actor is at normalised time ``t``: (x, depth, facing, walking). Standing, they keep their
    eyeline; walking, they face where they go."""
    for m in a.moves:
        if t < m.t0:
            return (m.x0, m.depth0, a.facing, False)
        if t <= m.t1:
            u = (t - m.t0) / max(1e-9, m.t1 - m.t0)
            # walk at an even pace; ease only the first and last tenth
            e = _ease(u) if (m.x0 == m.x1) else (0.1 * _ease(u / 0.1) if u < 0.1 else (
                0.1 + 0.8 * (u - 0.1) / 0.8 if u < 0.9 else 0.9 + 0.1 * _ease((u - 0.9) / 0.1)))
            return (m.x0 + (m.x1 - m.x0) * e, m.depth0 + (m.depth1 - m.depth0) * e, m.facing, True)
    if a.moves:
        last = a.moves[-1]
        return (last.x1, last.depth1, a.facing, False)
    return (a.x, 1.0, a.facing, False)


# --- drawing a figure -------------------------------------------------------------------------------------------


@dataclass
class FigureLook:
    body: RGB
    legs: RGB
    face: RGB
    hair: RGB
    line: RGB
    shadow: RGB


def figure_colours(c: RGB, pal: Palette) -> FigureLook:
    return FigureLook(body=c, legs=shade(c, 0.72), face=mix((238, 222, 204), c, 0.1), hair=shade(c, 0.42),
                      line=shade(c, 0.3), shadow=shade(c, 0.74))


def _shapes(facing: str, stride: int, a: Actor) -> list[tuple[str, str, tuple]]:
    """(part, kind, geometry) in head units, origin at the head centre, y down."""
    d = {"right": 1, "left": -1}.get(facing, 0)
    side = d != 0
    sw = 0.82 if side else 1.02  # half shoulder width
    lean = a.lean
    out: list[tuple[str, str, tuple]] = []
    # legs
    step = 0.85 * stride if side else 0.0
    for sx, sgn in ((-0.36, -1), (0.36, 1)):
        if side:
            sx *= 0.55
        hip = (sx + lean * 0.3, 3.55)
        ankle = (sx * 0.9 + (d * step if sgn == d else -d * step), 6.75)
        knee = ((hip[0] + ankle[0]) / 2 + d * 0.08 * abs(stride), 5.15)
        out.append(("legs", "capsule", (hip, knee, 0.33)))
        out.append(("legs", "capsule", (knee, ankle, 0.26)))
        toe = (ankle[0] + (d * 0.42 if side else sgn * 0.12), 6.92)
        out.append(("legs", "capsule", ((ankle[0] - d * 0.05, 6.85), toe, 0.14)))
    # neck first: the torso's neckline covers its base
    hx = lean * 0.75
    out.append(("face", "capsule", ((hx * 0.8, 0.3), (hx * 0.6, 0.75), 0.18)))
    # arms (drawn before the torso so it covers their inner edge)
    for sgn in (-1, 1):
        sh = (sgn * sw * 0.8 + lean * 0.6, 1.2)
        swing = (a.arm * sgn if not side else a.arm * sgn * 0.8) + (0.35 * stride * sgn if side else 0)
        el = (sgn * (sw + 0.02) + lean * 0.5 + swing * 0.4, 2.4)
        hand = (sgn * (sw - 0.04) + lean * 0.4 + swing, 3.5)
        out.append(("body", "capsule", (sh, el, 0.18)))
        out.append(("body", "capsule", (el, hand, 0.16)))
        out.append(("face", "ellipse", (hand[0], hand[1] + 0.12, 0.12, 0.15)))
    # torso: neckline, trapezius slope, shoulder, armpit, waist, hip
    t = [(-0.2, 0.62), (-sw * 0.72, 0.8), (-sw * 0.97, 0.98), (-sw, 1.25), (-sw * 0.9, 1.8), (-0.64, 2.75),
         (-0.74, 3.4), (-0.1, 3.78), (0.1, 3.78), (0.74, 3.4), (0.64, 2.75), (sw * 0.9, 1.8), (sw, 1.25),
         (sw * 0.97, 0.98), (sw * 0.72, 0.8), (0.2, 0.62), (0.0, 0.7)]
    if side:
        t = [(x * 0.86 + d * 0.05 * (1 if y < 2.5 else -0.5), y) for x, y in t]
    t = [(x + lean * (1 - y / 4.0) * 0.6, y) for x, y in t]
    out.append(("body", "poly", tuple(t)))
    # head
    if facing == "back":
        out.append(("hair", "ellipse", (hx, 0.0, 0.4, 0.5)))
    elif side:
        out.append(("hair", "ellipse", (hx - d * 0.07, -0.06, 0.42, 0.46)))
        out.append(("face", "ellipse", (hx + d * 0.06, 0.06, 0.33, 0.44)))
        out.append(("face", "poly", ((hx + d * 0.3, -0.06), (hx + d * 0.46, 0.12), (hx + d * 0.32, 0.17))))  # nose
    else:
        out.append(("hair", "ellipse", (hx, -0.08, 0.42, 0.43)))
        out.append(("face", "ellipse", (hx, 0.07, 0.36, 0.45)))
    return out


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, g: tuple, tf, k: float, grow: float, fill) -> None:
    if kind == "capsule":
        p0, p1, r = g
        a, b = tf(*p0), tf(*p1)
        rr = r * k + grow
        draw.line((a, b), fill=fill, width=max(1, round(2 * rr)))
        for c in (a, b):
            draw.ellipse((c[0] - rr, c[1] - rr, c[0] + rr, c[1] + rr), fill=fill)
    elif kind == "ellipse":
        cx, cy, rx, ry = g
        c = tf(cx, cy)
        draw.ellipse((c[0] - rx * k - grow, c[1] - ry * k - grow, c[0] + rx * k + grow, c[1] + ry * k + grow),
                     fill=fill)
    else:
        pts = [tf(x, y) for x, y in g]
        draw.polygon(pts, fill=fill)
        if grow > 0:
            draw.line(pts + [pts[0]], fill=fill, width=max(1, round(2 * grow)), joint="curve")


@dataclass
class Sprite:
    image: Image.Image  # RGBA, plate pixels
    ax: float  # where the head centre is inside the image
    ay: float


def label_text(a: Actor, chinese: bool) -> tuple[str, str | None]:
    sub = None
    if a.look == Look.CAMERA:
        sub = "◉ 看镜头" if chinese else "◉ TO CAMERA"
    return a.name, sub


def render_sprite(a: Actor, facing: str, stride: int, plan: SetPlan, pal: Palette, *, k: float,
                  plate_h: float, head_y_plate: float, head_y_scene: float, label: bool = True,
                  scale: float = 1.0) -> Sprite:
    """Draw one actor pose into an RGBA sprite at plate resolution (``k`` plate px per scene px).

    ``plate_h``/``head_y_plate`` let the sprite stop at the plate's bottom edge: medium and close framings cut
    the body off there, so there is no point drawing legs nobody will see.
    """
    H = plan.H
    hh = plan.S * 0.144 * a.scale * scale  # head height in scene px
    u = hh * k * SS  # head unit in sprite px
    look = figure_colours(a.colour, pal)
    outline = max(1.0, min(0.05 * hh, 0.0055 * H)) * k * SS
    shapes = _shapes(facing, stride, a)
    feet_visible = plan.framing in (Framing.ESTABLISHING, Framing.WIDE)
    # label geometry (scene px)
    lsize = max(10.0, 0.028 * min(H, plan.W * 0.75))
    fnt = font(round(lsize * k * SS))
    name, sub = label_text(a, plan.chinese)
    name = fit_text(name, fnt, 10 * lsize * k * SS)
    tw, th = text_size(name, fnt)
    sub_fnt = font(round(lsize * 0.72 * k * SS))
    sw_, sh_ = text_size(sub, sub_fnt) if sub else (0, 0)
    pad = 0.35 * th
    lw = max(tw, sw_) + pad * 3.2
    lh = th + (sh_ + pad * 0.2 if sub else 0) + pad * 0.9
    # figure extent in sprite px relative to the head centre
    fx0, fx1 = -2.0 * u, 2.0 * u
    fy0 = -0.75 * u
    fy1 = 7.3 * u if feet_visible else 7.1 * u
    # cut at the plate bottom
    head_plate = head_y_plate * SS
    max_below = plate_h * SS - head_plate + 4
    fy1 = min(fy1, max_below)
    # label placement: above the head in wide framings, on the chest in a medium, beside the head when closer
    # (or whenever the chosen spot would run into the notes at the top or the caption at the bottom)
    gap = 0.25 * u + 4 * k * SS
    lx = -lw / 2
    ly = fy0 - gap - lh

    def scene_y(y: float) -> float:  # sprite px relative to the head centre -> scene y
        return head_y_scene + y / (k * SS)

    beside = plan.framing in (Framing.CLOSE, Framing.EXTREME_CLOSE) or scene_y(ly) < 0.17 * H
    if plan.framing == Framing.MEDIUM:
        lx, ly = -lw / 2 + a.lean * 0.4 * u, 1.75 * u - lh / 2
        beside = scene_y(ly + lh) > 0.78 * H
    if beside:
        # behind the head (away from the eyeline) unless that side runs off the frame
        d = {"right": -1, "left": 1}.get(facing, 1 if a.x < plan.W / 2 else -1)
        ly = -lh / 2 - 0.1 * u
        for side_ in (d, -d):
            lx = side_ * (0.5 * u + gap) - (lw if side_ < 0 else 0)
            left = a.x + lx / (k * SS)
            if left >= 0.02 * plan.W and left + lw / (k * SS) <= 0.98 * plan.W:
                break
        else:  # neither side fits (an extreme close-up): keep it inside the frame, low on the face
            lx = min(max(lx, (0.02 * plan.W - a.x) * k * SS), (0.98 * plan.W - a.x) * k * SS - lw)
            ly = 0.55 * u
    x0 = min(fx0, lx - 4) if label else fx0
    x1 = max(fx1, lx + lw + 4) if label else fx1
    y0 = min(fy0, ly - 4) if label else fy0
    y1 = fy1
    if a.look in (Look.LEFT, Look.RIGHT):
        x0 = min(x0, -2.2 * u)
        x1 = max(x1, 2.2 * u)
    w, h = int(math.ceil(x1 - x0)) + 2, int(math.ceil(y1 - y0)) + 2
    w += (-w) % SS
    h += (-h) % SS
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ox, oy = -x0 + 1, -y0 + 1  # sprite px of the head centre

    def tf(x: float, y: float) -> tuple[float, float]:
        return (ox + x * u, oy + y * u)

    draw = ImageDraw.Draw(img, "RGBA")
    if feet_visible:  # contact shadow, thrown away from the key light
        sx = -plan.light_x * 0.7
        cx, cy = tf(sx, 6.95)
        draw.ellipse((cx - 1.3 * u, cy - 0.22 * u, cx + 1.3 * u, cy + 0.22 * u), fill=rgba(pal.graphite, 0.22))
    # pass 1: outline (every shape grown), pass 2: fills; a mask of the fills drives the shading
    for _, kind, g in shapes:
        _draw_shape(draw, kind, g, tf, u, outline, look.line + (255,))
    mask = Image.new("L", (w, h), 0)  # what is visible of clothes and hair (hatched in shadow)
    fmask = Image.new("L", (w, h), 0)  # what is visible of face and hands (only a light tone in shadow)
    mdraw, fdraw = ImageDraw.Draw(mask), ImageDraw.Draw(fmask)
    fills = {"body": look.body, "legs": look.legs, "face": look.face, "hair": look.hair}
    for part, kind, g in shapes:
        _draw_shape(draw, kind, g, tf, u, 0, fills[part] + (255,))
        is_face = part == "face"
        _draw_shape(mdraw, kind, g, tf, u, 0, 0 if is_face else 255)
        _draw_shape(fdraw, kind, g, tf, u, 0, 255 if is_face else 0)
    # shadow side: marker hatching on the side away from the key light, fading in across the figure
    ramp = Image.linear_gradient("L").rotate(90 if plan.light_x < 0 else -90).resize((w, h))
    ramp = ramp.point(lambda v: 0 if v < 120 else min(255, int((v - 120) * 2.2)))
    hatch = Image.new("L", (w, h), 0)
    hd = ImageDraw.Draw(hatch)
    step = max(3.0 * SS, 0.085 * u)
    lw_ = max(1, round(step * 0.32))
    xx = -float(h)
    while xx < w:
        hd.line(((xx, h), (xx + h * 0.7, 0)), fill=255, width=lw_)
        xx += step
    shadow_alpha = ImageChops.multiply(ImageChops.multiply(mask, ramp), hatch).point(lambda v: v * 0.6)
    flat_alpha = ImageChops.add(ImageChops.multiply(mask, ramp).point(lambda v: v * 0.22),
                                ImageChops.multiply(fmask, ramp).point(lambda v: v * 0.16))
    dark = Image.new("RGBA", (w, h), look.shadow + (255,))
    img.paste(dark, (0, 0), flat_alpha)
    img.paste(Image.new("RGBA", (w, h), look.line + (255,)), (0, 0), shadow_alpha)
    # face details
    d = {"right": 1, "left": -1}.get(facing, 0)
    hx = a.lean * 0.75
    eye_r = max(0.9 * SS, 0.045 * u)
    if facing == "back":
        pass
    elif d:
        ex, ey = tf(hx + d * 0.22, -0.02)
        draw.ellipse((ex - eye_r, ey - eye_r * 1.3, ex + eye_r, ey + eye_r * 1.3), fill=look.line + (255,))
        if u > 40 * SS:  # an ear where the hair line meets the cheek
            ear = tf(hx - d * 0.16, 0.06)
            er = 0.065 * u
            draw.arc((ear[0] - er, ear[1] - er * 1.4, ear[0] + er, ear[1] + er * 1.4), 100 if d > 0 else 280,
                     260 if d > 0 else 80, fill=look.line + (150,), width=max(1, round(outline * 0.45)))
        if u > 24 * SS:  # mouth only where it can be seen
            m0, m1 = tf(hx + d * 0.18, 0.27), tf(hx + d * 0.3, 0.26)
            draw.line((m0, m1), fill=look.line + (200,), width=max(1, round(outline * 0.6)))
    else:
        for sgn in (-1, 1):
            ex, ey = tf(hx + sgn * 0.15, 0.03)
            draw.ellipse((ex - eye_r, ey - eye_r * 1.3, ex + eye_r, ey + eye_r * 1.3), fill=look.line + (255,))
        if u > 24 * SS:
            n0, n1 = tf(hx, 0.08), tf(hx + 0.04, 0.18)
            draw.line((n0, n1), fill=look.line + (160,), width=max(1, round(outline * 0.5)))
            m0, m1 = tf(hx - 0.1, 0.29), tf(hx + 0.1, 0.29)
            draw.line((m0, m1), fill=look.line + (200,), width=max(1, round(outline * 0.6)))
    # eyeline: a dashed accent arrow out of the eyes
    if a.look in (Look.LEFT, Look.RIGHT) and facing in ("left", "right"):
        pen = Pen(img, u, ox, oy, random.Random(0))
        dd = 1 if facing == "right" else -1
        px_ = k * SS  # sprite px per scene px; the arrow is capped in scene px so close-ups don't get a spear
        wid = min(max(1.3 * px_, 0.03 * u), 0.005 * H * px_) / u
        length = min(0.7, 0.1 * plan.W * px_ / u)
        head = min(max(0.16, wid * 5), 0.028 * H * px_ / u)
        pen.arrow((hx + dd * 0.58, -0.02), (hx + dd * (0.58 + length), -0.02), rgba(pal.accent, 0.95),
                  width=wid, head=head, dashed=True, dash=max(wid * 3, head * 0.5))
    if label:
        lx0, ly0 = ox + lx, oy + ly
        r = lh * 0.22
        draw.rounded_rectangle((lx0 + 2, ly0 + 3, lx0 + lw + 2, ly0 + lh + 3), r, fill=(0, 0, 0, 60))
        draw.rounded_rectangle((lx0, ly0, lx0 + lw, ly0 + lh), r, fill=rgba(pal.paper, 0.92),
                               outline=rgba(look.line, 0.9), width=max(1, round(SS * k)))
        draw.rounded_rectangle((lx0 + pad * 0.45, ly0 + pad * 0.5, lx0 + pad * 1.15, ly0 + lh - pad * 0.5),
                               r * 0.5, fill=a.colour + (255,))
        text_col = (30, 28, 26) if pal.paper[0] + pal.paper[1] + pal.paper[2] > 380 else (245, 240, 230)
        draw.text((lx0 + pad * 1.9, ly0 + pad * 0.4), name, font=fnt, fill=text_col)
        if sub:
            draw.text((lx0 + pad * 1.9, ly0 + pad * 0.4 + th), sub, font=sub_fnt, fill=pal.accent + (255,)
                      if not pal.dark else shade(pal.accent, 0.7) + (255,))
    small = img.reduce(SS)
    return Sprite(small, ox / SS, oy / SS)
