"""The cut in the studio API: read it, edit it (place, move, trim, effects, remove, reset), render it, and its
dialogue as WebVTT for in-browser playback. Routes go on ``api.router``; the rules live in services.timeline.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from storyreel.errors import InvalidInput, StoryreelError, TakeNotFound
from storyreel.media.subtitles import Cue, cue_text, frame_to_ms
from storyreel.model import ClipEffects
from storyreel.services import timeline as tl
from storyreel.services.film import Film
from storyreel.studio.api import film_of, router, task_out, tasks_of
from storyreel.studio.schemas import ClipOut, CutOut, ErrorOut, TaskOut, take_out
from storyreel.studio.tasks import ProgressFn, error_body

CLIP_ID = Annotated[int, PathParam(ge=1, le=2**62)]
FRAME = Annotated[int, Field(ge=0, le=10_000_000)]


def effects_out(fx: ClipEffects) -> dict[str, Any]:
    """The clip's effects that differ from a plain cut; a Ken Burns move always with both framings in full (left
    to defaults, a push-in would read ``{}`` and a page could not tell which move it is)."""
    out = fx.model_dump(mode="json", exclude_defaults=True)
    if fx.ken_burns is not None:
        out["ken_burns"] = fx.ken_burns.model_dump(mode="json")
    return out


def clip_out(film: Film, c: tl.TimelineClip) -> ClipOut:
    return ClipOut(id=c.id, position=c.position, take=take_out(film, c.take), shot=c.shot.code,
                   source_in=c.source_in, source_out=c.source_out, effects=effects_out(c.effects),
                   record_start=c.record_start, record_frames=c.record_frames)


def cut_out(film: Film) -> CutOut:
    fps = film.config.profile.fps
    edited = tl.is_edited(film)
    try:
        clips = tl.timeline(film)
    except TakeNotFound as exc:  # a derived cut with a shot not yet shot: say so, but still answer
        return CutOut(edited=edited, fps=fps, frames=0, seconds=0.0, clips=[], problem=ErrorOut(**error_body(exc)))
    frames = clips[-1].record_end if clips else 0
    return CutOut(edited=edited, fps=fps, frames=frames, seconds=round(frames / fps, 3) if fps else 0.0,
                  clips=[clip_out(film, c) for c in clips])


@router.get("/cut", response_model=CutOut, tags=["cut"])
def get_cut(request: Request) -> CutOut:
    """The cut as it plays: derived from the selections until edited, then its own clips."""
    return cut_out(film_of(request))


class ClipIn(BaseModel):
    take: str = Field(..., max_length=64, description="take label, e.g. 3A-t002")
    position: int | None = Field(None, ge=0, le=100_000, description="0-based; default the end")


class ClipPatch(BaseModel):
    position: int | None = Field(None, ge=0, le=100_000)
    source_in: FRAME | None = None
    source_out: FRAME | None = None
    effects: dict[str, Any] | None = Field(None, description="model.ClipEffects fields; replaces the clip's effects")


@router.post("/cut/clips", response_model=ClipOut, status_code=201, tags=["cut"])
def add_clip(body: ClipIn, request: Request) -> ClipOut:
    """Place a whole take in the cut (a derived cut becomes edited first, keeping what plays)."""
    film = film_of(request)
    return clip_out(film, tl.add_clip(film, body.take, body.position))


@router.post("/cut/materialise", response_model=CutOut, tags=["cut"])
def materialise(request: Request) -> CutOut:
    """Turn a derived cut into edited clips without changing what plays, so each clip has an id to edit by."""
    film = film_of(request)
    tl.materialise(film)
    return cut_out(film)


@router.patch("/cut/clips/{clip_id}", response_model=CutOut, tags=["cut"])
def patch_clip(clip_id: CLIP_ID, body: ClipPatch, request: Request) -> CutOut:
    """Move, trim and/or set the effects of one clip; answers with the whole cut."""
    film = film_of(request)
    if body.source_in is not None or body.source_out is not None:
        # One side of a trim may be left out: it keeps its value (an unknown clip is refused by the service).
        current = next((c for c in tl.timeline(film) if c.id == clip_id), None)
        src_in = body.source_in if body.source_in is not None else (current.source_in if current else 0)
        src_out = body.source_out if body.source_out is not None else (current.source_out if current else 1)
        tl.trim_clip(film, clip_id, src_in, src_out)
    if body.effects is not None:
        tl.set_effects(film, clip_id, body.effects)
    if body.position is not None:
        tl.move_clip(film, clip_id, body.position)
    return cut_out(film)


@router.delete("/cut/clips/{clip_id}", response_model=CutOut, tags=["cut"])
def delete_clip(clip_id: CLIP_ID, request: Request) -> CutOut:
    """Take a clip out of the cut; its take goes back to the bin."""
    film = film_of(request)
    tl.remove_clip(film, clip_id)
    return cut_out(film)


@router.post("/cut/reset", response_model=CutOut, tags=["cut"])
def reset(request: Request) -> CutOut:
    """Drop the edit: the cut follows the selections again."""
    film = film_of(request)
    tl.reset_cut(film)
    return cut_out(film)


class RenderIn(BaseModel):
    kind: Literal["delivery", "preview"] = Field(
        "delivery", description="delivery: the full render (effects, sound, burned subtitles); preview: the quick "
                                "stream-copied cut with a soft subtitle track")
    profile: str | None = Field(None, max_length=64, description="delivery profile; default the film's")


class ProfileOut(BaseModel):
    name: str
    title: str
    width: int
    height: int
    picture_width: int
    picture_height: int


class ProfilesOut(BaseModel):
    default: str = Field(description="what a render without a profile uses: film.toml's delivery, else the "
                                     "profile matching the film's aspect")
    profiles: list[ProfileOut]


def delivery_profiles(film: Film) -> ProfilesOut:
    from storyreel.media.delivery import PROFILES
    from storyreel.services.cut import delivery_profile

    try:
        default = delivery_profile(film, None).name
    except StoryreelError:  # film.toml names a profile that does not exist: the render will say so
        default = next(iter(PROFILES))
    return ProfilesOut(default=default, profiles=[
        ProfileOut(name=p.name, title=p.title, width=p.width, height=p.height, picture_width=p.picture_width,
                   picture_height=p.picture_height) for p in PROFILES.values()])


@router.get("/cut/profiles", response_model=ProfilesOut, tags=["cut"])
def get_profiles(request: Request) -> ProfilesOut:
    """The delivery profiles a render can use (``RenderIn.profile``), and the film's default."""
    return delivery_profiles(film_of(request))


