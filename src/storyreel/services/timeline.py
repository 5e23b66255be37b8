"""The cut as an ordered list of clips: derived from the selections, or edited by the director.

With no ``cut_clips`` rows a cut is *derived*: the selected take of every planned shot (not omitted, not a
fragment), whole, in shot order, so it follows every new selection by itself. The first edit *materialises* it:
the derived clips are written as rows and the edit applied, in one transaction, and from then on the rows are the
cut (``reset_cut`` goes back to derived). Times are source frames of the take, half-open ``[source_in,
source_out)``; ``record_start`` is where the clip lands in the cut, ignoring dissolve overlaps.

Only takes with a video clip can be placed: a still needs a treatment (Ken Burns, a duration) that the cut does
not invent for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storyreel.errors import TakeNotFound
from storyreel.model import ClipEffects, Shot
from storyreel.services.film import Film
from storyreel.services.review import (
    ClipNotFound,
    InvalidEdit,
    TakeInfo,
    effective_selections,
    link_labels,
    take_info,
    take_row,
)
from storyreel.store import CutClipRow, EventRow, ShotRow, TakeRow


@dataclass(frozen=True)
class TimelineClip:
    id: int | None  # cut_clips.id; None while the cut is derived
    position: int  # 0-based order in the cut
    take: TakeInfo
    shot: Shot
    source_in: int  # first source frame used
    source_out: int  # exclusive, resolved (take.frames when the row says None)
    effects: ClipEffects
    record_start: int  # first frame of this clip in the cut (ignoring dissolve overlaps)
    record_frames: int  # effects.record_frames(source_out - source_in)

    @property
    def source_frames(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_end(self) -> int:
        return self.record_start + self.record_frames


def _shot_of(row: ShotRow) -> Shot:
    return Shot.model_validate(row.data | {"stale": row.stale})


def _derived(s: Session) -> list[tuple[TakeRow, int, int | None, dict]]:
    """(take, source_in, source_out, effects) of the derived cut; raises when a shot has nothing usable."""
    rows = list(s.scalars(select(ShotRow).where(ShotRow.omitted.is_(False), ShotRow.fragment.is_(False))
                          .order_by(ShotRow.ord)))
    picks = effective_selections(s, [r.code for r in rows])
    ids = [i for i in picks.values() if i is not None]
    takes = {t.id: t for t in s.scalars(select(TakeRow).where(TakeRow.id.in_(ids)))} if ids else {}
    missing = [r.code for r in rows if picks.get(r.code) not in takes]
    if missing:
        raise TakeNotFound(
            f"No usable take for shot(s) {', '.join(missing)}. Run: storyreel shoot --shots {','.join(missing)}",
            zh=f"镜头 {'、'.join(missing)} 没有可用的结果。请运行：storyreel shoot --shots {','.join(missing)}",
        )
    return [(takes[picks[r.code]], 0, None, {}) for r in rows]  # type: ignore[index]


def _build(s: Session, items: Sequence[tuple[int | None, TakeRow, int, int | None, dict]]) -> list[TimelineClip]:
    """TimelineClips from (clip id, take, in, out, effects), with shots, selections and links in three queries."""
    codes = sorted({t.shot_code for _, t, *_ in items})
    shots = {r.code: r for r in s.scalars(select(ShotRow).where(ShotRow.code.in_(codes)))} if codes else {}
    picks = effective_selections(s, codes) if codes else {}
    labels = link_labels(s, [t for _, t, *_ in items])
    out: list[TimelineClip] = []
    record = 0
    for pos, (cid, take, src_in, src_out, effects) in enumerate(items):
        fx = ClipEffects.model_validate(effects or {})
        end = take.frames if src_out is None else src_out
        frames = fx.record_frames(max(1, end - src_in))
        out.append(TimelineClip(cid, pos, take_info(take, selected=picks.get(take.shot_code) == take.id,
                                                     labels=labels),
                                _shot_of(shots[take.shot_code]), src_in, end, fx, record, frames))
        record += frames
    return out


def _rows(s: Session, cut: str) -> list[CutClipRow]:
    return list(s.scalars(select(CutClipRow).where(CutClipRow.cut == cut).order_by(CutClipRow.position,
                                                                                   CutClipRow.id)))


def _timeline(s: Session, cut: str) -> list[TimelineClip]:
    rows = _rows(s, cut)
    if not rows:
        return _build(s, [(None, t, i, o, fx) for t, i, o, fx in _derived(s)])
    takes = {t.id: t for t in s.scalars(select(TakeRow).where(TakeRow.id.in_({r.take_id for r in rows})))}
    return _build(s, [(r.id, takes[r.take_id], r.source_in, r.source_out, r.effects) for r in rows])


def timeline(film: Film, cut: str = "main") -> list[TimelineClip]:
    """The cut's clips in order. Raises TakeNotFound (naming the shots) when derived and a shot has no take."""
    with film.store.session() as s:
        return _timeline(s, cut)


