"""``export()``: one whole export from Python, exactly what ``genesys-analytics export`` does.

::

    from genesys_analytics import Client, export

    with Client.from_env() as client:
        result = export(client, "2024-05-01", "2024-05-08", out="may.duckdb")
    print(result.records["conversations"], result.chunks_done)

It opens the output, works out where an incremental run starts, runs the engine, and
commits the output only when every chunk is in: a file output appears under its final
name only complete, and a DuckDB store keeps every finished chunk's checkpoint, so an
interrupted or failed export continues with ``resume=True``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.datasets import Dataset, resolve
from genesys_analytics.extraction.engine import (
    Exporter,
    ExportRequest,
    ExportStats,
    Method,
    Progress,
    incremental_start,
    matching,
)
from genesys_analytics.extraction.fetch import ExportClient
from genesys_analytics.sinks import FORMATS, Sink, open_sink
from genesys_analytics.timeutil import UTC, Interval, parse_instant

Instant = str | datetime | date

#: Where each format goes when no ``out`` is given (the CLI's defaults).
DEFAULT_OUT = {
    "duckdb": "genesys.duckdb",
    "parquet": "genesys-parquet",
    "jsonl": "genesys.jsonl",
    "csv": "genesys.csv",
}


@dataclass(frozen=True)
class ExportResult:
    """What one export did: where it wrote, which interval, and the counts of the run."""

    out: Path
    format: str
    interval: Interval
    datasets: tuple[str, ...]
    stats: ExportStats = field(repr=False)

    @property
    def records(self) -> dict[str, int]:
        """Rows written per dataset in this run (re-reads of a moving chunk included)."""
        return {name: self.stats.records.get(name, 0) for name in self.datasets}

    @property
    def conversations(self) -> int:
        return self.stats.conversations

    @property
    def chunks_done(self) -> int:
        return self.stats.chunks_done

    @property
    def chunks_skipped(self) -> int:
        return self.stats.chunks_skipped

    @property
    def live(self) -> bool:
        """The end of the interval is live: a later incremental run will find more."""
        return self.stats.live_chunks > 0


def export(
    client: ExportClient,
    start: Instant | None = None,
    end: Instant | None = None,
    *,
    out: str | Path | None = None,
    format: str = "duckdb",
    datasets: str | Sequence[str] = ("conversations",),
    filters: Filters | None = None,
    method: Method = "auto",
    workers: int = 4,
    resume: bool = False,
    incremental: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Export every record of ``datasets`` in ``[start, end)`` into ``out``.

    ``end`` defaults to now. With ``incremental=True`` and no ``start``, the export
    continues from the first point the store does not hold completely (DuckDB only).
    ``filters`` (media types, queue ids, directions) narrow what is read; they are part
    of what the export means and recorded with its checkpoints, so a resume or an
    incremental run continues only an export with the same filters.
    ``resume=True`` continues an interrupted export from its checkpoints. Raises the
    library's errors (``IncompleteExport`` names the chunk that could not be read; run
    again with ``resume=True``). Setting ``cancel`` (e.g. from a SIGINT handler) stops
    the export between two writes with ``KeyboardInterrupt``; what was checkpointed stays.
    """
    if format not in FORMATS:
        raise ConfigError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}.")
    if incremental and format != "duckdb":
        raise ConfigError(
            f"--incremental needs --format duckdb: a finished {format} export keeps no "
            "checkpoints to continue from, and the new run would replace it; use --format "
            "duckdb, or export just the new interval to another file without --incremental."
        )
    if workers < 1:
        raise ConfigError("workers must be at least 1.")
    chosen = resolve(datasets)
    wanted = filters or Filters()
    path = Path(out) if out is not None else Path(DEFAULT_OUT[format])
    end_at = _instant(end) if end is not None else datetime.now(UTC)
    interval = None if start is None else Interval(_instant(start), end_at)
    timed = tuple(d for d in chosen if not d.snapshot)
    if interval is None and not timed:
        interval = Interval(end_at - timedelta(milliseconds=1), end_at)  # lists: read as now
    if interval is None and not incremental:
        raise ConfigError("give a start (e.g. 2024-05-01), or continue with incremental=True.")
    storages = [d.storage for d in chosen]
    sink = open_sink(path, format, storages=storages, resume=resume or incremental)
    try:
        if interval is None:
            interval = Interval(_continue_from(sink, timed, path, wanted), end_at)
        request = ExportRequest(
            interval=interval,
            datasets=chosen,
            filters=wanted,
            method=method,
            workers=workers,
            resume=resume,
            incremental=incremental,
        )
        stats = Exporter(client, request, progress=progress, cancel=cancel).run(sink)
        if cancel is not None and cancel.is_set():
            raise KeyboardInterrupt("the export was cancelled")
        sink.commit()
    finally:
        sink.close()
    return ExportResult(path, format, interval, tuple(d.name for d in chosen), stats)


def _continue_from(
    sink: Sink, datasets: tuple[Dataset, ...], path: Path, filters: Filters
) -> datetime:
    """The earliest point any of ``datasets`` (with these filters) does not hold completely."""
    starts = [incremental_start(matching(sink.done_chunks(d.name), filters)) for d in datasets]
    known = [s for s in starts if s is not None]
    missing = [d.name for d, s in zip(datasets, starts, strict=True) if s is None]
    if missing or not known:
        raise ConfigError(
            f"{path} holds no earlier export of {', '.join(missing)} to continue; "
            "give a start (--start) for the first run."
        )
    return min(known)


def _instant(value: Instant) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ConfigError(f"{value!r} has no timezone; give an aware datetime or ISO string.")
    return parse_instant(value)


__all__ = ["DEFAULT_OUT", "ExportResult", "export"]
