"""Screen-space notes over the picture: slate, scene heading, framing and camera-move chips, dialogue captions.

They sit on top of the camera move (a push-in does not enlarge the slate). Everything static is drawn once into
small RGBA pieces; a frame only pastes them and writes its own timecode.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from storyreel.model.shot import CameraMove, Framing, Shot
from storyreel.providers.previz.style import RGB, Palette, character_colour, fit_text, font, mix, text_size, wrap

CHIP = (18, 17, 16, 178)
CHIP_TEXT = (244, 240, 232)
CHIP_DIM = (184, 178, 168)

FRAMING_LABEL = {
    Framing.ESTABLISHING: ("ESTABLISHING", "远景"),
    Framing.WIDE: ("WIDE", "全景"),
    Framing.MEDIUM: ("MEDIUM", "中景"),
    Framing.CLOSE: ("CLOSE-UP", "特写"),
    Framing.EXTREME_CLOSE: ("EXTREME CLOSE-UP", "大特写"),
    Framing.INSERT: ("INSERT", "插入"),
}

CAMERA_LABEL = {
    CameraMove.STATIC: ("STATIC", "固定"),
    CameraMove.PUSH_IN: ("PUSH IN", "推"),
    CameraMove.PULL_OUT: ("PULL OUT", "拉"),
    CameraMove.PAN_LEFT: ("PAN LEFT", "左摇"),
    CameraMove.PAN_RIGHT: ("PAN RIGHT", "右摇"),
    CameraMove.TILT_UP: ("TILT UP", "上摇"),
    CameraMove.TILT_DOWN: ("TILT DOWN", "下摇"),
    CameraMove.HANDHELD: ("HANDHELD", "手持"),
}


@dataclass
class Piece:
    image: Image.Image  # RGBA
    x: int
    y: int

    def paste(self, frame: Image.Image) -> None:
        frame.paste(self.image, (self.x, self.y), self.image)


def _label(pair: tuple[str, str], chinese: bool) -> str:
    return f"{pair[0]} · {pair[1]}" if chinese else pair[0]


def _chip(lines: list[tuple[str, int, tuple]], pad: float, icon: tuple[int, int] | None = None) -> tuple[
        Image.Image, ImageDraw.ImageDraw, list[tuple[float, float]]]:
    """A rounded dark chip holding ``lines`` of (text, font size, colour); returns where each line's text starts."""
    sizes = [text_size(t, font(s)) for t, s, _ in lines]
    icon_w = icon[0] + pad * 0.6 if icon else 0
    w = int(max(sw for sw, _ in sizes) + icon_w + pad * 2) + 1
    h = int(sum(sh for _, sh in sizes) + pad * 1.2) + 1
    img = Image.new("RGBA", (w + 3, h + 3), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = min(h, w) * 0.22
    d.rounded_rectangle((2, 3, w + 2, h + 2), r, fill=(0, 0, 0, 50))
    d.rounded_rectangle((0, 0, w, h), r, fill=CHIP)
    y = pad * 0.6
    starts = []
    for (t, s, col), (_, sh) in zip(lines, sizes, strict=True):
        starts.append((pad + icon_w, y))
        d.text((pad + icon_w, y), t, font=font(s), fill=col)
        y += sh
    return img, d, starts


def _camera_glyph(d: ImageDraw.ImageDraw, move: CameraMove, x: float, y: float, s: float, col: tuple) -> None:
    """A small pictogram of the move in an ``s``-sized square at (x, y)."""
    w = max(1, round(s * 0.09))
    cx, cy = x + s / 2, y + s / 2

    def arrow(a: tuple[float, float], b: tuple[float, float]) -> None:
        d.line((a, b), fill=col, width=w)
        ux, uy = b[0] - a[0], b[1] - a[1]
        n = max(1e-6, (ux * ux + uy * uy) ** 0.5)
        ux, uy = ux / n, uy / n
        hs = s * 0.2
        d.polygon([b, (b[0] - ux * hs - uy * hs * 0.6, b[1] - uy * hs + ux * hs * 0.6),
                   (b[0] - ux * hs + uy * hs * 0.6, b[1] - uy * hs - ux * hs * 0.6)], fill=col)

    if move in (CameraMove.PUSH_IN, CameraMove.PULL_OUT):
        d.rectangle((cx - s * 0.17, cy - s * 0.12, cx + s * 0.17, cy + s * 0.12), outline=col, width=w)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            outer = (cx + sx * s * 0.48, cy + sy * s * 0.4)
            inner = (cx + sx * s * 0.24, cy + sy * s * 0.18)
            arrow(outer, inner) if move == CameraMove.PUSH_IN else arrow(inner, outer)
    elif move in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT):
        a, b = (x + s * 0.92, cy), (x + s * 0.08, cy)
        arrow(a, b) if move == CameraMove.PAN_LEFT else arrow(b, a)
        d.arc((x + s * 0.1, y + s * 0.05, x + s * 0.9, y + s * 0.6), 200, 340, fill=col, width=max(1, w // 2))
    elif move in (CameraMove.TILT_UP, CameraMove.TILT_DOWN):
        a, b = (cx, y + s * 0.92), (cx, y + s * 0.08)
        arrow(a, b) if move == CameraMove.TILT_UP else arrow(b, a)
        d.arc((x + s * 0.35, y + s * 0.1, x + s * 0.95, y + s * 0.9), 290, 70, fill=col, width=max(1, w // 2))
    elif move == CameraMove.HANDHELD:
        pts = [(x + s * (0.05 + 0.9 * i / 8), cy + (s * 0.22 if i % 2 else -s * 0.22) * (0.5 + 0.5 * (i % 3) / 2))
               for i in range(9)]
        d.line(pts, fill=col, width=w, joint="curve")
    else:  # static: a camera on a tripod
        d.rectangle((x + s * 0.2, y + s * 0.12, x + s * 0.72, y + s * 0.44), outline=col, width=w)
        d.polygon([(x + s * 0.72, y + s * 0.2), (x + s * 0.92, y + s * 0.12), (x + s * 0.92, y + s * 0.44),
                   (x + s * 0.72, y + s * 0.36)], outline=col, width=w)
        top = (x + s * 0.46, y + s * 0.46)
        for fx in (0.18, 0.46, 0.74):
            d.line((top, (x + s * fx, y + s * 0.95)), fill=col, width=w)


class Annotations:
    def __init__(self, shot: Shot, *, seed: int, fps: int, frames: int, W: int, H: int, pal: Palette,
                 colours: dict[str, str], chinese: bool) -> None:
        self.W, self.H, self.fps, self.frames = W, H, fps, frames
        T = min(H, W * 0.75)  # type scale; vertical frames get smaller type
        self.T = T
        m = max(4, round(T * 0.028))  # margin from the frame edge
        self.m = m
        self.pieces: list[Piece] = []
        accent = pal.accent if not pal.dark or sum(pal.accent) > 300 else mix(pal.accent, (255, 255, 255), 0.4)
        self.accent = accent
        # slate, top left: clapper stripes, the shot code big, seed and running timecode small
        big = max(10, round(T * 0.062))
        small = max(7, round(T * 0.024))
        code = fit_text(shot.code or "?", font(big), W * 0.2)
        cw, ch = text_size(code, font(big))
        tc_w, tc_h = text_size(f"88:88+88 / {self._tc(frames)}", font(small))  # widest digits
        seed_txt = f"seed {seed}"
        sw_, sh_ = text_size(seed_txt, font(small))
        pad = round(small * 0.7)
        sl_w = int(max(cw, tc_w, sw_) + pad * 2)
        stripe_h = max(4, round(small * 0.75))
        sl_h = int(stripe_h + ch + sh_ + tc_h + pad * 1.5)
        slate = Image.new("RGBA", (sl_w + 3, sl_h + 3), (0, 0, 0, 0))
        d = ImageDraw.Draw(slate)
        r = max(2, round(pad * 0.5))
        d.rounded_rectangle((2, 3, sl_w + 2, sl_h + 2), r, fill=(0, 0, 0, 50))
        d.rounded_rectangle((0, 0, sl_w, sl_h), r, fill=CHIP)
        stripe = Image.new("RGBA", (sl_w, stripe_h), (236, 232, 224, 230))
        sd = ImageDraw.Draw(stripe)
        step = stripe_h * 1.6
        xx = -stripe_h
        while xx < sl_w:
            sd.polygon([(xx, stripe_h), (xx + step * 0.5, stripe_h), (xx + step * 0.5 + stripe_h, 0),
                        (xx + stripe_h, 0)], fill=(22, 21, 20, 255))
            xx += step
        smask = Image.new("L", (sl_w, stripe_h), 0)  # the stripes follow the chip's rounded top corners
        ImageDraw.Draw(smask).rounded_rectangle((0, 0, sl_w, stripe_h + r * 2), r, fill=255)
        slate.paste(stripe, (0, 0), smask)
        y = stripe_h + pad * 0.2
        d.text((pad, y), code, font=font(big), fill=CHIP_TEXT)
        y += ch
        d.text((pad, y), seed_txt, font=font(small), fill=CHIP_DIM)
        y += sh_
        self._tc_xy = (pad, y)
        self._tc_wh = (tc_w, tc_h)
        self._tc_size = small
        self._scaled: dict[tuple[int, float], Image.Image] = {}
        self.slate = Piece(slate, m, m)
        # heading, top centre-left (after the slate)
        right_edge = W - m
        if shot.heading:
            hsize = max(8, round(T * 0.03))
            text = fit_text(shot.heading, font(hsize), W * 0.42)
            img, _, _ = _chip([(text, hsize, CHIP_TEXT)], pad=hsize * 0.6)
            self.pieces.append(Piece(img, m + sl_w + m, m))
        # Dialogue sits in the top band beside the slate, like a board's script line: the bottom of the frame is
        # kept clear for the subtitles the cut burns in, so the two never collide.
        self._caption_x = m + sl_w + m
        self._caption_y = m + (self.pieces[-1].image.height + round(m * 0.4) if shot.heading else 0)
        # framing + camera chip, top right
        fsize = max(8, round(T * 0.03))
        csize = max(7, round(T * 0.024))
        lines = [(_label(FRAMING_LABEL[shot.framing], chinese), fsize, CHIP_TEXT),
                 (_label(CAMERA_LABEL[shot.camera], chinese), csize, CHIP_DIM)]
        icon = round((text_size("A", font(fsize))[1] + text_size("A", font(csize))[1]) * 0.85)
        img, d2, starts = _chip(lines, pad=fsize * 0.6, icon=(icon, icon))
        _camera_glyph(d2, shot.camera, fsize * 0.6, (img.height - 3 - icon) / 2, icon, accent + (255,))
        self.pieces.append(Piece(img, right_edge - img.width + 3, m))
        # dialogue captions, one after another, each on screen for a share of the shot that fits its length
        self.captions: list[tuple[int, int, Piece]] = []
        lines_ = [dl for dl in shot.dialogue if dl.text.strip()]
        if lines_:
            weights = [len(dl.text) + 6 for dl in lines_]
            total = sum(weights)
            start = 0
            for i, dl in enumerate(lines_):
                end = frames if i == len(lines_) - 1 else start + round(frames * weights[i] / total)
                piece = self._caption(dl.character, dl.text, dl.parenthetical, colours, chinese)
                self.captions.append((start, max(start + 1, end), piece))
                start = max(start + 1, end)
        elif shot.description.strip():
            self.pieces.append(self._note(shot.description))

    def _tc(self, i: int) -> str:
        s, f = divmod(i, self.fps)
        return f"{s // 60:02d}:{s % 60:02d}+{f:02d}"

    def _caption(self, speaker: str, text: str, paren: str | None, colours: dict[str, str],
                 chinese: bool) -> Piece:
        W, T = self.W, self.T
        size = max(9, round(T * 0.036))
        fnt = font(size)
        sep = "：" if chinese else ": "
        who = speaker + (f" ({paren.strip('()（） ')})" if paren else "")
        head = who + sep
        max_w = max(W * 0.3, W - 2 * self._caption_x)
        head_w = fnt.getlength(head)
        body = wrap(text, fnt, max_w - head_w, max_lines=3) if head_w < max_w * 0.45 else wrap(
            text, fnt, max_w, max_lines=3)
        inline = head_w < max_w * 0.45
        _, lh = text_size("国A", fnt)
        lh = int(lh * 1.08)
        widths = [fnt.getlength(t) + (head_w if inline else 0) for t in body]
        text_w = max(widths + ([head_w] if not inline else []))
        n_lines = len(body) + (0 if inline else 1)
        pad = size * 0.55
        w = int(text_w + pad * 2.6)
        h = int(lh * n_lines + pad * 1.2)
        img = Image.new("RGBA", (w + 4, h + 4), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, w, h), size * 0.35, fill=(10, 10, 12, 168))
        name_col: RGB = mix(character_colour(speaker, colours), (255, 255, 255), 0.45)
        y = pad * 0.6
        x = pad * 1.3
        shadow = (0, 0, 0, 210)
        off = max(1, round(size * 0.06))

        def put(xy: tuple[float, float], s: str, col: tuple) -> None:
            d.text((xy[0] + off, xy[1] + off), s, font=fnt, fill=shadow)
            d.text(xy, s, font=fnt, fill=col)

        # the speaker: a small colour bar, then the name
        d.rounded_rectangle((pad * 0.45, y + lh * 0.18, pad * 0.45 + max(2, size * 0.14), y + lh * 0.82), 2,
                            fill=character_colour(speaker, colours) + (255,))
        put((x, y), head, name_col + (255,))
        if not inline:
            y += lh
        for t in body:
            put((x + (head_w if inline else 0), y), t, (250, 248, 242, 255))
            y += lh
        return Piece(img, self._caption_x, self._caption_y)

    def _note(self, text: str) -> Piece:
        W, T = self.W, self.T
        size = max(8, round(T * 0.027))
        fnt = font(size)
        lines = wrap(text, fnt, W * 0.6, max_lines=2)
        _, lh = text_size("国A", fnt)
        pad = size * 0.6
        w = int(max(fnt.getlength(t) for t in lines) + pad * 2 + size)
        h = int(lh * len(lines) + pad * 1.1)
        img = Image.new("RGBA", (w + 3, h + 3), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((2, 3, w + 2, h + 2), size * 0.3, fill=(0, 0, 0, 40))
        d.rounded_rectangle((0, 0, w, h), size * 0.3, fill=(244, 240, 230, 205))
        d.text((pad * 0.7, pad * 0.5), "▶", font=font(round(size * 0.8)), fill=self.accent + (255,))
        for j, t in enumerate(lines):
            d.text((pad + size * 0.7, pad * 0.5 + j * lh), t, font=fnt, fill=(40, 36, 32, 255))
        return Piece(img, self.m, int(self.H - self.m - h))

    def caption_index(self, i: int) -> int:
        """Which caption frame ``i`` shows (-1: none). Frames with the same index differ only by timecode."""
        for j, (start, end, _) in enumerate(self.captions):
            if start <= i < end:
                return j
        return -1

    def timecode_box(self) -> tuple[int, int, int, int]:
        """The region the running timecode is drawn in (frame px, even-aligned, clipped to the frame)."""
        x0 = self.slate.x + int(self._tc_xy[0])
        y0 = self.slate.y + int(self._tc_xy[1])
        x1 = x0 + self._tc_wh[0] + 2
        y1 = y0 + self._tc_wh[1] + 2
        x0 -= x0 % 2
        y0 -= y0 % 2
        x1 += x1 % 2
        y1 += y1 % 2
        return (x0, y0, min(x1, self.W - self.W % 2), min(y1, self.H - self.H % 2))

    def apply(self, frame: Image.Image, i: int, scale: float = 1.0, *, timecode: bool = True) -> None:
        """Paste the notes for frame ``i`` onto ``frame`` in place. ``scale`` shrinks (or grows) them and their
        positions, for a canvas that is not at the notes' own size (a push-in's crop of the plate)."""
        pieces = [self.slate, *self.pieces]
        j = self.caption_index(i)
        if j >= 0:
            pieces.append(self.captions[j][2])
        if scale == 1.0:
            for p in pieces:
                p.paste(frame)
        else:
            # sizes in 1 % steps, cached: a push-in reuses each size for several frames; positions stay exact
            q = round(scale, 2)
            for p in pieces:
                key = (id(p), q)
                img = self._scaled.get(key)
                if img is None:
                    img = p.image.resize((max(1, round(p.image.width * q)), max(1, round(p.image.height * q))),
                                         Image.BILINEAR)
                    self._scaled[key] = img
                frame.paste(img, (round(p.x * scale), round(p.y * scale)), img)
        if timecode:
            self.draw_timecode(frame, i, scale)

    def draw_timecode(self, frame: Image.Image, i: int, scale: float = 1.0,
                      origin: tuple[int, int] = (0, 0)) -> None:
        """The running timecode, drawn straight onto ``frame`` (``origin``: where ``frame`` sits in the frame)."""
        tc = f"{self._tc(i)} / {self._tc(self.frames)}"
        fnt = font(self._tc_size if scale == 1.0 else round(self._tc_size * scale))
        x, y = self.slate.x + self._tc_xy[0], self.slate.y + self._tc_xy[1]
        ImageDraw.Draw(frame).text((x * scale - origin[0], y * scale - origin[1]), tc, font=fnt, fill=CHIP_DIM)
