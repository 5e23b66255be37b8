"""The ``previz`` renderer: a storyboard animatic of one shot, drawn from the shot itself.

A take is built in three layers, most of it once per take:

1. **The plate** — set, light and every actor who stays on their mark, painted once (supersampled) onto a canvas
   large enough for the whole camera move: the push-in's wide start, the pan's whole sweep, the handheld margin.
2. **Moving actors** — one RGBA sprite per pose, pasted onto a copy of the plate each frame at their position.
3. **Notes** — slate, heading, framing/camera chips and captions in screen space, pasted after the camera move.

Per frame there is only a crop of the plate (for a push or pull, the encoder scales it to size in its colour
conversion), a few pastes and the timecode; a locked-off shot with nobody moving is converted once per caption
and only its timecode is patched in per frame. Randomness comes only from the take seed (``random.Random`` /
``numpy.random.default_rng``), so the same seed gives byte-identical frames and another seed a different board:
camera height and horizon, vanishing point, room size, props, key-light side, poses and how far the camera moves.
"""

from __future__ import annotations

import contextlib
import math
import queue
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PIL import Image, ImageDraw

from storyreel.errors import InvalidInput
from storyreel.media.normalise import NORM_CRF, NORM_PRESET
from storyreel.media.video import VideoWriter, save_png
from storyreel.model.shot import CameraMove, Shot
from storyreel.model.take import TakeSpec
from storyreel.providers.previz.annotate import Annotations
from storyreel.providers.previz.figures import Actor, Sprite, actor_at, render_sprite, stage
from storyreel.providers.previz.scenery import SetPlan, light_plate, paint_set, plan_set, soften
from storyreel.providers.previz.style import Palette, Pen, resolve_palette, rgba

__all__ = ["render_frames", "render_take", "CLIP_CRF", "CLIP_PRESET"]

T = TypeVar("T")

PLATE_SS = 2  # supersampling for the plate (anti-aliased pencil lines)
# The normalised-clip settings: a previz take then lands already normalised (a remux), which saves a whole
# re-encode per take for a slightly slower encode here.
CLIP_CRF = NORM_CRF
CLIP_PRESET = NORM_PRESET


def _glide(t: float) -> float:
    """Even speed with a short ease at both ends, like a dolly grip's push."""
    t = min(1.0, max(0.0, t))
    a = 0.15
    # piecewise: quadratic ease-in over [0, a], linear, quadratic ease-out over [1 - a, 1]
    v = 1.0 / (1.0 - a)  # top speed so the curve ends at 1
    if t < a:
        return 0.5 * v / a * t * t
    if t > 1 - a:
        u = 1 - t
        return 1 - 0.5 * v / a * u * u
    return 0.5 * v * a + v * (t - a)


@dataclass
class Camera:
    """Plate geometry and the view over time. Scene px -> plate px: ``(ox + k * x, oy + k * y)``."""

    move: CameraMove
    PW: int
    PH: int
    k: float
    ox: float
    oy: float
    W: int
    H: int
    zoom: float = 1.0
    shake: tuple = ()

    def view(self, t: float) -> tuple[float, float, float, float]:
        W, H, PW, PH = self.W, self.H, self.PW, self.PH
        e = _glide(t)
        m = self.move
        if m in (CameraMove.PUSH_IN, CameraMove.PULL_OUT):
            f = e if m == CameraMove.PUSH_IN else 1 - e
            z = self.zoom ** f  # geometric: equal ratios per frame read as an even push
            w, h = PW / z, PH / z
            return ((PW - w) / 2, (PH - h) / 2, (PW + w) / 2, (PH + h) / 2)
        if m in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT):
            x = (PW - W) * (1 - e if m == CameraMove.PAN_LEFT else e)
            return (x, 0, x + W, H)
        if m in (CameraMove.TILT_UP, CameraMove.TILT_DOWN):
            y = (PH - H) * (1 - e if m == CameraMove.TILT_UP else e)
            return (0, y, W, y + H)
        if m == CameraMove.HANDHELD:
            dx = sum(a * math.sin(2 * math.pi * f * t + p) for a, f, p in self.shake[0])
            dy = sum(a * math.sin(2 * math.pi * f * t + p) for a, f, p in self.shake[1])
            x, y = self.ox + dx, self.oy + dy
            return (x, y, x + W, y + H)
        return (0, 0, W, H)


