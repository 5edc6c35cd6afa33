"""The ``export`` command: options in, ``genesys_analytics.export()`` out."""

from __future__ import annotations

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
from genesys_analytics.extraction.datasets import DATASETS
from genesys_analytics.extraction.run import DEFAULT_OUT, check_output
from genesys_analytics.extraction.run import export as run_export
from genesys_analytics.sinks import FORMATS


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
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="NAMES",
    help=f"What to export, comma-separated or repeated: {', '.join(DATASETS)}, or all. "
    "[default: conversations]",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted export from its checkpoints.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace a file at --out that is not an earlier export (a directory is never "
    "emptied of files the tool did not write), or start a staged file export over.",
)
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
    datasets: tuple[str, ...],
    resume: bool,
    force: bool,
    incremental: bool,
    region: str | None,
    base_url: str | None,
) -> None:
    """Export every record of an interval (conversations by default) into DuckDB or files.

    \b
    Examples:
      genesys-analytics export --last 7d
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb
      genesys-analytics export --start 2024-05-01 --end 2024-05-08 --format jsonl --out may.jsonl
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb --resume
      genesys-analytics export --incremental --out genesys.duckdb
    """
    path = out or Path(DEFAULT_OUT[fmt])
    continuing = incremental and not start and not last
    # Check the dates before anything touches the output (or a resumable staging file).
    interval = None if continuing else resolve_interval(start, end, last)
    # And the output before the client logs in (export() checks it again, for Python users).
    target = check_output(path, fmt, datasets=datasets, resume=resume, force=force)
    if target.note:
        click.echo(target.note, err=True)
    try:
        with (
            make_client(region, base_url) as client,
            ChunkProgress(enabled=ctx.show_progress, stats=client.stats) as bar,
        ):
            result = run_export(
                client,
                None if interval is None else interval.start,
                interval.end if interval is not None else (end or None),
                out=path,
                format=fmt,
                datasets=datasets or ("conversations",),
                method=method,  # type: ignore[arg-type]
                workers=workers,
                resume=resume,
                incremental=incremental,
                force=force,
                progress=bar,
            )
    except KeyboardInterrupt:
        click.echo(
            f"interrupted: the chunks finished so far are saved for {path}; run the same "
            "command with --resume to continue.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    counts = ", ".join(f"{n:,} {name}" for name, n in result.records.items())
    click.echo(
        f"exported {counts} from {result.interval} into {path} "
        f"({result.chunks_done} chunks; {result.chunks_skipped} already done).",
        err=True,
    )
    if result.live:
        click.echo(
            "the end of the interval is live: run again later with --incremental "
            "to pick up what it gains.",
            err=True,
        )
    click.echo(str(path))
