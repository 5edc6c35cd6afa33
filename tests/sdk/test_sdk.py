"""genesys_analytics.sdk against a fake AnalyticsApi that speaks real SDK models and errors."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest

pytest.importorskip("PureCloudPlatformClientV2")

from PureCloudPlatformClientV2 import (
    ApiClient,
    ConversationQuery,
    SegmentDetailQueryFilter,
    SegmentDetailQueryPredicate,
)
from PureCloudPlatformClientV2.rest import ApiException

from genesys_analytics import sdk
from genesys_analytics.api.jobs import JobPolicy
from genesys_analytics.api.retry import RetryPolicy
from genesys_analytics.errors import (
    AuthError,
    BadQuery,
    JobFailed,
    PaginationError,
    PermissionDenied,
    RateLimited,
    ServerError,
)

INTERVAL = "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"


class _Resp:
    """Just enough of the SDK's RESTResponse for ApiClient.deserialize and ApiException."""

    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = "Reason"
        self.data = json.dumps(payload) if not isinstance(payload, str) else payload
        self.headers = {"Content-Type": "application/json", **(headers or {})}

    def getheaders(self) -> dict[str, str]:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


def model(payload: dict[str, Any], kind: str) -> Any:
    return ApiClient().deserialize(_Resp(200, payload), kind)


def api_error(status: int, *, retry_after: str | None = None, body: Any = None) -> ApiException:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    payload = body if body is not None else {"message": f"status {status}", "status": status}
    return ApiException(http_resp=_Resp(status, payload, headers))


def convs(*ids: str) -> list[dict[str, Any]]:
    return [{"conversationId": i, "conversationStart": "2024-05-01T10:00:00.000Z"} for i in ids]


Step = dict[str, Any] | BaseException | None


class FakeAnalyticsApi:
    """Same method names as AnalyticsApi; each answers from its own script of steps."""

    def __init__(self, **scripts: list[Step]) -> None:
        self.scripts = scripts
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.deleted: list[str] = []

    def _answer(self, name: str, kind: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args, kwargs))
        step = self.scripts[name].pop(0)
        if isinstance(step, BaseException):
            raise step
        return model(step or {}, kind)

    def post_analytics_conversations_details_query(self, body: Any) -> Any:
        return self._answer("query", "AnalyticsConversationQueryResponse", body)

    def post_analytics_conversations_details_jobs(self, body: Any) -> Any:
        return self._answer("submit", "AsyncQueryResponse", body)

    def get_analytics_conversations_details_job(self, job_id: str) -> Any:
        return self._answer("status", "AsyncQueryStatus", job_id)

    def get_analytics_conversations_details_job_results(self, job_id: str, **kw: Any) -> Any:
        return self._answer("results", "AnalyticsConversationAsyncQueryResponse", job_id, **kw)

    def delete_analytics_conversations_details_job(self, job_id: str) -> None:
        script = self.scripts.get("delete") or [None]
        step = script.pop(0)
        if isinstance(step, BaseException):
            raise step
        self.deleted.append(job_id)

    def sent_pages(self) -> list[tuple[int, int]]:
        """(pageNumber, pageSize) of each query sent; every body is a plain camelCase dict."""
        pages = []
        for name, args, _ in self.calls:
            if name == "query":
                assert type(args[0]) is dict
                paging = args[0]["paging"]
                pages.append((paging["pageNumber"], paging["pageSize"]))
        return pages


