"""The one place requests are sent: pacing, retries, decoding and error mapping."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from genesys_analytics.api.pacing import Clock, Limiter, SystemClock
from genesys_analytics.api.retry import GiveUp, RetryPolicy, Rng, decide, parse_retry_after
from genesys_analytics.api.stats import Stats
from genesys_analytics.errors import (
    AuthError,
    BadQuery,
    GenesysError,
    PermissionDenied,
    RateLimited,
    ServerError,
)

log = logging.getLogger(__name__)

_PERMISSION = re.compile(r"\b[a-z][A-Za-z]*:[A-Za-z]+:[A-Za-z]+\b")
_READ = httpx.ByteStream(b"")  # the stream of a response whose body has been read
_URLS = 256  # request paths whose URLs are kept (job result paths vary; a few in use at a time)
_STATUS_REASONS = {408: "request timeout", 429: "throttled", 504: "gateway timeout"}
_DEFAULT_PERMISSIONS = (
    ("/analytics/conversations/aggregates", "analytics:conversationAggregate:view"),
    ("/analytics/conversations", "analytics:conversationDetail:view"),
    ("/routing/queues", "routing:queue:view"),
)


class Transport:
    """Sends API requests through one ``httpx.Client``; thread-safe."""

    def __init__(
        self,
        api_url: str,
        auth: httpx.Auth | None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        timeout: float = 30.0,
        rng: Rng | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or Limiter(self.clock)
        self.stats = Stats()
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._client = httpx.Client(
            base_url=api_url.rstrip("/"),
            auth=auth,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
            event_hooks={"request": [self._sending]},
        )
        self._urls: dict[str, httpx.URL] = {}

    def _sending(self, request: httpx.Request) -> None:
        """Every request httpx sends, the token request too: what the run now waits for, and
        the moment the limiter logs (a thread may stall between ``acquire`` and here)."""
        self.limiter.sent()
        url = request.url  # its parts, not ``copy_with``: that parses the URL again
        path = url.raw_path.split(b"?", 1)[0].decode("ascii")
        self.stats.sending(request.method, f"{url.scheme}://{url.netloc.decode('ascii')}{path}")

    def _url(self, path: str) -> httpx.URL:
        """The absolute URL of ``path``, merged with the base URL once: httpx parses a URL
        string on every request, a cost of the order of a page's own decoding."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URLS:
                self._urls.clear()
            url = self._urls[path] = self._client.build_request("GET", path).url
        return url

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        decode: Callable[[bytes], Any] = orjson.loads,
    ) -> Any:
        """Send with pacing and retries; return decoded JSON (``None`` for an empty body).

        ``decode`` turns a successful body into its value (a page's items as records that
        keep their JSON: :func:`genesys_analytics.api.records.page_decoder`)."""
        content = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        attempt = 0
        while True:
            attempt += 1
            self.stats.add(waited=self.limiter.acquire(), requests=1)
            try:
                response = self._client.request(
                    method, self._url(path), content=content, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                self.limiter.observe(None)
                decision = decide(self.policy, attempt, exc, None, self._rng)
                log.info(
                    "%s %s at %s -> %s (attempt %d of %d)",
                    method,
                    path.split("?")[0],
                    _host_port(_failed_url(exc, self._client.base_url)),
                    type(exc).__name__,
                    attempt,
                    self.policy.max_attempts,
                )
                if isinstance(decision, GiveUp):
                    base = self._client.base_url
                    text = _unanswered(exc, method, path, attempt, self._timeout, base)
                    raise ServerError(text) from None
                self._sleep(decision.delay, method, path, type(exc).__name__, attempt)
                continue
            except GenesysError as exc:  # raised by the token flow
                self.limiter.observe(None)
                if not isinstance(exc, ServerError):
                    raise
                decision = decide(
                    self.policy, attempt, exc.status or 503, exc.retry_after, self._rng
                )
                if isinstance(decision, GiveUp) and decision.retry_after is not None:
                    raise RateLimited(
                        f"The login service {decision.reason}; wait that long and run again.",
                        status=exc.status,
                        retry_after=decision.retry_after,
                    ) from None
                if isinstance(decision, GiveUp):
                    raise
                reason = f"login service {exc.status or 'unreachable'}"
                self._sleep(decision.delay, method, path, reason, attempt)
                continue
            # httpx leaves a read response in a reference cycle with its stream, so its body
            # (a page: ~300 KB) lived until the cyclic GC ran; a new stream breaks the cycle.
            response.stream = _READ
            self.limiter.observe(response.headers)
            status = response.status_code
            log.debug("%s %s -> %d (attempt %d)", method, path, status, attempt)
            if status < 400:
                return _decode_success(response, method, path, decode)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429:
                self.stats.add(throttled=1)
                if retry_after is not None and retry_after <= self.policy.max_retry_after:
                    self.limiter.pause(retry_after)
            decision = decide(self.policy, attempt, status, retry_after, self._rng)
            if isinstance(decision, GiveUp):
                raise error_for(response, method, path, decision)
            reason = f"{status} {_STATUS_REASONS.get(status, 'server error')}"
            self._sleep(decision.delay, method, path, reason, attempt)

    def _sleep(self, delay: float, method: str, path: str, reason: str, attempt: int) -> None:
        """Wait before the next attempt; logged at INFO (seen with ``-v``) with the reason."""
        log.info(
            "retrying %s %s in %.1f s: %s (attempt %d)",
            method,
            path.split("?")[0],
            delay,
            reason,
            attempt,
        )
        self.stats.retrying(reason, delay)
        self.clock.sleep(delay)
        if getattr(self.clock, "interrupted", False):
            raise GenesysError(
                f"{method} {path.split('?')[0]} was interrupted while waiting to retry."
            )


def _failed_url(exc: httpx.TransportError, fallback: httpx.URL) -> httpx.URL:
    try:
        return exc.request.url
    except RuntimeError:  # an error raised without its request
        return fallback


def _host_port(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def _unanswered(
    exc: httpx.TransportError,
    method: str,
    path: str,
    attempts: int,
    timeout: float,
    base_url: httpx.URL,
) -> str:
    """One sentence for a request that never got an answer: where, what, and what to do."""
    url = _failed_url(exc, base_url)
    where = _host_port(url)
    if url.path.endswith("/oauth/token"):
        what = "the login (POST /oauth/token)"
    else:
        what = f"{method} {path.split('?')[0]}"
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    kind = type(exc).__name__
    detail = " ".join(str(exc).split()) or kind
    check = "--base-url / GENESYS_BASE_URL or --region"
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"Could not connect to {where} for {what} within {timeout:g} s ({kind}, {tries}): "
            f"check the network and {check}, or allow more with GENESYS_TIMEOUT (seconds) "
            "and GENESYS_MAX_ATTEMPTS."
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"No answer from {where} to {what} within {timeout:g} s ({kind}, {tries}): check "
            f"that {check} points at a Genesys Cloud API that is up, or allow more with "
            "GENESYS_TIMEOUT (seconds) and GENESYS_MAX_ATTEMPTS."
        )
    if isinstance(exc, httpx.ConnectError):
        return (
            f"Could not connect to {where} for {what} ({kind}: {detail}; {tries}): check the "
            f"network and {check}, or try again later."
        )
    return (
        f"The connection to {where} broke during {what} ({kind}: {detail}; {tries}): try "
        f"again later, or check {check}."
    )


def _decode_success(
    response: httpx.Response, method: str, path: str, decode: Callable[[bytes], Any]
) -> Any:
    if not response.content:
        return None
    try:
        return decode(response.content)
    except orjson.JSONDecodeError:
        kind = response.headers.get("Content-Type", "no content type")
        raise ServerError(
            f"{method} {path.split('?')[0]} answered {response.status_code} with a body that is "
            f"not JSON ({kind}); check that --base-url / GENESYS_BASE_URL or --region points "
            "at the Genesys Cloud API and not at a proxy or login page.",
            status=response.status_code,
            body=response.text,
        ) from None


def _decode_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def default_permission(path: str) -> str | None:
    for fragment, permission in _DEFAULT_PERMISSIONS:
        if fragment in path:
            return permission
    return None


def error_for(
    response: httpx.Response, method: str, path: str, decision: GiveUp | None = None
) -> GenesysError:
    """Map a failed response to the error named for the caller's next move."""
    status = response.status_code
    body = _decode_body(response)
    message = str(body.get("message") or "").strip()
    code = str(body.get("code") or "").strip()
    context_id = body.get("contextId") or response.headers.get("inin-correlation-id")
    said = f" The service said: {message}" if message else ""
    kw: dict[str, Any] = {
        "status": status,
        "context_id": str(context_id) if context_id else None,
        "body": response.text[:500] if response.content else None,
    }
    where = f"{method} {path.split('?')[0]}"
    if status == 400:
        lowered = message.lower()
        if "pagination" in lowered or "100000" in lowered or "100,000" in lowered:
            return BadQuery(
                f"{where}: the service will not page past 100,000 results; use smaller "
                f"intervals (e.g. hour by hour) so each stays under the cap.{said}",
                **kw,
            )
        if "interval" in lowered and re.search(r"day|long|exceed|max", lowered):
            return BadQuery(
                f"{where}: the query interval is too long; a details query may span at most "
                f"7 days without a filter and 31 days with one.{said}",
                **kw,
            )
        return BadQuery(
            f"{where}: the service rejected the query ({code or 'bad request'}).{said}", **kw
        )
    if status == 401:
        return AuthError(
            f"{where}: the service rejected the access token ({code or 'unauthorized'}) even "
            "after a fresh one; check the OAuth client and the region or base URL.",
            **kw,
        )
    if status == 403:
        found = _PERMISSION.findall(" ".join([message, str(body.get("messageParams") or "")]))
        permission = ", ".join(dict.fromkeys(found)) or default_permission(path) or "?"
        return PermissionDenied(
            f"{where}: permission denied; grant the OAuth client's role the permission "
            f"{permission}.{said}",
            **kw,
        )
    if status == 404:
        return BadQuery(f"{where}: not found.{said}", **kw)
    reason = f" ({decision.reason})" if decision else ""
    if status == 429:
        wait = decision.retry_after if decision else None
        if wait is not None:
            text = f"{where}: rate limited: {decision.reason if decision else ''}; try again later."
        else:
            text = f"{where}: still rate limited{reason}; slow down or try again later."
        return RateLimited(text + said, retry_after=wait, **kw)
    if status == 504:
        return ServerError(
            f"{where}: the service timed out (HTTP 504){reason}: the query was too heavy; "
            f"use smaller chunks (shorter intervals).{said}",
            **kw,
        )
    if status >= 500:
        return ServerError(f"{where}: server error{reason}; try again later.{said}", **kw)
    return BadQuery(f"{where}: the service refused the request ({code or status}).{said}", **kw)


__all__ = ["Transport", "default_permission", "error_for"]
