"""Continuity: a shot that starts (or ends) on a frame of another shot.

``storyreel chain 3B --from 3A@4.2s`` is a decision stored in ``shots.chain``; the frame itself is resolved from
3A's *selected* take only when 3B's job is planned or started, so re-selecting 3A changes what 3B starts from.
A selection change marks the shots chained from it stale and re-binds their jobs that have not been sent yet
(``rebind_after_selection``); jobs already sent keep the frame they were sent with.

Grabbed frames are PNGs in the content-addressed media store; a job's spec names that file.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyreel.errors import FilmError
from storyreel.store import EventRow, JobRow, KeyframeRow, MediaStore, ShotRow, TakeRow

__all__ = [
    "ChainError", "ChainResolution", "FrameRef", "GrabbedFrame", "chain", "chain_depth", "chain_sources", "frame_index",
    "parse_ref", "rebind_after_selection", "rebind_jobs", "resolve_chain", "selected_take_row", "shot_inputs",
]

ROLES = ("first", "last")  # chain roles → TakeSpec.first_frame / TakeSpec.last_frame
DRIFT_DEPTH = 3  # generations of frame-to-frame chaining after which quality drift shows
_UNSENT = ("planned", "reserved")  # job states whose spec may still change: nothing was sent


class ChainError(FilmError):
    """A chain reference that is malformed, circular, or cannot be resolved (yet)."""


@dataclass(frozen=True)
class FrameRef:
    shot: str
    at: str  # "first" | "last" | "4.2s" | "96f"

    def __str__(self) -> str:
        return f"{self.shot}@{self.at}"

    def as_json(self) -> dict:
        return {"shot": self.shot, "at": self.at}


_AT = re.compile(r"^(?:first|last|\d+(?:\.\d+)?s|\d+f)$")


def parse_at(at: str, *, ref: str | None = None) -> str:
    """Normalise a frame position: ``first``, ``last``, ``4.2s`` or ``96f``."""
    norm = at.strip().lower()
    if not _AT.match(norm):
        shown = ref or at
        raise ChainError(
            f"'{shown}': the frame must be first, last, a time like 4.2s, or a frame number like 96f.",
            zh=f"“{shown}”：帧位置应为 first、last、时间（如 4.2s）或帧号（如 96f）。",
        )
    return norm


def parse_ref(text: str) -> FrameRef:
    """``3A@4.2s`` → FrameRef("3A", "4.2s"). A bare ``3A`` means its last frame (the natural continuation)."""
    raw = text.strip()
    shot, sep, at = raw.partition("@")
    if not shot or (sep and not at):
        raise ChainError(
            f"'{text}' is not a frame reference; write SHOT@first, SHOT@last, SHOT@4.2s or SHOT@96f (e.g. 3A@last).",
            zh=f"“{text}”不是帧引用；请写成 镜头@first、镜头@last、镜头@4.2s 或 镜头@96f（例如 3A@last）。",
        )
    return FrameRef(shot, parse_at(at, ref=raw) if sep else "last")


def frame_index(at: str, frames: int, fps: float) -> int:
    """The frame a position names in a clip of ``frames`` frames: time → round(t × fps), clamped to the clip."""
    at = parse_at(at)
    if frames <= 0:
        return 0
    if at == "first":
        n = 0
    elif at == "last":
        n = frames - 1
    elif at.endswith("f"):
        n = int(at[:-1])
    else:
        n = round(float(at[:-1]) * fps)
    return max(0, min(n, frames - 1))


# -- reading the chain ---------------------------------------------------------------------------------------


def _shot_row(session: Session, code: str) -> ShotRow | None:
    row = session.scalars(select(ShotRow).where(ShotRow.code == code)).first()
    if row is None:
        row = next((r for r in session.scalars(select(ShotRow)) if r.code.casefold() == code.casefold()), None)
    return row


def chain_sources(chain: dict | None) -> dict[str, FrameRef]:
    """role → FrameRef of a ``shots.chain`` value (malformed entries are skipped: the column is user data)."""
    out: dict[str, FrameRef] = {}
    for role in ROLES:
        entry = (chain or {}).get(role)
        if isinstance(entry, dict) and entry.get("shot"):
            out[role] = FrameRef(str(entry["shot"]), str(entry.get("at") or "last"))
    return out


def selected_take_row(session: Session, code: str) -> TakeRow | None:
    """The shot's selected take: the director's explicit choice, else its first good take (as services.review)."""
    row = _shot_row(session, code)
    if row is None:
        return None
    if row.selected_take is not None:
        take = session.get(TakeRow, row.selected_take)
        if take is not None and take.status == "good":
            return take
    return session.scalars(select(TakeRow).where(TakeRow.shot_code == row.code, TakeRow.status == "good")
                           .order_by(TakeRow.number)).first()


def _approved_keyframe(session: Session, code: str) -> KeyframeRow | None:
    return session.scalars(select(KeyframeRow).where(KeyframeRow.shot_code == code, KeyframeRow.approved)
                           .order_by(KeyframeRow.number.desc())).first()


def _media_for(session: Session) -> MediaStore:
    # The film's media store sits beside its database (.storyreel/state.db, .storyreel/media): callers that hold
    # only a session (review's selection change) still re-bind jobs to files in the right store.
    db = session.get_bind().url.database
    return MediaStore(Path(db).parent / "media")


def _still_of(take: TakeRow, media: MediaStore) -> Path | None:
    """An image take is its own frame."""
    if take.clip_sha and take.clip_ext and take.clip_ext.lower() in ("png", "jpg", "jpeg", "webp"):
        return media.path_for(take.clip_sha, take.clip_ext)
    return None


@dataclass(frozen=True)
class GrabbedFrame:
    sha: str
    path: Path  # the PNG in the media store
    size: tuple[int, int]
    exact: bool  # the take's own pixels; False: from its frame-aligned normalised copy (re-encoded)


def grab_to_store(media: MediaStore, take: TakeRow, index: int, *,
                  copies: Sequence[Path] = ()) -> GrabbedFrame:
    """Frame ``index`` of ``take`` as a PNG in the media store.

    Without ``copies`` the frame is decoded from the take itself, bit-exact: that is what a chained shot sends
    to a provider. Interactive grabs pass the take's normalised clip, used when it reaches the frame faster.
    """
    from storyreel.media.grab import grab_frame

    still = _still_of(take, media)
    if still is not None:
        from PIL import Image

        with Image.open(still) as im:
            size = im.size
        sha, path = media.add(still)
        return GrabbedFrame(sha, path, size, True)
    if not take.clip_sha or not take.clip_ext:
        raise ChainError(f"{take.label} has no video to take a frame from.", zh=f"{take.label} 没有可取帧的视频。")
    grab = grab_frame(media.path_for(take.clip_sha, take.clip_ext), index, copies=copies)
    with tempfile.TemporaryDirectory(prefix="storyreel-grab-") as tmp:
        png = Path(tmp) / "frame.png"
        # Level 1: a 1080p frame compresses in a third of the default's time and only ~10 % larger.
        grab.image.save(png, format="PNG", compress_level=1)
        sha, path = media.add(png, ext="png", move=True)
    return GrabbedFrame(sha, path, grab.image.size, grab.exact)


@dataclass(frozen=True)
class ChainResolution:
    role: str  # first | last
    ref: FrameRef
    path: Path  # the PNG in the media store
    take: str | None  # label of the source take, None when an approved keyframe was used
    frame: int | None


def _resolve_one(session: Session, media: MediaStore, code: str, role: str, ref: FrameRef) -> ChainResolution:
    src = _shot_row(session, ref.shot)
    if src is None:
        raise ChainError(f"Shot {code} is chained to {ref}, but there is no shot {ref.shot}. "
                         f"Fix it with: storyreel chain {code} --clear",
                         zh=f"镜头 {code} 链接到 {ref}，但没有镜头 {ref.shot}。用 storyreel chain {code} --clear 修正。")
    if role == "last" and ref.at == "first":
        # The next shot's approved keyframe is the low-drift end frame; its take's first frame only as fallback.
        key = _approved_keyframe(session, src.code)
        if key is not None:
            return ChainResolution(role, ref, media.path_for(key.sha, key.ext), None, None)
    take = selected_take_row(session, src.code)
    if take is None:
        raise ChainError(
            f"Shot {code} starts from {ref}, but {src.code} has no selected take yet. "
            f"Shoot and select {src.code} first (storyreel shoot --shots {src.code}; storyreel select {src.code} N), "
            f"or remove the chain: storyreel chain {code} --clear",
            zh=f"镜头 {code} 要从 {ref} 开始，但 {src.code} 还没有选定的结果。请先拍摄并选定 {src.code}"
               f"（storyreel shoot --shots {src.code}；storyreel select {src.code} N），"
               f"或取消链接：storyreel chain {code} --clear",
            shot=code,
        ) if role == "first" else ChainError(
            f"Shot {code} ends on {ref}, but {src.code} has no approved keyframe or selected take yet.",
            zh=f"镜头 {code} 要结束在 {ref}，但 {src.code} 还没有通过的关键帧或选定的结果。",
            shot=code,
        )
    index = frame_index(ref.at, take.frames, take.fps)
    return ChainResolution(role, ref, grab_to_store(media, take, index).path, take.label, index)


def resolve_chain(session: Session, code: str, *, media: MediaStore | None = None) -> dict[str, ChainResolution]:
    """role → resolved frame for shot ``code``'s chain (empty when it is not chained). Raises ChainError."""
    row = _shot_row(session, code)
    if row is None:
        return {}
    media = media or _media_for(session)
    return {role: _resolve_one(session, media, row.code, role, ref) for role, ref in chain_sources(row.chain).items()}


