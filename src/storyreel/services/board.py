"""The board: one card per shot with where it stands (planned → shooting → has takes → selected), for the
studio's shot wall and ``storyreel board``.

It is read on every refresh of a film with hundreds of shots and thousands of takes, so it is built from a
fixed number of queries (shots, take aggregates, running jobs), never one query per shot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select

from storyreel.model import Bible, Shot
from storyreel.model.take import TERMINAL_STATES
from storyreel.services.film import Film
from storyreel.services.review import InvalidEdit
from storyreel.store import JobRow, ShotRow, TakeRow

STATUSES = ("planned", "shooting", "has_takes", "selected", "stale", "locked")


@dataclass(frozen=True)
class BoardCard:
    code: str
    scene: int
    heading: str
    order: int
    frames: int
    seconds: float
    # locked > stale > selected (an explicit choice) > has_takes (a good take) > shooting (jobs running) > planned
    status: str
    take_count: int
    good_count: int
    cost: float
    thumb_take: str | None  # the selected take, else the first good one
    characters: tuple[str, ...]
    fragment: bool
    description: str = ""


def _status(row: ShotRow, good: int, running: int) -> str:
    if row.locked:
        return "locked"
    if row.stale:
        return "stale"
    if row.selected_take is not None:
        return "selected"
    if good:
        return "has_takes"
    if running:
        return "shooting"
    return "planned"


def _canonical(name: str, bible: Bible) -> str:
    c = bible.character(name)
    return c.name if c else name.strip()


def _check_filters(status: str | None, scene: int | None) -> None:
    if status is not None and status not in STATUSES:
        raise InvalidEdit(f"Unknown status '{status}'. Statuses: {', '.join(STATUSES)}.",
                          zh=f"没有状态 '{status}'。可选：{'、'.join(STATUSES)}。")
    if scene is not None and scene < 0:
        raise InvalidEdit(f"Scene numbers start at 1, got {scene}.", zh=f"场次从 1 开始，而不是 {scene}。")


def board(film: Film, scene: int | None = None, status: str | None = None,
          character: str | None = None) -> list[BoardCard]:
    """Cards for every shot in the plan, then story-later fragments (omitted shots are left out)."""
    _check_filters(status, scene)
    fps = film.config.profile.fps
    who = _canonical(character, film.bible).casefold() if character else None
    with film.store.session() as s:
        q = select(ShotRow).where(ShotRow.omitted.is_(False)).order_by(ShotRow.fragment, ShotRow.ord)
        if scene is not None:
            q = q.where(ShotRow.scene == scene)
        rows = list(s.scalars(q))
        good = case((TakeRow.status == "good", 1), else_=0)
        agg = {code: (n, g, cost, first) for code, n, g, cost, first in s.execute(
            select(TakeRow.shot_code, func.count(TakeRow.id), func.sum(good), func.sum(TakeRow.cost),
                   func.min(case((TakeRow.status == "good", TakeRow.number), else_=None)))
            .group_by(TakeRow.shot_code))}
        running = dict(s.execute(
            select(JobRow.shot_code, func.count(JobRow.id))
            .where(JobRow.state.not_in([st.value for st in TERMINAL_STATES])).group_by(JobRow.shot_code)).all())
        chosen_ids = [r.selected_take for r in rows if r.selected_take is not None]
        chosen = {i: f"{code}-t{n:03d}" for i, code, n in s.execute(
            select(TakeRow.id, TakeRow.shot_code, TakeRow.number).where(TakeRow.id.in_(chosen_ids)))} \
            if chosen_ids else {}
        cards: list[BoardCard] = []
        for row in rows:
            shot = Shot.model_validate(row.data)
            names = tuple(dict.fromkeys([*shot.characters, *(d.character for d in shot.dialogue)]))
            if who is not None and who not in {_canonical(n, film.bible).casefold() for n in names}:
                continue
            n, g, cost, first = agg.get(row.code, (0, 0, 0.0, None))
            st = _status(row, g or 0, running.get(row.code, 0))
            if status is not None and st != status:
                continue
            thumb = chosen.get(row.selected_take) if row.selected_take else None
            if thumb is None and first is not None:
                thumb = f"{row.code}-t{first:03d}"
            cards.append(BoardCard(row.code, row.scene, shot.heading, row.ord, shot.frames, shot.frames / fps, st,
                                   n, g or 0, float(cost or 0.0), thumb, names, bool(row.fragment),
                                   shot.description))
    return cards


def board_summary(cards: Sequence[BoardCard]) -> dict[str, int]:
    """How many cards are in each status, in board order (for a header line)."""
    out = dict.fromkeys(STATUSES, 0)
    for c in cards:
        out[c.status] += 1
    return out
