"""Shooting with a hosted provider (the Ark fake over loopback HTTP): bad input costs nothing, dry runs send
nothing, drafts upgrade to linked finals, budgets stop cleanly, and the ledger reports the figures directors quote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.errors import BudgetExceeded, InvalidInput
from storyreel.providers.ark import PRICES
from storyreel.services.film import open_film
from storyreel.services.jobs import cancel_job, list_jobs, retry_job
from storyreel.services.ledger import ledger_report
from storyreel.services.review import list_takes, select_take
from storyreel.services.shoot import shoot, upgrade_take
from storyreel.services.shotlist import import_csv
from storyreel.store import JobRow, TakeRow
from tests.cli.test_bad_input import assert_clean_failure

PRO = "doubao-seedance-1-0-pro-250528"


@pytest.fixture
def hosted(ark, film_dir: Path, monkeypatch):
    url, fake = ark
    fake.reset()
    fake.script = ["queued", "succeeded"]
    monkeypatch.setenv("ARK_API_KEY", "test-key")
    toml = film_dir / "film.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('provider = "previz"', 'provider = "ark"') +
                    f'\n[providers.ark]\nbase_url = "{url}/api/v3"\nmodel = "{PRO}"\npoll_interval = 0.01\n',
                    encoding="utf-8")
    (film_dir / "shots.csv").write_text("code,seconds,description\n1A,5,雨夜的渡口\n1B,4,林晓回头\n",
                                        encoding="utf-8")
    with open_film(film_dir) as f:
        import_csv(f, film_dir / "shots.csv")
    return film_dir, fake


def _cli(film_dir: Path, *args: str, **env: str):
    return subprocess.run([sys.executable, "-m", "storyreel", *args], cwd=film_dir, capture_output=True, text=True,
                          env={**os.environ, "STORYREEL_LANG": "en", **env}, timeout=120)


def test_dry_run_prints_the_estimate_and_sends_nothing(hosted) -> None:
    film_dir, fake = hosted
    proc = _cli(film_dir, "shoot", "--takes", "3", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    with open_film(film_dir) as f:
        report = shoot(f, takes=3, dry_run=True)
        assert list_jobs(f) == []
    # 1A: 5 s, 1B: 4 s; the 1280x720 film maps to Seedance's 720p 16:9 (1248x704), 24 fps, per million tokens.
    each = [1248 * 704 * 24 * d / 1024 / 1e6 * PRICES["CNY"][PRO] for d in (5, 4)]
    assert [e.each for e in report.estimates] == pytest.approx(each)
    assert report.estimated_total == pytest.approx(3 * sum(each))
    assert f"{report.estimated_total:.2f}" in proc.stdout
    assert fake.received == []


@pytest.mark.parametrize(("args", "env", "message"), [
    (("shoot",), {"ARK_API_KEY": ""}, "No API key for ark: set ARK_API_KEY"),
    (("shoot", "--model", "seedance-9"), {}, "seedance-9"),
])
def test_bad_provider_input_fails_before_anything_is_sent(hosted, args, env, message) -> None:
    film_dir, fake = hosted
    proc = _cli(film_dir, *args, **env)
    assert_clean_failure(proc, message)
    assert fake.received == []
    with open_film(film_dir) as f:
        assert list_jobs(f) == []


def test_wrong_key_is_refused_once_and_stops_the_provider(hosted, monkeypatch) -> None:
    film_dir, fake = hosted
    monkeypatch.setenv("ARK_API_KEY", "wrong")
    with open_film(film_dir) as f:
        report = shoot(f, takes=2)
    assert report.summary.failed >= 1 and report.summary.done == 0
    assert fake.billable_creates == 0
    with open_film(film_dir) as f:
        failed = [j for j in list_jobs(f) if j.state == "failed"]
    assert {j.error_class for j in failed} == {"AuthFailed"}


def test_oversized_or_mislabelled_input_image_is_refused_before_paying(hosted, tmp_path: Path) -> None:
    from storyreel.model import TakeSpec
    from storyreel.providers import ProviderSettings, get_provider

    film_dir, fake = hosted
    fake_png = tmp_path / "frame.png"
    fake_png.write_bytes(b"GIF89a" + b"\0" * 100)  # a GIF wearing a .png name
    provider = get_provider("ark", workdir=tmp_path, settings=ProviderSettings(base_url="http://127.0.0.1:9"))
    spec = TakeSpec(prompt="x", seed=1, frames=120, fps=24, width=1280, height=720, model=PRO,
                    first_frame=str(fake_png))
    with pytest.raises(InvalidInput):
        provider.check(spec)


def test_exhausted_budget_is_one_clear_message_and_nothing_sent(hosted) -> None:
    film_dir, fake = hosted
    toml = film_dir / "film.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('[film]\n', '[film]\nbudget = 2.0\n', 1),
                    encoding="utf-8")
    with open_film(film_dir) as f:
        first = shoot(f, takes=1, shots=["1B"])  # one 4 s take fits
        assert first.summary.done == 1
    proc = _cli(film_dir, "shoot", "--takes", "3")
    assert_clean_failure(proc, "budget is used up")
    assert fake.billable_creates == 1
    with pytest.raises(BudgetExceeded), open_film(film_dir) as f:
        shoot(f, takes=3)


def test_command_budget_stops_the_queue_cleanly(hosted) -> None:
    film_dir, fake = hosted
    each = 1248 * 704 * 24 * 5 / 1024 / 1e6 * PRICES["CNY"][PRO]
    with open_film(film_dir) as f:
        report = shoot(f, takes=4, shots=["1A"], budget=each * 2.5)
        assert report.summary.done == 2 and report.summary.not_started == 2
        assert "budget" in report.summary.stopped_by[0]
        assert sorted(j.state for j in list_jobs(f)) == ["done", "done", "planned", "planned"]
    assert fake.billable_creates == 2


def test_draft_then_upgrade_links_the_final_take(hosted) -> None:
    film_dir, fake = hosted
    with open_film(film_dir) as f:
        shoot(f, takes=1, shots=["1A"], draft=True)
        draft_body = fake.tasks[next(iter(fake.tasks))].body
        assert "lite" in draft_body["model"] and "--rs 480p" in draft_body["content"][0]["text"]
        report = upgrade_take(f, "1A", 1, poll_interval=0.01)
        assert report.summary.done == 1
        takes = list_takes(f, "1A")
        assert [t.number for t in takes] == [1, 2]
        with f.store.session() as s:
            draft, final = s.scalars(select(TakeRow).order_by(TakeRow.number)).all()
            assert draft.draft and not final.draft and final.parent_take == draft.id and final.seed == draft.seed
        final_body = [t.body for t in fake.tasks.values()][-1]
        assert final_body["model"] == PRO and "--rs 720p" in final_body["content"][0]["text"]


def test_ledger_reports_usage_ratio_and_cost_per_used_second(hosted) -> None:
    film_dir, fake = hosted
    with open_film(film_dir) as f:
        shoot(f, takes=4)  # 8 takes: 4×5 s + 4×4 s = 36 s generated
        select_take(f, "1A", 2)
        r = ledger_report(f)
        assert r.generated_seconds == pytest.approx(36.0)
        assert r.used_seconds == pytest.approx(9.0)
        assert r.usage_ratio == pytest.approx(0.25)
        assert r.spent == pytest.approx(fake.tokens_billed / 1e6 * PRICES["CNY"][PRO])
        assert r.cost_per_used_second == pytest.approx(r.spent / 9.0)
        assert set(r.by_shot) == {"1A", "1B"} and set(r.by_provider) == {"ark"}
    proc = _cli(film_dir, "ledger")
    assert proc.returncode == 0 and "25%" in proc.stdout


def test_retry_and_cancel_are_the_directors_moves(hosted) -> None:
    film_dir, fake = hosted
    fake.script = ["queued", "failed"]
    with open_film(film_dir) as f:
        shoot(f, takes=1, shots=["1A"])
        (job,) = list_jobs(f)
        assert (job.state, job.error_class) == ("failed", "OutputModerated")
        fake.script = ["queued", "succeeded"]
        retry_job(f, job.id)
        shoot(f, takes=1, shots=["1A"])
        assert [j.state for j in list_jobs(f)] == ["done"]
        with f.store.session() as s:
            s.add(JobRow(shot_code="1B", take_number=9, provider="ark", lane="video", state="planned", spec={},
                         client_ref="c" * 32, attempts=0))
        planned = next(j for j in list_jobs(f) if j.state == "planned")
        assert cancel_job(f, planned.id).state == "canceled"
    listing = _cli(film_dir, "jobs", "--all")
    assert "OutputModerated" not in listing.stdout and "canceled" in listing.stdout


def test_providers_lists_models_and_key_state(hosted) -> None:
    film_dir, _ = hosted
    proc = _cli(film_dir, "providers", ARK_API_KEY="k", COLUMNS="300")
    assert proc.returncode == 0
    for word in ("ark", "jimeng", "pixverse", "previz", "seedance", "set (ARK_API_KEY)"):
        assert word in proc.stdout.replace("\n", " ") or word in proc.stdout, word
