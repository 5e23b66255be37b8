"""The job runner: one job walks the lifecycle of DESIGN §4, persisting each state before its side effect.

    planned → reserved → submitting → submitted → running → downloading → done
                                   ↘ failed | canceled | reconcile

1. check        the provider validates the spec (model, durations, images) before any money moves
2. reserve      the estimate is booked in the ledger, in the same transaction as the state (budget checked)
3. submitting   the client_ref is already on disk (it was written with the job), then the create call
4. submitted    record the remote id and the adapter's handle data
5. running      poll until the provider says done (Retry-After, back-off and the kind's expected time honoured)
6. downloading  fetch at once (result URLs expire), hash into the media store
7. done         the take row and the charge from reported usage, in one transaction

Errors go through the one policy table (``engine/policy.py``). After a crash ``run`` picks each job up where
it stopped: ``submitted``/``running`` poll again by remote id, ``downloading`` fetches again, ``submitting``
is looked up by client_ref where the provider can, re-sent only when re-submission is free, and otherwise
parked in ``reconcile`` for the director — never blindly paid for twice.

Each state move is one short transaction of prepared Core statements (a guarded UPDATE, its ledger row, its event
row), written before the step it announces; the engine keeps its own copy of the job row in step with what it
wrote instead of reading it back.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiolimiter import AsyncLimiter
from sqlalchemy import select

from storyreel.engine.events import Event
from storyreel.engine.policy import delay_for, rule_for
from storyreel.engine.sql import Job, JobSql
from storyreel.errors import BudgetExceeded, ProviderError, StoryreelError, SubmitOutcomeUnknown, TransientFailure
from storyreel.model import Exchange, JobState, TakeSpec
from storyreel.model.take import TERMINAL_STATES
from storyreel.providers import Provider
from storyreel.providers.base import Capabilities, Handle
from storyreel.store import JobRow, LedgerRow, MediaStore, Store
from storyreel.store.prepared import Batch

ProviderFactory = Callable[[str], Provider]
Listener = Callable[[Event], None]

# Polling. A shoot's wall time is made of how late each finished task is noticed, its CPU (here and at the
# provider) of how many polls it takes to notice. With nothing known, poll at the configured interval and back off
# in proportion to the time waited, so a task is noticed at most _BACKOFF of its run time late (and at most
# _MAX_WAIT). Once tasks of the same kind have finished in this run, their run times plan the looks
# (``Engine._poll_plan``): usually one or two per task instead of run time / interval. Those few looks may come closer
# together than the configured interval, but only around the time tasks of the kind have been finishing: an interval
# long next to the run time (0.25 s for a 1 s task) would otherwise make every task a whole interval late. A
# provider's own Retry-After on a status always wins.
_BACKOFF = 0.1
_MAX_WAIT = 60.0  # seconds: back-off never spaces polls further than this (a configured longer interval is kept)
_STEP = 0.01  # past the planned looks, the smallest step (a share of the expected run time), doubled up to the interval
_RECENT = 32  # tasks remembered per kind: recent ones only, so a provider that slows down is followed


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


def committed_spend(store: Store, *, job_ids: Sequence[int] | None = None, exchange: Exchange | None = None) -> float:
    """Money promised or spent, in the exchange's currency: a job's charge once settled, else its reservation less
    any refund. Amounts billed in another unit (PixVerse credits) are converted; a missing rate raises
    ``MissingRate`` rather than counting credits as yuan."""
    exchange = exchange or Exchange()
    with store.session() as s:
        q = select(LedgerRow.job_id, LedgerRow.kind, LedgerRow.amount, LedgerRow.currency)
        if job_ids is not None:
            q = q.where(LedgerRow.job_id.in_(list(job_ids)))
        per_job: dict[int | None, dict[str, float]] = {}
        for job_id, kind, amount, currency in s.execute(q):
            d = per_job.setdefault(job_id, {})
            d[kind] = d.get(kind, 0.0) + exchange.convert(amount, currency)
    return sum(d["charge"] if "charge" in d else d.get("reserve", 0.0) - d.get("refund", 0.0)
               for d in per_job.values())


class Engine:
    def __init__(self, store: Store, media: MediaStore, providers: ProviderFactory, *, workdir: Path,
                 listener: Listener | None = None, poll_interval: float = 2.0,
                 sleep: Callable[[float], object] = asyncio.sleep, clock: Callable[[], float] = time.time,
                 film_budget: float | None = None, run_budget: float | None = None, seed: int = 0,
                 exchange: Exchange | None = None) -> None:
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
        self.exchange = exchange or Exchange()  # budgets are in its currency; ledger rows keep the provider's
        self._rng = random.Random(seed)
        self._caps: dict[str, Capabilities] = {}
        self._slots: dict[tuple[str, str], asyncio.Semaphore] = {}
        self._limiters: dict[str, AsyncLimiter] = {}
        self._stopped: dict[str, str] = {}  # provider → reason
        self._budget_lock = asyncio.Lock()
        self._run_jobs: list[int] = []
        self._budget_hit = False
        # kind of task → (last seen running, seen ready) in seconds after the create was answered, for recent tasks
        self._run_times: dict[tuple, deque[tuple[float, float]]] = {}
        self._sql = JobSql(store)

    # -- persistence -------------------------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self.listener:
            self.listener(event)

    def _load(self, job_id: int) -> Job:
        row = self.store.read_one(self._sql.get("load"), {"job_id": job_id})
        if row is None:
            raise IllegalTransition(f"job {job_id} does not exist")
        return Job(**row)

    def _write_move(self, batch: Batch, job: Job, dst: JobState, changes: dict[str, object]) -> None:
        """The guarded UPDATE of one move, inside the caller's transaction; the in-memory copy is not touched."""
        move = self._sql.get(("move", dst, tuple(sorted(changes))))
        if batch.run(move, {"job_id_": job.id, "state": dst.value, **changes}) != 1:
            actual = batch.one(self._sql.get("state"), {"job_id": job.id})
            raise IllegalTransition(f"job {job.id}: {actual['state'] if actual else 'no such job'} → {dst}")

    def _move(self, job: Job | int, dst: JobState, *, ledger: tuple[str, float, str, str] | None = None,
              **changes: object) -> Job:
        """Persist a state change (with any fields and its ledger row) in one transaction, then announce it.

        The ledger row rides in the same transaction as the state: a crash can never leave a reservation without
        the state that says it was made, so a resumed job never reserves twice. ``job`` may be an id (read first).
        """
        if isinstance(job, int):
            job = self._load(job)
        error_class = changes.get("error_class", job.error_class)
        with self.store.fast_transaction() as batch:
            self._write_move(batch, job, dst, changes)
            if ledger is not None:
                kind, amount, note, currency = ledger
                batch.run(self._sql.get("ledger"), {"job_id": job.id, "kind": kind, "provider": job.provider,
                                                     "shot_code": job.shot_code, "amount": amount,
                                                     "currency": currency, "note": note,
                                                     "basis": "reported" if kind == "charge" else "estimate"})
            batch.run(self._sql.get("event"), {"type": "job:state", "payload": {
                "job": job.id, "shot": job.shot_code, "take": job.take_number, "state": dst.value,
                "error": error_class}})
        # Only once the move is committed does the copy follow it.
        job.state = dst.value
        for k, v in changes.items():
            setattr(job, k, v)
        self._emit(Event("job:state", job_id=job.id, shot=job.shot_code, take=job.take_number, state=dst.value,
                         error=error_class))
        return job

    # -- running -----------------------------------------------------------------------------------------------

    async def run(self, job_ids: Sequence[int]) -> RunSummary:
        self._run_jobs = list(job_ids)
        summary = RunSummary()
        # Provider and lane pick a job's slot before it may run; they never change, so one query serves all jobs.
        where: dict[int, tuple[str, str]] = {}
        ids = list(dict.fromkeys(job_ids))
        with self.store.transaction() as conn:
            for i in range(0, len(ids), 500):  # SQLite caps the bound parameters of one statement
                q = select(JobRow.id, JobRow.provider, JobRow.lane).where(JobRow.id.in_(ids[i:i + 500]))
                where.update((job_id, (provider, lane)) for job_id, provider, lane in conn.execute(q))
        states = await asyncio.gather(*(self._guarded(j, *where[j]) for j in job_ids))
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

    def _capabilities(self, provider: Provider) -> Capabilities:
        # Static per provider; some adapters build a fresh object (and read their options) on every call.
        caps = self._caps.get(provider.name)
        if caps is None:
            caps = self._caps[provider.name] = provider.capabilities()
        return caps

    def _slot(self, provider: Provider, lane: str) -> asyncio.Semaphore:
        key = (provider.name, lane)
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(self._capabilities(provider).max_concurrency)
        return self._slots[key]

    async def _throttle(self, provider: Provider) -> None:
        rps = self._capabilities(provider).requests_per_second
        if not rps:
            return
        if provider.name not in self._limiters:
            self._limiters[provider.name] = AsyncLimiter(max(1.0, rps), 1.0)
        await self._limiters[provider.name].acquire()

    async def _guarded(self, job_id: int, provider_name: str, lane: str) -> JobState:
        provider = self.providers(provider_name)
        try:
            return await self.run_job(job_id, provider, lane)
        except _Stop:
            return JobState(self._load(job_id).state)
        except ProviderError as exc:
            return self._fail(job_id, provider, exc)

    def _fail(self, job_id: int, provider: Provider, exc: StoryreelError) -> JobState:
        rule = rule_for(exc)
        if rule.stops_provider:
            self._stopped.setdefault(provider.name, f"{provider.name}: {exc}")
        job = self._load(job_id)
        charged = JobState(job.state) in (JobState.SUBMITTED, JobState.RUNNING, JobState.DOWNLOADING)
        # Providers that do not bill failed jobs get the reservation back; an expired result was made and paid.
        billed = charged and (self._capabilities(provider).charges_failed_jobs
                              or type(exc).__name__ == "ResultExpired")
        currency = self._capabilities(provider).currency
        ledger = ("charge" if billed else "refund", job.estimate, type(exc).__name__, currency)
        self._move(job, JobState.FAILED, error_class=type(exc).__name__, error=str(exc), ledger=ledger)
        return JobState.FAILED

    async def _reserve(self, job: Job, provider: Provider, spec: TakeSpec) -> Job:
        """Book the estimate, unless it would take the film or this command past its budget."""
        est = provider.estimate(spec)
        async with self._budget_lock:
            if self._budget_hit:
                raise _Stop()
            over = None
            if self.film_budget is not None or self.run_budget is not None:
                cost = self.exchange.convert(est.amount, est.currency)
                if self.film_budget is not None and \
                        committed_spend(self.store, exchange=self.exchange) + cost > self.film_budget + 1e-9:
                    over = ("film", self.film_budget)
                elif self.run_budget is not None and committed_spend(
                        self.store, job_ids=self._run_jobs, exchange=self.exchange) + cost > self.run_budget + 1e-9:
                    over = ("command", self.run_budget)
            if over:
                self._budget_hit = True
                self._stopped.setdefault("budget", f"{over[0]} budget {over[1]:g} reached")
                raise _Stop()
            return self._move(job, JobState.RESERVED, estimate=est.amount,
                              ledger=("reserve", est.amount, est.note or est.currency, est.currency))

    async def _submit(self, job: Job, provider: Provider, spec: TakeSpec) -> Job:
        """The create call, retried only while the provider proves it was refused, never after an unknown end."""
        attempt = 0
        while True:
            if provider.name in self._stopped:
                raise _Stop()
            attempt += 1
            job = self._move(job, JobState.SUBMITTING, attempts=job.attempts + 1)
            await self._throttle(provider)
            try:
                handle = await provider.submit(spec, client_ref=job.client_ref)
            except SubmitOutcomeUnknown as exc:
                job = await self._reconcile(job, provider, exc)
                if job.state != JobState.RESERVED.value:
                    return job
                # Reconciled as never made (or free to make again): send again, within the transient budget.
                if attempt >= rule_for(TransientFailure("")).max_attempts:
                    raise
                continue
            except ProviderError as exc:
                rule = rule_for(exc)
                if not rule.retry or attempt >= rule.max_attempts:
                    raise
                wait = delay_for(rule, attempt, exc, self._rng)
                # Refused, so nothing was made: back to reserved, with the time of the next try on disk.
                job = self._move(job, JobState.RESERVED, error_class=type(exc).__name__, error=str(exc),
                                 next_try_at=self._clock() + wait)
                await self._sleep(wait)
                continue
            return self._move(job, JobState.SUBMITTED, remote_id=handle.remote_id, remote_data=handle.data,
                              error_class=None, error=None, next_try_at=None)

    async def _reconcile(self, job: Job, provider: Provider, exc: Exception | None) -> Job:
        caps = self._capabilities(provider)
        if caps.resubmit_is_free:
            return self._move(job, JobState.RESERVED)
        if caps.can_lookup_by_client_ref:
            handle = await provider.lookup(job.client_ref)
            if handle is not None:
                return self._move(job, JobState.SUBMITTED, remote_id=handle.remote_id, remote_data=handle.data)
            return self._move(job, JobState.RESERVED)  # the provider says it never saw it: safe to send again
        reason = str(exc) if exc else "interrupted while submitting; check the provider console"
        self._move(job, JobState.RECONCILE, error_class="SubmitOutcomeUnknown", error=reason)
        raise _Stop()

    # -- polling -----------------------------------------------------------------------------------------------

    def _poll_plan(self, kind: tuple) -> tuple[float, float, float]:
        """``(first, then, step)`` for a task of this ``kind``, in seconds after its create was answered.

        From the recent tasks of the kind: ``then`` is the earliest any was seen ready, ``first`` halfway between
        that and the latest one was still seen running before it. Each first look narrows that bracket for the
        tasks after it (a bisection), so a steady provider is soon looked at once per task, just after it finishes.
        A task still running at ``then`` is looked at again after ``step``, then after doubling steps up to the
        interval: the run times of one kind spread by a few round trips (when the create is answered is when our
        clock starts), and a miss by a few milliseconds should not cost a whole interval. With nothing seen yet
        all are 0: look at once, then poll at the interval with back-off."""
        seen = self._run_times.get(kind)
        if not seen:
            return 0.0, 0.0, 0.0
        ready = min(hi for _, hi in seen)
        running = max((lo for lo, _ in seen if lo < ready), default=0.0)
        return (running + ready) / 2, ready, max((ready - running) / 2, _STEP * ready)

    async def _poll(self, provider: Provider, handle: Handle, kind: tuple, submitted_at: float | None) -> None:
        """Poll until the task is ready. ``submitted_at`` (monotonic) is when this run saw the create answered;
        None for a task resumed after a crash: its age is unknown, so it is looked at at once."""
        since = time.monotonic() if submitted_at is None else submitted_at
        first, then, step = (0.0, 0.0, 0.0) if submitted_at is None else self._poll_plan(kind)
        if first > time.monotonic() - since:
            await self._sleep(first - (time.monotonic() - since))
        running = 0.0  # when the last look that found it unfinished was sent: it was not ready before then
        attempt = 0
        while True:
            sent = time.monotonic() - since
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
            waited = time.monotonic() - since
            if status.state == "succeeded":
                if submitted_at is not None:  # it became ready somewhere in (running, waited]
                    self._run_times.setdefault(kind, deque(maxlen=_RECENT)).append((running, waited))
                return
            if status.state == "failed":
                raise status.error or ProviderError("the provider reported a failure")
            running = sent
            if status.retry_after is not None:
                await self._sleep(status.retry_after)
            elif waited < then:
                await self._sleep(then - waited)
            else:
                interval = max(self.poll_interval, min(_BACKOFF * (waited - then), _MAX_WAIT))
                await self._sleep(min(step, interval) if step else interval)
                step *= 2

    # -- one job -----------------------------------------------------------------------------------------------

    async def run_job(self, job_id: int, provider: Provider, lane: str) -> JobState:
        if self._capabilities(provider).works_in_fetch:
            async with self._slot(provider, lane):
                ready = await self._until_ready(job_id, provider)
                return ready if isinstance(ready, JobState) else await self._download(*ready, provider)
        async with self._slot(provider, lane):
            ready = await self._until_ready(job_id, provider)
        if isinstance(ready, JobState):
            return ready
        # 6–7. Outside the provider slot: a finished task no longer counts against the provider's concurrency, so
        # the next create goes out while this result downloads. Downloads have their own, wider pool.
        async with self._download_slot(provider):
            return await self._download(*ready, provider)

    def _download_slot(self, provider: Provider) -> asyncio.Semaphore:
        key = (provider.name, "download")
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(max(4, 2 * self._capabilities(provider).max_concurrency))
        return self._slots[key]

    async def _until_ready(self, job_id: int, provider: Provider) -> JobState | tuple[Job, Handle, TakeSpec]:
        """Steps 1–5 (the caller holds the provider+lane slot): a terminal state, or what the download needs."""
        # Read only now that the job may run: queued, it may have been cancelled from another process.
        job = self._load(job_id)
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
        submitted_at = None
        if state == JobState.SUBMITTING:
            job = await self._reconcile(job, provider, None)
            state = JobState(job.state)
        if state == JobState.RESERVED:
            job = await self._submit(job, provider, spec)
            state = JobState(job.state)
            submitted_at = time.monotonic()
        handle = Handle(remote_id=job.remote_id or "", data=dict(job.remote_data or {}))

        # 5. poll until ready.
        if state in (JobState.SUBMITTED, JobState.RUNNING):
            if state == JobState.SUBMITTED:
                job = self._move(job, JobState.RUNNING)
            kind = (provider.name, job.lane, job.model, job.draft, spec.frames, spec.width, spec.height)
            await self._poll(provider, handle, kind, submitted_at)
            job = self._move(job, JobState.DOWNLOADING)
        return job, handle, spec

    async def _download(self, job: Job, handle: Handle, spec: TakeSpec, provider: Provider) -> JobState:
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
            clip_sha, stored = self.media.add(result.clip, move=True)
            clip_ext = stored.suffix.lstrip(".")
        still = result.keyframe or (result.images[0] if result.images else None)
        if still:
            key_sha, stored = self.media.add(still, move=True)
            if not result.clip:  # an image take: the still is the take itself
                clip_sha, clip_ext = key_sha, stored.suffix.lstrip(".")
        with self.store.fast_transaction() as batch:
            self._write_move(batch, job, JobState.DONE, {})
            if batch.one(self._sql.get("find_take"),
                         {"shot": job.shot_code, "number": job.take_number, "job_id": job.id}) is None:
                batch.run(self._sql.get("take"), {
                    "shot_code": job.shot_code, "number": job.take_number, "job_id": job.id,
                    "provider": job.provider, "model": job.model, "seed": spec.seed, "frames": spec.frames,
                    "fps": spec.fps, "width": spec.width, "height": spec.height, "clip_sha": clip_sha,
                    "clip_ext": clip_ext, "keyframe_sha": key_sha, "status": "good", "prompt": spec.prompt,
                    "draft": spec.draft, "parent_take": job.upgrade_of, "cost": result.cost})
            batch.run(self._sql.get("ledger"), {
                "job_id": job.id, "kind": "charge", "provider": job.provider, "shot_code": job.shot_code,
                "amount": result.cost, "currency": self._capabilities(provider).currency, "basis": "reported",
                "note": ", ".join(f"{k}={v:g}" for k, v in result.usage.items())})
            batch.run(self._sql.get("event"), {"type": "take:new",
                                                "payload": {"shot": job.shot_code, "take": job.take_number}})
        job.state = JobState.DONE.value
        try:
            scratch.rmdir()  # the result was moved into the store: usually nothing is left behind
        except OSError:
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
