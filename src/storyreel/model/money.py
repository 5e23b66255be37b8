"""Money in one currency: providers bill in their own units (CNY, USD, PixVerse credits); budgets are in the film's.

``Exchange`` converts an amount in a provider's billing unit into the film's currency with the rates the director
wrote in film.toml (``[rates] credits = 0.05`` means one credit is worth 0.05 of the film's currency). A rate that
is missing is an error where a budget needs it, never a silent 1:1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storyreel.errors import FilmConfigError


class MissingRate(FilmConfigError):
    """A budget must compare an amount in a currency film.toml gives no rate for."""


@dataclass(frozen=True)
class Exchange:
    currency: str = "CNY"
    rates: Mapping[str, float] = field(default_factory=dict)

    def can_convert(self, currency: str) -> bool:
        return currency == self.currency or currency in self.rates

    def convert(self, amount: float, currency: str) -> float:
        if currency == self.currency:
            return amount
        rate = self.rates.get(currency)
        if rate is None:
            raise MissingRate(
                f"Amounts in {currency} cannot be compared with the budget in {self.currency}: film.toml gives no "
                f"rate. Add it, e.g. [rates] {_key(currency)} = 0.05 (one {currency} in {self.currency}).",
                zh=f"以 {currency} 计价的金额无法与以 {self.currency} 计的预算比较：film.toml 中没有汇率。"
                   f"请添加，例如 [rates] {_key(currency)} = 0.05（1 {currency} 折合多少 {self.currency}）。",
                currency=currency)
        return amount * rate


def _key(currency: str) -> str:
    return currency if currency.isidentifier() else f'"{currency}"'
