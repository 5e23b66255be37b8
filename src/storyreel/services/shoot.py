"""Shooting: turn planned shots into takes through the job engine.

``--takes N`` is a target, not an increment: a shot with takes 1–2 done and ``--takes 3`` gets only take 3, and a
run cut short by a crash or Ctrl-C picks up the unfinished jobs. Each take number has exactly one job (a unique
key in the database), so a take can never be made twice by accident.

Before anything is written the provider checks every spec (model, duration, input images, key), so a bad
request costs nothing; ``dry_run`` stops there and returns the estimate.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storyreel.engine import Engine, Event, RunSummary, committed_spend, pending_jobs
from storyreel.errors import BudgetExceeded, ShotNotFound, StoryreelError
from storyreel.model import Lane, Shot, TakeSpec
from storyreel.providers import Provider, ProviderSettings, get_provider
from storyreel.services.film import Film
from storyreel.services.landing import landing
from storyreel.services.plan import list_shots
from storyreel.store import JobRow, ShotRow


@dataclass
class ShotEstimate:
    shot: str
    takes: int  # new takes this run would make
    each: float
    currency: str

    @property
    def total(self) -> float:
        return self.takes * self.each


@dataclass
class ShootReport:
    planned: int = 0  # jobs created by this run
    resumed: int = 0  # unfinished jobs from an earlier run
    summary: RunSummary = field(default_factory=RunSummary)
    jobs: list[int] = field(default_factory=list)
    estimates: list[ShotEstimate] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # chosen shots skipped because the director locked them
    skipped: dict[str, StoryreelError] = field(default_factory=dict)  # shot → why not shot (an unresolved chain)

    @property
    def estimated_total(self) -> float:
        return sum(e.total for e in self.estimates)


def take_seed(film: Film, code: str, number: int) -> int:
    """Seeds are a pure function of film, shot and take number, so a re-run of a job renders the same take."""
    digest = hashlib.sha256(f"{film.config.title}\0{code}\0{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def resolve_shots(film: Film, codes: Sequence[str] | None) -> list[Shot]:
    """The named shots (fragments too, when named), or every planned shot."""
    shots = list_shots(film, include_fragments=bool(codes))
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


def open_provider(film: Film, name: str, *, transport=None) -> Provider:
    """The named provider, configured from film.toml ``[providers.<name>]`` (base URL, options)."""
    conf = film.config.providers.get(name)
    settings = ProviderSettings(base_url=conf.base_url if conf else None, options=dict(conf.options) if conf else {},
                                transport=transport)
    return get_provider(name, workdir=film.state_dir / "work", settings=settings)


def take_spec(film: Film, shot: Shot, seed: int, *, model: str | None = None, draft: bool = False,
              inputs: dict | None = None) -> TakeSpec:
    """``inputs``: the shot's resolved first/last frames (services.continuity.shot_inputs)."""
    p = film.config.profile
    colors = {c.name: c.color for c in film.bible.characters}
    return TakeSpec(
        lane=Lane.VIDEO, prompt=shot.prompt, seed=seed, frames=shot.frames, fps=p.fps, width=p.width,
        height=p.height, shot=shot, palette=film.bible.style(film.config.style).palette, character_colors=colors,
        model=model, draft=draft, **(inputs or {}),
    )


def _missing_takes(film: Film, shots: Sequence[Shot], takes: int) -> list[tuple[Shot, int]]:
    with film.store.session() as s:
        out = []
        for shot in shots:
            have = set(s.scalars(select(JobRow.take_number).where(JobRow.shot_code == shot.code)))
            out += [(shot, n) for n in range(1, takes + 1) if n not in have]
    return out


def plan_jobs(film: Film, todo: Sequence[tuple[Shot, int]], *, provider: Provider, model: str | None,
              draft: bool, inputs: dict[str, dict] | None = None) -> list[int]:
    """Create the missing jobs (intent on disk before any side effect)."""
    created: list[int] = []
    with film.store.session() as s:
        for shot, n in todo:
            spec = take_spec(film, shot, take_seed(film, shot.code, n), model=model, draft=draft,
                             inputs=(inputs or {}).get(shot.code))
            job = JobRow(shot_code=shot.code, take_number=n, provider=provider.name, model=spec.model,
                         lane=spec.lane.value, state="planned", spec=spec.model_dump(mode="json", by_alias=True),
                         client_ref=uuid.uuid4().hex, attempts=0, draft=draft)
            s.add(job)
            s.flush()
            created.append(job.id)
    return created


