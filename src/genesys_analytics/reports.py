"""Reports: conversation volume by channel, from details (distinct conversations) or aggregates.

``counts[mediaType]`` is the number of distinct conversations in ``[start, end)`` with at
least one session of that media type; ``total`` the number of distinct conversations
(decisions.md §2). From aggregates the counts are ``nOffered`` per media type: handled
contacts, not conversations, so the two sources may differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from genesys_analytics.timeutil import Interval, fmt

Source = Literal["details", "aggregates"]


def media_types(conversation: dict[str, Any]) -> frozenset[str]:
    """The distinct session media types of one conversation."""
    return frozenset(
        session["mediaType"]
        for participant in conversation.get("participants") or ()
        for session in participant.get("sessions") or ()
        if session.get("mediaType")
    )


class VolumeCounter:
    """A sink that remembers each conversation's media types, keyed by id (newer wins)."""

    def __init__(self) -> None:
        self._media: dict[str, frozenset[str]] = {}

    def write(self, conversations: Iterable[dict[str, Any]]) -> int:
        n = 0
        for conv in conversations:
            self._media[conv["conversationId"]] = media_types(conv)
            n += 1
        return n

    def checkpoint(self, chunk_key: str, meta: dict[str, Any]) -> None:
        pass

    def done_chunks(self) -> dict[str, dict[str, Any]]:
        return {}

    def counts(self) -> Counter[str]:
        counter: Counter[str] = Counter()
        for kinds in self._media.values():
            counter.update(kinds)
        return counter

    @property
    def total(self) -> int:
        return len(self._media)


@dataclass(frozen=True)
class Volume:
    interval: Interval
    source: Source
    by: str = "mediaType"
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "start": fmt(self.interval.start),
            "end": fmt(self.interval.end),
            "by": self.by,
            "source": self.source,
            "counts": dict(sorted(self.counts.items())),
            "total": self.total,
        }


def volume_from_details(
    client: Any, interval: Interval, *, workers: int = 4, method: str = "auto", progress: Any = None
) -> Volume:
    """Count distinct conversations per media type by reading every conversation."""
    from genesys_analytics.export import Exporter, ExportRequest

    counter = VolumeCounter()
    request = ExportRequest(interval=interval, method=method, workers=workers)  # type: ignore[arg-type]
    Exporter(client, request, progress=progress).run(counter)
    return Volume(interval, "details", counts=dict(counter.counts()), total=counter.total)


def volume_from_aggregates(client: Any, interval: Interval) -> Volume:
    """Sum ``nOffered`` per media type from the aggregates API."""
    from genesys_analytics import queries

    body = queries.aggregates_query(interval, group_by=["mediaType"], metrics=["nOffered"])
    response = client.aggregates(body)
    counts: Counter[str] = Counter()
    for result in response.get("results") or ():
        media = result.get("group", {}).get("mediaType", "unknown")
        for bucket in result.get("data") or ():
            for metric in bucket.get("metrics") or ():
                if metric.get("metric") == "nOffered":
                    counts[media] += int(metric.get("stats", {}).get("count", 0))
    return Volume(interval, "aggregates", counts=dict(counts), total=sum(counts.values()))
