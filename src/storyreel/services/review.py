"""Reviewing takes: list them, circle one (select), reject the rest.

A shot's selected take is the director's explicit choice, or else its first good take, so a cut exists as soon
as every shot has been shot once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storyreel.errors import TakeNotFound
from storyreel.services.film import Film
from storyreel.services.shoot import resolve_shots
from storyreel.store import EventRow, JobRow, ShotRow, TakeRow


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

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


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
        out = [TakeInfo(t.label, t.shot_code, t.number, t.seed, t.provider, t.model, t.frames, t.fps, t.status,
                        t.id == chosen, t.clip_sha, t.clip_ext, t.keyframe_sha) for t in takes]
        landed = {t.number for t in takes}
        for j in s.scalars(select(JobRow).where(JobRow.shot_code == shot.code).order_by(JobRow.take_number)):
            if j.take_number not in landed:
                spec = j.spec
                out.append(TakeInfo(f"{j.shot_code}-t{j.take_number:03d}", j.shot_code, j.take_number,
                                    int(spec.get("seed", 0)), j.provider, j.model, int(spec.get("frames", 0)),
                                    int(spec.get("fps", 0)), j.state, False, None, None, None))
    return sorted(out, key=lambda t: t.number)


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
        pick.status = "good"  # circling a rejected take un-rejects it
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        row.selected_take = pick.id
        s.add(EventRow(type="take:selected", payload={"shot": shot.code, "take": pick.number}))
        label = pick.label
    return next(t for t in list_takes(film, shot.code) if t.label == label)


def reject_take(film: Film, code: str, number: int) -> None:
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        take = s.scalars(select(TakeRow).where(TakeRow.shot_code == shot.code, TakeRow.number == number)).first()
        if take is None:
            raise TakeNotFound(f"Shot {shot.code} has no take {number}.", zh=f"镜头 {shot.code} 没有第 {number} 条。")
        take.status = "rejected"
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        if row.selected_take == take.id:
            row.selected_take = None
        s.add(EventRow(type="take:rejected", payload={"shot": shot.code, "take": number}))


def selected_takes(film: Film) -> dict[str, TakeInfo | None]:
    """Shot code → its selected take (or None), for every shot in the plan, in film order."""
    out: dict[str, TakeInfo | None] = {}
    for shot in resolve_shots(film, None):
        out[shot.code] = next((t for t in list_takes(film, shot.code) if t.selected), None)
    return out
