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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
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
from genesys_analytics.reports.model import Key, VolumeReport, VolumeRow, local_time, sort_key
from genesys_analytics.timeutil import Interval, parse_instant

DIMENSIONS = ("queue", "mediaType", "direction", "user", "wrapUpCode", "day", "hour")
#: session dimensions, in the order of :attr:`Observation.dims`
SESSION_DIMENSIONS = DIMENSIONS[:5]
KPIS = (
    "offered",
    "answered",
    "abandoned",
    "asa_ms",
    "aht_ms",
    "abandon_rate",
    "service_level",
    "transfer_rate",
)
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
#: system wrap-up codes the wrap-up code list does not return
SYSTEM_WRAPUPS = {"ININ-WRAP-UP-TIMEOUT": "Wrap-up timed out (system)"}
#: queue ``mediaSettings`` keys → session media types
_MEDIA_OF_SETTING = {"call": "voice"}


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


# -- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Ids → names (queues, users, wrap-up codes) and service-level targets per queue/media."""

    queues: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)
    wrapups: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[tuple[str, str], int] = field(default_factory=dict)  # → durationMs

    @classmethod
    def from_lists(
        cls,
        queues: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
        wrapups: Iterable[Mapping[str, Any]] = (),
    ) -> Names:
        """From ``/routing/queues``, ``/users`` and ``/routing/wrapupcodes`` entities."""
        queue_names: dict[str, str] = {}
        targets: dict[tuple[str, str], int] = {}
        for q in queues:
            qid = str(q.get("id") or "")
            if not qid:
                continue
            queue_names[qid] = str(q.get("name") or qid)
            for setting, values in (q.get("mediaSettings") or {}).items():
                duration = ((values or {}).get("serviceLevel") or {}).get("durationMs")
                if isinstance(duration, (int, float)) and not isinstance(duration, bool):
                    targets[(qid, _MEDIA_OF_SETTING.get(setting, setting))] = int(duration)
        return cls(queue_names, _by_id(users), {**SYSTEM_WRAPUPS, **_by_id(wrapups)}, targets)

    @classmethod
    def of(cls, client: Any, *, users: bool = True, wrapups: bool = True) -> Names:
        """Read the lists through ``client``: queues always (the service-level targets),
        users (every state: leavers keep names) and wrap-up codes when asked for."""
        return cls.from_lists(
            client.queues(page_size=500),
            client.users(state="any", page_size=500) if users else (),
            client.wrapup_codes(page_size=500) if wrapups else (),
        )

    def target(self, queue_id: str | None, media: str | None) -> int | None:
        if queue_id is None or media is None:
            return None
        return self.targets.get((queue_id, media))

    def label(self, dim: str, value: str | None) -> str | None:
        """The name shown for ``value`` of ``dim`` (an unknown id shows as itself)."""
        table = {"queue": self.queues, "user": self.users, "wrapUpCode": self.wrapups}.get(dim)
        if table is None or value is None:
            return value
        return table.get(value, value)


def _by_id(entities: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(e["id"]): str(e.get("name") or e["id"]) for e in entities if e.get("id")}


