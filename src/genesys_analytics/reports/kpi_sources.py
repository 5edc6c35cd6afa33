"""Reading the KPI sources through a client: conversations (as digests) and aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from genesys_analytics.api.aggregates import run
from genesys_analytics.extraction.collector import Collector
from genesys_analytics.reports.kpi import Table, aggregates_query, aggregates_table
from genesys_analytics.reports.kpi_names import Names
from genesys_analytics.reports.kpi_observations import Digest
from genesys_analytics.reports.kpi_observations import digest as digest_of
from genesys_analytics.timeutil import Interval


class DigestCollector(Collector):
    """A sink for the export engine that keeps each conversation's :class:`Digest`."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.digests: dict[str, Digest] = {}

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for conv in records:
            self.digests[conv["conversationId"]] = digest_of(conv, self.names)  # newer wins
            n += 1
        return n


def collect_digests(
    client: Any,
    interval: Interval,
    names: Names,
    *,
    lead: timedelta = timedelta(0),
    workers: int = 4,
    method: str = "auto",
    progress: Any = None,
) -> list[Digest]:
    """Digests of every conversation that started in ``interval`` (or ``lead`` before it)."""
    from genesys_analytics.extraction.engine import Exporter, ExportRequest

    collector = DigestCollector(names)
    request = ExportRequest(
        interval=Interval(interval.start - lead, interval.end),
        method=method,  # type: ignore[arg-type]
        workers=workers,
    )
    Exporter(client, request, progress=progress).run(collector)
    return list(collector.digests.values())


def aggregates_of(
    client: Any, interval: Interval, by: tuple[str, ...], time_zone: str | None
) -> Table:
    """The KPI tallies of the conversation aggregates API, per key of ``by``."""
    return aggregates_table(run(client, aggregates_query(interval, by, time_zone)), by, time_zone)


__all__ = ["DigestCollector", "aggregates_of", "collect_digests"]
