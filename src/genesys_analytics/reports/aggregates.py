"""Volume from the aggregates API: contacts, not conversations.

The aggregates API counts *contacts*: ``nOffered`` once per queue visit, ``nConnected``
once per answer, ``tHandle`` once per handled contact (milliseconds). It places each in
the bucket of the moment it happened (its ``emitDate``), not of ``conversationStart``.
Dimensions map to ``groupBy`` as ``mediaType`` → ``mediaType``, ``queue`` → ``queueId``,
``direction`` → ``originatingDirection``; ``day``/``hour`` come from ``P1D``/``PT1H``
buckets cut in the report's time zone (local date / local hour of the bucket start).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from genesys_analytics.api.aggregates import (
    AggregateQuery,
    AggregateRow,
    Count,
    Duration,
    Stat,
    add_stats,
    run,
    zone,
)
from genesys_analytics.api.queries import Filters
from genesys_analytics.reports.model import Key, VolumeReport, VolumeRow, local_time, sort_key
from genesys_analytics.timeutil import Interval

GROUP_BY = {"mediaType": "mediaType", "queue": "queueId", "direction": "originatingDirection"}
METRICS = ("nOffered", "nConnected", "tHandle")
COLUMNS = ("offered", "connected", "handled", "handleMs", "avgHandleMs")


def granularity_for(by: Sequence[str]) -> str | None:
    if "hour" in by:
        return "PT1H"
    return "P1D" if "day" in by else None


def query_for(
    interval: Interval, by: Sequence[str], time_zone: str | None, filters: Filters | None = None
) -> AggregateQuery:
    return AggregateQuery(
        interval=interval,
        metrics=METRICS,
        group_by=tuple(GROUP_BY[d] for d in by if d in GROUP_BY),
        granularity=granularity_for(by),
        time_zone=time_zone,
        filters=filters,
    )


def row_key(row: AggregateRow, by: Sequence[str], time_zone: str | None) -> Key:
    values = {d: row.group.get(g) for d, g in GROUP_BY.items()}
    values.update(local_time(row.interval.start, zone(time_zone)))
    return tuple(values[d] for d in by)


def _columns(stats: dict[str, Stat]) -> dict[str, float | int | None]:
    offered, connected = stats.get("nOffered", Count()), stats.get("nConnected", Count())
    handle = stats.get("tHandle", Duration())
    assert isinstance(offered, Count) and isinstance(connected, Count)
    assert isinstance(handle, Duration)
    avg = handle.avg_ms
    return {
        "offered": offered.count,
        "connected": connected.count,
        "handled": handle.count,
        "handleMs": handle.sum_ms,
        "avgHandleMs": None if avg is None else round(avg),
    }


def group_aggregates(
    rows: Iterable[AggregateRow], interval: Interval, by: Sequence[str], time_zone: str | None
) -> VolumeReport:
    """Fold decoded aggregate rows into one report row per key of ``by`` (pure)."""
    table: dict[Key, dict[str, Stat]] = {}
    total: dict[str, Stat] = {}
    for row in rows:
        stats = table.setdefault(row_key(row, by, time_zone), {})
        for name, stat in row.metrics.items():
            stats[name] = add_stats(stats.get(name), stat)
            total[name] = add_stats(total.get(name), stat)
    out = tuple(VolumeRow(k, _columns(table[k])) for k in sorted(table, key=sort_key))
    return VolumeReport(
        interval, "aggregates", tuple(by), COLUMNS, out, _columns(total), time_zone or "UTC"
    )


def aggregate_volume(
    client: Any,
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
    filters: Filters | None = None,
) -> VolumeReport:
    """Offered, connected and handle time per key of ``by`` from the aggregates API."""
    rows = run(client, query_for(interval, by, time_zone, filters))
    return group_aggregates(rows, interval, by, time_zone)


__all__ = [
    "COLUMNS",
    "GROUP_BY",
    "METRICS",
    "aggregate_volume",
    "granularity_for",
    "group_aggregates",
    "query_for",
    "row_key",
]
