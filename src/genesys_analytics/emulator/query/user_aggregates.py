"""``POST /api/v2/analytics/users/aggregates/query`` over the agents' timelines.

Each bucket holds, per (metric, qualifier), the milliseconds the records spent in that
status *inside* the bucket: records are clipped to the bucket (an open record at ``now``).
``tSystemPresence`` is qualified by the system presence (``ON_QUEUE``),
``tOrganizationPresence`` by the organization presence id, ``tAgentRoutingStatus`` by the
routing status. ``stats`` is ``{"sum": ms}``. ``groupBy`` and ``filter`` take ``userId``
only, with at most ``max_predicates`` predicates. Granularity and timeZone cut buckets as
in the conversation aggregates. Empty buckets and groups are omitted, and ``results`` is
absent when nothing matches; ``systemToOrganizationMappings`` is always there.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

from genesys_analytics.emulator.data.timelines import PRESENCE, Record
from genesys_analytics.emulator.query.buckets import boundaries, zone
from genesys_analytics.emulator.query.filters import BadFilter, compile_filter
from genesys_analytics.emulator.query.user_details import USER_DIMENSIONS, ceil_ms
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt

METRICS = ("tAgentRoutingStatus", "tOrganizationPresence", "tSystemPresence")
GROUP_BY = ("userId",)


def parse_interval(body: dict[str, Any]) -> Interval:
    if not body.get("interval"):
        raise BadFilter("the users aggregates query needs an 'interval' like start/end.")
    try:
        return Interval.parse(str(body["interval"]))
    except ConfigError as exc:
        raise BadFilter(str(exc)) from None


def _count_predicates(flt: Any) -> int:
    if not isinstance(flt, dict):
        return 0
    clauses = flt.get("clauses") or []
    inner = sum(len(c.get("predicates") or []) for c in clauses if isinstance(c, dict))
    return inner + len(flt.get("predicates") or [])


def _parse(body: dict[str, Any], max_predicates: int) -> tuple[list[str], list[str], Any]:
    metrics = body.get("metrics")
    if not metrics or not isinstance(metrics, list):
        raise BadFilter("the users aggregates query needs a non-empty 'metrics' list.")
    for name in metrics:
        if name not in METRICS:
            raise BadFilter(
                f"unknown metric {name!r}; users aggregates support {', '.join(METRICS)}."
            )
    group_by = body.get("groupBy") or []
    if not isinstance(group_by, list) or any(g not in GROUP_BY for g in group_by):
        raise BadFilter(
            f"groupBy {group_by!r} is not supported; users aggregates group by userId only."
        )
    flt = body.get("filter")
    count = _count_predicates(flt)
    if count > max_predicates:
        raise BadFilter(
            f"the filter has {count} predicates; a users aggregates query takes at most "
            f"{max_predicates}. Split the users into several queries."
        )
    test = compile_filter(flt, USER_DIMENSIONS, "user") if flt else None
    return list(dict.fromkeys(metrics)), list(dict.fromkeys(group_by)), test


def _qualified(rec: Record, wanted: set[str]) -> list[tuple[str, str]]:
    out = []
    if rec[3] == PRESENCE:
        if "tSystemPresence" in wanted:
            out.append(("tSystemPresence", rec[4]))
        if "tOrganizationPresence" in wanted:
            out.append(("tOrganizationPresence", rec[5]))
    elif "tAgentRoutingStatus" in wanted:
        out.append(("tAgentRoutingStatus", rec[4]))
    return out


def aggregate_users(
    records: Callable[[int, int], Iterable[Record]],
    body: dict[str, Any],
    now_ms: int,
    mappings: dict[str, list[str]],
    *,
    max_buckets: int,
    max_predicates: int,
) -> dict[str, Any]:
    """Answer a ``UserAggregationQuery``; ``records(a, b)`` gives the records meeting ``[a, b]``."""
    interval = parse_interval(body)
    metrics, group_by, test = _parse(body, max_predicates)
    tz = zone(body.get("timeZone"))
    edges = boundaries(interval.start, interval.end, body.get("granularity"), tz, max_buckets)
    cuts = [ceil_ms(e) for e in edges]
    a, b = cuts[0], cuts[-1]
    wanted = set(metrics)
    table: dict[str, dict[int, dict[tuple[str, str], int]]] = {}
    for rec in records(a, b):
        if test is not None and not test(({"userId": rec[2]}, None, None, None)):
            continue
        start, end = max(rec[0], a), min(rec[1], now_ms, b)
        if end <= start:
            continue
        keys = _qualified(rec, wanted)
        if not keys:
            continue
        buckets = table.setdefault(rec[2] if group_by else "", {})
        index = bisect_right(cuts, start) - 1
        while index < len(cuts) - 1 and cuts[index] < end:
            part = min(end, cuts[index + 1]) - max(start, cuts[index])
            if part > 0:
                sums = buckets.setdefault(index, {})
                for key in keys:
                    sums[key] = sums.get(key, 0) + part
            index += 1
    out: dict[str, Any] = {"systemToOrganizationMappings": mappings}
    results = []
    for user in sorted(table):
        data = []
        for index in sorted(table[user]):
            sums = table[user][index]
            data.append(
                {
                    "interval": f"{fmt(edges[index])}/{fmt(edges[index + 1])}",
                    "metrics": [
                        {"metric": m, "qualifier": q, "stats": {"sum": sums[(m, q)]}}
                        for m in metrics
                        for (mm, q) in sorted(k for k in sums if k[0] == m)
                        if mm == m
                    ],
                }
            )
        results.append({"group": {"userId": user} if group_by else {}, "data": data})
    if results:
        out["results"] = results
    return out
