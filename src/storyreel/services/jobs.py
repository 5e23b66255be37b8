"""The job queue as the director sees it: what is waiting, what failed and why, and the moves only a person may
make — retry a failed job, cancel one, or resolve one parked in ``reconcile`` after checking the provider's
console (``resolve --remote-id`` when the task exists there, ``--not-created`` when it does not).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storyreel.errors import FilmError, StoryreelError
from storyreel.model import JobState, can_move
from storyreel.providers.base import Handle
from storyreel.services.film import Film
from storyreel.store import EventRow, JobRow, LedgerRow


class JobNotFound(FilmError):
    pass


@dataclass(frozen=True)
class JobInfo:
    id: int
    take: str  # 3A-t004
    provider: str
    model: str | None
    state: str
    error_class: str | None
    error: str | None
    attempts: int
    remote_id: str | None
    updated_at: datetime


def list_jobs(film: Film, *, states: set[str] | None = None) -> list[JobInfo]:
    with film.store.session() as s:
        q = select(JobRow).order_by(JobRow.id)
        if states:
            q = q.where(JobRow.state.in_(sorted(states)))
        return [JobInfo(j.id, f"{j.shot_code}-t{j.take_number:03d}", j.provider, j.model, j.state, j.error_class,
                        j.error, j.attempts, j.remote_id, j.updated_at) for j in s.scalars(q)]


def _user_move(film: Film, job_id: int, dst: JobState, *, ledger: tuple[str, float] | None = None,
               **fields: object) -> JobInfo:
    with film.store.session() as s:
        job = s.get(JobRow, job_id)
        if job is None:
            raise JobNotFound(f"No job {job_id}. See: storyreel jobs", zh=f"没有任务 {job_id}。查看：storyreel jobs")
        src = JobState(job.state)
        if not can_move(src, dst, by_user=True):
            raise StoryreelError(f"Job {job_id} is {src.value}; it cannot be moved to {dst.value}.",
                                 zh=f"任务 {job_id} 当前为 {src.value}，不能改为 {dst.value}。")
        job.state = dst.value
        for k, v in fields.items():
            setattr(job, k, v)
        if ledger:
            s.add(LedgerRow(job_id=job.id, kind=ledger[0], provider=job.provider, shot_code=job.shot_code,
                            amount=ledger[1], note="by the director"))
        s.add(EventRow(type="job:state", payload={"job": job.id, "state": dst.value, "by": "user"}))
    return next(j for j in list_jobs(film) if j.id == job_id)


def retry_job(film: Film, job_id: int) -> JobInfo:
    """A failed or canceled job goes back to planned; the next ``shoot`` reserves and sends it again."""
    return _user_move(film, job_id, JobState.PLANNED, error_class=None, error=None, remote_id=None, remote_data={},
                      next_try_at=None)


def resolve_job(film: Film, job_id: int, *, remote_id: str | None = None, not_created: bool = False) -> JobInfo:
    """Settle a ``reconcile`` job from what the provider's console shows."""
    if bool(remote_id) == not_created:
        raise StoryreelError("Say either --remote-id ID (the task exists) or --not-created (it does not).",
                             zh="请指定 --remote-id ID（任务存在）或 --not-created（任务不存在）之一。")
    if remote_id:
        return _user_move(film, job_id, JobState.SUBMITTED, remote_id=remote_id, error_class=None, error=None)
    return _user_move(film, job_id, JobState.RESERVED, error_class=None, error=None)


def cancel_job(film: Film, job_id: int) -> JobInfo:
    """Cancel a job; one already at the provider is cancelled there first where the provider allows it."""
    from storyreel.services.shoot import open_provider

    with film.store.session() as s:
        job = s.get(JobRow, job_id)
        if job is None:
            raise JobNotFound(f"No job {job_id}. See: storyreel jobs", zh=f"没有任务 {job_id}。查看：storyreel jobs")
        state, provider_name, remote = JobState(job.state), job.provider, job.remote_id
        data, estimate = dict(job.remote_data or {}), job.estimate
    if state in (JobState.SUBMITTED, JobState.RUNNING):
        provider = open_provider(film, provider_name)
        if not provider.capabilities().can_cancel:
            raise StoryreelError(f"{provider_name} cannot cancel a running task; it will finish and be kept.",
                                 zh=f"{provider_name} 不支持取消进行中的任务；它会完成并被保留。")

        async def go() -> None:
            try:
                await provider.cancel(Handle(remote_id=remote or "", data=data))
            finally:
                await provider.aclose()

        asyncio.run(go())
    refund = ("refund", estimate) if state in (JobState.RESERVED, JobState.SUBMITTED, JobState.RUNNING,
                                               JobState.RECONCILE) else None
    return _user_move(film, job_id, JobState.CANCELED, ledger=refund)