def is_edited(film: Film, cut: str = "main") -> bool:
    with film.store.session() as s:
        return s.scalars(select(CutClipRow.id).where(CutClipRow.cut == cut).limit(1)).first() is not None


def _materialise(s: Session, cut: str) -> list[CutClipRow]:
    """The cut's rows, writing the derived cut as rows first if there are none (same transaction as the edit)."""
    rows = _rows(s, cut)
    if rows:
        return rows
    for pos, (take, _, _, _) in enumerate(_derived(s)):
        row = CutClipRow(cut=cut, position=pos, take_id=take.id, source_in=0, source_out=None, effects={})
        s.add(row)
        rows.append(row)
    s.flush()
    return rows


def materialise(film: Film, cut: str = "main") -> list[TimelineClip]:
    """Turn a derived cut into edited rows without changing what plays (so clips get ids to edit by)."""
    with film.store.session() as s:
        if not _rows(s, cut):
            _materialise(s, cut)
            s.add(EventRow(type="cut:changed", payload={"cut": cut, "action": "materialise"}))
        return _timeline(s, cut)


def _renumber(rows: list[CutClipRow]) -> None:
    for i, r in enumerate(rows):
        r.position = i


def _clip(rows: list[CutClipRow], clip_id: int, cut: str) -> CutClipRow:
    row = next((r for r in rows if r.id == clip_id), None)
    if row is None:
        have = ", ".join(str(r.id) for r in rows) or "none"
        raise ClipNotFound(f"No clip {clip_id} in cut '{cut}'. Clips: {have}. See: storyreel cutlist",
                          zh=f"剪辑 '{cut}' 中没有片段 {clip_id}。现有片段：{have if rows else '无'}。查看：storyreel cutlist")
    return row


def _check_video(take: TakeRow) -> None:
    if take.clip_sha is None:
        raise InvalidEdit(f"{take.label} is a still image, not a video take; only video takes go in the cut.",
                          zh=f"{take.label} 是静帧图片，不是视频；只有视频条可以放进剪辑。")


def _one(s: Session, cut: str, clip_id: int) -> TimelineClip:
    return next(c for c in _timeline(s, cut) if c.id == clip_id)


def _event(s: Session, cut: str, action: str, **payload: object) -> None:
    s.add(EventRow(type="cut:changed", payload={"cut": cut, "action": action, **payload}))


def add_clip(film: Film, take_label: str, position: int | None = None, cut: str = "main") -> TimelineClip:
    """Place a whole take at ``position`` (clamped into the cut; default: the end)."""
    with film.store.session() as s:
        take = take_row(s, take_label)
        _check_video(take)
        rows = _materialise(s, cut)
        pos = len(rows) if position is None else max(0, min(int(position), len(rows)))
        row = CutClipRow(cut=cut, position=pos, take_id=take.id, source_in=0, source_out=None, effects={})
        s.add(row)
        rows.insert(pos, row)
        _renumber(rows)
        s.flush()
        _event(s, cut, "add", clip=row.id, take=take.label)
        return _one(s, cut, row.id)


def move_clip(film: Film, clip_id: int, position: int, cut: str = "main") -> list[TimelineClip]:
    """Move a clip to ``position`` (clamped into the cut); the others close up around it."""
    with film.store.session() as s:
        rows = _materialise(s, cut)
        row = _clip(rows, clip_id, cut)
        rows.remove(row)
        rows.insert(max(0, min(int(position), len(rows))), row)
        _renumber(rows)
        _event(s, cut, "move", clip=clip_id, position=row.position)
        s.flush()
        return _timeline(s, cut)


