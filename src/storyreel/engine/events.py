"""Engine events: what the CLI's progress bar and the studio's server-sent events both read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    type: str  # "job:state" | "take:new"
    job_id: int
    shot: str
    take: int
    state: str
    seconds: float | None = None
    error: str | None = None  # the error class when a job failed
