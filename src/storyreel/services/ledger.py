"""The ledger report: what the film has cost, where, and the two figures directors quote —
**cost per used second** (spend ÷ seconds in the cut) and **usage ratio** (seconds in the cut ÷ seconds
generated; a good director keeps about a quarter).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from storyreel.services.film import Film
from storyreel.services.plan import list_shots
from storyreel.services.review import selected_takes
from storyreel.store import JobRow, LedgerRow, TakeRow


@dataclass
class LedgerReport:
    currency: str = "CNY"  # the film's: every amount below is in it
    spent: float = 0.0  # settled charges
    reserved: float = 0.0  # held for jobs still running or waiting
    # Charges in a billing unit film.toml gives no rate for (PixVerse credits without [rates] credits = …): kept
    # apart in their own unit, never added to yuan as if they were yuan.
    unconverted: dict[str, float] = field(default_factory=dict)
    by_shot: dict[str, float] = field(default_factory=dict)
    by_provider: dict[str, float] = field(default_factory=dict)
    generated_seconds: float = 0.0
    used_seconds: float = 0.0
    takes: int = 0

    @property
    def usage_ratio(self) -> float | None:
        return self.used_seconds / self.generated_seconds if self.generated_seconds else None

    @property
    def cost_per_used_second(self) -> float | None:
        return self.spent / self.used_seconds if self.used_seconds else None


@dataclass(frozen=True)
class Charge:
    """One settled charge, in the film's currency, with the running total: the spend-over-time series."""

    at: str  # ISO time
    provider: str
    shot: str | None
    amount: float
    total: float


def spend_series(film: Film) -> list[Charge]:
    """Every settled charge in time order (charges in a unit without a rate are left out, as in the totals)."""
    money = film.config.exchange
    with film.store.session() as s:
        rows = s.execute(select(LedgerRow.created_at, LedgerRow.provider, LedgerRow.shot_code, LedgerRow.amount,
                                LedgerRow.currency)
                         .where(LedgerRow.kind == "charge").order_by(LedgerRow.created_at, LedgerRow.id)).all()
    total = 0.0
    out: list[Charge] = []
    for at, provider, shot, amount, currency in rows:
        if not money.can_convert(currency):
            continue
        amount = money.convert(amount, currency)
        total += amount
        out.append(Charge(at.isoformat(), provider, shot, amount, round(total, 6)))
    return out


def ledger_report(film: Film) -> LedgerReport:
    money = film.config.exchange
    r = LedgerReport(currency=money.currency)
    unconverted: dict[str, float] = defaultdict(float)
    by_shot: dict[str, float] = defaultdict(float)
    by_provider: dict[str, float] = defaultdict(float)
    with film.store.session() as s:
        per_job: dict[int | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        meta: dict[int | None, tuple[str, str, str]] = {}
        for row in s.scalars(select(LedgerRow)):
            per_job[row.job_id][row.kind] += row.amount
            meta[row.job_id] = (row.shot_code or "?", row.provider, row.currency)
        states = dict(s.execute(select(JobRow.id, JobRow.state)).all())
        for job_id, kinds in per_job.items():
            shot, provider, currency = meta[job_id]
            if "charge" in kinds:
                amount = kinds["charge"]
            elif states.get(job_id) not in ("failed", "canceled", "done"):
                amount = kinds.get("reserve", 0.0) - kinds.get("refund", 0.0)
            else:
                continue
            if not money.can_convert(currency):
                unconverted[currency] += amount
                continue
            amount = money.convert(amount, currency)
            if "charge" in kinds:
                r.spent += amount
                by_shot[shot] += amount
                by_provider[provider] += amount
            else:
                r.reserved += amount
        for t in s.scalars(select(TakeRow)):
            r.generated_seconds += t.frames / t.fps if t.fps else 0.0
            r.takes += 1
    picks = selected_takes(film) if list_shots(film) else {}
    r.used_seconds = sum(t.seconds for t in picks.values() if t is not None)
    r.by_shot, r.by_provider, r.unconverted = dict(by_shot), dict(by_provider), dict(unconverted)
    return r