def approved_first_frame(session: Session, code: str, *, media: MediaStore | None = None) -> Path | None:
    key = _approved_keyframe(session, code)
    if key is None:
        return None
    return (media or _media_for(session)).path_for(key.sha, key.ext)


def bind_spec(session: Session, code: str, spec: dict, *, media: MediaStore | None = None) -> dict:
    """``spec`` (a TakeSpec as JSON) with the shot's chained frames, or its approved keyframe, as input frames.

    Image-lane specs are left alone: a keyframe is not made from a keyframe."""
    if spec.get("lane", "video") != "video":
        return spec
    media = media or _media_for(session)
    resolved = resolve_chain(session, code, media=media)
    row = _shot_row(session, code)
    if row is not None and chain_sources(row.chain):
        first = resolved["first"].path if "first" in resolved else None
        last = resolved["last"].path if "last" in resolved else None
    else:
        first, last = approved_first_frame(session, code, media=media), None
    # Both keys always: a cleared chain or un-approved keyframe must take its frame out of an unsent job too.
    return {**spec, "first_frame": str(first) if first else None, "last_frame": str(last) if last else None}


def shot_inputs(film, shots, *, explicit: bool) -> tuple[dict[str, dict], dict[str, ChainError]]:
    """For ``shoot``: shot code → {"first_frame", "last_frame"} to build its specs with, and the shots whose chain
    cannot be resolved yet. Those are skipped with their error when the whole film is shot; a director who named
    the shots (``--shots``) gets the error itself, before anything is written."""
    inputs: dict[str, dict] = {}
    errors: dict[str, ChainError] = {}
    with film.store.session() as s:
        for shot in shots:
            try:
                bound = bind_spec(s, shot.code, {"lane": "video"}, media=film.media)
            except ChainError as exc:
                errors[shot.code] = exc
                continue
            inputs[shot.code] = {"first_frame": bound["first_frame"], "last_frame": bound["last_frame"]}
    if errors and (explicit or len(errors) == len(list(shots))):
        raise next(iter(errors.values()))
    return inputs, errors


