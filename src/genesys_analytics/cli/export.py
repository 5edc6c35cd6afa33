"""The ``export`` command: options in, ``genesys_analytics.export()`` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from genesys_analytics.cli.options import (
    EXIT_INTERRUPTED,
    ChunkCounter,
    connection_options,
    filter_options,
    interval_options,
    make_client,
    plural,
    resolve_filters,
    resolve_interval,
)
from genesys_analytics.extraction import DATASET_NAMES
from genesys_analytics.sinks import DEFAULT_OUT, FORMATS


@click.command()
@interval_options
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Where to write. Default by format: genesys.duckdb; genesys-parquet/, genesys-jsonl/, "
    "genesys-csv/ (a directory with one file or partitioned directory per table). An --out "
    "ending in .jsonl or .csv is one file of the conversations table.",
)
@click.option(
    "--format",
    "fmt",
    default="duckdb",
    show_default=True,
    type=click.Choice(list(FORMATS)),
    help="duckdb: every table in one database (upserted; resumable; --incremental); "
    "parquet: a directory per table, partitioned by UTC date; jsonl: a file per record "
    "table, records as the API gives them; csv: a file per table, flattened.",
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
    help=f"What to export, comma-separated or repeated: {', '.join(DATASET_NAMES)}, or all. "
    "[default: conversations]",
)
@filter_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan (chunks, methods, estimated conversations, requests and time at "
    "the rate limit) without exporting: one small query per UTC day sizes it.",
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
    help="Continue each dataset from the end of its complete stretch in the store (open "
    "conversations and statuses keep it back until they close), re-reading --lookback "
    "before it; upserts, so scheduled runs converge to a full export.",
)
@click.option(
    "--lookback",
    default="72h",
    show_default=True,
    metavar="DURATION",
    help="With --incremental: how far before the resume point to read again, for data "
    "Genesys changes late (e.g. 72h, 3d, 90m; 0h for none).",
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
    media_types: tuple[str, ...],
    queues: tuple[str, ...],
    directions: tuple[str, ...],
    dry_run: bool,
    resume: bool,
    force: bool,
    incremental: bool,
    lookback: str,
    region: str | None,
    base_url: str | None,
) -> None:
    """Export every record of an interval (conversations by default) into DuckDB or files.

    \b
    Examples:
      genesys-analytics export --last 7d
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb
      genesys-analytics export --start 2024-05-01 --end 2024-05-08 --format jsonl --out may.jsonl
      genesys-analytics export --last 7d --dataset all --format parquet --out lake/
      genesys-analytics export --start 2024-05-01 --end 2024-06-01 --out may.duckdb --resume
      genesys-analytics export --incremental --out genesys.duckdb
    """
    from genesys_analytics.cli.progress import ChunkProgress  # rich loads for work, not --help
    from genesys_analytics.extraction.datasets import resolve
    from genesys_analytics.extraction.run import parse_lookback

    lookback_span = parse_lookback(lookback)  # a ConfigError: exit 2, one sentence
    path = out or Path(DEFAULT_OUT[fmt])
    lists_only = all(d.snapshot for d in resolve(datasets or ("conversations",)))
    # a list is read as it is now; an incremental run finds its start in the store
    continuing = (incremental or lists_only) and not start and not last
    # Check the dates before anything touches the output (or a resumable staging file).
    interval = None if continuing else resolve_interval(start, end, last)
    if dry_run:
        from genesys_analytics.cli.plan import plan_text

        with make_client(region, base_url) as client:
            filters = resolve_filters(client, media_types, queues, directions)
            click.echo(
                plan_text(
                    client,
                    path,
                    fmt,
                    interval,
                    end,
                    datasets,
                    filters,
                    method,
                    resume=resume,
                    incremental=incremental,
                    lookback=lookback_span,
                )
            )
        return
    # And the output before the client logs in (export() checks it again, for Python users).
    from genesys_analytics.cli.signals import stop_on_interrupt
    from genesys_analytics.extraction.allocator import return_freed_memory
    from genesys_analytics.extraction.run import check_output, hold_output
    from genesys_analytics.extraction.run import export as run_export

    return_freed_memory()  # before any thread of the export allocates (see .allocator)
    # One export at a time into one output: the lock comes before looking at the output,
    # so a second run says so at once (exit 11), not that the output looks busy or staged.
    with hold_output(path, fmt, datasets=datasets, force=force):
        target = check_output(path, fmt, datasets=datasets, resume=resume, force=force)
        if target.note:
            click.echo(target.note, err=True)
        counter = ChunkCounter()  # chunks finished by this run, for an honest Ctrl-C message
        try:
            with (
                stop_on_interrupt() as cancel,
                make_client(region, base_url) as client,
                ChunkProgress(enabled=ctx.show_progress, stats=client.stats) as bar,
            ):
                counter.inner = bar
                filters = resolve_filters(client, media_types, queues, directions)
                result = run_export(
                    client,
                    None if interval is None else interval.start,
                    interval.end if interval is not None else (end or None),
                    out=path,
                    format=fmt,
                    datasets=datasets or ("conversations",),
                    filters=filters,
                    method=method,  # type: ignore[arg-type]
                    workers=workers,
                    resume=resume,
                    incremental=incremental,
                    lookback=lookback_span,
                    force=force,
                    progress=counter,
                    cancel=cancel,
                )
        except KeyboardInterrupt:
            click.echo(_interrupted(counter.done, path, continuing=resume or incremental), err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    counts = ", ".join(f"{n:,} {name}" for name, n in result.records.items())
    skipped = f"; {result.chunks_skipped:,} already done" if result.chunks_skipped else ""
    click.echo(
        f"exported {counts} from {result.interval} into {path} "
        f"({plural(result.chunks_done, 'chunk')}{skipped}).",
        err=True,
    )
    if incremental:
        for line in _changes(result, lookback):
            click.echo(line, err=True)
    if result.live and fmt == "duckdb":
        click.echo(
            "the end of the interval is live: later, run the same command with --incremental "
            "in place of --start/--last to pick up what it gains.",
            err=True,
        )
    elif result.live:
        click.echo(
            "the end of the interval is live, so its last records may still change: "
            "export that recent part again later (its own --start, another --out) to pick "
            "up what it gains.",
            err=True,
        )
    click.echo(str(path))


def _changes(result: Any, lookback: str) -> list[str]:
    """Per time-based dataset: what an incremental run read again and what it changed."""
    lines = []
    for name in result.datasets:
        new, updated = result.changes.get(name, (0, 0))
        span = result.reread.get(name)
        again = f"re-read {span} (lookback {lookback})" if span else "nothing re-read"
        if name in result.reread or name in result.changes:
            lines.append(f"{name}: {again}; {new:,} new, {updated:,} updated.")
    return lines


def _interrupted(done: int, path: Path, *, continuing: bool) -> str:
    """What Ctrl-C left behind. A chunk saved just as Ctrl-C came may not be counted yet."""
    advice = "run the same command" + ("" if continuing else " with --resume") + " to continue"
    if done:
        verb = "is" if done == 1 else "are"
        saved = f"{plural(done, 'finished chunk')} of this run {verb} saved for {path}"
        return f"interrupted: {saved}; {advice}."
    if continuing:
        return (
            "interrupted: no chunk of this run was reported finished; what earlier runs saved "
            f"for {path} is kept; {advice}."
        )
    return (
        "interrupted: no chunk was reported finished, so little or nothing is saved for "
        f"{path}; {advice}."
    )
