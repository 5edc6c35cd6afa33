"""The `volume` command: conversation volume by channel, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from genesys_analytics.cli import (
    connection_options,
    interval_options,
    make_client,
    resolve_interval,
)
from genesys_analytics.progress import ChunkProgress
from genesys_analytics.reports import Volume, volume_from_aggregates, volume_from_details


def render_volume(volume: Volume, fmt: str) -> str:
    """Render a volume report as a table, JSON or CSV (for stdout)."""
    data = volume.as_json()
    if fmt == "json":
        return orjson.dumps(data).decode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([volume.by, "conversations"])
        for key, n in data["counts"].items():
            writer.writerow([key, n])
        writer.writerow(["total", volume.total])
        return out.getvalue().rstrip("\n")
    table = Table(
        title=f"Conversations by {volume.by} ({volume.source})",
        caption=f"{data['start']} → {data['end']}",
    )
    table.add_column(volume.by)
    table.add_column("conversations", justify="right")
    table.add_column("share")
    peak = max(data["counts"].values(), default=0) or 1
    for key, n in sorted(data["counts"].items(), key=lambda kv: -kv[1]):
        table.add_row(key, f"{n:,}", "█" * max(1, round(24 * n / peak)) if n else "")
    table.add_section()
    table.add_row("total", f"{volume.total:,}", "")
    console = Console(file=io.StringIO(), width=100, force_terminal=False)
    console.print(table)
    return console.file.getvalue().rstrip("\n")  # type: ignore[attr-defined]


@click.command()
@interval_options
@click.option(
    "--by",
    default="mediaType",
    show_default=True,
    type=click.Choice(["mediaType"]),
    help="What to count by.",
)
@click.option(
    "--source",
    default="details",
    show_default=True,
    type=click.Choice(["details", "aggregates"]),
    help="details: distinct conversations read one by one; aggregates: nOffered from the "
    "aggregates API (contacts, not conversations).",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "json", "csv"]),
)
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--method", default="auto", show_default=True, type=click.Choice(["auto", "query", "job"])
)
@connection_options
@click.pass_obj
def volume(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    by: str,
    source: str,
    fmt: str,
    workers: int,
    method: str,
    region: str | None,
    base_url: str | None,
) -> None:
    """Conversations per channel (media type) and the total.

    \b
    Examples:
      genesys-analytics volume --last 7d
      genesys-analytics volume --start 2024-05-01 --end 2024-05-08 --format json
      genesys-analytics volume --last 24h --source aggregates
    """
    interval = resolve_interval(start, end, last)
    with make_client(region, base_url) as client:
        if source == "aggregates":
            result = volume_from_aggregates(client, interval)
        else:
            with ChunkProgress(
                enabled=ctx.show_progress, stats=client.stats, label="volume"
            ) as bar:
                result = volume_from_details(
                    client, interval, workers=workers, method=method, progress=bar
                )
    click.echo(render_volume(result, fmt))
