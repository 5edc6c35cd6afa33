"""Paging helpers for code that already uses the official SDK ``PureCloudPlatformClientV2``.

Install with the ``[sdk]`` extra. The helpers take your ``AnalyticsApi`` and your query
(an SDK model or a plain camelCase dict) and yield the SDK's own conversation models,
with the stop rules, guards and retry behaviour of the rest of this library
(``spec/decisions.md`` §3–§4)::

    from PureCloudPlatformClientV2 import AnalyticsApi, ApiClient
    from genesys_analytics.sdk import disable_sdk_retries, iter_details, iter_job

    client = ApiClient(host="https://api.mypurecloud.ie")  # login host derived from it
    client.get_client_credentials_token(client_id, secret)
    disable_sdk_retries(client)
    api = AnalyticsApi(client)
    query = {"interval": "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z", "order": "asc"}
    for conv in iter_details(api, query):        # AnalyticsConversationWithoutAttributes
        print(conv.conversation_id)
    for conv in iter_job(api, query):            # AnalyticsConversation (with attributes)
        ...

Public interface
----------------
``iter_details(api, query, *, page_size=100, start_page=1, max_pages=None, cap=100_000,
sleep=time.sleep, policy=None, rng=None)`` → conversation models.
    Page number in the body (``paging=PagingSpec``); stops when ``conversations`` is
    absent or empty, never on ``totalHits``. ``PaginationError``, before sending, for a
    page past the 100,000-result cap, when the first page's ``totalHits`` is over the
    cap, for a page equal to the one before, and past ``max_pages``.
``iter_details_pages(...)`` → ``DetailsPage(number, total_hits, conversations)``: the
    same loop by page; resume with ``start_page=number + 1``.
``iter_job(api, query, *, page_size=1000, poll=JobPolling(), sleep=time.sleep,
timeout=3600.0, clock=time.monotonic, policy=None, rng=None)`` → conversation models.
    Submit, poll with a growing delay until FULFILLED (FAILED/EXPIRED/CANCELLED/timeout
    → ``JobFailed`` with job id and message), page results by cursor until none comes
    back (a repeated cursor → ``PaginationError``); the job is deleted at the end, on
    error, on ``close()`` and on ``KeyboardInterrupt``. Wrap it in
    ``contextlib.closing`` to delete promptly after a ``break``.
``call(fn, *args, policy=None, sleep=time.sleep, rng=None, **kwargs)``: one SDK call
    under the table of ``genesys_analytics.retry``; ``Retry-After`` (seconds, from
    ``ApiException.headers``) wins, one over the cap raises ``RateLimited`` naming it.
``error_from_api_exception(exc, decision=None, method=...)``: the exception as an
    ``httpx.Response`` through ``http.error_for`` (the project's one error table): 400
    ``BadQuery``, 401 ``AuthError``, 403 ``PermissionDenied``, 429 ``RateLimited``, 5xx
    ``ServerError``, each with status and ``contextId``.
``disable_sdk_retries(api_client)``: the SDK's urllib3 pool itself retries 413/429/503
    carrying ``Retry-After``, sleeping however long it says, then raises urllib3's
    ``MaxRetryError``. Call this once so the table here, with its 180 s cap, is the
    only retry layer.

Seams (``sleep``, ``rng``, ``clock``) are keyword arguments. The SDK is imported lazily.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from .errors import (
    GenesysError,
    JobFailed,
    PaginationError,
    ServerError,
)
from .http import error_for
from .retry import GiveUp, Retry, RetryPolicy, Rng, decide, parse_retry_after

log = logging.getLogger(__name__)

RESULT_CAP = 100_000
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class DetailsPage:
    """One page of a details query: its number, the reported ``totalHits`` and the models."""

    number: int
    total_hits: int | None
    conversations: list[Any]


@dataclass(frozen=True)
class JobPolling:
    """How to wait for an async job: ``first`` s, times ``factor`` each poll, at most ``cap`` s."""

    first: float = 2.0
    factor: float = 1.5
    cap: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(self.cap, delay * self.factor)


# --- errors and one retried call ---------------------------------------------------------


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
    """One SDK call under the retry table of ``genesys_analytics.retry``."""

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


# --- details query: page number in the body ---------------------------------------------


def _with_paging(query: Any, page_size: int, number: int) -> Any:
    from PureCloudPlatformClientV2 import PagingSpec

    paging = PagingSpec()
    paging.page_size = page_size
    paging.page_number = number
    if isinstance(query, Mapping):
        return {**query, "paging": paging}
    body = copy.copy(query)  # never mutate the caller's model
    body.paging = paging
    return body


def _conversation_id(conv: Any) -> Any:
    return conv.get("conversationId") if isinstance(conv, Mapping) else conv.conversation_id


def iter_details_pages(
    api: Any,
    query: Any,
    *,
    page_size: int = 100,
    start_page: int = 1,
    max_pages: int | None = None,
    cap: int = RESULT_CAP,
    sleep: Sleep = time.sleep,
    policy: RetryPolicy | None = None,
    rng: Rng | None = None,
) -> Iterator[DetailsPage]:
    """Page ``post_analytics_conversations_details_query`` to the end (see module docstring)."""
    if page_size < 1 or start_page < 1:
        raise ValueError("page_size and start_page must be at least 1")
    caller = _Caller(policy or RetryPolicy(), sleep, rng or random.Random())
    number, fetched = start_page, 0
    previous_ids: list[Any] | None = None
    while True:
        if number * page_size > cap:
            if previous_ids is not None and len(previous_ids) < page_size:
                return  # the last page allowed was short: the results ended there
            raise PaginationError(
                f"Page {number} at pageSize {page_size} would reach result "
                f"{number * page_size:,}, past the service's {cap:,}-result cap; "
                "split the interval into smaller ones."
            )
        if max_pages is not None and fetched >= max_pages:
            raise PaginationError(
                f"Stopped after max_pages={max_pages} pages before the end of the results; "
                f"resume with start_page={number}."
            )
        response = caller(
            api.post_analytics_conversations_details_query, _with_paging(query, page_size, number)
        )
        fetched += 1
        conversations = list(response.conversations or [])
        if not conversations:
            log.debug("details page %d is empty: end of results", number)
            return
        total = response.total_hits
        if fetched == 1 and total is not None and total > cap:
            raise PaginationError(
                f"The query matches about {total:,} conversations, more than the service's "
                f"{cap:,}-result cap; split the interval into smaller ones."
            )
        ids = [_conversation_id(c) for c in conversations]
        if ids == previous_ids:
            raise PaginationError(
                f"Page {number} repeated page {number - 1}: the service ignored the page "
                "number (it belongs in the body's paging)."
            )
        yield DetailsPage(number, total, conversations)
        previous_ids = ids
        number += 1


def iter_details(api: Any, query: Any, **options: Any) -> Iterator[Any]:
    """Every conversation model of a details query; options as ``iter_details_pages``."""
    for page in iter_details_pages(api, query, **options):
        yield from page.conversations


# --- async jobs: submit, poll, cursor, delete --------------------------------------------

_ENDED = frozenset({"FAILED", "EXPIRED", "CANCELLED"})
MAX_EMPTY_PAGES = 20


def iter_job(
    api: Any,
    query: Any,
    *,
    page_size: int = 1000,
    poll: JobPolling = JobPolling(),
    sleep: Sleep = time.sleep,
    timeout: float = 3600.0,
    clock: Callable[[], float] = time.monotonic,
    policy: RetryPolicy | None = None,
    rng: Rng | None = None,
) -> Generator[Any, None, None]:
    """Run one async details job and yield every result model (see module docstring)."""
    caller = _Caller(policy or RetryPolicy(), sleep, rng or random.Random())
    job_id = caller(api.post_analytics_conversations_details_jobs, query).job_id
    log.info("submitted details job %s", job_id)
    try:
        _wait_for(api, job_id, caller, poll, timeout, clock)
        yield from _job_results(api, job_id, caller, page_size)
    finally:
        _delete_job(api, job_id, caller)


def _wait_for(
    api: Any,
    job_id: str,
    caller: _Caller,
    poll: JobPolling,
    timeout: float,
    clock: Callable[[], float],
) -> None:
    deadline = clock() + timeout
    delays = poll.delays()
    while True:
        status = caller(api.get_analytics_conversations_details_job, job_id)
        state = str(status.state or "").upper()
        if state == "FULFILLED":
            return
        if state in _ENDED:
            reason = status.error_message or "the service gave no message"
            raise JobFailed(f"Job {job_id} ended {state}: {reason}", job_id=job_id, state=state)
        remaining = deadline - clock()
        if remaining <= 0:
            raise JobFailed(
                f"Job {job_id} still {state or 'not done'} after the {timeout:g} s timeout",
                job_id=job_id,
                state=state or None,
            )
        caller.sleep(min(next(delays), remaining))


def _job_results(api: Any, job_id: str, caller: _Caller, page_size: int) -> Iterator[Any]:
    cursor: str | None = None
    seen: set[str] = set()
    empty = 0
    while True:
        kwargs: dict[str, Any] = {"page_size": page_size}
        if cursor is not None:
            kwargs["cursor"] = cursor
        page = caller(api.get_analytics_conversations_details_job_results, job_id, **kwargs)
        conversations = page.conversations or []
        yield from conversations
        if not page.cursor:
            return
        if page.cursor in seen:
            raise PaginationError(f"Job {job_id} returned cursor {page.cursor!r} twice")
        empty = 0 if conversations else empty + 1
        if empty > MAX_EMPTY_PAGES:
            raise PaginationError(f"Job {job_id} returned {empty} empty pages in a row")
        seen.add(page.cursor)
        cursor = page.cursor


def _delete_job(api: Any, job_id: str, caller: _Caller) -> None:
    """At most three attempts, never raised: clean-up must not hide the error that got us here."""
    policy = replace(caller.policy, max_attempts=min(3, caller.policy.max_attempts))
    try:
        replace(caller, policy=policy)(api.delete_analytics_conversations_details_job, job_id)
        log.info("deleted details job %s", job_id)
    except Exception as exc:  # logged only
        log.warning("could not delete details job %s: %s", job_id, exc)


def disable_sdk_retries(api_client: Any) -> None:
    """Stop the SDK's urllib3 pool from retrying 413/429/503 on its own (uncapped sleeps)."""
    import urllib3

    manager = api_client.get_http_client().rest_client.pool_manager
    manager.connection_pool_kw["retries"] = urllib3.util.Retry(
        total=None, connect=0, read=0, other=0, status=0, redirect=5,
        respect_retry_after_header=False, raise_on_status=False,
    )  # fmt: skip
    manager.clear()  # pools made before keep their own retries


__all__ = [
    "RESULT_CAP",
    "DetailsPage",
    "JobPolling",
    "call",
    "disable_sdk_retries",
    "error_from_api_exception",
    "iter_details",
    "iter_details_pages",
    "iter_job",
]
