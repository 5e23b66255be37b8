"""Budgets are in the film's currency; providers bill in their own (PixVerse in credits). Credits are converted with
film.toml's ``[rates]`` — never counted as yuan — and a budget that would need a missing rate stops before paying.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.engine import committed_spend
from storyreel.model import Exchange, FilmConfig, MissingRate
from storyreel.services.film import open_film
from storyreel.services.ledger import ledger_report, spend_series
from storyreel.services.shoot import shoot
from storyreel.services.shotlist import import_csv
from storyreel.store import LedgerRow
from tests.cli.test_bad_input import assert_clean_failure
from tests.fakes.pixverse import API, PixVerseFake
from tests.fakes.server import serve
from tests.services.test_hosted_shoot import _cli


@pytest.fixture
def pixverse(film_dir: Path, monkeypatch):
    fake = PixVerseFake()
    monkeypatch.setenv("PIXVERSE_API_KEY", fake.api_key)
    monkeypatch.delenv("STORYREEL_PIXVERSE_BASE_URL", raising=False)
    with serve(fake.app) as url:
        toml = film_dir / "film.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('provider = "previz"', 'provider = "pixverse"') +
                        f'\n[providers.pixverse]\nbase_url = "{url}{API}"\npoll_interval = 0.01\n', encoding="utf-8")
        (film_dir / "shots.csv").write_text("code,seconds,description\n1A,5,雨夜的渡口\n", encoding="utf-8")
        with open_film(film_dir) as f:
            import_csv(f, film_dir / "shots.csv")
        yield film_dir, fake


def _set_film(film_dir: Path, lines: str, rates: str = "") -> None:
    toml = film_dir / "film.toml"
    text = toml.read_text(encoding="utf-8").replace("[film]\n", f"[film]\n{lines}\n", 1)
    toml.write_text(text + (f"\n[rates]\n{rates}\n" if rates else ""), encoding="utf-8")


def test_exchange_converts_and_refuses_a_missing_rate() -> None:
    money = FilmConfig(title="t", currency="CNY", rates={"credits": 0.05}).exchange
    assert money.convert(200, "credits") == pytest.approx(10.0)
    assert money.convert(3.5, "CNY") == 3.5
    with pytest.raises(MissingRate, match=r"\[rates\] USD"):
        money.convert(1.0, "USD")
    with pytest.raises(ValueError, match="must be > 0"):
        FilmConfig(title="t", rates={"credits": 0})


def test_ledger_rows_carry_the_providers_unit_and_the_report_keeps_credits_apart(pixverse) -> None:
    film_dir, fake = pixverse
    with open_film(film_dir) as f:
        assert shoot(f, takes=2).summary.done == 2
        with f.store.session() as s:
            units = set(s.scalars(select(LedgerRow.currency)))
        assert units == {"credits"}
        report = ledger_report(f)
    # No rate: the credits are reported in credits, and nothing is added to the yuan total.
    assert report.spent == 0.0 and report.unconverted == {"credits": pytest.approx(fake.credits_charged)}
    _set_film(film_dir, "", rates="credits = 0.05")
    with open_film(film_dir) as f:
        report = ledger_report(f)
        assert report.unconverted == {}
        assert report.spent == pytest.approx(fake.credits_charged * 0.05)
        assert spend_series(f)[-1].total == pytest.approx(report.spent)
        assert committed_spend(f.store, exchange=f.config.exchange) == pytest.approx(report.spent)


def test_a_budget_without_a_rate_for_credits_stops_before_anything_is_sent(pixverse) -> None:
    film_dir, fake = pixverse
    _set_film(film_dir, "budget = 100")
    proc = _cli(film_dir, "shoot", "--takes", "2")
    assert_clean_failure(proc, "[rates] credits")
    assert fake.billable_creates == 0
    with open_film(film_dir) as f, pytest.raises(MissingRate):
        shoot(f, takes=2)
    assert fake.billable_creates == 0


def test_a_budget_in_yuan_stops_a_credit_shoot_at_the_converted_amount(pixverse) -> None:
    film_dir, fake = pixverse
    with open_film(film_dir) as f:
        each = shoot(f, takes=1, dry_run=True).estimates[0].each  # credits per take
    rate = 0.05
    # Room for exactly two takes in yuan: the third must not be sent.
    _set_film(film_dir, f"budget = {each * rate * 2.5}", rates=f"credits = {rate}")
    with open_film(film_dir) as f:
        report = shoot(f, takes=4)
        assert report.summary.done == 2 and report.summary.not_started == 2
        assert committed_spend(f.store, exchange=f.config.exchange) <= each * rate * 2.5 + 1e-9
    assert fake.billable_creates == 2
    # Counted as yuan, 2 takes of credits would already be far past a budget of this size.
    assert each * 2 > each * rate * 2.5
    assert Exchange("CNY", {"credits": rate}).convert(fake.credits_charged, "credits") <= each * rate * 2.5 + 1e-9
