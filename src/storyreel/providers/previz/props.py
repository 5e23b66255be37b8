"""The props a set is dressed with — windows, doors, lamps, tables, facades, trees, hills, the sky and the insert
close-up — each a small pencil drawing in the set's one-point perspective (see ``scenery``'s docstring).

Every painter has the same signature, ``(pen, plan, palette, args)``; ``PROPS`` maps the names ``scenery``
chooses to them.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from storyreel.providers.previz.style import Palette, Pen, luma, mix, rgba, shade

if TYPE_CHECKING:
    from storyreel.providers.previz.scenery import SetPlan


def line_col(pal: Palette, a: float) -> tuple[int, int, int, int]:
    return rgba(pal.ink, a)


def _window(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X, w = a["x"], a["w"]
    x0, x1 = max(-p.hw_l + 0.1, X - w / 2), min(p.hw_r - 0.1, X + w / 2)
    if x1 - x0 < 0.15:
        return
    corners = [p.proj(x0, a["top"], 1), p.proj(x1, a["top"], 1), p.proj(x1, a["sill"], 1), p.proj(x0, a["sill"], 1)]
    if p.time == "night":
        glass = mix(pal.bg, pal.accent, 0.35) if not p.interior else mix(shade(pal.bg, 0.6), pal.accent, 0.12)
    else:
        glass = mix(pal.bg, pal.paper, 0.45)
    pen.polygon(corners, glass)
    ink = line_col(pal, 0.6)
    pen.box(corners, ink, 1.4)
    panes = a["panes"]
    for i in range(1, panes):
        X2 = x0 + (x1 - x0) * i / panes
        pen.stroke(p.proj(X2, a["top"], 1), p.proj(X2, a["sill"], 1), line_col(pal, 0.45), 1.0, passes=1,
                   overshoot=0)
    mid = (a["top"] + a["sill"]) / 2
    pen.stroke(p.proj(x0, mid, 1), p.proj(x1, mid, 1), line_col(pal, 0.45), 1.0, passes=1, overshoot=0)
    if a.get("lattice"):
        step = (x1 - x0) / (panes * 3)
        for i in range(panes * 3):
            X2 = x0 + step * (i + 0.5)
            pen.stroke(p.proj(X2, a["top"], 1), p.proj(X2, a["sill"], 1), line_col(pal, 0.18), 0.7, passes=1,
                       overshoot=0)
    # sill
    pen.stroke(p.proj(x0 - 0.05, a["sill"] - 0.02, 1), p.proj(x1 + 0.05, a["sill"] - 0.02, 1), ink, 1.6, passes=1)


def _door(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X = -p.hw_l if a["side"] == "left" else p.hw_r
    z0 = a["z"]
    z1 = z0 + a["w"]
    if z1 >= 1:
        z1 = 0.98
    corners = [p.proj(X, 0, z0), p.proj(X, 1.35, z0), p.proj(X, 1.35, z1), p.proj(X, 0, z1)]
    pen.polygon(corners, mix(pal.bg, pal.bg2, 0.55))
    pen.box(corners, line_col(pal, 0.6), 1.4)
    kx, ky = p.proj(X, 0.62, z0 + (z1 - z0) * 0.82)
    pen.ellipse(kx, ky, 2.2, 2.2, fill=line_col(pal, 0.7))
    pen.hatch(corners, line_col(pal, 0.18), spacing=6, width=0.8)


def _lamp(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    z = a["z"]
    top = p.proj(a["x"], p.ceil_u, z)
    hang = p.proj(a["x"], p.ceil_u - a["drop"], z)
    s = p.d / z
    pen.stroke(top, hang, line_col(pal, 0.55), 1.0, passes=1, overshoot=0)
    glow_on = p.time != "day"
    if a.get("lantern"):
        rx, ry = 0.13 * s, 0.17 * s
        cx, cy = hang[0], hang[1] + ry
        if glow_on:
            p.glows.append((cx, cy, ry * 6, 0.55))
        pen.ellipse(cx, cy, rx, ry, fill=mix(pal.accent, pal.bg, 0.15), outline=line_col(pal, 0.6), width=1.2)
        for f in (-0.5, 0.0, 0.5):
            pen.line([(cx + rx * f, cy - ry * 0.95), (cx + rx * f * 1.25, cy), (cx + rx * f, cy + ry * 0.95)],
                     line_col(pal, 0.35), 0.8)
        pen.rect(cx - rx * 0.4, cy - ry - 0.03 * s, cx + rx * 0.4, cy - ry, line_col(pal, 0.7))
        pen.line([(cx, cy + ry), (cx, cy + ry + 0.12 * s)], rgba(pal.accent, 0.8), 1.0)
    else:
        w, h = 0.16 * s, 0.12 * s
        cx, cy = hang
        shade_pts = [(cx - w * 0.35, cy), (cx + w * 0.35, cy), (cx + w, cy + h), (cx - w, cy + h)]
        if glow_on:
            p.glows.append((cx, cy + h * 3, h * 9, 0.45))
        pen.polygon(shade_pts, mix(pal.bg, pal.ink, 0.35))
        pen.box(shade_pts, line_col(pal, 0.6), 1.2, passes=1)
        pen.ellipse(cx, cy + h * 1.05, w * 0.3, h * 0.22, fill=rgba(pal.accent, 0.9 if glow_on else 0.4))


def _table(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X, z, w = a["x"], a["z"], a["w"]
    hgt, dep = 0.48, w * 0.8
    top = mix(pal.bg2, pal.ink, 0.12)
    ink = line_col(pal, 0.6)
    if a.get("round"):
        c_near, c_far = p.proj(X, hgt, z), p.proj(X, hgt, z + dep)
        s = p.d / (z + dep / 2)
        cx, cy = (c_near[0] + c_far[0]) / 2, (c_near[1] + c_far[1]) / 2
        rx, ry = w / 2 * s, max(2.0, abs(c_near[1] - c_far[1]) / 2 + 1)
        foot = p.proj(X, 0, z + dep / 2)
        pen.stroke((cx, cy), foot, ink, 2.0, passes=1, overshoot=0)
        pen.ellipse(foot[0], foot[1], rx * 0.35, ry * 0.35, fill=line_col(pal, 0.25))
        pen.ellipse(cx, cy, rx, ry, fill=top, outline=ink, width=1.4)
        # teacups
        for f in (-0.35, 0.25):
            pen.ellipse(cx + rx * f, cy - ry * 0.1, rx * 0.08, ry * 0.12, fill=pal.paper, outline=ink, width=0.8)
        return
    x0, x1 = X - w / 2, X + w / 2
    for lx in (x0 + 0.04, x1 - 0.04):
        for lz in (z + 0.02, z + dep - 0.02):
            pen.stroke(p.proj(lx, hgt, lz), p.proj(lx, 0, lz), ink, 1.4, passes=1, overshoot=0)
    corners = [p.proj(x0, hgt, z), p.proj(x1, hgt, z), p.proj(x1, hgt, z + dep), p.proj(x0, hgt, z + dep)]
    pen.polygon(corners, top)
    pen.box(corners, ink, 1.3)
    front = [p.proj(x0, hgt, z), p.proj(x1, hgt, z), p.proj(x1, hgt - 0.05, z), p.proj(x0, hgt - 0.05, z)]
    pen.polygon(front, shade(top, 0.8))
    # a stool on the near side
    sx = X + w * 0.7 * (1 if X < 0 else -1)
    st = [p.proj(sx - 0.12, 0.3, z - 0.05), p.proj(sx + 0.12, 0.3, z - 0.05), p.proj(sx + 0.12, 0.3, z + 0.15),
          p.proj(sx - 0.12, 0.3, z + 0.15)]
    for c in (st[0], st[1]):
        pen.stroke(c, (c[0], p.proj(sx, 0, z - 0.05)[1]), ink, 1.1, passes=1, overshoot=0)
    pen.polygon(st, shade(top, 0.9))
    pen.box(st, ink, 1.0, passes=1)


def _frame(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X = a["x"]
    if a.get("scroll"):
        corners = [p.proj(X - 0.16, 1.65, 1), p.proj(X + 0.16, 1.65, 1), p.proj(X + 0.16, 0.7, 1),
                   p.proj(X - 0.16, 0.7, 1)]
        pen.polygon(corners, mix(pal.paper, pal.bg, 0.3))
        pen.box(corners, line_col(pal, 0.5), 1.0, passes=1)
        for yy in (1.65, 0.7):
            pen.stroke(p.proj(X - 0.2, yy, 1), p.proj(X + 0.2, yy, 1), line_col(pal, 0.7), 2.0, passes=1)
        for i in range(5):  # a column of brush marks
            cx, cy = p.proj(X, 1.5 - i * 0.16, 1)
            s = p.d
            pen.line([(cx - 0.05 * s, cy), (cx + 0.05 * s, cy + 0.03 * s)], line_col(pal, 0.5), 1.2)
        return
    corners = [p.proj(X - 0.35, 1.55, 1), p.proj(X + 0.35, 1.55, 1), p.proj(X + 0.35, 1.05, 1),
               p.proj(X - 0.35, 1.05, 1)]
    pen.polygon(corners, mix(pal.bg, pal.paper, 0.25))
    pen.box(corners, line_col(pal, 0.55), 1.4)
    m0, m1 = p.proj(X - 0.28, 1.12, 1), p.proj(X - 0.05, 1.38, 1)
    m2 = p.proj(X + 0.28, 1.12, 1)
    pen.line([m0, m1, m2], line_col(pal, 0.35), 1.0)


def _shelf(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X = -p.hw_l if a["side"] == "left" else p.hw_r
    for u in (0.9, 1.25, 1.6):
        pen.stroke(p.proj(X, u, 0.95), p.proj(X, u, 0.55), line_col(pal, 0.55), 1.4, passes=1)
    rng = pen.rng
    for u in (0.9, 1.25):
        z = 0.92
        while z > 0.6:
            dz = rng.uniform(0.02, 0.05)
            h = rng.uniform(0.14, 0.25)
            corners = [p.proj(X, u, z), p.proj(X, u + h, z), p.proj(X, u + h, z - dz), p.proj(X, u, z - dz)]
            pen.polygon(corners, mix(pal.bg, pal.ink, rng.uniform(0.1, 0.3)))
            z -= dz + rng.uniform(0.0, 0.03)


def _plant(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X = -p.hw_l + 0.35 if a["side"] == "left" else p.hw_r - 0.35
    z = 0.92
    base = p.proj(X, 0, z)
    s = p.d / z
    pot = [(base[0] - 0.14 * s, base[1] - 0.3 * s), (base[0] + 0.14 * s, base[1] - 0.3 * s),
           (base[0] + 0.1 * s, base[1]), (base[0] - 0.1 * s, base[1])]
    pen.polygon(pot, mix(pal.bg, pal.ink, 0.25))
    pen.box(pot, line_col(pal, 0.6), 1.0, passes=1)
    rng = pen.rng
    for _ in range(7):
        ang = rng.uniform(-2.4, -0.7)
        ln = rng.uniform(0.35, 0.7) * s
        sx, sy = base[0], base[1] - 0.3 * s
        ex, ey = sx + math.cos(ang) * ln, sy + math.sin(ang) * ln
        pen.line([(sx, sy), ((sx + ex) / 2 + rng.uniform(-4, 4), (sy + ey) / 2), (ex, ey)], line_col(pal, 0.5), 1.2)
        pen.ellipse(ex, ey, 0.06 * s, 0.03 * s, fill=line_col(pal, 0.3))


def _facade(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X, z0, z1, h = a["x"], a["z0"], a["z1"], a["h"]
    face = [p.proj(X, 0, z0), p.proj(X, h, z0), p.proj(X, h, z1), p.proj(X, 0, z1)]
    tone = mix(pal.bg, pal.bg2, 0.45 + 0.3 * ((z0 * 7) % 1))
    pen.polygon(face, tone)
    pen.box(face, line_col(pal, 0.5), 1.2)
    # windows: a grid receding in depth
    rows = max(1, int(h / 1.1))
    cols = max(1, int((z1 - z0) / (0.35 * z0)))
    lit = p.time != "day"
    rng = pen.rng
    for r in range(rows):
        u0 = 0.9 + r * 1.1
        if u0 + 0.55 > h:
            break
        for c in range(cols):
            za = z0 + (z1 - z0) * (c + 0.25) / cols
            zb = z0 + (z1 - z0) * (c + 0.7) / cols
            win = [p.proj(X, u0 + 0.55, za), p.proj(X, u0 + 0.55, zb), p.proj(X, u0, zb), p.proj(X, u0, za)]
            if lit and rng.random() < 0.35:
                pen.polygon(win, mix(pal.accent, pal.bg, 0.35))
            else:
                pen.polygon(win, mix(tone, pal.ink, 0.12))
    # awning / shop front at street level
    aw = [p.proj(X, 0.95, z0), p.proj(X - 0.35 * (1 if X > 0 else -1), 0.85, z0),
          p.proj(X - 0.35 * (1 if X > 0 else -1), 0.85, z1), p.proj(X, 0.95, z1)]
    pen.polygon(aw, mix(tone, pal.accent, 0.25))
    pen.box(aw, line_col(pal, 0.45), 1.0, passes=1)


def _post(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X, z = a["x"], a["z"]
    s = p.d / z
    foot, top = p.proj(X, 0, z), p.proj(X, 2.4, z)
    pen.stroke(foot, top, line_col(pal, 0.6), max(1.0, 0.05 * s), passes=1, overshoot=0)
    arm = p.proj(X - 0.4 * (1 if X > 0 else -1), 2.4, z)
    pen.line([top, arm], line_col(pal, 0.6), max(1.0, 0.04 * s))
    if p.time != "day":
        p.glows.append((arm[0], arm[1] + 0.05 * s, 0.6 * s, 0.5))
    pen.ellipse(arm[0], arm[1] + 0.05 * s, 0.07 * s, 0.05 * s, fill=rgba(pal.accent, 0.85))


def _tree(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    X, z, h = a["x"], a["z"], a["h"]
    s = p.d / z
    foot, top = p.proj(X, 0, z), p.proj(X, h * 0.55, z)
    pen.stroke(foot, top, line_col(pal, 0.6), max(1.0, 0.09 * s), passes=1, overshoot=0)
    cx, cy = p.proj(X, h * 0.72, z)
    rng = pen.rng
    canopy = mix(pal.bg2, pal.ink, 0.12)
    for _ in range(6):
        ox, oy = rng.uniform(-0.5, 0.5) * s, rng.uniform(-0.35, 0.35) * s
        r = rng.uniform(0.45, 0.75) * s
        pen.ellipse(cx + ox, cy + oy, r, r * 0.85, fill=rgba(canopy, 0.85))
    for _ in range(3):
        ox, oy = rng.uniform(-0.4, 0.4) * s, rng.uniform(-0.3, 0.3) * s
        r = rng.uniform(0.5, 0.8) * s
        pen.ellipse(cx + ox, cy + oy, r, r * 0.85, outline=line_col(pal, 0.35), width=1.0)


def _hills(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    x0, _, x1, _ = pen.scene_bounds()
    rng = random.Random(a["seed"])
    for layer in range(a["n"]):
        amp = p.H * (0.05 + 0.06 * (a["n"] - layer)) * (p.d / (p.S * 0.45))
        amp = min(amp, p.H * 0.3)
        phase = rng.uniform(0, 6.28)
        freq = rng.uniform(1.5, 3.0)
        pts = []
        steps = 40
        for i in range(steps + 1):
            x = x0 + (x1 - x0) * i / steps
            t = (x - x0) / max(1.0, p.W)
            y = p.horizon - amp * (0.55 + 0.45 * math.sin(t * freq * math.pi + phase)) * (0.7 + 0.3 * math.sin(
                t * 7.3 + phase * 2))
            pts.append((x, y))
        tone = mix(pal.bg, pal.bg2, 0.25 + 0.2 * layer)
        pen.polygon(pts + [(x1, p.horizon + 1), (x0, p.horizon + 1)], tone)
        pen.line(pts, line_col(pal, 0.25 + 0.1 * layer), 1.1)


def _sky(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    x0, y0, x1, _ = pen.scene_bounds()
    cx = x0 + (x1 - x0) * a["x"]
    cy = p.horizon - (p.horizon - y0) * (1 - a["y"]) * 0.8
    r = p.H * 0.045
    if p.time == "night":
        pen.ellipse(cx, cy, r, r, fill=mix(pal.paper, pal.accent, 0.15))
        pen.ellipse(cx + r * 0.45, cy - r * 0.2, r * 0.9, r * 0.9, fill=pal.bg)  # crescent
        rng = pen.rng
        for _ in range(26):
            sx, sy = rng.uniform(x0, x1), rng.uniform(y0, p.horizon - p.H * 0.05)
            pen.ellipse(sx, sy, 1.1, 1.1, fill=rgba(pal.paper, rng.uniform(0.3, 0.8)))
    else:
        col = pal.accent if p.time == "dusk" else mix(pal.paper, pal.accent, 0.3)
        p.glows.append((cx, cy, r * 4, 0.35))
        pen.ellipse(cx, cy, r, r, fill=col, outline=line_col(pal, 0.4), width=1)
    rng = pen.rng
    for _ in range(a["clouds"]):
        ccx = rng.uniform(x0, x1)
        ccy = rng.uniform(y0 + (p.horizon - y0) * 0.2, p.horizon - p.H * 0.08)
        w = p.W * rng.uniform(0.08, 0.16)
        for j in range(4):
            ox = (j - 1.5) * w * 0.28
            rr = w * (0.22 + 0.1 * (1 - abs(j - 1.5) / 1.5))
            pen.ellipse(ccx + ox, ccy - rr * 0.3, rr, rr * 0.6, fill=rgba(pal.paper, 0.18))
        pen.line([(ccx - w * 0.6, ccy + 2), (ccx + w * 0.6, ccy + 2)], line_col(pal, 0.2), 1.0)


def _insert(pen: Pen, p: SetPlan, pal: Palette, a: dict) -> None:
    cx, cy = p.W * a["x"], p.H * a["y"]
    u = min(p.W, p.H)
    kind = a["kind"]
    fill = {"cup": mix(pal.paper, pal.bg, 0.2), "letter": pal.paper, "phone": mix(pal.ink, pal.bg, 0.2),
            "book": mix(pal.accent, pal.bg, 0.3), "key": mix(pal.accent, pal.paper, 0.4)}[kind]
    dark_line = luma(fill) > 0.55
    line_rgb = (40, 36, 32) if dark_line else (pal.ink if luma(pal.ink) > 0.5 else (236, 230, 214))
    ink = rgba(line_rgb, 0.8)

    def line_col(_pal: Palette, a: float) -> tuple[int, int, int, int]:  # noqa: F811 - lines on the prop
        return rgba(line_rgb, a)

    # contact shadow first
    pen.ellipse(cx + u * 0.03, cy + u * 0.2, u * 0.26, u * 0.07, fill=rgba(pal.ink, 0.14))
    if kind == "cup":
        rx, ry = u * 0.17, u * 0.06
        body = [(cx - rx, cy - u * 0.1), (cx + rx, cy - u * 0.1), (cx + rx * 0.7, cy + u * 0.17),
                (cx - rx * 0.7, cy + u * 0.17)]
        pen.polygon(body, mix(pal.paper, pal.bg, 0.2))
        pen.ellipse(cx, cy + u * 0.17, rx * 0.7, ry * 0.7, fill=mix(pal.paper, pal.bg, 0.2))
        pen.hatch([(cx + rx * 0.2, cy - u * 0.1), (cx + rx, cy - u * 0.1), (cx + rx * 0.7, cy + u * 0.17),
                   (cx + rx * 0.1, cy + u * 0.17)], line_col(pal, 0.3), spacing=5)
        pen.stroke(body[0], body[3], ink, 1.8, overshoot=0)
        pen.stroke(body[1], body[2], ink, 1.8, overshoot=0)
        pen.ellipse(cx, cy - u * 0.1, rx, ry, fill=mix(pal.bg2, pal.ink, 0.25), outline=ink, width=1.8)
        pen.ellipse(cx, cy - u * 0.1 + ry * 0.3, rx * 0.8, ry * 0.65, fill=mix(pal.accent, pal.bg2, 0.5))
        for i in range(3):  # steam
            sx = cx - rx * 0.4 + i * rx * 0.4
            pen.line([(sx, cy - u * 0.18), (sx + 6, cy - u * 0.25), (sx - 4, cy - u * 0.32), (sx + 3, cy - u * 0.38)],
                     line_col(pal, 0.3), 1.2)
        return
    w, h = {"letter": (0.42, 0.28), "phone": (0.16, 0.32), "book": (0.36, 0.46), "key": (0.32, 0.08)}[kind]
    w, h = w * u, h * u
    rot = a["rot"]
    c, s = math.cos(rot), math.sin(rot)

    def rp(dx: float, dy: float) -> tuple[float, float]:
        return (cx + dx * c - dy * s, cy + dx * s + dy * c)

    corners = [rp(-w / 2, -h / 2), rp(w / 2, -h / 2), rp(w / 2, h / 2), rp(-w / 2, h / 2)]
    pen.polygon(corners, fill)
    pen.box(corners, ink, 1.8)
    if kind == "letter":
        for i in range(5):
            yy = -h / 2 + h * (0.2 + i * 0.14)
            pen.stroke(rp(-w * 0.38, yy), rp(w * (0.38 if i < 4 else 0.05), yy), line_col(pal, 0.4), 1.0, passes=1)
        pen.line([rp(-w / 2, -h / 2), rp(0, h * 0.05), rp(w / 2, -h / 2)], line_col(pal, 0.3), 1.0)
    elif kind == "phone":
        inner = [rp(-w * 0.4, -h * 0.42), rp(w * 0.4, -h * 0.42), rp(w * 0.4, h * 0.42), rp(-w * 0.4, h * 0.42)]
        pen.polygon(inner, mix(pal.accent, pal.paper, 0.5))
        for i in range(3):
            yy = -h * 0.3 + i * h * 0.12
            pen.stroke(rp(-w * 0.3, yy), rp(w * 0.3, yy), line_col(pal, 0.4), 1.0, passes=1)
    elif kind == "book":
        pen.stroke(rp(-w * 0.42, -h / 2), rp(-w * 0.42, h / 2), ink, 1.6, passes=1)
        pen.hatch([rp(-w / 2, -h / 2), rp(-w * 0.42, -h / 2), rp(-w * 0.42, h / 2), rp(-w / 2, h / 2)],
                  line_col(pal, 0.4), spacing=4)
    else:
        pen.ellipse(*rp(-w / 2, 0), h * 1.2, h * 1.2, fill=fill, outline=ink, width=1.8)
        for i in range(3):
            pen.line([rp(w * (0.25 + i * 0.08), 0), rp(w * (0.25 + i * 0.08), h * 0.9)], ink, 1.6)


PROPS = {
    "window": _window, "door": _door, "lamp": _lamp, "table": _table, "frame": _frame, "shelf": _shelf,
    "plant": _plant, "facade": _facade, "post": _post, "tree": _tree, "hills": _hills, "sky": _sky,
    "insert": _insert,
}
