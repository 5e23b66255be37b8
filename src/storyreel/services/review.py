"""Reviewing takes (抽卡): list them, circle one (select), reject, rate, note, tag; lock a finished shot.

A shot's selected take is the director's explicit choice, or else its first good take, so a cut exists as soon
as every shot has been shot once. Changing which take a shot uses (selecting, or rejecting the one in use) is one
unit of work with its consequences: shots chained from it are re-bound (services.continuity), and an edited cut
that used the old take swaps to the new one, keeping its trims (clamped) and effects. Every review action is
announced as an event (``take:rated``, ``shot:locked`` …) that the CLI and the studio both read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyreel.errors import FilmError, TakeNotFound
from storyreel.model import ClipEffects
from storyreel.model.take import parse_take_label
from storyreel.services.film import Film
from storyreel.services.shoot import resolve_shots
from storyreel.store import CutClipRow, EventRow, JobRow, ShotRow, TakeRow


class InvalidEdit(FilmError):
    """A review or cut edit the film cannot take (a rating of 7, a trim outside the take); nothing was changed."""


class ClipNotFound(InvalidEdit):
    """The cut has no clip with that id."""


@dataclass(frozen=True)
class TakeInfo:
    label: str  # 3A-t002
    shot: str
    number: int
    seed: int
    provider: str
    model: str | None
    frames: int
    fps: int
    status: str  # good | rejected | or a job state for takes still in the works
    selected: bool
    clip_sha: str | None
    clip_ext: str | None
    keyframe_sha: str | None
    rating: int | None = None  # 1–5 stars
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    origin: str = "generated"  # generated | uploaded | edit | grab
    cost: float = 0.0
    draft: bool = False
    prompt: str = ""
    parent_take: str | None = None  # label of the draft this take upgrades
    source_take: str | None = None  # label of the take it was made from (edit, grab)
    created_at: str = ""  # ISO 8601
    kind: str = "video"  # video (has a clip) | image

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def take_info(row: TakeRow, *, selected: bool, labels: Mapping[int, str]) -> TakeInfo:
    """A landed take as the shells see it; ``labels`` maps take ids to labels for its parent/source links."""
    return TakeInfo(
        row.label, row.shot_code, row.number, row.seed, row.provider, row.model, row.frames, row.fps, row.status,
        selected, row.clip_sha, row.clip_ext, row.keyframe_sha, rating=row.rating, note=row.note or "",
        tags=tuple(row.tags or ()), origin=row.origin or "generated", cost=row.cost or 0.0, draft=bool(row.draft),
        prompt=row.prompt or "", parent_take=labels.get(row.parent_take) if row.parent_take else None,
        source_take=labels.get(row.source_take) if row.source_take else None,
        created_at=row.created_at.isoformat() if row.created_at else "",
        kind="video" if row.clip_sha else "image",
    )


def link_labels(s: Session, rows: Iterable[TakeRow]) -> dict[int, str]:
    """Labels of every take the given rows point at (parent, source), in one query."""
    ids = {i for r in rows for i in (r.parent_take, r.source_take) if i}
    if not ids:
        return {}
    return {i: f"{code}-t{n:03d}" for i, code, n in
            s.execute(select(TakeRow.id, TakeRow.shot_code, TakeRow.number).where(TakeRow.id.in_(ids)))}


def effective_selections(s: Session, codes: Sequence[str] | None = None) -> dict[str, int | None]:
    """Shot code → id of the take it uses (explicit choice, else first good take), in two queries."""
    q = select(ShotRow.code, ShotRow.selected_take)
    t = select(TakeRow.id, TakeRow.shot_code, TakeRow.number).where(TakeRow.status == "good")
    if codes is not None:
        q, t = q.where(ShotRow.code.in_(list(codes))), t.where(TakeRow.shot_code.in_(list(codes)))
    out: dict[str, int | None] = {code: chosen for code, chosen in s.execute(q)}
    first: dict[str, tuple[int, int]] = {}
    for tid, code, number in s.execute(t):
        if code not in first or number < first[code][0]:
            first[code] = (number, tid)
    for code, chosen in out.items():
        if chosen is None and code in first:
            out[code] = first[code][1]
    return out


def _effective_selection(shot_row: ShotRow, takes: list[TakeRow]) -> int | None:
    if shot_row.selected_take is not None:
        return shot_row.selected_take
    good = [t for t in sorted(takes, key=lambda t: t.number) if t.status == "good"]
    return good[0].id if good else None


def list_takes(film: Film, code: str) -> list[TakeInfo]:
    """Takes of one shot, plus placeholders for jobs that have not landed yet."""
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        takes = list(s.scalars(select(TakeRow).where(TakeRow.shot_code == shot.code).order_by(TakeRow.number)))
        chosen = _effective_selection(row, takes)
        labels = link_labels(s, takes)
        out = [take_info(t, selected=t.id == chosen, labels=labels) for t in takes]
        landed = {t.number for t in takes}
        for j in s.scalars(select(JobRow).where(JobRow.shot_code == shot.code).order_by(JobRow.take_number)):
            if j.take_number not in landed:
                spec = j.spec
                out.append(TakeInfo(f"{j.shot_code}-t{j.take_number:03d}", j.shot_code, j.take_number,
                                    int(spec.get("seed", 0)), j.provider, j.model, int(spec.get("frames", 0)),
                                    int(spec.get("fps", 0)), j.state, False, None, None, None,
                                    draft=bool(j.draft), prompt=str(spec.get("prompt", "")),
                                    created_at=j.created_at.isoformat() if j.created_at else ""))
    return sorted(out, key=lambda t: t.number)


@dataclass(frozen=True)
class ShotDecisions:
    """What the director decided about a shot, beside the plan: kept across re-plans."""

    locked: bool
    fragment: bool
    omitted: bool
    stale: bool
    focus: list | None
    chain: dict


def shot_decisions(film: Film, code: str) -> ShotDecisions:
    with film.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == code)).one()
        return ShotDecisions(bool(row.locked), bool(row.fragment), bool(row.omitted), bool(row.stale), row.focus,
                             dict(row.chain or {}))


def take_row(s: Session, label: str) -> TakeRow:
    """The take row for a label, in the caller's unit of work; raises TakeNotFound naming what exists."""
    code, number = parse_take_label(label)
    shot_code = s.scalars(select(ShotRow.code).where(ShotRow.code == code)).first()
    if shot_code is None:  # codes are matched case-insensitively, as everywhere else
        shot_code = next((c for c in s.scalars(select(ShotRow.code)) if c.casefold() == code.casefold()), None)
    if shot_code is None:
        raise TakeNotFound(f"No take {label}: the film has no shot {code}.", zh=f"没有 {label}：影片中没有镜头 {code}。")
    row = s.scalars(select(TakeRow).where(TakeRow.shot_code == shot_code, TakeRow.number == number)).first()
    if row is None:
        have = ", ".join(f"{shot_code}-t{n:03d}" for n in
                         s.scalars(select(TakeRow.number).where(TakeRow.shot_code == shot_code)
                                   .order_by(TakeRow.number))) or "none"
        raise TakeNotFound(f"No take {label}. Takes of {shot_code}: {have}.",
                           zh=f"没有 {label}。镜头 {shot_code} 的条：{have if have != 'none' else '无'}。")
    return row


