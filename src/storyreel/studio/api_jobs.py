"""Jobs, the ledger and studio tasks in the API. Routes go on ``api.router``; rules live in services.jobs and
services.ledger.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Request

from storyreel.errors import FilmError
from storyreel.services import jobs as job_service
from storyreel.services.ledger import ledger_report, spend_series
from storyreel.studio.api import film_of, router, task_out, tasks_of
from storyreel.studio.schemas import JobOut, JobsOut, LedgerOut, SpendPoint, TaskOut

JOB_ID = Annotated[int, PathParam(ge=1, le=2**62)]


class TaskNotFound(FilmError):
    pass


def job_out(j: job_service.JobInfo) -> JobOut:
    return JobOut(id=j.id, take=j.take, provider=j.provider, model=j.model, state=j.state, error_class=j.error_class,
                  error=j.error, attempts=j.attempts, remote_id=j.remote_id, updated_at=j.updated_at.isoformat())


@router.get("/jobs", response_model=JobsOut, tags=["jobs"])
def get_jobs(request: Request) -> JobsOut:
    """Every job with its state, and failures with their error class (newest last)."""
    jobs = job_service.list_jobs(film_of(request))
    return JobsOut(jobs=[job_out(j) for j in jobs], counts=dict(Counter(j.state for j in jobs)))


@router.post("/jobs/{job_id}/retry", response_model=JobOut, tags=["jobs"])
def retry(job_id: JOB_ID, request: Request) -> JobOut:
    """A failed or canceled job goes back to planned; the next shoot or re-roll of its shot sends it again."""
    return job_out(job_service.retry_job(film_of(request), job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, tags=["jobs"])
def cancel(job_id: JOB_ID, request: Request) -> JobOut:
    return job_out(job_service.cancel_job(film_of(request), job_id))


@router.get("/ledger", response_model=LedgerOut, tags=["jobs"])
def get_ledger(request: Request) -> LedgerOut:
    """Spend by shot and provider, over time, the usage ratio and the cost per used second."""
    film = film_of(request)
    r = ledger_report(film)
    series = [SpendPoint(at=c.at, provider=c.provider, shot=c.shot, amount=c.amount, total=c.total)
              for c in spend_series(film)]
    return LedgerOut(spent=r.spent, reserved=r.reserved, currency=r.currency, unconverted=r.unconverted,
                     by_shot=r.by_shot,
                     by_provider=r.by_provider, generated_seconds=round(r.generated_seconds, 3),
                     used_seconds=round(r.used_seconds, 3), takes=r.takes, usage_ratio=r.usage_ratio,
                     cost_per_used_second=r.cost_per_used_second, series=series)


@router.get("/tasks", response_model=list[TaskOut], tags=["tasks"])
def list_tasks(request: Request) -> list[TaskOut]:
    """The studio's background tasks since launch (re-roll, upgrade, render)."""
    return [task_out(t) for t in tasks_of(request).list()]


@router.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
def get_task(task_id: Annotated[str, PathParam(max_length=32)], request: Request) -> TaskOut:
    task = tasks_of(request).get(task_id)
    if task is None:
        raise TaskNotFound(f"No task {task_id} in this studio session.", zh=f"本次工作室会话中没有任务 {task_id}。")
    return task_out(task)