def rebind_jobs(film, job_ids, inputs: dict[str, dict]) -> None:
    """Unsent video jobs from an earlier run take the frames resolved now (the source's selection may have moved)."""
    if not job_ids:
        return
    with film.store.session() as s:
        for job in s.scalars(select(JobRow).where(JobRow.id.in_(list(job_ids)), JobRow.state.in_(_UNSENT))):
            frames = inputs.get(job.shot_code)
            if frames is not None and job.spec.get("lane", "video") == "video":
                job.spec = {**job.spec, **frames}


# -- after a selection change --------------------------------------------------------------------------------


def rebind_after_selection(session: Session, shot_code: str) -> list[str]:
    """Mark the shots chained from ``shot_code`` stale and re-bind their unsent jobs to its new selection.

    Runs inside the caller's session (review's select/reject), so the selection and its consequences commit
    together. A job whose source can no longer be resolved (the selection was cleared) loses its chained frame
    here; ``shoot`` resolves again before sending and stops that shot with a clear error. Locked shots are marked
    but never re-bound: the director froze them."""
    session.flush()  # the caller's selection change must be visible to the queries below
    media = _media_for(session)
    stale: list[str] = []
    for row in session.scalars(select(ShotRow).order_by(ShotRow.scene, ShotRow.ord)):
        refs = chain_sources(row.chain)
        if not any(ref.shot.casefold() == shot_code.casefold() for ref in refs.values()):
            continue
        row.stale = True
        stale.append(row.code)
        rebound: list[int] = []
        if not row.locked:
            jobs = session.scalars(select(JobRow).where(JobRow.shot_code == row.code, JobRow.state.in_(_UNSENT)))
            for job in jobs:
                try:
                    job.spec = bind_spec(session, row.code, job.spec, media=media)
                except ChainError:
                    job.spec = {**job.spec, **{f"{role}_frame": None for role in refs}}
                rebound.append(job.id)
        session.add(EventRow(type="shot:stale", payload={"shot": row.code, "because": shot_code,
                                                         "reason": "chain", "jobs": rebound}))
    return stale


