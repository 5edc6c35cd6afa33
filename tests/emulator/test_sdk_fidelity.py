"""The official SDK (PureCloudPlatformClientV2) against a real emulator, and every raw
response walked against the SDK's model classes (issue 2, "Done when").

The SDK talks to the emulator over real sockets with its own HTTP client and its own
client-credentials login; jobs progress on a fake clock, never on real sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from PureCloudPlatformClientV2 import (
    AnalyticsApi,
    ApiClient,
    AsyncConversationQuery,
    AsyncUserDetailsQuery,
    AuthorizationApi,
    ConversationAggregationQuery,
    ConversationQuery,
    PagingSpec,
    PresenceApi,
    RoutingApi,
    UserAggregationQuery,
    UserDetailsQuery,
    UsersApi,
)
from PureCloudPlatformClientV2.rest import ApiException

from genesys_analytics.emulator import EmulatorSettings, RunningEmulator, run_emulator
from genesys_analytics.timeutil import UTC, fmt
from tests.emulator.conftest import AGGREGATES, JOBS, QUERY, QUEUES, FakeClock, login
from tests.emulator.sdk_walk import API_DATETIME, outdated, walk

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
FIRST = datetime(2024, 5, 12, tzinfo=UTC)  # the first day of a 4-day org
DAY = (datetime(2024, 5, 13, tzinfo=UTC), datetime(2024, 5, 14, tzinfo=UTC))
MEDIA = {"voice", "callback", "chat", "email", "message"}
METRICS = ["nOffered", "nConnected", "nTransferred", "tHandle", "tTalk", "tAcw", "tWait"]
METRICS += ["tAbandon", "tAnswered", "tHeld", "tAlert", "tAcd", "tIvr", "tDialing"]
METRICS += ["tShortAbandon", "tFlowOut", "nOverSla", "oServiceLevel"]


def iso(start: datetime, end: datetime) -> str:
    return f"{fmt(start)}/{fmt(end)}"


@pytest.fixture(scope="module")
def emu(module_clock: FakeClock) -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(
        seed=23, days=4, per_day=1000, now=NOW, rate_limit=(1_000_000, 60.0)
    )
    with run_emulator(settings, clock=module_clock) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(emu: RunningEmulator) -> ApiClient:
    """An SDK client that logged in with its own client-credentials call."""
    client = ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.client_id, emu.client_secret)
    return client


@pytest.fixture(scope="module")
def raw(emu: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, timeout=60) as http:
        http.headers["Authorization"] = f"Bearer {login(emu, http)}"
        yield http


def started_in(convs: list[Any], start: datetime, end: datetime) -> set[str]:
    """Ids of SDK conversations whose conversationStart is in [start, end)."""
    return {c.conversation_id for c in convs if start <= c.conversation_start < end}


def sdk_details_pages(analytics: AnalyticsApi, interval: str, size: int = 100) -> list[Any]:
    """Every page of a details query, page number in the body, until no conversations."""
    pages = []
    number = 1
    while True:
        body = ConversationQuery()
        body.interval = interval
        body.order = "asc"
        body.order_by = "conversationStart"
        body.paging = PagingSpec()
        body.paging.page_size, body.paging.page_number = size, number
        page = analytics.post_analytics_conversations_details_query(body)
        pages.append(page)
        if page.conversations is None:
            return pages
        number += 1
        assert number < 1000


def run_job(
    emu: RunningEmulator, clock: FakeClock, analytics: AnalyticsApi, body: AsyncConversationQuery
) -> str:
    """Submit a job with the SDK and poll it (on the fake clock) until FULFILLED."""
    submitted = analytics.post_analytics_conversations_details_jobs(body)
    assert analytics.api_client.last_response.status == 202
    states = []
    for _ in range(20):
        status = analytics.get_analytics_conversations_details_job(submitted.job_id)
        states.append(status.state)
        assert outdated(status) == []
        if status.state == "FULFILLED":
            assert status.completion_date >= status.submission_date
            assert status.expiration_date > status.completion_date
            return str(submitted.job_id)
        assert status.state in ("QUEUED", "PENDING"), status
        clock.advance(emu.settings.job_run_seconds / 3)
    raise AssertionError(f"the job never finished: {states}")


# -- 1. login -------------------------------------------------------------------------------


def test_the_sdk_logs_in_with_its_own_client_credentials_call(emu: RunningEmulator) -> None:
    client = ApiClient(host=emu.base_url)
    # The SDK derives the login host by rewriting "//api." to "//login."; the emulator's
    # base URL has no "api." so login and API share it, as the emulator serves them.
    assert client.get_conf_url("login", emu.base_url) == emu.base_url
    issued = emu.app_state.counters["tokens_issued"]
    assert client.get_client_credentials_token(emu.client_id, emu.client_secret) is client
    assert client.access_token in emu.app_state.tokens
    assert emu.app_state.counters["tokens_issued"] == issued + 1
    # the token works for the SDK's own API calls
    availability = AnalyticsApi(client).get_analytics_conversations_details_jobs_availability()
    assert availability.data_availability_date == NOW - timedelta(hours=1)
    with pytest.raises(ApiException) as bad:
        ApiClient(host=emu.base_url).get_client_credentials_token(emu.client_id, "wrong")
    assert bad.value.status == emu.settings.token_error_status


def test_the_sdk_without_a_token_gets_a_401_error_body(emu: RunningEmulator) -> None:
    with pytest.raises(ApiException) as denied:
        RoutingApi(ApiClient(host=emu.base_url)).get_routing_queues()
    assert denied.value.status == 401
    assert walk(json.loads(denied.value.body), "ErrorBody") == []


# -- 2. details query through every page --------------------------------------------------------


def test_sdk_details_query_pages_to_the_end_and_matches_truth(
    emu: RunningEmulator, sdk: ApiClient
) -> None:
    pages = sdk_details_pages(AnalyticsApi(sdk), iso(*DAY))
    convs = [c for p in pages for c in (p.conversations or [])]
    assert len(pages) > 5 and pages[-1].conversations is None
    assert all(len(p.conversations) == 100 for p in pages[:-2])
    ids = [c.conversation_id for c in convs]
    assert len(ids) == len(set(ids)) == pages[0].total_hits
    # superset of "started in the interval": every match overlaps it
    start, end = DAY
    assert all(c.conversation_start < end for c in convs)
    assert all(c.conversation_end is None or c.conversation_end >= start for c in convs)
    truth = emu.truth(*DAY)
    assert started_in(convs, start, end) == set(truth["ids"])
    assert truth["total"] == len(truth["ids"]) > 500
    seen_media = {s.media_type for c in convs for p in c.participants for s in p.sessions}
    assert seen_media == MEDIA
    assert outdated(pages) == []


# -- 3. an async job end to end ------------------------------------------------------------------


def test_sdk_job_end_to_end(emu: RunningEmulator, sdk: ApiClient, module_clock: FakeClock) -> None:
    analytics = AnalyticsApi(sdk)
    availability = analytics.get_analytics_conversations_details_jobs_availability()
    assert availability.data_availability_date == NOW - timedelta(hours=1)
    body = AsyncConversationQuery()
    body.interval = iso(*DAY)
    body.start_of_day_interval_matching = True
    job_id = run_job(emu, module_clock, analytics, body)
    convs: list[Any] = []
    cursor = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"page_size": 400}
        if cursor is not None:
            kwargs["cursor"] = cursor
        page = analytics.get_analytics_conversations_details_job_results(job_id, **kwargs)
        pages += 1
        assert page.data_availability_date == availability.data_availability_date
        assert outdated(page) == []
        convs.extend(page.conversations or [])
        cursor = page.cursor
        if cursor is None:
            break
    assert pages >= 3
    ids = [c.conversation_id for c in convs]
    assert len(ids) == len(set(ids))
    assert started_in(convs, *DAY) == set(emu.truth(*DAY)["ids"])
    assert all(c.conversation_start >= DAY[0] for c in convs)  # start-of-day matching
    assert any(p.attributes for c in convs for p in c.participants)  # jobs carry attributes
    analytics.delete_analytics_conversations_details_job(job_id)
    assert sdk.last_response.status == 204
    with pytest.raises(ApiException) as gone:
        analytics.get_analytics_conversations_details_job(job_id)
    assert gone.value.status == 404


# -- 4. aggregates --------------------------------------------------------------------------------


def test_sdk_aggregates_by_media_type_and_queue(emu: RunningEmulator, sdk: ApiClient) -> None:
    body = ConversationAggregationQuery()
    body.interval = iso(*DAY)
    body.granularity = "PT6H"
    body.group_by = ["mediaType", "queueId"]
    body.metrics = METRICS
    response = AnalyticsApi(sdk).post_analytics_conversations_aggregates_query(body)
    assert outdated(response) == []
    queue_ids = {q["id"] for q in emu.app_state.org.queues}
    groups = [r.group for r in response.results]
    assert {g["mediaType"] for g in groups} == MEDIA
    assert {g["queueId"] for g in groups if "queueId" in g} <= queue_ids
    intervals = {d.interval for r in response.results for d in r.data}
    assert intervals <= {
        iso(DAY[0] + timedelta(hours=h), DAY[0] + timedelta(hours=h + 6)) for h in (0, 6, 12, 18)
    }
    names = {m.metric for r in response.results for d in r.data for m in d.metrics}
    assert names == set(METRICS)
    for r in response.results:
        for d in r.data:
            for m in d.metrics:
                if m.metric.startswith("t"):
                    assert m.stats.count > 0 and m.stats.min <= m.stats.max <= m.stats.sum
                elif m.metric == "oServiceLevel":  # parts, as the service sends them
                    assert 0 <= m.stats.numerator <= m.stats.denominator
                    assert m.stats.ratio == pytest.approx(m.stats.numerator / m.stats.denominator)
                    assert 0 < m.stats.target < 1 and m.stats.count is None
                else:
                    assert m.stats.count > 0 and m.stats.sum is None
    offered = sum(
        m.stats.count
        for r in response.results
        for d in r.data
        for m in d.metrics
        if m.metric == "nOffered"
    )
    assert offered >= 0.8 * emu.truth(*DAY)["total"]


# -- 5. the queue listing ------------------------------------------------------------------------


def test_sdk_queue_listing_follows_next_uri(emu: RunningEmulator, sdk: ApiClient) -> None:
    routing = RoutingApi(sdk)
    names: list[str] = []
    number, pages = 1, 0
    while True:
        listing = routing.get_routing_queues(page_size=3, page_number=number)
        pages += 1
        assert outdated(listing) == []
        names.extend(q.name for q in listing.entities)
        assert listing.page_number == number and listing.total == len(emu.app_state.org.queues)
        if listing.next_uri is None:
            assert number == listing.page_count
            break
        number = int(parse_qs(urlparse(listing.next_uri).query)["pageNumber"][0])
    assert pages == listing.page_count > 1
    assert sorted(names) == sorted(q["name"] for q in emu.app_state.org.queues)
    assert len(set(names)) == len(names)


# -- 6. one conversation ---------------------------------------------------------------------------


def test_sdk_gets_one_conversation(emu: RunningEmulator, sdk: ApiClient) -> None:
    ids = emu.truth(*DAY)["ids"]
    cid = ids[17]
    analytics = AnalyticsApi(sdk)
    conv = analytics.get_analytics_conversation_details(cid)
    assert conv.conversation_id == cid and DAY[0] <= conv.conversation_start < DAY[1]
    assert conv.participants and outdated(conv) == []
    several = analytics.get_analytics_conversations_details(id=ids[17:20])
    assert sorted(c.conversation_id for c in several.conversations) == sorted(ids[17:20])
    with pytest.raises(ApiException) as missing:
        analytics.get_analytics_conversation_details("20240513-ffff-4fff-8fff-ffffffffffff")
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["code"] == "not.found"


# -- 7. every raw response against the SDK models ---------------------------------------------

INININ = ("inin-correlation-id", "inin-ratelimit-allowed", "inin-ratelimit-count")
RANGE = (FIRST, NOW)  # every conversation of the org (3.5 days: under the 7-day limit)


class Walked:
    """Raw responses walked so far, and the problems found in them."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.conversations = 0
        self.media: set[str] = set()
        self.ongoing = 0

    def check(self, response: httpx.Response, status: int, model: str, label: str) -> Any:
        assert response.status_code == status, f"{label}: {response.status_code} {response.text}"
        assert all(h in response.headers for h in INININ), f"{label}: {response.headers}"
        if status == 204:
            assert response.content == b""
            return None
        body = response.json()
        self.problems.extend(f"{label}: {p}" for p in walk(body, model))
        for conv in body.get("conversations") or () if isinstance(body, dict) else ():
            self.count(conv)
        return body

    def count(self, conv: dict[str, Any]) -> None:
        self.conversations += 1
        self.ongoing += "conversationEnd" not in conv
        self.media |= {s["mediaType"] for p in conv["participants"] for s in p["sessions"]}


