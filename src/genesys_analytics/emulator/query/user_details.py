"""Users details: which agent records a query or job returns, and how pages come out.

The query (agents-and-dimensions-api.md §1.3) reads the service's day index: a record is
stored under the UTC day of its ``startTime`` and, when it has ended, under the UTC day of
its ``endTime``. For an interval ``[a, b)`` the *entries* are, day by day over the days the
interval touches, the stored records that overlap ``[a, b]`` and pass the filters, sorted
by (userId, presence before routing, startTime). Pages are cut from the entries; then an
entry whose record already came earlier (on an earlier page or earlier on this page) is
dropped. So a page is short wherever a record spanning midnight shows up a second time,
and a short page is not the last one: only a page past the entries has no ``userDetails``.
``totalHits`` counts entries, duplicates included (it is approximate).

A record that starts before and ends after every day the query touches is stored under
none of them and is not returned, as the real service does for long OFFLINE records.

A job reads the records themselves: each record overlapping ``[a, b]`` that started before
the user-details availability date, once, by (startTime, userId, kind).

Filters: ``userFilters`` on ``userId`` (both kinds), ``presenceFilters`` on
``systemPresence`` / ``organizationPresenceId`` (presence records only),
``routingStatusFilters`` on ``routingStatus`` (routing records only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from genesys_analytics.emulator.data.timelines import (
    PRESENCE,
    Record,
    Timelines,
    record_json,
)
from genesys_analytics.emulator.query.filters import BadFilter, Getter, RowTest, compile_filter
from genesys_analytics.timeutil import UTC, Interval

ORDERS = ("asc", "desc", "unordered")
USER_DIMENSIONS: dict[str, Getter] = {"userId": lambda row: row[0]["userId"]}
PRESENCE_DIMENSIONS: dict[str, Getter] = {
    "systemPresence": lambda row: row[0].get("systemPresence"),
    "organizationPresenceId": lambda row: row[0].get("organizationPresenceId"),
}
ROUTING_DIMENSIONS: dict[str, Getter] = {"routingStatus": lambda row: row[0].get("routingStatus")}
_FILTERS = (
    ("userFilters", USER_DIMENSIONS, "user"),
    ("presenceFilters", PRESENCE_DIMENSIONS, "presence"),
    ("routingStatusFilters", ROUTING_DIMENSIONS, "routing status"),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ceil_ms(dt: datetime) -> int:
    """Epoch milliseconds of the first whole millisecond at or after ``dt``."""
    return -((_EPOCH - dt.astimezone(UTC)) // timedelta(milliseconds=1))


def _tests(flts: Any, dims: dict[str, Getter], where: str, key: str) -> list[RowTest]:
    if flts is None:
        return []
    if not isinstance(flts, list):
        raise BadFilter(f"{key} must be a list of filters.")
    return [compile_filter(f, dims, where) for f in flts]


@dataclass(frozen=True)
class UserQuery:
    """A parsed users details query or job body."""

    interval: Interval
    order: str
    filtered: bool
    user_tests: tuple[RowTest, ...] = ()
    presence_tests: tuple[RowTest, ...] = ()
    routing_tests: tuple[RowTest, ...] = ()
    limit: int | None = None

    def accepts(self, rec: Record) -> bool:
        if not (self.user_tests or self.presence_tests or self.routing_tests):
            return True
        row = ({"userId": rec[2], **_status(rec)}, None, None, None)
        tests = self.presence_tests if rec[3] == PRESENCE else self.routing_tests
        return all(t(row) for t in self.user_tests) and all(t(row) for t in tests)


def _status(rec: Record) -> dict[str, str]:
    if rec[3] == PRESENCE:
        return {"systemPresence": rec[4], "organizationPresenceId": rec[5]}
    return {"routingStatus": rec[4]}


def compile_user_filters(
    body: dict[str, Any],
) -> tuple[tuple[RowTest, ...], tuple[RowTest, ...], tuple[RowTest, ...]]:
    """The body's three filter lists as tests; BadFilter names a dimension not allowed."""
    user, presence, routing = (
        tuple(_tests(body.get(key), dims, where, key)) for key, dims, where in _FILTERS
    )
    return user, presence, routing


def has_user_filters(body: dict[str, Any]) -> bool:
    return any(body.get(key) for key, _, _ in _FILTERS)


def _window(interval: Interval) -> tuple[int, int]:
    return ceil_ms(interval.start), ceil_ms(interval.end)


def index_entries(timelines: Timelines, query: UserQuery) -> list[tuple[Record, bool]]:
    """The query's entries in page order, each with whether it repeats an earlier one."""
    a, b = _window(query.interval)
    now = timelines.now_ms
    entries: list[Record] = []
    for d in query.interval.days_touched():
        stored = [
            r for r in timelines.indexed(d) if r[0] < b and min(r[1], now) >= a and query.accepts(r)
        ]
        stored.sort(key=lambda r: (r[2], r[3], r[0]))
        entries.extend(stored)
    if query.order == "desc":
        entries.reverse()
    seen: set[tuple[str, str, int]] = set()
    out = []
    for rec in entries:
        key = (rec[2], rec[3], rec[0])
        out.append((rec, key in seen))
        seen.add(key)
    return out


def page_of(entries: list[tuple[Record, bool]], page_number: int, page_size: int) -> list[Record]:
    """Page ``page_number`` of the entries, with the repeated ones dropped after cutting."""
    offset = (page_number - 1) * page_size
    return [rec for rec, repeated in entries[offset : offset + page_size] if not repeated]


def job_records(timelines: Timelines, query: UserQuery, available: datetime) -> list[Record]:
    """What a job returns: records overlapping the interval that started before ``available``."""
    a, b = _window(query.interval)
    latest = min(b, ceil_ms(available))
    found = [r for r in timelines.overlapping(a, b) if r[0] < latest and query.accepts(r)]
    if query.order == "desc":
        found.reverse()
    return found if query.limit is None else found[: query.limit]


def user_details(records: Iterable[Record]) -> list[dict[str, Any]]:
    """Records grouped by user, in the order users first appear: ``AnalyticsUserDetail``."""
    by_user: dict[str, dict[str, Any]] = {}
    for rec in records:
        detail = by_user.setdefault(rec[2], {"userId": rec[2]})
        key = "primaryPresence" if rec[3] == PRESENCE else "routingStatus"
        detail.setdefault(key, []).append(record_json(rec))
    return list(by_user.values())