def _camera(move: CameraMove, W: int, H: int, frames: int, fps: int, rng: random.Random) -> Camera:
    if move in (CameraMove.PUSH_IN, CameraMove.PULL_OUT):
        z = rng.uniform(1.2, 1.32)
        PW, PH = round(W * z), round(H * z)
        if move == CameraMove.PUSH_IN:  # the start view is the whole plate
            return Camera(move, PW, PH, PW / W, 0, 0, W, H, zoom=z)
        return Camera(move, PW, PH, 1.0, (PW - W) / 2, (PH - H) / 2, W, H, zoom=z)
    if move in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT):
        PW = round(W * (1 + rng.uniform(0.2, 0.3)))
        return Camera(move, PW, H, 1.0, PW - W if move == CameraMove.PAN_LEFT else 0, 0, W, H)
    if move in (CameraMove.TILT_UP, CameraMove.TILT_DOWN):
        PH = round(H * (1 + rng.uniform(0.2, 0.3)))
        return Camera(move, W, PH, 1.0, 0, PH - H if move == CameraMove.TILT_UP else 0, W, H)
    if move == CameraMove.HANDHELD:
        mx, my = math.ceil(W * 0.03), math.ceil(H * 0.03)
        seconds = max(frames / fps, 0.5)
        shake = []
        for amp, margin in ((W * 0.012, mx), (H * 0.011, my)):
            parts = [(rng.uniform(0.5, 1.0), rng.uniform(0.25, 0.7) * seconds, rng.uniform(0, 2 * math.pi)),
                     (rng.uniform(0.25, 0.5), rng.uniform(0.8, 1.6) * seconds, rng.uniform(0, 2 * math.pi)),
                     (rng.uniform(0.1, 0.2), rng.uniform(2.0, 3.5) * seconds, rng.uniform(0, 2 * math.pi))]
            total = sum(p[0] for p in parts)
            scale = min(amp, margin - 1) / total
            shake.append(tuple((a * scale, f, p) for a, f, p in parts))
        return Camera(move, W + 2 * mx, H + 2 * my, 1.0, mx, my, W, H, shake=tuple(shake))
    return Camera(CameraMove.STATIC, W, H, 1.0, 0, 0, W, H)


def _fallback_shot(spec: TakeSpec) -> Shot:
    return Shot(code="—", scene=0, order=0, description=spec.prompt, frames=spec.frames)


