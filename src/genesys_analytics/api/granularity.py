"""Aggregates buckets: ISO-8601 granularity, bucket edges aligned in a time zone, and the
split of an interval into requests within the service's limits (31 days, 1,000 buckets).

Calendar units (months, days, weeks) step in local wall-clock time, so a ``P1D`` bucket
across a DST change lasts 23 or 25 hours; clock units step in absolute time. The first
bucket runs from the interval start to the first aligned boundary (local midnight for
days, the local hour for hours, the 1st for months), every later one starts on a boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import UTC, Interval

MAX_DAYS = 31
MAX_BUCKETS = 1000

_PERIOD = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<Mo>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<Mi>\d+)M)?(?:(?P<S>\d+)S)?)?$"
)


def zone(name: str | None) -> tzinfo:
    """The ``tzinfo`` of an IANA name (``None``/``UTC`` → UTC); ConfigError if unknown."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Paris."
        ) from None


# -- granularity ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Granularity:
    """An ISO-8601 period split into calendar (months, days) and clock parts."""

    text: str
    months: int = 0
    days: int = 0
    clock: timedelta = timedelta(0)

    @classmethod
    def parse(cls, text: str) -> Granularity:
        m = _PERIOD.match(text or "")
        if not m or text in ("P", "PT") or text.endswith("T"):
            raise ConfigError(f"granularity {text!r} is not an ISO-8601 period like PT1H or P1D.")
        n = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
        clock = timedelta(hours=n["H"], minutes=n["Mi"], seconds=n["S"])
        g = cls(text, n["Y"] * 12 + n["Mo"], n["W"] * 7 + n["D"], clock)
        if not (g.months or g.days or g.clock):
            raise ConfigError(f"granularity {text!r} is zero; give a positive period.")
        return g

    def step(self, origin: datetime, k: int, tz: tzinfo) -> datetime:
        """The ``k``-th edge after ``origin``: calendar parts in wall time, clock in UTC."""
        wall = origin.astimezone(tz).replace(tzinfo=None)
        if self.months:
            wall = _add_months(wall, self.months * k)
        wall += timedelta(days=self.days * k)
        return wall.replace(tzinfo=tz).astimezone(UTC) + self.clock * k

    def align_up(self, t: datetime, tz: tzinfo) -> datetime:
        """The first bucket boundary at or after ``t`` in ``tz``."""
        local = t.astimezone(tz)
        if self.months:
            floor = _midnight(local.date().replace(day=1), tz)
            return t if floor == t else _midnight(_add_months_date(local.date(), 1), tz)
        if self.days:
            floor = _midnight(local.date(), tz)
            return t if floor == t else _midnight(local.date() + timedelta(days=1), tz)
        unit = timedelta(hours=1) if self.clock >= timedelta(hours=1) else self.clock
        if unit <= timedelta(0) or timedelta(hours=1) % unit:
            return t  # no natural boundary to align to
        top = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        steps = -(-(t - top) // unit)
        return top + unit * steps


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC)


def _add_months_date(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def _add_months(wall: datetime, months: int) -> datetime:
    y, m = divmod(wall.month - 1 + months, 12)
    for day in (wall.day, 30, 29, 28):
        try:
            return wall.replace(year=wall.year + y, month=m + 1, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def bucket_edges(interval: Interval, granularity: Granularity, tz: tzinfo) -> Iterator[datetime]:
    """Edges ``start, b1, ..., end``: a short first bucket up to the first aligned boundary."""
    yield interval.start
    origin = granularity.align_up(interval.start, tz)
    if origin >= interval.end:
        yield interval.end
        return
    if origin > interval.start:
        yield origin
    k, last = 0, origin
    while last < interval.end:
        k += 1
        nxt = granularity.step(origin, k, tz)
        if nxt <= last:  # a wall-clock time skipped by DST
            nxt = last + timedelta(hours=1)
        last = min(nxt, interval.end)
        yield last


def plan_chunks(
    interval: Interval,
    granularity: str | None = None,
    time_zone: str | None = None,
    *,
    max_days: int = MAX_DAYS,
    max_buckets: int = MAX_BUCKETS,
) -> list[Interval]:
    """Split ``interval`` into requests of at most ``max_days`` and ``max_buckets`` buckets."""
    span = timedelta(days=max_days)
    if not granularity:
        out, cur = [], interval.start
        while cur < interval.end:
            nxt = min(cur + span, interval.end)
            out.append(Interval(cur, nxt))
            cur = nxt
        return out
    g, tz = Granularity.parse(granularity), zone(time_zone)
    edges = bucket_edges(interval, g, tz)
    chunks: list[Interval] = []
    first = next(edges)
    head, prev, buckets = first, first, 0
    if g.align_up(first, tz) > first:  # the short leading bucket goes alone
        prev = next(edges)
        chunks.append(Interval(first, prev))
        head = prev
    for edge in edges:
        if edge - prev > span:
            raise ConfigError(f"one {granularity} bucket is longer than {max_days} days.")
        if buckets == max_buckets or edge - head > span:
            chunks.append(Interval(head, prev))
            head, buckets = prev, 0
        prev, buckets = edge, buckets + 1
    if prev > head:
        chunks.append(Interval(head, prev))
    return chunks


__all__ = [
    "MAX_BUCKETS",
    "MAX_DAYS",
    "Granularity",
    "bucket_edges",
    "plan_chunks",
    "zone",
]
