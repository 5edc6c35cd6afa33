from __future__ import annotations

import base64
import threading

import httpx
import pytest

from genesys_analytics.api.auth import TokenAuth
from genesys_analytics.api.http import Transport
from genesys_analytics.api.retry import RetryPolicy
from genesys_analytics.config import REGIONS
from genesys_analytics.errors import AuthError, RateLimited, ServerError
from tests.conftest import FakeApi, FakeClock, FixedRng, json_response

LOGIN = "https://login.usw2.pure.cloud"


def make(api: FakeApi, clock: FakeClock, **kw) -> tuple[Transport, TokenAuth]:
    auth = TokenAuth(
        api.client_id, api.client_secret, LOGIN, clock=clock, region=REGIONS["us_west_2"]
    )
    http = Transport(
        "https://api.usw2.pure.cloud",
        auth,
        transport=httpx.MockTransport(api),
        clock=clock,
        rng=FixedRng(0.5),
        **kw,
    )
    return http, auth


def test_token_request_shape_and_cache(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    fake_api.route("GET", "/api/v2/ping", json_response(200, {"ok": True}))
    http, _auth = make(fake_api, fake_clock)
    assert http.request("GET", "/api/v2/ping") == {"ok": True}
    assert http.request("GET", "/api/v2/ping") == {"ok": True}
    token_req = fake_api.requests[0]
    assert str(token_req.url) == "https://login.usw2.pure.cloud/oauth/token"
    assert token_req.method == "POST"
    expected = base64.b64encode(b"cid:s3cret-value").decode()
    assert token_req.headers["Authorization"] == f"Basic {expected}"
    assert token_req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_req.content == b"grant_type=client_credentials"
    assert fake_api.token_requests == 1
    assert fake_api.api_auth == ["Bearer tok-1"] * 2


def test_token_renewed_before_expiry(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    fake_api.expires_in = 600  # margin = min(60, 10% of 600) = 60 s
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    http, _ = make(fake_api, fake_clock)
    http.request("GET", "/api/v2/ping")
    fake_clock.advance(539)
    http.request("GET", "/api/v2/ping")
    assert fake_api.token_requests == 1
    fake_clock.advance(2)
    http.request("GET", "/api/v2/ping")
    assert fake_api.token_requests == 2
    assert fake_api.api_auth[-1] == "Bearer tok-2"


def test_401_fetches_a_new_token_and_replays_once(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    fake_api.route("GET", "/api/v2/ping", json_response(200, {"n": 1}))
    http, _ = make(fake_api, fake_clock)
    http.request("GET", "/api/v2/ping")
    fake_api.valid_tokens.clear()  # the service expired the token early
    assert http.request("GET", "/api/v2/ping") == {"n": 1}
    assert fake_api.api_auth == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert fake_api.token_requests == 2


def test_401_twice_is_an_auth_error_after_exactly_one_replay(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    fake_api.route("GET", "/api/v2/ping", json_response(401, {"code": "bad.credentials"}))
    http, _ = make(fake_api, fake_clock)
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    assert len(fake_api.api_requests()) == 2
    assert fake_api.token_requests == 2
    assert info.value.status == 401
    assert "bad.credentials" in str(info.value)


def test_invalid_client_names_region_and_login_host(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    fake_api.token_error = json_response(
        400,
        {
            "error": "invalid_client",
            "description": "authentication failed",
            "error_description": "authentication failed",
        },
    )
    http, _ = make(fake_api, fake_clock)
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    text = str(info.value)
    assert "invalid_client" in text
    assert "region" in text
    assert "login.usw2.pure.cloud" in text
    assert fake_api.api_requests() == []
    assert fake_clock.sleeps == []  # not retried


def test_login_service_outage_is_retried(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    calls = {"n": 0}
    ok = fake_api._token

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return json_response(503, {"error": "unavailable"}) if calls["n"] < 3 else ok(request)

    fake_api._token = flaky  # type: ignore[method-assign]
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    http, _ = make(fake_api, fake_clock)
    assert http.request("GET", "/api/v2/ping") == {}
    assert fake_clock.sleeps == [0.5, 1.0]


def test_login_outage_past_retries_is_server_error(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    fake_api.token_error = json_response(503, {})
    http, _ = make(fake_api, fake_clock, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(ServerError):
        http.request("GET", "/api/v2/ping")


def test_one_token_fetch_for_many_threads(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    entered, release = threading.Event(), threading.Event()
    ok = fake_api._token

    def slow_token(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(5)
        return ok(request)

    fake_api._token = slow_token  # type: ignore[method-assign]
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    http, auth = make(fake_api, fake_clock)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            http.request("GET", "/api/v2/ping")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    assert entered.wait(5)
    release.set()
    for t in threads:
        t.join(10)
    assert errors == []
    assert auth.fetches == 1
    assert fake_api.token_requests == 1
    assert len(fake_api.api_requests()) == 12


def test_repr_never_shows_secret_or_token(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    http, auth = make(fake_api, fake_clock)
    http.request("GET", "/api/v2/ping")
    assert "s3cret-value" not in repr(auth)
    assert "tok-1" not in repr(auth) and "tok-1" not in repr(auth._token)


def test_login_429_retry_after_is_honoured(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    calls = {"n": 0}
    ok = fake_api._token

    def throttled(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return json_response(429, {"error": "too many"}, **{"Retry-After": "7"})
        return ok(request)

    fake_api._token = throttled  # type: ignore[method-assign]
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    http, _ = make(fake_api, fake_clock)
    assert http.request("GET", "/api/v2/ping") == {}
    assert fake_clock.sleeps == [7.0]


def test_login_429_with_a_huge_retry_after_stops_with_the_wait(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    fake_api.token_error = json_response(429, {}, **{"Retry-After": "7200"})
    http, _ = make(fake_api, fake_clock)
    with pytest.raises(RateLimited, match="7200 s") as info:
        http.request("GET", "/api/v2/ping")
    assert info.value.retry_after == 7200
    assert fake_clock.sleeps == []


# -- issue 10: the login has a timeout and says what to check -------------------------------


def test_the_token_request_carries_the_timeout(fake_api: FakeApi, fake_clock: FakeClock) -> None:
    """httpx sends requests yielded by an auth flow without the client's timeout."""
    fake_api.route("GET", "/api/v2/ping", json_response(200, {}))
    auth = TokenAuth("cid", "s3cret-value", LOGIN, clock=fake_clock, timeout=2.5)
    http = Transport(
        "https://api.usw2.pure.cloud", auth, transport=httpx.MockTransport(fake_api), timeout=2.5
    )
    http.request("GET", "/api/v2/ping")
    token_request, api_request = fake_api.requests
    assert token_request.url.path == "/oauth/token"
    expected = {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert token_request.extensions["timeout"] == expected
    assert api_request.extensions["timeout"] == expected


def test_a_login_that_never_answers_is_retried_then_names_host_and_port(
    fake_clock: FakeClock,
) -> None:
    seen: list[httpx.Request] = []

    def silent(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    auth = TokenAuth("cid", "s3cret-value", "http://10.0.0.7:8787", clock=fake_clock)
    http = Transport(
        "http://10.0.0.7:8787",
        auth,
        transport=httpx.MockTransport(silent),
        clock=fake_clock,
        policy=RetryPolicy(max_attempts=3),
        timeout=4.0,
        rng=FixedRng(0.5),
    )
    with pytest.raises(ServerError) as info:
        http.request("GET", "/api/v2/ping")
    text = str(info.value)
    assert [r.url.path for r in seen] == ["/oauth/token"] * 3
    assert fake_clock.sleeps == [0.5, 1.0]
    assert "10.0.0.7:8787" in text and "login" in text and "4 s" in text
    assert "GENESYS_TIMEOUT" in text and "3 attempts" in text
    assert "s3cret-value" not in text


def test_wrong_secret_with_a_base_url_says_check_the_base_url(fake_clock: FakeClock) -> None:
    api = FakeApi()
    api.token_error = json_response(400, {"error": "invalid_client"})
    auth = TokenAuth("cid", "s3cret-value", "http://127.0.0.1:8787", clock=fake_clock)
    http = Transport(
        "http://127.0.0.1:8787", auth, transport=httpx.MockTransport(api), clock=fake_clock
    )
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    text = str(info.value)
    assert "GENESYS_REGION" not in text and "region" not in text
    assert "http://127.0.0.1:8787" in text and "GENESYS_BASE_URL" in text
    assert "GENESYS_CLIENT_SECRET" in text and "s3cret-value" not in text


def test_wrong_secret_with_a_region_names_the_region(fake_clock: FakeClock) -> None:
    api = FakeApi()
    api.token_error = json_response(401, {"error": "invalid_client"})
    http, _ = make(api, fake_clock)
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    text = str(info.value)
    assert "us-west-2" in text and "GENESYS_REGION" in text and "GENESYS_BASE_URL" not in text


@pytest.mark.parametrize("status", [200, 404])
def test_an_html_login_page_says_not_json_once(status: int, fake_clock: FakeClock) -> None:
    api = FakeApi()
    api.token_error = httpx.Response(
        status, content=b"<html><body>Sign in</body></html>", headers={"Content-Type": "text/html"}
    )
    auth = TokenAuth("cid", "s3cret-value", "https://portal.example.com", clock=fake_clock)
    http = Transport(
        "https://portal.example.com", auth, transport=httpx.MockTransport(api), clock=fake_clock
    )
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    text = str(info.value)
    assert "text/html, not JSON" in text
    assert "https://portal.example.com/oauth/token" in text and "GENESYS_BASE_URL" in text
    assert text.count(f"HTTP {status}") == 1


def test_json_without_a_token_does_not_repeat_the_status(fake_clock: FakeClock) -> None:
    api = FakeApi()
    api.token_error = json_response(200, {"hello": "world"})
    auth = TokenAuth("cid", "s3cret-value", "http://127.0.0.1:1", clock=fake_clock)
    http = Transport("http://127.0.0.1:1", auth, transport=httpx.MockTransport(api))
    with pytest.raises(AuthError) as info:
        http.request("GET", "/api/v2/ping")
    assert str(info.value).count("HTTP 200") == 1
