"""Pacing: one limiter per token, shared by every thread, fed by ``inin-ratelimit-*`` headers.

The service allows ``allowed`` requests per window and says, on every response, how many
were used (``count``) and how many seconds remain until the window resets (``reset``).
The limiter does two things before each request:

* **spacing** — request starts are spread evenly, ``window / budget`` seconds apart, where
  ``budget`` is ``allowed`` minus a small headroom and ``window`` is the longest ``reset``
  seen. At that pace no window of any alignment can overflow, whatever the number of
  threads, so a healthy run makes no 429.
* **budget** — the requests used in the current window (the service's ``count`` plus
  what is still in flight, or our own count if higher) never pass the budget: when they
  would, the request waits for the window to reset. This covers other programs sharing
  the token and a window estimate that is still too short.

A 429's ``Retry-After`` pauses every thread (``pause``). Before the first response the
limiter knows nothing and lets requests through.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger(__name__)

_RESET_TOLERANCE = 1.0  # seconds of slack when telling "same window" from "new window"


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
    """Thread-safe pacing for one token. Call ``acquire()`` before and ``observe()`` after."""

    def __init__(self, clock: Clock | None = None, *, headroom: float = 0.05) -> None:
        self._clock = clock or SystemClock()
        self._headroom = headroom
        self._lock = threading.Lock()
        self._allowed: int | None = None
        self._window: float | None = None  # longest reset seen ≈ window length
        self._window_end: float | None = None  # when the current window resets (our clock)
        self._used = 0  # requests counted against the current window
        self._in_flight = 0
        self._next_at = 0.0  # earliest start for the next request (spacing)
        self._paused_until = 0.0

    # -- the pure-ish core: everything below the lock, no sleeping ------------------------

    def reserve(self) -> float:
        """Claim the next slot; return the clock time at which the request may start."""
        with self._lock:
            now = self._clock.monotonic()
            at = max(now, self._next_at, self._paused_until)
            if self._window_end is not None and at >= self._window_end:
                self._new_window()
            budget = self.budget
            if budget is not None and self._window_end is not None and self._used >= budget:
                at = max(at, self._window_end)
                self._new_window()
            self._used += 1
            self._in_flight += 1
            self._next_at = at + self.spacing
            return at

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Record a finished request (``headers`` is ``None`` when it failed without a response)."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            if headers is None:
                return
            allowed = _header_number(headers, "inin-ratelimit-allowed")
            count = _header_number(headers, "inin-ratelimit-count")
            reset = _header_number(headers, "inin-ratelimit-reset")
            if allowed is None or count is None or reset is None or allowed < 1:
                return
            now = self._clock.monotonic()
            self._allowed = int(allowed)
            self._window = max(self._window or 0.0, reset)
            end = now + reset
            if self._window_end is None or end > self._window_end + _RESET_TOLERANCE:
                # A window we have not seen yet: trust the service, plus what is in flight.
                self._window_end = end
                self._used = int(count) + self._in_flight
            else:
                self._used = max(self._used, int(count))

    def pause(self, seconds: float) -> None:
        """The service said wait (429 ``Retry-After``): hold every thread that long."""
        with self._lock:
            until = self._clock.monotonic() + max(seconds, 0.0)
            if until > self._paused_until:
                log.debug("pacing: all requests paused for %.2f s", seconds)
            self._paused_until = max(self._paused_until, until)
            self._next_at = max(self._next_at, self._paused_until)

    def _new_window(self) -> None:
        self._window_end = None
        self._used = 0

    # -- the shell -------------------------------------------------------------------------

    def acquire(self) -> float:
        """Block until a request may start; return how long it waited."""
        at = self.reserve()
        wait = at - self._clock.monotonic()
        if wait > 0:
            self._clock.sleep(wait)
            return wait
        return 0.0

    @property
    def budget(self) -> int | None:
        if self._allowed is None:
            return None
        return max(self._allowed - max(1, math.ceil(self._allowed * self._headroom)), 1)

    @property
    def spacing(self) -> float:
        budget = self.budget
        if budget is None or not self._window:
            return 0.0
        return self._window / budget

    def __repr__(self) -> str:
        return (
            f"Limiter(allowed={self._allowed}, window={self._window}, used={self._used}, "
            f"in_flight={self._in_flight})"
        )


__all__ = ["Clock", "Limiter", "SystemClock"]
