from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from genesys_analytics.api.http import Transport
from genesys_analytics.api.retry import RetryPolicy
from genesys_analytics.errors import (
    AuthError,
    BadQuery,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from tests.conftest import FakeClock, FixedRng, json_response

DETAILS = "/api/v2/analytics/conversations/details/query"


def transport_of(responses: Iterator[httpx.Response] | list, clock: FakeClock, **kw) -> Transport:
    it = iter(responses)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = next(it)
        if isinstance(item, Exception):
            raise item
        return item

    http = Transport(
        "https://api.test",
        None,
        transport=httpx.MockTransport(handler),
        clock=clock,
        rng=FixedRng(0.5),
        **kw,
    )
    http.seen = seen  # type: ignore[attr-defined]
    return http


def always(response: httpx.Response) -> Iterator[httpx.Response]:
    while True:
        yield response


def test_success_decodes_json_and_sends_json(fake_clock: FakeClock) -> None:
    http = transport_of([json_response(200, {"totalHits": 3})], fake_clock)
    assert http.request("POST", DETAILS, json={"interval": "a/b"}) == {"totalHits": 3}
    sent = http.seen[0]  # type: ignore[attr-defined]
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.content == b'{"interval":"a/b"}'


def test_empty_body_is_none(fake_clock: FakeClock) -> None:
    http = transport_of([httpx.Response(204)], fake_clock)
    assert http.request("DELETE", "/api/v2/x") is None


def test_retries_5xx_with_backoff_and_counts(fake_clock: FakeClock) -> None:
    http = transport_of(
        [
            json_response(503, {}),
            json_response(502, {}),
            json_response(500, {}),
            json_response(200, {}),
        ],
        fake_clock,
    )
    assert http.request("GET", "/api/v2/x") == {}
    assert fake_clock.sleeps == [0.5, 1.0, 2.0]
    stats = http.stats.snapshot()
    assert (stats.requests, stats.retries, stats.throttled) == (4, 3, 0)


def test_retry_after_wins_and_pauses_everyone(fake_clock: FakeClock) -> None:
    http = transport_of(
        [
            json_response(429, {"code": "too.many.requests"}, **{"Retry-After": "7"}),
            json_response(200, {}),
        ],
        fake_clock,
    )
    t0 = fake_clock.now
    assert http.request("GET", "/api/v2/x") == {}
    assert fake_clock.sleeps == [7.0]
    assert fake_clock.now == pytest.approx(t0 + 7)
    assert http.stats.snapshot().throttled == 1


def test_long_retry_after_is_rate_limited_with_the_wait(fake_clock: FakeClock) -> None:
    http = transport_of([json_response(429, {}, **{"Retry-After": "3600"})], fake_clock)
    with pytest.raises(RateLimited) as info:
        http.request("GET", "/api/v2/x")
    assert "asked to wait 3600 s, more than the 180 s cap" in str(info.value)
    assert info.value.retry_after == 3600.0
    assert info.value.status == 429
    assert fake_clock.sleeps == []


def test_429_past_retries_is_rate_limited(fake_clock: FakeClock) -> None:
    http = transport_of(always(json_response(429, {}, **{"Retry-After": "1"})), fake_clock)
    with pytest.raises(RateLimited, match="after 8 attempts"):
        http.request("GET", "/api/v2/x")
    assert len(http.seen) == 8  # type: ignore[attr-defined]


def test_504_past_retries_says_too_heavy(fake_clock: FakeClock) -> None:
    http = transport_of(
        always(json_response(504, {"code": "request.timeout", "contextId": "ctx-504"})),
        fake_clock,
        policy=RetryPolicy(max_attempts=3),
    )
    with pytest.raises(ServerError) as info:
        http.request("POST", DETAILS, json={})
    text = str(info.value)
    assert "too heavy" in text and "smaller chunks" in text
    assert info.value.context_id == "ctx-504"
    assert fake_clock.sleeps == [0.5, 1.0]


def test_dropped_connection_mid_body_is_retried(fake_clock: FakeClock) -> None:
    http = transport_of(
        [
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
            httpx.ReadError("connection reset"),
            httpx.ConnectTimeout("slow"),
            json_response(200, {"ok": 1}),
        ],
        fake_clock,
    )
    assert http.request("GET", "/api/v2/x") == {"ok": 1}
    assert fake_clock.sleeps == [0.5, 1.0, 2.0]


def test_connection_errors_past_retries_are_server_errors(fake_clock: FakeClock) -> None:
    def refuse() -> Iterator[Exception]:
        while True:
            yield httpx.ConnectError("refused")

    http = transport_of(refuse(), fake_clock, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(ServerError, match="ConnectError") as info:
        http.request("GET", "/api/v2/x")
    assert "api.test" in str(info.value), "name the host the user may have mistyped"
    assert "--base-url" in str(info.value)


def test_400_pagination_cap_says_use_smaller_intervals(fake_clock: FakeClock) -> None:
    body = {
        "code": "bad.request",
        "message": "Pagination may not exceed 100000 results. Use smaller intervals.",
        "contextId": "c-1",
    }
    http = transport_of([json_response(400, body)], fake_clock)
    with pytest.raises(BadQuery) as info:
        http.request("POST", DETAILS, json={})
    assert "100,000" in str(info.value) and "smaller" in str(info.value)
    assert info.value.status == 400 and info.value.context_id == "c-1"
    assert fake_clock.sleeps == []  # never retried


def test_400_interval_too_long_says_so(fake_clock: FakeClock) -> None:
    body = {"code": "bad.request", "message": "Interval exceeds the maximum of 7 days"}
    http = transport_of([json_response(400, body)], fake_clock)
    with pytest.raises(BadQuery) as info:
        http.request("POST", DETAILS, json={})
    assert "interval is too long" in str(info.value)
    assert "7 days" in str(info.value) and "31 days" in str(info.value)


def test_400_other_keeps_the_service_message(fake_clock: FakeClock) -> None:
    body = {"code": "invalid.value", "message": "mediaType 'fax2' is not allowed"}
    http = transport_of([json_response(400, body)], fake_clock)
    with pytest.raises(BadQuery, match="fax2"):
        http.request("POST", DETAILS, json={})


def test_401_is_auth_error(fake_clock: FakeClock) -> None:
    http = transport_of([json_response(401, {"code": "credentials.expired"})], fake_clock)
    with pytest.raises(AuthError, match=r"credentials\.expired"):
        http.request("GET", "/api/v2/x")


def test_403_names_permission_from_body(fake_clock: FakeClock) -> None:
    body = {
        "code": "missing.any.permissions",
        "message": "Unable to perform the requested action. You must have at least one of the "
        "following permissions assigned: [analytics:conversationDetail:view, "
        "analytics:agentConversationDetail:view]",
    }
    http = transport_of([json_response(403, body)], fake_clock)
    with pytest.raises(PermissionDenied) as info:
        http.request("POST", DETAILS, json={})
    assert "analytics:agentConversationDetail:view" in info.value.message


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        (DETAILS, "analytics:conversationDetail:view"),
        ("/api/v2/analytics/conversations/details/jobs", "analytics:conversationDetail:view"),
        (
            "/api/v2/analytics/conversations/aggregates/query",
            "analytics:conversationAggregate:view",
        ),
        ("/api/v2/routing/queues", "routing:queue:view"),
    ],
)
def test_403_default_permission_per_endpoint(
    fake_clock: FakeClock, path: str, permission: str
) -> None:
    http = transport_of([json_response(403, {"code": "not.authorized"})], fake_clock)
    with pytest.raises(PermissionDenied) as info:
        http.request("GET", path)
    assert f"permission {permission}" in str(info.value)


