"""The job runner: one job walks the lifecycle of DESIGN §4, persisting each state before its side effect.

    planned → reserved → submitting → submitted → running → downloading → done
                                   ↘ failed | canceled | reconcile

1. check        the provider validates the spec (model, durations, images) before any money moves
2. reserve      the estimate is booked in the ledger, in the same transaction as the state (budget checked)
3. submitting   the client_ref is already on disk (it was written with the job), then the create call
4. submitted    record the remote id and the adapter's handle data
5. running      poll until the provider says done (Retry-After and back-off honoured)
6. downloading  fetch at once (result URLs expire), hash into the media store
7. done         the take row and the charge from reported usage, in one transaction

Errors go through the one policy table (``engine/policy.py``). After a crash ``run`` picks each job up where
it stopped: ``submitted``/``running`` poll again by remote id, ``downloading`` fetches again, ``submitting``
is looked up by client_ref where the provider can, re-sent only when re-submission is free, and otherwise
parked in ``reconcile`` for the director — never blindly paid for twice.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiolimiter import AsyncLimiter
from sqlalchemy import select

from storyreel.engine.events import Event
from storyreel.engine.policy import delay_for, rule_for
from storyreel.errors import BudgetExceeded, ProviderError, StoryreelError, SubmitOutcomeUnknown
from storyreel.model import JobState, TakeSpec, can_move
from storyreel.model.take import TERMINAL_STATES
from storyreel.providers import Provider
from storyreel.providers.base import Handle
from storyreel.store import EventRow, JobRow, LedgerRow, MediaStore, Store, TakeRow

ProviderFactory = Callable[[str], Provider]
Listener = Callable[[Event], None]


class IllegalTransition(RuntimeError):
    """A programming error: the engine tried a move the lifecycle does not allow."""


class _Stop(Exception):
    """This job is not started now (budget reached, provider stopped); it stays as it is for the next run."""


@dataclass
class RunSummary:
    done: int = 0
    failed: int = 0
    reconcile: int = 0
    canceled: int = 0
    not_started: int = 0  # left planned: budget reached or provider stopped
    stopped_by: list[str] = field(default_factory=list)  # why the queue stopped early, for the director


def committed_spend(store: Store, *, job_ids: Sequence[int] | None = None) -> float:
    """Money promised or spent: a job's charge once settled, else its reservation less any refund."""
    with store.session() as s:
        q = select(LedgerRow.job_id, LedgerRow.kind, LedgerRow.amount)
        if job_ids is not None:
            q = q.where(LedgerRow.job_id.in_(list(job_ids)))
        per_job: dict[int | None, dict[str, float]] = {}
        for job_id, kind, amount in s.execute(q):
            d = per_job.setdefault(job_id, {})
            d[kind] = d.get(kind, 0.0) + amount
    return sum(d["charge"] if "charge" in d else d.get("reserve", 0.0) - d.get("refund", 0.0)
               for d in per_job.values())