def details_raw(raw: httpx.Client, walked: Walked, body: dict[str, Any], label: str) -> list[dict]:
    out: list[dict] = []
    number = 1
    while True:
        paged = {**body, "paging": {"pageSize": 100, "pageNumber": number}}
        page = walked.check(
            raw.post(QUERY, json=paged),
            200,
            "AnalyticsConversationQueryResponse",
            f"{label} page {number}",
        )
        if "conversations" not in page:
            return out
        out.extend(page["conversations"])
        number += 1


def test_the_token_response_has_the_fields_the_sdk_reads(emu: RunningEmulator) -> None:
    r = httpx.post(
        f"{emu.base_url}/oauth/token",
        auth=(emu.client_id, emu.client_secret),
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 200 and all(h in r.headers for h in INININ)
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] == 86_400
    bad = httpx.post(
        f"{emu.base_url}/oauth/token",
        auth=(emu.client_id, "nope"),
        data={"grant_type": "client_credentials"},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"


def test_details_pages_walk_clean_over_every_conversation(
    emu: RunningEmulator, raw: httpx.Client
) -> None:
    walked = Walked()
    convs = details_raw(raw, walked, {"interval": iso(*RANGE)}, "details")
    ongoing = details_raw(
        raw,
        walked,
        {
            "interval": iso(NOW - timedelta(hours=6), NOW),
            "order": "desc",
            "conversationFilters": [
                {
                    "type": "and",
                    "predicates": [{"dimension": "conversationEnd", "operator": "notExists"}],
                }
            ],
        },
        "ongoing",
    )
    assert walked.problems == []
    assert len({c["conversationId"] for c in convs}) == len(convs) > 2500
    assert set(emu.truth(*RANGE)["ids"]) <= {c["conversationId"] for c in convs}
    assert ongoing and all("conversationEnd" not in c for c in ongoing)
    assert walked.media == MEDIA and walked.ongoing >= len(ongoing)
    dates = [
        s["segmentStart"]
        for c in convs
        for p in c["participants"]
        for s in p["sessions"][0]["segments"]
    ]
    assert all(API_DATETIME.match(d) for d in dates)


def test_job_responses_walk_clean(
    emu: RunningEmulator, raw: httpx.Client, module_clock: FakeClock
) -> None:
    walked = Walked()
    availability = walked.check(
        raw.get(f"{JOBS}/availability"), 200, "DataAvailabilityResponse", "availability"
    )
    submitted = walked.check(
        raw.post(JOBS, json={"interval": iso(*RANGE)}), 202, "AsyncQueryResponse", "submit"
    )
    job = f"{JOBS}/{submitted['jobId']}"
    states: list[str] = []
    while not states or states[-1] != "FULFILLED":
        status = walked.check(raw.get(job), 200, "AsyncQueryStatus", f"status {len(states)}")
        states.append(status["state"])
        module_clock.advance(emu.settings.job_run_seconds / 3)
        assert len(states) < 20
    assert states[0] == "QUEUED" and "PENDING" in states
    convs: list[dict] = []
    params: dict[str, Any] = {"pageSize": 1000}
    while True:
        page = walked.check(
            raw.get(f"{job}/results", params=params),
            200,
            "AnalyticsConversationAsyncQueryResponse",
            f"results {params}",
        )
        assert page["dataAvailabilityDate"] == availability["dataAvailabilityDate"]
        convs.extend(page["conversations"])
        if "cursor" not in page:
            break
        params = {"pageSize": 1000, "cursor": page["cursor"]}
    walked.check(raw.delete(job), 204, "", "delete")
    assert walked.problems == []
    assert len(convs) > 2500 and walked.media == MEDIA
    assert any("attributes" in p for c in convs for p in c["participants"])


def test_aggregate_responses_walk_clean(raw: httpx.Client) -> None:
    walked = Walked()
    bodies: list[dict[str, Any]] = [
        {
            "interval": iso(*DAY),
            "granularity": "PT1H",
            "groupBy": ["mediaType", "queueId"],
            "metrics": METRICS,
        },
        {
            "interval": iso(*RANGE),
            "granularity": "P1D",
            "groupBy": ["direction", "userId"],
            "metrics": METRICS,
        },
        {
            "interval": iso(*RANGE),
            "groupBy": ["originatingDirection", "wrapUpCode", "purpose", "divisionId"],
            "metrics": ["nOffered", "nConnected", "tHandle"],
        },
        {
            "interval": iso(*DAY),
            "timeZone": "America/New_York",
            "granularity": "P1D",
            "filter": {"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}]},
            "metrics": ["nOffered", "tTalk"],
        },
        {
            "interval": iso(FIRST - timedelta(days=30), FIRST - timedelta(days=29)),
            "metrics": ["nOffered"],
        },
    ]
    for i, body in enumerate(bodies):
        out = walked.check(
            raw.post(AGGREGATES, json=body),
            200,
            "ConversationAggregateQueryResponse",
            f"aggregates {i}",
        )
        for result in out.get("results", ()):
            assert set(result["group"]) <= set(body.get("groupBy", []))
            assert all(m["metric"] in body["metrics"] for d in result["data"] for m in d["metrics"])
    assert walked.problems == []


def test_queue_listing_and_conversations_by_id_walk_clean(
    emu: RunningEmulator, raw: httpx.Client
) -> None:
    walked = Walked()
    url: str | None = f"{QUEUES}?pageSize=3"
    pages = 0
    while url is not None:
        listing = walked.check(raw.get(url), 200, "QueueEntityListing", url)
        url = listing.get("nextUri")
        pages += 1
    assert pages > 1
    walked.check(
        raw.get(QUEUES, params={"name": "*a*", "sortOrder": "desc"}),
        200,
        "QueueEntityListing",
        "by name",
    )
    ids = emu.truth(*RANGE)["ids"]
    for cid in ids[:: max(1, len(ids) // 40)]:
        conv = walked.check(
            raw.get(f"/api/v2/analytics/conversations/{cid}/details"),
            200,
            "AnalyticsConversationWithoutAttributes",
            cid,
        )
        walked.count(conv)
    walked.check(
        raw.get("/api/v2/analytics/conversations/details", params={"id": ",".join(ids[:50])}),
        200,
        "AnalyticsConversationWithoutAttributesMultiGetResponse",
        "multi-get",
    )
    assert walked.problems == []
    assert walked.conversations >= 90


def test_error_bodies_walk_clean(emu: RunningEmulator, raw: httpx.Client) -> None:
    walked = Walked()
    day_query = {"interval": iso(*DAY)}
    errors = [
        (raw.post(QUERY, json={**day_query, "paging": {"pageSize": 101}}), 400),
        (raw.post(QUERY, json={"interval": "yesterday"}), 400),
        (
            raw.post(
                QUERY,
                json={
                    **day_query,
                    "segmentFilters": [
                        {"type": "and", "predicates": [{"dimension": "shoeSize", "value": "9"}]}
                    ],
                },
            ),
            400,
        ),
        (raw.post(JOBS, json={**day_query, "paging": {"pageSize": 10}}), 400),
        (raw.post(AGGREGATES, json={**day_query, "metrics": ["nBogus"]}), 400),
        (raw.get(QUEUES, params={"pageSize": 0}), 400),
        (
            raw.get("/api/v2/analytics/conversations/20240513-ffff-4fff-8fff-ffffffffffff/details"),
            404,
        ),
        (raw.get(f"{JOBS}/no-such-job"), 404),
        (raw.get(f"{JOBS}/no-such-job/results"), 404),
        (raw.get("/api/v2/nothing/here"), 404),
        (raw.delete(QUEUES), 405),
        (httpx.get(f"{emu.base_url}{QUEUES}"), 401),
        (httpx.get(f"{emu.base_url}{QUEUES}", headers={"Authorization": "Bearer forged"}), 401),
    ]
    for i, (response, status) in enumerate(errors):
        body = walked.check(response, status, "ErrorBody", f"error {i}")
        assert body["status"] == status and body["code"] and body["message"]
    assert walked.problems == []


def test_429_error_bodies_walk_clean() -> None:
    """A rate-limit 429 and a concurrent-jobs 429, on a small emulator of their own."""
    clock = FakeClock()
    settings = EmulatorSettings(
        seed=5, days=1, per_day=20, now=NOW, rate_limit=(8, 60.0), max_concurrent_jobs=1
    )
    walked = Walked()
    with (
        run_emulator(settings, clock=clock) as small,
        httpx.Client(base_url=small.base_url) as http,
    ):
        http.headers["Authorization"] = f"Bearer {login(small, http)}"
        body = {"interval": iso(NOW - timedelta(hours=6), NOW)}
        walked.check(http.post(JOBS, json=body), 202, "AsyncQueryResponse", "job 1")
        busy = http.post(JOBS, json=body)
        walked.check(busy, 429, "ErrorBody", "concurrent jobs")
        assert busy.headers["Retry-After"]
        responses = [http.get(QUEUES) for _ in range(8)]
        assert [r.status_code for r in responses] == [200] * 6 + [429] * 2
        limited = responses[-1]
        walked.check(limited, 429, "ErrorBody", "rate limit")
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.json()["code"] == "too.many.requests"
    assert walked.problems == []


def test_failed_and_expired_job_statuses_walk_clean() -> None:
    clock = FakeClock()
    walked = Walked()
    for faults, final in (({"job-failure": 1.0}, "FAILED"), ({"job-expiry": 1.0}, "EXPIRED")):
        settings = EmulatorSettings(seed=5, days=1, per_day=20, now=NOW, faults=faults)
        with (
            run_emulator(settings, clock=clock) as small,
            httpx.Client(base_url=small.base_url) as http,
        ):
            http.headers["Authorization"] = f"Bearer {login(small, http)}"
            job = http.post(JOBS, json={"interval": iso(NOW - timedelta(hours=6), NOW)}).json()[
                "jobId"
            ]
            clock.advance(settings.job_run_seconds)
            status = walked.check(http.get(f"{JOBS}/{job}"), 200, "AsyncQueryStatus", final)
            assert status["state"] == final
            walked.check(http.get(f"{JOBS}/{job}/results"), 400, "ErrorBody", f"{final} results")
    assert walked.problems == []


# -- the walker can fail ------------------------------------------------------------------------


def test_the_walker_catches_planted_bad_keys_enums_dates_and_types(raw: httpx.Client) -> None:
    page = raw.post(QUERY, json={"interval": iso(*DAY), "paging": {"pageSize": 5}}).json()
    assert walk(page, "AnalyticsConversationQueryResponse") == []
    conv = page["conversations"][2]
    session = conv["participants"][1]["sessions"][0]
    segment = session["segments"][0]
    segment["segmentKind"] = "interact"  # bad key, deep down
    session["mediaType"] = "fax"  # not an SDK enum value
    conv["originatingDirection"] = "INBOUND"  # right value, wrong case
    segment["segmentStart"] = "2024-05-13 10:00:00"  # not the API's format
    session["metrics"][0]["emitDate"] = "2024-02-30T00:00:00.000Z"  # no such day
    conv["participants"][0]["sessions"][0]["segments"] = {"not": "a list"}
    page["totalHits"] = "12"
    found = {(p.kind, p.path) for p in walk(page, "AnalyticsConversationQueryResponse")}
    base = "$.conversations[2]"
    s = f"{base}.participants[1].sessions[0]"
    assert found == {
        ("key", f"{s}.segments[0].segmentKind"),
        ("enum", f"{s}.mediaType"),
        ("enum", f"{base}.originatingDirection"),
        ("date", f"{s}.segments[0].segmentStart"),
        ("date", f"{s}.metrics[0].emitDate"),
        ("type", f"{base}.participants[0].sessions[0].segments"),
        ("type", "$.totalHits"),
    }
    kinds = {p.kind for p in walk({"state": "DONE", "jobId": "x"}, "AsyncQueryStatus")}
    assert kinds == {"enum", "key"}


def test_outdated_finds_what_the_sdk_maps_to_outdated_sdk_version() -> None:
    class Raw:
        def __init__(self, body: dict[str, Any]) -> None:
            self.data = json.dumps(body)

        def getheader(self, name: str) -> str:
            return "application/json"

    client = ApiClient(host="http://127.0.0.1:1")
    good = {"state": "FULFILLED", "submissionDate": "2024-05-13T00:00:00.000Z"}
    assert outdated(client.deserialize(Raw(good), "AsyncQueryStatus")) == []
    status = client.deserialize(Raw({**good, "state": "DONE"}), "AsyncQueryStatus")
    assert outdated(status) == ["$.state"]
    conv = {"conversationId": "c", "participants": [{"sessions": [{"mediaType": "fax"}]}]}
    parsed = client.deserialize(Raw(conv), "AnalyticsConversationWithoutAttributes")
    assert outdated(parsed) == ["$.participants[0].sessions[0].media_type"]


@pytest.mark.parametrize(
    ("faults", "statuses"),
    [
        ({"server-errors": 1.0}, {500, 502, 503, 504}),
        ({"throttle": 1.0}, {429}),
        ({"quota": 1.0}, {429}),
        ({"token-expiry": 0.0}, {401}),
    ],
)
def test_fault_error_bodies_walk_clean(faults: dict[str, float], statuses: set[int]) -> None:
    settings = EmulatorSettings(seed=5, days=1, per_day=20, now=NOW, faults=faults)
    walked = Walked()
    seen: set[int] = set()
    with (
        run_emulator(settings, clock=FakeClock()) as small,
        httpx.Client(base_url=small.base_url) as http,
    ):
        http.headers["Authorization"] = f"Bearer {login(small, http)}"
        for i in range(60):
            response = http.get(QUEUES)
            seen.add(response.status_code)
            walked.check(response, response.status_code, "ErrorBody", f"{faults} {i}")
            if seen == statuses:
                break
    assert seen == statuses and walked.problems == []


def test_drifting_details_pages_walk_clean() -> None:
    settings = EmulatorSettings(seed=5, days=3, per_day=400, now=NOW, faults={"drift": 1.0})
    walked = Walked()
    with (
        run_emulator(settings, clock=FakeClock()) as small,
        httpx.Client(base_url=small.base_url) as http,
    ):
        http.headers["Authorization"] = f"Bearer {login(small, http)}"
        convs = details_raw(http, walked, {"interval": iso(*DAY)}, "drift")
        added = small.app_state.counters["drift_added"]
    assert len(convs) > 300 and added > 0 and walked.problems == []


# -- the agent side and the dimension lists (issue 11) -------------------------------------------

UQUERY = "/api/v2/analytics/users/details/query"
UJOBS = "/api/v2/analytics/users/details/jobs"
UAGG = "/api/v2/analytics/users/aggregates/query"
USER_METRICS = ["tAgentRoutingStatus", "tOrganizationPresence", "tSystemPresence"]


def sdk_user_keys(details: list[Any] | None) -> set[tuple[str, str, datetime]]:
    out = set()
    for d in details or ():
        out |= {("presence", d.user_id, r.start_time) for r in d.primary_presence or ()}
        out |= {("routing", d.user_id, r.start_time) for r in d.routing_status or ()}
    return out


def user_truth(emu: RunningEmulator) -> set[tuple[str, str, datetime]]:
    truth = emu.truth(*DAY, dataset="user-details")
    return {
        (kind, uid, datetime.fromisoformat(s.replace("Z", "+00:00")))
        for kind in ("presence", "routing")
        for uid, s in truth[kind]
    }


def test_sdk_users_details_query_pages_to_an_empty_page(
    emu: RunningEmulator, sdk: ApiClient
) -> None:
    analytics = AnalyticsApi(sdk)
    found: set[tuple[str, str, datetime]] = set()
    number = 1
    while True:
        body = UserDetailsQuery()
        body.interval = iso(*DAY)
        body.paging = PagingSpec()
        body.paging.page_size, body.paging.page_number = 100, number
        page = analytics.post_analytics_users_details_query(body)
        assert outdated(page) == [] and page.total_hits > 0
        if not page.user_details:
            break
        found |= sdk_user_keys(page.user_details)
        number += 1
    assert number > 3
    assert {k for k in found if DAY[0] <= k[2] < DAY[1]} == user_truth(emu)


def test_sdk_users_details_job_and_aggregates(
    emu: RunningEmulator, sdk: ApiClient, module_clock: FakeClock
) -> None:
    analytics = AnalyticsApi(sdk)
    available = analytics.get_analytics_users_details_jobs_availability()
    assert available.data_availability_date == NOW - timedelta(hours=1)
    body = AsyncUserDetailsQuery()
    body.interval = iso(*DAY)
    job = analytics.post_analytics_users_details_jobs(body)
    assert sdk.last_response.status == 202
    module_clock.advance(emu.settings.job_run_seconds)
    assert analytics.get_analytics_users_details_job(job.job_id).state == "FULFILLED"
    found: set[tuple[str, str, datetime]] = set()
    cursor = None
    while True:
        kwargs: dict[str, Any] = {"page_size": 1000}
        if cursor is not None:
            kwargs["cursor"] = cursor
        page = analytics.get_analytics_users_details_job_results(job.job_id, **kwargs)
        assert outdated(page) == [] and page.data_availability_date is not None
        found |= sdk_user_keys(page.user_details)
        cursor = page.cursor
        if cursor is None:
            break
    assert {k for k in found if DAY[0] <= k[2] < DAY[1]} == user_truth(emu)
    analytics.delete_analytics_users_details_job(job.job_id)
    assert sdk.last_response.status == 204
    query = UserAggregationQuery()
    query.interval = iso(*DAY)
    query.granularity = "PT6H"
    query.group_by = ["userId"]
    query.metrics = USER_METRICS
    response = analytics.post_analytics_users_aggregates_query(query)
    assert outdated(response) == []
    assert set(response.system_to_organization_mappings) >= {"ON_QUEUE", "OFFLINE", "MEAL"}
    metrics = {m.metric for r in response.results for d in r.data for m in d.metrics}
    assert metrics == set(USER_METRICS)
    on_queue = sum(
        m.stats.sum
        for r in response.results
        for d in r.data
        for m in d.metrics
        if m.metric == "tSystemPresence" and m.qualifier == "ON_QUEUE"
    )
    assert on_queue > 0


def test_sdk_reads_every_dimension_list(emu: RunningEmulator, sdk: ApiClient) -> None:
    users_api, routing = UsersApi(sdk), RoutingApi(sdk)
    users: list[Any] = []
    number = 1
    while True:
        listing = users_api.get_users(page_size=20, page_number=number, state="any")
        assert outdated(listing) == []
        users.extend(listing.entities)
        if listing.next_uri is None:
            break
        number += 1
    assert {u.id for u in users} == set(emu.truth(dataset="users")["ids"])
    assert {u.state for u in users} == {"active", "inactive", "deleted"}
    codes = routing.get_routing_wrapupcodes(page_size=100)
    assert outdated(codes) == [] and {c.id for c in codes.entities} == set(
        emu.truth(dataset="wrapup-codes")["ids"]
    )
    divisions = AuthorizationApi(sdk).get_authorization_divisions()
    assert outdated(divisions) == [] and divisions.entities[0].home_division is True
    definitions = PresenceApi(sdk).get_presence_definitions()
    assert outdated(definitions) == [] and definitions.total == len(definitions.entities)
    assert "OnQueue" in {d.system_presence for d in definitions.entities}
    queue = routing.get_routing_queues(page_size=100).entities[0]
    assert queue.media_settings.to_dict()
    levels = [
        getattr(queue.media_settings, m).service_level
        for m in ("call", "callback", "chat", "email", "message")
        if getattr(queue.media_settings, m) is not None
    ]
    assert levels and all(0 < sl.percentage <= 1 and sl.duration_ms > 0 for sl in levels)
    members: list[Any] = []
    number = 1
    while True:
        page = routing.get_routing_queue_members(queue.id, page_size=5, page_number=number)
        assert outdated(page) == []
        members.extend(page.entities)
        if page.next_uri is None:
            break
        number += 1
    assert len(members) == queue.member_count
    assert all(m.routing_status is None or m.routing_status.status for m in members)


def test_users_and_list_responses_walk_clean(
    emu: RunningEmulator, raw: httpx.Client, module_clock: FakeClock
) -> None:
    walked = Walked()
    body: dict[str, Any] = {"interval": iso(*RANGE)}
    number = 1
    while True:
        paged = {**body, "paging": {"pageSize": 100, "pageNumber": number}}
        page = walked.check(
            raw.post(UQUERY, json=paged), 200, "AnalyticsUserDetailsQueryResponse", f"q{number}"
        )
        if not page.get("userDetails"):
            break
        number += 1
    submitted = walked.check(raw.post(UJOBS, json=body), 202, "AsyncQueryResponse", "submit")
    job = f"{UJOBS}/{submitted['jobId']}"
    walked.check(raw.get(job), 200, "AsyncQueryStatus", "status")
    module_clock.advance(emu.settings.job_run_seconds)
    walked.check(raw.get(f"{UJOBS}/availability"), 200, "DataAvailabilityResponse", "avail")
    results = walked.check(
        raw.get(f"{job}/results", params={"pageSize": 1000}),
        200,
        "AnalyticsUserDetailsAsyncQueryResponse",
        "results",
    )
    assert results["userDetails"] and results["cursor"]
    walked.check(raw.delete(job), 204, "", "delete")
    for i, agg in enumerate(
        [
            {"interval": iso(*RANGE), "granularity": "P1D", "groupBy": ["userId"]},
            {"interval": iso(*DAY), "timeZone": "Europe/Paris", "granularity": "PT1H"},
        ]
    ):
        walked.check(
            raw.post(UAGG, json={**agg, "metrics": USER_METRICS}),
            200,
            "UserAggregateQueryResponse",
            f"aggregates {i}",
        )
    lists = [
        ("/api/v2/users?state=any&pageSize=10", "UserEntityListing"),
        ("/api/v2/routing/wrapupcodes?pageSize=3", "WrapupCodeEntityListing"),
        ("/api/v2/authorization/divisions", "AuthzDivisionEntityListing"),
        ("/api/v2/routing/queues?pageSize=100", "QueueEntityListing"),
    ]
    for url, model in lists:
        next_url: str | None = url
        while next_url is not None:
            next_url = walked.check(raw.get(next_url), 200, model, next_url).get("nextUri")
    walked.check(
        raw.get("/api/v2/presence/definitions"),
        200,
        "OrganizationPresenceDefinitionEntityListing",
        "presence",
    )
    for queue in emu.app_state.org.queues:
        walked.check(
            raw.get(f"{QUEUES}/{queue['id']}/members", params={"pageSize": 100}),
            200,
            "QueueMemberEntityListing",
            queue["name"],
        )
    errors = [
        raw.post(UQUERY, json={**body, "paging": {"pageSize": 101}}),
        raw.post(UAGG, json={**body, "metrics": ["nOffered"]}),
        raw.get("/api/v2/users", params={"state": "gone"}),
    ]
    for i, response in enumerate(errors):
        walked.check(response, 400, "ErrorBody", f"error {i}")
    assert walked.problems == []
