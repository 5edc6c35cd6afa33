"""What the HTML report shows, computed by the code behind the JSON of each command.

:func:`page_data` reads the interval once (conversations, and status records with their
lead) from the API or from a store, then builds each JSON document with the functions
the ``volume``, ``kpi`` and ``agents`` commands use (``group_details``, ``digests_table``
and ``report_of``, ``agents_from_details``, and their ``as_json``), so the page's numbers
are those documents' numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from genesys_analytics.extraction.collector import Collector
from genesys_analytics.reports import kpi_render
from genesys_analytics.reports.agents import agents_from_details, collect_statuses
from genesys_analytics.reports.details import Facts, facts_of, group_details
from genesys_analytics.reports.kpi import digests_table, report_of
from genesys_analytics.reports.kpi_names import Names
from genesys_analytics.reports.kpi_observations import Digest, digest
from genesys_analytics.reports.page_model import PageData
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.reports.render import as_json
from genesys_analytics.timeutil import UTC, Interval

#: The page's KPI tables (``kpi --by queue`` and ``kpi --by hour``) need no users or codes.
KPI_NAMES = {"users": False, "wrapups": False}


class PageCollector(Collector):
    """Keeps what both the volume and the KPI reports need of each conversation."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.facts: dict[str, Facts] = {}
        self.digests: dict[str, Digest] = {}

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for conv in records:
            key = conv["conversationId"]  # a newer copy wins, as in each report's collector
            self.facts[key] = facts_of(conv)
            self.digests[key] = digest(conv, self.names)
            n += 1
        return n


def page_data(
    src: Any,
    interval: Interval,
    time_zone: str,
    *,
    stored: bool = False,
    workers: int = 4,
    method: str = "auto",
    progress: Any = None,
) -> PageData:
    """Every document of the page, from a client or (``stored``) a :class:`StoredExport`."""
    if stored:
        from genesys_analytics.reports.stored import stored_names, stored_statuses

        names = stored_names(src, **KPI_NAMES)
        collector = PageCollector(names)
        collector.write("conversations", src.conversations(interval))
        statuses = stored_statuses(src, interval)
        queues, users = src.queue_names(), src.user_names()
        source = f"details from the export {src.path.name} (read-only; no API request)"
    else:
        from genesys_analytics.extraction.engine import Exporter, ExportRequest

        names = Names.of(src, **KPI_NAMES)
        collector = PageCollector(names)
        request = ExportRequest(interval=interval, method=method, workers=workers)  # type: ignore[arg-type]
        Exporter(src, request, progress=progress).run(collector)
        statuses = collect_statuses(src, interval, method=method, progress=progress)
        queues, users = QueueNames.of(src), QueueNames.of_users(src)
        source = f"details read from the Genesys Cloud API at {src.settings.api_url}"
    source += "; conversations by their start, agent status records clipped to the interval"
    facts, digests = list(collector.facts.values()), list(collector.digests.values())

    def kpis(by: tuple[str, ...]) -> dict[str, Any]:
        table = digests_table(digests, interval, by, time_zone)
        return kpi_render.as_json(report_of(table, interval, "details", time_zone), names)

    volume = group_details(facts, interval, ("mediaType",), time_zone)
    by_day = group_details(facts, interval, ("day", "mediaType"), time_zone)
    agents = agents_from_details(statuses, interval, ("user",), time_zone)
    return PageData(
        start=interval.start,
        end=interval.end,
        time_zone=time_zone,
        source=source,
        volume=as_json(volume, queues),
        volume_by_day=as_json(by_day, queues),
        agents=as_json(agents, queues, users),
        kpi_by_queue=kpis(("queue",)),
        kpi_by_hour=kpis(("hour",)),
        generated_at=datetime.now(UTC),
    )


__all__ = ["PageCollector", "page_data"]