def test_404_is_bad_query_with_correlation_id_from_header(fake_clock: FakeClock) -> None:
    http = transport_of(
        [
            json_response(
                404,
                {"code": "not.found", "message": "job gone"},
                **{"inin-correlation-id": "corr-9"},
            )
        ],
        fake_clock,
    )
    with pytest.raises(BadQuery) as info:
        http.request("GET", "/api/v2/analytics/conversations/details/jobs/j1")
    assert "not found" in str(info.value) and "job gone" in str(info.value)
    assert info.value.context_id == "corr-9"
    assert "corr-9" in str(info.value)


def test_rate_limit_headers_feed_the_limiter(fake_clock: FakeClock) -> None:
    h = {
        "inin-ratelimit-allowed": "300",
        "inin-ratelimit-count": "10",
        "inin-ratelimit-reset": "60",
    }
    http = transport_of([json_response(200, {}, **h)], fake_clock)
    http.request("GET", "/api/v2/x")
    assert http.limiter.budget == 285
    assert http.limiter.spacing == pytest.approx(60.05 / 285)


def test_debug_log_lines(fake_clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genesys_analytics")
    http = transport_of([json_response(503, {}), json_response(200, {})], fake_clock)
    http.request("POST", DETAILS, json={})
    text = caplog.text
    assert f"POST {DETAILS} -> 503 (attempt 1)" in text
    assert f"POST {DETAILS} -> 200 (attempt 2)" in text
    assert "retrying" in text and "0.5 s" in text


def test_a_retry_is_logged_at_info_with_its_reason_and_noted_for_progress(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="genesys_analytics")
    throttled = httpx.Response(429, headers={"Retry-After": "3"}, json={})
    http = transport_of([throttled, json_response(200, {})], fake_clock)
    http.request("POST", DETAILS, json={})
    [record] = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert record.levelno == logging.INFO  # visible with -v
    assert record.getMessage() == f"retrying POST {DETAILS} in 3.0 s: 429 throttled (attempt 1)"
    stats = http.stats.snapshot()
    assert (stats.retries, stats.throttled) == (1, 1)
    assert stats.last_retry is not None
    assert (stats.last_retry.reason, stats.last_retry.delay) == ("429 throttled", 3.0)


def test_stats_name_the_request_in_flight_login_included(fake_clock: FakeClock) -> None:
    from genesys_analytics.api.auth import TokenAuth

    during: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        during[request.url.path] = http.stats.snapshot().activity
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "t", "expires_in": 60})
        return json_response(200, {})

    auth = TokenAuth("id", "secret", "https://login.test", clock=fake_clock)
    http = Transport(
        "https://api.test", auth, transport=httpx.MockTransport(handler), clock=fake_clock
    )
    http.request("GET", "/api/v2/x", params={"pageSize": 5})
    assert during == {
        "/oauth/token": "POST https://login.test/oauth/token",
        "/api/v2/x": "GET https://api.test/api/v2/x",  # without the query string
    }


