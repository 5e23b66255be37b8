"""When a take lands: make its thumbnail, browser proxy and normalised clip, once, into the film's cache.

Everything here is a re-creatable derivative of a stored take, keyed by the take's content hash:

    .storyreel/cache/thumbs/<clip sha>.jpg               studio cards and contact sheets
    .storyreel/cache/proxies/<clip sha>.mp4              hover-scrub and inline play (H.264 Main, ≤ 480 lines)
    .storyreel/cache/norm/<profile key>/<clip sha>.mp4   the take at the film profile, ready for stream copy
    .storyreel/cache/norm/<profile key>/seg/…            trimmed / timed segments for the preview cut

``ensure_take_media`` makes what is missing or unreadable and touches nothing else, so it is safe to call again
(the studio calls it for a take whose files were deleted). ``shoot`` runs it on a background thread for every
``take:new`` event (``LandingWorker``), so the engine never waits for a transcode, and drains it before returning.
Image takes get a thumbnail only here; their normalised clip is made for the preview, at the length it plays.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image
from sqlalchemy import or_, select

from storyreel.errors import MediaError, StoryreelError, TakeNotFound
from storyreel.media.normalise import IMAGE_EXTS, NormProfile, Treatment, avcc, normalise_clip, reference_clip
from storyreel.media.preview import silent_packet
from storyreel.media.probe import probe
from storyreel.media.proxy import PROXY_MAX_HEIGHT, make_proxy, make_thumbnail
from storyreel.model.take import parse_take_label
from storyreel.services.film import Film
from storyreel.store import KeyframeRow, TakeRow

__all__ = [
    "LandingWorker", "TakeMedia", "ensure_normalised", "ensure_segment", "ensure_take_media", "landing",
    "norm_profile", "normalised_path", "proxy_path", "reference", "thumbnail_path",
]

log = logging.getLogger(__name__)

class TakeLike(Protocol):
    """What we need of a take: ``TakeInfo`` from services.review and the ``TakeRow`` table both have it."""

    clip_sha: str | None
    clip_ext: str | None
    keyframe_sha: str | None
    frames: int


@dataclass(frozen=True)
class TakeMedia:
    thumbnail: Path | None
    proxy: Path | None  # None for an image take
    normalised: Path | None  # None for an image take (its clip length is decided by the cut)
    made: tuple[str, ...] = ()  # which of "thumbnail", "proxy", "normalised" this call wrote


# --- where things live ------------------------------------------------------------------------------------------

def _cache(film: Film) -> Path:
    return film.state_dir / "cache"


def norm_profile(film: Film) -> NormProfile:
    p = film.config.profile
    return NormProfile(width=p.width, height=p.height, fps=p.fps)


def _norm_dir(film: Film) -> Path:
    return _cache(film) / "norm" / norm_profile(film).key


def _is_image(take: TakeLike) -> bool:
    return (take.clip_ext or "").lower() in IMAGE_EXTS


def _thumb_file(film: Film, take: TakeLike) -> Path | None:
    sha = take.clip_sha or take.keyframe_sha
    return _cache(film) / "thumbs" / f"{sha}.jpg" if sha else None


def _proxy_file(film: Film, take: TakeLike) -> Path | None:
    return _cache(film) / "proxies" / f"{take.clip_sha}.mp4" if take.clip_sha and not _is_image(take) else None


def _norm_file(film: Film, take: TakeLike) -> Path | None:
    return _norm_dir(film) / f"{take.clip_sha}.mp4" if take.clip_sha and not _is_image(take) else None


def _existing(path: Path | None) -> Path | None:
    return path if path is not None and path.is_file() else None


def thumbnail_path(film: Film, take: TakeLike) -> Path | None:
    """The take's thumbnail JPEG, or None when it has not been made yet."""
    return _existing(_thumb_file(film, take))


def thumbnail_paths(film: Film, labels: Iterable[str]) -> dict[str, Path]:
    """Thumbnails of many takes by label (a board of 200 cards), from one query; takes without one are left out."""
    wanted = {parse_take_label(label): label for label in labels}
    if not wanted:
        return {}
    out: dict[str, Path] = {}
    with film.store.session() as s:
        rows = s.execute(select(TakeRow.shot_code, TakeRow.number, TakeRow.clip_sha, TakeRow.clip_ext,
                                TakeRow.keyframe_sha).where(TakeRow.shot_code.in_({c for c, _ in wanted})))
        for code, number, clip_sha, clip_ext, keyframe_sha in rows:
            label = wanted.get((code, number))
            sha = clip_sha or keyframe_sha
            if label is not None and sha:
                path = _cache(film) / "thumbs" / f"{sha}.jpg"
                if path.is_file():
                    out[label] = path
    return out


