"""Contact-centre KPIs (decisions.md §8): one definition each, computed from two sources.

Every KPI is a function of a :class:`Tally` (counts and sums of metric observations), so
the **details** source (conversations, bucketed by ``conversationStart``) and the
**aggregates** source (the conversation aggregates API, bucketed by when Genesys emitted
each metric) share the definitions and differ only in how their tallies are filled:

- offered = ``nOffered``; answered = ``tAnswered`` count; abandoned = ``tAbandon`` count;
- ASA = ``tAnswered`` sum / count; AHT = ``tHandle`` sum / count;
- abandon rate = abandoned / offered; transfer rate = ``nTransferred`` / answered;
- service level = (answered − answered later than the queue's target) / (answered +
  abandoned). Details judge each answer against ``mediaSettings.<media>.serviceLevel
  .durationMs`` of its queue (a queue or media without a target is left out of both
  parts); aggregates sum ``oServiceLevel`` numerators and denominators (never ratios).

A KPI whose denominator is empty is ``None``. A session's metrics belong to the queue of
its segments (the last segment with a ``queueId``), else to the queue of the
conversation's first acd session; to the session's media type, its participant's
``userId`` and its wrap-up code; and to the conversation's ``originatingDirection``.

Interface (pure: no client, no I/O)::

    names = Names.from_lists(queues, users, wrapup_codes)       # the API's lists
    report = kpis_from_details(conversations, names, interval, by, time_zone)
    report = kpis_from_aggregates(aggregate_rows, interval, by, time_zone)
    report.rows[i].key / .values["offered" | ... | "transfer_rate"]; report.totals

``conversations`` is any iterable of conversation dicts in the API's shape (a details
query, a job, or the raw JSON kept in a DuckDB store); ``aggregate_rows`` are decoded
:class:`~genesys_analytics.api.aggregates.AggregateRow` from :func:`aggregates_query`.

This module groups tallies into reports; the pieces live by noun and are re-exported
here: :mod:`.kpi_names` (Names), :mod:`.kpi_tally` (Tally, DEFINITIONS, kpis) and
:mod:`.kpi_observations` (Observation, Digest, observations of one conversation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from genesys_analytics.api.aggregates import (
    AggregateQuery,
    AggregateRow,
    Count,
    Duration,
    Ratio,
    zone,
)
from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.kpi_names import SYSTEM_WRAPUPS, Names
from genesys_analytics.reports.kpi_observations import Digest, Observation, digest, observations
from genesys_analytics.reports.kpi_tally import DEFINITIONS, KPIS, Tally, kpis, ratio
from genesys_analytics.reports.model import Key, VolumeReport, VolumeRow, local_time, sort_key
from genesys_analytics.timeutil import Interval

DIMENSIONS = ("queue", "mediaType", "direction", "user", "wrapUpCode", "day", "hour")
#: session dimensions, in the order of :attr:`Observation.dims`
SESSION_DIMENSIONS = DIMENSIONS[:5]
#: aggregates ``groupBy`` per dimension (day and hour come from the buckets)
GROUP_BY = {
    "queue": "queueId",
    "mediaType": "mediaType",
    "direction": "originatingDirection",
    "user": "userId",
    "wrapUpCode": "wrapUpCode",
}
METRICS = (
    "nOffered",
    "tAnswered",
    "tAbandon",
    "tShortAbandon",
    "tFlowOut",
    "tHandle",
    "nTransferred",
    "oServiceLevel",
)


def parse_by(values: str | Sequence[str]) -> tuple[str, ...]:
    """``"queue,day"`` (or ``["queue", "day"]``) → ``("queue", "day")``; ConfigError if bad."""
    parts = [values] if isinstance(values, str) else list(values)
    lowered = {d.lower(): d for d in DIMENSIONS}
    dims: list[str] = []
    for part in (p.strip() for v in parts for p in v.split(",") if p.strip()):
        name = lowered.get(part.lower())
        if name is None:
            raise ConfigError(f"--by {part!r} is not one of {', '.join(DIMENSIONS)}.")
        if name in dims:
            raise ConfigError(f"--by names {name!r} twice.")
        dims.append(name)
    return tuple(dims)


# -- grouping -----------------------------------------------------------------------------------


@dataclass
class Table:
    """Tallies per report key, and the tally over everything."""

    by: tuple[str, ...]
    groups: dict[Key, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def add(self, key: Key, tally: Tally) -> None:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Tally()
        group.add(tally)
        self.total.add(tally)


def key_of(dims: Sequence[str | None], instant: datetime, by: Sequence[str], tz: tzinfo) -> Key:
    """The report key of an observation with session ``dims`` at ``instant``."""
    values: dict[str, str | None] = dict(zip(SESSION_DIMENSIONS, dims, strict=True))
    values.update(local_time(instant, tz))
    return tuple(values[d] for d in by)


def digests_table(
    digests: Iterable[Digest], interval: Interval, by: Sequence[str], time_zone: str | None = None
) -> Table:
    """Tallies of every conversation that started in ``interval``, by its start."""
    tz = zone(time_zone)
    table = Table(tuple(by))
    for d in digests:
        if interval.contains(d.start):
            for obs in d.observations:
                table.add(key_of(obs.dims, d.start, by, tz), obs.tally)
    return table


def details_table(
    conversations: Iterable[Mapping[str, Any]],
    names: Names,
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
) -> Table:
    """Tallies of every conversation (API-shaped dicts) that started in ``interval``."""
    return digests_table((digest(c, names) for c in conversations), interval, by, time_zone)


def aggregates_query(
    interval: Interval, by: Sequence[str], time_zone: str | None = None
) -> AggregateQuery:
    """The conversation aggregates query a KPI report by ``by`` needs."""
    granularity = "PT1H" if "hour" in by else "P1D" if "day" in by else None
    return AggregateQuery(
        interval=interval,
        metrics=METRICS,
        group_by=tuple(GROUP_BY[d] for d in by if d in GROUP_BY),
        granularity=granularity,
        time_zone=time_zone,
    )


def _tally_of_stats(stats: Mapping[str, Any]) -> Tally:
    t = Tally()
    for name, stat in stats.items():
        if isinstance(stat, Count):
            if name == "nOffered":
                t.offered += stat.count
            elif name == "nTransferred":
                t.transferred += stat.count
        elif isinstance(stat, Duration):
            if name == "tAnswered":
                t.answered, t.answered_ms = stat.count, stat.sum_ms
            elif name == "tHandle":
                t.handled, t.handle_ms = stat.count, stat.sum_ms
            elif name == "tAbandon":
                t.abandoned = stat.count
            elif name == "tShortAbandon":
                t.short_abandoned = stat.count
            elif name == "tFlowOut":
                t.flowed_out = stat.count
        elif isinstance(stat, Ratio) and name == "oServiceLevel":
            t.sl_numerator, t.sl_denominator = stat.numerator, stat.denominator
    return t


def aggregates_table(
    rows: Iterable[AggregateRow], by: Sequence[str], time_zone: str | None = None
) -> Table:
    """Tallies from decoded aggregate rows (each bucket at its start, in ``time_zone``)."""
    tz = zone(time_zone)
    table = Table(tuple(by))
    for row in rows:
        dims = tuple(row.group.get(GROUP_BY[d]) for d in SESSION_DIMENSIONS)
        table.add(key_of(dims, row.interval.start, by, tz), _tally_of_stats(row.metrics))
    return table


def report_of(
    table: Table, interval: Interval, source: str, time_zone: str | None = None
) -> VolumeReport:
    """The KPI report of a table: one row per key (sorted), and the total."""
    rows = tuple(
        VolumeRow(key, kpis(table.groups[key])) for key in sorted(table.groups, key=sort_key)
    )
    return VolumeReport(
        interval, source, table.by, KPIS, rows, kpis(table.total), time_zone or "UTC"
    )


def kpis_from_details(
    conversations: Iterable[Mapping[str, Any]],
    names: Names,
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
) -> VolumeReport:
    """KPIs of the conversations that started in ``interval`` (exact, by start)."""
    table = details_table(conversations, names, interval, by, time_zone)
    return report_of(table, interval, "details", time_zone)


def kpis_from_aggregates(
    rows: Iterable[AggregateRow],
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
) -> VolumeReport:
    """KPIs from conversation aggregates rows of :func:`aggregates_query` (by emit time)."""
    return report_of(aggregates_table(rows, by, time_zone), interval, "aggregates", time_zone)


__all__ = [
    "DEFINITIONS",
    "DIMENSIONS",
    "GROUP_BY",
    "KPIS",
    "METRICS",
    "SYSTEM_WRAPUPS",
    "Digest",
    "Names",
    "Observation",
    "Table",
    "Tally",
    "aggregates_query",
    "aggregates_table",
    "details_table",
    "digest",
    "digests_table",
    "key_of",
    "kpis",
    "kpis_from_aggregates",
    "kpis_from_details",
    "observations",
    "parse_by",
    "ratio",
    "report_of",
]
