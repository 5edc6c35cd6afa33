"""Pacing: one limiter per token, shared by every thread, fed by ``inin-ratelimit-*`` headers.

The service allows ``allowed`` requests per window and says, on every response, how many
arrivals its current window has counted (``count``) and how many seconds remain until it
resets (``reset``, whole seconds). Windows may be fixed to the clock, so the limiter never
relies on knowing where one begins. It keeps a log of request **starts**, taken when a
request is handed to the transport (``sent``, from the HTTP client's request hook), not
when its slot was reserved nor when it was let through (``start``): a thread that stalls
between the two (the GIL, a busy machine) would otherwise arrive later than logged. A
request let through and not yet handed over counts as leaving at every moment until it
is; a start counts until a window plus a margin after it. Then:

* **window** — at most ``budget`` starts (``allowed`` minus 5 %, rounded down) lie in any
  span of ``window + margin`` seconds, ``window`` being the longest ``reset`` seen. The
  margin absorbs the jitter between being handed over and arriving, so however the
  service's windows are aligned, none of them counts more than ``allowed`` of our
  requests.
* **spacing** — slots are handed out ``span / budget`` apart (``reserve``), so threads do
  not burst into a window and wait out the rest of it. A thread that wakes late for its
  slot is checked against the log again as it leaves, and waits if the window is full.
  A 429 nonetheless (the arrivals jitter more than that) doubles the margin.
* **others** — when a response counts more arrivals than our own starts explain (another
  program on the same token, or a window estimate still too short), that many
  placeholder starts hold the budget until the service's window resets.

Until the first response, one request at a time goes out: the limit is not known yet. A
429's ``Retry-After`` pauses every thread (``pause``).

Why requests bunched before (issue 14): the budget was refilled with ``count`` plus the
requests in flight (most of which ``count`` already held); its window end was ``now +
reset`` with ``reset`` rounded up to whole seconds, so a 1-second window always looked a
full second away; a slot reserved ahead was sent whenever its thread woke, however late;
and nothing held requests back before the first response. Under CPU load a request could
still reach the service more than the margin after its logged start (a thread stalled
between ``start`` and the transport), hence the log of hand-overs.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger(__name__)

_EPSILON = 1e-6  # seconds: so that a start leaving the span has left it despite rounding
_PROBE_POLL = 0.01  # seconds between looks while the first request is out


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock, whose sleeps ``interrupt()`` cuts short (for a prompt Ctrl-C)."""

    def __init__(self) -> None:
        self._wake = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._wake.wait(seconds)

    def interrupt(self) -> None:
        """End every current and future sleep at once, until ``clear()``."""
        self._wake.set()

    def clear(self) -> None:
        """Sleeps sleep again (the run that interrupted them is over)."""
        self._wake.clear()

    @property
    def interrupted(self) -> bool:
        return self._wake.is_set()


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


