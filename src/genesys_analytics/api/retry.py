"""The retry table (decisions.md §4) as a frozen policy and pure functions.

Rules, in order:
1. the attempt budget is spent → give up;
2. a connection error or timeout → retry with backoff;
3. a status outside the retry set (any other 4xx) → give up;
4. a ``Retry-After`` longer than the cap → give up (the caller raises ``RateLimited``);
5. a ``Retry-After`` → wait exactly that;
6. otherwise → exponential backoff with full jitter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class Rng(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 180.0
    retry_statuses: frozenset[int] = RETRY_STATUSES


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class GiveUp:
    reason: str
    retry_after: float | None = None  # set when the service asked for a wait longer than the cap


Decision = Retry | GiveUp


def backoff(policy: RetryPolicy, attempt: int, rng: Rng) -> float:
    """Full jitter: uniform in ``[0, min(cap, base * 2**(attempt-1))]``."""
    ceiling = min(policy.cap, policy.base * 2 ** max(attempt - 1, 0))
    return rng.uniform(0.0, ceiling)


def is_retryable_exception(exc: BaseException) -> bool:
    """Connection errors, timeouts and bodies cut off mid-way (all ``httpx.TransportError``)."""
    return isinstance(exc, httpx.TransportError)


def decide(
    policy: RetryPolicy,
    attempt: int,
    outcome: int | BaseException,
    retry_after: float | None = None,
    rng: Rng | None = None,
) -> Decision:
    """What to do after ``attempt`` (1-based) ended with ``outcome`` (a status or an error)."""
    what = f"HTTP {outcome}" if isinstance(outcome, int) else type(outcome).__name__
    if isinstance(outcome, int):
        if outcome not in policy.retry_statuses:
            return GiveUp(f"{what} is not retryable")
    elif not is_retryable_exception(outcome):
        return GiveUp(f"{what} is not retryable")
    if retry_after is not None and retry_after > policy.max_retry_after:
        return GiveUp(
            f"the service asked to wait {retry_after:.0f} s, more than the "
            f"{policy.max_retry_after:.0f} s cap",
            retry_after=retry_after,
        )
    if attempt >= policy.max_attempts:
        return GiveUp(f"still failing ({what}) after {attempt} attempts")
    if retry_after is not None:
        return Retry(max(retry_after, 0.0))
    return Retry(backoff(policy, attempt, rng or random.Random()))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The one place ``Retry-After`` is read: seconds, or an HTTP date. ``None`` if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max((when - now).total_seconds(), 0.0)


__all__ = [
    "RETRY_STATUSES",
    "Decision",
    "GiveUp",
    "Retry",
    "RetryPolicy",
    "backoff",
    "decide",
    "is_retryable_exception",
    "parse_retry_after",
]
