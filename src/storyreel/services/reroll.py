"""Re-roll: N more takes of one shot, on any provider, optionally with the director's own prompt.

``shoot --takes N`` is a target ("have N takes"); a re-roll is an increment ("make N more"), the button a director
presses on a contact sheet that has nothing worth keeping. New takes are numbered after every take and job the
shot already has, so a re-roll never re-makes an old number, and their seeds follow from the number as always.

A prompt typed in the studio is a decision about the shot, so it is stored on the shot (``prompt_override`` in the
shot's data) and every later re-roll uses it until the director clears it with an empty prompt. The take itself
records the prompt it was made with (``takes.prompt``), so provenance never depends on the override's later fate.
A re-plan writes the shot's data afresh from the script, which drops the override: the script edit wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from storyreel.engine import Engine, Event, RunSummary, committed_spend
from storyreel.errors import BudgetExceeded, FilmError
from storyreel.providers import Provider
from storyreel.services.film import Film
from storyreel.services.landing import landing
from storyreel.services.shoot import (
    ShootReport,
    ShotEstimate,
    open_provider,
    plan_jobs,
    resolve_shots,
    take_seed,
    take_spec,
)
from storyreel.store import EventRow, JobRow, ShotRow, TakeRow

MAX_REROLL = 16  # one press of the button; more is a ``shoot`` run, with its estimate shown first
PROMPT_OVERRIDE = "prompt_override"


class ShotLocked(FilmError):
    """The director locked the shot; it is not re-shot until unlocked."""


class InvalidReroll(FilmError):
    pass


def prompt_override(film: Film, code: str) -> str | None:
    """The prompt the director typed for this shot in the studio, or None when the plan's prompt is used."""
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        data = s.scalars(select(ShotRow.data).where(ShotRow.code == shot.code)).one()
    value = (data or {}).get(PROMPT_OVERRIDE)
    return value if isinstance(value, str) and value.strip() else None


def set_prompt_override(film: Film, code: str, prompt: str | None) -> str | None:
    """Store (or, with None or blank, clear) the shot's prompt override; returns what is stored now."""
    shot = resolve_shots(film, [code])[0]
    value = prompt.strip() if prompt and prompt.strip() else None
    with film.store.session() as s:
        row = s.scalars(select(ShotRow).where(ShotRow.code == shot.code)).one()
        data = {k: v for k, v in (row.data or {}).items() if k != PROMPT_OVERRIDE}
        if value is not None:
            data[PROMPT_OVERRIDE] = value
        row.data = data  # a new dict, so the JSON column sees the change
        s.add(EventRow(type="shot:prompt", payload={"shot": shot.code, "prompt": value}))
    return value


def next_take_numbers(film: Film, code: str, count: int) -> list[int]:
    """The ``count`` take numbers after every take and job the shot has."""
    with film.store.session() as s:
        top_job = s.scalar(select(func.max(JobRow.take_number)).where(JobRow.shot_code == code)) or 0
        top_take = s.scalar(select(func.max(TakeRow.number)).where(TakeRow.shot_code == code)) or 0
    start = max(top_job, top_take) + 1
    return list(range(start, start + count))


@dataclass
class RerollPlan:
    """New jobs on disk for a re-roll, ready for the engine; made by ``prepare_reroll``."""

    shot: str
    jobs: list[int]
    provider: Provider
    poll_interval: float
    estimate: ShotEstimate | None
    prompt: str  # the prompt the new takes are made with