# -- decisions -------------------------------------------------------------------------------------------------


def _depth(session: Session, code: str, seen: tuple[str, ...] = ()) -> int:
    row = _shot_row(session, code)
    if row is None:
        return 0
    refs = chain_sources(row.chain)
    first = refs.get("first")
    if first is None or first.shot.casefold() in (s.casefold() for s in (*seen, row.code)):
        return 0
    return 1 + _depth(session, first.shot, (*seen, row.code))


def chain_depth(film, code: str) -> int:
    """Generations of start-frame chaining behind shot ``code``: 3B from 3A from 2C is 2; unchained is 0."""
    with film.store.session() as s:
        return _depth(s, code)


def _reaches(session: Session, start: str, target: str) -> list[str] | None:
    """A path of chain links from ``start`` to ``target`` (either role), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        code, path = stack.pop()
        if code.casefold() == target.casefold():
            return path
        if code.casefold() in seen:
            continue
        seen.add(code.casefold())
        row = _shot_row(session, code)
        if row is None:
            continue
        for ref in chain_sources(row.chain).values():
            stack.append((ref.shot, [*path, ref.shot]))
    return None


@dataclass(frozen=True)
class ChainResult:
    shot: str
    chain: dict
    depth: int

    @property
    def drift_warning(self) -> bool:
        return self.depth >= DRIFT_DEPTH


def chain(film, code: str, from_: str | None = None, end_from: str | None = None, *,
          clear: bool = False) -> ChainResult:
    """``storyreel chain 3B --from 3A@4.2s [--end-from 3C@first] | --clear``: store the decision only."""
    from storyreel.services.shoot import resolve_shots

    shot = resolve_shots(film, [code])[0]
    refs: dict[str, FrameRef] = {}
    if from_:
        refs["first"] = parse_ref(from_)
    if end_from:
        refs["last"] = parse_ref(end_from)
    if not clear and not refs:
        raise ChainError("Say what to chain: --from SHOT@FRAME and/or --end-from SHOT@FRAME, or --clear.",
                         zh="请指定链接：--from 镜头@帧 和/或 --end-from 镜头@帧，或 --clear。")
    known = {s.code.casefold(): s.code for s in resolve_shots(film, None)}
    for role, ref in refs.items():
        if ref.shot.casefold() not in known:
            resolve_shots(film, [ref.shot])  # raises the bilingual "no shot X; shots: …"
        refs[role] = FrameRef(known[ref.shot.casefold()], ref.at)
        if refs[role].shot == shot.code:
            raise ChainError(f"Shot {shot.code} cannot start or end on a frame of itself.",
                             zh=f"镜头 {shot.code} 不能以自身的帧开始或结束。")
    with film.store.session() as s:
        row = _shot_row(s, shot.code)
        if row is None:
            raise ChainError(f"Shot {shot.code} is not planned yet. Run: storyreel plan",
                             zh=f"镜头 {shot.code} 还没有规划。请运行：storyreel plan")
        for role, ref in refs.items():
            loop = _reaches(s, ref.shot, shot.code)
            if loop is not None:
                cycle = " → ".join([shot.code, *loop])
                raise ChainError(f"Chaining {shot.code} to {ref} would make a loop: {cycle}.",
                                 zh=f"把 {shot.code} 链接到 {ref} 会形成循环：{cycle}。")
        new = {} if clear else {k: v for k, v in (row.chain or {}).items() if k in ROLES}
        for role, ref in refs.items():
            new[role] = ref.as_json()
        row.chain = new
        row.stale = True  # its takes were made from other inputs
        s.add(EventRow(type="shot:chain", payload={"shot": shot.code, "chain": new}))
        s.add(EventRow(type="shot:stale", payload={"shot": shot.code, "reason": "chain"}))
        s.flush()
        # Unsent jobs follow the new decision at once when the source can be resolved; otherwise at shoot time.
        for job in s.scalars(select(JobRow).where(JobRow.shot_code == shot.code, JobRow.state.in_(_UNSENT))):
            if row.locked:
                break
            try:
                job.spec = bind_spec(s, shot.code, job.spec)
            except ChainError:
                job.spec = {**job.spec, "first_frame": None, "last_frame": None}
        depth = _depth(s, shot.code)
        return ChainResult(shot.code, dict(new), depth)
