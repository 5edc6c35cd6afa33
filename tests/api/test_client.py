from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any

import httpx
import orjson
import pytest

from genesys_analytics.api.client import Client
from genesys_analytics.api.jobs import JobPolicy
from genesys_analytics.api.paging import Page
from genesys_analytics.errors import AuthError, ConfigError, GenesysError
from tests.conftest import FakeApi, FakeClock, FixedRng, json_response

DETAILS = "/api/v2/analytics/conversations/details/query"
JOBS = "/api/v2/analytics/conversations/details/jobs"
SECRET = "s3cret-value"


def details_handler(total: int, *, page_cap: int = 100):
    """Serve ``total`` conversations c0..c{total-1} by page number; record each body."""
    bodies: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        bodies.append(body)
        size, number = body["paging"]["pageSize"], body["paging"]["pageNumber"]
        ids = [f"c{i}" for i in range((number - 1) * size, min(number * size, total))]
        out: dict[str, Any] = {"totalHits": total}
        if ids:
            out["conversations"] = [{"conversationId": i} for i in ids]
        return json_response(200, out)

    handle.bodies = bodies  # type: ignore[attr-defined]
    return handle


def make_client(api: FakeApi, clock: FakeClock, **kw: Any) -> Client:
    return Client(
        api.client_id,
        api.client_secret,
        region="usw2.pure.cloud",
        transport=httpx.MockTransport(api),
        clock=clock,
        rng=FixedRng(0.5),
        **kw,
    )


