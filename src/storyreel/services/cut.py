"""The cut, rendered: the rough cut at the film's profile, and deliveries for each platform.

``assemble`` reads the cut's timeline (``services.timeline``: derived from the selections, or edited) and works
out where every clip lands once dissolves overlap, and when each dialogue line shows. Both renders then go
through ``media.reel`` in ONE ffmpeg run: trims, effects, reframing, burned subtitles and the sound together.

Subtitle cues are laid out over a take's whole length, as the shot was written (a little after the take starts,
a little before it ends, each line's share by reading time), then carried to the record side through the clip's
trim, speed and freeze. A line in a trimmed-away part of a take is not shown; a line cut by the trim is shown
for the part that remains. Cues never run into the next cue, so a dissolve cannot stack two lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from storyreel.errors import MediaError, ShotNotFound, TakeNotFound
from storyreel.media.check import CheckRule, Expectation, LoudnessTarget, check_delivery, write_report
from storyreel.media.delivery import DeliveryProfile, film_canvas, find_profile, profile_for_aspect, subtitles_ass
from storyreel.media.effects import ReelClip, layout, record_frame_of
from storyreel.media.fonts import cjk_font
from storyreel.media.reel import render_reel
from storyreel.media.reframe import Fit
from storyreel.media.subtitles import Cue, write_srt
from storyreel.model import ClipEffects, Shot
from storyreel.script.timing import reading_seconds
from storyreel.services.film import Film
from storyreel.services.review import TakeInfo
from storyreel.store import ShotRow

__all__ = ["CutEntry", "CutResult", "DeliveryResult", "assemble", "render_delivery", "render_rough_cut",
           "set_focus", "voice_lines"]

# Subtitles appear a little after the cut and leave a little before the next one, as editors do, so a cue never
# flashes across a cut point.
CUE_LEAD_S = 0.12
CUE_TAIL_S = 0.08
CUE_GAP_FRAMES = 2


@dataclass(frozen=True)
class CutEntry:
    """One clip of the cut as rendered: ``start`` is its first frame in the output (after dissolve overlaps)."""

    shot: Shot
    take: TakeInfo
    start: int
    frames: int  # record frames
    source_in: int = 0
    source_out: int = 0  # exclusive
    effects: ClipEffects = field(default_factory=ClipEffects)
    clip_id: int | None = None  # cut_clips.id; None while the cut is derived
    focus: tuple[float, float] | None = None
    dialogue: tuple[int, ...] = ()  # indexes into shot.dialogue of the cues this clip shows, in cue order


@dataclass(frozen=True)
class CutResult:
    video: Path
    srt: Path
    entries: list[CutEntry]
    cues: list[Cue]
    frames: int
    fps: int


@dataclass(frozen=True)
class DeliveryResult:
    video: Path
    srt: Path
    report: Path  # renders/<name>.report.json
    profile: DeliveryProfile
    rules: list[CheckRule]
    frames: int
    fps: int

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rules)


# --- the timeline, placed -----------------------------------------------------------------------------------

def _source_cues(shot: Shot, frames: int, fps: int) -> list[tuple[int, Cue]]:
    """(dialogue index, cue) for the shot's lines over a take of ``frames``, in source frames."""
    lines = [(i, d) for i, d in enumerate(shot.dialogue) if d.text.strip()]
    if not lines:
        return []
    lead, tail = round(CUE_LEAD_S * fps), round(CUE_TAIL_S * fps)
    usable = max(len(lines), frames - lead - tail)
    weights = [max(reading_seconds(d.text), 0.1) for _, d in lines]
    total_w = sum(weights)
    cues: list[tuple[int, Cue]] = []
    pos = min(lead, max(0, frames - len(lines)) // 2)
    for n, ((index, d), w) in enumerate(zip(lines, weights, strict=True)):
        last = n == len(lines) - 1
        span = max(1, round(usable * w / total_w))
        cue_end = min(frames - (tail if last else 0), pos + span)
        if not last:
            cue_end = max(pos + 1, cue_end - CUE_GAP_FRAMES)
        cue_end = max(cue_end, pos + 1)
        cues.append((index, Cue(start_frame=pos, end_frame=min(cue_end, frames), text=d.text, speaker=d.character)))
        pos = min(frames - 1, cue_end + (0 if last else CUE_GAP_FRAMES))
    return cues


def _record_cue(cue: Cue, clip: ReelClip, start: int) -> Cue | None:
    """``cue`` (source frames of the take) on the cut's record side, or None when trimmed away."""
    a, b = max(cue.start_frame, clip.source_in), min(cue.end_frame, clip.source_out)
    if a >= b:
        return None
    first = record_frame_of(a, clip)
    # A cue that runs to the end of the used range keeps showing through a hold on the last frame.
    if b == clip.source_out:
        end = clip.record_frames
    else:
        end = record_frame_of(b, clip)
    if first is None or end is None or end <= first:
        return None
    return Cue(start + first, start + end, cue.text, cue.speaker)


def _reel_clip(film: Film, take: TakeInfo, source_in: int, source_out: int, effects: ClipEffects,
               focus: tuple[float, float] | None, shot: str) -> ReelClip:
    if take.clip_sha:
        return ReelClip(film.media.path_for(take.clip_sha, take.clip_ext or "mp4"), source_in, source_out, effects,
                        focus)
    if take.keyframe_sha:  # an image take: its picture held for the clip's length
        return ReelClip(film.media.path_for(take.keyframe_sha, "png"), source_in, source_out, effects, focus,
                        still=True)
    raise TakeNotFound(
        f"Take {take.label} has no media file yet. Run: storyreel shoot --shots {shot}",
        zh=f"镜头结果 {take.label} 还没有媒体文件。请运行：storyreel shoot --shots {shot}",
        shot=shot, take=take.label,
    )


def _focus_points(film: Film, codes: set[str]) -> dict[str, tuple[float, float]]:
    if not codes:
        return {}
    with film.store.session() as s:
        rows = s.execute(select(ShotRow.code, ShotRow.focus).where(ShotRow.code.in_(codes))).all()
    out = {}
    for code, focus in rows:
        if isinstance(focus, (list, tuple)) and len(focus) == 2:
            out[code] = (min(max(float(focus[0]), 0.0), 1.0), min(max(float(focus[1]), 0.0), 1.0))
    return out


def _assemble(film: Film, cut: str) -> tuple[list[CutEntry], list[Cue], list[ReelClip]]:
    from storyreel.services.timeline import timeline

    clips = timeline(film, cut)
    if not clips:
        raise TakeNotFound(f"The cut '{cut}' has no clips. Run: storyreel shoot, or add takes to the cut.",
                           zh=f"剪辑 '{cut}' 中没有片段。请运行 storyreel shoot，或向剪辑中添加镜头。")
    fps = film.config.profile.fps
    focus = _focus_points(film, {c.shot.code for c in clips})
    reel = [_reel_clip(film, c.take, c.source_in, c.source_out, c.effects, focus.get(c.shot.code), c.shot.code)
            for c in clips]
    placed = layout([(r.record_frames, r.effects) for r in reel])
    entries: list[CutEntry] = []
    cues: list[Cue] = []
    for c, r, p in zip(clips, reel, placed, strict=True):
        shown: list[int] = []
        for index, source_cue in _source_cues(c.shot, c.take.frames, fps):
            cue = _record_cue(source_cue, r, p.start)
            if cue is not None:
                cues.append(cue)
                shown.append(index)
        entries.append(CutEntry(c.shot, c.take, p.start, p.frames, c.source_in, c.source_out, c.effects, c.id,
                                r.focus, tuple(shown)))
    # Over a dissolve the outgoing clip's last line would still show when the next one's starts: cut it there.
    for k in range(len(cues) - 1):
        if cues[k].end_frame > cues[k + 1].start_frame:
            cues[k] = replace(cues[k], end_frame=max(cues[k].start_frame + 1, cues[k + 1].start_frame))
    return entries, cues, reel


def assemble(film: Film, cut: str = "main") -> tuple[list[CutEntry], list[Cue]]:
    """The cut as it renders: one entry per clip (placed after dissolve overlaps) and the dialogue cues."""
    entries, cues, _ = _assemble(film, cut)
    return entries, cues


def voice_lines(entries: list[CutEntry], cues: list[Cue]):
    """The cues as ``services.sound.VoiceLine``s (shot code, dialogue index, cue), in cue order."""
    from storyreel.services.sound import VoiceLine

    owners = [(e.shot.code, i) for e in entries for i in e.dialogue]
    return [VoiceLine(shot=code, index=index, cue=cue) for (code, index), cue in zip(owners, cues, strict=True)]


def set_focus(film: Film, code: str, focus: tuple[float, float] | None) -> None:
    """Set (or clear, with None) the point of shot ``code`` that reframing keeps in view, in 0..1 of the picture."""
    if focus is not None and not all(0.0 <= v <= 1.0 and math.isfinite(v) for v in focus):
        raise ValueError(f"focus must be two numbers in 0..1, got {focus}")
    with film.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == code)).first()
        if row is None:
            codes = ", ".join(s.scalars(select(ShotRow.code).order_by(ShotRow.ord))) or "none"
            raise ShotNotFound(f"No shot {code}. Shots: {codes}.", zh=f"没有镜头 {code}。现有镜头：{codes}。")
        row.focus = list(focus) if focus is not None else None


