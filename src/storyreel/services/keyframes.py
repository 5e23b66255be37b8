"""Keyframes (``3A@k2``) and bring-your-own media: grab a frame of a take, upload an image or a video take,
approve a keyframe, edit one with a hosted image model.

An edit is a job like any other: the engine writes the intent, reserves the estimate and never pays twice. Its
job and the image take the engine records for it sit under the shot code ``3A@k`` so they never take a number
from the shot's own takes (``shoot --takes N`` counts job numbers); the result becomes a keyframe of 3A.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storyreel.errors import InvalidInput, MediaError, StoryreelError, TakeNotFound
from storyreel.model import Lane, TakeSpec
from storyreel.model.take import TERMINAL_STATES, parse_take_label
from storyreel.services.continuity import ChainError, chain, frame_index, grab_to_store, parse_at
from storyreel.services.film import Film
from storyreel.store import EventRow, JobRow, KeyframeRow, TakeRow

__all__ = [
    "EditFailed", "EditUnsupported", "GrabResult", "KeyframeInfo", "approve_keyframe", "edit_job_code",
    "VIDEO_EXTS", "edit_keyframe", "grab", "grab_frame", "list_keyframes", "parse_keyframe_ref", "upload",
    "upload_image", "upload_video",
]

IMAGE_FORMATS = ("png", "jpeg", "webp")
MAX_UPLOAD_IMAGE_BYTES = 50 * 1024 * 1024
_EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}


class EditUnsupported(InvalidInput):
    """The provider (or model) cannot edit images."""


class EditFailed(StoryreelError):
    """The edit job ended without a result (failed, or parked for the director to reconcile)."""

    exit_code = 3


@dataclass(frozen=True)
class KeyframeInfo:
    label: str  # 3A@k2
    shot: str
    number: int
    path: Path
    width: int
    height: int
    origin: str  # generated | edit | uploaded | grab
    approved: bool
    source: str | None  # "3A-t002 frame 100", "3A@k1", or None
    prompt: str
    job_id: int | None
    sha: str
    ext: str


def _info(session: Session, film: Film, row: KeyframeRow) -> KeyframeInfo:
    source = None
    if row.source_take is not None:
        take = session.get(TakeRow, row.source_take)
        source = f"{take.label} frame {row.source_frame}" if take else None
    elif row.source_keyframe is not None:
        src = session.get(KeyframeRow, row.source_keyframe)
        source = src.label if src else None
    return KeyframeInfo(row.label, row.shot_code, row.number, film.media.path_for(row.sha, row.ext), row.width,
                        row.height, row.origin, row.approved, source, row.prompt, row.job_id, row.sha, row.ext)


def _shot(film: Film, code: str) -> str:
    from storyreel.services.shoot import resolve_shots

    return resolve_shots(film, [code])[0].code


def _next_keyframe(session: Session, code: str) -> int:
    return (session.scalar(select(func.max(KeyframeRow.number)).where(KeyframeRow.shot_code == code)) or 0) + 1


def _add_keyframe(session: Session, film: Film, code: str, **fields: object) -> KeyframeInfo:
    row = KeyframeRow(shot_code=code, number=_next_keyframe(session, code), **fields)
    session.add(row)
    session.flush()
    session.add(EventRow(type="keyframe:new", payload={"shot": code, "keyframe": row.number,
                                                       "origin": row.origin}))
    return _info(session, film, row)


_KEY_LABEL = re.compile(r"^(?P<shot>.+?)@k(?P<n>\d+)$", re.IGNORECASE)


def parse_keyframe_ref(ref: str) -> tuple[str, int]:
    m = _KEY_LABEL.match(ref.strip())
    if not m:
        raise TakeNotFound(f"'{ref}' is not a keyframe; write SHOT@kN, e.g. 3A@k2 (list them: storyreel keyframes 3A).",
                           zh=f"“{ref}”不是关键帧编号；请写成 镜头@kN，例如 3A@k2（查看：storyreel keyframes 3A）。")
    return m["shot"], int(m["n"])


def _take(session: Session, code: str, number: int) -> TakeRow:
    take = session.scalars(select(TakeRow).where(TakeRow.shot_code == code, TakeRow.number == number)).first()
    if take is None:
        have = ", ".join(t.label for t in session.scalars(select(TakeRow).where(TakeRow.shot_code == code)
                                                          .order_by(TakeRow.number))) or "none"
        raise TakeNotFound(f"Shot {code} has no take {number}. Takes: {have}.",
                           zh=f"镜头 {code} 没有第 {number} 条。现有：{have}。")
    return take


def _keyframe(session: Session, code: str, number: int) -> KeyframeRow:
    row = session.scalars(select(KeyframeRow).where(KeyframeRow.shot_code == code,
                                                    KeyframeRow.number == number)).first()
    if row is None:
        have = ", ".join(k.label for k in session.scalars(select(KeyframeRow).where(KeyframeRow.shot_code == code)
                                                          .order_by(KeyframeRow.number))) or "none"
        raise TakeNotFound(f"Shot {code} has no keyframe k{number}. Keyframes: {have}.",
                           zh=f"镜头 {code} 没有关键帧 k{number}。现有：{have}。")
    return row


# -- listing and approving -----------------------------------------------------------------------------------


def list_keyframes(film: Film, code: str) -> list[KeyframeInfo]:
    code = _shot(film, code)
    with film.store.session() as s:
        rows = s.scalars(select(KeyframeRow).where(KeyframeRow.shot_code == code).order_by(KeyframeRow.number))
        return [_info(s, film, r) for r in rows]


def approve_keyframe(film: Film, code: str, number: int) -> KeyframeInfo:
    """One approved keyframe per shot: it becomes the shot's first frame (unless the shot is chained) and the
    end frame of a shot chained with ``--end-from THIS@first``."""
    code = _shot(film, code)
    with film.store.session() as s:
        row = _keyframe(s, code, number)
        for other in s.scalars(select(KeyframeRow).where(KeyframeRow.shot_code == code, KeyframeRow.approved)):
            other.approved = False
        row.approved = True
        s.add(EventRow(type="keyframe:approved", payload={"shot": code, "keyframe": number}))
        s.flush()
        return _info(s, film, row)


# -- grabbing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrabResult:
    keyframe: KeyframeInfo
    chained: bool  # --to: the target shot now starts from this frame of the source shot
    selected: bool  # the grabbed take is the source shot's selected take (what the chain resolves from)
    exact: bool = True  # the take's own pixels; False: read from its frame-aligned normalised copy (faster)


def grab_frame(film: Film, take_label: str, at: str, *, to: str | None = None) -> KeyframeInfo:
    """A frame-accurate still of ``take_label`` at ``at`` (first | last | 4.2s | 96f), as a keyframe of the take's
    shot, or of shot ``to`` (approved there and chained: ``storyreel grab 3A-t002@4.2s --to 3B``)."""
    return grab(film, take_label, at, to=to).keyframe


def grab(film: Film, take_label: str, at: str, *, to: str | None = None, exact: bool = False) -> GrabResult:
    """The still of ``grab_frame``, with how it was made. Unless ``exact``, a frame deep in a long GOP is read from
    the take's normalised copy when that is frame-aligned (an interactive grab stays near 100 ms); a chain made
    with ``to`` still sends the provider the take's own frame, grabbed exactly when the job is planned."""
    from storyreel.services.continuity import selected_take_row
    from storyreel.services.landing import normalised_path

    shot, number = parse_take_label(take_label)
    shot = _shot(film, shot)
    at = parse_at(at, ref=f"{take_label}@{at}")
    target = _shot(film, to) if to else shot
    if target == shot and to:
        raise ChainError(f"Shot {shot} cannot start on a frame of itself.", zh=f"镜头 {shot} 不能以自身的帧开始。")
    with film.store.session() as s:
        take = _take(s, shot, number)
        index = frame_index(at, take.frames, take.fps)
        copy = None if exact else normalised_path(film, take)
        grabbed = grab_to_store(film.media, take, index, copies=[copy] if copy else [])
        selected = (sel := selected_take_row(s, shot)) is not None and sel.id == take.id
        w, h = grabbed.size
        info = _add_keyframe(s, film, target, sha=grabbed.sha, ext="png", width=w, height=h, origin="grab",
                             source_take=take.id, source_frame=index, approved=False)
    if to:
        # The chain is the live decision (it follows the source's selection); the keyframe records this grab.
        chain(film, target, from_=f"{shot}@{index}f")
        info = approve_keyframe(film, target, info.number)
    return GrabResult(info, bool(to), selected, grabbed.exact)


