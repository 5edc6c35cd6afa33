"""Each fault observably happens at rate 1.0 and never at 0; runs are reproducible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from genesys_analytics.emulator.settings import FAULT_DEFAULTS
from genesys_analytics.timeutil import parse_instant
from tests.emulator.conftest import (
    JOBS,
    QUERY,
    QUEUES,
    FakeClock,
    api_client,
    day,
    interval,
    login,
    small_settings,
)


@contextmanager
def faulty(
    clock: FakeClock | None = None, **faults: Any
) -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    settings = small_settings(days=3, per_day=150, faults=faults, fault_seed=3)
    with run_emulator(settings, clock=clock) as emu, api_client(emu) as api:
        yield emu, api


def test_throttle_some_without_retry_after() -> None:
    with faulty(throttle=1.0) as (emu, api):
        responses = [api.get(QUEUES) for _ in range(20)]
        assert {r.status_code for r in responses} == {429}
        assert all(r.json()["code"] == "too.many.requests" for r in responses)
        with_header = sum("Retry-After" in r.headers for r in responses)
        assert 0 < with_header < 20
        assert all("inin-ratelimit-count" in r.headers for r in responses)
        # never on the token endpoint or the emulator's own endpoints
        assert login(emu, api)
        truth = api.get("/_emulator/truth", params={"start": "2024-05-14", "end": "2024-05-15"})
        assert truth.status_code == 200
        assert emu.app_state.counters["fault.throttle"] == 20


def test_server_errors_are_5xx_error_bodies() -> None:
    with faulty(**{"server-errors": 1.0}) as (emu, api):
        responses = [api.get(QUEUES) for _ in range(20)]
        assert {r.status_code for r in responses} <= {500, 502, 503, 504}
        assert len({r.status_code for r in responses}) > 1
        for r in responses:
            assert r.json()["status"] == r.status_code
            assert r.json()["contextId"] == r.headers["inin-correlation-id"]
        assert emu.app_state.counters["fault.server-errors"] == 20
        assert emu.app_state.faults_injected == {"server-errors": 20}


def test_quota_has_hours_long_retry_after() -> None:
    with faulty(quota=1.0) as (emu, api):
        r = api.get(QUEUES)
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) >= 3600
        assert emu.app_state.counters["fault.quota"] == 1


def test_latency_slows_responses() -> None:
    with faulty(latency=0.25) as (emu, api):
        began = time.perf_counter()
        assert api.get(QUEUES).status_code == 200
        assert time.perf_counter() - began >= 0.25
        assert emu.app_state.counters["fault.latency"] == 1


def test_drop_cuts_the_body() -> None:
    with faulty(drop=1.0) as (emu, api):
        body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 50}}
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            api.post(QUERY, json=body)
        assert emu.app_state.counters["fault.drop"] == 1


def test_drift_inserts_conversations_before_the_page() -> None:
    with faulty(drift=1.0) as (emu, api):
        a, b = day(2), day(1)
        body: dict[str, Any] = {"interval": interval(a, b)}
        before = emu.truth(a, b)["ids"]
        seen: dict[str, dict] = {}
        totals = []
        for page in range(1, 4):
            r = api.post(QUERY, json={**body, "paging": {"pageSize": 20, "pageNumber": page}})
            data = r.json()
            totals.append(data["totalHits"])
            seen.update((c["conversationId"], c) for c in data["conversations"])
        after = emu.truth(a, b)
        added = set(after["ids"]) - set(before)
        assert len(added) == after["total"] - len(before) == 3
        assert emu.app_state.counters["drift_added"] == 3
        assert len(set(totals)) > 1
        # pages shifted: something now in the first 60 was never seen
        full = api.post(QUERY, json={**body, "paging": {"pageSize": 60}}).json()["conversations"]
        assert {c["conversationId"] for c in full} - set(seen)
        new = [c for c in full if c["conversationId"] in added]
        assert new and all(a <= parse_instant(c["conversationStart"]) < b for c in new)


def test_job_failure(clock: FakeClock) -> None:
    with faulty(clock, **{"job-failure": 1.0}) as (emu, api):
        job_id = api.post(JOBS, json={"interval": interval(day(2), day(1))}).json()["jobId"]
        clock.advance(2)
        status = api.get(f"{JOBS}/{job_id}").json()
        assert status["state"] == "FAILED"
        assert status["errorMessage"]
        assert api.get(f"{JOBS}/{job_id}/results").status_code == 400
        assert emu.app_state.counters["fault.job-failure"] == 1


def test_job_expiry(clock: FakeClock) -> None:
    with faulty(clock, **{"job-expiry": 1.0}) as (emu, api):
        job_id = api.post(JOBS, json={"interval": interval(day(2), day(1))}).json()["jobId"]
        clock.advance(1)
        assert api.get(f"{JOBS}/{job_id}").json()["state"] == "PENDING"
        clock.advance(1)
        assert api.get(f"{JOBS}/{job_id}").json()["state"] == "EXPIRED"
        assert emu.app_state.counters["fault.job-expiry"] == 1


def test_token_expiry(clock: FakeClock) -> None:
    with faulty(clock, **{"token-expiry": 5.0}) as (emu, api):
        r = api.post(
            "/oauth/token",
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials"},
        )
        assert r.json()["expires_in"] == 86_400  # the lie the fault tells
        assert api.get(QUEUES).status_code == 200
        clock.advance(5)
        r = api.get(QUEUES)
        assert (r.status_code, r.json()["code"]) == (401, "credentials.expired")


def test_no_fault_fires_at_zero(clock: FakeClock) -> None:
    zeros: dict[str, Any] = {name: 0.0 for name in FAULT_DEFAULTS if name != "latency"}
    zeros["latency"] = 0.0
    zeros.pop("token-expiry")
    with faulty(clock, **zeros) as (emu, api):
        body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 100}}
        responses = [api.post(QUERY, json=body) for _ in range(10)]
        responses += [api.get(QUEUES) for _ in range(10)]
        assert {r.status_code for r in responses} == {200}
        assert len({r.json()["totalHits"] for r in responses[:10]}) == 1
        job_id = api.post(JOBS, json={"interval": interval(day(2), day(1))}).json()["jobId"]
        clock.advance(2)
        assert api.get(f"{JOBS}/{job_id}").json()["state"] == "FULFILLED"
        clock.advance(3600)
        assert api.get(QUEUES).status_code == 200
        assert not [k for k in emu.app_state.counters if k.startswith("fault.")]


def test_faults_are_reproducible() -> None:
    def statuses() -> list[int]:
        with faulty(throttle=0.3, **{"server-errors": 0.3}) as (_, api):
            return [api.get(QUEUES).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert len(set(first)) > 1


def test_fault_defaults_are_valid() -> None:
    settings = small_settings(faults=dict(FAULT_DEFAULTS))
    assert set(settings.faults) == set(FAULT_DEFAULTS)
    assert timedelta(seconds=settings.faults["token-expiry"]) > timedelta(0)  # type: ignore[arg-type]


def test_total_hits_is_stable_while_nothing_drifts() -> None:
    with faulty(drift=1e-12) as (emu, api):
        body = {"interval": interval(day(2), day(1))}
        totals = {
            api.post(QUERY, json={**body, "paging": {"pageSize": 25, "pageNumber": n}}).json()[
                "totalHits"
            ]
            for n in (1, 2, 3)
        }
        assert len(totals) == 1
        assert emu.app_state.counters["drift_added"] == 0
