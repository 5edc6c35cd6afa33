"""Async details jobs (conversations or users): submit, poll with backoff, read, delete.

``JobPolicy`` is the one policy for waiting on a job, and ``wait`` the one polling loop:
the ``sdk`` helpers wait through it too, with their own way of asking for the state.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from genesys_analytics.api.pacing import Clock
from genesys_analytics.api.paging import Cursor, Page, Pager, PageRequest
from genesys_analytics.api.queries import CONVERSATION_DETAILS, DetailsApi
from genesys_analytics.errors import GenesysError, JobFailed
from genesys_analytics.timeutil import parse_instant

log = logging.getLogger(__name__)

DONE, FAILED_STATES = "FULFILLED", ("FAILED", "EXPIRED", "CANCELLED")
_STOP_CHECK = 0.5  # seconds between looks at the stop event while waiting for a job


class Requester(Protocol):
    clock: Clock

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        decode: Callable[[bytes], Any] = ...,
    ) -> Any: ...


@dataclass(frozen=True)
class JobPolicy:
    """How to wait for a job: poll delays grow from ``first`` by ``factor`` up to ``most``."""

    first: float = 1.0
    factor: float = 1.5
    most: float = 10.0
    timeout: float = 3600.0
    max_submits: int = 2  # a FAILED/EXPIRED job is resubmitted while nothing was yielded yet

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.most)


#: What a poll of a job says: its state and the service's message, if any.
Status = tuple[str, str | None]


def _pause(clock: Clock, seconds: float, stop: threading.Event | None) -> bool:
    """Sleep ``seconds`` (in short steps when ``stop`` is given); ``False`` once it is set."""
    if stop is None:
        clock.sleep(seconds)
        return True
    steps = max(1, math.ceil(seconds / _STOP_CHECK))
    for _ in range(steps):
        if stop.is_set():
            return False
        clock.sleep(seconds / steps)
    return not stop.is_set()


def wait(
    poll: Callable[[], Status],
    job_id: str,
    policy: JobPolicy,
    clock: Clock,
    *,
    stop: threading.Event | None = None,
) -> bool:
    """Poll until FULFILLED (``True``) or until ``stop`` is set (``False``).

    Raises ``JobFailed`` on FAILED/EXPIRED/CANCELLED or when ``policy.timeout`` passes.
    """
    started = clock.monotonic()
    for delay in policy.delays():
        if clock.monotonic() - started + delay > policy.timeout:
            raise JobFailed(
                f"job {job_id} did not finish within {policy.timeout:g} s.", job_id=job_id
            )
        if not _pause(clock, delay, stop):
            log.debug("job %s: stopped while waiting", job_id)
            return False
        state, message = poll()
        state = state.upper()
        log.debug("job %s is %s", job_id, state)
        if state == DONE:
            return True
        if state in FAILED_STATES:
            reason = message or "no message from the service"
            raise JobFailed(f"job {job_id} ended {state}: {reason}", job_id=job_id, state=state)
    return False  # pragma: no cover - policy.delays() never ends


def submit(http: Requester, api: DetailsApi, body: dict[str, Any]) -> str:
    response = http.request("POST", api.jobs, json=body)
    job_id = response.get("jobId") if isinstance(response, dict) else None
    if not job_id:
        raise JobFailed("the service accepted the job but returned no jobId.")
    log.debug("submitted job %s", job_id)
    return str(job_id)


def status(http: Requester, api: DetailsApi, job_id: str) -> Status:
    body = http.request("GET", api.job(job_id)) or {}
    return str(body.get("state", "")), body.get("errorMessage")


def delete(http: Requester, api: DetailsApi, job_id: str) -> None:
    """Delete a job; a failure here is logged, never raised (the job expires anyway)."""
    try:
        http.request("DELETE", api.job(job_id))
        log.debug("deleted job %s", job_id)
    except GenesysError as exc:
        log.debug("could not delete job %s: %s", job_id, exc)


def results(
    http: Requester,
    api: DetailsApi,
    job_id: str,
    *,
    page_size: int | None = 1000,
    decode: Callable[[bytes], Any] | None = None,
) -> Iterator[Page]:
    """Every page of a job's results; ``decode``, if given, decodes each (``Transport``'s)."""

    def send(request: PageRequest) -> Any:
        if decode is None:
            return http.request(request.method, request.path, params=request.params)
        return http.request(request.method, request.path, params=request.params, decode=decode)

    cursor = Cursor(api.results(job_id), page_size=page_size, items_key=api.items_key)
    return iter(Pager(send, cursor))


def run_job(
    http: Requester,
    body: dict[str, Any],
    *,
    api: DetailsApi = CONVERSATION_DETAILS,
    page_size: int | None = 1000,
    policy: JobPolicy | None = None,
    stop: threading.Event | None = None,
    decode: Callable[[bytes], Any] | None = None,
) -> Iterator[Page]:
    """Submit, wait, yield every page of results; the job is deleted however this ends.

    Setting ``stop`` (another thread's Ctrl-C) ends the wait early, yielding nothing.
    ``decode`` decodes each page of results (see :func:`results`).
    """
    policy = policy or JobPolicy()
    for submission in range(1, policy.max_submits + 1):
        job_id = submit(http, api, body)
        try:
            try:
                poll = lambda: status(http, api, job_id)  # noqa: E731, B023
                if not wait(poll, job_id, policy, http.clock, stop=stop):
                    return
            except JobFailed as exc:
                if exc.state in ("FAILED", "EXPIRED") and submission < policy.max_submits:
                    log.info("%s; resubmitting", exc)
                    continue
                raise
            yield from results(http, api, job_id, page_size=page_size, decode=decode)
            return
        finally:
            delete(http, api, job_id)


def availability(http: Requester, api: DetailsApi = CONVERSATION_DETAILS) -> datetime:
    body = http.request("GET", api.availability) or {}
    value = body.get("dataAvailabilityDate")
    if not value:
        raise JobFailed("the service did not say up to when job data is available.")
    return parse_instant(str(value))


__all__ = [
    "JobPolicy",
    "Status",
    "availability",
    "delete",
    "results",
    "run_job",
    "status",
    "submit",
    "wait",
]
