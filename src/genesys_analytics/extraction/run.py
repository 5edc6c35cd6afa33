"""``export()``: one whole export from Python, exactly what ``genesys-analytics export`` does.

::

    from genesys_analytics import Client, export

    with Client.from_env() as client:
        result = export(client, "2024-05-01", "2024-05-08", out="may.duckdb")
    print(result.records["conversations"], result.chunks_done)

It checks the output before any request (:mod:`genesys_analytics.sinks.paths`: only an
earlier export of ours is replaced, anything else needs ``force=True`` or is refused),
opens it, works out where an incremental run starts, runs the engine, and commits the
output only when every chunk is in: a file output appears under its final name only
complete, and a DuckDB store keeps every finished chunk's checkpoint, so an interrupted
or failed export continues with ``resume=True``. A run that fails before finishing a
chunk removes the files and directories it created.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.checkpoints import DEFAULT_LOOKBACK, matching, reread_from
from genesys_analytics.extraction.datasets import Dataset, resolve
from genesys_analytics.extraction.engine import (
    Exporter,
    ExportRequest,
    ExportStats,
    Method,
    Progress,
)
from genesys_analytics.extraction.fetch import ExportClient
from genesys_analytics.extraction.stop import deferring
from genesys_analytics.sinks import DEFAULT_OUT, FORMATS, Sink, open_sink
from genesys_analytics.sinks.lock import output_lock
from genesys_analytics.sinks.paths import Target, check_target
from genesys_analytics.sinks.staging import remove_unused_store, staged_export
from genesys_analytics.timeutil import UTC, Interval, fmt, parse_duration, parse_instant

Instant = str | datetime | date


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
    def changes(self) -> dict[str, tuple[int, int]]:
        """``(new, updated)`` records per dataset written by this run, where the output
        tells them apart (a DuckDB store): updated means an existing key whose content
        changed; a record read again unchanged counts as neither."""
        return dict(self.stats.changes)

    @property
    def reread(self) -> dict[str, Interval]:
        """Per dataset, the span an incremental run read again although earlier runs
        had it: from its resume point minus the lookback (decisions.md §9)."""
        return dict(self.stats.reread)

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
    lookback: timedelta | str = DEFAULT_LOOKBACK,
    force: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Export every record of ``datasets`` in ``[start, end)`` into ``out``.

    ``end`` defaults to now. With ``incremental=True`` each time-based dataset continues
    from the end of its complete stretch of checkpoints (the first point the store does
    not hold completely: a gap, a live chunk, or a chunk with records still open), and
    first reads again the ``lookback`` before it (default 72 h; a timedelta or ``"3d"``),
    upserting, so a store refreshed on a schedule converges to a full export of the same
    interval (decisions.md §9). Without ``start`` it starts there (DuckDB only).
    ``filters`` (media types, queue ids, directions) narrow what is read; they are part
    of what the export means and recorded with its checkpoints, so a resume or an
    incremental run continues only an export with the same filters.
    ``resume=True`` continues an interrupted export from its checkpoints; a file output
    then still holds exactly ``[start, end)``, whatever interval was staged. A DuckDB
    store holds every interval ever exported into it. ``force=True`` replaces a file at
    ``out`` that is not an earlier export of ours, and starts a file export over when an
    interrupted one is staged. Setting ``cancel`` (e.g. from a SIGINT handler) stops the
    export between two writes with ``KeyboardInterrupt``; what was checkpointed stays.
    One export at a time writes ``out``: another one running into it (any process) makes
    this one raise ``OutputBusy`` at once. Raises the library's errors (``ConfigError``
    for an output that may not be written, before any request; ``IncompleteExport``
    names the chunk that could not be read; run again with ``resume=True``).
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
    lookback = _lookback(lookback)
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
    with hold_output(path, format, datasets=datasets, force=force):
        storages = [d.storage for d in chosen]
        target = check_target(path, format, force=force, tables=_tables(datasets))
        if format != "duckdb":
            resume = _check_staged(target, resume=resume, force=force)
        created = not target.path.exists() or target.replace_first
        if target.replace_first:
            target.path.unlink()
        sink = None
        try:
            sink = open_sink(
                target.path,
                format,
                storages=storages,
                timestamps={d.name: d.details.timestamp for d in timed},
                resume=resume or incremental,
                interval=interval,
                force=force,
            )
            if interval is None:
                begin = _continue_from(sink, timed, path, wanted, lookback)
                if begin >= end_at:
                    raise ConfigError(
                        f"{path} already holds every record up to {fmt(begin)}, after the end "
                        f"{fmt(end_at)}: give a later --end, or none (now)."
                    )
                interval = Interval(begin, end_at)
            request = ExportRequest(
                interval=interval,
                datasets=chosen,
                filters=wanted,
                method=method,
                workers=workers,
                resume=resume,
                incremental=incremental,
                lookback=lookback,
            )
            stats = Exporter(client, request, progress=progress, cancel=cancel).run(sink)
            stats.changes = {
                name: (new, updated) for name, (new, updated) in _changes_of(sink).items()
            }
            with deferring(cancel):
                if cancel is not None and cancel.is_set():
                    raise KeyboardInterrupt("the export was cancelled")
                sink.commit()
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt("the export was cancelled")
        except BaseException:
            if sink is not None:
                sink.close()
            _discard_unused(target, created=created)
            raise
        sink.close()
        return ExportResult(path, format, interval, tuple(d.name for d in chosen), stats)


@contextlib.contextmanager
def hold_output(
    out: str | Path,
    format: str = "duckdb",
    *,
    datasets: str | Sequence[str] = ("conversations",),
    force: bool = False,
) -> Iterator[Path]:
    """Hold the lock of ``out`` (``<out>.lock``, see :mod:`genesys_analytics.sinks.lock`)
    for the ``with`` block: ``OutputBusy`` at once if another export is writing it.
    A parent that is missing or not a directory is explained first (before any is created)."""
    path = Path(out)
    if not path.name or not path.absolute().parent.is_dir():
        check_target(path, format, force=force, tables=_tables(datasets))
    with output_lock(path) as lock:
        yield lock


def check_output(
    out: str | Path,
    format: str = "duckdb",
    *,
    datasets: str | Sequence[str] = ("conversations",),
    resume: bool = False,
    force: bool = False,
) -> Target:
    """What :func:`export` checks before any request: the output path (see
    :mod:`genesys_analytics.sinks.paths`) and, for a file format, an interrupted export
    staged beside it. Raises ``ConfigError`` saying what is wrong; the returned target's
    ``note`` says what happens to what is there."""
    target = check_target(out, format, force=force, tables=_tables(datasets))
    if format != "duckdb":
        _check_staged(target, resume=resume, force=force)
    return target


def _tables(datasets: str | Sequence[str]) -> list[str]:
    """The DuckDB tables an export of ``datasets`` writes."""
    return [t.name for d in resolve(datasets or ("conversations",)) for t in d.storage.tables]


def _check_staged(target: Target, *, resume: bool, force: bool) -> bool:
    """Whether to resume the export staged for a file output; never discard one silently.

    Starting over without ``resume`` is refused while the staging holds finished chunks,
    and so is resuming an export staged in another format, unless ``force``.
    """
    staged = staged_export(target.path)
    if staged is None:
        return resume
    other_format = staged.format not in (None, target.format)
    if resume and not other_format:
        return True
    if force or not staged.chunks:
        return False  # start over
    if resume:
        raise ConfigError(
            f"{staged.describe()} is staged at {staged.path}; resume it with --format "
            f"{staged.format}, or add --force to start over."
        )
    raise ConfigError(
        f"{staged.describe()} is staged at {staged.path}; add --resume to continue it, "
        "or --force to start over."
    )


def _discard_unused(target: Target, *, created: bool) -> None:
    """After a failed run: remove a store it created that records no finished chunk, and
    the parent directories it created if they are empty (a file sink tidies itself)."""
    if created and target.format == "duckdb":
        remove_unused_store(target.path)
    for directory in reversed(target.missing):
        try:
            directory.rmdir()
        except OSError:
            break


def _continue_from(
    sink: Sink, datasets: tuple[Dataset, ...], path: Path, filters: Filters, lookback: timedelta
) -> datetime:
    """Where an incremental run of ``datasets`` (with these filters) starts reading: the
    earliest re-read point (resume point minus ``lookback``) among them."""
    starts = [reread_from(matching(sink.done_chunks(d.name), filters), lookback) for d in datasets]
    known = [s for s in starts if s is not None]
    missing = [d.name for d, s in zip(datasets, starts, strict=True) if s is None]
    if missing or not known:
        raise ConfigError(
            f"{path} holds no earlier export of {', '.join(missing)} to continue; "
            "give a start (--start) for the first run."
        )
    return min(known)


def _lookback(value: timedelta | str) -> timedelta:
    if isinstance(value, str):
        return parse_lookback(value)
    if value < timedelta(0):
        raise ConfigError(f"lookback must not be negative, not {value}.")
    return value


def parse_lookback(text: str) -> timedelta:
    """``--lookback``: a duration such as ``72h``, ``3d`` or ``90m`` (``0h`` re-reads nothing)."""
    try:
        return parse_duration(text)
    except ConfigError:
        raise ConfigError(
            f"--lookback {text!r} is not a duration; give a number and a unit, e.g. 72h, 3d or 90m."
        ) from None


def _changes_of(sink: Sink) -> dict[str, list[int]]:
    """What the sink counted as new and updated per dataset (empty if it does not count)."""
    changes = getattr(sink, "changes", None)
    return dict(changes) if isinstance(changes, dict) else {}


def _instant(value: Instant) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ConfigError(f"{value!r} has no timezone; give an aware datetime or ISO string.")
    return parse_instant(value)


__all__ = ["ExportResult", "check_output", "export", "hold_output", "parse_lookback"]
