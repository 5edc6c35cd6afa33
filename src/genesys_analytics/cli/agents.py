"""The ``agents`` command: time in each routing status and presence, and occupancy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from genesys_analytics.cli.options import (
    connection_options,
    details_only,
    interval_options,
    make_client,
    resolve_interval,
    store_option,
)


@click.command()
@interval_options
@click.option(
    "--by",
    "by_text",
    default="user",
    show_default=True,
    metavar="DIMS",
    help="Group by user (the agent, shown with name and id), day and hour, alone or "
    "comma-separated. Example: --by user,day",
)
@click.option(
    "--source",
    type=click.Choice(["aggregates", "details"]),
    help="aggregates: the user aggregates API's per-bucket sums (fast). details: every "
    "presence and routing-status record, fetched from three days before the start and "
    "clipped here. [default: aggregates; details with --from]",
)
@click.option(
    "--compare",
    "compare_sources",
    is_flag=True,
    help="Both sources side by side, with the difference and why sources differ.",
)
@click.option(
    "--time-zone",
    default="UTC",
    show_default=True,
    metavar="IANA",
    help="Time zone of day and hour buckets (DST-aware). Example: --time-zone Europe/Paris",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "json", "csv"]),
    help="table, csv (a header, the rows and a total row) or json "
    '({"rows": [{"user", "userId", ..., "occupancy", "routingIdleMs", ...}], "totals"}).',
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
    help="Also write a stacked bar chart of hours per routing status, per day (when --by "
    "has day) or per agent, with occupancy above each bar (needs the [charts] extra). "
    "Example: --by day --chart agents.png",
)
@click.option(
    "--method",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "query", "job"]),
    help="How user details are read (--source details): queries, async jobs, or per chunk.",
)
@store_option
@connection_options
@click.pass_obj
def agents(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    by_text: str,
    source: str | None,
    compare_sources: bool,
    time_zone: str,
    fmt: str,
    chart: Path | None,
    method: str,
    store: Path | None,
    region: str | None,
    base_url: str | None,
) -> None:
    """Agent activity: time in each routing status and presence, and occupancy.

    Occupancy is INTERACTING / (INTERACTING + COMMUNICATING + IDLE) routing-status time.
    Time in a status is clipped to the interval (and to each day or hour).

    \b
    Examples:
      genesys-analytics agents --last 7d
      genesys-analytics agents --last 1d --by user,hour --time-zone America/Chicago
      genesys-analytics agents --start 2024-05-01 --end 2024-05-08 --by day --compare
      genesys-analytics agents --last 7d --source details --format csv > agents.csv
      genesys-analytics agents --last 7d --by day --chart agents-by-day.png
      genesys-analytics agents --start 2024-05-04 --end 2024-05-08 --from may.duckdb
    """
    from genesys_analytics.api.aggregates import zone
    from genesys_analytics.cli.progress import ChunkProgress
    from genesys_analytics.reports.agents import (
        agents_from_aggregates,
        agents_from_details,
        collect_statuses,
        compare_agents,
        parse_by,
    )
    from genesys_analytics.reports.queue_names import QueueNames
    from genesys_analytics.reports.render import render

    by = parse_by(by_text)
    zone(time_zone)  # fail fast on an unknown zone
    details_only(store, source, compare_sources)
    source = source or ("details" if store is not None else "aggregates")
    if chart is not None:
        from genesys_analytics.reports.charts import agents_chart_axis

        axis = agents_chart_axis(by)  # before any request
    interval = resolve_interval(start, end, last)
    if store is not None:
        from genesys_analytics.reports.stored import StoredExport, stored_statuses

        opened: Any = StoredExport(store)
    else:
        opened = make_client(region, base_url)
    with opened as src:
        detailed = aggregated = None
        if store is not None:
            detailed = agents_from_details(stored_statuses(src, interval), interval, by, time_zone)
        elif source == "details" or compare_sources:
            with ChunkProgress(enabled=ctx.show_progress, stats=src.stats, label="agents") as bar:
                statuses = collect_statuses(src, interval, method=method, progress=bar)
            detailed = agents_from_details(statuses, interval, by, time_zone)
        if source == "aggregates" or compare_sources:
            aggregated = agents_from_aggregates(src, interval, by, time_zone)
        chosen = detailed if source == "details" else aggregated
        assert chosen is not None
        report = chosen
        if detailed is not None and aggregated is not None:
            report = compare_agents(detailed, aggregated)
        if "user" not in by:
            users = None
        else:
            users = src.user_names() if store is not None else QueueNames.of_users(src)
        text = render(report, fmt, users=users)
        if chart is not None:
            from genesys_analytics.reports.charts import agent_bars, render_agents_chart

            # --compare charts the --source report: a comparison has no time per status.
            bars = agent_bars(chosen, users if axis == "user" else None)
            render_agents_chart(bars, chosen, chart)
    click.echo(text)
    if chart is not None:
        empty = " (empty: no routing-status time in the interval)" if bars.empty else ""
        click.echo(f"chart written to {chart}{empty}", err=True)


__all__ = ["agents"]
