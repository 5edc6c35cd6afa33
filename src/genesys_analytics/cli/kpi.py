"""The ``kpi`` command: offered, answered, abandoned, ASA, AHT, abandon rate, service
level and transfer rate by queue, channel, direction, agent, wrap-up code, day or hour."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from genesys_analytics.cli.options import (
    connection_options,
    details_only,
    interval_options,
    make_client,
    read_options,
    report_options,
    resolve_interval,
    store_option,
)
from genesys_analytics.cli.volume import local_date


@click.command()
@interval_options
@report_options(
    by="queue",
    by_help="Group by any of queue, mediaType, direction, user (the agent), wrapUpCode, day, "
    "hour: comma-separated or repeated. Names come from the API's lists. "
    "Example: --by queue,day",
    source_help="details: the conversations that started in the interval, each KPI at the "
    "conversation's start (exact, adds up with an export). aggregates: the conversation "
    "aggregates API, each metric where Genesys emitted it (fast).",
    compare_help="Both sources side by side (details / aggregates), with which difference "
    "each reason explains: emit time vs conversation start, transfers, flow-outs. Reads "
    "details from three days before the start.",
)
@read_options
@store_option
@connection_options
@click.pass_obj
def kpi(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    by_values: tuple[str, ...],
    source: str,
    compare_sources: bool,
    time_zone: str,
    fmt: str,
    workers: int,
    method: str,
    store: Path | None,
    region: str | None,
    base_url: str | None,
) -> None:
    """Contact-centre KPIs: offered, answered, abandoned, ASA, AHT, abandon rate, service
    level and transfer rate.

    ASA = mean tAnswered (queue entry to answer); AHT = mean tHandle (talk + hold +
    wrap-up); abandon rate = abandoned / offered; service level = (answered − answered
    later than the queue's target) / (answered + abandoned); transfer rate = transferred /
    answered. A KPI with an empty denominator is null (— in the table).

    \b
    Examples:
      genesys-analytics kpi --last 7d
      genesys-analytics kpi --last 7d --by queue,mediaType --format csv > kpi.csv
      genesys-analytics kpi --start 2024-05-01 --end 2024-05-08 --by day --by hour \\
          --time-zone Europe/Paris
      genesys-analytics kpi --last 1d --by user --source aggregates
      genesys-analytics kpi --last 7d --by queue --compare
      genesys-analytics kpi --start 2024-05-01 --end 2024-05-08 --from may.duckdb

    \b
    JSON: {"start","end","by":"queue","source","timeZone",
      "rows":[{"queue":NAME,"queueId":ID,"offered":N,"answered":N,"abandoned":N,
               "asa_ms":MS,"aht_ms":MS,"abandon_rate":R,"service_level":R,
               "transfer_rate":R}],
      "total":{...the same KPIs over everything...},"definitions":{...}}
    with --compare each KPI as <kpi>_details and <kpi>_aggregates, plus "notes".
    """
    from genesys_analytics.api.aggregates import zone
    from genesys_analytics.cli.progress import ChunkProgress
    from genesys_analytics.reports.kpi import digests_table, parse_by, report_of
    from genesys_analytics.reports.kpi_compare import LEAD, compare_kpis
    from genesys_analytics.reports.kpi_names import Names
    from genesys_analytics.reports.kpi_render import render
    from genesys_analytics.reports.kpi_sources import aggregates_of, collect_digests

    by = parse_by(by_values)
    zone(time_zone)  # fail fast on an unknown zone
    details_only(store, source, compare_sources)
    interval = resolve_interval(local_date(start, time_zone), local_date(end, time_zone), last)
    if store is not None:
        from genesys_analytics.reports.stored import StoredExport, stored_kpis

        with StoredExport(store) as stored:
            report, names = stored_kpis(stored, interval, by, time_zone)
            click.echo(render(report, fmt, names))
        return
    with make_client(region, base_url) as client:
        names = Names.of(client, users="user" in by, wrapups="wrapUpCode" in by)
        if source == "aggregates" and not compare_sources:
            table = aggregates_of(client, interval, by, time_zone)
            report = report_of(table, interval, "aggregates", time_zone)
        else:
            with ChunkProgress(enabled=ctx.show_progress, stats=client.stats, label="kpi") as bar:
                digests = collect_digests(
                    client,
                    interval,
                    names,
                    lead=LEAD if compare_sources else timedelta(0),
                    workers=workers,
                    method=method,
                    progress=bar,
                )
            if compare_sources:
                aggregated = aggregates_of(client, interval, by, time_zone)
                report = compare_kpis(digests, aggregated, interval, by, time_zone)
            else:
                table = digests_table(digests, interval, by, time_zone)
                report = report_of(table, interval, "details", time_zone)
        text = render(report, fmt, names)
    click.echo(text)


__all__ = ["kpi"]
