"""Limits the emulator enforces: the per-token rate window and the request rules of §6."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from genesys_analytics.emulator.responses import ApiError, bad_request
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval

Clock = Callable[[], float]


@dataclass(frozen=True)
class WindowState:
    """What the inin-ratelimit-* headers say after one request."""

    allowed: int
    count: int
    reset: int
    over: bool

    def headers(self) -> dict[str, str]:
        return {
            "inin-ratelimit-allowed": str(self.allowed),
            "inin-ratelimit-count": str(self.count),
            "inin-ratelimit-reset": str(self.reset),
        }


#: Where a rate window starts: at the first request after the last window ended, or on
#: the clock (every ``seconds`` from the emulator's start, whoever asks).
WINDOW_ALIGNMENTS = ("first-request", "clock")


class RateWindows:
    """Fixed windows of ``limit`` requests per ``seconds``, one per key (token or client),
    counting requests as they arrive (before any injected latency)."""

    def __init__(
        self, limit: int, seconds: float, clock: Clock, *, align: str = "first-request"
    ) -> None:
        if align not in WINDOW_ALIGNMENTS:
            raise ConfigError(f"rate windows align to one of {', '.join(WINDOW_ALIGNMENTS)}.")
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._origin = clock() if align == "clock" else None
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, *, enforce: bool = True) -> WindowState:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if self._origin is not None:
            aligned = self._origin + math.floor((now - self._origin) / self.seconds) * self.seconds
            if aligned != start:
                start, count = aligned, 0
        elif now - start >= self.seconds:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        reset = max(1, math.ceil(start + self.seconds - now))
        over = enforce and count > self.limit
        return WindowState(self.limit, count, reset, over)

    def too_many(self, state: WindowState) -> ApiError:
        seconds = f"{self.seconds:g}"
        return ApiError(
            429,
            "too.many.requests",
            f"Rate limit exceeded the maximum [{self.limit}] requests within [{seconds}] seconds",
            headers={"Retry-After": str(state.reset)},
        )


def parse_interval(value: Any, field: str = "interval") -> Interval:
    if not isinstance(value, str) or not value:
        raise bad_request(f"{field} is required and must be an ISO-8601 interval start/end.")
    try:
        return Interval.parse(value)
    except ConfigError as err:
        raise ApiError(400, "invalid.date", f"{field}: {err.message}") from None


def check_interval_length(
    interval: Interval, filtered: bool, unfiltered_days: int, filtered_days: int
) -> None:
    """7 days without a filter, 31 with one (decisions.md §6)."""
    days = filtered_days if filtered else unfiltered_days
    if interval.duration > timedelta(days=days):
        kind = "with filters" if filtered else "without filters"
        raise bad_request(
            f"The interval {interval.iso()} is too long: a query {kind} may span at most "
            f"{days} days. Use a shorter interval"
            + ("." if filtered else f", or add a filter to allow up to {filtered_days} days.")
        )


def int_param(value: Any, field: str, default: int, minimum: int = 1) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise bad_request(f"{field} must be an integer.")
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{field} must be an integer, not {value!r}.") from None
    if number < minimum:
        raise bad_request(f"{field} must be at least {minimum}, not {number}.")
    return number


def check_page_size(size: int, maximum: int, field: str = "pageSize") -> None:
    if size > maximum:
        raise bad_request(f"{field} {size} exceeds the maximum page size of {maximum}.")


def check_deep_paging(page_number: int, page_size: int, cap: int) -> None:
    if page_number * page_size > cap:
        raise bad_request(
            f"Pagination may not exceed {cap} results. Query smaller intervals, "
            "for example hour by hour, so each interval stays under the limit."
        )


def one_of(value: Any, field: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(
            400, "invalid.value", f"{field} {value!r} is not one of {', '.join(allowed)}."
        )
    return str(value)
