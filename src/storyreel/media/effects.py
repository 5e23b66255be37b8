"""Per-clip filter chains: trims, speed, freeze, hold, camera (Ken Burns, handheld "breathing"), reframing, fades.

Everything here is counted in frames, never in seconds: a clip's chain starts from its own frames numbered 0, 1,
2, … (``setpts=N`` at 1/fps) and must deliver exactly ``effects.record_frames(source frames)`` of them, because
the cut's cue times and the delivery check both rely on that number. Each step is chosen for exactness:

- speed: frame ``j`` of the result shows source frame ``floor(j * speed)``. Timestamps are stretched to
  ``i / speed`` (on a 1000x finer clock) and the ``fps`` filter, rounding *up*, keeps for each output slot the
  last source frame at or before it — which is that frame. Any shortfall at the end is filled by cloning.
- freeze: the played frames are split after the frozen one, which is cloned ``freeze_frames`` times (the
  ``loop`` filter counts frames from its own idea of the start, so we do not rely on it).
- hold: the last frame cloned (``tpad``).
- camera: one moving window per frame in source pixels, cropped and scaled to the picture size in one go.
  Ken Burns interpolates the window between its start and end framing; handheld shrinks it by a margin and
  moves it inside that margin, so the picture never shows a border (see ``Shake``).

Every chain ends on ``trim=end_frame=<record frames>``, ``yuv420p`` and ``setsar=1``, so chains join with
``concat``/``xfade`` without format surprises.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storyreel.media.reframe import Fit, Rect, aspect_window, fit_size, from_crop
from storyreel.model.cut import ClipEffects, Transition

# At full strength the handheld window is 8% smaller than the frame: 4% of travel either way, which reads as a
# person breathing behind the camera, not as a shaky-cam effect.
HANDHELD_MARGIN = 0.04
# Breathing and body sway live between these frequencies; above ~2 Hz it reads as vibration.
SHAKE_HZ = (0.2, 1.5)
SHAKE_TERMS = 3
# Timestamps for speed changes run on a clock this much finer than the frame rate.
_SPEED_CLOCK = 1000


@dataclass(frozen=True)
class ReelClip:
    """One clip as the renderer sees it: a media file, the source frames it uses, and how they play."""

    path: Path
    source_in: int
    source_out: int  # exclusive
    effects: ClipEffects = field(default_factory=ClipEffects)
    focus: tuple[float, float] | None = None  # reframing focus point in 0..1 of the source picture
    still: bool = False  # an image file: its one picture stands for every source frame

    @property
    def source_frames(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_frames(self) -> int:
        return self.effects.record_frames(self.source_frames)


# --- layout on the record side ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    start: int  # first frame of the clip in the rendered cut (after dissolve overlaps)
    frames: int  # record frames of the clip
    overlap: int  # frames shared with the previous clip (a dissolve); 0 for a cut or fade


def dissolve_frames(effects: ClipEffects, previous_frames: int | None, frames: int) -> int:
    """Overlap of a dissolve into a clip of ``frames``, after ``previous_frames`` (None: first clip).

    A dissolve cannot be longer than either clip it joins; the first clip has nothing to dissolve from (its
    dissolve plays as a fade from black instead, see ``clip_chain``).
    """
    if effects.transition_in is not Transition.DISSOLVE or previous_frames is None:
        return 0
    return max(0, min(effects.transition_frames, previous_frames - 1, frames - 1))


def layout(clips: Sequence[tuple[int, ClipEffects]]) -> list[Placement]:
    """Where each clip (its record frames and effects) lands in the rendered cut."""
    out: list[Placement] = []
    end = 0
    for frames, effects in clips:
        overlap = dissolve_frames(effects, out[-1].frames if out else None, frames)
        start = end - overlap
        out.append(Placement(start, frames, overlap))
        end = start + frames
    return out


def total_frames(clips: Sequence[tuple[int, ClipEffects]]) -> int:
    placed = layout(clips)
    return placed[-1].start + placed[-1].frames if placed else 0


def record_frame_of(source_frame: int, clip: ReelClip) -> int | None:
    """Record frame (0-based within the clip) where ``source_frame`` of the take first shows; None if trimmed."""
    if not clip.source_in <= source_frame < clip.source_out:
        return None
    fx = clip.effects
    played = max(1, round(clip.source_frames / fx.speed))
    j = min(played - 1, math.ceil((source_frame - clip.source_in) / fx.speed - 1e-9))
    freeze = _freeze_point(clip, played)
    if freeze is not None and j > freeze:
        j += fx.freeze_frames
    return j


def _freeze_point(clip: ReelClip, played: int) -> int | None:
    """Record index (before the freeze) of the frozen frame, or None."""
    fx = clip.effects
    if fx.freeze_at is None or fx.freeze_frames <= 0:
        return None
    local = min(max(fx.freeze_at - clip.source_in, 0), clip.source_frames - 1)
    return min(played - 1, math.ceil(local / fx.speed - 1e-9))


# --- the handheld shake -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shake:
    """A seeded sum of slow sines per axis, in -1..1: the same seed gives the same camera on every render."""

    x: tuple[tuple[float, float, float], ...]  # (weight, hz, phase); weights sum to 1, so |sum| <= 1
    y: tuple[tuple[float, float, float], ...]

    @classmethod
    def seeded(cls, seed: int) -> Shake:
        rng = random.Random(seed)

        def axis() -> tuple[tuple[float, float, float], ...]:
            raw = [(rng.uniform(0.5, 1.0), rng.uniform(*SHAKE_HZ), rng.uniform(0, 2 * math.pi))
                   for _ in range(SHAKE_TERMS)]
            total = sum(w for w, _, _ in raw)
            return tuple((w / total, hz, ph) for w, hz, ph in raw)

        return cls(axis(), axis())

    def at(self, frame: int, fps: int) -> tuple[float, float]:
        t = frame / fps
        return (sum(w * math.sin(2 * math.pi * hz * t + ph) for w, hz, ph in self.x),
                sum(w * math.sin(2 * math.pi * hz * t + ph) for w, hz, ph in self.y))

    def expr(self, axis: str, fps: int) -> str:
        terms = self.x if axis == "x" else self.y
        return "(" + "+".join(f"{w:.6f}*sin({2 * math.pi * hz:.8f}*t+{ph:.6f})" for w, hz, ph in terms) + ")"


# --- camera window ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Camera:
    """The window of the source shown on each record frame: from ``start`` to ``end`` (Ken Burns), shrunk and
    moved by ``margin`` x ``shake`` (handheld), drawn at ``size``."""

    start: Rect
    end: Rect
    frames: int
    size: tuple[int, int]  # output picture size (before any pad)
    margin: float = 0.0
    shake: Shake | None = None

    @property
    def moving(self) -> bool:
        return self.start != self.end

    def window(self, frame: int, fps: int) -> Rect:
        """The window at ``frame``, in source pixels (what the expressions compute; used by tests and checks)."""
        p = frame / (self.frames - 1) if self.frames > 1 else 0.0
        r = Rect(*(a + (b - a) * p for a, b in zip(
            (self.start.x, self.start.y, self.start.w, self.start.h),
            (self.end.x, self.end.y, self.end.w, self.end.h), strict=True)))
        if not self.margin:
            return r
        inner = r.scaled(1 - 2 * self.margin)
        sx, sy = self.shake.at(frame, fps) if self.shake else (0.0, 0.0)
        return Rect(inner.x + sx * self.margin * r.w, inner.y + sy * self.margin * r.h, inner.w, inner.h)


def camera_for(clip: ReelClip, *, source_size: tuple[int, int], picture: tuple[int, int], fit: Fit) -> Camera:
    sw, sh = source_size
    fx = clip.effects
    full = Rect(0, 0, sw, sh)
    k0 = from_crop(fx.ken_burns.start, sw, sh) if fx.ken_burns else full
    k1 = from_crop(fx.ken_burns.end, sw, sh) if fx.ken_burns else full
    if fit is Fit.CROP:
        aspect = picture[0] / picture[1]
        focus = (clip.focus[0] * sw, clip.focus[1] * sh) if clip.focus else None
        start, end = aspect_window(k0, aspect, focus), aspect_window(k1, aspect, focus)
        size = picture
    else:  # pad: keep the start framing's shape all the way, so the picture does not change size on screen
        aspect = k0.w / k0.h
        start, end = aspect_window(k0, aspect), aspect_window(k1, aspect)
        size = fit_size(aspect, *picture)
    margin = HANDHELD_MARGIN * fx.handheld
    shake = Shake.seeded(fx.handheld_seed) if fx.handheld > 0 else None
    return Camera(start, end, clip.record_frames, size, margin, shake)


def _lerp(a: float, b: float, p: str) -> str:
    return f"{a:.4f}" if abs(b - a) < 1e-9 else f"({a:.4f}+{b - a:.4f}*{p})"


def camera_filters(cam: Camera, *, source_size: tuple[int, int], fps: int) -> list[str]:
    """Filters drawing ``cam`` from a source of ``source_size`` at ``cam.size``: crop+scale, or nothing to do."""
    ow, oh = cam.size
    full = Rect(0, 0, *source_size)
    if not cam.moving and not cam.margin and cam.start == full:
        return [] if (ow, oh) == source_size else [f"scale={ow}:{oh}:flags=bicubic"]
    m = cam.margin
    sx = cam.shake.expr("x", fps) if cam.shake else "0"
    sy = cam.shake.expr("y", fps) if cam.shake else "0"
    if not cam.moving:
        r = cam.start
        inner = r.scaled(1 - 2 * m)
        x = f"{inner.x:.4f}+{m * r.w:.4f}*{sx}" if m else f"{inner.x:.4f}"
        y = f"{inner.y:.4f}+{m * r.h:.4f}*{sy}" if m else f"{inner.y:.4f}"
        w, h = max(2, math.floor(inner.w)), max(2, math.floor(inner.h))
        return [f"crop=w={w}:h={h}:x='clip({x},0,iw-ow)':y='clip({y},0,ih-oh)':exact=1",
                f"scale={ow}:{oh}:flags=bicubic"]
    # Ken Burns: the window changes size, and crop's size is fixed. So scale the whole source per frame by
    # output/window, then crop an output-sized window at the scaled position.
    # Time, not ``n``: scale counts its evaluation at configuration as a frame, crop does not. Every frame's
    # timestamp is its index at 1/fps here, so ``t * fps`` is the frame index in both.
    p = f"(t*{fps}/{max(1, cam.frames - 1)})"
    a, b = cam.start, cam.end
    rw, rh = _lerp(a.w, b.w, p), _lerp(a.h, b.h, p)
    rx, ry = _lerp(a.x, b.x, p), _lerp(a.y, b.y, p)
    iw_ = f"({rw}*{1 - 2 * m:.6f})"  # inner window width in source pixels
    s = f"({ow}/{iw_})"
    x = f"(({rx})+({rw})*{m:.6f}+({rw})*{m:.6f}*{sx})*{s}"
    y = f"(({ry})+({rh})*{m:.6f}+({rh})*{m:.6f}*{sy})*{s}"
    sw, sh = source_size
    # crop checks positions against its input link's size, which scale fixes at its first evaluation; frames of
    # other sizes then pass on the same link. So the link is given the largest size the move reaches (``t`` is
    # NaN at that evaluation) and every position is bounded by the frame's own size, computed here.
    smax = max(ow / (a.w * (1 - 2 * m)), ow / (b.w * (1 - 2 * m)))
    scaled_w, scaled_h = f"(2*ceil({sw}*{s}/2))", f"(2*ceil({sh}*{s}/2))"
    return [(f"scale=w='if(isnan(t),{2 * math.ceil(sw * smax / 2)},{scaled_w})'"
            f":h='if(isnan(t),{2 * math.ceil(sh * smax / 2)},{scaled_h})':eval=frame:flags=bicubic"),
            f"crop=w={ow}:h={oh}:x='clip({x},0,{scaled_w}-{ow})':y='clip({y},0,{scaled_h}-{oh})':exact=1"]


# --- building the graph -------------------------------------------------------------------------------------

class Graph:
    """A filtergraph written as labelled statements: ``[in]filter,filter[out]``."""

    def __init__(self) -> None:
        self._count = 0
        self.statements: list[str] = []

    def label(self, hint: str = "v") -> str:
        self._count += 1
        return f"{hint}{self._count}"

    def add(self, inputs: Sequence[str], chain: Sequence[str], outputs: Sequence[str]) -> None:
        body = ",".join(chain) if chain else "null"
        self.statements.append("".join(f"[{i}]" for i in inputs) + body + "".join(f"[{o}]" for o in outputs))

    def chain(self, source: str, chain: Sequence[str], hint: str = "v") -> str:
        out = self.label(hint)
        self.add([source], chain, [out])
        return out

    def text(self) -> str:
        return ";\n".join(self.statements)


def _renumber(fps: int) -> list[str]:
    return [f"settb=1/{fps}", "setpts=N"]


def clip_chain(graph: Graph, source: str, clip: ReelClip, *, fps: int, source_size: tuple[int, int],
               picture: tuple[int, int], fit: Fit) -> str:
    """Add the chain for ``clip`` reading ``source`` (its source frames, numbered from 0); returns its label.

    The result is ``picture``-sized (``pad`` fills around a fitted picture), yuv420p, exactly
    ``clip.record_frames`` long.
    """
    fx = clip.effects
    played = max(1, round(clip.source_frames / fx.speed))
    cur = source
    steps: list[str] = []
    if fx.speed != 1.0:
        steps += [f"settb=1/{fps * _SPEED_CLOCK}", f"setpts=N*{_SPEED_CLOCK}/{fx.speed!r}",
                  f"fps={fps}:round=up:eof_action=pass", *_renumber(fps)]
    # Fill any shortfall (a slow-down's last slots) by cloning, then cut to the exact count.
    steps += ["tpad=stop=-1:stop_mode=clone", f"trim=end_frame={played}", *_renumber(fps)]
    cur = graph.chain(cur, steps)

    hold = fx.hold_frames
    freeze = _freeze_point(clip, played)
    if freeze is not None and freeze >= played - 1:
        hold += fx.freeze_frames  # freezing on the last frame is a hold
    elif freeze is not None:
        a, b = graph.label(), graph.label()
        graph.add([cur], ["split=2"], [a, b])
        head = graph.chain(a, [f"trim=end_frame={freeze + 1}", f"tpad=stop={fx.freeze_frames}:stop_mode=clone"])
        tail = graph.chain(b, [f"trim=start_frame={freeze + 1}", "setpts=PTS-STARTPTS"])
        cur = graph.label()
        graph.add([head, tail], ["concat=n=2:v=1:a=0"], [cur])

    steps = _renumber(fps)
    if hold:
        steps.append(f"tpad=stop={hold}:stop_mode=clone")
    cam = camera_for(clip, source_size=source_size, picture=picture, fit=fit)
    steps += camera_filters(cam, source_size=source_size, fps=fps)
    if cam.size != picture:
        steps.append(f"pad={picture[0]}:{picture[1]}:(ow-iw)/2:(oh-ih)/2:color=black")
    frames = clip.record_frames
    fade_in = fx.transition_frames if fx.transition_in is Transition.FADE else 0
    if fade_in:
        steps.append(f"fade=t=in:s=0:n={min(fade_in, frames)}")
    if fx.fade_out_frames:
        # ffmpeg's fade-out leaves frame ``s`` untouched and is black from ``s + n``: start one frame before the
        # last ``n`` so those are the faded ones and the clip's own last frame is black (as a fade in's first is).
        n = min(fx.fade_out_frames, frames - 1)
        if n > 0:
            steps.append(f"fade=t=out:s={frames - 1 - n}:n={n}")
    steps += [f"trim=end_frame={frames}", *_renumber(fps), "format=yuv420p", "setsar=1"]
    return graph.chain(cur, steps)


def first_dissolve_as_fade(effects: ClipEffects) -> ClipEffects:
    """The first clip has nothing to dissolve from: its dissolve plays as a fade from black."""
    if effects.transition_in is Transition.DISSOLVE:
        return effects.model_copy(update={"transition_in": Transition.FADE})
    return effects
