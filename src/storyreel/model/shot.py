"""A shot: one planned camera setup, with everything a generator needs to film it.

Time is whole frames at the film's rate (``frames``); seconds exist only at the edges (CSV, tables).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Framing(StrEnum):
    ESTABLISHING = "establishing"  # extreme wide that opens a scene
    WIDE = "wide"
    MEDIUM = "medium"
    CLOSE = "close"
    EXTREME_CLOSE = "extreme_close"
    INSERT = "insert"  # a prop / detail, no character


class CameraMove(StrEnum):
    STATIC = "static"
    PUSH_IN = "push_in"
    PULL_OUT = "pull_out"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    HANDHELD = "handheld"


class Side(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class Look(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    CAMERA = "camera"


class Blocking(BaseModel):
    """Where one character is in frame and what they do with the frame edges.

    ``position`` is screen side at the start of the shot. ``enters``/``exits`` name the frame edge crossed
    (``exits=LEFT`` means the character walks out of frame left during the shot). ``look`` is eyeline.
    """

    character: str
    position: Side = Side.CENTER
    look: Look | None = None
    enters: Side | None = None
    exits: Side | None = None


class DialogueLine(BaseModel):
    character: str
    text: str
    parenthetical: str | None = None
    line: int | None = None  # source line in the screenplay


class Shot(BaseModel):
    """One planned camera setup. ``code`` (``3A``) is its identity across re-plans and CSV round trips."""

    schema_: str = Field(default="Shot.1", alias="schema")
    code: str
    scene: int
    order: int  # position in the film, 1-based
    heading: str = ""  # the scene heading it belongs to, e.g. "INT. 茶馆 - 夜"
    description: str = ""  # what happens, from the action or dialogue
    framing: Framing = Framing.MEDIUM
    camera: CameraMove = CameraMove.STATIC
    blocking: list[Blocking] = Field(default_factory=list)
    dialogue: list[DialogueLine] = Field(default_factory=list)
    frames: int  # duration in frames at the film fps
    prompt: str = ""
    line: int | None = None  # source line of the element the shot came from
    stale: bool = False

    model_config = {"populate_by_name": True}

    @property
    def characters(self) -> list[str]:
        return [b.character for b in self.blocking]

    def seconds(self, fps: int) -> float:
        return self.frames / fps