def test_conversation_details_pages_to_the_end(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    handler = details_handler(5)
    fake_api.route("POST", DETAILS, handler)
    with make_client(fake_api, fake_clock) as client:
        got = [
            c["conversationId"]
            for c in client.conversation_details(
                "2024-05-01T00:00:00Z",
                datetime(2024, 5, 2, tzinfo=timezone.utc),
                page_size=2,
                media_type="voice",
            )
        ]
    assert got == ["c0", "c1", "c2", "c3", "c4"]
    assert [b["paging"]["pageNumber"] for b in handler.bodies] == [1, 2, 3, 4]
    first = handler.bodies[0]
    assert first["interval"] == "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"
    assert first["segmentFilters"][0]["predicates"][0]["value"] == "voice"
    assert str(fake_api.requests[1].url).startswith("https://api.usw2.pure.cloud/")
    assert str(fake_api.requests[0].url) == "https://login.usw2.pure.cloud/oauth/token"


def test_details_pages_resume_and_total_hits(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    handler = details_handler(250)
    fake_api.route("POST", DETAILS, handler)
    client = make_client(fake_api, fake_clock)
    body = {"interval": "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"}
    pages = list(client.details_pages(body, start_page=2, page_size=100))
    assert handler.bodies[0]["paging"] == {"pageSize": 100, "pageNumber": 2}
    assert pages[0].number == 2 and pages[0].total_hits == 250
    assert pages[0].items == [{"conversationId": f"c{i}"} for i in range(100, 200)]
    assert isinstance(pages[0], Page)
    assert [p.number for p in pages] == [2, 3, 4]
    assert pages[-1].conversations == []


def test_naive_datetime_is_refused(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    client = make_client(fake_api, fake_clock)
    with pytest.raises(ConfigError, match="timezone"):
        list(client.conversation_details(datetime(2024, 5, 1), "2024-05-02"))


def test_conversation_job(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    submitted: list[dict[str, Any]] = []

    def submit(request: httpx.Request) -> httpx.Response:
        submitted.append(orjson.loads(request.content))
        return json_response(202, {"jobId": "j1"})

    fake_api.route("POST", JOBS, submit)
    fake_api.route("GET", f"{JOBS}/j1", json_response(200, {"state": "FULFILLED"}))
    fake_api.route(
        "GET",
        f"{JOBS}/j1/results",
        json_response(200, {"conversations": [{"conversationId": "x"}]}),
    )
    deleted: list[str] = []
    fake_api.route("DELETE", f"{JOBS}/j1", lambda r: (deleted.append("j1"), httpx.Response(204))[1])
    client = make_client(fake_api, fake_clock, job_policy=JobPolicy(first=0.5))
    assert [c["conversationId"] for c in client.conversation_job("2024-05-01", "2024-05-02")] == [
        "x"
    ]
    assert submitted[0]["startOfDayIntervalMatching"] is True
    assert "paging" not in submitted[0]
    assert deleted == ["j1"]
    assert fake_clock.sleeps == [0.5]


def test_job_availability_aggregates_queues_conversation(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    fake_api.route(
        "GET",
        f"{JOBS}/availability",
        json_response(200, {"dataAvailabilityDate": "2024-05-02T06:00:00Z"}),
    )
    fake_api.route(
        "POST",
        "/api/v2/analytics/conversations/aggregates/query",
        json_response(200, {"results": [1]}),
    )

    def queues(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["pageNumber"])
        body: dict[str, Any] = {"entities": [{"id": f"q{page}"}], "pageNumber": page}
        if page < 3:
            body["nextUri"] = f"/api/v2/routing/queues?pageSize=100&pageNumber={page + 1}"
        return json_response(200, body)

    fake_api.route("GET", "/api/v2/routing/queues", queues)
    fake_api.route(
        "GET",
        "/api/v2/analytics/conversations/c-1/details",
        json_response(200, {"conversationId": "c-1"}),
    )
    client = make_client(fake_api, fake_clock)
    assert client.job_availability() == datetime(2024, 5, 2, 6, tzinfo=timezone.utc)
    assert client.aggregates({"interval": "x"}) == {"results": [1]}
    assert [q["id"] for q in client.queues()] == ["q1", "q2", "q3"]
    assert client.conversation("c-1") == {"conversationId": "c-1"}
    assert client.stats.snapshot().requests == 6


def test_thread_safe_sharing_one_client(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    fake_api.route("POST", DETAILS, details_handler(30))
    client = make_client(fake_api, fake_clock)
    results: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        n = sum(1 for _ in client.conversation_details("2024-05-01", "2024-05-02", page_size=10))
        with lock:
            results.append(n)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [30] * 6
    assert fake_api.token_requests == 1
    assert client.stats.snapshot().requests == 6 * 4


def test_from_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path, fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "GENESYS_CLIENT_ID",
        "GENESYS_CLIENT_SECRET",
        "GENESYS_REGION",
        "GENESYS_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "cid")
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
    monkeypatch.setenv("GENESYS_BASE_URL", "http://127.0.0.1:1")
    fake_api.route(
        "GET", "/api/v2/analytics/conversations/z/details", json_response(200, {"ok": 1})
    )
    client = Client.from_env(transport=httpx.MockTransport(fake_api), clock=fake_clock)
    assert client.conversation("z") == {"ok": 1}
    assert str(fake_api.requests[0].url) == "http://127.0.0.1:1/oauth/token"
    client2 = Client.from_env(region="eu-west-1", base_url=None, client_id="other")
    assert client2.settings.region.key == "eu_west_1" and client2.settings.client_id == "other"


def test_no_secret_or_token_in_logs_errors_or_reprs(
    fake_api: FakeApi, fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # 1. a 401 flow: the token is rejected, renewed, replayed and rejected again
    fake_api.route(
        "GET", "/api/v2/x", json_response(401, {"code": "bad.credentials", "message": "nope"})
    )
    client = make_client(fake_api, fake_clock)
    with pytest.raises(AuthError) as info:
        client.request("GET", "/api/v2/x")
    texts += [
        str(info.value),
        repr(info.value),
        info.value.body_excerpt or "",
        repr(client),
        repr(client.settings),
    ]
    # 2. a failing token request whose body echoes what it got
    fake_api.token_error = json_response(
        401,
        {
            "error": "invalid_client",
            "error_description": f"bad secret {SECRET}",
            "access_token": "tok-9",
        },
    )
    client2 = make_client(fake_api, fake_clock)
    with pytest.raises(GenesysError) as info2:
        client2.request("GET", "/api/v2/x")
    texts += [str(info2.value), repr(info2.value), info2.value.body_excerpt or "", repr(client2)]
    assert "login.usw2.pure.cloud" in str(info2.value)
    everything = "\n".join([*texts, caplog.text])
    assert caplog.text  # debug logging did happen
    for secret in (SECRET, "tok-1", "tok-2", "tok-9"):
        assert secret not in everything
