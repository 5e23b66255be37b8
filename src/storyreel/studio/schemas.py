"""The JSON shapes of the studio API (pydantic), and the conversions from service results to them.

Pages get the same shapes as the API (``model_dump()``), so a template and the page script that refreshes it
read the same fields. Media appear as URLs the studio serves: ``/media/<sha>.<ext>`` by content id,
``/thumbs/<label>.jpg`` and ``/proxy/<label>.mp4`` once ``services.landing`` has made them (None before).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from storyreel.services.film import Film
from storyreel.services.review import TakeInfo

# -- errors and tasks -------------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    error: str = Field(description="Error class, e.g. TakeNotFound")
    message: str
    message_zh: str | None = None
    detail: list[dict[str, Any]] | None = None


class TaskOut(BaseModel):
    id: str
    kind: str
    subject: str
    state: Literal["queued", "running", "done", "failed"]
    progress: float
    message: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_at: float
    updated_at: float


# -- takes, keyframes, shots ------------------------------------------------------------------------------------


class TakeOut(BaseModel):
    label: str
    shot: str
    number: int
    seed: int
    provider: str
    model: str | None
    frames: int
    fps: int
    seconds: float
    status: str = Field(description="good | rejected, or a job state while the take is in the works")
    landed: bool
    selected: bool
    kind: str = Field(description="video | image")
    rating: int | None
    note: str
    tags: list[str]
    origin: str
    cost: float
    draft: bool
    prompt: str
    parent_take: str | None
    source_take: str | None
    created_at: str
    media_url: str | None = Field(description="the clip (video takes) by content id")
    keyframe_url: str | None
    thumb_url: str | None = Field(description="None until the thumbnail is made")
    proxy_url: str | None = Field(description="None until the browser proxy is made")


class KeyframeOut(BaseModel):
    label: str
    shot: str
    number: int
    width: int
    height: int
    origin: str
    approved: bool
    source: str | None
    prompt: str
    url: str


class ChainEnd(BaseModel):
    shot: str
    at: str


class ShotOut(BaseModel):
    code: str
    scene: int
    order: int
    heading: str
    description: str
    framing: str
    camera: str
    frames: int
    seconds: float
    prompt: str = Field(description="the plan's prompt")
    prompt_override: str | None = Field(description="the director's prompt for re-rolls, if any")
    characters: list[str]
    dialogue: list[dict[str, Any]]
    stale: bool
    locked: bool
    fragment: bool
    omitted: bool
    focus: list[float] | None
    chain: dict[str, ChainEnd] = Field(description="first/last frame sources: {'first': {shot, at}, ...}")
    selected_take: str | None
    previous_shot: str | None
    next_shot: str | None
    takes: list[TakeOut]
    keyframes: list[KeyframeOut]


class CardOut(BaseModel):
    code: str
    scene: int
    heading: str
    order: int
    frames: int
    seconds: float
    status: str
    take_count: int
    good_count: int
    cost: float
    thumb_take: str | None
    thumb_url: str | None
    characters: list[str]
    fragment: bool
    description: str


class SceneOut(BaseModel):
    scene: int
    heading: str


class BoardOut(BaseModel):
    cards: list[CardOut]
    summary: dict[str, int]
    statuses: list[str]
    scenes: list[SceneOut]
    characters: list[str]


class BinOut(BaseModel):
    takes: list[TakeOut]


class GrabOut(BaseModel):
    keyframe: KeyframeOut
    chained: bool
    selected: bool = Field(description="the grabbed take is its shot's selected take (what a chain resolves from)")
    exact: bool = Field(True, description="the take's own pixels; false: read from its frame-aligned normalised copy")


class LockOut(BaseModel):
    shot: str
    locked: bool


# -- cut --------------------------------------------------------------------------------------------------------


class ClipOut(BaseModel):
    id: int | None = Field(description="None while the cut is derived (POST /api/cut/materialise gives ids)")
    position: int
    take: TakeOut
    shot: str
    source_in: int
    source_out: int
    effects: dict[str, Any]
    record_start: int
    record_frames: int


class CutOut(BaseModel):
    edited: bool
    fps: int
    frames: int
    seconds: float
    clips: list[ClipOut]
    problem: ErrorOut | None = Field(None, description="why the derived cut cannot be built yet")


# -- jobs and ledger --------------------------------------------------------------------------------------------


class JobOut(BaseModel):
    id: int
    take: str
    provider: str
    model: str | None
    state: str
    error_class: str | None
    error: str | None
    attempts: int
    remote_id: str | None
    updated_at: str


class JobsOut(BaseModel):
    jobs: list[JobOut]
    counts: dict[str, int]


class SpendPoint(BaseModel):
    at: str
    provider: str
    shot: str | None
    amount: float
    total: float = Field(description="cumulative spend up to and including this charge")


class LedgerOut(BaseModel):
    spent: float
    reserved: float
    currency: str = Field(description="the film's currency; every amount here is in it")
    unconverted: dict[str, float] = Field(
        default_factory=dict, description="charges in a billing unit film.toml gives no rate for, in that unit")
    by_shot: dict[str, float]
    by_provider: dict[str, float]
    generated_seconds: float
    used_seconds: float
    takes: int
    usage_ratio: float | None
    cost_per_used_second: float | None
    series: list[SpendPoint]


# -- conversions ------------------------------------------------------------------------------------------------


def media_url(sha: str | None, ext: str | None) -> str | None:
    return f"/media/{sha}.{ext}" if sha and ext else None


def take_out(film: Film, t: TakeInfo) -> TakeOut:
    landed = t.status in ("good", "rejected")
    thumb = proxy = None
    if landed:
        from storyreel.services import landing  # made when the take landed; never made by a page request

        if (p := landing.thumbnail_path(film, t)) is not None and p.is_file():
            thumb = f"/thumbs/{t.label}.jpg"
        if (p := landing.proxy_path(film, t)) is not None and p.is_file():
            proxy = f"/proxy/{t.label}.mp4"
    return TakeOut(
        label=t.label, shot=t.shot, number=t.number, seed=t.seed, provider=t.provider, model=t.model,
        frames=t.frames, fps=t.fps, seconds=round(t.seconds, 3), status=t.status, landed=landed, selected=t.selected,
        kind=t.kind, rating=t.rating, note=t.note, tags=list(t.tags), origin=t.origin, cost=t.cost, draft=t.draft,
        prompt=t.prompt, parent_take=t.parent_take, source_take=t.source_take, created_at=t.created_at,
        media_url=media_url(t.clip_sha, t.clip_ext), keyframe_url=media_url(t.keyframe_sha, "png"),
        thumb_url=thumb, proxy_url=proxy,
    )


def keyframe_out(k: Any) -> KeyframeOut:
    return KeyframeOut(label=k.label, shot=k.shot, number=k.number, width=k.width, height=k.height, origin=k.origin,
                       approved=k.approved, source=k.source, prompt=k.prompt, url=f"/media/{k.sha}.{k.ext}")
