from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

import pytest

from genesys_analytics.api import jobs
from genesys_analytics.errors import BadQuery, JobFailed
from tests.conftest import FakeClock

JOBS = "/api/v2/analytics/conversations/details/jobs"


def records(pages: Any) -> list[Any]:
    """The items of every page a job yielded."""
    return [item for page in pages for item in page.items]


class FakeJobs:
    """A fake requester: each submitted job walks through ``states``; results from ``pages``."""

    def __init__(
        self, clock: FakeClock, states: list[list[dict[str, Any]]], pages: list[dict[str, Any]]
    ):
        self.clock = clock
        self.states = states  # one list of status bodies per submission
        self.pages = pages
        self.calls: list[tuple[str, str, Any]] = []
        self.jobs = 0

    def request(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        self.calls.append((method, path, params))
        if method == "POST" and path == JOBS:
            self.jobs += 1
            return {"jobId": f"job-{self.jobs}"}
        if method == "DELETE":
            return None
        if path.endswith("/results"):
            cursor = (params or {}).get("cursor")
            index = 0 if cursor is None else int(cursor)
            return self.pages[index]
        if path == f"{JOBS}/availability":
            return {"dataAvailabilityDate": "2024-05-02T06:00:00.000Z"}
        statuses = self.states[self.jobs - 1]
        return statuses.pop(0) if len(statuses) > 1 else statuses[0]

    def methods(self) -> list[str]:
        return [f"{m} {p.removeprefix(JOBS)}" for m, p, _ in self.calls]


PAGES = [
    {"conversations": [{"conversationId": "a"}, {"conversationId": "b"}], "cursor": "1"},
    {"conversations": [{"conversationId": "c"}]},
]


def test_submit_poll_with_backoff_results_and_delete(fake_clock: FakeClock) -> None:
    api = FakeJobs(
        fake_clock,
        [[{"state": "QUEUED"}, {"state": "PENDING"}, {"state": "PENDING"}, {"state": "FULFILLED"}]],
        PAGES,
    )
    got = [
        c["conversationId"] for c in records(jobs.run_job(api, {"interval": "x"}, page_size=500))
    ]
    assert got == ["a", "b", "c"]
    assert fake_clock.sleeps == [1.0, 1.5, 2.25, 3.375]
    assert api.methods() == [
        "POST ",
        "GET /job-1",
        "GET /job-1",
        "GET /job-1",
        "GET /job-1",
        "GET /job-1/results",
        "GET /job-1/results",
        "DELETE /job-1",
    ]
    assert api.calls[5][2] == {"pageSize": 500}
    assert api.calls[6][2] == {"pageSize": 500, "cursor": "1"}


def test_poll_delays_grow_to_ten_seconds() -> None:
    delays = jobs.JobPolicy().delays()
    seq = [next(delays) for _ in range(10)]
    assert seq[0] == 1.0 and seq[-1] == 10.0
    assert all(b >= a for a, b in itertools.pairwise(seq))


@pytest.mark.parametrize("state", ["FAILED", "EXPIRED", "CANCELLED"])
def test_failed_states_raise_with_job_id_and_message(fake_clock: FakeClock, state: str) -> None:
    api = FakeJobs(fake_clock, [[{"state": state, "errorMessage": "disk on fire"}]], PAGES)
    with pytest.raises(JobFailed) as info:
        list(jobs.run_job(api, {}, policy=jobs.JobPolicy(max_submits=1)))
    assert info.value.job_id == "job-1" and info.value.state == state
    assert (
        "job-1" in str(info.value)
        and state in str(info.value)
        and "disk on fire" in str(info.value)
    )
    assert api.methods()[-1] == "DELETE /job-1"


def test_failed_job_is_resubmitted_once(fake_clock: FakeClock) -> None:
    api = FakeJobs(fake_clock, [[{"state": "FAILED"}], [{"state": "FULFILLED"}]], PAGES)
    assert len(records(jobs.run_job(api, {}))) == 3
    assert api.jobs == 2
    assert "DELETE /job-1" in api.methods() and api.methods()[-1] == "DELETE /job-2"


def test_timeout_raises_and_deletes(fake_clock: FakeClock) -> None:
    api = FakeJobs(fake_clock, [[{"state": "PENDING"}]], PAGES)
    with pytest.raises(JobFailed, match="did not finish within 30 s") as info:
        list(jobs.run_job(api, {}, policy=jobs.JobPolicy(timeout=30.0)))
    assert info.value.job_id == "job-1"
    assert sum(fake_clock.sleeps) <= 30.0
    assert api.methods()[-1] == "DELETE /job-1"


def test_stopping_early_deletes_the_job(fake_clock: FakeClock) -> None:
    api = FakeJobs(fake_clock, [[{"state": "FULFILLED"}]], PAGES)
    it = (c for page in jobs.run_job(api, {}) for c in page.items)
    assert next(it)["conversationId"] == "a"
    assert "DELETE /job-1" not in api.methods()
    it.close()
    assert api.methods()[-1] == "DELETE /job-1"


def test_ctrl_c_while_waiting_deletes_the_job(fake_clock: FakeClock) -> None:
    class Interrupting(FakeClock):
        def sleep(self, seconds: float) -> None:
            raise KeyboardInterrupt

    api = FakeJobs(Interrupting(), [[{"state": "PENDING"}]], PAGES)
    with pytest.raises(KeyboardInterrupt):
        list(jobs.run_job(api, {}))
    assert api.methods() == ["POST ", "DELETE /job-1"]


def test_delete_failure_does_not_mask_results(fake_clock: FakeClock) -> None:
    class NoDelete(FakeJobs):
        def request(self, method: str, path: str, **kw: Any) -> Any:
            if method == "DELETE":
                raise BadQuery("not found", status=404)
            return super().request(method, path, **kw)

    api = NoDelete(fake_clock, [[{"state": "FULFILLED"}]], PAGES)
    assert len(records(jobs.run_job(api, {}))) == 3


def test_availability(fake_clock: FakeClock) -> None:
    api = FakeJobs(fake_clock, [], [])
    assert jobs.availability(api) == datetime(2024, 5, 2, 6, tzinfo=timezone.utc)


def test_stop_ends_the_wait_and_deletes_the_job(fake_clock: FakeClock) -> None:
    import threading

    stop = threading.Event()

    class StopsLater(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if self.now >= 1005.0:  # another thread's Ctrl-C, a few seconds in
                stop.set()

    clock = StopsLater()
    api = FakeJobs(clock, [[{"state": "PENDING"}]], PAGES)  # a job that never finishes
    assert list(jobs.run_job(api, {}, stop=stop)) == []
    assert api.methods()[0] == "POST " and api.methods()[-1] == "DELETE /job-1"
    assert clock.now - 1000.0 <= 6.0, "the wait must end soon after stop is set"
