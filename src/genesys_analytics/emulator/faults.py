"""Named faults, off by default, drawn from one seeded RNG so a run is reproducible."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping

from genesys_analytics.emulator.responses import ApiError

_SERVER_ERRORS: tuple[tuple[int, str, str], ...] = (
    (500, "internal.server.error", "The server encountered an unexpected error."),
    (502, "bad.gateway", "The upstream service returned an invalid response."),
    (503, "service.unavailable", "The service is temporarily unavailable."),
    (504, "request.timeout", "The request timed out upstream."),
)


class Faults:
    """Decides, request by request, which fault (if any) to inject; counts each one."""

    def __init__(
        self,
        faults: Mapping[str, float | tuple[float, float]],
        seed: int,
        counters: Counter[str],
    ) -> None:
        self._faults = dict(faults)
        self._rng = random.Random(seed)
        self.counters = counters

    @property
    def rng(self) -> random.Random:
        return self._rng

    def enabled(self, name: str) -> bool:
        value = self._faults.get(name)
        return value is not None and value != 0

    def _roll(self, name: str) -> bool:
        p = self._faults.get(name)
        if not isinstance(p, (int, float)) or p <= 0:
            return False
        if p >= 1 or self._rng.random() < p:
            self.counters[f"fault.{name}"] += 1
            return True
        return False

    def request_error(self) -> ApiError | None:
        """quota, throttle or a server error for one /api/v2 request, or None."""
        if self._roll("quota"):
            seconds = 3600 + self._rng.randrange(0, 3600)
            return ApiError(
                429,
                "too.many.requests",
                "Rate limit exceeded the maximum [10000] requests within [86400] seconds",
                headers={"Retry-After": str(seconds)},
            )
        if self._roll("throttle"):
            headers = {}
            if self._rng.random() < 0.5:
                headers["Retry-After"] = str(self._rng.randrange(1, 4))
            else:
                self.counters["fault.throttle.no-retry-after"] += 1
            return ApiError(
                429,
                "too.many.requests",
                "Rate limit exceeded the maximum [300] requests within [60] seconds",
                headers=headers,
            )
        if self._roll("server-errors"):
            status, code, message = self._rng.choice(_SERVER_ERRORS)
            return ApiError(status, code, message)
        return None

    def latency(self) -> float:
        """Seconds to wait before answering (0 when the fault is off)."""
        value = self._faults.get("latency")
        if value is None:
            return 0.0
        lo, hi = value if isinstance(value, tuple) else (value, value)
        if hi <= 0:
            return 0.0
        self.counters["fault.latency"] += 1
        return lo if hi == lo else self._rng.uniform(lo, hi)

    def drop(self) -> bool:
        return self._roll("drop")

    def drift(self) -> bool:
        return self._roll("drift")

    def job_fails(self) -> bool:
        return self._roll("job-failure")

    def job_expires(self) -> bool:
        return self._roll("job-expiry")

    def token_expiry(self) -> float | None:
        """Seconds a new token really lives under the token-expiry fault, else None."""
        value = self._faults.get("token-expiry")
        if value is None or isinstance(value, tuple):
            return None
        self.counters["fault.token-expiry"] += 1
        return float(value)
