"""OAuth client credentials: a cached, thread-safe token, renewed early, replayed once on 401.

The auth class does no I/O itself: it yields the token request (and the replay) to httpx.
Only one thread fetches a token at a time; the others wait for it.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Generator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import orjson

from genesys_analytics.api.pacing import Clock, SystemClock
from genesys_analytics.api.retry import parse_retry_after
from genesys_analytics.errors import AuthError, ServerError

log = logging.getLogger(__name__)

_WAIT_FOR_OTHER_FETCH = 60.0  # seconds a thread waits for another thread's token fetch


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # clock time

    def __repr__(self) -> str:
        return f"Token(***, expires_at={self.expires_at})"


class TokenAuth(httpx.Auth):
    """Client-credentials bearer auth for ``httpx.Client``."""

    requires_response_body = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        *,
        clock: Clock | None = None,
        margin: float = 60.0,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.token_url = login_url.rstrip("/") + "/oauth/token"
        self.login_host = urlsplit(self.token_url).netloc
        self._clock = clock or SystemClock()
        self._margin = margin
        self._cond = threading.Condition()
        self._token: Token | None = None
        self._fetching = False
        self.fetches = 0  # how many tokens were requested (tests, stats)

    def __repr__(self) -> str:
        return f"TokenAuth(client_id={self._client_id!r}, login_host={self.login_host!r})"

    def invalidate(self, stale: str | None = None) -> None:
        """Forget the cached token (only if it is still ``stale``, when given)."""
        with self._cond:
            if stale is None or (self._token is not None and self._token.value == stale):
                self._token = None

    def _valid_token(self) -> str | None:
        token = self._token
        if token is not None and self._clock.monotonic() < token.expires_at:
            return token.value
        return None

    def _token_flow(self) -> Generator[httpx.Request, httpx.Response, str]:
        """Return a valid token, fetching one (a yielded request) if this thread must."""
        with self._cond:
            while True:
                value = self._valid_token()
                if value is not None:
                    return value
                if not self._fetching:
                    self._fetching = True
                    break
                if not self._cond.wait(timeout=_WAIT_FOR_OTHER_FETCH):
                    self._fetching = True  # the other fetch is stuck: take over
                    break
        try:
            self.fetches += 1
            response = yield self._token_request()
            response.read()
            token = self._parse(response)
            with self._cond:
                self._token = token
            return token.value
        finally:
            with self._cond:
                self._fetching = False
                self._cond.notify_all()

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            headers={
                "Authorization": f"Basic {self._basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            content=b"grant_type=client_credentials",
        )

    def _parse(self, response: httpx.Response) -> Token:
        status = response.status_code
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        log.debug("token request to %s -> %s", self.login_host, status)
        if status == 200 and isinstance(body.get("access_token"), str):
            expires_in = float(body.get("expires_in") or 86400)
            margin = min(self._margin, expires_in * 0.1)
            return Token(body["access_token"], self._clock.monotonic() + expires_in - margin)
        error = str(body.get("error") or "")
        description = str(body.get("error_description") or body.get("description") or "")
        excerpt = f"{error}: {description}".replace(self._secret, "***") if error else None
        if status >= 500 or status in (408, 429):
            raise ServerError(
                f"The login service at {self.login_host} failed to issue a token; try again later.",
                status=status,
                body=excerpt,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if error == "invalid_client" or status in (400, 401):
            raise AuthError(
                f"The login service at {self.login_host} refused the client credentials "
                f"({error or 'HTTP ' + str(status)}): the client id/secret or the region is "
                "wrong — a region mismatch is the usual cause. Check GENESYS_REGION.",
                status=status,
                body=excerpt,
            )
        raise AuthError(
            f"The login service at {self.login_host} did not issue a token "
            f"({error or 'HTTP ' + str(status)}).",
            status=status,
            body=excerpt,
        )

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._token_flow()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        log.debug("401 from %s: fetching a new token and replaying once", request.url.path)
        self.invalidate(token)
        token = yield from self._token_flow()
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        return self.sync_auth_flow(request)  # pragma: no cover - httpx calls sync_auth_flow


__all__ = ["Token", "TokenAuth"]
