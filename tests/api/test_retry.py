from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from genesys_analytics.api.retry import GiveUp, Retry, RetryPolicy, decide, parse_retry_after
from tests.conftest import FixedRng

POLICY = RetryPolicy()


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert isinstance(decide(POLICY, 1, status, None, FixedRng()), Retry)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 501])
def test_other_statuses_give_up(status: int) -> None:
    decision = decide(POLICY, 1, status, None, FixedRng())
    assert decision == GiveUp(f"HTTP {status} is not retryable")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("reset"),
    ],
)
def test_connection_errors_and_timeouts_retry(exc: Exception) -> None:
    assert isinstance(decide(POLICY, 1, exc, None, FixedRng()), Retry)


def test_other_exceptions_give_up() -> None:
    assert isinstance(decide(POLICY, 1, ValueError("bug"), None, FixedRng()), GiveUp)


def test_whole_delay_sequence_full_jitter_upper_bound() -> None:
    delays = []
    attempt = 0
    while True:
        attempt += 1
        d = decide(POLICY, attempt, 503, None, FixedRng(1.0))
        if isinstance(d, GiveUp):
            break
        delays.append(d.delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert attempt == 8


def test_whole_delay_sequence_with_half_jitter_and_small_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base=0.5, cap=3.0)
    delays = [decide(policy, a, 502, None, FixedRng(0.5)) for a in range(1, 7)]
    assert delays[:5] == [Retry(0.25), Retry(0.5), Retry(1.0), Retry(1.5), Retry(1.5)]
    assert isinstance(delays[5], GiveUp)
    assert "after 6 attempts" in delays[5].reason


def test_retry_after_wins_over_backoff() -> None:
    assert decide(POLICY, 1, 429, 7.0, FixedRng(1.0)) == Retry(7.0)
    assert decide(POLICY, 5, 503, 0.0, FixedRng(1.0)) == Retry(0.0)


def test_long_retry_after_gives_up_with_the_wait() -> None:
    d = decide(POLICY, 1, 429, 3600.0, FixedRng())
    assert isinstance(d, GiveUp)
    assert d.retry_after == 3600.0
    assert "asked to wait 3600 s, more than the 180 s cap" in d.reason


def test_retry_after_at_cap_is_slept() -> None:
    assert decide(POLICY, 1, 429, 180.0, FixedRng()) == Retry(180.0)


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") == 0.0
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(date, now=now) == 90.0
    past = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