def take_by_label(film: Film, label: str) -> TakeInfo:
    """One landed take by its label (``3A-t002``, any case)."""
    with film.store.session() as s:
        row = take_row(s, label)
        chosen = effective_selections(s, [row.shot_code]).get(row.shot_code)
        return take_info(row, selected=row.id == chosen, labels=link_labels(s, [row]))


def rate_take(film: Film, label: str, stars: int | None) -> TakeInfo:
    """Give a take 1–5 stars (``None`` clears the rating)."""
    if stars is not None and (isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5):
        raise InvalidEdit(f"A rating is 1 to 5 stars, got {stars!r}.", zh=f"评分应为 1 到 5 星，而不是 {stars!r}。")
    with film.store.session() as s:
        row = take_row(s, label)
        row.rating = stars
        s.add(EventRow(type="take:rated", payload={"take": row.label, "rating": stars}))
        label = row.label
    return take_by_label(film, label)


def note_take(film: Film, label: str, text: str) -> TakeInfo:
    """Set the take's note (an empty text clears it)."""
    with film.store.session() as s:
        row = take_row(s, label)
        row.note = (text or "").strip()
        s.add(EventRow(type="take:noted", payload={"take": row.label}))
        label = row.label
    return take_by_label(film, label)


def tag_take(film: Film, label: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> TakeInfo:
    """Add and remove free tags. Tags compare case-insensitively; the first spelling is kept."""
    adds = [a.strip() for a in add if a and a.strip()]
    drops = {r.strip().casefold() for r in remove if r and r.strip()}
    bad = [a for a in adds if len(a) > 64 or any(c.isspace() for c in a)]
    if bad:
        raise InvalidEdit(f"A tag is one word of at most 64 characters: {bad[0]!r}.",
                          zh=f"标签应为不含空格、不超过 64 个字符的词：{bad[0]!r}。")
    with film.store.session() as s:
        row = take_row(s, label)
        tags = list(row.tags or [])
        for a in adds:
            if a.casefold() not in {tg.casefold() for tg in tags}:
                tags.append(a)
        tags = [tg for tg in tags if tg.casefold() not in drops]  # a removal wins over an add in the same call
        row.tags = tags  # a new list, so the JSON column sees the change
        s.add(EventRow(type="take:tagged", payload={"take": row.label, "tags": tags}))
        label = row.label
    return take_by_label(film, label)


def _swap_in_cuts(s: Session, old_id: int, new: TakeRow) -> int:
    """Edited cuts that use ``old_id`` now use ``new``: trims clamped to its frames, effects kept."""
    if new.clip_sha is None:
        return 0  # a still cannot play in the cut; the clip keeps its take until the director places one
    n = 0
    for clip in s.scalars(select(CutClipRow).where(CutClipRow.take_id == old_id)):
        frames = max(1, new.frames)
        src_in = min(clip.source_in, frames - 1)
        src_out = None if clip.source_out is None else min(clip.source_out, frames)
        if src_out is not None and src_out <= src_in:
            src_in, src_out = 0, None
        effects = ClipEffects.model_validate(clip.effects or {})
        if effects.freeze_at is not None and effects.freeze_at >= frames:
            effects = effects.model_copy(update={"freeze_at": frames - 1})
        clip.take_id, clip.source_in, clip.source_out = new.id, src_in, src_out
        clip.effects = effects.model_dump(mode="json", exclude_defaults=True)
        n += 1
    return n


def _after_selection_change(s: Session, code: str, old_id: int | None) -> None:
    """Consequences of a shot changing the take it uses, inside the same unit of work as the change."""
    s.flush()
    new_id = effective_selections(s, [code]).get(code)
    if new_id == old_id:
        return
    if old_id is not None and new_id is not None:
        swapped = _swap_in_cuts(s, old_id, s.get(TakeRow, new_id))
        if swapped:
            s.add(EventRow(type="cut:changed", payload={"shot": code, "swapped": swapped}))
    from storyreel.services.continuity import rebind_after_selection  # continuity builds on review, not back

    rebind_after_selection(s, code)


def select_take(film: Film, code: str, number: int | None = None) -> TakeInfo:
    """Circle take ``number`` of shot ``code`` (default: its first good take)."""
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        takes = list(s.scalars(select(TakeRow).where(TakeRow.shot_code == shot.code).order_by(TakeRow.number)))
        if not takes:
            raise TakeNotFound(f"Shot {shot.code} has no takes yet. Run: storyreel shoot --shots {shot.code}",
                               zh=f"镜头 {shot.code} 还没有拍摄结果。请运行：storyreel shoot --shots {shot.code}")
        if number is None:
            pick = next((t for t in takes if t.status == "good"), None)
            if pick is None:
                raise TakeNotFound(f"Every take of {shot.code} is rejected; name one: storyreel select {shot.code} N",
                                   zh=f"镜头 {shot.code} 的所有结果都被否决了；请指定：storyreel select {shot.code} N")
        else:
            pick = next((t for t in takes if t.number == number), None)
            if pick is None:
                have = ", ".join(str(t.number) for t in takes)
                raise TakeNotFound(f"Shot {shot.code} has no take {number}. Takes: {have}.",
                                   zh=f"镜头 {shot.code} 没有第 {number} 条。现有：{have}。")
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        old = _effective_selection(row, takes)
        pick.status = "good"  # circling a rejected take un-rejects it
        row.selected_take = pick.id
        s.add(EventRow(type="take:selected", payload={"shot": shot.code, "take": pick.number}))
        _after_selection_change(s, shot.code, old)
        label = pick.label
    return next(t for t in list_takes(film, shot.code) if t.label == label)


def reject_take(film: Film, code: str, number: int) -> None:
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        takes = list(s.scalars(select(TakeRow).where(TakeRow.shot_code == shot.code)))
        take = next((t for t in takes if t.number == number), None)
        if take is None:
            raise TakeNotFound(f"Shot {shot.code} has no take {number}.", zh=f"镜头 {shot.code} 没有第 {number} 条。")
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        old = _effective_selection(row, takes)
        take.status = "rejected"
        if row.selected_take == take.id:
            row.selected_take = None
        s.add(EventRow(type="take:rejected", payload={"shot": shot.code, "take": number}))
        _after_selection_change(s, shot.code, old)


def reject_label(film: Film, label: str) -> TakeInfo:
    """``storyreel reject 3A-t002``: the same as ``reject_take`` by label."""
    with film.store.session() as s:
        row = take_row(s, label)
        code, number = row.shot_code, row.number
    reject_take(film, code, number)
    return take_by_label(film, f"{code}-t{number:03d}")


def lock_shot(film: Film, code: str, locked: bool = True) -> bool:
    """Lock a finished shot so ``shoot`` skips it (``locked=False`` unlocks). Returns the new state."""
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        row.locked = bool(locked)
        s.add(EventRow(type="shot:locked" if locked else "shot:unlocked",
                       payload={"shot": shot.code, "locked": bool(locked)}))
    return bool(locked)


def selected_takes(film: Film) -> dict[str, TakeInfo | None]:
    """Shot code → its selected take (or None), for every shot in the plan, in film order."""
    codes = [shot.code for shot in resolve_shots(film, None)]
    with film.store.session() as s:
        chosen = effective_selections(s, codes)
        ids = {i for i in chosen.values() if i is not None}
        rows = {r.id: r for r in s.scalars(select(TakeRow).where(TakeRow.id.in_(ids)))} if ids else {}
        labels = link_labels(s, rows.values())
        return {code: take_info(rows[i], selected=True, labels=labels) if (i := chosen.get(code)) in rows else None
                for code in codes}
