"""Shared fixtures: a fake clock, a small seeded emulator over real sockets, and clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from genesys_analytics.emulator import EmulatorSettings, RunningEmulator, run_emulator
from genesys_analytics.timeutil import UTC, fmt

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
QUERY = "/api/v2/analytics/conversations/details/query"
JOBS = "/api/v2/analytics/conversations/details/jobs"
AGGREGATES = "/api/v2/analytics/conversations/aggregates/query"
QUEUES = "/api/v2/routing/queues"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def small_settings(**overrides: Any) -> EmulatorSettings:
    base: dict[str, Any] = {"seed": 11, "days": 10, "per_day": 300, "now": NOW}
    base.update(overrides)
    return EmulatorSettings(**base)


def interval(start: datetime, end: datetime) -> str:
    return f"{fmt(start)}/{fmt(end)}"


def day(offset: int) -> datetime:
    """Midnight UTC ``offset`` days before NOW's day (0 = NOW's day)."""
    return NOW.replace(hour=0) - timedelta(days=offset)


def login(emu: RunningEmulator, http: httpx.Client) -> str:
    r = http.post(
        f"{emu.base_url}/oauth/token",
        auth=(emu.client_id, emu.client_secret),
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


@contextmanager
def api_client(emu: RunningEmulator) -> Iterator[httpx.Client]:
    """An httpx client on the emulator with a fresh bearer token."""
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {login(emu, http)}"
        yield http


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def emu(module_clock: FakeClock) -> Iterator[RunningEmulator]:
    """A module-wide emulator with default limits (rate limit raised so tests never hit it)."""
    with run_emulator(small_settings(rate_limit=(100_000, 60.0)), clock=module_clock) as running:
        yield running


@pytest.fixture(scope="module")
def api(emu: RunningEmulator) -> Iterator[httpx.Client]:
    with api_client(emu) as http:
        yield http


def all_pages(api: httpx.Client, body: dict[str, Any], page_size: int = 100) -> list[dict]:
    """Page a details query to the end; returns every conversation in page order."""
    out: list[dict] = []
    page = 1
    while True:
        r = api.post(QUERY, json={**body, "paging": {"pageSize": page_size, "pageNumber": page}})
        assert r.status_code == 200, r.text
        data = r.json()
        if "conversations" not in data:
            return out
        out.extend(data["conversations"])
        page += 1