class MaxRng:
    """Full jitter always picks the ceiling, so delay sequences are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


def recorder() -> tuple[list[float], Callable[[float], None]]:
    slept: list[float] = []
    return slept, slept.append


# --- details query ---------------------------------------------------------------------


def test_pages_in_body_until_conversations_absent() -> None:
    api = FakeAnalyticsApi(
        query=[
            {"totalHits": 5, "conversations": convs("a", "b")},
            {"totalHits": 5, "conversations": convs("c", "d")},
            {"totalHits": 6, "conversations": convs("e")},
            {"totalHits": 6},
        ]
    )
    query = {"interval": INTERVAL, "order": "asc"}
    found = list(sdk.iter_details(api, query, page_size=2))
    assert [c.conversation_id for c in found] == ["a", "b", "c", "d", "e"]
    assert type(found[0]).__name__ == "AnalyticsConversationWithoutAttributes"
    assert api.sent_pages() == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert query == {"interval": INTERVAL, "order": "asc"}  # caller's dict untouched
    assert api.calls[0][1][0] == {
        "interval": INTERVAL,
        "order": "asc",
        "paging": {"pageSize": 2, "pageNumber": 1},
    }


def test_model_query_empty_list_stops_and_resumes_from_start_page() -> None:
    api = FakeAnalyticsApi(
        query=[{"totalHits": 9, "conversations": convs("x")}, {"totalHits": 9, "conversations": []}]
    )
    query = ConversationQuery()
    query.interval = INTERVAL
    pages = list(sdk.iter_details_pages(api, query, page_size=1, start_page=7))
    # as Client.details_pages: the empty page that ended paging is yielded too
    assert [(p.number, p.total_hits, len(p.items)) for p in pages] == [(7, 9, 1), (8, 9, 0)]
    assert isinstance(pages[0], sdk.Page) and pages[0].conversations is pages[0].items
    assert api.sent_pages() == [(7, 1), (8, 1)]
    assert api.calls[0][1][0] == {"interval": INTERVAL, "paging": {"pageSize": 1, "pageNumber": 7}}
    assert query.paging is None  # the caller's model is not mutated


def test_models_inside_a_dict_query_are_sent_camel_case() -> None:
    api = FakeAnalyticsApi(query=[{"totalHits": 0}])
    predicate = SegmentDetailQueryPredicate()
    predicate.dimension, predicate.value = "mediaType", "voice"
    flt = SegmentDetailQueryFilter()
    flt.type, flt.predicates = "and", [predicate]
    assert list(sdk.iter_details(api, {"interval": INTERVAL, "segmentFilters": [flt]})) == []
    assert api.calls[0][1][0]["segmentFilters"] == [
        {"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}]}
    ]


def test_never_stops_on_total_hits() -> None:
    api = FakeAnalyticsApi(
        query=[
            {"totalHits": 1, "conversations": convs("a")},
            {"totalHits": 1, "conversations": convs("b")},  # totalHits drifted: keep going
            {"totalHits": 2},
        ]
    )
    assert [
        c.conversation_id for c in sdk.iter_details(api, {"interval": INTERVAL}, page_size=1)
    ] == [
        "a",
        "b",
    ]


def test_cap_refused_before_sending() -> None:
    api = FakeAnalyticsApi(query=[])
    with pytest.raises(sdk.ResultCapExceeded, match="100,000-result cap"):
        next(sdk.iter_details(api, {"interval": INTERVAL}, page_size=100, start_page=1001))
    assert api.calls == []


def test_cap_reached_while_paging_raises_without_sending_the_next_page() -> None:
    api = FakeAnalyticsApi(
        query=[{"totalHits": 6, "conversations": convs(f"{n}a", f"{n}b")} for n in range(3)]
    )
    got = []
    with pytest.raises(sdk.ResultCapExceeded, match=r"page 4 at pageSize 2 would go past .* 6-"):
        for conv in sdk.iter_details(api, {"interval": INTERVAL}, page_size=2, cap=6):
            got.append(conv.conversation_id)
    assert len(got) == 6 and len(api.calls) == 3


def test_short_page_at_the_cap_is_the_end() -> None:
    api = FakeAnalyticsApi(
        query=[
            {"totalHits": 5, "conversations": convs("a", "b")},
            {"totalHits": 5, "conversations": convs("c", "d")},
            {"totalHits": 5, "conversations": convs("e")},
        ]
    )
    assert len(list(sdk.iter_details(api, {"interval": INTERVAL}, page_size=2, cap=6))) == 5


def test_total_hits_over_cap_refused_on_first_page() -> None:
    api = FakeAnalyticsApi(query=[{"totalHits": 150_000, "conversations": convs("a")}])
    with pytest.raises(sdk.ResultCapExceeded, match="150,000") as info:
        next(sdk.iter_details(api, {"interval": INTERVAL}))  # the page is never yielded
    assert isinstance(info.value, PaginationError) and info.value.total == 150_000


def test_repeated_page_and_page_bound() -> None:
    same = {"totalHits": 10, "conversations": convs("a", "b")}
    api = FakeAnalyticsApi(query=[same, same])
    with pytest.raises(PaginationError, match=r"same page twice in a row \(2\)"):
        list(sdk.iter_details(api, {"interval": INTERVAL}, page_size=2))
    api = FakeAnalyticsApi(query=[{"conversations": convs(str(n))} for n in range(3)])
    pages = sdk.iter_details_pages(api, {"interval": INTERVAL}, page_size=1, max_pages=2)
    assert [p.number for p in itertools.islice(pages, 2)] == [1, 2]
    with pytest.raises(PaginationError, match=r"more than 2 pages.*Resume from 3"):
        next(pages)
    assert len(api.calls) == 2


# --- retries ---------------------------------------------------------------------------


def test_retry_after_honoured_exactly() -> None:
    api = FakeAnalyticsApi(
        query=[
            api_error(429, retry_after="7"),
            api_error(503, retry_after="2.5"),
            {"conversations": convs("a")},
            {"totalHits": 1},
        ]
    )
    slept, sleep = recorder()
    found = list(sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep, rng=MaxRng()))
    assert [c.conversation_id for c in found] == ["a"]
    assert slept == [7.0, 2.5]
    assert api.sent_pages() == [(1, 100), (1, 100), (1, 100), (2, 100)]


def test_long_retry_after_raises_rate_limited_naming_the_wait() -> None:
    api = FakeAnalyticsApi(query=[api_error(429, retry_after="3600")])
    slept, sleep = recorder()
    with pytest.raises(RateLimited) as info:
        next(sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep))
    assert info.value.retry_after == 3600.0
    assert "3600 s" in str(info.value) and "180 s" in str(info.value)
    assert info.value.status == 429
    assert slept == []


def test_server_errors_back_off_exponentially_then_give_up() -> None:
    api = FakeAnalyticsApi(query=[api_error(s) for s in (500, 502, 504, 503, 500, 500, 500, 503)])
    slept, sleep = recorder()
    with pytest.raises(ServerError) as info:
        next(sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep, rng=MaxRng()))
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert info.value.status == 503 and len(api.calls) == 8


def test_throttled_to_the_end_is_rate_limited() -> None:
    api = FakeAnalyticsApi(query=[api_error(429) for _ in range(3)])
    slept, sleep = recorder()
    policy = RetryPolicy(max_attempts=3)
    with pytest.raises(RateLimited, match="still rate limited"):
        next(
            sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep, rng=MaxRng(), policy=policy)
        )
    assert slept == [1.0, 2.0]


def test_policy_is_injectable_and_connection_errors_retry() -> None:
    import urllib3.exceptions

    api = FakeAnalyticsApi(
        query=[urllib3.exceptions.ProtocolError("reset"), api_error(408), {"totalHits": 0}]
    )
    slept, sleep = recorder()
    policy = RetryPolicy(base=0.5, cap=0.75)
    assert (
        list(
            sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep, rng=MaxRng(), policy=policy)
        )
        == []
    )
    assert slept == [0.5, 0.75]


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (400, BadQuery, "interval too long"),
        (401, AuthError, "region"),
        (403, PermissionDenied, "analytics:conversationDetail:view"),
    ],
)
def test_client_errors_are_not_retried_and_carry_context(
    status: int, kind: type[Exception], words: str
) -> None:
    body = {"message": "interval too long", "code": "bad", "status": status, "contextId": "ctx-1"}
    api = FakeAnalyticsApi(query=[api_error(status, body=body)])
    slept, sleep = recorder()
    with pytest.raises(kind) as info:
        next(sdk.iter_details(api, {"interval": INTERVAL}, sleep=sleep))
    err: Any = info.value
    assert (err.status, err.context_id) == (status, "ctx-1")
    assert words in str(err) and "ctx-1" in str(err)
    assert slept == []


def test_call_wraps_any_sdk_method() -> None:
    def flaky(value: int, *, twice: bool) -> int:
        if not attempts:
            attempts.append(1)
            raise api_error(502)
        return value * 2 if twice else value

    attempts: list[int] = []
    slept, sleep = recorder()
    assert sdk.call(flaky, 21, twice=True, sleep=sleep, rng=MaxRng()) == 42
    assert slept == [1.0]


# --- async jobs ------------------------------------------------------------------------


ONE_SUBMIT = JobPolicy(first=0.5, factor=1.0, max_submits=1)


def job_api(states: list[Step], results: list[Step]) -> FakeAnalyticsApi:
    return FakeAnalyticsApi(submit=[{"jobId": "job-1"}], status=states, results=results)


def test_job_happy_path_polls_with_growing_delay_pages_by_cursor_and_deletes() -> None:
    api = job_api(
        [{"state": "QUEUED"}, {"state": "PENDING"}, {"state": "FULFILLED"}],
        [
            {"conversations": convs("a", "b"), "cursor": "c1"},
            {"conversations": convs("c"), "cursor": "c2"},
            {"conversations": convs("d")},
        ],
    )
    slept, sleep = recorder()
    query = {"interval": INTERVAL, "startOfDayIntervalMatching": True}
    found = list(sdk.iter_job(api, query, sleep=sleep, page_size=500))
    assert [c.conversation_id for c in found] == ["a", "b", "c", "d"]
    assert type(found[0]).__name__ == "AnalyticsConversation"
    assert slept == [1.0, 1.5, 2.25]  # JobPolicy(): a pause before each poll, times 1.5
    assert [kw for name, _, kw in api.calls if name == "results"] == [
        {"page_size": 500},
        {"page_size": 500, "cursor": "c1"},
        {"page_size": 500, "cursor": "c2"},
    ]
    assert api.deleted == ["job-1"]


def test_job_failure_names_job_and_message_and_deletes() -> None:
    api = job_api([{"state": "PENDING"}, {"state": "FAILED", "errorMessage": "too big"}], [])
    slept, sleep = recorder()
    with pytest.raises(JobFailed) as info:
        list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=sleep, job_policy=ONE_SUBMIT))
    assert slept == [0.5, 0.5]
    assert info.value.job_id == "job-1" and info.value.state == "FAILED"
    assert "job-1" in str(info.value) and "too big" in str(info.value)
    assert api.deleted == ["job-1"]


def test_failed_or_expired_job_is_submitted_again_and_every_job_deleted() -> None:
    api = FakeAnalyticsApi(
        submit=[{"jobId": "job-1"}, {"jobId": "job-2"}],
        status=[{"state": "FAILED", "errorMessage": "busy"}, {"state": "FULFILLED"}],
        results=[{"conversations": convs("a")}],
    )
    found = list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None))
    assert [c.conversation_id for c in found] == ["a"]
    assert [args for name, args, _ in api.calls if name == "status"] == [("job-1",), ("job-2",)]
    assert api.deleted == ["job-1", "job-2"]

    api = FakeAnalyticsApi(
        submit=[{"jobId": "job-1"}, {"jobId": "job-2"}],
        status=[{"state": "EXPIRED"}, {"state": "EXPIRED", "errorMessage": "again"}],
    )
    with pytest.raises(JobFailed, match="job job-2 ended EXPIRED: again") as info:
        list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None))
    assert info.value.job_id == "job-2" and api.deleted == ["job-1", "job-2"]


def test_job_timeout_uses_injected_clock() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    api = job_api([{"state": "PENDING"}] * 20, [])
    job_policy = JobPolicy(first=4.0, factor=2.0, most=10.0, timeout=20)
    with pytest.raises(JobFailed, match="did not finish within 20 s") as info:
        list(
            sdk.iter_job(
                api,
                {"interval": INTERVAL},
                sleep=sleep,
                clock=lambda: now[0],
                job_policy=job_policy,
            )
        )
    assert now[0] == 12.0  # slept 4 + 8; the next 10 s would pass the timeout, so no sleep
    assert len([c for c in api.calls if c[0] == "status"]) == 2
    assert info.value.job_id == "job-1"
    assert api.deleted == ["job-1"]


def test_failed_delete_is_retried_but_never_hides_the_real_error() -> None:
    api = job_api([{"state": "EXPIRED"}], [])
    api.scripts["delete"] = [api_error(503), None]
    slept, sleep = recorder()
    with pytest.raises(JobFailed, match="ended EXPIRED"):
        list(
            sdk.iter_job(
                api, {"interval": INTERVAL}, sleep=sleep, rng=MaxRng(), job_policy=ONE_SUBMIT
            )
        )
    assert api.deleted == ["job-1"] and slept == [0.5, 1.0]  # one poll, one delete retry

    api = job_api([{"state": "CANCELLED"}], [])  # never resubmitted, even with two submits
    api.scripts["delete"] = [api_error(404), api_error(404)]
    with pytest.raises(JobFailed, match="ended CANCELLED: no message from the service"):
        list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=sleep))
    assert api.deleted == [] and len(api.scripts["delete"]) == 1  # a 404 is not retried


def test_repeated_cursor_is_an_error() -> None:
    api = job_api(
        [{"state": "FULFILLED"}],
        [
            {"conversations": convs("a"), "cursor": "same"},
            {"conversations": convs("b"), "cursor": "same"},
        ],
    )
    found: list[str] = []
    with pytest.raises(PaginationError, match=r"same cursor twice \(same\)"):
        for conv in sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None):
            found.append(conv.conversation_id)
    assert found == ["a", "b"]
    assert api.deleted == ["job-1"]


def test_endless_empty_result_pages_are_an_error() -> None:
    empty: list[Step] = [{"conversations": [], "cursor": f"c{n}"} for n in range(21)]
    assert len(empty) == sdk.MAX_EMPTY_PAGES + 1
    api = job_api([{"state": "FULFILLED"}], [*empty[:-1], {"conversations": convs("a")}])
    found = list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None))
    assert [c.conversation_id for c in found] == ["a"]  # as many as allowed, then the end

    api = job_api([{"state": "FULFILLED"}], empty)
    with pytest.raises(PaginationError, match=f"{sdk.MAX_EMPTY_PAGES + 1} empty pages in a row"):
        list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None))
    assert len([c for c in api.calls if c[0] == "results"]) == sdk.MAX_EMPTY_PAGES + 1
    assert api.deleted == ["job-1"]


def test_early_close_deletes_the_job() -> None:
    api = job_api(
        [{"state": "FULFILLED"}],
        [{"conversations": convs("a", "b"), "cursor": "c1"}, {"conversations": convs("c")}],
    )
    with closing(sdk.iter_job(api, {"interval": INTERVAL}, sleep=lambda s: None)) as jobs:
        assert next(jobs).conversation_id == "a"
        assert api.deleted == []
    assert api.deleted == ["job-1"]
    assert len([c for c in api.calls if c[0] == "results"]) == 1


def test_ctrl_c_while_polling_deletes_the_job() -> None:
    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    api = job_api([{"state": "QUEUED"}], [])
    with pytest.raises(KeyboardInterrupt):
        list(sdk.iter_job(api, {"interval": INTERVAL}, sleep=sleep))
    assert api.deleted == ["job-1"]
    assert [c[0] for c in api.calls] == ["submit"]  # interrupted in the pause before a poll


def test_disable_sdk_retries_stops_urllib3_sleeping_on_retry_after() -> None:
    client = ApiClient()
    sdk.disable_sdk_retries(client)
    retries = client.get_http_client().rest_client.pool_manager.connection_pool_kw["retries"]
    assert not retries.is_retry("POST", 429, has_retry_after=True)
    assert not retries.is_retry("GET", 503, has_retry_after=True)


# --- against the emulator, through the real SDK over a socket ----------------------------


@pytest.fixture(scope="module")
def emulator() -> Any:
    emulator = pytest.importorskip("genesys_analytics.emulator")
    settings = emulator.EmulatorSettings(
        days=3,
        per_day=300,
        job_run_seconds=0.0,
        faults={"throttle": 0.15, "server-errors": 0.1},
        fault_seed=3,
    )
    with emulator.run_emulator(settings) as emu:
        yield emu


def sdk_api(emu: Any) -> Any:
    from PureCloudPlatformClientV2 import AnalyticsApi

    # host = base_url: it has no "//api." for get_conf_url to rewrite, so login goes there too
    client = ApiClient(host=emu.base_url).get_client_credentials_token(
        emu.client_id, emu.client_secret
    )
    sdk.disable_sdk_retries(client)  # our table, with an injected sleep, handles 429/5xx
    return AnalyticsApi(client)


def day_before(emu: Any, days_back: int = 1) -> tuple[Any, Any, str]:
    """The whole UTC day ``days_back`` days before the emulator's "now"."""
    from datetime import timedelta

    from genesys_analytics.timeutil import fmt

    end = emu.now.replace(hour=0, minute=0, second=0, microsecond=0)
    end -= timedelta(days=days_back - 1)
    start = end - timedelta(days=1)
    return start, end, f"{fmt(start)}/{fmt(end)}"