# --- renders ------------------------------------------------------------------------------------------------

def _soundtrack(film: Film, entries: list[CutEntry], cues: list[Cue], frames: int, name: str):
    from storyreel.services.sound import build_soundtrack

    out = film.state_dir / "cache" / "sound" / f"{name}.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    return build_soundtrack(film, voice_lines(entries, cues), frames=frames, fps=film.config.profile.fps, out=out)


def render_rough_cut(film: Film, *, progress: Callable[[int, int], None] | None = None) -> CutResult:
    """``storyreel cut``: renders/cut.mp4 at the film's profile with burned subtitles, renders/cut.srt beside.

    The soundtrack (music, temp dialogue) is mixed in when the film has one; otherwise the rough cut is silent.
    """
    entries, cues, reel = _assemble(film, "main")
    p = film.config.profile
    frames = entries[-1].start + entries[-1].frames
    sound = _soundtrack(film, entries, cues, frames, "cut")
    cues = sound.cues
    canvas = film_canvas(p.width, p.height)
    font = cjk_font() if cues else None
    out, srt = film.renders / "cut.mp4", film.renders / "cut.srt"
    render_reel(reel, out=out, canvas=canvas, fps=p.fps, fit=Fit.CROP,
                ass=subtitles_ass(cues, p.fps, canvas, font) if font else None, font=font, audio=sound.wav,
                progress=progress)
    write_srt(cues, srt, p.fps)
    return CutResult(video=out, srt=srt, entries=entries, cues=cues, frames=frames, fps=p.fps)


