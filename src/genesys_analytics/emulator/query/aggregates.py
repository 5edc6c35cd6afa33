"""``POST /api/v2/analytics/conversations/aggregates/query`` over the synthetic org.

What is counted:

- Metrics come from session ``metrics`` (each ``{name, value, emitDate}``). A metric
  observation counts in the bucket whose ``[start, end)`` holds its ``emitDate``;
  observations outside the query interval are ignored, whichever day the conversation
  started on (the caller passes every conversation that may have such observations).
- Group values come from where the observation sits: ``mediaType``, ``direction`` from
  the session; ``queueId``, ``wrapUpCode`` from the first of the session's segments that
  carries one; ``userId``, ``purpose`` from the participant; ``originatingDirection``,
  ``divisionId``, ``conversationInitiator`` from the conversation. A dimension without a
  value is left out of that observation's ``group``, as the service does.
- ``filter`` uses the detail filter grammar over conversation and segment dimensions; a
  session's observations count when one of its segments satisfies the whole filter.
- ``n*`` metrics give ``{"count": sum of values}``; ``t*`` metrics give
  ``{"max", "min", "count", "sum"}`` in milliseconds.
- ``oServiceLevel`` gives ``{"ratio", "numerator", "denominator", "target"}`` (the
  service's default calculation: flow-outs out, short abandons in). Each ``tAnswered``
  adds one to the denominator, and one to the numerator when it is within the
  ``durationMs`` target of its session's queue and media; each ``tAbandon`` adds one to
  the denominator; ``target`` is the queue's ``percentage``. A session whose queue has no
  target for its media adds nothing. (Emulator simplification: the parts keep their
  session's ``userId``/``wrapUpCode`` where the real metric is queue-level only.)
- Nothing emitted after ``now`` counts (the org never emits after ``now`` anyway).
- ``results`` is omitted when nothing matches; empty buckets and metrics with no
  observation in a bucket are omitted.

nOffered is emitted once per queue visit, so a transferred call or a two-media
conversation offers more than once: per media type it is close to, but not the same as,
the number of distinct conversations (decisions.md §2).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from genesys_analytics.emulator.data.pieces import ceil_ts
from genesys_analytics.emulator.query.buckets import boundaries, zone
from genesys_analytics.emulator.query.filters import (
    CONVERSATION_DIMENSIONS,
    SEGMENT_DIMENSIONS,
    BadFilter,
    Row,
    compile_filter,
)
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt

__all__ = ["COUNT_METRICS", "GROUP_BY", "RATIO_METRICS", "TIME_METRICS", "aggregate"]

COUNT_METRICS = frozenset(
    {
        "nOffered",
        "nConnected",
        "nTransferred",
        "nOverSla",
        "nOutbound",
        "nBlindTransferred",
        "nConsultTransferred",
        "nError",
    }
)
TIME_METRICS = frozenset(
    {
        "tHandle",
        "tTalk",
        "tAcw",
        "tWait",
        "tAbandon",
        "tAnswered",
        "tHeld",
        "tAlert",
        "tAcd",
        "tIvr",
        "tDialing",
        "tContacting",
        "tTalkComplete",
        "tHeldComplete",
        "tShortAbandon",
        "tFlowOut",
        "tVoicemail",
        "tMonitoring",
        "tUserResponseTime",
        "tAgentResponseTime",
    }
)

RATIO_METRICS = frozenset({"oServiceLevel"})
#: what each ratio metric is made of: the observations its parts come from
_SERVICE_LEVEL_PARTS = ("tAnswered", "tAbandon")
ServiceLevels = Mapping[tuple[str, str], tuple[float, int]]  # (queue, media) -> (pct, ms)


def _first_seg(key: str) -> Callable[[dict, dict, dict], Any]:
    def get(conv: dict, part: dict, session: dict) -> Any:
        for seg in session.get("segments", ()):
            if key in seg:
                return seg[key]
        return None

    return get


def _division(conv: dict, part: dict, session: dict) -> Any:
    ids = conv.get("divisionIds") or []
    return ids[0] if ids else None


GROUP_BY: dict[str, Callable[[dict, dict, dict], Any]] = {
    "mediaType": lambda c, p, s: s.get("mediaType"),
    "direction": lambda c, p, s: s.get("direction"),
    "ani": lambda c, p, s: s.get("ani"),
    "dnis": lambda c, p, s: s.get("dnis"),
    "userId": lambda c, p, s: p.get("userId"),
    "purpose": lambda c, p, s: p.get("purpose"),
    "queueId": _first_seg("queueId"),
    "wrapUpCode": _first_seg("wrapUpCode"),
    "disconnectType": _first_seg("disconnectType"),
    "originatingDirection": lambda c, p, s: c.get("originatingDirection"),
    "conversationInitiator": lambda c, p, s: c.get("conversationInitiator"),
    "conversationId": lambda c, p, s: c.get("conversationId"),
    "divisionId": _division,
}


class _Stats:
    __slots__ = ("count", "max", "min", "sum")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0
        self.max: int | None = None
        self.min: int | None = None

    def add(self, value: int) -> None:
        self.count += 1
        self.sum += value
        self.max = value if self.max is None or value > self.max else self.max
        self.min = value if self.min is None or value < self.min else self.min


class _Ratio(_Stats):
    """A service level: ``sum`` met the target out of ``count``; ``target`` as reported."""

    __slots__ = ("target",)

    def __init__(self, target: float) -> None:
        super().__init__()
        self.target = target


def _parse_body(body: dict) -> tuple[Interval, list[str], list[str]]:
    if not isinstance(body, dict) or not body.get("interval"):
        raise BadFilter("the aggregates query needs an 'interval' like start/end.")
    try:
        interval = Interval.parse(str(body["interval"]))
    except ConfigError as exc:
        raise BadFilter(str(exc)) from None
    metrics = body.get("metrics")
    if not metrics or not isinstance(metrics, list):
        raise BadFilter("the aggregates query needs a non-empty 'metrics' list.")
    known = COUNT_METRICS | TIME_METRICS | RATIO_METRICS
    for name in metrics:
        if name not in known:
            raise BadFilter(f"unknown metric {name!r}; supported: {', '.join(sorted(known))}.")
    group_by = body.get("groupBy") or []
    if not isinstance(group_by, list):
        raise BadFilter("groupBy must be a list of dimensions.")
    for dim in group_by:
        if dim not in GROUP_BY:
            raise BadFilter(
                f"unknown groupBy dimension {dim!r}; supported: {', '.join(sorted(GROUP_BY))}."
            )
    return interval, list(dict.fromkeys(metrics)), list(dict.fromkeys(group_by))


def aggregate(
    conversations: Iterable[dict],
    body: dict,
    now: datetime,
    max_buckets: int = 1000,
    service_levels: ServiceLevels | None = None,
) -> dict:
    """Answer an aggregates query body (spec §4.1) from ``conversations`` (see module doc);
    ``service_levels`` are the queues' targets for ``oServiceLevel``."""
    interval, metrics, group_by = _parse_body(body)
    tz = zone(body.get("timeZone"))
    edges = boundaries(interval.start, interval.end, body.get("granularity"), tz, max_buckets)
    keys = [ceil_ts(e) for e in edges]
    lo, hi = keys[0], min(keys[-1], ceil_ts(now) + "~")  # nothing is emitted after now
    flt = body.get("filter")
    test = (
        compile_filter(flt, {**CONVERSATION_DIMENSIONS, **SEGMENT_DIMENSIONS}, "aggregate")
        if flt
        else None
    )
    wanted = set(metrics)
    levels = service_levels or {}
    sla = "oServiceLevel" in wanted
    getters = [GROUP_BY[d] for d in group_by]
    table: dict[tuple, dict[int, dict[str, _Stats]]] = {}
    for conv in conversations:
        if conv["conversationStart"] >= hi or conv.get("conversationEnd", hi) < lo:
            continue  # nothing it emitted can fall in the interval
        for part in conv.get("participants", ()):
            for session in part.get("sessions", ()):
                level = None
                if sla:
                    queue = GROUP_BY["queueId"](conv, part, session)
                    level = levels.get((queue or "", session.get("mediaType") or ""))
                parts = _SERVICE_LEVEL_PARTS if level is not None else ()
                observed = [
                    m
                    for m in session.get("metrics", ())
                    if (m["name"] in wanted or m["name"] in parts) and lo <= m["emitDate"] < hi
                ]
                if not observed or (test is not None and not _passes(test, conv, part, session)):
                    continue
                group = tuple(g(conv, part, session) for g in getters)
                buckets = table.setdefault(group, {})
                for m in observed:
                    index = bisect_right(keys, m["emitDate"]) - 1
                    stats = buckets.setdefault(index, {})
                    name, value = m["name"], int(m["value"])
                    if name in wanted:
                        stats.setdefault(name, _Stats()).add(value)
                    if level is not None and name in parts:
                        met = name == "tAnswered" and value <= level[1]
                        stats.setdefault("oServiceLevel", _Ratio(level[0])).add(int(met))
    if not table:
        return {}
    results = []
    for group in sorted(table, key=lambda g: tuple("" if v is None else str(v) for v in g)):
        data = []
        for index in sorted(table[group]):
            stats = table[group][index]
            data.append(
                {
                    "interval": f"{fmt(edges[index])}/{fmt(edges[index + 1])}",
                    "metrics": [_metric(n, stats[n]) for n in metrics if n in stats],
                }
            )
        named = {d: v for d, v in zip(group_by, group, strict=True) if v is not None}
        results.append({"group": named, "data": data})
    return {"results": results}


def _passes(test: Callable[[Row], bool], conv: dict, part: dict, session: dict) -> bool:
    segments = session.get("segments") or [None]
    return any(test((conv, part, session, seg)) for seg in segments)


def _metric(name: str, stats: _Stats) -> dict:
    if isinstance(stats, _Ratio):
        return {
            "metric": name,
            "stats": {
                "ratio": stats.sum / stats.count,
                "numerator": stats.sum,
                "denominator": stats.count,
                "target": stats.target,
            },
        }
    if name in COUNT_METRICS:
        return {"metric": name, "stats": {"count": stats.sum}}
    return {
        "metric": name,
        "stats": {"max": stats.max, "min": stats.min, "count": stats.count, "sum": stats.sum},
    }
