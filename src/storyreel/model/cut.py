"""How one clip plays in the cut: trims live in the timeline, these effects are applied at render.

Effects are properties of a clip in the cut, never re-encoded copies in the media store (non-destructive): the
same take can sit in two cuts with different effects. Time is whole frames at the film's rate.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Transition(StrEnum):
    CUT = "cut"
    FADE = "fade"  # from black into this clip (no overlap)
    DISSOLVE = "dissolve"  # cross-dissolve from the previous clip; overlaps it by ``transition_frames``


class Crop(BaseModel):
    """A crop of the picture in 0..1 units of width/height: the visible rectangle (Ken Burns start or end)."""

    x: float = Field(0.0, ge=0, le=1)
    y: float = Field(0.0, ge=0, le=1)
    w: float = Field(1.0, gt=0, le=1)
    h: float = Field(1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _inside(self) -> Crop:
        if self.x + self.w > 1.0 + 1e-9 or self.y + self.h > 1.0 + 1e-9:
            raise ValueError(f"framing ({self.x}, {self.y}, {self.w}, {self.h}) leaves the picture")
        return self


class KenBurns(BaseModel):
    start: Crop = Field(default_factory=Crop)
    end: Crop = Field(default_factory=lambda: Crop(x=0.1, y=0.1, w=0.8, h=0.8))


class ClipEffects(BaseModel):
    """Render-time treatment of one clip. The default is a straight cut of the trimmed source."""

    handheld: float = Field(0.0, ge=0, le=1)  # "breathing" strength; 0 = off
    handheld_seed: int = 0
    ken_burns: KenBurns | None = None  # for stills and static takes
    speed: float = Field(1.0, ge=0.1, le=10.0)
    freeze_at: int | None = Field(None, ge=0)  # source frame to freeze on (relative to the take's first frame)
    freeze_frames: int = Field(0, ge=0)  # how long the freeze holds before the clip goes on
    hold_frames: int = Field(0, ge=0)  # hold the clip's last frame this much longer
    transition_in: Transition = Transition.CUT
    transition_frames: int = Field(0, ge=0)
    fade_out_frames: int = Field(0, ge=0)  # fade to black at the end of the clip

    @model_validator(mode="after")
    def _transition(self) -> ClipEffects:
        if self.transition_in is not Transition.CUT and self.transition_frames == 0:
            raise ValueError(f"a {self.transition_in.value} needs transition_frames > 0")
        return self

    @property
    def is_plain(self) -> bool:
        return self == ClipEffects()

    def record_frames(self, source_frames: int) -> int:
        """Frames the clip occupies on the record side (before any dissolve overlap with its neighbour)."""
        played = max(1, round(source_frames / self.speed))
        return played + self.freeze_frames + self.hold_frames
