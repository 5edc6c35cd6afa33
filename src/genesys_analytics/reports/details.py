"""Volume reports: conversations by channel, queue, direction, day and hour.

From **details** (decisions.md §2) a report counts *distinct conversations* whose
``conversationStart`` lies in ``[start, end)``: a conversation counts once under each of
its values (a callback + voice conversation once under ``callback`` and once under
``voice``; once under each queue it visited), and ``total`` is the number of distinct
conversations, so rows may add up to more than ``total``.

- ``mediaType``: the session media types. With ``queue`` as well, pairs are taken from
  the sessions themselves (a session's media type with the queues of its segments).
- ``queue``: queue ids of the segments; none → ``None`` ("(no queue)").
- ``direction``: the conversation's ``originatingDirection``.
- ``day`` / ``hour``: local date (``YYYY-MM-DD``) / hour of day (``00``..``23``) of
  ``conversationStart`` in the report's time zone (``day,hour`` gives hourly series).

From **aggregates** (:mod:`genesys_analytics.reports.aggregates`) the same groupings are
built from ``nOffered``, ``nConnected`` and ``tHandle``: contacts, not conversations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from genesys_analytics.api.aggregates import zone
from genesys_analytics.api.queries import Filters
from genesys_analytics.extraction.collector import Collector
from genesys_analytics.reports.model import (
    Key,
    Volume,
    VolumeReport,
    VolumeRow,
    local_time,
    sort_key,
    volume_of,
)
from genesys_analytics.timeutil import Interval, parse_instant


def media_types(conversation: dict[str, Any]) -> frozenset[str]:
    """The distinct session media types of one conversation."""
    return frozenset(
        session["mediaType"]
        for participant in conversation.get("participants") or ()
        for session in participant.get("sessions") or ()
        if session.get("mediaType")
    )


@dataclass(frozen=True)
class Facts:
    """What a volume report needs of one conversation."""

    start: datetime
    direction: str | None
    pairs: frozenset[tuple[str, str | None]]  # (mediaType, queueId or None)
    offers: int = 0  # nOffered observations (queue visits)

    @property
    def media(self) -> frozenset[str]:
        return frozenset(m for m, _ in self.pairs)

    @property
    def queues(self) -> frozenset[str | None]:
        found = frozenset(q for _, q in self.pairs if q)
        return found or frozenset({None})


def facts_of(conv: Mapping[str, Any]) -> Facts:
    queued: set[tuple[str, str | None]] = set()
    bare: set[str] = set()
    offers = 0
    for part in conv.get("participants") or ():
        for session in part.get("sessions") or ():
            offers += sum(
                int(m.get("value") or 0)
                for m in session.get("metrics") or ()
                if m.get("name") == "nOffered"
            )
            media = session.get("mediaType")
            if not media:
                continue
            ids = {s["queueId"] for s in session.get("segments") or () if s.get("queueId")}
            if ids:
                queued.update((media, q) for q in ids)
            else:
                bare.add(media)
    with_queue = {m for m, _ in queued}
    pairs = queued | {(m, None) for m in bare if m not in with_queue}
    return Facts(
        parse_instant(conv["conversationStart"]),
        conv.get("originatingDirection"),
        frozenset(pairs),
        offers,
    )


class FactsCollector(Collector):
    """A sink for the export engine that keeps :class:`Facts` per conversation id."""

    def __init__(self) -> None:
        self.facts: dict[str, Facts] = {}

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for conv in records:
            self.facts[conv["conversationId"]] = facts_of(conv)  # newer copy wins
            n += 1
        return n


def keys_of(f: Facts, by: Sequence[str], time_zone: str | None = None) -> set[Key]:
    """The report keys (one value per dimension of ``by``) one conversation counts under."""
    fixed = {"direction": f.direction, **local_time(f.start, zone(time_zone))}
    if "mediaType" in by and "queue" in by:
        combos: Iterable[tuple[str | None, str | None]] = f.pairs
    elif "mediaType" in by:
        combos = ((m, None) for m in f.media)
    elif "queue" in by:
        combos = ((None, q) for q in f.queues)
    else:
        combos = ((None, None),)
    out = set()
    for media, queue in combos:
        values = {**fixed, "mediaType": media, "queue": queue}
        out.add(tuple(values[d] for d in by))
    return out


def group_details(
    facts: Iterable[Facts], interval: Interval, by: Sequence[str], time_zone: str | None = None
) -> VolumeReport:
    """Distinct conversations per key of ``by`` (module docstring)."""
    counts: Counter[Key] = Counter()
    total = 0
    for f in facts:
        total += 1
        counts.update(keys_of(f, by, time_zone))
    rows = tuple(VolumeRow(k, {"conversations": counts[k]}) for k in sorted(counts, key=sort_key))
    return VolumeReport(
        interval,
        "details",
        tuple(by),
        ("conversations",),
        rows,
        {"conversations": total},
        time_zone or "UTC",
    )


def collect_facts(
    client: Any,
    interval: Interval,
    *,
    workers: int = 4,
    method: str = "auto",
    progress: Any = None,
    filters: Filters | None = None,
) -> list[Facts]:
    """Read every conversation that started in ``interval`` and keep its :class:`Facts`."""
    from genesys_analytics.extraction.engine import Exporter, ExportRequest

    collector = FactsCollector()
    request = ExportRequest(
        interval=interval,
        method=method,  # type: ignore[arg-type]
        workers=workers,
        filters=filters or Filters(),
    )
    Exporter(client, request, progress=progress).run(collector)
    return list(collector.facts.values())


def volume_from_details(
    client: Any, interval: Interval, *, workers: int = 4, method: str = "auto", progress: Any = None
) -> Volume:
    """Count distinct conversations per media type by reading every conversation."""
    facts = collect_facts(client, interval, workers=workers, method=method, progress=progress)
    return volume_of(group_details(facts, interval, ("mediaType",)))


__all__ = [
    "Facts",
    "FactsCollector",
    "collect_facts",
    "facts_of",
    "group_details",
    "keys_of",
    "media_types",
    "volume_from_details",
]
