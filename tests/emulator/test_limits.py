"""Rate windows (pure, on a fake clock) and the 429 they produce over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from genesys_analytics.emulator import run_emulator
from genesys_analytics.emulator.limits import (
    RateWindows,
    check_deep_paging,
    check_interval_length,
    parse_interval,
)
from genesys_analytics.emulator.responses import ApiError
from genesys_analytics.emulator.settings import EmulatorSettings, parse_fault, parse_rate_limit
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval
from tests.emulator.conftest import QUEUES, FakeClock, api_client, small_settings


def test_fixed_window_counts_and_resets(clock: FakeClock) -> None:
    windows = RateWindows(3, 60.0, clock)
    states = [windows.hit("t") for _ in range(4)]
    assert [s.count for s in states] == [1, 2, 3, 4]
    assert [s.over for s in states] == [False, False, False, True]
    assert states[0].reset == 60
    clock.advance(59.5)
    assert windows.hit("t").reset == 1
    assert windows.hit("other").count == 1  # windows are per key
    clock.advance(0.5)
    fresh = windows.hit("t")
    assert (fresh.count, fresh.over, fresh.reset) == (1, False, 60)


def test_clock_windows_follow_one_another_whoever_asks(clock: FakeClock) -> None:
    windows = RateWindows(3, 1.0, clock, align="clock")
    clock.advance(0.7)  # the first request comes late in the first window
    assert [windows.hit("t").count for _ in range(3)] == [1, 2, 3]
    clock.advance(0.3)  # the clock's next window: a fresh count, though 0.3 s passed
    fresh = windows.hit("t")
    assert (fresh.count, fresh.over, fresh.reset) == (1, False, 1)
    clock.advance(0.5)
    assert [windows.hit("t").over for _ in range(3)] == [False, False, True]
    first = RateWindows(3, 1.0, clock)  # the default opens a window at the first request
    for _ in range(3):
        first.hit("t")
    clock.advance(0.9)
    assert first.hit("t").over


def test_rate_window_setting_is_checked() -> None:
    with pytest.raises(ConfigError):
        EmulatorSettings(rate_window="sliding")


def test_unenforced_keys_never_go_over(clock: FakeClock) -> None:
    windows = RateWindows(1, 10.0, clock)
    assert not any(windows.hit("x", enforce=False).over for _ in range(5))


def test_rate_limit_429_with_retry_after_over_http(clock: FakeClock) -> None:
    with run_emulator(small_settings(days=1, per_day=5, rate_limit=(5, 60.0)), clock=clock) as emu:
        with api_client(emu) as api:
            seen = [api.get(QUEUES) for _ in range(5)]
            assert [r.status_code for r in seen] == [200] * 5
            assert [int(r.headers["inin-ratelimit-count"]) for r in seen] == [1, 2, 3, 4, 5]
            assert all(r.headers["inin-ratelimit-allowed"] == "5" for r in seen)
            clock.advance(20.2)
            r = api.get(QUEUES)
            assert r.status_code == 429
            body = r.json()
            assert body["code"] == "too.many.requests"
            assert (
                body["message"]
                == "Rate limit exceeded the maximum [5] requests within [60] seconds"
            )
            assert r.headers["Retry-After"] == "40"
            assert r.headers["inin-ratelimit-reset"] == "40"
            clock.advance(40)
            assert api.get(QUEUES).status_code == 200
        assert emu.app_state.counters["rate_limited"] == 1
        assert emu.app_state.counters["responses_429"] == 1


def test_token_endpoint_is_limited_per_client(clock: FakeClock) -> None:
    with run_emulator(small_settings(days=1, per_day=5, rate_limit=(2, 60.0)), clock=clock) as emu:
        import httpx

        def token() -> httpx.Response:
            return httpx.post(
                f"{emu.base_url}/oauth/token",
                auth=(emu.client_id, emu.client_secret),
                data={"grant_type": "client_credentials"},
            )

        assert [token().status_code for _ in range(3)] == [200, 200, 429]


def test_interval_and_paging_rules() -> None:
    week = Interval.parse("2024-05-01T00:00:00Z/2024-05-08T00:00:00Z")
    check_interval_length(week, False, 7, 31)
    longer = Interval(week.start, week.end + timedelta(milliseconds=1))
    with pytest.raises(ApiError, match="7 days"):
        check_interval_length(longer, False, 7, 31)
    check_interval_length(longer, True, 7, 31)
    check_deep_paging(1000, 100, 100_000)
    with pytest.raises(ApiError, match=r"^Pagination may not exceed 100000 results\."):
        check_deep_paging(1001, 100, 100_000)
    with pytest.raises(ApiError) as err:
        parse_interval("2024-05-02/2024-05-01")
    assert err.value.status == 400


def test_settings_defaults_match_decisions() -> None:
    s = EmulatorSettings()
    assert (s.details_max_page_size, s.deep_paging_cap) == (100, 100_000)
    assert (s.max_days_unfiltered, s.max_days_filtered) == (7, 31)
    assert (s.rate_limit, s.token_lifetime, s.aggregates_max_buckets) == ((300, 60.0), 86_400, 1000)
    assert s.token_error_status == 400
    assert dict(s.faults) == {}
    assert "demo-secret" not in repr(s)


def test_parse_fault_and_rate_limit() -> None:
    assert parse_fault("throttle=0.5") == ("throttle", 0.5)
    assert parse_fault("latency=0.1-0.3") == ("latency", (0.1, 0.3))
    assert parse_fault("token-expiry=30") == ("token-expiry", 30.0)
    assert parse_fault("drop")[0] == "drop"
    assert parse_rate_limit("10/1") == (10, 1.0)
    for bad in ("nonsense", "throttle=2", "throttle=x", "latency=3-1"):
        with pytest.raises(ConfigError):
            parse_fault(bad)
    with pytest.raises(ConfigError):
        parse_rate_limit("0/60")