def media_known(film: Film, sha: str, ext: str) -> bool:
    """Whether a take or keyframe of this film records the content id ``sha`` with extension ``ext``."""
    take = (TakeRow.clip_sha == sha) & (TakeRow.clip_ext == ext)
    if ext == "png":  # a take's keyframe is stored as PNG and recorded by sha only
        take = or_(take, TakeRow.keyframe_sha == sha)
    with film.store.session() as s:
        if s.scalars(select(TakeRow.id).where(take).limit(1)).first() is not None:
            return True
        return s.scalars(select(KeyframeRow.id).where(KeyframeRow.sha == sha, KeyframeRow.ext == ext)
                         .limit(1)).first() is not None


def proxy_path(film: Film, take: TakeLike) -> Path | None:
    """The take's browser proxy (MP4), or None when it has not been made yet (or the take is a still)."""
    return _existing(_proxy_file(film, take))


def normalised_path(film: Film, take: TakeLike) -> Path | None:
    """The take normalised to the film profile, or None when it has not been made yet."""
    return _existing(_norm_file(film, take))


def _stored(film: Film, sha: str | None, ext: str | None = None) -> Path | None:
    if not sha:
        return None
    if ext:
        path = film.media.path_for(sha, ext)
        return path if path.is_file() else None
    # The keyframe's extension is not recorded on the take: find it in the store.
    return next(iter(sorted(film.media.path_for(sha, "x").parent.glob(f"{sha}.*"))), None)


# --- validity: a cache entry that cannot be read is made again --------------------------------------------------

def _thumb_ok(path: Path) -> bool:
    try:
        with Image.open(path) as im:
            im.verify()
        return True
    except (OSError, SyntaxError, ValueError):
        return False


def _proxy_ok(path: Path) -> bool:
    try:
        info = probe(path)
    except MediaError:
        return False
    return info.codec == "h264" and info.height <= PROXY_MAX_HEIGHT and info.frames > 0


def _norm_ok(path: Path, frames: int, ref: bytes) -> bool:
    try:
        info = probe(path)
        return info.frames == frames and info.has_audio and avcc(path) == ref
    except MediaError:
        return False


# --- making ------------------------------------------------------------------------------------------------------

_ref_lock = threading.Lock()
# Read once per process and file version: a preview asks for every clip, and re-reading costs two file opens.
_ref_cache: dict[tuple[Path, int], tuple[bytes, bytes]] = {}


def reference(film: Film) -> tuple[bytes, bytes]:
    """(H.264 parameter sets, one silent AAC packet) of the film profile's reference clip, made on first use."""
    path = _norm_dir(film) / "reference.mp4"
    with _ref_lock:  # the landing thread and a preview may both ask first
        if path.is_file() and (key := (path, path.stat().st_mtime_ns)) in _ref_cache:
            return _ref_cache[key]
        try:
            found = reference_clip(norm_profile(film), path), silent_packet(path)
        except MediaError:
            path.unlink(missing_ok=True)  # a damaged reference: make it again, once
            found = reference_clip(norm_profile(film), path), silent_packet(path)
        _ref_cache[(path, path.stat().st_mtime_ns)] = found
        return found


def _source(film: Film, take: TakeLike, label: str) -> Path:
    src = _stored(film, take.clip_sha, take.clip_ext) or _stored(film, take.keyframe_sha)
    if src is None:
        raise MediaError(f"The media of take {label} is missing from the store; it cannot be previewed.",
                         zh=f"素材库中缺少 {label} 的文件，无法预览。", take=label)
    return src


def ensure_normalised(film: Film, take: TakeLike, *, label: str = "take") -> Path:
    """The take's normalised clip, made now if it is missing or damaged (videos only)."""
    return _ensure_normalised(film, take, label)[0]


