"""Granularity buckets for the aggregates query, cut in an IANA time zone.

Calendar units (``Y``, ``M``, ``W``, ``D``) step in local wall-clock time, so a ``P1D``
bucket across a DST change lasts 23 or 25 hours; clock units (``H``, ``M``, ``S``) step in
absolute time. The first bucket starts at the interval start; the last is cut at its end.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from genesys_analytics.emulator.query.filters import BadFilter
from genesys_analytics.timeutil import UTC

_ISO_DURATION = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<Mo>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<Mi>\d+)M)?(?:(?P<S>\d+)S)?)?$"
)


def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadFilter(f"unknown timeZone {name!r}; use an IANA name like Europe/Paris.") from None


def parse_granularity(text: str) -> tuple[int, int, timedelta]:
    """``(months, days, clock)`` of an ISO-8601 duration such as ``PT30M`` or ``P1D``."""
    m = _ISO_DURATION.match(text or "")
    if not m or text in ("P", "PT") or text.endswith("T"):
        raise BadFilter(f"granularity {text!r} is not an ISO-8601 duration like PT30M or P1D.")
    n = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    months, days = n["Y"] * 12 + n["Mo"], n["W"] * 7 + n["D"]
    clock = timedelta(hours=n["H"], minutes=n["Mi"], seconds=n["S"])
    if not (months or days or clock):
        raise BadFilter(f"granularity {text!r} is zero; give a positive duration.")
    return months, days, clock


def _add_months(local: datetime, months: int) -> datetime:
    y, m = divmod(local.month - 1 + months, 12)
    year, month = local.year + y, m + 1
    for day in (local.day, 30, 29, 28):
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def boundaries(
    start: datetime, end: datetime, granularity: str | None, tz: tzinfo, max_buckets: int
) -> list[datetime]:
    """Bucket edges ``[start, e1, ..., end]`` in UTC; more than ``max_buckets`` → BadFilter."""
    if not granularity:
        return [start, end]
    months, days, clock = parse_granularity(granularity)
    edges = [start]
    k = 0
    local0 = start.astimezone(tz).replace(tzinfo=None)
    while edges[-1] < end:
        k += 1
        if len(edges) > max_buckets:
            raise BadFilter(
                f"the interval holds more than {max_buckets} buckets of {granularity}; "
                f"the limit is {max_buckets} buckets per query."
            )
        wall = local0
        if months:
            wall = _add_months(wall, months * k)
        wall += timedelta(days=days * k)
        nxt = wall.replace(tzinfo=tz).astimezone(UTC) + clock * k
        if nxt <= edges[-1]:  # a wall-clock time skipped by DST: step on
            nxt = edges[-1] + timedelta(hours=1)
        edges.append(min(nxt, end))
    return edges
