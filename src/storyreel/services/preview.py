"""The preview cut: the timeline joined by stream copy in about a second, dialogue as a soft subtitle track.

Every take was normalised to the film profile when it landed (services.landing), so a whole clip is copied
packet for packet. A clip that is trimmed or re-timed (speed, freeze, hold, fades) is re-encoded once, with the
same encoder parameters, into the cache (keyed by take, range and treatment) and copied like the others. Motion
effects (handheld, Ken Burns) and dissolves are the delivery render's work: the preview shows them as straight
cuts of the right length, so every later clip still starts on its frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storyreel.media.normalise import IMAGE_EXTS, Treatment
from storyreel.media.preview import Segment, concat_copy
from storyreel.media.subtitles import Cue
from storyreel.model import ClipEffects
from storyreel.model.cut import Transition
from storyreel.services.film import Film
from storyreel.services.landing import ensure_normalised, ensure_segment, normalised_path, reference
from storyreel.services.timeline import TimelineClip, timeline

__all__ = ["PreviewResult", "preview_cut", "treatment_for"]


@dataclass(frozen=True)
class PreviewResult:
    video: Path
    srt: Path
    frames: int
    fps: int
    clips: int = 0
    copied: int = 0  # clips joined straight from their normalised take
    reencoded: int = 0  # trimmed / re-timed clips (each re-encoded once, then cached)
    normalised: int = 0  # takes that had to be normalised first (they had not landed yet)
    cues: int = 0

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def treatment_for(clip: TimelineClip) -> Treatment:
    """What of the clip's trim and effects the preview renders (see the module docstring)."""
    fx: ClipEffects = clip.effects
    whole = clip.source_in == 0 and clip.source_out == clip.take.frames
    return Treatment(
        source_in=clip.source_in,
        source_out=None if whole else clip.source_out,
        speed=fx.speed,
        freeze_at=fx.freeze_at,
        freeze_frames=fx.freeze_frames,
        hold_frames=fx.hold_frames,
        fade_in_frames=fx.transition_frames if fx.transition_in is Transition.FADE else 0,
        fade_out_frames=fx.fade_out_frames,
    )


def _cues(film: Film) -> list[Cue]:
    # services.cut.assemble places the dialogue on the cut as the delivery render shows it. With dissolves the
    # render overlaps clips and the preview does not, so lines after a dissolve show that many frames early.
    from storyreel.services.cut import assemble

    return assemble(film)[1]


def preview_cut(film: Film, progress: Callable[[int, int], None] | None = None) -> PreviewResult:
    """``storyreel cut --preview``: renders/preview.mp4 (+ preview.srt) by stream copy of the normalised takes."""
    fps = film.config.profile.fps
    clips = timeline(film)
    _, silence = reference(film)
    segments: list[Segment] = []
    copied = reencoded = normalised = 0
    for clip in clips:
        take = clip.take
        treatment = treatment_for(clip)
        is_image = (take.clip_ext or "").lower() in IMAGE_EXTS
        if treatment.is_identity and clip.record_frames == take.frames and not is_image:
            if normalised_path(film, take) is None:
                normalised += 1
            path = ensure_normalised(film, take, label=take.label)
            copied += 1
        else:
            path = ensure_segment(film, take, treatment, clip.record_frames, label=take.label)
            reencoded += 1
        segments.append(Segment(path, clip.record_frames))
    cues = _cues(film)
    out, srt = film.renders / "preview.mp4", film.renders / "preview.srt"
    frames = concat_copy(segments, cues, out=out, srt=srt, fps=fps, silence=silence, progress=progress)
    return PreviewResult(video=out, srt=srt, frames=frames, fps=fps, clips=len(clips), copied=copied,
                         reencoded=reencoded, normalised=normalised, cues=len(cues))