@pytest.mark.parametrize("as_model", [False, True], ids=["dict", "model"])
def test_emulator_details_through_the_sdk_match_truth_despite_faults(
    emulator: Any, as_model: bool
) -> None:
    start, end, interval = day_before(emulator)
    slept, sleep = recorder()
    query: Any = {"interval": interval, "order": "asc"}
    if as_model:  # sent as the plain dict it serializes to, paging set in it
        query = ConversationQuery()
        query.interval, query.order = interval, "asc"
    api = sdk_api(emulator)
    found = [c.conversation_id for c in sdk.iter_details(api, query, page_size=20, sleep=sleep)]
    truth = emulator.truth(start, end)
    assert truth["total"] > 100  # many pages
    assert sorted(found) == truth["ids"]
    assert slept  # throttles and server errors were met and retried


def test_emulator_job_through_the_sdk_matches_truth_and_is_deleted(emulator: Any) -> None:
    # Two days back: a job holds what started an hour (the data lake's lag) before "now",
    # which is the top of the hour the emulator started in: in the first hour of a UTC day,
    # yesterday's last hour is not in yet.
    start, end, interval = day_before(emulator, days_back=2)
    api = sdk_api(emulator)
    query = {"interval": interval, "startOfDayIntervalMatching": True}
    submitted: list[str] = []
    submit = api.post_analytics_conversations_details_jobs

    def recording_submit(body: Any) -> Any:
        response = submit(body)
        submitted.append(response.job_id)
        return response

    api.post_analytics_conversations_details_jobs = recording_submit
    found = [
        c.conversation_id for c in sdk.iter_job(api, query, page_size=100, sleep=lambda s: None)
    ]
    assert sorted(found) == emulator.truth(start, end)["ids"]
    assert len(submitted) == 1
    with pytest.raises(BadQuery, match="not found") as info:
        sdk.call(api.get_analytics_conversations_details_job, submitted[0], sleep=lambda s: None)
    assert info.value.status == 404