def test_a_success_that_is_not_json_is_a_clear_error(fake_clock: FakeClock) -> None:
    page = httpx.Response(200, text="<html>Sign in to the proxy</html>")
    http = transport_of([page], fake_clock)
    with pytest.raises(ServerError, match=r"not JSON.*--base-url"):
        http.request("POST", DETAILS, json={})


def test_interrupt_cuts_a_long_backoff_short() -> None:
    # A worker asleep in a 60 s backoff must not hold up Ctrl-C: interrupt() wakes it.
    import threading

    from genesys_analytics.api.pacing import SystemClock
    from genesys_analytics.errors import GenesysError as Stopped

    first_failure = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        first_failure.set()
        return json_response(503, {"message": "down"})

    clock = SystemClock()
    http = Transport(
        "https://api.test",
        None,
        transport=httpx.MockTransport(handler),
        clock=clock,
        rng=FixedRng(1.0),
        policy=RetryPolicy(base=60.0, cap=60.0),
    )
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            http.request("GET", "/api/v2/ping")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    assert first_failure.wait(10)
    clock.interrupt()
    worker.join(10)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Stopped)
    assert "interrupted" in str(outcome[0])


def test_a_page_is_freed_as_soon_as_it_is_decoded_not_by_the_cyclic_gc(
    fake_clock: FakeClock,
) -> None:
    """httpx leaves a read response in a cycle with its stream: its body (a page, ~300 KB)
    would wait for the cyclic collector, which an export runs rarely (extraction.gctune)."""
    import gc
    import weakref

    sent: list[weakref.ref[httpx.Response]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = json_response(200, {"conversations": [{"conversationId": "c1"}]})
        sent.append(weakref.ref(response))
        return response

    http = Transport("https://api.test", None, transport=httpx.MockTransport(handler))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            assert http.request("POST", DETAILS, json={}) == {
                "conversations": [{"conversationId": "c1"}]
            }
        assert [ref() for ref in sent] == [None, None, None]
    finally:
        if enabled:
            gc.enable()
