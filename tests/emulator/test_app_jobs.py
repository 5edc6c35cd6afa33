"""Async jobs on a fake clock: states, cursor paging, delete, limits, expiry, data-lake lag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from genesys_analytics.timeutil import fmt, parse_instant
from tests.emulator.conftest import JOBS, NOW, FakeClock, api_client, day, interval, small_settings


@pytest.fixture
def job_env(clock: FakeClock) -> Iterator[tuple[RunningEmulator, httpx.Client, FakeClock]]:
    settings = small_settings(days=4, per_day=200, max_concurrent_jobs=2, job_results_ttl=600)
    with run_emulator(settings, clock=clock) as emu, api_client(emu) as api:
        yield emu, api, clock


def _submit(api: httpx.Client, body: dict) -> str:
    r = api.post(JOBS, json=body)
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"jobId"}
    job_id: str = r.json()["jobId"]
    return job_id


def _state(api: httpx.Client, job_id: str) -> dict:
    r = api.get(f"{JOBS}/{job_id}")
    assert r.status_code == 200, r.text
    status: dict = r.json()
    return status


def _all_results(api: httpx.Client, job_id: str, page_size: int) -> list[dict]:
    out: list[dict] = []
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, str | int] = {"pageSize": page_size}
        if cursor:
            params["cursor"] = cursor
        r = api.get(f"{JOBS}/{job_id}/results", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert "dataAvailabilityDate" in page
        assert len(page["conversations"]) <= page_size
        out.extend(page["conversations"])
        cursor = page.get("cursor")
        if cursor is None:
            return out
        assert cursor not in seen
        seen.add(cursor)


def test_lifecycle_states_results_and_delete(job_env) -> None:  # type: ignore[no-untyped-def]
    emu, api, clock = job_env
    a, b = day(2), day(1)
    job_id = _submit(api, {"interval": interval(a, b)})
    first = _state(api, job_id)
    assert first["state"] == "QUEUED"
    assert "completionDate" not in first
    assert first["submissionDate"] == fmt(NOW)
    r = api.get(f"{JOBS}/{job_id}/results")
    assert (r.status_code, r.json()["code"]) == (400, "bad.request")
    clock.advance(1.0)
    assert _state(api, job_id)["state"] == "PENDING"
    clock.advance(1.0)
    done = _state(api, job_id)
    assert done["state"] == "FULFILLED"
    assert parse_instant(done["completionDate"]) == NOW + timedelta(seconds=2)
    assert parse_instant(done["expirationDate"]) > parse_instant(done["completionDate"])

    convs = _all_results(api, job_id, page_size=70)
    ids = [c["conversationId"] for c in convs]
    assert len(ids) == len(set(ids)) > 70
    trimmed = sorted(
        c["conversationId"] for c in convs if a <= parse_instant(c["conversationStart"]) < b
    )
    assert trimmed == emu.truth(a, b)["ids"]
    assert any(parse_instant(c["conversationStart"]) < a for c in convs)  # overlap, any day
    assert any("attributes" in p for c in convs for p in c["participants"])

    assert api.delete(f"{JOBS}/{job_id}").status_code == 204
    assert api.get(f"{JOBS}/{job_id}").status_code == 404


def test_start_of_day_matching_drops_earlier_days(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    a, b = day(2) + timedelta(hours=1), day(1)
    job_id = _submit(api, {"interval": interval(a, b), "startOfDayIntervalMatching": True})
    clock.advance(2)
    convs = _all_results(api, job_id, page_size=1000)
    assert convs
    assert all(parse_instant(c["conversationStart"]) >= day(2) for c in convs)


def test_unknown_job_bad_cursor_page_size_and_paging(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    r = api.get(f"{JOBS}/no-such-job")
    assert (r.status_code, r.json()["code"]) == (404, "not.found")
    assert api.get(f"{JOBS}/no-such-job/results").status_code == 404
    assert api.delete(f"{JOBS}/no-such-job").status_code == 404
    job_id = _submit(api, {"interval": interval(day(2), day(1))})
    clock.advance(2)
    assert api.get(f"{JOBS}/{job_id}/results", params={"pageSize": 1001}).status_code == 400
    assert api.get(f"{JOBS}/{job_id}/results", params={"cursor": "garbage!"}).status_code == 400
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 10}}
    assert api.post(JOBS, json=body).status_code == 400


def test_concurrent_jobs_limit_is_429(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    body = {"interval": interval(day(2), day(1))}
    _submit(api, body)
    _submit(api, body)
    r = api.post(JOBS, json=body)
    assert (r.status_code, r.json()["code"]) == (429, "too.many.requests")
    assert int(r.headers["Retry-After"]) >= 1
    clock.advance(2)
    _submit(api, body)


def test_results_expire_after_ttl(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    job_id = _submit(api, {"interval": interval(day(2), day(1))})
    clock.advance(2 + 599)
    assert _state(api, job_id)["state"] == "FULFILLED"
    clock.advance(1)
    status = _state(api, job_id)
    assert status["state"] == "EXPIRED"
    assert "expirationDate" in status
    assert api.get(f"{JOBS}/{job_id}/results").status_code == 400


def test_data_lake_lag(job_env) -> None:  # type: ignore[no-untyped-def]
    emu, api, clock = job_env
    avail = api.get(f"{JOBS}/availability").json()["dataAvailabilityDate"]
    assert parse_instant(avail) == NOW - timedelta(hours=1)
    a, b = day(0), NOW
    job_id = _submit(api, {"interval": interval(a, b)})
    clock.advance(2)
    r = api.get(f"{JOBS}/{job_id}/results", params={"pageSize": 1000})
    assert r.json()["dataAvailabilityDate"] == avail
    convs = _all_results(api, job_id, page_size=1000)
    starts = [parse_instant(c["conversationStart"]) for c in convs]
    assert starts and max(starts) < parse_instant(avail)
    in_range = sorted(c["conversationId"] for c, s in zip(convs, starts, strict=True) if s >= a)
    assert in_range == emu.truth(a, parse_instant(avail))["ids"]
    assert len(emu.truth(a, b)["ids"]) > len(in_range)


def test_limit_caps_results(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    job_id = _submit(api, {"interval": interval(day(2), day(1)), "limit": 17})
    clock.advance(2)
    assert len(_all_results(api, job_id, page_size=5)) == 17


def test_default_settings_job_limits() -> None:
    with run_emulator(small_settings(days=1, per_day=5)) as emu:
        s = emu.settings
        assert (s.max_concurrent_jobs, s.job_run_seconds, s.job_results_ttl) == (5, 2.0, 3600)
        assert (s.job_max_page_size, s.availability_lag) == (1000, 3600)


def test_desc_order_pages_the_same_set(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    body = {"interval": interval(day(2), day(1))}
    asc_id = _submit(api, body)
    desc_id = _submit(api, {**body, "order": "desc"})
    clock.advance(2)
    asc = _all_results(api, asc_id, page_size=100)
    desc = _all_results(api, desc_id, page_size=100)
    assert [c["conversationId"] for c in desc] == [c["conversationId"] for c in reversed(asc)]


def test_cursor_of_another_job_is_rejected(job_env) -> None:  # type: ignore[no-untyped-def]
    _, api, clock = job_env
    body = {"interval": interval(day(2), day(1))}
    one, two = _submit(api, body), _submit(api, body)
    clock.advance(2)
    cursor = api.get(f"{JOBS}/{one}/results", params={"pageSize": 10}).json()["cursor"]
    r = api.get(f"{JOBS}/{two}/results", params={"cursor": cursor})
    assert (r.status_code, r.json()["code"]) == (400, "bad.request")
