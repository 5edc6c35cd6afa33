"""One SDK call under the project's retry table, and SDK errors as ours."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from genesys_analytics.api.http import error_for
from genesys_analytics.api.retry import GiveUp, Retry, RetryPolicy, Rng, decide, parse_retry_after
from genesys_analytics.errors import (
    GenesysError,
    ServerError,
)

log = logging.getLogger(__name__)


Sleep = Callable[[float], None]


def _retry_after_of(headers: Any) -> float | None:
    """``Retry-After`` of an ``ApiException`` (any header casing), via ``parse_retry_after``."""
    return parse_retry_after(httpx.Headers(dict(headers or {})).get("retry-after"))


_PATHS = {  # the SDK method → the request it makes, for error messages and permissions
    "post_analytics_conversations_details_query": "POST /details/query",
    "post_analytics_conversations_details_jobs": "POST /details/jobs",
    "get_analytics_conversations_details_job": "GET /details/jobs/{id}",
    "get_analytics_conversations_details_job_results": "GET /details/jobs/{id}/results",
}
_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def error_from_api_exception(
    exc: Any, decision: GiveUp | None = None, method: str = "request"
) -> GenesysError:
    """Map an SDK ``ApiException`` with ``http.error_for``, the project's one error table."""
    verb, _, path = _PATHS.get(method, f"SDK {method}").partition(" ")
    if path.startswith("/details"):
        path = "/api/v2/analytics/conversations" + path
    body = exc.body.encode() if isinstance(exc.body, str) else (exc.body or b"")
    headers = {k: str(v) for k, v in (exc.headers or {}).items() if k.lower() not in _DROPPED}
    response = httpx.Response(int(exc.status), headers=headers, content=body)
    return error_for(response, verb, path, decision)


def _transient_types() -> tuple[type[BaseException], ...]:
    """Connection-level failures the SDK lets through unwrapped (urllib3 errors)."""
    import urllib3.exceptions

    return (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class _Caller:
    """One SDK call under the retry table of ``genesys_analytics.api.retry``."""

    policy: RetryPolicy
    sleep: Sleep
    rng: Rng

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from PureCloudPlatformClientV2.rest import ApiException

        name = getattr(fn, "__name__", "request")
        attempt = 0
        while True:
            attempt += 1
            outcome: int | BaseException
            wait: float | None = None
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                if not exc.status:  # the SDK's status 0: a TLS failure, not worth retrying
                    raise ServerError(f"{name} failed: {exc.reason}") from exc
                error: BaseException = exc
                outcome, wait = int(exc.status), _retry_after_of(exc.headers)
            except _transient_types() as exc:
                # the retry table speaks httpx; a urllib3 connection failure is the same case
                error, outcome = exc, httpx.TransportError(str(exc))
            decision = decide(self.policy, attempt, outcome, wait, self.rng)
            if isinstance(decision, Retry):
                log.warning(
                    "%s: %s on attempt %d, retrying in %.2f s",
                    name,
                    outcome if isinstance(outcome, int) else type(error).__name__,
                    attempt,
                    decision.delay,
                )
                self.sleep(decision.delay)
                continue
            if isinstance(error, ApiException):
                raise error_from_api_exception(error, decision, name) from error
            raise ServerError(f"{name} failed: {decision.reason}") from error


def call(
    fn: Callable[..., Any],
    *args: Any,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    rng: Rng | None = None,
    **kwargs: Any,
) -> Any:
    """Call one SDK method with the project's retry table; returns what the SDK returns."""
    return _Caller(policy or RetryPolicy(), sleep, rng or random.Random())(fn, *args, **kwargs)


def disable_sdk_retries(api_client: Any) -> None:
    """Stop the SDK's urllib3 pool from retrying 413/429/503 on its own (uncapped sleeps)."""
    import urllib3

    manager = api_client.get_http_client().rest_client.pool_manager
    manager.connection_pool_kw["retries"] = urllib3.util.Retry(
        total=None, connect=0, read=0, other=0, status=0, redirect=5,
        respect_retry_after_header=False, raise_on_status=False,
    )  # fmt: skip
    manager.clear()  # pools made before keep their own retries
