"""The rough cut: selected takes in shot order, dialogue as subtitles, rendered at the film profile.

Cut points are frame-exact: every take was made at the film's profile, so shot k occupies exactly the frames
[sum of earlier shots, + its own frames). Subtitle cues are placed in frames, inside their shot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storyreel.errors import TakeNotFound
from storyreel.media.cut import CutClip, render_cut
from storyreel.media.fonts import cjk_font
from storyreel.media.subtitles import Cue
from storyreel.model import Shot
from storyreel.script.timing import reading_seconds
from storyreel.services.film import Film
from storyreel.services.plan import list_shots
from storyreel.services.review import TakeInfo, selected_takes

# Subtitles appear a little after the cut and leave a little before the next one, as editors do, so a cue never
# flashes across a cut point.
CUE_LEAD_S = 0.12
CUE_TAIL_S = 0.08
CUE_GAP_FRAMES = 2


@dataclass(frozen=True)
class CutEntry:
    shot: Shot
    take: TakeInfo
    start: int  # first frame of the shot in the cut
    frames: int


@dataclass(frozen=True)
class CutResult:
    video: Path
    srt: Path
    entries: list[CutEntry]
    cues: list[Cue]
    frames: int
    fps: int


def assemble(film: Film) -> tuple[list[CutEntry], list[Cue]]:
    """The cut's timeline: one entry per shot with its selected take, and the dialogue cues in frames."""
    shots = list_shots(film)
    picks = selected_takes(film)
    missing = [s.code for s in shots if picks.get(s.code) is None]
    if missing:
        raise TakeNotFound(
            f"No usable take for shot(s) {', '.join(missing)}. Run: storyreel shoot --shots {','.join(missing)}",
            zh=f"镜头 {'、'.join(missing)} 没有可用的结果。请运行：storyreel shoot --shots {','.join(missing)}",
        )
    fps = film.config.profile.fps
    entries: list[CutEntry] = []
    cues: list[Cue] = []
    start = 0
    for shot in shots:
        take = picks[shot.code]
        assert take is not None
        entries.append(CutEntry(shot, take, start, take.frames))
        cues.extend(_cues_for(shot, start, take.frames, fps))
        start += take.frames
    return entries, cues


def _cues_for(shot: Shot, start: int, frames: int, fps: int) -> list[Cue]:
    lines = [d for d in shot.dialogue if d.text.strip()]
    if not lines:
        return []
    lead, tail = round(CUE_LEAD_S * fps), round(CUE_TAIL_S * fps)
    usable = max(len(lines), frames - lead - tail)
    weights = [max(reading_seconds(d.text), 0.1) for d in lines]
    total_w = sum(weights)
    cues: list[Cue] = []
    pos = start + min(lead, max(0, frames - len(lines)) // 2)
    end_of_shot = start + frames
    for i, (d, w) in enumerate(zip(lines, weights, strict=True)):
        span = max(1, round(usable * w / total_w))
        cue_end = min(end_of_shot - (tail if i == len(lines) - 1 else 0), pos + span)
        if i < len(lines) - 1:
            cue_end = max(pos + 1, cue_end - CUE_GAP_FRAMES)
        cue_end = max(cue_end, pos + 1)
        cues.append(Cue(start_frame=pos, end_frame=min(cue_end, end_of_shot), text=d.text, speaker=d.character))
        pos = min(end_of_shot - 1, cue_end + (CUE_GAP_FRAMES if i < len(lines) - 1 else 0))
    return cues


def render_rough_cut(film: Film, *, progress: Callable[[int, int], None] | None = None) -> CutResult:
    """``storyreel cut``: renders/cut.mp4 with burned subtitles and renders/cut.srt beside it."""
    entries, cues = assemble(film)
    p = film.config.profile
    clips = [CutClip(path=film.media.path_for(e.take.clip_sha or "", e.take.clip_ext or "mp4"), frames=e.frames)
             for e in entries]
    out = film.renders / "cut.mp4"
    srt = film.renders / "cut.srt"
    render_cut(clips, cues, out=out, srt=srt, width=p.width, height=p.height, fps=p.fps, font=cjk_font(),
               progress=progress)
    return CutResult(video=out, srt=srt, entries=entries, cues=cues, frames=sum(e.frames for e in entries), fps=p.fps)
