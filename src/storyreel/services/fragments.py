"""Story-later: shoot fragments from a prompt and the bible before there is a script, build the story from the bin.

A fragment is a shot the script does not know: code ``F001``, ``F002`` …, scene 0, ``fragment=True``. Planning
never touches it (it is neither re-planned nor omitted), the derived cut never plays it, and its takes sit in the
bin until the director places one in an edited cut (``services.timeline.add_clip``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from storyreel.engine import Event
from storyreel.errors import StoryreelError
from storyreel.model import Blocking, CameraMove, Framing, Shot, Side
from storyreel.script.timing import clamp_seconds, seconds_to_frames
from storyreel.services.film import Film
from storyreel.services.plan import compose_prompt
from storyreel.services.review import InvalidEdit
from storyreel.services.shoot import ShootReport, shoot
from storyreel.store import EventRow, JobRow, ShotRow

FRAGMENT_SECONDS = 4.0
FRAGMENT_ORDER_BASE = 100_000  # after every planned shot, so fragment rows never interleave with the plan

# Screen sides for 1, 2, 3 characters: one in the middle, two facing across the line, three spread out.
_SIDES = {1: [Side.CENTER], 2: [Side.LEFT, Side.RIGHT], 3: [Side.LEFT, Side.CENTER, Side.RIGHT]}


@dataclass(frozen=True)
class FragmentShoot:
    shot: Shot
    report: ShootReport


def _blocking(film: Film, characters: Sequence[str]) -> list[Blocking]:
    names: list[str] = []
    for cue in characters:
        c = film.bible.character(cue)
        if c is None:
            known = ", ".join(ch.name for ch in film.bible.characters) or "none"
            raise InvalidEdit(f"No character '{cue}' in the bible (bible/characters/). Characters: {known}.",
                              zh=f"角色表（bible/characters/）中没有 '{cue}'。现有角色："
                                 f"{'、'.join(ch.name for ch in film.bible.characters) or '无'}。")
        if c.name not in names:
            names.append(c.name)
    sides = _SIDES.get(len(names)) or [Side.LEFT, Side.CENTER, Side.RIGHT]
    return [Blocking(character=n, position=sides[i % len(sides)]) for i, n in enumerate(names)]


def make_fragment(film: Film, prompt: str, *, characters: Sequence[str] = (),
                  seconds: float = FRAGMENT_SECONDS) -> Shot:
    """Write a new fragment shot (``F00n``) for ``prompt`` with the named bible characters in it."""
    text = (prompt or "").strip()
    if not text:
        raise InvalidEdit("A fragment needs a prompt: storyreel shoot --free \"雨夜，渡口，林晓独自等船\"",
                          zh="碎片镜头需要一段描述：storyreel shoot --free \"雨夜，渡口，林晓独自等船\"")
    blocking = _blocking(film, characters)
    limits = film.config.limits
    fps = film.config.profile.fps
    frames = seconds_to_frames(clamp_seconds(seconds, minimum=limits.min_shot_seconds,
                                             maximum=limits.max_shot_seconds), fps)
    with film.store.session() as s:
        used = set(s.scalars(select(ShotRow.code).where(ShotRow.code.like("F%"))))
        n = 1 + sum(1 for _ in s.scalars(select(ShotRow.id).where(ShotRow.fragment.is_(True))))
        while f"F{n:03d}" in used:
            n += 1
        code = f"F{n:03d}"
        order = FRAGMENT_ORDER_BASE + n
        shot = Shot(code=code, scene=0, order=order, description=text,
                    framing=Framing.MEDIUM if len(blocking) == 1 else Framing.WIDE, camera=CameraMove.STATIC,
                    blocking=blocking, frames=frames)
        shot.prompt = compose_prompt(shot, bible=film.bible, config=film.config)
        s.add(ShotRow(code=code, scene=0, ord=order, data=shot.model_dump(mode="json", by_alias=True), stale=False,
                      omitted=False, fragment=True))
        s.add(EventRow(type="shot:new", payload={"shot": code, "fragment": True}))
    return shot


def _discard_if_unused(film: Film, code: str) -> None:
    """Drop a fragment that never got a job (its shoot was refused or only estimated)."""
    with film.store.session() as s:
        if s.scalar(select(func.count(JobRow.id)).where(JobRow.shot_code == code)) == 0:
            s.execute(delete(ShotRow).where(ShotRow.code == code, ShotRow.fragment.is_(True)))


def shoot_free(film: Film, prompt: str, *, takes: int = 1, characters: Sequence[str] = (),
               provider: str | None = None, model: str | None = None, draft: bool = False, dry_run: bool = False,
               budget: float | None = None, seconds: float = FRAGMENT_SECONDS,
               listener: Callable[[Event], None] | None = None, on_plan: Callable[[int], None] | None = None,
               transport=None, poll_interval: float | None = None) -> FragmentShoot:
    """``storyreel shoot --free "…" -c 林晓 --takes 8``: a new fragment shot and its takes."""
    shot = make_fragment(film, prompt, characters=characters, seconds=seconds)
    try:
        report = shoot(film, takes=takes, shots=[shot.code], provider=provider, model=model, draft=draft,
                       dry_run=dry_run, budget=budget, listener=listener, on_plan=on_plan, transport=transport,
                       poll_interval=poll_interval)
    except (StoryreelError, ValueError):
        _discard_if_unused(film, shot.code)  # a refused request leaves no empty fragment behind
        raise
    if dry_run:
        _discard_if_unused(film, shot.code)
    return FragmentShoot(shot, report)


def list_fragments(film: Film) -> list[Shot]:
    with film.store.session() as s:
        rows = s.scalars(select(ShotRow).where(ShotRow.fragment.is_(True)).order_by(ShotRow.ord))
        return [Shot.model_validate(r.data | {"stale": r.stale}) for r in rows]
