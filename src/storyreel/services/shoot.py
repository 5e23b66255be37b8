"""Shooting: turn planned shots into takes through the job engine.

``--takes N`` is a target, not an increment: a shot with takes 1–2 done and ``--takes 3`` gets only take 3, and a
run cut short by a crash or Ctrl-C picks up the unfinished jobs. Each take number has exactly one job (a unique
key in the database), so a take can never be made twice by accident.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storyreel.engine import Engine, Event, RunSummary, pending_jobs
from storyreel.errors import ShotNotFound
from storyreel.model import Lane, Shot, TakeSpec
from storyreel.providers import get_provider
from storyreel.services.film import Film
from storyreel.services.plan import list_shots
from storyreel.store import JobRow


@dataclass
class ShootReport:
    planned: int = 0  # jobs created by this run
    resumed: int = 0  # unfinished jobs from an earlier run
    summary: RunSummary = field(default_factory=RunSummary)
    jobs: list[int] = field(default_factory=list)


def take_seed(film: Film, code: str, number: int) -> int:
    """Seeds are a pure function of film, shot and take number, so a re-run of a job renders the same take."""
    digest = hashlib.sha256(f"{film.config.title}\0{code}\0{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def resolve_shots(film: Film, codes: Sequence[str] | None) -> list[Shot]:
    shots = list_shots(film)
    if not shots:
        raise ShotNotFound("The film has no shots yet. Run: storyreel plan", zh="影片还没有镜头。请先运行：storyreel plan")
    if not codes:
        return shots
    by_code = {s.code.casefold(): s for s in shots}
    missing = [c for c in codes if c.casefold() not in by_code]
    if missing:
        raise ShotNotFound(
            f"No shot {', '.join(missing)} in '{film.config.title}'. Shots: {', '.join(s.code for s in shots)}.",
            zh=f"《{film.config.title}》中没有镜头 {'、'.join(missing)}。现有镜头：{'、'.join(s.code for s in shots)}。",
        )
    return [by_code[c.casefold()] for c in codes]


def take_spec(film: Film, shot: Shot, seed: int, *, provider: str) -> TakeSpec:
    p = film.config.profile
    colors = {c.name: c.color for c in film.bible.characters}
    return TakeSpec(
        lane=Lane.VIDEO, prompt=shot.prompt, seed=seed, frames=shot.frames, fps=p.fps, width=p.width,
        height=p.height, shot=shot, palette=film.bible.style(film.config.style).palette, character_colors=colors,
    )


def plan_jobs(film: Film, shots: Sequence[Shot], *, takes: int, provider: str) -> tuple[list[int], int]:
    """Create the missing jobs (intent on disk before any side effect). Returns (new job ids, count)."""
    created: list[int] = []
    with film.store.session() as s:
        for shot in shots:
            have = set(s.scalars(select(JobRow.take_number).where(JobRow.shot_code == shot.code)))
            for n in range(1, takes + 1):
                if n in have:
                    continue
                spec = take_spec(film, shot, take_seed(film, shot.code, n), provider=provider)
                job = JobRow(shot_code=shot.code, take_number=n, provider=provider, model=spec.model,
                             lane=spec.lane.value, state="planned",
                             spec=spec.model_dump(mode="json", by_alias=True), client_ref=uuid.uuid4().hex,
                             attempts=0)
                s.add(job)
                s.flush()
                created.append(job.id)
    return created, len(created)


def shoot(film: Film, *, takes: int = 1, shots: Sequence[str] | None = None, provider: str | None = None,
          listener: Callable[[Event], None] | None = None, on_plan: Callable[[int], None] | None = None) -> ShootReport:
    """``storyreel shoot``: make sure every chosen shot has ``takes`` takes, resuming unfinished jobs first."""
    if takes < 1:
        raise ValueError("takes must be at least 1")
    name = provider or film.config.provider
    workdir = film.state_dir / "work"
    get_provider(name, workdir=workdir)  # unknown names fail here, before a single job is written
    chosen = resolve_shots(film, shots)
    codes = [s.code for s in chosen]
    earlier = pending_jobs(film.store, shots=codes)
    new, count = plan_jobs(film, chosen, takes=takes, provider=name)
    jobs = earlier + new
    if on_plan:
        on_plan(len(jobs))
    cache: dict[str, object] = {}

    def factory(pname: str):
        if pname not in cache:
            cache[pname] = get_provider(pname, workdir=workdir)
        return cache[pname]

    engine = Engine(film.store, film.media, factory, workdir=workdir, listener=listener)
    summary = asyncio.run(engine.run(jobs))
    return ShootReport(planned=count, resumed=len(earlier), summary=summary, jobs=jobs)
