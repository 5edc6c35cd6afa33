"""Instants and half-open UTC intervals in the API's ISO-8601 format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from genesys_analytics.errors import ConfigError

UTC = timezone.utc
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_instant(value: str | datetime | date) -> datetime:
    """Parse an ISO date or datetime (``Z`` or an offset; naive means UTC) into aware UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time.min)
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"{value!r} is not an ISO-8601 date or datetime; "
                "use e.g. 2024-05-01 or 2024-05-01T08:00:00Z."
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """Parse ``7d``, ``24h``, ``30m``, ``2w`` or ``90s``."""
    m = _DURATION.match(text)
    if not m:
        raise ConfigError(f"{text!r} is not a duration; use e.g. 7d, 24h or 30m.")
    return timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})


def fmt(dt: datetime) -> str:
    """Format as the API does: ``2024-05-01T00:00:00.000Z``."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open UTC interval ``[start, end)``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ConfigError("interval bounds must be timezone-aware datetimes.")
        if self.end <= self.start:
            raise ConfigError(
                f"the interval ends ({fmt(self.end)}) at or before it starts "
                f"({fmt(self.start)}); give an end after the start."
            )

    @classmethod
    def of(cls, start: str | datetime | date, end: str | datetime | date) -> Interval:
        return cls(parse_instant(start), parse_instant(end))

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Parse the API's ``start/end`` form."""
        if text.count("/") != 1:
            raise ConfigError(f"{text!r} is not an ISO-8601 interval of the form start/end.")
        a, b = text.split("/")
        return cls.of(a, b)

    def iso(self) -> str:
        return f"{fmt(self.start)}/{fmt(self.end)}"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, dt: datetime) -> bool:
        return self.start <= dt < self.end

    def days_touched(self) -> list[date]:
        """UTC days that ``[start, end)`` touches."""
        first = self.start.date()
        last = (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def split_at(self, at: datetime) -> tuple[Interval, Interval]:
        return Interval(self.start, at), Interval(at, self.end)

    def halves(self) -> tuple[Interval, Interval]:
        mid = self.start + (self.end - self.start) / 2
        mid = mid.replace(microsecond=(mid.microsecond // 1000) * 1000)
        return self.split_at(mid)

    def __str__(self) -> str:
        return self.iso()