def prepare_reroll(film: Film, code: str, *, takes: int, provider: str | None = None, model: str | None = None,
                   prompt: str | None = None, draft: bool = False, transport=None,
                   poll_interval: float | None = None) -> RerollPlan:
    """Check everything and write the new jobs; nothing is sent. Every refusal happens here, before any write
    except the prompt override (a decision the director made either way).

    ``prompt``: None keeps the stored override (or the plan's prompt); a text replaces the override; a blank text
    clears it.
    """
    if isinstance(takes, bool) or not isinstance(takes, int) or not 1 <= takes <= MAX_REROLL:
        raise InvalidReroll(f"A re-roll makes 1 to {MAX_REROLL} takes, not {takes!r}; for more, run storyreel shoot.",
                            zh=f"一次重抽可生成 1 到 {MAX_REROLL} 条，而不是 {takes!r}；更多请用 storyreel shoot。")
    # 1. The shot, and whether the director still allows it to be shot.
    shot = resolve_shots(film, [code])[0]
    with film.store.session() as s:
        locked = s.scalars(select(ShotRow.locked).where(ShotRow.code == shot.code)).one()
    if locked:
        raise ShotLocked(f"Shot {shot.code} is locked; unlock it before re-rolling.",
                         zh=f"镜头 {shot.code} 已锁定；请先解锁再重抽。")

    # 2. Provider and model, the same defaults ``shoot`` uses; an unknown provider fails here, before any write.
    name = provider or film.config.provider
    conf = film.config.providers.get(name)
    model = model or (conf.model if conf else None)
    if poll_interval is None:
        poll_interval = conf.poll_interval if conf else 5.0
    prov = open_provider(film, name, transport=transport)

    # 3. Inputs: chained first/last frames resolved now (raises when the chain's source has no take yet).
    from storyreel.services.continuity import shot_inputs

    inputs, _ = shot_inputs(film, [shot], explicit=True)

    # 4. The prompt: a new override is stored before the specs are built from it.
    override = set_prompt_override(film, shot.code, prompt) if prompt is not None else prompt_override(film, shot.code)
    if override is not None:
        shot = shot.model_copy(update={"prompt": override})

    # 5. Every spec checked and estimated, and the budget consulted, before a job is written.
    todo = [(shot, n) for n in next_take_numbers(film, shot.code, takes)]
    estimate: ShotEstimate | None = None
    for _, n in todo:
        spec = take_spec(film, shot, take_seed(film, shot.code, n), model=model, draft=draft,
                         inputs=inputs.get(shot.code))
        prov.check(spec)
        est = prov.estimate(spec)
        estimate = estimate or ShotEstimate(shot.code, 0, est.amount, est.currency)
        estimate.takes += 1
    cap = film.config.budget
    if cap is not None and estimate is not None and estimate.each > 0:
        spent = committed_spend(film.store, exchange=film.config.exchange)
        each = film.config.exchange.convert(estimate.each, estimate.currency)
        if spent + each > cap + 1e-9:
            raise BudgetExceeded(
                f"The film's budget is used up: {spent:g} of {cap:g} spent or reserved; one more take costs about "
                f"{each:g}. Raise 'budget' in film.toml to continue.",
                zh=f"影片预算已用完：已花费或预留 {spent:g} / {cap:g}；再拍一条约需 {each:g}。"
                   "请在 film.toml 中调高 budget。")

    # 6. Intent on disk.
    jobs = plan_jobs(film, todo, provider=prov, model=model, draft=draft, inputs=inputs)
    return RerollPlan(shot.code, list(jobs), prov, poll_interval, estimate, shot.prompt)


def run_reroll(film: Film, plan: RerollPlan, *, listener: Callable[[Event], None] | None = None) -> ShootReport:
    """Send the planned jobs through the engine (which reserves, sends, downloads and lands each take)."""
    prov = plan.provider

    async def go(on_event: Callable[[Event], None]) -> RunSummary:
        engine = Engine(film.store, film.media, lambda _name: prov, workdir=film.state_dir / "work",
                        exchange=film.config.exchange, listener=on_event, film_budget=film.config.budget,
                        poll_interval=plan.poll_interval)
        try:
            return await engine.run(plan.jobs)
        finally:
            await prov.aclose()

    report = ShootReport(planned=len(plan.jobs), jobs=list(plan.jobs),
                         estimates=[plan.estimate] if plan.estimate else [])
    with landing(film) as worker:  # thumbnails and proxies are made as each take lands, like ``shoot``
        report.summary = asyncio.run(go(worker.listener(listener)))
    return report


def reroll_shot(film: Film, code: str, *, takes: int, provider: str | None = None, model: str | None = None,
                prompt: str | None = None, draft: bool = False, listener: Callable[[Event], None] | None = None,
                transport=None, poll_interval: float | None = None) -> ShootReport:
    """Make ``takes`` more takes of shot ``code`` and wait for them (``prepare_reroll`` then ``run_reroll``)."""
    plan = prepare_reroll(film, code, takes=takes, provider=provider, model=model, prompt=prompt, draft=draft,
                          transport=transport, poll_interval=poll_interval)
    return run_reroll(film, plan, listener=listener)