@router.post("/cut/render", response_model=TaskOut, status_code=202, tags=["cut"])
def render(request: Request, body: RenderIn | None = None) -> TaskOut:
    """Render the cut as a task; its result names the rendered files, served under /renders/."""
    film = film_of(request)
    body = body or RenderIn()
    if body.profile is not None:  # an unknown profile is refused now, with the list, not in the task
        known = [p.name for p in delivery_profiles(film).profiles]
        if body.profile.strip().lower() not in known:
            raise InvalidInput(f"profile: no delivery profile '{body.profile}'. Profiles: {', '.join(known)}.",
                               zh=f"profile：没有名为 '{body.profile}' 的交付规格。可用：{'、'.join(known)}。")
    tl.timeline(film)  # a cut that cannot be built is refused now, not in the task

    def work(progress: ProgressFn) -> dict[str, Any]:
        from storyreel.services import cut as cut_service

        def on_progress(done: int, total: int) -> None:
            progress(done / total if total else 0.0, f"{done}/{total}")

        if body.kind == "preview":
            from storyreel.services.preview import preview_cut

            result = preview_cut(film, progress=on_progress)
        elif hasattr(cut_service, "render_delivery"):  # the delivery render, once services.cut has it
            result = cut_service.render_delivery(film, body.profile, progress=on_progress)
        else:
            result = cut_service.render_rough_cut(film, progress=on_progress)
        files = {k: getattr(result, k) for k in ("video", "srt", "ass", "wav") if getattr(result, k, None)}
        out: dict[str, Any] = {"kind": body.kind, "frames": getattr(result, "frames", None),
                               "fps": getattr(result, "fps", None)}
        for name, path in files.items():
            out[name] = str(path)
            if path.parent.resolve() == film.renders.resolve():
                out[f"{name}_url"] = f"/renders/{path.name}"
        return out

    return task_out(tasks_of(request).submit("render", body.kind, work))


# -- subtitles --------------------------------------------------------------------------------------------------


def _vtt_time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_text(cue: Cue) -> str:
    return cue_text(cue).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n\n", "\n")


def cut_vtt(film: Film) -> str:
    """WebVTT of the cut's dialogue in record time, placed exactly as the render places it (services.cut)."""
    from storyreel.services.cut import assemble

    fps = film.config.profile.fps
    try:
        _, cues = assemble(film)
    except TakeNotFound:  # a derived cut with a shot not yet shot has no dialogue to show
        cues = []
    lines = ["WEBVTT", ""]
    for n, cue in enumerate(cues, 1):
        start, end = _vtt_time(frame_to_ms(cue.start_frame, fps)), _vtt_time(frame_to_ms(cue.end_frame, fps))
        lines += [str(n), f"{start} --> {end}", _vtt_text(cue), ""]
    return "\n".join(lines) + "\n"


@router.get("/cut/subtitles.vtt", response_class=PlainTextResponse, tags=["cut"],
            responses={200: {"content": {"text/vtt": {"schema": {"type": "string"}}}}})
def subtitles(request: Request) -> PlainTextResponse:
    """The cut's dialogue as WebVTT, for a <track> on the in-browser player."""
    return PlainTextResponse(cut_vtt(film_of(request)), media_type="text/vtt; charset=utf-8")