class _Board:
    """Everything about one take that does not change from frame to frame."""

    def __init__(self, spec: TakeSpec) -> None:
        self.spec = spec
        self.W, self.H, self.N, self.fps = spec.width, spec.height, spec.frames, spec.fps
        shot = spec.shot or _fallback_shot(spec)
        self.shot = shot
        rng = random.Random(spec.seed)
        self.pal: Palette = resolve_palette(spec.palette)
        self.plan: SetPlan = plan_set(shot, self.W, self.H, rng)
        self.cam = _camera(shot.camera, self.W, self.H, self.N, self.fps, rng)
        cam = self.cam
        # 1. the set, supersampled, then lit and (for tight framings) softened
        canvas = Image.new("RGB", (cam.PW * PLATE_SS, cam.PH * PLATE_SS), self.pal.bg)
        pen = Pen(canvas, cam.k * PLATE_SS, cam.ox * PLATE_SS, cam.oy * PLATE_SS, random.Random(f"{spec.seed}:pencil"))
        paint_set(pen, self.plan, self.pal)
        plate = canvas.reduce(PLATE_SS)
        plate = light_plate(plate, self.plan, self.pal, origin=(cam.ox, cam.oy), k=cam.k, seed=spec.seed)
        plate = soften(plate, self.plan, self.pal, k=cam.k)
        # 2. actors: the ones who stay put go into the plate; movers get sprites
        x_bounds = ((0 - cam.ox) / cam.k, (cam.PW - cam.ox) / cam.k)
        self.actors: list[Actor] = stage(shot, self.plan, spec.character_colors, rng, x_bounds)
        self._sprites: dict[tuple[str, str, int], Sprite] = {}
        self.movers: list[Actor] = []
        for a in self.actors:
            if a.moving:
                self.movers.append(a)
            else:
                self._paste_actor(plate, a, a.x, 1.0, a.facing, 0)
        self.plate = plate
        # 3. screen-space notes; a push or pull pastes them, enlarged, onto its crop of the plate before the
        #    crop is scaled down to the frame, so they come out at their own size
        self.zooms = cam.move in (CameraMove.PUSH_IN, CameraMove.PULL_OUT)
        # captions use the colours the actors were actually drawn in
        colours = dict(spec.character_colors) | {a.name: "#{:02x}{:02x}{:02x}".format(*a.colour) for a in self.actors}
        self.notes = Annotations(shot, seed=spec.seed, fps=self.fps, frames=self.N, W=self.W, H=self.H,
                                 pal=self.pal, colours=colours, chinese=self.plan.chinese)

    # --- actors -------------------------------------------------------------------------------------------------

    def _head_y(self, depth: float) -> float:
        """Scene y of an actor's head centre at ``depth`` (1 = on the mark; smaller = upstage, smaller, higher)."""
        p = self.plan
        return p.horizon + (p.cam_u - 1.0) * p.S * depth

    def _sprite(self, a: Actor, facing: str, stride: int) -> Sprite:
        key = (a.name, facing, stride)
        if key not in self._sprites:
            cam = self.cam
            self._sprites[key] = render_sprite(a, facing, stride, self.plan, self.pal, k=cam.k, plate_h=cam.PH,
                                               head_y_plate=cam.oy + cam.k * self._head_y(1.0),
                                               head_y_scene=self._head_y(1.0))
        return self._sprites[key]

    def _paste_actor(self, plate: Image.Image, a: Actor, x: float, depth: float, facing: str, stride: int) -> None:
        sp = self._sprite(a, facing, stride)
        img, ax, ay = sp.image, sp.ax, sp.ay
        cam = self.cam
        px = cam.ox + cam.k * x
        py = cam.oy + cam.k * self._head_y(depth * a.scale)  # back-row actors stand a little upstage
        if depth != 1.0:
            s = max(0.05, depth)
            img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.BILINEAR)
            ax, ay = ax * s, ay * s
            fade = min(1.0, max(0.0, (depth - 0.35) / 0.4))
            if fade < 1.0:
                alpha = img.getchannel("A").point(lambda v: round(v * fade))
                img = img.copy()
                img.putalpha(alpha)
        plate.paste(img, (round(px - ax), round(py - ay)), img)

    # --- frames -------------------------------------------------------------------------------------------------

    @property
    def still(self) -> bool:
        """Nothing moves but the timecode and the captions."""
        return self.cam.move == CameraMove.STATIC and not self.movers and self.plate.size == (self.W, self.H)

    def canvas(self, i: int, *, timecode: bool = True) -> Image.Image:
        """Frame ``i`` before its final scaling: the frame itself, or (push / pull) the plate crop to be scaled
        down to ``W`` x ``H``, with the notes already on it at the crop's scale."""
        N = self.N
        t = i / (N - 1) if N > 1 else 0.0
        cam = self.cam
        base = self.plate
        if self.movers:
            base = self.plate.copy()
            for a in self.movers:
                x, depth, facing, walking = actor_at(a, t)
                stride = 0
                bob = 0.0
                if walking and facing in ("left", "right"):
                    steps = i / self.fps * 4.0  # four footfalls a second
                    stride = 1 if int(steps) % 2 == 0 else 0
                    bob = abs(math.sin(steps * math.pi)) * self.plan.S * 0.144 * 0.05
                self._paste_actor_bob(base, a, x, depth, facing, stride, bob)
        x0, y0, x1, y1 = cam.view(t)
        W, H = self.W, self.H
        if self.zooms:
            # a crop centred exactly on the plate (even margins), so rounding never wobbles the centre
            cw = min(cam.PW, round(x1 - x0))
            ch = min(cam.PH, round(y1 - y0))
            cw -= (cam.PW - cw) % 2
            ch -= (cam.PH - ch) % 2
            cx0, cy0 = (cam.PW - cw) // 2, (cam.PH - ch) // 2
            frame = base.crop((cx0, cy0, cx0 + cw, cy0 + ch))
            scale = cw / W
        elif (base.width, base.height) == (W, H):
            frame = base.copy()
            scale = 1.0
        else:
            xi, yi = round(x0), round(y0)
            frame = base.crop((xi, yi, xi + W, yi + H))
            scale = 1.0
        self._frame_marks(frame, t, scale)
        self.notes.apply(frame, i, scale, timecode=timecode)
        return frame

    def frame(self, i: int) -> Image.Image:
        img = self.canvas(i)
        if img.size != (self.W, self.H):
            img = img.resize((self.W, self.H), Image.BILINEAR)
        return img

    def _paste_actor_bob(self, plate: Image.Image, a: Actor, x: float, depth: float, facing: str, stride: int,
                         bob: float) -> None:
        if bob:
            sp = self._sprite(a, facing, stride)
            cam = self.cam
            px = cam.ox + cam.k * x
            py = cam.oy + cam.k * (self._head_y(depth * a.scale) - bob)
            if depth == 1.0:
                plate.paste(sp.image, (round(px - sp.ax), round(py - sp.ay)), sp.image)
                return
        self._paste_actor(plate, a, x, depth, facing, stride)

    def _frame_marks(self, frame: Image.Image, t: float, scale: float) -> None:
        """For a push or pull, corner brackets showing where the frame ends up (push) or started (pull)."""
        cam = self.cam
        if cam.move not in (CameraMove.PUSH_IN, CameraMove.PULL_OUT):
            return
        x0, y0, x1, y1 = cam.view(t)
        ref = cam.view(1.0 if cam.move == CameraMove.PUSH_IN else 0.0)
        sx, sy = frame.width / (x1 - x0), frame.height / (y1 - y0)
        r = ((ref[0] - x0) * sx, (ref[1] - y0) * sy, (ref[2] - x0) * sx, (ref[3] - y0) * sy)
        strength = (1 - t) if cam.move == CameraMove.PUSH_IN else t
        if strength <= 0.02 or r[2] - r[0] > frame.width - 4 * scale:
            return
        d = ImageDraw.Draw(frame, "RGBA")
        col = rgba(self.notes.accent, 0.75 * strength ** 0.6)
        arm = min(self.W, self.H) * 0.06 * scale
        w = max(1, round(min(self.W, self.H) * 0.004 * scale))
        for cx, cy, dx, dy in ((r[0], r[1], 1, 1), (r[2], r[1], -1, 1), (r[2], r[3], -1, -1), (r[0], r[3], 1, -1)):
            d.line(((cx + dx * arm, cy), (cx, cy), (cx, cy + dy * arm)), fill=col, width=w, joint="curve")

    def frames(self) -> Iterator[Image.Image]:
        for i in range(self.N):
            yield self.frame(i)