def shoot(film: Film, *, takes: int = 1, shots: Sequence[str] | None = None, provider: str | None = None,
          model: str | None = None, draft: bool = False, dry_run: bool = False, budget: float | None = None,
          listener: Callable[[Event], None] | None = None, on_plan: Callable[[int], None] | None = None,
          transport=None, poll_interval: float | None = None) -> ShootReport:
    """``storyreel shoot``: make sure every chosen shot has ``takes`` takes, resuming unfinished jobs first."""
    if takes < 1:
        raise ValueError("takes must be at least 1")
    name = provider or film.config.provider
    conf = film.config.providers.get(name)
    model = model or (conf.model if conf else None)
    if poll_interval is None:
        poll_interval = conf.poll_interval if conf else 5.0
    prov = open_provider(film, name, transport=transport)  # unknown names fail here, before a job is written
    chosen = resolve_shots(film, shots)
    with film.store.session() as s:
        locked = set(s.scalars(select(ShotRow.code).where(ShotRow.locked.is_(True))))
    skipped = [c.code for c in chosen if c.code in locked]
    chosen = [c for c in chosen if c.code not in locked]
    # Chained shots start from a frame of another shot's selected take, resolved now, not when chained.
    from storyreel.services.continuity import rebind_jobs, shot_inputs

    inputs, unresolved = shot_inputs(film, chosen, explicit=bool(shots))
    chosen = [c for c in chosen if c.code not in unresolved]
    todo = _missing_takes(film, chosen, takes)

    # Every new spec is checked (model, durations, images, key) before anything is written or sent.
    estimates: dict[str, ShotEstimate] = {}
    for shot, n in todo:
        spec = take_spec(film, shot, take_seed(film, shot.code, n), model=model, draft=draft,
                         inputs=inputs.get(shot.code))
        prov.check(spec)
        est = prov.estimate(spec)
        e = estimates.setdefault(shot.code, ShotEstimate(shot.code, 0, est.amount, est.currency))
        e.takes += 1
    report = ShootReport(estimates=list(estimates.values()), locked=skipped, skipped=dict(unresolved))
    if dry_run:
        return report

    cap = film.config.budget
    money = film.config.exchange
    # With a cap, every amount must be comparable with it: a provider billing in credits needs [rates] first.
    first = min((money.convert(e.each, e.currency) if cap is not None or budget is not None else e.each
                 for e in report.estimates if e.each > 0), default=0.0)
    if cap is not None and first > 0 and committed_spend(film.store, exchange=money) + first > cap + 1e-9:
        spent = committed_spend(film.store, exchange=money)
        raise BudgetExceeded(
            f"The film's budget is used up: {spent:g} of {cap:g} spent or reserved; one more take costs about "
            f"{first:g}. Raise 'budget' in film.toml to continue.",
            zh=f"影片预算已用完：已花费或预留 {spent:g} / {cap:g}；再拍一条约需 {first:g}。请在 film.toml 中调高 budget。",
        )

    codes = [s.code for s in chosen]
    earlier = pending_jobs(film.store, shots=codes)
    rebind_jobs(film, earlier, inputs)
    new = plan_jobs(film, todo, provider=prov, model=model, draft=draft, inputs=inputs)
    jobs = earlier + new
    if on_plan:
        on_plan(len(jobs))
    cache: dict[str, Provider] = {name: prov}

    def factory(pname: str) -> Provider:
        if pname not in cache:
            cache[pname] = open_provider(film, pname, transport=transport)
        return cache[pname]

    async def go() -> RunSummary:
        engine = Engine(film.store, film.media, factory, workdir=film.state_dir / "work", exchange=film.config.exchange,
                        listener=worker.listener(listener), film_budget=cap, run_budget=budget,
                        poll_interval=poll_interval)
        try:
            return await engine.run(jobs)
        finally:
            for p in cache.values():
                await p.aclose()

    # Each take lands (thumbnail, proxy, normalised clip) on a thread, so the engine never waits for a
    # transcode; leaving the block waits for the last one.
    with landing(film) as worker:
        report.summary = asyncio.run(go())
    report.planned, report.resumed, report.jobs = len(new), len(earlier), jobs
    return report


def upgrade_take(film: Film, code: str, number: int, *, listener: Callable[[Event], None] | None = None,
                 transport=None, poll_interval: float | None = None) -> ShootReport:
    """``storyreel upgrade 3A 4``: re-render a draft take at final quality, same seed and inputs, linked to it."""
    from storyreel.errors import TakeNotFound
    from storyreel.store import TakeRow

    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        take = s.scalars(select(TakeRow).where(TakeRow.shot_code == shot.code, TakeRow.number == number)).first()
        if take is None:
            raise TakeNotFound(f"Shot {shot.code} has no take {number}.", zh=f"镜头 {shot.code} 没有第 {number} 条。")
        if not take.draft:
            raise TakeNotFound(f"{take.label} is already a final take; only draft takes are upgraded.",
                               zh=f"{take.label} 已是正式质量；只有草稿可以升级。")
        src_job = s.get(JobRow, take.job_id)
        upgraded = s.scalars(select(JobRow).where(JobRow.upgrade_of == take.id)).first()
        next_number = (max(s.scalars(select(JobRow.take_number).where(JobRow.shot_code == shot.code)), default=0) + 1)
        take_id = take.id
    prov = open_provider(film, src_job.provider, transport=transport)
    conf = film.config.providers.get(src_job.provider)
    if poll_interval is None:
        poll_interval = conf.poll_interval if conf else 5.0
    if upgraded is None:
        spec = TakeSpec.model_validate(src_job.spec).model_copy(update={"draft": False})
        prov.check(spec)
        with film.store.session() as s:
            job = JobRow(shot_code=shot.code, take_number=next_number, provider=src_job.provider, model=spec.model,
                         lane=spec.lane.value, state="planned", spec=spec.model_dump(mode="json", by_alias=True),
                         client_ref=uuid.uuid4().hex, attempts=0, draft=False, upgrade_of=take_id)
            s.add(job)
            s.flush()
            job_id = job.id
    else:
        job_id = upgraded.id

    async def go() -> RunSummary:
        engine = Engine(film.store, film.media, lambda _: prov, workdir=film.state_dir / "work",
                        exchange=film.config.exchange, listener=worker.listener(listener),
                        film_budget=film.config.budget, poll_interval=poll_interval)
        try:
            return await engine.run([job_id])
        finally:
            await prov.aclose()

    report = ShootReport(planned=1 if upgraded is None else 0, resumed=0 if upgraded is None else 1, jobs=[job_id])
    with landing(film) as worker:  # the upgraded take lands like any other
        report.summary = asyncio.run(go())
    return report
