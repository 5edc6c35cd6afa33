"""The client against a real emulator over sockets, with faults off and on.

Client and emulator share one fake clock: the client's sleeps (pacing, Retry-After,
backoff, job polls) advance the emulator's rate windows, token lifetimes and job
progress, so a run that would take minutes of real waiting takes a second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from genesys_analytics.api.client import Client
from genesys_analytics.api.jobs import JobPolicy
from genesys_analytics.api.queries import aggregates_query
from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import Interval, parse_instant

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
START = datetime(2024, 5, 8, 6, 0, tzinfo=timezone.utc)
END = datetime(2024, 5, 8, 18, 0, tzinfo=timezone.utc)
FAULTS = {"throttle": 0.1, "server-errors": 0.1, "drop": 0.05, "token-expiry": 5.0}


class SharedClock:
    """Monotonic seconds that move only when the client sleeps; readable by the emulator."""

    def __init__(self) -> None:
        self._now = 50_000.0
        self._lock = threading.Lock()
        self.slept = 0.0

    def __call__(self) -> float:
        return self.monotonic()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)
            self.slept += max(seconds, 0.0)


def start_emulator(faults: dict[str, Any], clock: SharedClock):
    settings = EmulatorSettings(
        seed=5, days=4, per_day=200, now=NOW, rate_limit=(20, 2.0), faults=faults, fault_seed=3
    )
    return run_emulator(settings, clock=clock)


def client_for(emu: Any, clock: SharedClock) -> Client:
    return Client(
        emu.client_id,
        emu.client_secret,
        base_url=emu.base_url,
        clock=clock,
        timeout=10.0,
        job_policy=JobPolicy(first=1.0, most=2.0),
    )


def in_interval(conversations: list[dict[str, Any]]) -> list[str]:
    window = Interval(START, END)
    return sorted(
        c["conversationId"]
        for c in conversations
        if window.contains(parse_instant(c["conversationStart"]))
    )


def fetch_all(emu: Any, clock: SharedClock) -> dict[str, Any]:
    with client_for(emu, clock) as client:
        details = list(client.conversation_details(START, END, page_size=5))
        job = list(client.conversation_job(START, END, page_size=25))
        return {
            "details": details,
            "job": job,
            "stats": client.stats.snapshot(),
            "truth": emu.truth(START, END),
        }


@pytest.fixture(scope="module")
def clean() -> Iterator[dict[str, Any]]:
    clock = SharedClock()
    with start_emulator({}, clock) as emu:
        yield fetch_all(emu, clock)


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[str, Any]]:
    clock = SharedClock()
    with start_emulator(FAULTS, clock) as emu:
        result = fetch_all(emu, clock)
        result["counters"] = emu.app_state.snapshot()["counters"]
        yield result


def test_details_query_pages_to_the_end(clean: dict[str, Any]) -> None:
    truth = clean["truth"]
    assert truth["total"] > 20
    ids = [c["conversationId"] for c in clean["details"]]
    assert len(ids) == len(set(ids))
    # the query over-returns (whole UTC day); trimmed it is exactly the truth
    assert len(ids) >= truth["total"]
    assert in_interval(clean["details"]) == truth["ids"]


def test_job_yields_the_same_conversations(clean: dict[str, Any]) -> None:
    assert in_interval(clean["job"]) == clean["truth"]["ids"]


def test_clean_run_makes_no_429(clean: dict[str, Any]) -> None:
    stats = clean["stats"]
    assert stats.requests > 45  # several rate windows' worth at 20 per 2 s
    assert stats.throttled == 0
    assert stats.retries == 0


def test_faults_change_nothing_in_the_result(clean: dict[str, Any], faulty: dict[str, Any]) -> None:
    counters = faulty["counters"]
    assert faulty["stats"].retries > 0
    assert counters.get("fault.server-errors", 0) > 0
    assert counters.get("fault.throttle", 0) > 0
    assert counters.get("fault.drop", 0) > 0
    assert counters.get("tokens_issued", 0) > 1  # tokens expired and were renewed
    assert sorted(c["conversationId"] for c in faulty["details"]) == sorted(
        c["conversationId"] for c in clean["details"]
    )
    assert in_interval(faulty["job"]) == in_interval(clean["job"]) == faulty["truth"]["ids"]


def test_aggregates_queues_conversation_and_availability() -> None:
    clock = SharedClock()
    with start_emulator({}, clock) as emu, client_for(emu, clock) as client:
        body = aggregates_query(
            Interval(START, END), group_by=["mediaType"], metrics=["nConnected"]
        )
        response = client.aggregates(body)
        assert response["results"]
        assert {"mediaType"} <= set(response["results"][0]["group"])
        queues = list(client.queues(page_size=2))
        assert len(queues) >= 2 and len({q["id"] for q in queues}) == len(queues)
        some = next(client.conversation_details(START, END))
        assert (
            client.conversation(some["conversationId"])["conversationId"] == some["conversationId"]
        )
        available = client.job_availability()
        assert NOW - timedelta(days=1) < available <= NOW + timedelta(hours=1)
