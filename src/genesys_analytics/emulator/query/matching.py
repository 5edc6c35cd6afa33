"""Which conversations a details query or a job matches (decisions.md §5), and filters.

A conversation's lifetime is the closed span ``[conversationStart, conversationEnd or
now]``; it *overlaps* the half-open ``[a, b)`` when it starts before ``b`` and has not
ended before ``a`` (``start < b and end >= a``). Both rules are supersets of "started in
``[a, b)``", so trimming to that is exact.

Timestamps are compared as API strings (``2024-05-01T08:00:00.000Z``), which order as
the instants they name; interval bounds are first rounded up to the next millisecond.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from genesys_analytics.emulator.data.pieces import ceil_ts
from genesys_analytics.emulator.query.filters import (
    CONVERSATION_DIMENSIONS,
    SEGMENT_DIMENSIONS,
    BadFilter,
    RowTest,
    compile_filter,
    segment_rows,
)
from genesys_analytics.timeutil import UTC, Interval, day_start, fmt, parse_instant

__all__ = [
    "BadFilter",
    "compile_filters",
    "has_filters",
    "job_matcher",
    "job_matches",
    "job_span_test",
    "lifetime_end",
    "query_matcher",
    "query_matches",
    "query_span_test",
]

_FILTER_KEYS = (
    "conversationFilters",
    "segmentFilters",
    "evaluationFilters",
    "surveyFilters",
    "resolutionFilters",
)


def lifetime_end(conv: dict, now: datetime) -> datetime:
    """``conversationEnd``, or ``now`` while the conversation is ongoing."""
    end = conv.get("conversationEnd")
    return parse_instant(end) if end else now.astimezone(UTC)


def _overlaps(conv: dict, a: str, b: str, now: str) -> bool:
    return conv["conversationStart"] < b and conv.get("conversationEnd", now) >= a


SpanTest = Callable[[str, str | None], bool]


def query_span_test(interval: Interval, now: datetime) -> SpanTest:
    """``query_matches`` on ``(conversationStart, conversationEnd or None)``."""
    days = frozenset(d.isoformat() for d in interval.days_touched())
    a, b, n = ceil_ts(interval.start), ceil_ts(interval.end), ceil_ts(now)

    def test(s: str, end: str | None) -> bool:
        return s[:10] in days and s < b and (end or n) >= a

    return test


def query_matcher(interval: Interval, now: datetime) -> Callable[[dict], bool]:
    """``query_matches`` with the interval prepared once, for scanning many conversations."""
    test = query_span_test(interval, now)
    return lambda conv: test(conv["conversationStart"], conv.get("conversationEnd"))


def job_span_test(interval: Interval, now: datetime, start_of_day: bool) -> SpanTest:
    """``job_matches`` on ``(conversationStart, conversationEnd or None)``."""
    floor = fmt(day_start(interval.start.astimezone(UTC).date())) if start_of_day else ""
    a, b, n = ceil_ts(interval.start), ceil_ts(interval.end), ceil_ts(now)

    def test(s: str, end: str | None) -> bool:
        return floor <= s < b and (end or n) >= a

    return test


def job_matcher(interval: Interval, now: datetime, start_of_day: bool) -> Callable[[dict], bool]:
    """``job_matches`` with the interval prepared once."""
    test = job_span_test(interval, now, start_of_day)
    return lambda conv: test(conv["conversationStart"], conv.get("conversationEnd"))


def query_matches(conv: dict, interval: Interval, now: datetime) -> bool:
    """Started on a UTC day ``interval`` touches and its lifetime overlaps ``interval``."""
    return query_matcher(interval, now)(conv)


def job_matches(conv: dict, interval: Interval, now: datetime, start_of_day: bool) -> bool:
    """Lifetime overlaps ``interval``; with ``start_of_day`` also started on/after 00:00 of a."""
    return job_matcher(interval, now, start_of_day)(conv)


def compile_filters(
    conversation_filters: list | None, segment_filters: list | None
) -> Callable[[dict], bool]:
    """All conversation filters and all segment filters of a body, as one test (AND)."""
    conv_tests: list[RowTest] = []
    seg_tests: list[RowTest] = []
    for flt in _as_list(conversation_filters, "conversationFilters"):
        conv_tests.append(compile_filter(flt, CONVERSATION_DIMENSIONS, "conversation"))
    for flt in _as_list(segment_filters, "segmentFilters"):
        seg_tests.append(compile_filter(flt, SEGMENT_DIMENSIONS, "segment"))

    def test(conv: dict) -> bool:
        row = (conv, None, None, None)
        if not all(t(row) for t in conv_tests):
            return False
        return all(any(t(r) for r in segment_rows(conv)) for t in seg_tests)

    return test


def _as_list(value: object, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadFilter(f"{name} must be a list of filters.")
    return value


def has_filters(body: dict) -> bool:
    """Whether the body has any non-empty ``*Filters`` list (the 7 vs 31 day rule)."""
    return any(body.get(key) for key in _FILTER_KEYS)