def _check(spec: TakeSpec) -> None:
    if spec.frames < 1 or spec.width < 16 or spec.height < 16 or spec.fps < 1:
        raise InvalidInput(
            f"previz needs at least 1 frame, 1 fps and 16x16 pixels; got {spec.frames} frames at {spec.fps} fps, "
            f"{spec.width}x{spec.height}.",
            zh=f"previz 至少需要 1 帧、1 fps 和 16x16 像素；实际为 {spec.frames} 帧、{spec.fps} fps、"
               f"{spec.width}x{spec.height}。",
        )


def render_frames(spec: TakeSpec) -> Iterator[Image.Image]:
    """The take's frames as RGB images of ``spec.width`` x ``spec.height``; exactly ``spec.frames`` of them."""
    _check(spec)
    return _Board(spec).frames()


def _ahead(frames: Iterator[T], depth: int = 6) -> Iterator[T]:
    """Draw frames on a worker thread while the caller encodes the previous ones (Pillow and swscale release the
    GIL, so on two cores drawing and encoding overlap). Order and errors are preserved; stopping early (the
    encoder failed) stops the worker."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for f in frames:
                while not stop.is_set():
                    try:
                        q.put(f, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    t = threading.Thread(target=work, name="previz-draw", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a worker waiting on a full queue
            with contextlib.suppress(queue.Empty):
                q.get_nowait()
            t.join(timeout=0.05)


def render_take(spec: TakeSpec, *, keyframe: Path, clip: Path) -> int:
    """Render the take: the clip (H.264) at ``clip`` and its first frame as PNG at ``keyframe``. Returns frames.

    The clip holds the frames ``render_frames`` yields, except that a push or pull is scaled to size by the
    encoder's colour conversion rather than by Pillow (same picture, a different bilinear filter, far cheaper).
    """
    _check(spec)
    board = _Board(spec)
    first: Image.Image | None = None
    exact = (spec.width, spec.height)
    with VideoWriter(Path(clip), fps=spec.fps, width=spec.width, height=spec.height, crf=CLIP_CRF,
                     preset=CLIP_PRESET) as out:

        tc_box = board.notes.timecode_box()
        still = board.still and tc_box[2] > tc_box[0] and tc_box[3] > tc_box[1]
        bases: dict[int, tuple[Image.Image, object]] = {}

        def draw(i: int) -> tuple[Image.Image, object]:  # runs on the worker thread: draw and convert
            if still:
                # a locked-off shot with nobody moving changes only its timecode (and caption): convert each
                # caption's picture once, then patch just the timecode in
                key = board.notes.caption_index(i)
                if key not in bases:
                    img = board.canvas(i, timecode=False)
                    bases[key] = (img, out.convert(img))
                img, vf = bases[key]
                patch = img.crop(tc_box)
                board.notes.draw_timecode(patch, i, origin=tc_box[:2])
                if i == 0:
                    img = img.copy()
                    img.paste(patch, tc_box[:2])
                return img, out.patch(vf, patch, tc_box[0], tc_box[1])
            img = board.canvas(i)
            return img, out.convert(img, scale=img.size != exact)

        with contextlib.closing(_ahead(draw(i) for i in range(board.N))) as frames:
            for img, vf in frames:
                if first is None:
                    first = img if img.size == exact else img.resize(exact, Image.BILINEAR)
                out.write_frame(vf)
    save_png(first, Path(keyframe))
    return out.count
