"""Login, bearer checks, 404/405 and the headers every response carries."""

from __future__ import annotations

import uuid

import httpx

from genesys_analytics.emulator import RunningEmulator, run_emulator
from tests.emulator.conftest import QUEUES, FakeClock, api_client, login, small_settings

RATE_HEADERS = ("inin-ratelimit-allowed", "inin-ratelimit-count", "inin-ratelimit-reset")


def _token(emu: RunningEmulator, auth: tuple[str, str], grant: str) -> httpx.Response:
    return httpx.post(f"{emu.base_url}/oauth/token", auth=auth, data={"grant_type": grant})


def test_token_success_shape(emu: RunningEmulator) -> None:
    r = _token(emu, (emu.client_id, emu.client_secret), "client_credentials")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86_400
    assert len(body["access_token"]) >= 20


def test_bad_secret_is_invalid_client_with_setting_status(emu: RunningEmulator) -> None:
    r = _token(emu, (emu.client_id, "wrong"), "client_credentials")
    assert r.status_code == 400
    assert r.json() == {
        "error": "invalid_client",
        "description": "authentication failed",
        "error_description": "authentication failed",
    }
    assert "wrong" not in r.text


def test_no_basic_auth_is_invalid_client(emu: RunningEmulator) -> None:
    r = httpx.post(f"{emu.base_url}/oauth/token", data={"grant_type": "client_credentials"})
    assert r.json()["error"] == "invalid_client"


def test_token_error_status_setting() -> None:
    with run_emulator(small_settings(days=1, per_day=5, token_error_status=401)) as emu:
        assert _token(emu, ("nobody", "x"), "client_credentials").status_code == 401


def test_wrong_grant_type(emu: RunningEmulator) -> None:
    r = _token(emu, (emu.client_id, emu.client_secret), "password")
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


def _code(r: httpx.Response) -> str:
    code: str = r.json()["code"]
    return code


def test_bearer_missing_unknown(emu: RunningEmulator) -> None:
    r = httpx.get(f"{emu.base_url}{QUEUES}")
    assert (r.status_code, _code(r)) == (401, "authentication.required")
    r = httpx.get(f"{emu.base_url}{QUEUES}", headers={"Authorization": "Bearer nope"})
    assert (r.status_code, _code(r)) == (401, "bad.credentials")


def test_bearer_expires_on_the_clock(clock: FakeClock) -> None:
    with run_emulator(small_settings(days=1, per_day=5, token_lifetime=300), clock=clock) as emu:
        with api_client(emu) as api:
            assert api.get(QUEUES).status_code == 200
            clock.advance(299)
            assert api.get(QUEUES).status_code == 200
            clock.advance(2)
            r = api.get(QUEUES)
            assert (r.status_code, _code(r)) == (401, "credentials.expired")
            api.headers["Authorization"] = f"Bearer {login(emu, api)}"
            assert api.get(QUEUES).status_code == 200
        assert emu.app_state.counters["tokens_issued"] == 2


def test_unknown_path_and_wrong_method_are_error_bodies(api: httpx.Client) -> None:
    r = api.get("/api/v2/no/such/thing")
    assert r.status_code == 404
    assert _code(r) == "not.found"
    r = api.delete(QUEUES)
    assert r.status_code == 405
    assert r.json()["status"] == 405


def test_every_response_has_headers_and_error_bodies_carry_context(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    responses = [
        api.get(QUEUES),
        api.get("/api/v2/nowhere"),
        api.post("/api/v2/analytics/conversations/details/query", content=b"{not json"),
        httpx.get(f"{emu.base_url}{QUEUES}"),
        _token(emu, (emu.client_id, emu.client_secret), "client_credentials"),
        _token(emu, ("x", "y"), "client_credentials"),
        httpx.get(f"{emu.base_url}/_emulator/truth?start=2024-05-14&end=2024-05-15"),
    ]
    for r in responses:
        for name in RATE_HEADERS:
            assert r.headers[name].isdigit(), (r.url, name)
        cid = r.headers["inin-correlation-id"]
        uuid.UUID(cid)
        if r.status_code >= 400 and "code" in r.json():
            body = r.json()
            assert body["contextId"] == cid
            assert body["details"] == [] and body["errors"] == []
            assert body["status"] == r.status_code
            assert body["message"]
    assert len({r.headers["inin-correlation-id"] for r in responses}) == len(responses)