class Engine:
    def __init__(self, store: Store, media: MediaStore, providers: ProviderFactory, *, workdir: Path,
                 listener: Listener | None = None, poll_interval: float = 2.0,
                 sleep: Callable[[float], object] = asyncio.sleep, clock: Callable[[], float] = time.time,
                 film_budget: float | None = None, run_budget: float | None = None, seed: int = 0) -> None:
        self.store = store
        self.media = media
        self.providers = providers
        self.workdir = workdir
        self.listener = listener
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock
        self.film_budget = film_budget
        self.run_budget = run_budget
        self._rng = random.Random(seed)
        self._slots: dict[tuple[str, str], asyncio.Semaphore] = {}
        self._limiters: dict[str, AsyncLimiter] = {}
        self._stopped: dict[str, str] = {}  # provider → reason
        self._budget_lock = asyncio.Lock()
        self._run_jobs: list[int] = []
        self._budget_hit = False

    # -- persistence -------------------------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self.listener:
            self.listener(event)

    def _move(self, job_id: int, dst: JobState, *, ledger: tuple[str, float, str] | None = None,
              **fields: object) -> JobRow:
        """Persist a state change (with any fields and its ledger row) in one transaction, then announce it.

        The ledger row rides in the same transaction as the state: a crash can never leave a reservation without
        the state that says it was made, so a resumed job never reserves twice.
        """
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
            src = JobState(job.state)
            if src != dst and not can_move(src, dst):
                raise IllegalTransition(f"job {job_id}: {src} → {dst}")
            job.state = dst.value
            for k, v in fields.items():
                setattr(job, k, v)
            if ledger is not None:
                kind, amount, note = ledger
                s.add(LedgerRow(job_id=job_id, kind=kind, provider=job.provider, shot_code=job.shot_code,
                                amount=amount, note=note, basis="reported" if kind == "charge" else "estimate"))
            s.add(EventRow(type="job:state", payload={"job": job_id, "shot": job.shot_code, "take": job.take_number,
                                                       "state": dst.value, "error": job.error_class}))
        self._emit(Event("job:state", job_id=job_id, shot=job.shot_code, take=job.take_number, state=dst.value,
                         error=job.error_class))
        return job

    # -- running -----------------------------------------------------------------------------------------------

    async def run(self, job_ids: Sequence[int]) -> RunSummary:
        self._run_jobs = list(job_ids)
        summary = RunSummary()
        states = await asyncio.gather(*(self._guarded(j) for j in job_ids))
        for state in states:
            if state == JobState.DONE:
                summary.done += 1
            elif state == JobState.RECONCILE:
                summary.reconcile += 1
            elif state == JobState.CANCELED:
                summary.canceled += 1
            elif state == JobState.FAILED:
                summary.failed += 1
            else:
                summary.not_started += 1
        summary.stopped_by = sorted(set(self._stopped.values()))
        return summary

    def _slot(self, provider: Provider, lane: str) -> asyncio.Semaphore:
        key = (provider.name, lane)
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(provider.capabilities().max_concurrency)
        return self._slots[key]

    async def _throttle(self, provider: Provider) -> None:
        rps = provider.capabilities().requests_per_second
        if not rps:
            return
        if provider.name not in self._limiters:
            self._limiters[provider.name] = AsyncLimiter(max(1.0, rps), 1.0)
        await self._limiters[provider.name].acquire()

    async def _guarded(self, job_id: int) -> JobState:
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
        provider = self.providers(job.provider)
        async with self._slot(provider, job.lane):
            try:
                return await self.run_job(job_id, provider)
            except _Stop:
                with self.store.session() as s:
                    return JobState(s.get(JobRow, job_id).state)
            except ProviderError as exc:
                return self._fail(job_id, provider, exc)

    def _fail(self, job_id: int, provider: Provider, exc: StoryreelError) -> JobState:
        rule = rule_for(exc)
        if rule.stops_provider:
            self._stopped.setdefault(provider.name, f"{provider.name}: {exc}")
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
            charged = JobState(job.state) in (JobState.SUBMITTED, JobState.RUNNING, JobState.DOWNLOADING)
        # Providers that do not bill failed jobs get the reservation back; an expired result was made and paid.
        billed = charged and (provider.capabilities().charges_failed_jobs or type(exc).__name__ == "ResultExpired")
        ledger = ("charge", job.estimate, type(exc).__name__) if billed else ("refund", job.estimate, type(exc).__name__)
        self._move(job_id, JobState.FAILED, error_class=type(exc).__name__, error=str(exc), ledger=ledger)
        return JobState.FAILED

    async def _reserve(self, job: JobRow, provider: Provider, spec: TakeSpec) -> JobRow:
        """Book the estimate, unless it would take the film or this command past its budget."""
        est = provider.estimate(spec)
        async with self._budget_lock:
            if self._budget_hit:
                raise _Stop()
            over = None
            if self.film_budget is not None and committed_spend(self.store) + est.amount > self.film_budget + 1e-9:
                over = ("film", self.film_budget)
            elif self.run_budget is not None and committed_spend(self.store, job_ids=self._run_jobs) + est.amount \
                    > self.run_budget + 1e-9:
                over = ("command", self.run_budget)
            if over:
                self._budget_hit = True
                self._stopped.setdefault("budget", f"{over[0]} budget {over[1]:g} reached")
                raise _Stop()
            return self._move(job.id, JobState.RESERVED, estimate=est.amount,
                              ledger=("reserve", est.amount, est.note or est.currency))

    async def _submit(self, job: JobRow, provider: Provider, spec: TakeSpec) -> JobRow:
        """The create call, retried only while the provider proves it was refused, never after an unknown end."""
        attempt = 0
        while True:
            if provider.name in self._stopped:
                raise _Stop()
            attempt += 1
            job = self._move(job.id, JobState.SUBMITTING, attempts=job.attempts + 1)
            await self._throttle(provider)
            try:
                handle = await provider.submit(spec, client_ref=job.client_ref)
            except SubmitOutcomeUnknown as exc:
                return await self._reconcile(job, provider, exc)
            except ProviderError as exc:
                rule = rule_for(exc)
                if not rule.retry or attempt >= rule.max_attempts:
                    raise
                wait = delay_for(rule, attempt, exc, self._rng)
                # Refused, so nothing was made: back to reserved, with the time of the next try on disk.
                job = self._move(job.id, JobState.RESERVED, error_class=type(exc).__name__, error=str(exc),
                                 next_try_at=self._clock() + wait)
                await self._sleep(wait)
                continue
            return self._move(job.id, JobState.SUBMITTED, remote_id=handle.remote_id, remote_data=handle.data,
                              error_class=None, error=None, next_try_at=None)

    async def _reconcile(self, job: JobRow, provider: Provider, exc: Exception | None) -> JobRow:
        caps = provider.capabilities()
        if caps.resubmit_is_free:
            return self._move(job.id, JobState.RESERVED)
        if caps.can_lookup_by_client_ref:
            handle = await provider.lookup(job.client_ref)
            if handle is not None:
                return self._move(job.id, JobState.SUBMITTED, remote_id=handle.remote_id, remote_data=handle.data)
            return self._move(job.id, JobState.RESERVED)  # the provider says it never saw it: safe to send again
        reason = str(exc) if exc else "interrupted while submitting; check the provider console"
        self._move(job.id, JobState.RECONCILE, error_class="SubmitOutcomeUnknown", error=reason)
        raise _Stop()

    async def _poll(self, job: JobRow, provider: Provider, handle: Handle) -> None:
        attempt = 0
        while True:
            try:
                status = await provider.poll(handle)
            except ProviderError as exc:
                rule = rule_for(exc)
                attempt += 1
                if not rule.retry or attempt >= rule.max_attempts:
                    raise
                await self._sleep(delay_for(rule, attempt, exc, self._rng))
                continue
            attempt = 0
            if status.state == "succeeded":
                return
            if status.state == "failed":
                raise status.error or ProviderError("the provider reported a failure")
            await self._sleep(status.retry_after if status.retry_after is not None else self.poll_interval)

    async def run_job(self, job_id: int, provider: Provider) -> JobState:
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
        state = JobState(job.state)
        if state in TERMINAL_STATES:
            return state
        if provider.name in self._stopped:
            raise _Stop()
        spec = TakeSpec.model_validate(job.spec)

        # 1–2. check and reserve: nothing is sent before the estimate is booked within budget.
        if state == JobState.PLANNED:
            provider.check(spec)
            job = await self._reserve(job, provider, spec)
            state = JobState.RESERVED
        if state == JobState.RESERVED and job.next_try_at and job.next_try_at > self._clock():
            await self._sleep(job.next_try_at - self._clock())

        # 3–4. submit; a crash left "submitting" → reconcile, never a blind second create.
        if state == JobState.SUBMITTING:
            job = await self._reconcile(job, provider, None)
            state = JobState(job.state)
        if state == JobState.RESERVED:
            job = await self._submit(job, provider, spec)
            state = JobState(job.state)
        handle = Handle(remote_id=job.remote_id or "", data=dict(job.remote_data or {}))

        # 5. poll until ready.
        if state in (JobState.SUBMITTED, JobState.RUNNING):
            if state == JobState.SUBMITTED:
                self._move(job_id, JobState.RUNNING)
            await self._poll(job, provider, handle)
            job = self._move(job_id, JobState.DOWNLOADING)

        # 6–7. download at once, hash and store; the take and the charge land together with "done".
        return await self._download(job, provider, handle, spec)

    async def _download(self, job: JobRow, provider: Provider, handle: Handle, spec: TakeSpec) -> JobState:
        scratch = self.workdir / job.client_ref
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                result = await provider.fetch(handle, spec, scratch)
                break
            except ProviderError as exc:
                rule = rule_for(exc)
                attempt += 1
                if not rule.retry or attempt >= rule.max_attempts:
                    raise
                await self._sleep(delay_for(rule, attempt, exc, self._rng))
        clip_sha = key_sha = None
        clip_ext = None
        if result.clip:
            clip_sha, stored = self.media.add(result.clip)
            clip_ext = stored.suffix.lstrip(".")
        still = result.keyframe or (result.images[0] if result.images else None)
        if still:
            key_sha, stored = self.media.add(still)
            if not result.clip:  # an image take: the still is the take itself
                clip_sha, clip_ext = key_sha, stored.suffix.lstrip(".")
        with self.store.session() as s:
            row = s.get(JobRow, job.id)
            if not can_move(JobState(row.state), JobState.DONE):
                raise IllegalTransition(f"job {job.id}: {row.state} → done")
            existing = s.scalars(select(TakeRow).where(TakeRow.job_id == job.id)).first()
            take = existing or TakeRow(
                shot_code=job.shot_code, number=job.take_number, job_id=job.id, provider=job.provider,
                model=job.model, seed=spec.seed, frames=spec.frames, fps=spec.fps, width=spec.width,
                height=spec.height, clip_sha=clip_sha, clip_ext=clip_ext, keyframe_sha=key_sha,
                status="good", prompt=spec.prompt, draft=spec.draft, parent_take=job.upgrade_of, cost=result.cost,
            )
            s.add(take)
            row.state = JobState.DONE.value
            s.add(LedgerRow(job_id=job.id, kind="charge", provider=job.provider, shot_code=job.shot_code,
                            amount=result.cost, basis="reported",
                            note=", ".join(f"{k}={v:g}" for k, v in result.usage.items())))
            s.add(EventRow(type="take:new", payload={"shot": job.shot_code, "take": job.take_number}))
        shutil.rmtree(scratch, ignore_errors=True)
        self._emit(Event("take:new", job_id=job.id, shot=job.shot_code, take=job.take_number, state="done",
                         seconds=time.monotonic() - started))
        return JobState.DONE


def pending_jobs(store: Store, *, shots: Sequence[str] | None = None) -> list[int]:
    """Jobs not yet finished and not waiting for the director, oldest first: what a new ``shoot`` resumes."""
    with store.session() as s:
        q = select(JobRow.id).where(JobRow.state.not_in([st.value for st in TERMINAL_STATES])).order_by(JobRow.id)
        if shots is not None:
            q = q.where(JobRow.shot_code.in_(list(shots)))
        return list(s.scalars(q))


__all__ = ["BudgetExceeded", "Engine", "IllegalTransition", "RunSummary", "committed_spend", "pending_jobs"]
