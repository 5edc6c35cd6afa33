"""Async details jobs: their life on the emulator's clock, and opaque result cursors."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from genesys_analytics.emulator.responses import ApiError, bad_request, not_found
from genesys_analytics.timeutil import fmt

Clock = Callable[[], float]
RUNNING = frozenset({"QUEUED", "PENDING"})


@dataclass
class Job:
    """One submitted job; its state is a function of the clock, never stored."""

    job_id: str
    query: Any
    submitted_at: float
    fails: bool = False
    expires_early: bool = False
    results: list[Any] | None = field(default=None, repr=False)


class JobStore:
    """Holds jobs by id. ``wall(t)`` maps a clock reading to the emulator's wall time."""

    def __init__(
        self,
        clock: Clock,
        wall: Callable[[float], datetime],
        *,
        run_seconds: float,
        results_ttl: float,
        max_concurrent: int,
    ) -> None:
        self._clock = clock
        self.wall = wall
        self.run_seconds = run_seconds
        self.results_ttl = results_ttl
        self.max_concurrent = max_concurrent
        self._jobs: dict[str, Job] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def state(self, job: Job, at: float | None = None) -> str:
        t = self._clock() if at is None else at
        elapsed = t - job.submitted_at
        if elapsed < self.run_seconds / 2:
            return "QUEUED"
        if elapsed < self.run_seconds:
            return "PENDING"
        if job.fails:
            return "FAILED"
        if job.expires_early or elapsed >= self.run_seconds + self.results_ttl:
            return "EXPIRED"
        return "FULFILLED"

    def running(self) -> int:
        now = self._clock()
        return sum(1 for job in self._jobs.values() if self.state(job, now) in RUNNING)

    def submit(self, query: Any, *, fails: bool = False, expires_early: bool = False) -> Job:
        self._forget_old()
        if self.running() >= self.max_concurrent:
            raise ApiError(
                429,
                "too.many.requests",
                f"The maximum of {self.max_concurrent} concurrent analytics jobs is reached; "
                "wait for a job to finish or delete one.",
                headers={"Retry-After": str(max(1, round(self.run_seconds)))},
            )
        job = Job(str(uuid.uuid4()), query, self._clock(), fails, expires_early)
        self._jobs[job.job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise not_found(f"No analytics job with id {job_id} was found.")
        return job

    def delete(self, job_id: str) -> None:
        self.get(job_id)
        del self._jobs[job_id]

    def status(self, job: Job) -> dict[str, Any]:
        state = self.state(job)
        done_at = job.submitted_at + self.run_seconds
        body: dict[str, Any] = {"state": state, "submissionDate": fmt(self.wall(job.submitted_at))}
        if state not in RUNNING:
            body["completionDate"] = fmt(self.wall(done_at))
        if state == "FAILED":
            body["errorMessage"] = (
                "The analytics job failed while gathering results; submit it again."
            )
        elif state in ("FULFILLED", "EXPIRED"):
            expires = done_at if job.expires_early else done_at + self.results_ttl
            body["expirationDate"] = fmt(self.wall(expires))
        return body

    def require_fulfilled(self, job: Job) -> None:
        state = self.state(job)
        if state != "FULFILLED":
            raise bad_request(
                f"Results for job {job.job_id} are not available: the job is {state}."
            )

    def _forget_old(self) -> None:
        """Drop jobs whose results expired long ago, so memory stays bounded."""
        now = self._clock()
        horizon = self.run_seconds + self.results_ttl + 3600
        for job_id in [j.job_id for j in self._jobs.values() if now - j.submitted_at > horizon]:
            del self._jobs[job_id]


def encode_cursor(job_id: str, offset: int, after: str = "") -> str:
    """An opaque cursor: the job, how many results came before, and the last one's key."""
    raw = f"{job_id}|{offset}|{after}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, job_id: str) -> tuple[int, str]:
    """``(offset, after)`` of a cursor; 400 when it is not one of this job's cursors."""
    invalid = bad_request(f"The cursor {cursor[:40]!r} is not valid for this job.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        owner, offset_text, after = base64.urlsafe_b64decode(padded).decode().split("|", 2)
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    if owner != job_id or offset <= 0:
        raise invalid
    return offset, after


def wall_clock(now: datetime, clock: Clock) -> Callable[[float], datetime]:
    """Map clock readings to wall time, with the emulator's ``now`` at the first reading."""
    origin = clock()

    def wall(t: float) -> datetime:
        return now + timedelta(seconds=t - origin)

    return wall
