"""The engine's state transitions, driven by a scripted in-process provider (the fake is scripted, not the engine)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.engine import Engine, IllegalTransition
from storyreel.errors import (
    InvalidInput,
    QuotaExhausted,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.model import JobState, Lane, TakeSpec, can_move
from storyreel.providers.base import Capabilities, Estimate, Handle, Result, Status
from storyreel.store import JobRow, LedgerRow, MediaStore, Store, TakeRow


@dataclass
class ScriptedProvider:
    """Accepts a create, answers 'running' ``running_polls`` times, then succeeds with a small clip."""

    name: str = "scripted"
    running_polls: int = 2
    free_resubmit: bool = False
    fail_with: Exception | None = None
    price: float = 1.5
    submit_errors: list[Exception] = field(default_factory=list)  # raised by successive submits, then success
    fetch_errors: list[Exception] = field(default_factory=list)
    lookup_finds: bool | None = None  # None: no lookup capability
    charges_failed: bool = False
    concurrency: int = 2
    submits: list[str] = field(default_factory=list)
    polls: list[str] = field(default_factory=list)
    fetches: int = 0

    def capabilities(self) -> Capabilities:
        return Capabilities(lanes=frozenset({Lane.VIDEO}), max_concurrency=self.concurrency, resubmit_is_free=self.free_resubmit,
                            can_lookup_by_client_ref=self.lookup_finds is not None,
                            charges_failed_jobs=self.charges_failed)

    def estimate(self, spec: TakeSpec) -> Estimate:
        return Estimate(self.price)

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle:
        self.submits.append(client_ref)
        if self.submit_errors:
            raise self.submit_errors.pop(0)
        return Handle(remote_id=f"remote-{client_ref[:8]}", data={"k": "v"})

    async def poll(self, handle: Handle) -> Status:
        self.polls.append(handle.remote_id)
        if self.fail_with is not None:
            return Status(state="failed", error=self.fail_with)
        if self.polls.count(handle.remote_id) <= self.running_polls:
            return Status(state="running")
        return Status(state="succeeded")

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result:
        self.fetches += 1
        if self.fetch_errors:
            raise self.fetch_errors.pop(0)
        dest.mkdir(parents=True, exist_ok=True)
        clip = dest / "clip.mp4"
        clip.write_bytes(f"clip of {handle.remote_id}".encode())
        return Result(clip=clip, keyframe=None, cost=self.price * 0.8, usage={"tokens": 1000})

    async def cancel(self, handle: Handle) -> None:
        return None

    def check(self, spec: TakeSpec) -> None:
        return None

    async def lookup(self, client_ref: str) -> Handle | None:
        return Handle(remote_id="found-" + client_ref[:8]) if self.lookup_finds else None

    async def aclose(self) -> None:
        return None


SLEPT: list[float] = []


async def _no_sleep(seconds: float) -> None:
    SLEPT.append(seconds)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db")


def _job(store: Store, *, state: str = "planned", remote_id: str | None = None, number: int = 1) -> int:
    spec = TakeSpec(prompt="p", seed=7, frames=12, fps=12, width=64, height=64)
    with store.session() as s:
        job = JobRow(shot_code="1A", take_number=number, provider="scripted", lane="video", state=state,
                     spec=spec.model_dump(mode="json", by_alias=True), client_ref=uuid.uuid4().hex,
                     remote_id=remote_id, attempts=0)
        s.add(job)
        s.flush()
        return job.id


def _engine(store: Store, tmp_path: Path, provider: ScriptedProvider, events: list, **kw) -> Engine:
    SLEPT.clear()
    return Engine(store, MediaStore(tmp_path / "media"), lambda name: provider, workdir=tmp_path / "work",
                  listener=events.append, sleep=_no_sleep, **kw)


def test_a_job_walks_the_whole_lifecycle_in_order(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(), []
    job_id = _job(store)
    summary = asyncio.run(_engine(store, tmp_path, provider, events).run([job_id]))
    assert summary.done == 1
    states = [e.state for e in events if e.type == "job:state"]
    assert states == ["reserved", "submitting", "submitted", "running", "downloading"]
    assert events[-1].type == "take:new"
    assert len(provider.submits) == 1 and len(provider.polls) == 3
    with store.session() as s:
        job = s.get(JobRow, job_id)
        assert job.state == "done" and job.remote_id.startswith("remote-")
        take = s.scalars(select(TakeRow)).one()
        assert (take.shot_code, take.number, take.seed) == ("1A", 1, 7)
        ledger = [(r.kind, r.amount) for r in s.scalars(select(LedgerRow).order_by(LedgerRow.id))]
    assert ledger == [("reserve", 1.5), ("charge", pytest.approx(1.2))]
    stored = MediaStore(tmp_path / "media").path_for(take.clip_sha, take.clip_ext)
    assert stored.read_bytes().startswith(b"clip of remote-")


def test_interrupted_submit_is_parked_for_reconcile_not_resubmitted(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(free_resubmit=False), []
    job_id = _job(store, state="submitting")
    summary = asyncio.run(_engine(store, tmp_path, provider, events).run([job_id]))
    assert summary.reconcile == 1
    assert provider.submits == []  # never paid twice
    with store.session() as s:
        job = s.get(JobRow, job_id)
        assert job.state == "reconcile" and job.error_class == "SubmitOutcomeUnknown"
        assert s.scalars(select(TakeRow)).all() == []


def test_interrupted_submit_is_resent_when_the_provider_says_it_is_free(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(free_resubmit=True), []
    job_id = _job(store, state="submitting")
    assert asyncio.run(_engine(store, tmp_path, provider, events).run([job_id])).done == 1
    assert len(provider.submits) == 1


@pytest.mark.parametrize("state", ["submitted", "running"])
def test_resume_after_submit_polls_by_remote_id_without_submitting(store: Store, tmp_path: Path, state: str) -> None:
    provider, events = ScriptedProvider(running_polls=0), []
    job_id = _job(store, state=state, remote_id="remote-abc")
    assert asyncio.run(_engine(store, tmp_path, provider, events).run([job_id])).done == 1
    assert provider.submits == []
    assert provider.polls == ["remote-abc"]


def test_resume_in_downloading_fetches_again(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(), []
    job_id = _job(store, state="downloading", remote_id="remote-xyz")
    assert asyncio.run(_engine(store, tmp_path, provider, events).run([job_id])).done == 1
    assert provider.submits == [] and provider.polls == [] and provider.fetches == 1


def test_provider_failure_is_classified_and_refunded(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(fail_with=InvalidInput("prompt rejected")), []
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, events).run([job_id])).failed == 1
    with store.session() as s:
        job = s.get(JobRow, job_id)
        assert (job.state, job.error_class, job.error) == ("failed", "InvalidInput", "prompt rejected")
        kinds = [r.kind for r in s.scalars(select(LedgerRow).order_by(LedgerRow.id))]
    assert kinds == ["reserve", "refund"]


def test_done_jobs_are_left_alone(store: Store, tmp_path: Path) -> None:
    provider, events = ScriptedProvider(), []
    job_id = _job(store)
    engine = _engine(store, tmp_path, provider, events)
    asyncio.run(engine.run([job_id]))
    asyncio.run(engine.run([job_id]))
    assert len(provider.submits) == 1 and provider.fetches == 1


def test_illegal_transition_is_refused(store: Store, tmp_path: Path) -> None:
    engine = _engine(store, tmp_path, ScriptedProvider(), [])
    job_id = _job(store, state="done")
    with pytest.raises(IllegalTransition):
        engine._move(job_id, JobState.SUBMITTING)


def test_lifecycle_table_matches_the_design() -> None:
    # Every state before "done" can fail; nothing leaves a terminal state; reconcile never re-submits.
    for st in JobState:
        if st in (JobState.DONE, JobState.FAILED, JobState.CANCELED):
            assert not any(can_move(st, other) for other in JobState)
    assert not can_move(JobState.RECONCILE, JobState.SUBMITTING)
    assert not can_move(JobState.FAILED, JobState.PLANNED) and can_move(JobState.FAILED, JobState.PLANNED, by_user=True)
    assert not can_move(JobState.PLANNED, JobState.SUBMITTED)
    assert can_move(JobState.SUBMITTING, JobState.RECONCILE)


def _ledger(store: Store) -> list[tuple[int, str, float]]:
    with store.session() as s:
        return [(r.job_id, r.kind, r.amount) for r in s.scalars(select(LedgerRow).order_by(LedgerRow.id))]


def test_refused_create_is_retried_after_retry_after_and_paid_once(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[RateLimited("429", retry_after=7.0), TransientFailure("503")])
    events: list = []
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, events).run([job_id])).done == 1
    assert len(provider.submits) == 3 and SLEPT[0] == 7.0  # Retry-After honoured, then back-off
    states = [e.state for e in events if e.type == "job:state"]
    assert states[:6] == ["reserved", "submitting", "reserved", "submitting", "reserved", "submitting"]
    assert [k for _, k, _ in _ledger(store)] == ["reserve", "charge"]


def test_unknown_submit_outcome_is_reconciled_never_resent(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[SubmitOutcomeUnknown("read timeout after create")])
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).reconcile == 1
    assert len(provider.submits) == 1
    with store.session() as s:
        job = s.get(JobRow, job_id)
        assert job.state == "reconcile" and "read timeout" in job.error
    assert [k for _, k, _ in _ledger(store)] == ["reserve"]  # held until the director resolves it


def test_unknown_outcome_is_looked_up_by_client_ref_when_the_provider_can(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[SubmitOutcomeUnknown("reset")], lookup_finds=True)
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).done == 1
    assert len(provider.submits) == 1
    with store.session() as s:
        assert s.get(JobRow, job_id).remote_id.startswith("found-")


def test_film_budget_stops_the_queue_cleanly(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(price=2.0)  # estimate 2.0, charge 1.6
    jobs = [_job(store, number=n) for n in (1, 2, 3, 4)]
    summary = asyncio.run(_engine(store, tmp_path, provider, [], film_budget=5.0).run(jobs))
    assert summary.done == 2 and summary.not_started == 2 and "budget" in summary.stopped_by[0]
    with store.session() as s:
        states = sorted(s.get(JobRow, j).state for j in jobs)
    assert states == ["done", "done", "planned", "planned"]  # untouched, ready for a later run
    assert len(provider.submits) == 2


def test_command_budget_counts_only_this_run(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(price=2.0)
    first = _job(store, number=1)
    asyncio.run(_engine(store, tmp_path, provider, []).run([first]))
    more = [_job(store, number=n) for n in (2, 3)]
    summary = asyncio.run(_engine(store, tmp_path, provider, [], run_budget=2.0).run(more))
    assert summary.done == 1 and summary.not_started == 1


def test_quota_exhausted_stops_the_provider(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[QuotaExhausted("balance"), QuotaExhausted("balance")], concurrency=1)
    jobs = [_job(store, number=n) for n in (1, 2, 3)]
    engine = _engine(store, tmp_path, provider, [])
    summary = asyncio.run(engine.run(jobs))
    assert summary.failed == 1 and summary.not_started == 2
    assert len(provider.submits) == 1


def test_truncated_download_is_retried_and_expired_result_fails_charged(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(fetch_errors=[TransientFailure("cut short")])
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).done == 1
    assert provider.fetches == 2

    provider = ScriptedProvider(fetch_errors=[ResultExpired("404")])
    job_id = _job(store, number=2)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).failed == 1
    with store.session() as s:
        assert s.get(JobRow, job_id).error_class == "ResultExpired"
    assert [k for j, k, _ in _ledger(store) if j == job_id] == ["reserve", "charge"]


def test_unknown_outcome_on_a_free_provider_is_simply_sent_again(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[SubmitOutcomeUnknown("reset")], free_resubmit=True)
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).done == 1
    assert len(provider.submits) == 2
    with store.session() as s:
        assert s.get(JobRow, job_id).remote_id.startswith("remote-")


def test_lookup_that_finds_nothing_sends_again(store: Store, tmp_path: Path) -> None:
    provider = ScriptedProvider(submit_errors=[SubmitOutcomeUnknown("reset")], lookup_finds=False)
    job_id = _job(store)
    assert asyncio.run(_engine(store, tmp_path, provider, []).run([job_id])).done == 1
    assert len(provider.submits) == 2