def delivery_profile(film: Film, name: str | None) -> DeliveryProfile:
    """``name``, else film.toml's ``delivery``, else the profile matching the film's aspect."""
    if name:
        return find_profile(name)
    if film.config.delivery:
        return find_profile(film.config.delivery)
    return profile_for_aspect(film.config.profile.aspect.value)


def render_delivery(
    film: Film,
    profile: str | None = None,
    *,
    fit: str = "crop",
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DeliveryResult:
    """``storyreel render``: the cut for one platform, checked. Returns the result even when checks fail.

    Steps: assemble the cut; build the soundtrack (loudness-normalised WAV, dialogue-timed cues); render picture,
    subtitles and sound in one pass; write the SRT; probe and measure the file; write the report beside it
    (renders/<name>.report.json). A failed check keeps the file: the report says what to fix.
    """
    prof = delivery_profile(film, profile)
    try:
        fit_mode = Fit(fit)
    except ValueError:
        raise MediaError(f"--fit must be crop or pad, got '{fit}'.",
                         zh=f"--fit 只能是 crop 或 pad，而不是 '{fit}'。") from None
    fps = film.config.profile.fps
    out = Path(out) if out is not None else film.renders / f"{prof.name}.mp4"
    entries, cues, reel = _assemble(film, "main")
    frames = entries[-1].start + entries[-1].frames
    sound = _soundtrack(film, entries, cues, frames, prof.name)
    cues = sound.cues
    font = cjk_font() if cues else None
    render_reel(reel, out=out, canvas=prof, fps=fps, fit=fit_mode,
                ass=subtitles_ass(cues, fps, prof, font) if font else None, font=font, audio=sound.wav,
                silent_audio=True, progress=progress)
    srt = out.with_suffix(".srt")
    write_srt(cues, srt, fps)
    target = (LoudnessTarget(film.config.sound.target_lufs, film.config.sound.true_peak)
              if sound.wav is not None else None)
    rules = check_delivery(out, Expectation(prof.width, prof.height, fps, frames, target))
    report = write_report(out.with_name(f"{out.stem}.report.json"), video=out, profile=prof.name, rules=rules)
    return DeliveryResult(out, srt, report, prof, rules, frames, fps)