# -- the tally and the definitions ------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Counts and sums of one group; every KPI is a function of these."""

    offered: int = 0
    answered: int = 0
    answered_ms: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    flowed_out: int = 0
    handled: int = 0
    handle_ms: int = 0
    transferred: int = 0
    sl_numerator: float = 0
    sl_denominator: float = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def minus(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, ``None`` when the denominator is empty."""
    return numerator / denominator if denominator else None


Definition = Callable[[Tally], float | int | None]
#: KPI → (how it is computed, what it means); the one place each KPI is defined
DEFINITIONS: dict[str, tuple[Definition, str]] = {
    "offered": (lambda t: t.offered, "contacts offered to a queue (nOffered)"),
    "answered": (lambda t: t.answered, "offered contacts an agent answered (tAnswered count)"),
    "abandoned": (lambda t: t.abandoned, "offered contacts that hung up in queue (tAbandon)"),
    "asa_ms": (
        lambda t: ratio(t.answered_ms, t.answered),
        "average speed of answer: mean time from entering the queue to answer (tAnswered)",
    ),
    "aht_ms": (
        lambda t: ratio(t.handle_ms, t.handled),
        "average handle time: talk + hold + after-call work (tHandle)",
    ),
    "abandon_rate": (lambda t: ratio(t.abandoned, t.offered), "abandoned / offered"),
    "service_level": (
        lambda t: ratio(t.sl_numerator, t.sl_denominator),
        "(answered − answered later than the queue's target) / (answered + abandoned)",
    ),
    "transfer_rate": (lambda t: ratio(t.transferred, t.answered), "transferred / answered"),
}


def kpis(tally: Tally) -> dict[str, float | int | None]:
    """Every KPI of one tally, in :data:`KPIS` order."""
    return {name: DEFINITIONS[name][0](tally) for name in KPIS}


# -- details: observations of one conversation ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One KPI metric of one session: its group values, when it was emitted, its value."""

    dims: tuple[str | None, ...]  # SESSION_DIMENSIONS
    emitted: str  # the metric's emitDate (API format)
    metric: str
    value: int
    target: int | None  # the service-level target (ms) of the session's queue and media
    after: str  # "transfer" / "flow-out" when the session began after one, else ""

    @property
    def tally(self) -> Tally:
        tally = _observed(self.metric, self.value, self.target)
        assert tally is not None  # only KPI metrics are observed
        return tally


@dataclass(frozen=True, slots=True)
class Digest:
    """What the KPIs need of one conversation: its start and its observations."""

    start: datetime
    observations: tuple[Observation, ...]


def digest(conv: Mapping[str, Any], names: Names) -> Digest:
    return Digest(parse_instant(conv["conversationStart"]), tuple(observations(conv, names)))


def _observed(name: str, value: int, target: int | None) -> Tally | None:
    """The tally of one metric observation, or ``None`` for a metric no KPI uses."""
    if name == "nOffered":
        return Tally(offered=value)
    if name == "tAnswered":
        t = Tally(answered=1, answered_ms=value)
        if target is not None:
            t.sl_denominator, t.sl_numerator = 1, int(value <= target)
        return t
    if name == "tAbandon":
        return Tally(abandoned=1, sl_denominator=int(target is not None))
    if name == "tShortAbandon":
        return Tally(short_abandoned=1)
    if name == "tFlowOut":
        return Tally(flowed_out=1)
    if name == "tHandle":
        return Tally(handled=1, handle_ms=value)
    if name == "nTransferred":
        return Tally(transferred=value)
    return None


_KPI_METRICS = frozenset(
    {"nOffered", "tAnswered", "tAbandon", "tShortAbandon", "tFlowOut", "tHandle", "nTransferred"}
)


def _first_emit(conv: Mapping[str, Any], metric: str) -> str | None:
    found = [
        m["emitDate"]
        for p in conv.get("participants") or ()
        for s in p.get("sessions") or ()
        for m in s.get("metrics") or ()
        if m.get("name") == metric and m.get("emitDate")
    ]
    return min(found) if found else None


def observations(conv: Mapping[str, Any], names: Names) -> Iterator[Observation]:
    """The KPI metric observations of one conversation (module docstring for attribution)."""
    parts = conv.get("participants") or ()
    acd_queue = next(
        (
            seg["queueId"]
            for p in parts
            if p.get("purpose") == "acd"
            for s in p.get("sessions") or ()
            for seg in s.get("segments") or ()
            if seg.get("queueId")
        ),
        None,
    )
    transfer, flow_out = _first_emit(conv, "nTransferred"), _first_emit(conv, "tFlowOut")
    direction = conv.get("originatingDirection")
    for part in parts:
        for session in part.get("sessions") or ():
            metrics = session.get("metrics")
            if not metrics:
                continue
            segments = session.get("segments") or ()
            queue = next((s["queueId"] for s in reversed(segments) if s.get("queueId")), acd_queue)
            wrapup = next((s["wrapUpCode"] for s in segments if s.get("wrapUpCode")), None)
            media = session.get("mediaType")
            dims = (queue, media, direction, part.get("userId"), wrapup)
            began = segments[0].get("segmentStart", "") if segments else ""
            after = ""
            if transfer is not None and began >= transfer:
                after = "transfer"
            elif flow_out is not None and began >= flow_out:
                after = "flow-out"
            target = names.target(queue, media)
            for m in metrics:
                name = m.get("name", "")
                if name in _KPI_METRICS:
                    value = int(m.get("value") or 0)
                    yield Observation(dims, m.get("emitDate", ""), name, value, target, after)


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
