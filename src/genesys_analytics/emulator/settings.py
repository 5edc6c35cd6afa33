"""Emulator settings: every limit of decisions.md §6 and every fault, as one frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import UTC, parse_instant

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"

# Fault name -> value used by ``--fault NAME`` without ``=VALUE``.
# Probabilities for most; seconds for ``latency`` and ``token-expiry``.
FAULT_DEFAULTS: Mapping[str, float | tuple[float, float]] = MappingProxyType(
    {
        "throttle": 0.05,
        "server-errors": 0.05,
        "latency": (0.05, 0.5),
        "drop": 0.02,
        "drift": 0.2,
        "job-failure": 0.3,
        "job-expiry": 0.3,
        "token-expiry": 30.0,
        "quota": 0.02,
    }
)
_SECONDS_FAULTS = frozenset({"latency", "token-expiry"})


def default_now() -> datetime:
    """The current UTC time, floored to the hour (so a day's data stays reproducible)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class EmulatorSettings:
    """Everything that shapes one emulator: data, credentials, limits and faults."""

    seed: int = 7
    days: int = 14
    per_day: int = 500
    now: datetime | None = None
    # Late data (decisions.md §9): the share of conversations Genesys revises after first
    # serving them (a wrap-up code added or a metric corrected, 1 h to 60 h after they
    # start); 0 = none. ``POST /_emulator/now`` moves "now" on, so revisions land, ongoing
    # conversations and open status records close, and new days appear (data/late.py).
    late_data: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = field(default=DEMO_CLIENT_SECRET, repr=False)
    # limits (decisions.md §6)
    details_max_page_size: int = 100
    deep_paging_cap: int = 100_000
    max_days_unfiltered: int = 7
    max_days_filtered: int = 31
    job_max_page_size: int = 1000
    max_concurrent_jobs: int = 5
    job_run_seconds: float = 2.0
    job_results_ttl: float = 3600.0
    rate_limit: tuple[int, float] = (300, 60.0)
    # "first-request": a window opens with the first request after the last one closed;
    # "clock": windows follow one another on the clock from the start, whoever asks
    rate_window: str = "first-request"
    token_lifetime: int = 86_400
    availability_lag: float = 3600.0
    aggregates_max_buckets: int = 1000
    token_error_status: int = 400
    queues_max_page_size: int = 500
    query_cache_seconds: float = 30.0
    # Serialized days (about 3.5 KB a conversation) kept for serving pages; past this the
    # least recently used day is dropped, and generated again when it is next read.
    cache_mb: int = 2048
    # the agent side and the dimension lists (decisions.md §10); the user details query
    # shares max_days_unfiltered / max_days_filtered with the conversation query
    user_details_max_page_size: int = 100
    user_details_deep_paging_cap: int = 100_000
    user_details_job_max_page_size: int = 1000
    user_details_availability_lag: float = 3600.0
    user_aggregates_max_user_predicates: int = 100
    users_max_page_size: int = 500
    users_deep_paging_cap: int = 10_000
    lists_max_page_size: int = 500  # wrap-up codes and divisions
    queue_members_max_page_size: int = 100
    # faults: name -> probability, or seconds for latency / token-expiry
    faults: Mapping[str, float | tuple[float, float]] = field(default_factory=dict)
    fault_seed: int = 0
    # Pause the process's garbage collector while a day of data is generated, then freeze
    # what it built (see data/org.py). Process-wide, so only for an emulator that is its
    # own process: the ``genesys-analytics emulator`` command turns it on.
    pause_gc: bool = False

    def __post_init__(self) -> None:
        for name, value in self.faults.items():
            check_fault(name, value)
        count, seconds = self.rate_limit
        if count < 1 or seconds <= 0:
            raise ConfigError("rate_limit must be (N >= 1, SECONDS > 0).")
        if not 0.0 <= self.late_data <= 1.0:
            raise ConfigError(f"late_data is a share between 0 and 1, not {self.late_data}.")
        if self.rate_window not in ("first-request", "clock"):
            raise ConfigError(
                f"rate_window {self.rate_window!r} must be 'first-request' or 'clock'."
            )
        object.__setattr__(self, "faults", MappingProxyType(dict(self.faults)))
        if self.now is not None:
            object.__setattr__(self, "now", parse_instant(self.now))

    def resolved_now(self) -> datetime:
        return self.now if self.now is not None else default_now()

    @property
    def lag(self) -> timedelta:
        return timedelta(seconds=self.availability_lag)


def check_fault(name: str, value: float | tuple[float, float]) -> None:
    """Raise ConfigError unless ``name`` is a known fault and ``value`` fits it."""
    if name not in FAULT_DEFAULTS:
        known = ", ".join(sorted(FAULT_DEFAULTS))
        raise ConfigError(f"unknown fault {name!r}; known faults: {known}.")
    if isinstance(value, tuple):
        if name != "latency" or len(value) != 2 or not 0 <= value[0] <= value[1]:
            raise ConfigError(f"fault {name!r} takes one number, or MIN-MAX for latency.")
        return
    if name in _SECONDS_FAULTS:
        if value < 0:
            raise ConfigError(f"fault {name!r} takes seconds >= 0, not {value}.")
    elif not 0.0 <= value <= 1.0:
        raise ConfigError(f"fault {name!r} takes a probability between 0 and 1, not {value}.")


def parse_fault(text: str) -> tuple[str, float | tuple[float, float]]:
    """Parse ``NAME`` or ``NAME=VALUE`` (``latency=MIN-MAX`` allowed)."""
    name, sep, raw = text.partition("=")
    name = name.strip().lower()
    if name not in FAULT_DEFAULTS:
        check_fault(name, 0.0)
    value: float | tuple[float, float]
    if not sep:
        value = FAULT_DEFAULTS[name]
    else:
        try:
            if name == "latency" and "-" in raw.strip().lstrip("-"):
                lo, hi = raw.split("-", 1)
                value = (float(lo), float(hi))
            else:
                value = float(raw)
        except ValueError:
            raise ConfigError(f"--fault {text!r}: {raw!r} is not a number.") from None
    check_fault(name, value)
    return name, value


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse ``N/SECONDS`` (e.g. ``300/60``); the window is required, never guessed."""
    count, sep, seconds = text.strip().partition("/")
    try:
        result = (int(count), float(seconds) if sep else 0.0)
    except ValueError:
        raise ConfigError(f"--rate-limit {text!r} is not N/SECONDS, e.g. 300/60.") from None
    n = result[0]
    if not sep:
        raise ConfigError(
            f"--rate-limit {text!r} needs a window: give N/SECONDS, e.g. {n}/60 for {n} "
            f"requests a minute or {n}/1 for {n} a second."
        )
    if n < 1 or not result[1] > 0:
        raise ConfigError(f"--rate-limit {text!r} needs N >= 1 and SECONDS > 0.")
    return result
