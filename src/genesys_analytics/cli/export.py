"""The `volume`, `export` and `demo` commands."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from genesys_analytics.cli.options import (
    EXIT_INTERRUPTED,
    connection_options,
    interval_options,
    make_client,
    resolve_interval,
)
from genesys_analytics.cli.progress import ChunkProgress
from genesys_analytics.cli.volume import render_volume
from genesys_analytics.errors import ConfigError, IncompleteExport
from genesys_analytics.export.engine import Exporter, ExportRequest, incremental_start
from genesys_analytics.reports.details import volume_from_details
from genesys_analytics.sinks.files import FORMATS
from genesys_analytics.timeutil import Interval

DEMO_SQL = (
    "select unnest(media_types) as channel, count(*) as conversations, "
    "round(avg(duration_ms) / 1000) as avg_seconds "
    "from conversations group by 1 order by 2 desc"
)
DEFAULT_OUT = {
    "duckdb": "genesys.duckdb",
    "parquet": "genesys-parquet",
    "jsonl": "genesys.jsonl",
    "csv": "genesys.csv",
}


@click.command()
@interval_options
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Where to write. Default by format: genesys.duckdb, genesys-parquet/ (a directory), "
    "genesys.jsonl, genesys.csv.",
)
@click.option(
    "--format",
    "fmt",
    default="duckdb",
    show_default=True,
    type=click.Choice(list(FORMATS)),
    help="duckdb: tables conversations, participants, sessions, segments, session_metrics "
    "(upserted; resumable; --incremental); parquet: partitioned by UTC date; jsonl: raw "
    "conversations; csv: the flattened conversations table.",
)
@click.option(
    "--method",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "query", "job"]),
    help="auto: async jobs for data the jobs API has, details queries for newer data.",
)
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Chunks fetched in parallel; they share one rate limiter, so more workers never "
    "means more 429s.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted export from its checkpoints.")
@click.option(
    "--incremental",
    is_flag=True,
    help="Continue from the last complete point recorded in the store; re-read live chunks.",
)
@connection_options
@click.pass_obj
def export(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    out: Path | None,
    fmt: str,
    method: str,
    workers: int,
    resume: bool,
    incremental: bool,
    region: str | None,
    base_url: str | None,
) -> None:
    """Export every conversation of an interval into DuckDB, Parquet, JSONL or CSV.

    \b
    Examples:
      genesys-analytics export --last 7d
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb
      genesys-analytics export --start 2024-05-01 --end 2024-05-08 --format jsonl --out may.jsonl
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb --resume
      genesys-analytics export --incremental --out genesys.duckdb
    """
    from genesys_analytics.sinks.files import open_sink

    path = out or Path(DEFAULT_OUT[fmt])
    if incremental and fmt != "duckdb":
        raise ConfigError(
            f"--incremental needs --format duckdb: a finished {fmt} export keeps no "
            "checkpoints to continue from, and the new run would replace it; use --format "
            "duckdb, or export just the new interval to another file without --incremental."
        )
    continuing = incremental and not start and not last
    # Check the dates before anything touches the output (or a resumable staging file).
    interval = None if continuing else resolve_interval(start, end, last)
    try:
        with make_client(region, base_url) as client:
            sink = open_sink(path, fmt, resume=resume or incremental)
            try:
                if interval is None:
                    begin = incremental_start(sink.done_chunks())
                    if begin is None:
                        raise ConfigError(
                            f"{path} holds no earlier export to continue; "
                            "give --start for the first run."
                        )
                    interval = resolve_interval(begin.isoformat(), end, None)
                request = ExportRequest(
                    interval=interval,
                    method=method,  # type: ignore[arg-type]
                    workers=workers,
                    resume=resume,
                    incremental=incremental,
                )
                with ChunkProgress(enabled=ctx.show_progress, stats=client.stats) as bar:
                    stats = Exporter(client, request, progress=bar).run(sink)
                sink.commit()
            finally:
                sink.close()
    except KeyboardInterrupt:
        click.echo(
            f"interrupted: the chunks finished so far are saved for {path}; run the same "
            "command with --resume to continue.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    click.echo(
        f"exported {stats.conversations:,} conversations from {interval} into {path} "
        f"({stats.chunks_done} chunks; {stats.chunks_skipped} already done).",
        err=True,
    )
    if stats.live_chunks:
        click.echo(
            "the end of the interval is live: run again later with --incremental "
            "to pick up what it gains.",
            err=True,
        )
    click.echo(str(path))


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("demo.duckdb"),
    show_default=True,
    help="The DuckDB file the demo writes (replaced on each run).",
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
    from genesys_analytics.emulator import EmulatorSettings, run_emulator
    from genesys_analytics.sinks.files import open_sink

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
                stale.unlink(missing_ok=True)
            sink = open_sink(out, "duckdb", resume=False)
            try:
                with ChunkProgress(enabled=ctx.show_progress, stats=client.stats) as bar:
                    stats = Exporter(client, ExportRequest(interval=interval), progress=bar).run(
                        sink
                    )
                sink.commit()
            finally:
                sink.close()
    click.echo("")
    click.echo(
        f"Exported {stats.conversations:,} conversations ({interval}) into {out.resolve()}; "
        f"the emulator's truth agrees ({truth['total']:,})."
    )
    click.echo("")
    click.echo(f"Conversations and average duration per channel, straight from {out}:")
    click.echo(run_sql(out, DEMO_SQL))
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else "python"
    click.echo("Try it yourself:")
    click.echo(f"  {python} -c \"import duckdb; duckdb.connect('{out}').sql('{DEMO_SQL}').show()\"")
    sys.stdout.flush()


def run_sql(path: Path, sql: str) -> str:
    """Run one read-only query on a DuckDB file and render the result as text."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return str(con.sql(sql))
    finally:
        con.close()
