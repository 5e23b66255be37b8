"""The job runner: one job walks the lifecycle of DESIGN §4, persisting each state before its side effect.

    planned → reserved → submitting → submitted → running → downloading → done
                                   ↘ failed | canceled | reconcile

1. reserve      write the ledger estimate (a reservation) for the job
2. submitting   the client_ref is already on disk (it was written with the job), then the create call
3. submitted    record the remote id
4. running      poll until the provider says done
5. downloading  fetch at once (result URLs expire), hash into the media store
6. done         the take row and the charge, in the same transaction

After a crash ``resume`` looks at where each job stopped: ``submitted``/``running`` poll again by remote id,
``downloading`` fetches again, ``submitting`` is re-sent only when the provider declares re-submission free,
otherwise it is parked in ``reconcile`` for the director — never blindly paid for twice.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from storyreel.engine.events import Event
from storyreel.errors import ProviderError, StoryreelError
from storyreel.model import JobState, TakeSpec, can_move
from storyreel.model.take import TERMINAL_STATES
from storyreel.providers import Provider
from storyreel.providers.base import Handle
from storyreel.store import EventRow, JobRow, LedgerRow, MediaStore, Store, TakeRow

ProviderFactory = Callable[[str], Provider]
Listener = Callable[[Event], None]


class IllegalTransition(RuntimeError):
    """A programming error: the engine tried a move the lifecycle does not allow."""


@dataclass
class RunSummary:
    done: int = 0
    failed: int = 0
    reconcile: int = 0
    canceled: int = 0


class Engine:
    def __init__(self, store: Store, media: MediaStore, providers: ProviderFactory, *, workdir: Path,
                 listener: Listener | None = None, poll_interval: float = 1.0,
                 sleep: Callable[[float], object] = asyncio.sleep) -> None:
        self.store = store
        self.media = media
        self.providers = providers
        self.workdir = workdir
        self.listener = listener
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._semaphores: dict[str, asyncio.Semaphore] = {}

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
                s.add(LedgerRow(job_id=job_id, kind=kind, provider=job.provider, amount=amount, note=note))
            s.add(EventRow(type="job:state", payload={"job": job_id, "shot": job.shot_code, "take": job.take_number,
                                                       "state": dst.value}))
        self._emit(Event("job:state", job_id=job_id, shot=job.shot_code, take=job.take_number, state=dst.value))
        return job

    # -- running -----------------------------------------------------------------------------------------------

    async def run(self, job_ids: Sequence[int]) -> RunSummary:
        summary = RunSummary()
        results = await asyncio.gather(*(self._guarded(j) for j in job_ids))
        for state in results:
            if state == JobState.DONE:
                summary.done += 1
            elif state == JobState.RECONCILE:
                summary.reconcile += 1
            elif state == JobState.CANCELED:
                summary.canceled += 1
            else:
                summary.failed += 1
        return summary

    def _semaphore(self, provider: Provider) -> asyncio.Semaphore:
        if provider.name not in self._semaphores:
            self._semaphores[provider.name] = asyncio.Semaphore(provider.capabilities().max_concurrency)
        return self._semaphores[provider.name]

    async def _guarded(self, job_id: int) -> JobState:
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
        provider = self.providers(job.provider)
        async with self._semaphore(provider):
            try:
                return await self.run_job(job_id, provider)
            except ProviderError as exc:
                return self._fail(job_id, exc)

    def _fail(self, job_id: int, exc: StoryreelError) -> JobState:
        # Previz and providers that do not bill failures: give the reservation back.
        self._move(job_id, JobState.FAILED, error_class=type(exc).__name__, error=str(exc),
                   ledger=("refund", 0.0, type(exc).__name__))
        return JobState.FAILED

    async def run_job(self, job_id: int, provider: Provider) -> JobState:
        with self.store.session() as s:
            job = s.get(JobRow, job_id)
        state = JobState(job.state)
        spec = TakeSpec.model_validate(job.spec)
        caps = provider.capabilities()
        if state in TERMINAL_STATES:
            return state

        # 1. reserve: the estimate is booked before anything is sent.
        if state == JobState.PLANNED:
            est = provider.estimate(spec)
            job = self._move(job_id, JobState.RESERVED, ledger=("reserve", est.amount, est.note))
            state = JobState.RESERVED

        # 2. submit. client_ref was written with the job; "submitting" is on disk before the create call.
        if state == JobState.SUBMITTING:
            if not caps.resubmit_is_free:
                # The create may or may not have reached the provider: asking again could pay twice.
                # (Lookup by client_ref, where a provider offers it, comes with the hosted adapters.)
                self._move(job_id, JobState.RECONCILE, error_class="UnknownSubmitOutcome",
                           error="interrupted while submitting; check the provider console, then retry or cancel")
                return JobState.RECONCILE
        if state in (JobState.RESERVED, JobState.SUBMITTING):
            job = self._move(job_id, JobState.SUBMITTING, attempts=job.attempts + 1)
            handle = await provider.submit(spec, client_ref=job.client_ref)
            # 3. the remote id is what lets us resume without paying again.
            job = self._move(job_id, JobState.SUBMITTED, remote_id=handle.remote_id)
            state = JobState.SUBMITTED
        handle = Handle(remote_id=job.remote_id or "")

        # 4. poll until ready.
        if state in (JobState.SUBMITTED, JobState.RUNNING):
            if state == JobState.SUBMITTED:
                self._move(job_id, JobState.RUNNING)
            while True:
                status = await provider.poll(handle)
                if status.state == "succeeded":
                    break
                if status.state == "failed":
                    raise status.error or ProviderError("the provider reported a failure")
                await self._sleep(self.poll_interval)
            job = self._move(job_id, JobState.DOWNLOADING)

        # 5. download at once, hash and store; 6. the take and the charge land together with "done".
        return await self._download(job, provider, handle, spec)

    async def _download(self, job: JobRow, provider: Provider, handle: Handle, spec: TakeSpec) -> JobState:
        scratch = self.workdir / job.client_ref
        started = time.monotonic()
        result = await provider.fetch(handle, spec, scratch)
        clip_sha = key_sha = None
        clip_ext = None
        if result.clip:
            clip_sha, stored = self.media.add(result.clip)
            clip_ext = stored.suffix.lstrip(".")
        if result.keyframe:
            key_sha, _ = self.media.add(result.keyframe)
        with self.store.session() as s:
            row = s.get(JobRow, job.id)
            if not can_move(JobState(row.state), JobState.DONE):
                raise IllegalTransition(f"job {job.id}: {row.state} → done")
            existing = s.scalars(select(TakeRow).where(TakeRow.job_id == job.id)).first()
            take = existing or TakeRow(
                shot_code=job.shot_code, number=job.take_number, job_id=job.id, provider=job.provider,
                model=job.model, seed=spec.seed, frames=spec.frames, fps=spec.fps, width=spec.width,
                height=spec.height, clip_sha=clip_sha, clip_ext=clip_ext, keyframe_sha=key_sha,
                status="good", prompt=spec.prompt,
            )
            s.add(take)
            row.state = JobState.DONE.value
            s.add(LedgerRow(job_id=job.id, kind="charge", provider=job.provider, amount=result.cost,
                            note=", ".join(f"{k}={v:g}" for k, v in result.usage.items())))
            s.add(EventRow(type="take:new", payload={"shot": job.shot_code, "take": job.take_number}))
        shutil.rmtree(scratch, ignore_errors=True)
        self._emit(Event("take:new", job_id=job.id, shot=job.shot_code, take=job.take_number, state="done",
                         seconds=time.monotonic() - started))
        return JobState.DONE


def pending_jobs(store: Store, *, shots: Sequence[str] | None = None) -> list[int]:
    """Jobs not yet finished, oldest first: what a new ``shoot`` run resumes."""
    with store.session() as s:
        q = select(JobRow.id).where(JobRow.state.not_in([st.value for st in TERMINAL_STATES])).order_by(JobRow.id)
        if shots is not None:
            q = q.where(JobRow.shot_code.in_(list(shots)))
        return list(s.scalars(q))
