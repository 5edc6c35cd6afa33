"""The aggregates API: query plan, chunking to its limits, and decoding of its stats.

A query (:class:`AggregateQuery`) names an interval, an optional ``granularity`` (ISO-8601
period: ``PT30M``, ``PT1H``, ``P1D``, ``P7D``, ``P1M``), ``groupBy`` dimensions, metrics,
filters and an IANA ``timeZone``. The service caps one request at 31 days and 1,000
buckets (decisions.md §6), so :meth:`AggregateQuery.chunks` splits the interval into
requests that respect both, cut on bucket boundaries aligned in the time zone (local
midnight for days, the local hour for hours, the 1st of the month for months): an
unaligned start becomes one short leading request, so every bucket after it starts on
a clean boundary and day/hour labels mean what they say, across DST changes too.

Stats are decoded per metric family: ``n*`` → :class:`Count`, ``t*`` → :class:`Duration`
(milliseconds: count, sum, min, max; ``avg_ms``), ``o*`` → :class:`Ratio`
(numerator/denominator, ``ratio``). Values of one family add up (``+``), so buckets and
chunks fold into totals without losing meaning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genesys_analytics.api import queries
from genesys_analytics.api.granularity import (
    MAX_BUCKETS,
    MAX_DAYS,
    Granularity,
    bucket_edges,
    plan_chunks,
    zone,
)
from genesys_analytics.timeutil import Interval

log = logging.getLogger(__name__)


# -- stats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """An ``n*`` metric: how many times it happened."""

    count: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(self.count + other.count)


@dataclass(frozen=True)
class Duration:
    """A ``t*`` metric: ``count`` observations summing to ``sum_ms`` milliseconds."""

    count: int = 0
    sum_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None

    @property
    def avg_ms(self) -> float | None:
        return self.sum_ms / self.count if self.count else None

    def __add__(self, other: Duration) -> Duration:
        lows = [v for v in (self.min_ms, other.min_ms) if v is not None]
        highs = [v for v in (self.max_ms, other.max_ms) if v is not None]
        return Duration(
            self.count + other.count,
            self.sum_ms + other.sum_ms,
            min(lows) if lows else None,
            max(highs) if highs else None,
        )


@dataclass(frozen=True)
class Ratio:
    """An ``o*`` metric: ``numerator / denominator`` (e.g. service level), with its target."""

    numerator: float = 0.0
    denominator: float = 0.0
    target: float | None = None
    reported: float | None = None  # the ratio the service gave when it gave no parts

    @property
    def ratio(self) -> float | None:
        if self.denominator:
            return self.numerator / self.denominator
        return self.reported

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
            self.target if self.target is not None else other.target,
            None,
        )


Stat = Count | Duration | Ratio


def _num(value: Any, default: float = 0) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def decode_stats(metric: str, stats: Mapping[str, Any]) -> Stat:
    """Decode one ``stats`` object by the family of ``metric`` (its first letter)."""
    family = metric[:1]
    if family == "t":
        low, high = stats.get("min"), stats.get("max")
        return Duration(
            int(_num(stats.get("count"))),
            int(_num(stats.get("sum"))),
            None if low is None else int(_num(low)),
            None if high is None else int(_num(high)),
        )
    if family == "o":
        target = stats.get("target")
        ratio = stats.get("ratio")
        return Ratio(
            float(_num(stats.get("numerator"))),
            float(_num(stats.get("denominator"))),
            None if target is None else float(_num(target)),
            None if ratio is None else float(_num(ratio)),
        )
    return Count(int(_num(stats.get("count"))))


def add_stats(a: Stat | None, b: Stat) -> Stat:
    if a is None:
        return b
    if type(a) is not type(b):
        raise TypeError(f"cannot add {type(a).__name__} and {type(b).__name__}")
    return a + b  # type: ignore[operator]


@dataclass(frozen=True)
class AggregateRow:
    """One bucket of one group: its dimension values, interval and decoded metrics."""

    group: Mapping[str, str]
    interval: Interval
    metrics: Mapping[str, Stat]


def decode(response: Mapping[str, Any]) -> Iterator[AggregateRow]:
    """Every (group, bucket) of an aggregates response; ``results`` may be absent."""
    for result in response.get("results") or ():
        group = {str(k): str(v) for k, v in (result.get("group") or {}).items()}
        for bucket in result.get("data") or ():
            metrics: dict[str, Stat] = {}
            for m in bucket.get("metrics") or ():
                name = m.get("metric")
                if isinstance(name, str):
                    qualifier = m.get("qualifier")
                    key = f"{name}:{qualifier}" if isinstance(qualifier, str) else name
                    metrics[key] = add_stats(
                        metrics.get(key), decode_stats(name, m.get("stats") or {})
                    )
            yield AggregateRow(group, Interval.parse(bucket["interval"]), metrics)


# -- the query --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AggregateQuery:
    interval: Interval
    metrics: Sequence[str] = ("nOffered",)
    group_by: Sequence[str] = ()
    granularity: str | None = None
    time_zone: str | None = None
    filters: queries.Filters | None = field(default=None)
    users: bool = False  # a user aggregates query (grouped by userId) instead

    def chunks(self, *, max_days: int = MAX_DAYS, max_buckets: int = MAX_BUCKETS) -> list[Interval]:
        return plan_chunks(
            self.interval,
            self.granularity,
            self.time_zone,
            max_days=max_days,
            max_buckets=max_buckets,
        )

    def bodies(self, **limits: int) -> Iterator[dict[str, Any]]:
        """One request body per chunk (see :func:`plan_chunks`)."""
        tz = self.time_zone if self.time_zone and self.time_zone.upper() != "UTC" else None
        for chunk in self.chunks(**limits):
            if self.users:
                yield queries.user_aggregates_query(
                    chunk, granularity=self.granularity, metrics=self.metrics, time_zone=tz
                )
                continue
            yield queries.aggregates_query(
                chunk,
                granularity=self.granularity,
                group_by=list(self.group_by),
                metrics=list(self.metrics),
                filters=self.filters,
                time_zone=tz,
            )


def run(client: Any, query: AggregateQuery, **limits: int) -> Iterator[AggregateRow]:
    """Send every chunk of ``query`` (``client.aggregates`` or ``client.user_aggregates``)."""
    send = client.user_aggregates if query.users else client.aggregates
    for body in query.bodies(**limits):
        log.debug("aggregates query %s", body["interval"])
        yield from decode(send(body))


__all__ = [
    "MAX_BUCKETS",
    "MAX_DAYS",
    "AggregateQuery",
    "AggregateRow",
    "Count",
    "Duration",
    "Granularity",
    "Ratio",
    "Stat",
    "add_stats",
    "bucket_edges",
    "decode",
    "decode_stats",
    "plan_chunks",
    "run",
    "zone",
]
