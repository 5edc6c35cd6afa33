"""Async details jobs through the SDK: submit, poll, cursor results, always delete."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Any

from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.errors import (
    JobFailed,
    PaginationError,
)
from genesys_analytics.sdk.calls import Sleep, _Caller

log = logging.getLogger(__name__)


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