def trim_clip(film: Film, clip_id: int, source_in: int, source_out: int, cut: str = "main") -> TimelineClip:
    """Use source frames ``[source_in, source_out)`` of the clip's take."""
    with film.store.session() as s:
        rows = _materialise(s, cut)
        row = _clip(rows, clip_id, cut)
        take = s.get(TakeRow, row.take_id)
        if not (0 <= source_in < source_out <= take.frames):
            raise InvalidEdit(
                f"Trim {source_in}–{source_out} is outside {take.label}, which has frames 0–{take.frames} "
                f"(in must be before out).",
                zh=f"修剪 {source_in}–{source_out} 超出了 {take.label} 的范围 0–{take.frames}（入点须在出点之前）。")
        fx = ClipEffects.model_validate(row.effects or {})
        if fx.freeze_at is not None and not source_in <= fx.freeze_at < source_out:
            raise InvalidEdit(f"Clip {clip_id} freezes at frame {fx.freeze_at}, outside the new trim "
                              f"{source_in}–{source_out}; change the freeze first.",
                              zh=f"片段 {clip_id} 定格在第 {fx.freeze_at} 帧，不在新的修剪范围 {source_in}–{source_out} 内；"
                                 "请先修改定格。")
        row.source_in = source_in
        row.source_out = None if source_out == take.frames else source_out
        _event(s, cut, "trim", clip=clip_id, source_in=source_in, source_out=source_out)
        s.flush()
        return _one(s, cut, clip_id)


def remove_clip(film: Film, clip_id: int, cut: str = "main") -> None:
    """Take a clip out of the cut (its take goes back to the bin; nothing is deleted)."""
    with film.store.session() as s:
        rows = _materialise(s, cut)
        row = _clip(rows, clip_id, cut)
        rows.remove(row)
        s.delete(row)
        _renumber(rows)
        _event(s, cut, "remove", clip=clip_id)


def set_effects(film: Film, clip_id: int, effects: ClipEffects | dict, cut: str = "main") -> TimelineClip:
    """Replace the clip's render-time effects (handheld, speed, freeze, hold, transitions)."""
    try:
        fx = effects if isinstance(effects, ClipEffects) else ClipEffects.model_validate(effects)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "effects"
        msg = err["msg"].removeprefix("Value error, ")
        raise InvalidEdit(f"Effects: {where}: {msg}.", zh=f"效果：{where}：{msg}。") from exc
    with film.store.session() as s:
        rows = _materialise(s, cut)
        row = _clip(rows, clip_id, cut)
        take = s.get(TakeRow, row.take_id)
        end = take.frames if row.source_out is None else row.source_out
        if fx.freeze_at is not None and not row.source_in <= fx.freeze_at < end:
            raise InvalidEdit(f"Freeze frame {fx.freeze_at} is outside clip {clip_id} (frames {row.source_in}–{end}).",
                              zh=f"定格帧 {fx.freeze_at} 不在片段 {clip_id} 的范围 {row.source_in}–{end} 内。")
        if fx.freeze_frames and fx.freeze_at is None:
            raise InvalidEdit("A freeze needs the frame to freeze on (freeze_at).",
                              zh="定格需要指定定格在哪一帧（freeze_at）。")
        row.effects = fx.model_dump(mode="json", exclude_defaults=True)
        _event(s, cut, "effects", clip=clip_id)
        s.flush()
        return _one(s, cut, clip_id)


def reset_cut(film: Film, cut: str = "main") -> None:
    """Drop the edit: the cut is derived from the selections again (the takes are untouched)."""
    with film.store.session() as s:
        s.execute(delete(CutClipRow).where(CutClipRow.cut == cut))
        _event(s, cut, "reset")


def placed_take_ids(s: Session, cut: str = "main") -> set[int]:
    """Ids of the takes the cut uses, derived or edited; a derived cut with gaps places what it has."""
    rows = _rows(s, cut)
    if rows:
        return {r.take_id for r in rows}
    codes = list(s.scalars(select(ShotRow.code).where(ShotRow.omitted.is_(False), ShotRow.fragment.is_(False))))
    return {i for i in effective_selections(s, codes).values() if i is not None}
