"""Everything one running emulator holds: the org, tokens, rate windows, jobs, counters."""

from __future__ import annotations

import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.faults import Faults
from genesys_analytics.emulator.jobstore import JobStore, wall_clock
from genesys_analytics.emulator.limits import RateWindows
from genesys_analytics.emulator.settings import EmulatorSettings

Clock = Callable[[], float]


@dataclass(frozen=True)
class Token:
    client_id: str
    expires_at: float


class QueryCache:
    """Matched-and-sorted results per query body (without paging), kept a short while."""

    def __init__(self, clock: Clock, seconds: float, size: int = 32) -> None:
        self._clock = clock
        self._seconds = seconds
        self._size = size
        self._items: OrderedDict[Any, tuple[float, list[Any]]] = OrderedDict()

    def get(self, key: Any) -> list[Any] | None:
        hit = self._items.get(key)
        if hit is None or self._clock() - hit[0] > self._seconds:
            return None
        self._items.move_to_end(key)
        return hit[1]

    def put(self, key: Any, value: list[Any]) -> None:
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class EmulatorState:
    """The mutable heart of one emulator; only the server's event loop changes it."""

    def __init__(self, settings: EmulatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or time.monotonic
        self.now: datetime = settings.resolved_now()
        self.org = Org(
            OrgSpec(
                seed=settings.seed,
                days=settings.days,
                per_day=settings.per_day,
                now=self.now,
                late_data=settings.late_data,
            ),
            pause_gc=settings.pause_gc,
            index_bytes=settings.cache_mb << 20,
        )
        self.counters: Counter[str] = Counter()
        self.api_arrivals: list[float] = []  # clock time of the first and last /api/v2 request
        self.tokens: dict[str, Token] = {}
        self.windows = RateWindows(
            settings.rate_limit[0], settings.rate_limit[1], self.clock, align=settings.rate_window
        )
        self.faults = Faults(settings.faults, settings.fault_seed, self.counters)
        self.wall = wall_clock(self.now, self.clock)
        self.jobs = JobStore(
            self.clock,
            self.wall,
            run_seconds=settings.job_run_seconds,
            results_ttl=settings.job_results_ttl,
            max_concurrent=settings.max_concurrent_jobs,
        )
        self.query_cache = QueryCache(self.clock, settings.query_cache_seconds)
        self.generation = 0  # bumped whenever the data changes (drift, a later now)

    @property
    def availability(self) -> datetime:
        """The jobs' dataAvailabilityDate: ``now`` minus the data-lake lag."""
        return self.now - self.settings.lag

    def issue_token(self, client_id: str) -> tuple[str, int]:
        lifetime = self.settings.token_lifetime
        real = self.faults.token_expiry()
        token = secrets.token_urlsafe(32)
        lives = real if real is not None else float(lifetime)
        self.tokens[token] = Token(client_id, self.clock() + lives)
        self.counters["tokens_issued"] += 1
        return token, lifetime

    def conversation_added(self) -> None:
        self.generation += 1
        self.query_cache.clear()

    def advance(self, now: datetime) -> None:
        """Move "now" on to ``now``: the same org, later (see ``Org.advanced``).

        New conversations and status records appear up to ``now``, ongoing ones run on (and
        may end), late revisions due by ``now`` land. Jobs keep running on the new wall time.
        """
        if now < self.now:
            raise ValueError(f"now can only move forward: {now} is before {self.now}")
        self.org = self.org.advanced(now)
        self.now = now
        self.wall = wall_clock(now, self.clock)
        self.jobs.wall = self.wall
        self.conversation_added()
        self.counters["now_advanced"] += 1

    @property
    def faults_injected(self) -> dict[str, int]:
        """Fault name -> how many times it was injected."""
        prefix = "fault."
        return {
            k[len(prefix) :]: v
            for k, v in self.counters.items()
            if k.startswith(prefix) and k.count(".") == 1
        }

    def snapshot(self) -> dict[str, Any]:
        """Counters and sizes, for tests and ``GET /_emulator/stats``."""
        return {
            "counters": dict(self.counters),
            "faults_injected": self.faults_injected,
            "tokens": len(self.tokens),
            "jobs": len(self.jobs),
            "generation": self.generation,
            "now": self.now.isoformat(),
            "api_arrivals": list(self.api_arrivals),
        }

    def arrived(self) -> None:
        """Note an /api/v2 request's arrival (the bench measures pacing from first to last)."""
        now = self.clock()
        if self.api_arrivals:
            self.api_arrivals[1:] = [now]
        else:
            self.api_arrivals.append(now)