def _ensure_normalised(film: Film, take: TakeLike, label: str) -> tuple[Path, bool]:
    out = _norm_file(film, take)
    if out is None:
        raise MediaError(f"Take {label} is a still; it is normalised per clip of the cut.",
                         zh=f"{label} 是静帧，按剪辑中的片段长度规范化。", take=label)
    ref, _ = reference(film)
    if out.is_file() and _norm_ok(out, take.frames, ref):
        return out, False
    normalise_clip(_source(film, take, label), out, norm_profile(film), frames=take.frames, reference=ref)
    return out, True


def ensure_segment(film: Film, take: TakeLike, treatment: Treatment, frames: int, *, label: str = "take") -> Path:
    """A re-encoded piece of a take (trimmed, timed) at the film profile, cached by take, range and treatment."""
    sha = take.clip_sha or take.keyframe_sha
    end = "end" if treatment.source_out is None else str(treatment.source_out)
    out = _norm_dir(film) / "seg" / f"{sha}-{treatment.source_in}-{end}-{frames}-{treatment.cache_tag()}.mp4"
    ref, _ = reference(film)
    if out.is_file() and _norm_ok(out, frames, ref):
        return out
    normalise_clip(_source(film, take, label), out, norm_profile(film), frames=frames, reference=ref,
                   treatment=treatment)
    return out


def get_take_row(film: Film, take_label: str) -> TakeRow:
    code, number = parse_take_label(take_label)
    with film.store.session() as s:
        row = s.scalars(select(TakeRow).where(TakeRow.shot_code == code, TakeRow.number == number)).first()
        if row is None:
            raise TakeNotFound(f"No take {take_label} in '{film.config.title}'. Takes are named like 3A-t002.",
                               zh=f"《{film.config.title}》中没有 {take_label}。结果的名称形如 3A-t002。")
        s.expunge(row)
        return row


def ensure_take_media(film: Film, take_label: str) -> TakeMedia:
    """Make whatever of the take's thumbnail, proxy and normalised clip is missing or unreadable; idempotent."""
    take = get_take_row(film, take_label)
    made: list[str] = []
    thumb = _thumb_file(film, take)
    if thumb is not None and not (thumb.is_file() and _thumb_ok(thumb)):
        make_thumbnail(_source(film, take, take_label), thumb)
        made.append("thumbnail")
    proxy = _proxy_file(film, take)
    if proxy is not None and not (proxy.is_file() and _proxy_ok(proxy)):
        make_proxy(_source(film, take, take_label), proxy)
        made.append("proxy")
    norm = _norm_file(film, take)
    if norm is not None and _ensure_normalised(film, take, take_label)[1]:
        made.append("normalised")
    return TakeMedia(thumbnail=thumb, proxy=proxy, normalised=norm, made=tuple(made))


# --- the landing thread ------------------------------------------------------------------------------------------

@dataclass
class LandingWorker:
    """One background thread that lands takes in the order they arrive.

    The engine's event loop only puts a label on a queue; transcodes run here. A failure is logged and kept in
    ``errors`` and never stops the shoot: the studio re-makes missing media on demand.
    """

    film: Film
    errors: list[tuple[str, StoryreelError]] = field(default_factory=list)
    landed: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def submit(self, take_label: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="storyreel-landing", daemon=True)
            self._thread.start()
        self._queue.put(take_label)

    def listener(self, inner: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        """An engine listener that queues every ``take:new`` and passes every event on to ``inner``."""

        def on_event(event: Any) -> None:
            if getattr(event, "type", None) == "take:new":
                self.submit(f"{event.shot}-t{event.take:03d}")
            if inner is not None:
                inner(event)

        return on_event

    def drain(self) -> None:
        """Wait until every queued take has landed."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            label = self._queue.get()
            try:
                if label is None:
                    return
                ensure_take_media(self.film, label)
                self.landed.append(label)
            except StoryreelError as exc:
                log.warning("landing %s failed: %s", label, exc)
                self.errors.append((label, exc))
            except Exception as exc:
                log.exception("landing %s failed", label)
                self.errors.append((label, MediaError(f"Landing {label} failed: {exc}", zh=f"{label} 处理失败：{exc}")))
            finally:
                self._queue.task_done()


@contextmanager
def landing(film: Film) -> Iterator[LandingWorker]:
    """``with landing(film) as worker:`` — takes submitted inside have landed when the block ends."""
    worker = LandingWorker(film)
    try:
        yield worker
    finally:
        worker.drain()
        worker.close()