class Limiter:
    """Thread-safe pacing for one token. Call ``acquire()`` before a request, ``sent()`` as it
    is handed to the transport, and ``observe()`` after."""

    def __init__(
        self, clock: Clock | None = None, *, headroom: float = 0.05, margin: float = 0.05
    ) -> None:
        self._clock = clock or SystemClock()
        self._headroom = headroom
        self._margin = margin  # seconds of arrival jitter the window log absorbs, at least
        self._lock = threading.Lock()
        self._allowed: int | None = None
        self._window: float | None = None  # longest reset seen ≈ window length
        self._starts: list[float] = []  # our requests' hand-overs, ascending (the window log)
        self._others: list[float] = []  # placeholder starts of arrivals we did not make
        self._mine = threading.local()  # this thread's request: ``at`` its logged start
        self._pending = 0  # requests let through, not handed to the transport yet
        self._in_flight = 0
        self._answered = False  # a response came back (until then, one request at a time)
        self._probing = False  # the first request is out
        self._next_at = 0.0  # earliest start for the next request (spacing)
        self._paused_until = 0.0

    # -- the pure-ish core: everything below the lock, no sleeping ------------------------

    def reserve(self) -> float | None:
        """Claim the next slot: the clock time at which the request may try to ``start``, or
        ``None`` while the first request is out and nothing is known yet (ask again after)."""
        with self._lock:
            now = self._clock.monotonic()
            at = max(now, self._next_at, self._paused_until)
            if not self._answered:
                if self._probing:
                    return None
                self._probing = True
            elif self._allowed is not None:
                at = self._window_slot(at, now)
                self._next_at = at + self.spacing
            return at

    def start(self, *, force: bool = False) -> float | None:
        """Let this thread's request go: return ``None``, or the time to wait until when the
        window log is full at this moment (a thread woke late, or a placeholder arrived
        meanwhile). ``force`` lets it go regardless. Until ``sent()`` (or ``observe()``) it
        counts as leaving now, whenever now is."""
        with self._lock:
            now = self._clock.monotonic()
            if not force and self._allowed is not None:
                at = self._window_slot(max(now, self._paused_until), now)
                if at > now:
                    return at
            self._forget(now)
            self._mine.at = None
            self._mine.pending = now
            self._pending += 1
            self._in_flight += 1
            return None

    def sent(self) -> None:
        """This thread's request is being handed to the transport: log its start now. A second
        call (the token request went first, or a request sent again) moves it later."""
        with self._lock:
            now = self._clock.monotonic()
            if self._take_pending() is None:
                at = getattr(self._mine, "at", None)
                if at is None:
                    return  # no request of this thread was let through by this limiter
                i = bisect.bisect_left(self._starts, at)
                if i < len(self._starts) and self._starts[i] == at:  # not forgotten yet
                    del self._starts[i]
            bisect.insort(self._starts, now)
            self._mine.at = now

    def _take_pending(self) -> float | None:
        """This thread's request let through and not yet handed over: when it was let go."""
        let_go: float | None = getattr(self._mine, "pending", None)
        if let_go is not None:
            self._mine.pending = None
            self._pending -= 1
        return let_go

    def observe(self, headers: Mapping[str, str] | None, *, started: float | None = None) -> None:
        """Record a finished request (``headers`` is ``None`` when it failed without a response).

        ``started``: when it was handed over; by default this thread's logged start.
        """
        with self._lock:
            let_go = self._take_pending()
            if let_go is not None:  # never handed over (no hook): logged as let go
                bisect.insort(self._starts, let_go)
                self._mine.at = let_go
            if started is None:
                started = getattr(self._mine, "at", None)
            self._mine.at = None
            self._in_flight = max(self._in_flight - 1, 0)
            allowed = count = reset = None
            if headers is not None:
                allowed = _header_number(headers, "inin-ratelimit-allowed")
                count = _header_number(headers, "inin-ratelimit-count")
                reset = _header_number(headers, "inin-ratelimit-reset")
            self._answered = self._answered or headers is not None
            self._probing = False
            if allowed is None or count is None or reset is None or allowed < 1:
                return
            now = self._clock.monotonic()
            self._allowed = int(allowed)
            self._window = max(self._window or 0.0, reset, 1e-3)
            self._count_others(int(count), reset, now, started)

    def pause(self, seconds: float) -> None:
        """The service said wait (429 ``Retry-After``): hold every thread that long.

        A 429 while pacing means arrivals jitter more than the margin allows: it doubles,
        up to a quarter of the window."""
        with self._lock:
            now = self._clock.monotonic()
            until = now + max(seconds, 0.0)
            if self._window and until > self._paused_until:
                cap = max(self._window / 4, self._margin)
                self._margin = min(2 * self._margin, cap)
                log.debug("pacing: margin now %.3f s", self._margin)
            if until > self._paused_until:
                log.debug("pacing: all requests paused for %.2f s", seconds)
            self._paused_until = max(self._paused_until, until)
            self._next_at = max(self._next_at, self._paused_until)

    def _window_slot(self, at: float, now: float) -> float:
        """The earliest time from ``at`` when fewer than ``budget`` starts lie in one span
        (requests not handed over yet taken as leaving ``now``: a lower bound)."""
        budget = self.budget or 1
        span = self.span
        while True:
            held = self._held_after(at - span, now)
            if len(held) < budget:
                return at
            at = held[len(held) - budget] + span + _EPSILON  # that start has left the span

    def _held_after(self, since: float, now: float) -> list[float]:
        starts = self._starts[bisect.bisect_right(self._starts, since) :]
        others = self._others[bisect.bisect_right(self._others, since) :]
        pending = [now] * self._pending if now > since else []
        return sorted(starts + others + pending) if others or pending else starts

    def _count_others(self, count: int, reset: float, now: float, started: float | None) -> None:
        """Hold placeholders for arrivals in the service's window that were not ours."""
        window = self._window or reset
        at = now if started is None else started
        since = at - window - self._margin
        ours = bisect.bisect_right(self._starts, at) - bisect.bisect_right(self._starts, since)
        held = len(self._others) - bisect.bisect_right(self._others, since)
        unexplained = count - ours - held
        if unexplained > 0:
            # They count until the service's window resets: ``reset`` from now at most.
            until = now + reset
            for _ in range(unexplained):
                bisect.insort(self._others, min(until - self.span, now))

    def _forget(self, now: float) -> None:
        horizon = now - 2 * self.span
        del self._starts[: bisect.bisect_right(self._starts, horizon)]
        del self._others[: bisect.bisect_right(self._others, horizon)]

    # -- the shell -------------------------------------------------------------------------

    def acquire(self) -> float:
        """Block until a request may start; return how long it waited."""
        began = self._clock.monotonic()
        at = self.reserve()
        while at is None:  # the first request is out: wait for its answer
            if self._interrupted:
                break  # the run is stopping; the caller sees that next
            self._clock.sleep(_PROBE_POLL)
            at = self.reserve()
        while at is not None:
            wait = at - self._clock.monotonic()
            if wait > 0:
                self._clock.sleep(wait)
            at = self.start(force=self._interrupted)
        return max(self._clock.monotonic() - began, 0.0)

    @property
    def _interrupted(self) -> bool:
        return bool(getattr(self._clock, "interrupted", False))

    @property
    def budget(self) -> int | None:
        if self._allowed is None:
            return None
        return max(self._allowed - math.floor(self._allowed * self._headroom), 1)

    @property
    def span(self) -> float:
        """Seconds in which at most ``budget`` starts may lie: the window plus the margin."""
        return (self._window or 0.0) + self._margin

    @property
    def spacing(self) -> float:
        budget = self.budget
        if budget is None or not self._window:
            return 0.0
        return self.span / budget

    def __repr__(self) -> str:
        return (
            f"Limiter(allowed={self._allowed}, window={self._window}, "
            f"starts={len(self._starts)}, others={len(self._others)}, pending={self._pending}, "
            f"in_flight={self._in_flight})"
        )


__all__ = ["Clock", "Limiter", "SystemClock"]
