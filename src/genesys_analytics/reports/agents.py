"""Agent activity: time in each routing status and presence, and occupancy, per group.

Time in a status over ``[start, end)`` is each record **clipped** to the interval and to
the report's buckets (decisions.md §7). There are two sources for it:

- **aggregates** (the default): the user aggregates API's ``tAgentRoutingStatus`` and
  ``tSystemPresence``, grouped by ``userId``, in ``P1D``/``PT1H`` buckets cut in the
  report's time zone. These are per-bucket sums the service has already clipped.
- **details**: the user details records, fetched with three days of lead (``LEAD``) so
  that statuses which started before ``start`` still count, then clipped here. An open
  record (no ``endTime``) counts up to ``now``.

Occupancy = INTERACTING / (INTERACTING + COMMUNICATING + IDLE) routing-status time
(decisions.md §8), ``None`` when nobody was in those statuses. Groups: ``user``, ``day``,
``hour``, alone or combined.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from genesys_analytics.api.aggregates import AggregateQuery, Duration, run, zone
from genesys_analytics.api.granularity import Granularity, bucket_edges
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.collector import Collector
from genesys_analytics.reports.model import Key, VolumeReport, VolumeRow, local_time, sort_key
from genesys_analytics.timeutil import UTC, Interval, parse_instant

DIMENSIONS = ("user", "day", "hour")
ROUTING = ("IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING", "OFF_QUEUE")
PRESENCE = (
    "ON_QUEUE",
    "AVAILABLE",
    "BUSY",
    "AWAY",
    "BREAK",
    "MEAL",
    "MEETING",
    "TRAINING",
    "IDLE",
    "OFFLINE",
)
OCCUPIED, AVAILABLE_FOR_WORK = ("INTERACTING",), ("INTERACTING", "COMMUNICATING", "IDLE")
#: details: how far before the start a status may have begun and still be counted. A
#: weekend OFFLINE record lasts well over a day; decisions.md §7 asks for at least one.
LEAD = timedelta(days=3)


def column(kind: str, status: str) -> str:
    """The column of a status: ``routing`` + ``IDLE`` → ``routingIdleMs``."""
    return kind + "".join(part.capitalize() for part in status.split("_")) + "Ms"


ROUTING_COLUMNS = tuple(column("routing", s) for s in ROUTING)


def parse_by(text: str) -> tuple[str, ...]:
    dims: list[str] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if part not in DIMENSIONS:
            raise ConfigError(f"--by {part!r} is not one of {', '.join(DIMENSIONS)}.")
        if part in dims:
            raise ConfigError(f"--by names {part!r} twice.")
        dims.append(part)
    return tuple(dims)


@dataclass(frozen=True)
class Status:
    """One status record: whose, which kind (``routing``/``presence``), which, when."""

    user: str
    kind: str
    status: str
    start: datetime
    end: datetime | None


class StatusCollector(Collector):
    """A sink for the export engine that keeps :class:`Status` per record key."""

    def __init__(self) -> None:
        self.statuses: dict[str, Status] = {}

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for r in records:
            field = "routingStatus" if r.get("kind") == "routing" else "systemPresence"
            status, start = r.get(field), r.get("startTime")
            if not isinstance(status, str) or not isinstance(start, str):
                continue
            end = r.get("endTime")
            self.statuses[r["recordKey"]] = Status(
                r["userId"],
                r["kind"],
                status,
                parse_instant(start),
                parse_instant(end) if isinstance(end, str) and end else None,
            )
            n += 1
        return n


def collect_statuses(
    client: Any,
    interval: Interval,
    *,
    workers: int = 4,
    method: str = "auto",
    progress: Any = None,
) -> list[Status]:
    """Every status record that started in the ``LEAD`` before ``interval`` or in it."""
    from genesys_analytics.extraction.datasets import USER_DETAILS_DATASET
    from genesys_analytics.extraction.engine import Exporter, ExportRequest

    collector = StatusCollector()
    request = ExportRequest(
        interval=Interval(interval.start - LEAD, interval.end),
        datasets=(USER_DETAILS_DATASET,),
        method=method,  # type: ignore[arg-type]
        workers=workers,
    )
    Exporter(client, request, progress=progress).run(collector)
    return list(collector.statuses.values())


def granularity_for(by: Sequence[str]) -> str | None:
    if "hour" in by:
        return "PT1H"
    return "P1D" if "day" in by else None


def buckets(interval: Interval, by: Sequence[str], time_zone: str | None) -> list[Interval]:
    period = granularity_for(by)
    if period is None:
        return [interval]
    edges = list(bucket_edges(interval, Granularity.parse(period), zone(time_zone)))
    return [Interval(a, b) for a, b in itertools.pairwise(edges)]


def bucket_key(user: str, bucket: Interval, by: Sequence[str], time_zone: str | None) -> Key:
    values = {"user": user, **local_time(bucket.start, zone(time_zone))}
    return tuple(values[d] for d in by)


def _report(
    interval: Interval,
    source: str,
    by: Sequence[str],
    sums: Mapping[Key, Mapping[str, int]],
    time_zone: str | None,
) -> VolumeReport:
    totals: dict[str, int] = defaultdict(int)
    for values in sums.values():
        for name, ms in values.items():
            totals[name] += ms
    presence = tuple(column("presence", s) for s in PRESENCE if totals.get(column("presence", s)))
    metrics = ("occupancy", *ROUTING_COLUMNS, *presence)
    rows = tuple(VolumeRow(key, _values(sums[key], metrics)) for key in sorted(sums, key=sort_key))
    return VolumeReport(
        interval,
        source,
        tuple(by),
        metrics,
        rows,
        _values(totals, metrics),
        time_zone or "UTC",
    )


def _values(ms: Mapping[str, int], metrics: Sequence[str]) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {m: int(ms.get(m, 0)) for m in metrics[1:]}
    busy = sum(ms.get(column("routing", s), 0) for s in OCCUPIED)
    ready = sum(ms.get(column("routing", s), 0) for s in AVAILABLE_FOR_WORK)
    return {"occupancy": busy / ready if ready else None, **out}


def agents_from_details(
    statuses: Iterable[Status],
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
    *,
    now: datetime | None = None,
) -> VolumeReport:
    """Clip every record to the interval and its buckets and add up the milliseconds."""
    now = now or datetime.now(UTC)
    cuts = buckets(interval, by, time_zone)
    sums: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in statuses:
        start, end = max(s.start, interval.start), min(s.end or now, interval.end)
        if end <= start:
            continue
        name = column(s.kind, s.status)
        for bucket in cuts:
            lo, hi = max(start, bucket.start), min(end, bucket.end)
            if hi > lo:
                ms = (hi - lo) // timedelta(milliseconds=1)
                sums[bucket_key(s.user, bucket, by, time_zone)][name] += ms
    return _report(interval, "details", by, sums, time_zone)


def agents_from_aggregates(
    client: Any, interval: Interval, by: Sequence[str], time_zone: str | None = None
) -> VolumeReport:
    """Time per status from the user aggregates API (already clipped per bucket)."""
    query = AggregateQuery(
        interval=interval,
        metrics=("tAgentRoutingStatus", "tSystemPresence"),
        group_by=("userId",),
        granularity=granularity_for(by),
        time_zone=time_zone,
        users=True,
    )
    kinds = {"tAgentRoutingStatus": "routing", "tSystemPresence": "presence"}
    sums: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in run(client, query):
        key = bucket_key(row.group.get("userId", ""), row.interval, by, time_zone)
        for name, stat in row.metrics.items():
            metric, _, qualifier = name.partition(":")
            if metric in kinds and qualifier and isinstance(stat, Duration):
                sums[key][column(kinds[metric], qualifier)] += int(stat.sum_ms)
    return _report(interval, "aggregates", by, sums, time_zone)


def compare_agents(details: VolumeReport, aggregates: VolumeReport) -> VolumeReport:
    """Both sources side by side: occupancy and routing time, with their difference."""
    keys = {r.key for r in details.rows} | {r.key for r in aggregates.rows}
    d = {r.key: r.values for r in details.rows}
    a = {r.key: r.values for r in aggregates.rows}
    metrics = (
        "detailsOccupancy",
        "aggregatesOccupancy",
        "detailsRoutingMs",
        "aggregatesRoutingMs",
        "differenceMs",
    )

    def values(dv: Mapping[str, Any], av: Mapping[str, Any]) -> dict[str, float | int | None]:
        dms = sum(int(dv.get(c) or 0) for c in ROUTING_COLUMNS)
        ams = sum(int(av.get(c) or 0) for c in ROUTING_COLUMNS)
        return {
            "detailsOccupancy": dv.get("occupancy"),
            "aggregatesOccupancy": av.get("occupancy"),
            "detailsRoutingMs": dms,
            "aggregatesRoutingMs": ams,
            "differenceMs": ams - dms,
        }

    rows = tuple(
        VolumeRow(k, values(d.get(k, {}), a.get(k, {}))) for k in sorted(keys, key=sort_key)
    )
    notes = (
        "details: user details records clipped here (fetched with three days of lead; an "
        "open record counts up to now); aggregates: the service's per-bucket sums.",
        "a status that began more than three days before the start is missing from details, "
        "and one still open is counted by details up to now, by aggregates up to its "
        "last update: those are the usual differences.",
    )
    return VolumeReport(
        details.interval,
        "details+aggregates",
        details.by,
        metrics,
        rows,
        values(details.totals, aggregates.totals),
        details.time_zone,
        notes,
    )


__all__ = [
    "DIMENSIONS",
    "PRESENCE",
    "ROUTING",
    "Status",
    "StatusCollector",
    "agents_from_aggregates",
    "agents_from_details",
    "collect_statuses",
    "column",
    "compare_agents",
    "parse_by",
]
