"""Every injected fault, end to end: engine + Ark adapter + the loopback Ark fake over real HTTP.

For each fault: the job's final state and error class, how often the create was sent and billed (by the fake's
own accounting), and the ledger. Sleeps are recorded, not slept, so Retry-After and back-off run instantly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.engine import Engine
from storyreel.providers.ark import PRICES
from storyreel.services.film import open_film
from storyreel.services.jobs import resolve_job
from storyreel.services.shoot import open_provider, plan_jobs, resolve_shots
from storyreel.services.shotlist import import_csv
from storyreel.store import JobRow, LedgerRow
from tests.fakes.ark import Fault, make_app
from tests.fakes.server import FakeClock, serve

MODEL = "doubao-seedance-1-0-pro-250528"


@pytest.fixture(scope="module")
def ark():
    clock = FakeClock()
    app, fake = make_app(clock=clock)
    with serve(app) as url:
        yield url, fake


@pytest.fixture
def film(ark, film_dir: Path, monkeypatch):
    url, fake = ark
    fake.reset()
    fake.script = ["queued", "running", "succeeded"]
    monkeypatch.setenv("ARK_API_KEY", "test-key")
    toml = film_dir / "film.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('provider = "previz"', 'provider = "ark"') +
                    f'\n[providers.ark]\nbase_url = "{url}/api/v3"\nmodel = "{MODEL}"\n'
                    f'options = {{ timeout = 1.0 }}\n', encoding="utf-8")
    csv = film_dir / "shots.csv"
    csv.write_text("code,seconds,description\n1A,5,雨夜的渡口\n1B,5,林晓回头\n", encoding="utf-8")
    with open_film(film_dir) as f:
        import_csv(f, csv)
        yield f, fake


def _run(film, *, takes: int = 1, numbers=(1,)) -> tuple[list[int], list[float]]:
    shots = resolve_shots(film, ["1A"])
    provider = open_provider(film, "ark")
    jobs = plan_jobs(film, [(shots[0], n) for n in numbers], provider=provider, model=MODEL, draft=False)
    return jobs, _engine_run(film, jobs)


def _engine_run(film, jobs) -> list[float]:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        await asyncio.sleep(0)

    provider = open_provider(film, "ark")

    async def go():
        try:
            await Engine(film.store, film.media, lambda _: provider, workdir=film.state_dir / "work", sleep=sleep,
                         poll_interval=0).run(jobs)
        finally:
            await provider.aclose()

    asyncio.run(go())
    return slept


def _job(film, job_id: int) -> JobRow:
    with film.store.session() as s:
        return s.get(JobRow, job_id)


def _ledger(film, job_id: int) -> list[tuple[str, float]]:
    with film.store.session() as s:
        return [(r.kind, r.amount) for r in s.scalars(select(LedgerRow).where(LedgerRow.job_id == job_id)
                                                       .order_by(LedgerRow.id))]


def _price_of(tokens: int) -> float:
    return tokens / 1e6 * PRICES["CNY"][MODEL]


def test_clean_run_settles_from_reported_tokens(film) -> None:
    f, fake = film
    (job,), _ = _run(f)
    assert _job(f, job).state == "done"
    assert fake.billable_creates == 1
    kinds = _ledger(f, job)
    assert [k for k, _ in kinds] == ["reserve", "charge"]
    assert kinds[1][1] == pytest.approx(_price_of(fake.tokens_billed))


@pytest.mark.parametrize(("fault", "slept"), [
    (Fault(op="create", status=429, code="RateLimitExceeded.EndpointRPM", retry_after="3"), [3.0]),
    (Fault(op="create", status=429, code="RateLimitExceeded.EndpointRPM"), None),  # back-off, no header
    (Fault(op="create", status=500, code="InternalServiceError"), None),
    (Fault(op="create", status=503, code="ServerOverloaded", retry_after="1"), [1.0]),
    (Fault(op="create", kind="reset"), "reconcile"),  # dropped before acceptance: outcome still unknown to us
])
def test_refused_creates_retry_and_bill_once(film, fault, slept) -> None:
    f, fake = film
    fake.inject(fault)
    (job,), sleeps = _run(f)
    row = _job(f, job)
    if slept == "reconcile":
        assert row.state == "reconcile" and row.error_class == "SubmitOutcomeUnknown"
        assert fake.billable_creates == 0
        resolve_job(f, job, not_created=True)  # the console shows nothing: safe to send
        _engine_run(f, [job])
        assert _job(f, job).state == "done" and fake.billable_creates == 1
        return
    assert row.state == "done" and row.attempts == 2
    assert fake.billable_creates == 1
    if slept:
        assert sleeps[: len(slept)] == slept
    assert [k for k, _ in _ledger(f, job)] == ["reserve", "charge"]


def test_accepted_but_lost_create_is_reconciled_and_resolved_by_remote_id(film) -> None:
    f, fake = film
    fake.inject(Fault(op="create", kind="delay", delay=2.5))  # accepted and billed, answered after our timeout
    (job,), _ = _run(f)
    assert _job(f, job).state == "reconcile"
    assert fake.billable_creates == 1
    (task_id,) = fake.tasks  # what the director sees in the Ark console
    resolve_job(f, job, remote_id=task_id)
    _engine_run(f, [job])
    assert _job(f, job).state == "done" and fake.billable_creates == 1  # never paid twice
    assert [k for k, _ in _ledger(f, job)] == ["reserve", "charge"]


def test_concurrency_limit_waits_for_a_slot(film) -> None:
    f, fake = film
    fake.max_active_tasks = 1
    jobs, sleeps = _run(f, numbers=(1, 2, 3))
    assert [_job(f, j).state for j in jobs] == ["done"] * 3
    assert fake.billable_creates == 3 and sleeps


@pytest.mark.parametrize(("fault", "cls"), [
    (Fault(op="create", status=400, code="InputTextSensitiveContentDetected"), "InputModerated"),
    (Fault(op="create", status=401, code="AuthenticationError"), "AuthFailed"),
    (Fault(op="create", status=403, code="AccountOverdueError"), "QuotaExhausted"),
    (Fault(op="create", kind="ok_error", code="InvalidParameter", status=400), "InvalidInput"),
])
def test_refusals_that_must_not_retry(film, fault, cls) -> None:
    f, fake = film
    fake.inject(fault)
    (job,), _ = _run(f)
    row = _job(f, job)
    assert (row.state, row.error_class, row.attempts) == ("failed", cls, 1)
    assert fake.billable_creates == 0
    assert [k for k, _ in _ledger(f, job)] == ["reserve", "refund"]


def test_output_moderation_fails_without_charge(film) -> None:
    f, fake = film
    fake.script = ["queued", "running", "failed"]
    (job,), _ = _run(f)
    row = _job(f, job)
    assert (row.state, row.error_class) == ("failed", "OutputModerated")
    assert fake.tokens_billed == 0 and [k for k, _ in _ledger(f, job)] == ["reserve", "refund"]


def test_poll_errors_and_truncated_downloads_are_retried(film) -> None:
    f, fake = film
    fake.inject(Fault(op="query", status=503, code="ServiceUnavailable", times=2))
    fake.truncate_downloads = 1
    (job,), sleeps = _run(f)
    assert _job(f, job).state == "done" and len(sleeps) >= 3
    take = f.media.path_for(*_take_files(f, job))
    assert take.read_bytes().startswith(b"\x00\x00\x00\x18ftyp")  # the whole file, not the cut-short one


def _take_files(f, job: int) -> tuple[str, str]:
    from storyreel.store import TakeRow

    with f.store.session() as s:
        t = s.scalars(select(TakeRow).where(TakeRow.job_id == job)).one()
        return t.clip_sha, t.clip_ext


def test_expired_result_fails_and_stays_charged(film) -> None:
    f, fake = film
    fake.url_ttl = -1  # dead on arrival: the take was made and billed, but cannot be fetched
    (job,), _ = _run(f)
    row = _job(f, job)
    assert (row.state, row.error_class) == ("failed", "ResultExpired")
    assert [k for k, _ in _ledger(f, job)] == ["reserve", "charge"]
