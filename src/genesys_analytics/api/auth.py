"""OAuth client credentials: a cached, thread-safe token, renewed early, replayed once on 401.

The auth class does no I/O itself: it yields the token request (and the replay) to httpx.
httpx sends a request yielded by an auth flow as it is, without the client's timeout, so
the token request carries its own. Only one thread fetches a token at a time; the others
wait for it.
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
from genesys_analytics.config import DEFAULT_TIMEOUT, Region
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
    """Client-credentials bearer auth for ``httpx.Client``.

    ``region`` is the region whose login host ``login_url`` is, or ``None`` for a base URL
    (an emulator or a gateway): a refusal then says which of the two to check.
    """

    requires_response_body = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        *,
        clock: Clock | None = None,
        margin: float = 60.0,
        timeout: float = DEFAULT_TIMEOUT,
        region: Region | None = None,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.token_url = login_url.rstrip("/") + "/oauth/token"
        self.login_host = urlsplit(self.token_url).netloc
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._region = region
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
            extensions={"timeout": self._timeout},
        )

    def _parse(self, response: httpx.Response) -> Token:
        status = response.status_code
        log.debug("token request to %s -> %s", self.login_host, status)
        if status >= 500 or status in (408, 429):
            raise ServerError(
                f"The login service at {self.login_host} failed to issue a token; try again later.",
                status=status,
                body=self._excerpt(_json_object(response)),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        body = _json_object(response)
        if body is None:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise AuthError(
                f"The login answer from {self.token_url} was {kind}, not JSON, so it is not a "
                f"Genesys Cloud login service: {self._where_hint()}.",
                status=status,
            )
        access_token = body.get("access_token")
        if status == 200 and isinstance(access_token, str):
            expires_in = _seconds(body.get("expires_in"))
            margin = min(self._margin, expires_in * 0.1)
            return Token(access_token, self._clock.monotonic() + expires_in - margin)
        error = str(body.get("error") or "")
        excerpt = self._excerpt(body)
        if error == "invalid_client" or status in (400, 401):
            raise AuthError(
                f"The login service at {self.login_host} refused the client credentials"
                f"{f' ({error})' if error else ''}: {self._credentials_hint()}.",
                status=status,
                body=excerpt,
            )
        raise AuthError(
            f"The login service at {self.login_host} did not issue a token"
            f"{f' ({error})' if error else ''}: {self._where_hint()}.",
            status=status,
            body=excerpt,
        )

    def _excerpt(self, body: dict[str, object] | None) -> str | None:
        error = str((body or {}).get("error") or "")
        if not error or body is None:
            return None
        description = str(body.get("error_description") or body.get("description") or "")
        return f"{error}: {description}".replace(self._secret, "***")

    def _credentials_hint(self) -> str:
        if self._region is None:
            return (
                "check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET, and that the base URL "
                f"{self.token_url.removesuffix('/oauth/token')} (GENESYS_BASE_URL or "
                "--base-url) is the service that OAuth client belongs to"
            )
        return (
            "check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET, and that the OAuth client "
            f"belongs to region {self._region.dashed} (GENESYS_REGION or --region); a region "
            "mismatch is the usual cause"
        )

    def _where_hint(self) -> str:
        if self._region is None:
            return (
                "check that GENESYS_BASE_URL or --base-url points at a Genesys Cloud API "
                "(or the emulator), not at a web page or proxy"
            )
        return f"check the region {self._region.dashed} (GENESYS_REGION or --region)"

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


def _seconds(value: object, default: float = 86400.0) -> float:
    if not value or not isinstance(value, int | float | str):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def _json_object(response: httpx.Response) -> dict[str, object] | None:
    """The body as a JSON object; ``{}`` when empty; ``None`` when it is not a JSON object."""
    if not response.content:
        return {}
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


__all__ = ["Token", "TokenAuth"]
