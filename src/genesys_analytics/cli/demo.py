"""The ``demo`` command: the main job against the built-in emulator, checked against its truth."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from genesys_analytics.errors import IncompleteExport
from genesys_analytics.timeutil import Interval

DEMO_SQL = (
    "select unnest(media_types) as channel, count(*) as conversations, "
    "round(avg(duration_ms) / 1000) as avg_seconds "
    "from conversations group by 1 order by 2 desc"
)


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("demo.duckdb"),
    show_default=True,
    help="The DuckDB file the demo writes (an earlier demo's is replaced; any other file "
    "is left alone).",
)
@click.option("--seed", default=7, show_default=True, help="Emulator data seed.")
@click.option("--per-day", default=400, show_default=True, help="Conversations per day.")
@click.pass_obj
def demo(ctx: Any, out: Path, seed: int, per_day: int) -> None:
    """Run the main job against the built-in emulator: no account needed.

    Starts the emulator on a free port, prints conversation volume by channel for the
    last 7 days of its data, exports them into demo.duckdb, and shows a query to try.
    """
    from rich.console import Console

    from genesys_analytics.api.client import Client
    from genesys_analytics.cli.progress import ChunkProgress
    from genesys_analytics.emulator import EmulatorSettings, run_emulator
    from genesys_analytics.extraction.run import check_output, export
    from genesys_analytics.reports.details import volume_from_details
    from genesys_analytics.reports.render import render_volume

    check_output(out, "duckdb")  # refuses a file that is not an export of ours, first
    settings = EmulatorSettings(seed=seed, days=8, per_day=per_day)
    err = Console(stderr=True)
    with run_emulator(settings) as emu:
        err.print(f"[bold]emulator[/] serving the Genesys Cloud analytics API at {emu.base_url}")
        interval = Interval(emu.now - timedelta(days=7), emu.now)
        with Client(
            client_id=emu.client_id, client_secret=emu.client_secret, base_url=emu.base_url
        ) as client:
            with ChunkProgress(
                enabled=ctx.show_progress, stats=client.stats, label="volume"
            ) as bar:
                result = volume_from_details(client, interval, progress=bar)
            click.echo(render_volume(result, "table"))
            truth = emu.truth(interval.start, interval.end)
            if truth["total"] != result.total:
                raise IncompleteExport(
                    f"volume total {result.total} differs from "
                    f"the emulator's truth {truth['total']}."
                )
            for stale in (out, out.with_name(out.name + ".wal")):
                stale.unlink(missing_ok=True)  # our own earlier demo: start afresh
            with ChunkProgress(enabled=ctx.show_progress, stats=client.stats) as bar:
                export(client, interval.start, interval.end, out=out, progress=bar)
    stored = run_sql(out, "select count(*) from conversations", text=False)
    if stored != truth["total"]:
        raise IncompleteExport(
            f"{out} holds {stored} conversations; the emulator's truth is {truth['total']}."
        )
    click.echo("")
    click.echo(
        f"Exported {stored:,} conversations ({interval}) into {out.resolve()}; "
        f"the emulator's truth agrees ({truth['total']:,})."
    )
    click.echo("")
    click.echo(f"Conversations and average duration per channel, straight from {out}:")
    click.echo(run_sql(out, DEMO_SQL))
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else "python"
    click.echo("Try it yourself:")
    click.echo(f"  {python} -c \"import duckdb; duckdb.connect('{out}').sql('{DEMO_SQL}').show()\"")
    sys.stdout.flush()


def run_sql(path: Path, sql: str, *, text: bool = True) -> Any:
    """Run one read-only query on a DuckDB file: the result as text, or its first value."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        if text:
            return str(con.sql(sql))
        row = con.execute(sql).fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


__all__ = ["DEMO_SQL", "demo", "run_sql"]