# -- uploads ---------------------------------------------------------------------------------------------------

VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")  # what an upload may be as a take


def upload(film: Film, code: str, path: Path | str) -> KeyframeInfo | str:
    """``storyreel keyframe 3A --upload FILE``: an image becomes a keyframe, a video a take (returns its label)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"No file at {path}.", zh=f"找不到文件 {path}。", path=str(path))
    with open(path, "rb") as f:
        head = f.read(64)
    from storyreel.media.images import sniff_format

    if sniff_format(head) is not None or path.suffix.lower() not in VIDEO_EXTS:
        return upload_image(film, code, path)
    return upload_video(film, code, path)


def upload_image(film: Film, code: str, path: Path) -> KeyframeInfo:
    from PIL import Image

    from storyreel.media.images import inspect_image

    code = _shot(film, code)
    facts = inspect_image(path, max_bytes=MAX_UPLOAD_IMAGE_BYTES, formats=IMAGE_FORMATS,
                          subject=("Uploaded image", "上传的图片"))
    try:  # the header was fine; a truncated body only shows when the pixels are decoded
        with Image.open(path) as im:
            im.load()
    except Exception as exc:
        raise InvalidInput(f"Uploaded image: {path.name} cannot be decoded (damaged or truncated?).",
                           zh=f"上传的图片：{path.name} 无法解码（文件损坏或不完整？）。", path=str(path)) from exc
    sha, _stored = film.media.add(path, ext=_EXT[facts.format])
    with film.store.session() as s:
        return _add_keyframe(s, film, code, sha=sha, ext=_EXT[facts.format], width=facts.width,
                             height=facts.height, origin="uploaded", prompt="", approved=False)


def upload_video(film: Film, code: str, path: Path) -> str:
    """A take with provenance "uploaded": probed, its first frame decoded (an undecodable file is refused),
    stored content-addressed. A done job row holds its number so ``shoot`` never makes a take with the same one.
    An image is refused (it is a keyframe: ``upload_image``), and so is a name without a video suffix (the store
    keeps the suffix and the studio serves media by it)."""
    from storyreel.media.grab import grab_image
    from storyreel.media.images import sniff_format
    from storyreel.media.probe import probe

    code = _shot(film, code)
    with open(path, "rb") as f:
        head = f.read(64)
    if sniff_format(head) is not None:
        raise InvalidInput(f"Uploaded video: {path.name} is an image. Bring it in as a keyframe instead.",
                           zh=f"上传的视频：{path.name} 是一张图片。请作为关键帧上传。", path=str(path))
    if path.suffix.lower() not in VIDEO_EXTS:
        known = ", ".join(VIDEO_EXTS)
        raise InvalidInput(f"Uploaded video: the file name must end in one of {known}.",
                           zh=f"上传的视频：文件名须以 {known} 之一结尾。", path=str(path))
    try:
        info = probe(path)
        if info.frames <= 0 or not info.fps:
            raise MediaError(f"{path.name} has no video frames.", zh=f"{path.name} 没有视频帧。")
        first = grab_image(path, 0)
    except MediaError as exc:
        raise InvalidInput(f"Uploaded video: {path.name} cannot be decoded as a video ({exc}).",
                           zh=f"上传的视频：{path.name} 无法作为视频解码（{exc.zh or exc}）。",
                           path=str(path)) from exc
    fps = round(float(info.fps))
    clip_sha, stored = film.media.add(path)
    with tempfile.TemporaryDirectory(prefix="storyreel-upload-") as tmp:
        png = Path(tmp) / "first.png"
        first.save(png, format="PNG")
        key_sha, _ = film.media.add(png, ext="png")
    with film.store.session() as s:
        used = set(s.scalars(select(JobRow.take_number).where(JobRow.shot_code == code)))
        used |= set(s.scalars(select(TakeRow.number).where(TakeRow.shot_code == code)))
        number = max(used, default=0) + 1
        spec = TakeSpec(prompt=f"uploaded {path.name}", seed=0, frames=info.frames, fps=fps, width=info.width,
                        height=info.height)
        job = JobRow(shot_code=code, take_number=number, provider="upload", model=None, lane="video",
                     state="done", spec=spec.model_dump(mode="json", by_alias=True), client_ref=uuid.uuid4().hex,
                     attempts=0, draft=False)
        s.add(job)
        s.flush()
        take = TakeRow(shot_code=code, number=number, job_id=job.id, provider="upload", model=None, seed=0,
                       frames=info.frames, fps=fps, width=info.width, height=info.height, clip_sha=clip_sha,
                       clip_ext=stored.suffix.lstrip("."), keyframe_sha=key_sha, status="good", draft=False,
                       cost=0.0, prompt=f"uploaded {path.name}", origin="uploaded")
        s.add(take)
        s.flush()
        s.add(EventRow(type="take:new", payload={"shot": code, "take": number, "origin": "uploaded"}))
        return take.label


# -- edits -----------------------------------------------------------------------------------------------------


def edit_job_code(code: str) -> str:
    """Shot code of a shot's keyframe jobs (and of the image takes the engine records for them)."""
    return f"{code}@k"


