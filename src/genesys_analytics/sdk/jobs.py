"""Async details jobs through the SDK: submit, wait (``api.jobs.wait``), page by cursor
(``Pager``), always delete."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Any

from genesys_analytics.api.jobs import JobPolicy, Status, wait
from genesys_analytics.api.paging import Cursor, Pager, PageRequest
from genesys_analytics.api.queries import CONVERSATION_DETAILS
from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.errors import JobFailed
from genesys_analytics.sdk.calls import Sleep, _Caller

log = logging.getLogger(__name__)

#: Empty result pages in a row, each with a further cursor, before paging is called endless.


@dataclass(frozen=True)
class _Clock:
    """The ``sleep`` and ``clock`` seams as the ``Clock`` that ``api.jobs.wait`` takes."""

    clock: Callable[[], float]
    sleep_for: Sleep

    def monotonic(self) -> float:
        return self.clock()

    def sleep(self, seconds: float) -> None:
        self.sleep_for(seconds)


def iter_job(
    api: Any,
    query: Any,
    *,
    page_size: int = 1000,
    job_policy: JobPolicy | None = None,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    policy: RetryPolicy | None = None,
    rng: Rng | None = None,
) -> Generator[Any, None, None]:
    """Run one async details job and yield every result model (see package docstring)."""
    job_policy = job_policy or JobPolicy()
    caller = _Caller(policy or RetryPolicy(), sleep, rng or random.Random())
    for submission in range(1, job_policy.max_submits + 1):
        job_id = str(caller(api.post_analytics_conversations_details_jobs, query).job_id)
        log.info("submitted details job %s", job_id)
        try:
            try:
                _wait_for(api, job_id, caller, job_policy, _Clock(clock, sleep))
            except JobFailed as exc:
                if exc.state in ("FAILED", "EXPIRED") and submission < job_policy.max_submits:
                    log.info("%s; resubmitting", exc)
                    continue
                raise
            for page in _job_results(api, job_id, caller, page_size):
                yield from page
            return
        finally:
            _delete_job(api, job_id, caller)


def _wait_for(api: Any, job_id: str, caller: _Caller, policy: JobPolicy, clock: _Clock) -> None:
    def poll() -> Status:
        status = caller(api.get_analytics_conversations_details_job, job_id)
        return str(status.state or ""), status.error_message

    wait(poll, job_id, policy, clock)


def _job_results(api: Any, job_id: str, caller: _Caller, page_size: int) -> Iterator[list[Any]]:
    def send(request: PageRequest) -> dict[str, Any]:
        params = request.params or {}
        kwargs = {"page_size": params["pageSize"]}
        if "cursor" in params:
            kwargs["cursor"] = params["cursor"]
        page = caller(api.get_analytics_conversations_details_job_results, job_id, **kwargs)
        return {"conversations": list(page.conversations or []), "cursor": page.cursor}

    cursor = Cursor(CONVERSATION_DETAILS.results(job_id), page_size=page_size)
    for page in Pager(send, cursor):
        yield page.items


def _delete_job(api: Any, job_id: str, caller: _Caller) -> None:
    """At most three attempts, never raised: clean-up must not hide the error that got us here."""
    policy = replace(caller.policy, max_attempts=min(3, caller.policy.max_attempts))
    try:
        replace(caller, policy=policy)(api.delete_analytics_conversations_details_job, job_id)
        log.info("deleted details job %s", job_id)
    except Exception as exc:  # logged only
        log.warning("could not delete details job %s: %s", job_id, exc)
