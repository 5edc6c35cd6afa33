"""Volume from the aggregates API, and the side-by-side comparison with details.

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
from genesys_analytics.reports.details import (
    Facts,
    Key,
    Volume,
    VolumeReport,
    VolumeRow,
    sort_key,
    volume_of,
)
from genesys_analytics.timeutil import Interval

GROUP_BY = {"mediaType": "mediaType", "queue": "queueId", "direction": "originatingDirection"}
METRICS = ("nOffered", "nConnected", "tHandle")
COLUMNS = ("offered", "connected", "handled", "handleMs", "avgHandleMs")
COMPARE_COLUMNS = ("conversations", "offered", "connected", "difference")


def granularity_for(by: Sequence[str]) -> str | None:
    if "hour" in by:
        return "PT1H"
    return "P1D" if "day" in by else None


def query_for(interval: Interval, by: Sequence[str], time_zone: str | None) -> AggregateQuery:
    return AggregateQuery(
        interval=interval,
        metrics=METRICS,
        group_by=tuple(GROUP_BY[d] for d in by if d in GROUP_BY),
        granularity=granularity_for(by),
        time_zone=time_zone,
    )


def row_key(row: AggregateRow, by: Sequence[str], time_zone: str | None) -> Key:
    local = row.interval.start.astimezone(zone(time_zone))
    values = {d: row.group.get(g) for d, g in GROUP_BY.items()}
    values["day"] = local.date().isoformat()
    values["hour"] = f"{local.hour:02d}"
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
    client: Any, interval: Interval, by: Sequence[str], time_zone: str | None = None
) -> VolumeReport:
    """Offered, connected and handle time per key of ``by`` from the aggregates API."""
    rows = run(client, query_for(interval, by, time_zone))
    return group_aggregates(rows, interval, by, time_zone)


def volume_from_aggregates(client: Any, interval: Interval) -> Volume:
    """Sum ``nOffered`` per media type from the aggregates API (the legacy one-dimension view)."""
    return volume_of(aggregate_volume(client, interval, ("mediaType",)))


def compare(
    details: VolumeReport, aggregates: VolumeReport, facts: Sequence[Facts]
) -> VolumeReport:
    """Both sources side by side per key, with notes that explain the differences."""
    keys = {r.key for r in details.rows} | {r.key for r in aggregates.rows}
    d = {r.key: r.values for r in details.rows}
    a = {r.key: r.values for r in aggregates.rows}
    rows = []
    for key in sorted(keys, key=sort_key):
        conv = int(d.get(key, {}).get("conversations") or 0)
        offered = int(a.get(key, {}).get("offered") or 0)
        connected = int(a.get(key, {}).get("connected") or 0)
        values = {
            "conversations": conv,
            "offered": offered,
            "connected": connected,
            "difference": offered - conv,
        }
        rows.append(VolumeRow(key, values))
    conv_total = int(details.totals.get("conversations") or 0)
    offered_total = int(aggregates.totals.get("offered") or 0)
    totals = {
        "conversations": conv_total,
        "offered": offered_total,
        "connected": int(aggregates.totals.get("connected") or 0),
        "difference": offered_total - conv_total,
    }
    return VolumeReport(
        details.interval,
        "details+aggregates",
        details.by,
        COMPARE_COLUMNS,
        tuple(rows),
        totals,
        details.time_zone,
        explain(facts, details.by, conv_total, offered_total),
    )


def explain(
    facts: Sequence[Facts], by: Sequence[str], conversations: int, offered: int
) -> tuple[str, ...]:
    """Why ``offered`` (aggregates) and ``conversations`` (details) differ, with numbers."""
    never = [f for f in facts if f.offers == 0]
    outbound = sum(1 for f in never if f.direction == "outbound")
    repeat = [f for f in facts if f.offers > 1]
    extra = sum(f.offers - 1 for f in repeat)
    multi = sum(1 for f in facts if len(f.media) > 1)
    predicted = sum(f.offers for f in facts)
    notes = [
        f"details counts {conversations:,} distinct conversations that started in the "
        f"interval; aggregates counts {offered:,} contacts offered to a queue in it "
        "(nOffered): contacts, not conversations.",
        f"{len(never):,} conversations were never offered to a queue, so nOffered "
        f"misses them: {outbound:,} outbound (outbound is not offered) and "
        f"{len(never) - outbound:,} that ended in the IVR or before reaching a queue.",
        f"{len(repeat):,} conversations were offered more than once (transfers, a callback "
        f"after a call, several queues), adding {extra:,} offers.",
        f"the details conversations hold {predicted:,} offers in all; the remaining "
        f"{offered - predicted:+,} come from the edges: aggregates places an offer at the "
        "moment it happened, details places a conversation at its start, so a "
        "conversation that started just before the interval and was offered inside it "
        "counts only in aggregates (and the reverse).",
    ]
    if "mediaType" in by:
        notes.append(
            f"{multi:,} conversations have more than one media type (e.g. callback + "
            "voice) and count once under each in details."
        )
    if "day" in by or "hour" in by:
        notes.append(
            "day/hour: details buckets a conversation by its start, aggregates by when "
            "each contact was offered; a conversation offered after midnight moves a "
            "contact to the next day."
        )
    return tuple(notes)


__all__ = [
    "COLUMNS",
    "GROUP_BY",
    "METRICS",
    "aggregate_volume",
    "compare",
    "explain",
    "granularity_for",
    "group_aggregates",
    "query_for",
    "row_key",
    "volume_from_aggregates",
]
