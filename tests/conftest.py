"""Shared fakes: a clock that advances only when slept on, and a fake Genesys API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest


class FakeClock:
    """``monotonic()`` starts at 1000; ``sleep(s)`` advances it and records ``s``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class FixedRng:
    """``uniform(a, b)`` returns the point ``fraction`` of the way from a to b."""

    def __init__(self, fraction: float = 0.5) -> None:
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


def json_response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    content = orjson.dumps(body) if body is not None else b""
    return httpx.Response(status, content=content, headers=headers)


Handler = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """A MockTransport handler: issues tokens ``tok-1``, ``tok-2``... and routes API calls."""

    def __init__(self, client_id: str = "cid", client_secret: str = "s3cret-value") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[httpx.Request] = []
        self.api_auth: list[str] = []  # Authorization of each API call, as sent
        self.token_requests = 0
        self.valid_tokens: set[str] = set()
        self.expires_in = 86400
        self.token_error: httpx.Response | None = None
        self._lock = threading.Lock()

    def route(self, method: str, path: str, handler: Handler | httpx.Response) -> None:
        self.routes[(method, path)] = (
            (lambda _r: handler) if isinstance(handler, httpx.Response) else handler
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        if request.url.path == "/oauth/token":
            return self._token(request)
        auth = request.headers.get("Authorization", "")
        with self._lock:
            self.api_auth.append(auth)
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return json_response(401, {"code": "credentials.expired", "message": "expired"})
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return json_response(404, {"code": "not.found", "message": "no such route"})
        return handler(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token_error is not None:
            return self.token_error
        with self._lock:
            self.token_requests += 1
            token = f"tok-{self.token_requests}"
            self.valid_tokens.add(token)
        return json_response(
            200, {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in}
        )

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()
