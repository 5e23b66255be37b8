"""What a provider is asked to make (``TakeSpec``) and what it reports back."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

from storyreel.errors import TakeNotFound
from storyreel.model.shot import Shot


class Lane(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class TakeSpec(BaseModel):
    """Provider-neutral request. Vendor field names never appear here; adapters translate."""

    schema_: str = Field(default="TakeSpec.1", alias="schema")
    lane: Lane = Lane.VIDEO
    prompt: str
    seed: int
    frames: int
    fps: int
    width: int
    height: int
    shot: Shot | None = None  # previz draws from the shot itself
    palette: list[str] = Field(default_factory=list)
    character_colors: dict[str, str] = Field(default_factory=dict)
    model: str | None = None  # None: the provider's default model for the lane
    negative_prompt: str | None = None
    # Inputs by role, as local file paths (adapters upload or inline them as their API wants).
    first_frame: str | None = None
    last_frame: str | None = None
    references: list[str] = Field(default_factory=list)  # character / style reference images
    edit_source: str | None = None  # image lane: the image to edit
    draft: bool = False  # the provider's cheap tier (lower resolution / faster model), same seed and inputs
    camera_fixed: bool | None = None
    count: int = Field(1, ge=1, le=15)  # images per request (Seedream group generation)
    metadata: dict[str, dict] = Field(default_factory=dict)  # vendor extras, under the provider's name

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    @property
    def ratio(self) -> str:
        """Aspect as a reduced 'w:h' string (16:9, 9:16, 4:3, 1:1, 21:9 …)."""
        from math import gcd

        g = gcd(self.width, self.height)
        return f"{self.width // g}:{self.height // g}"

    model_config = {"populate_by_name": True}


class JobState(StrEnum):
    PLANNED = "planned"
    RESERVED = "reserved"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"
    RECONCILE = "reconcile"


TERMINAL_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELED, JobState.RECONCILE})

# The lifecycle of DESIGN §4: the only moves the engine may persist.
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.PLANNED: frozenset({JobState.RESERVED, JobState.CANCELED, JobState.FAILED}),
    JobState.RESERVED: frozenset({JobState.SUBMITTING, JobState.CANCELED, JobState.FAILED}),
    # Back to reserved only when the provider refused the create (429, 5xx before acceptance): nothing was made.
    JobState.SUBMITTING: frozenset({JobState.SUBMITTED, JobState.RESERVED, JobState.FAILED, JobState.RECONCILE}),
    JobState.SUBMITTED: frozenset({JobState.RUNNING, JobState.DOWNLOADING, JobState.FAILED, JobState.CANCELED}),
    JobState.RUNNING: frozenset({JobState.DOWNLOADING, JobState.FAILED, JobState.CANCELED}),
    JobState.DOWNLOADING: frozenset({JobState.DONE, JobState.FAILED}),
    JobState.DONE: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELED: frozenset(),
    JobState.RECONCILE: frozenset({JobState.SUBMITTED, JobState.RESERVED, JobState.FAILED}),
}

# Moves only the director may make (``storyreel jobs retry|cancel|resolve``), never the engine on its own.
USER_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.FAILED: frozenset({JobState.PLANNED}),  # retry: a new attempt, reserved again
    JobState.CANCELED: frozenset({JobState.PLANNED}),
    JobState.RECONCILE: frozenset({JobState.SUBMITTED, JobState.RESERVED, JobState.CANCELED}),
    JobState.PLANNED: frozenset({JobState.CANCELED}),
    JobState.RESERVED: frozenset({JobState.CANCELED}),
    JobState.SUBMITTED: frozenset({JobState.CANCELED}),
    JobState.RUNNING: frozenset({JobState.CANCELED}),
}


def can_move(src: JobState, dst: JobState, *, by_user: bool = False) -> bool:
    return dst in TRANSITIONS[src] or (by_user and dst in USER_TRANSITIONS.get(src, frozenset()))


_TAKE_LABEL = re.compile(r"^\s*(?P<shot>\S+?)-t(?P<number>\d+)\s*$", re.IGNORECASE)


def parse_take_label(label: str) -> tuple[str, int]:
    """``3A-t002`` → ("3A", 2): the one parser of take labels (CLI, studio and services all name takes so)."""
    m = _TAKE_LABEL.match(label or "")
    if not m:
        raise TakeNotFound(f"'{label}' is not a take label; takes are named like 3A-t002.",
                           zh=f"'{label}' 不是条号；条号形如 3A-t002。", label=label)
    return m.group("shot"), int(m.group("number"))
