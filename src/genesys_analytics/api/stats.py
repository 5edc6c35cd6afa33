"""What a client has done so far, for the progress display: counters and the last activity.

Kept apart from the HTTP layer so that the CLI can show them without importing httpx.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryNote:
    """Why the last retry happened and how long it waits, e.g. ``("429 throttled", 3.0)``."""

    reason: str
    delay: float


@dataclass(frozen=True)
class StatsSnapshot:
    requests: int
    throttled: int
    retries: int
    waited: float
    activity: str = ""
    last_retry: RetryNote | None = None


class Stats:
    """Counters for the progress display: requests sent, 429s met, retries, time paced.

    ``activity`` is the last request sent (``"METHOD URL"``, login included, no query
    string) and ``last_retry`` why the last retry waits: the display says what it is
    waiting for.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.retries = 0
        self.waited = 0.0
        self.activity = ""
        self.last_retry: RetryNote | None = None

    def add(self, *, requests: int = 0, throttled: int = 0, waited: float = 0.0) -> None:
        with self._lock:
            self.requests += requests
            self.throttled += throttled
            self.waited += waited

    def sending(self, method: str, url: str) -> None:
        with self._lock:
            self.activity = f"{method} {url}"

    def retrying(self, reason: str, delay: float) -> None:
        with self._lock:
            self.retries += 1
            self.last_retry = RetryNote(reason, delay)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                self.requests,
                self.throttled,
                self.retries,
                self.waited,
                self.activity,
                self.last_retry,
            )

    def __repr__(self) -> str:
        s = self.snapshot()
        return f"Stats(requests={s.requests}, throttled={s.throttled}, retries={s.retries})"


__all__ = ["RetryNote", "Stats", "StatsSnapshot"]
