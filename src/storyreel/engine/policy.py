"""One retry-policy table for every provider, keyed on the error classes of ``storyreel.errors``.

Adapters translate vendor codes into those classes; this table alone decides what happens next. A retry of a
*create* is only ever made for errors that prove the create was not accepted (429, concurrency limits, 5xx
answered before acceptance, network errors before sending). ``SubmitOutcomeUnknown`` is never retried: the job
is reconciled (looked up by client reference where the provider allows it, else parked for the director).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from storyreel.errors import (
    AuthFailed,
    ConcurrencyLimited,
    InputModerated,
    InvalidInput,
    OutputModerated,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)


@dataclass(frozen=True)
class Rule:
    retry: bool
    max_attempts: int = 1  # attempts in all, the first included
    base_delay: float = 1.0  # seconds; doubled per attempt, with jitter
    max_delay: float = 60.0
    honour_retry_after: bool = True
    stops_provider: bool = False  # no point sending this provider anything else in this run
    reconcile: bool = False


NO_RETRY = Rule(retry=False)

POLICY: dict[type[ProviderError], Rule] = {
    AuthFailed: Rule(retry=False, stops_provider=True),
    InvalidInput: NO_RETRY,
    InputModerated: NO_RETRY,
    # Vendors differ (Jimeng 50511 says retry, 50512 says not); a new seed is a director's decision, not ours.
    OutputModerated: NO_RETRY,
    QuotaExhausted: Rule(retry=False, stops_provider=True),
    RateLimited: Rule(retry=True, max_attempts=8, base_delay=2.0, max_delay=120.0),
    ConcurrencyLimited: Rule(retry=True, max_attempts=30, base_delay=5.0, max_delay=60.0),
    TransientFailure: Rule(retry=True, max_attempts=5, base_delay=1.0, max_delay=60.0),
    SubmitOutcomeUnknown: Rule(retry=False, reconcile=True),
    ResultExpired: NO_RETRY,
}


def rule_for(exc: BaseException) -> Rule:
    for cls in type(exc).__mro__:
        if cls in POLICY:
            return POLICY[cls]
    return NO_RETRY


def delay_for(rule: Rule, attempt: int, exc: BaseException, rng: random.Random) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the provider's Retry-After when it gave one, else
    exponential back-off with jitter (so a fleet of jobs does not retry in lockstep)."""
    hint = getattr(exc, "retry_after", None)
    if rule.honour_retry_after and hint is not None:
        return min(float(hint), rule.max_delay * 10)
    backoff = min(rule.max_delay, rule.base_delay * 2 ** max(0, attempt - 1))
    return backoff * rng.uniform(0.5, 1.0)
