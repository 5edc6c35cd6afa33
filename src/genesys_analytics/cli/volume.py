"""The `volume` command: conversation volume by channel, queue, direction, day and hour."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from genesys_analytics.cli.options import (
    connection_options,
    details_only,
    filter_options,
    interval_options,
    make_client,
    read_options,
    report_options,
    resolve_filters,
    resolve_interval,
    store_option,
)
from genesys_analytics.timeutil import UTC, Interval

if TYPE_CHECKING:  # the reports and the API load for work, not for --help
    from genesys_analytics.api.queries import Filters
    from genesys_analytics.reports.details import Facts
    from genesys_analytics.reports.model import VolumeReport

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def local_date(value: str | None, time_zone: str) -> str | None:
    """A bare date means midnight in ``time_zone`` (an ISO datetime with its offset)."""
    if value is None or not _DATE.match(value.strip()) or time_zone.upper() == "UTC":
        return value
    from genesys_analytics.api.aggregates import zone

    midnight = datetime.combine(date.fromisoformat(value.strip()), time(), tzinfo=zone(time_zone))
    return midnight.astimezone(UTC).isoformat()


def build_report(
    client: Any,
    interval: Interval,
    by: tuple[str, ...],
    source: str,
    time_zone: str,
    *,
    compare_sources: bool = False,
    workers: int = 4,
    method: str = "auto",
    progress: Any = None,
    filters: Filters | None = None,
) -> tuple[VolumeReport, list[Facts] | None]:
    """The report asked for, plus the details facts when they were read (for a chart)."""
    from genesys_analytics.reports.aggregates import aggregate_volume
    from genesys_analytics.reports.compare import compare
    from genesys_analytics.reports.details import collect_facts, group_details

    if source == "aggregates" and not compare_sources:
        return aggregate_volume(client, interval, by, time_zone, filters), None
    facts = collect_facts(
        client, interval, workers=workers, method=method, progress=progress, filters=filters
    )
    details = group_details(facts, interval, by, time_zone)
    if not compare_sources:
        return details, facts
    aggregated = aggregate_volume(client, interval, by, time_zone, filters)
    return compare(details, aggregated, facts), facts


def chart_report(
    client: Any,
    interval: Interval,
    facts: list[Facts] | None,
    time_zone: str,
    filters: Filters | None = None,
) -> tuple[VolumeReport, dict[str, float] | None]:
    """The day × channel report for ``--chart``, and distinct conversations per day."""
    from genesys_analytics.reports.aggregates import aggregate_volume
    from genesys_analytics.reports.details import group_details

    by = ("day", "mediaType")
    if facts is None:
        return aggregate_volume(client, interval, by, time_zone, filters), None
    days = group_details(facts, interval, ("day",), time_zone)
    totals = {str(r.key[0]): float(r.values["conversations"] or 0) for r in days.rows}
    return group_details(facts, interval, by, time_zone), totals


@click.command()
@interval_options
@report_options(
    by="mediaType",
    by_help="What to count by, one or several comma-separated: mediaType (channel), queue "
    "(names from the routing API; a deleted queue shows its id), direction (originating "
    "direction), day, hour (hour of day; 'day,hour' gives an hourly series). "
    "Example: --by queue,mediaType",
    source_help="details: distinct conversations that started in the interval, read one by "
    "one (exact). aggregates: the aggregates API's nOffered, nConnected and handle time "
    "(tHandle): contacts, not conversations, and fast. Example: --source aggregates",
    compare_help="Show both sources side by side (conversations vs offered and connected) "
    "and explain why they differ. Example: --compare --by mediaType",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
    help="Also write a stacked bar chart of volume per day by channel (needs the [charts] "
    "extra). Example: --chart volume.png",
)
@read_options
@filter_options
@store_option
@connection_options
@click.pass_obj
def volume(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    by_values: tuple[str, ...],
    source: str,
    compare_sources: bool,
    time_zone: str,
    fmt: str,
    chart: Path | None,
    workers: int,
    method: str,
    media_types: tuple[str, ...],
    queues: tuple[str, ...],
    directions: tuple[str, ...],
    store: Path | None,
    region: str | None,
    base_url: str | None,
) -> None:
    """Conversation volume by channel, queue, direction, day or hour.

    From details a conversation counts once under each of its channels (or queues), and
    the total counts distinct conversations, so rows can add up to more than the total.

    \b
    Examples:
      genesys-analytics volume --last 7d
      genesys-analytics volume --last 7d --by queue,mediaType
      genesys-analytics volume --start 2024-03-08 --end 2024-03-12 --by day \\
          --time-zone America/New_York
      genesys-analytics volume --last 24h --by hour --source aggregates
      genesys-analytics volume --last 7d --compare
      genesys-analytics volume --last 7d --chart volume-by-day.png
      genesys-analytics volume --last 7d --by day --queue Sales --media-type voice
      genesys-analytics volume --start 2024-05-01 --end 2024-05-08 --format json
      genesys-analytics volume --start 2024-05-01 --end 2024-05-08 --from may.duckdb

    \b
    JSON: --by mediaType (details) prints
      {"start","end","by":"mediaType","source":"details","counts":{"voice":N,...},"total":N}
    every other report prints
      {"start","end","by":"queue,mediaType","source","timeZone",
       "rows":[{"queue":NAME,"queueId":ID,"mediaType":"voice","conversations":N},...],
       "totals":{...},"total":N}
    where aggregates rows carry offered, connected, handled, handleMs, avgHandleMs and
    --compare rows carry conversations, offered, connected, difference, plus "notes".
    """
    from genesys_analytics.api.aggregates import zone
    from genesys_analytics.cli.progress import ChunkProgress  # rich loads for work, not --help
    from genesys_analytics.reports.details import group_details
    from genesys_analytics.reports.model import parse_by
    from genesys_analytics.reports.queue_names import QueueNames
    from genesys_analytics.reports.render import render

    by = parse_by(",".join(by_values))
    zone(time_zone)  # fail fast on an unknown zone
    details_only(store, source, compare_sources)
    interval = resolve_interval(local_date(start, time_zone), local_date(end, time_zone), last)
    if store is not None:
        from genesys_analytics.reports.stored import StoredExport, stored_facts

        opened: Any = StoredExport(store)
    else:
        opened = make_client(region, base_url)
    with opened as src:
        filters = resolve_filters(src, media_types, queues, directions)
        if store is not None:
            facts: list[Facts] | None = stored_facts(src, interval, filters)
            assert facts is not None
            report = group_details(facts, interval, by, time_zone)
            names = src.queue_names()
        else:
            with ChunkProgress(enabled=ctx.show_progress, stats=src.stats, label="volume") as bar:
                report, facts = build_report(
                    src,
                    interval,
                    by,
                    source,
                    time_zone,
                    compare_sources=compare_sources,
                    workers=workers,
                    method=method,
                    progress=bar,
                    filters=filters,
                )
            names = QueueNames.of(src)
        text = render(report, fmt, names)
        if chart is not None:
            from genesys_analytics.reports.charts import render_chart

            chart_data, day_totals = chart_report(src, interval, facts, time_zone, filters)
            render_chart(chart_data, chart, day_totals=day_totals)
    click.echo(text)
    if chart is not None:
        click.echo(f"chart written to {chart}", err=True)


__all__ = ["build_report", "local_date", "volume"]