def _can_edit(caps, model: str | None) -> bool:
    return any(m.lane == Lane.IMAGE and "edit" in m.kinds and (model is None or m.name == model) for m in caps.models)


def _land_edit(session: Session, film: Film, job: JobRow, code: str, source: KeyframeRow) -> KeyframeInfo:
    """The keyframe for a finished edit job (once: a re-run finds it by job id)."""
    from PIL import Image

    row = session.scalars(select(KeyframeRow).where(KeyframeRow.job_id == job.id)).first()
    if row is not None:
        return _info(session, film, row)
    take = session.scalars(select(TakeRow).where(TakeRow.job_id == job.id)).one()
    take.origin = "edit"
    sha, ext = take.keyframe_sha or take.clip_sha, take.clip_ext or "png"
    try:
        with Image.open(film.media.path_for(sha, ext)) as im:
            w, h = im.size
    except OSError:  # a format without a Pillow reader here still lands; its size is the one asked for
        w, h = int(job.spec.get("width", 0)), int(job.spec.get("height", 0))
    return _add_keyframe(session, film, code, sha=sha, ext=ext, width=w, height=h, origin="edit",
                         source_keyframe=source.id, job_id=job.id, prompt=job.spec.get("prompt", ""))


def edit_keyframe(film: Film, ref: str, prompt: str, *, provider: str | None = None, model: str | None = None,
                  transport=None, poll_interval: float | None = None, budget: float | None = None) -> KeyframeInfo:
    """``storyreel edit 3A@k2 "replace the TV with a 90s CRT set"``: a new keyframe candidate linked to its source."""
    from storyreel.engine import Engine
    from storyreel.services.shoot import open_provider, take_seed

    if not prompt.strip():
        raise InvalidInput("Say what to change, e.g. storyreel edit 3A@k2 \"replace the TV with a 90s CRT set\".",
                           zh="请说明要改什么，例如：storyreel edit 3A@k2 \"把电视换成 90 年代的显像管电视\"。")
    shot, number = parse_keyframe_ref(ref)
    code = _shot(film, shot)
    with film.store.session() as s:
        source = _keyframe(s, code, number)
        source_path = film.media.path_for(source.sha, source.ext)
    name = provider or film.config.provider
    conf = film.config.providers.get(name)
    model = model or (conf.model if conf and provider is None else None)
    prov = open_provider(film, name, transport=transport)
    caps = prov.capabilities()
    if not _can_edit(caps, model):
        # A film whose default model is a video model still edits with the provider's image editor.
        if model is not None and provider is None and _can_edit(caps, None):
            model = None
        else:
            editors = [m.name for m in caps.models if m.lane == Lane.IMAGE and "edit" in m.kinds]
            what = f"model {model} of {name}" if model else name
            hint = f" Its editing models: {', '.join(editors)}." if editors else " Try --provider ark or jimeng."
            raise EditUnsupported(f"{what} cannot edit images.{hint} Nothing was sent.",
                                  zh=f"{what} 不支持图片编辑。{'可用编辑模型：' + '、'.join(editors) if editors else '可试 --provider ark 或 jimeng'}。"
                                     "未发送任何请求。", provider=name)
    if poll_interval is None:
        poll_interval = conf.poll_interval if conf else 5.0
    p = film.config.profile
    jcode = edit_job_code(code)
    spec = TakeSpec(lane=Lane.IMAGE, prompt=prompt.strip(), seed=0, frames=1, fps=p.fps, width=p.width,
                    height=p.height, model=model, edit_source=str(source_path))
    prov.check(spec)  # a bad request (size, image, key) costs nothing and writes nothing
    with film.store.session() as s:
        # The same edit asked again while its job is unfinished resumes that job instead of paying twice.
        same = [j for j in s.scalars(select(JobRow).where(JobRow.shot_code == jcode, JobRow.provider == prov.name))
                if j.spec.get("edit_source") == spec.edit_source and j.spec.get("prompt") == spec.prompt]
        open_job = next((j for j in same if j.state not in {st.value for st in TERMINAL_STATES}), None)
        if open_job is not None:
            job_id = open_job.id
        else:
            n = (s.scalar(select(func.max(JobRow.take_number)).where(JobRow.shot_code == jcode)) or 0) + 1
            spec = spec.model_copy(update={"seed": take_seed(film, jcode, n)})
            job = JobRow(shot_code=jcode, take_number=n, provider=prov.name, model=spec.model, lane="image",
                         state="planned", spec=spec.model_dump(mode="json", by_alias=True),
                         client_ref=uuid.uuid4().hex, attempts=0, draft=False)
            s.add(job)
            s.flush()
            job_id = job.id

    async def go():
        engine = Engine(film.store, film.media, lambda _: prov, workdir=film.state_dir / "work",
                        exchange=film.config.exchange, film_budget=film.config.budget, run_budget=budget,
                        poll_interval=poll_interval)
        try:
            return await engine.run([job_id])
        finally:
            await prov.aclose()

    asyncio.run(go())
    with film.store.session() as s:
        job = s.get(JobRow, job_id)
        if job.state != "done":
            why = f"{job.error_class}: {job.error}" if job.error else job.state
            raise EditFailed(f"The edit of {ref} did not finish ({why}). See: storyreel jobs",
                             zh=f"{ref} 的编辑未完成（{why}）。查看：storyreel jobs", job=job_id, state=job.state)
        return _land_edit(s, film, job, code, s.get(KeyframeRow, source.id))
