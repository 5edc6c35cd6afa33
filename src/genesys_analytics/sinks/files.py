"""Where an export goes: a DuckDB file (default), Parquet, JSON Lines or CSV.

Every sink has the same surface (:class:`Sink`): ``write`` a dataset's records,
``checkpoint`` a finished chunk of a dataset, list a dataset's ``done_chunks`` (for
``--resume``/``--incremental``), ``commit`` when the export is complete, ``close``.
``write`` and ``checkpoint`` belong to one writer thread. Every format holds any number
of datasets.

- ``duckdb`` writes straight into the target file (see :mod:`genesys_analytics.sinks.store`):
  upserts keyed by each dataset's key, checkpoints in ``_export_chunks`` committed in the
  same transaction as the chunk's rows. Opening an existing file always upserts into it,
  with or without ``resume``, so a re-run leaves no duplicates. Its scratch directory,
  ``<db>.tmp/``, holds the store's batch file and DuckDB's spill files.
- File formats build ``<out>.parts/`` beside the output (:mod:`genesys_analytics.sinks.parts`):
  records are spooled to disk as they arrive (:mod:`~genesys_analytics.sinks.spool`); a
  chunk's checkpoint writes its part of every table (trimmed to the chunk, the newest copy
  of a key, in order: :mod:`~genesys_analytics.sinks.tables`) and records it. ``commit()``
  assembles the output from the parts in the scratch of ``<out>.parts/``, renames it to
  ``<out>`` and removes ``<out>.parts/``, so a crash never leaves a file at the final path
  that looks complete. ``resume=True`` keeps the finished parts (those of chunks inside the
  requested interval) and drops the rest; ``resume=False`` starts over (the caller refuses
  that when parts are staged, see :func:`genesys_analytics.sinks.staging.staged_export`).

The layout of a file output (:func:`genesys_analytics.sinks.paths.layout`): a directory of
one file per table (``<table>.jsonl``/``.csv``) or one partitioned directory per table
(Parquet), with the marker :data:`~genesys_analytics.sinks.paths.MARKER` that makes it
recognisably ours; or, for ``--out`` ending in ``.jsonl``/``.csv``, the one file of the
``conversations`` table, as before datasets had tables of their own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from genesys_analytics.api.records import record_json
from genesys_analytics.errors import ConfigError, GenesysError
from genesys_analytics.sinks import FORMATS, Format
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.parts import (
    OUTPUT,
    PREVIOUS,
    SPILL,
    SPOOL,
    Parts,
    fsync_dir,
    parts_path,
)
from genesys_analytics.sinks.paths import MARKER, layout, ours_to_replace
from genesys_analytics.sinks.schema import Storage
from genesys_analytics.sinks.spool import ALL, Spool, canonical, head
from genesys_analytics.sinks.staging import remove, scratch_path, sweep_scratch
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.sinks.tables import PartWriter, assemble, record_tables, table_file
from genesys_analytics.timeutil import UTC, Interval, fmt

log = logging.getLogger(__name__)


class Sink(Protocol):
    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int: ...
    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None: ...
    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]: ...
    def begin_snapshot(self, dataset: str) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


def open_sink(
    path: Path | str,
    fmt: str = "duckdb",
    *,
    storages: Sequence[Storage] = (CONVERSATIONS_STORAGE,),
    timestamps: Mapping[str, str] | None = None,
    resume: bool = False,
    interval: Interval | None = None,
    force: bool = False,
) -> Sink:
    """Open the sink for ``fmt`` at ``path`` (see the module docstring for each format).

    ``timestamps`` names, per time-based dataset, the record field that places a record
    in time (``conversationStart`` for conversations, the default); a dataset without
    one is a dimension list. ``interval`` restricts what a file output holds to records
    that start in it; ``force`` lets a file output replace a file that is not an earlier
    export of ours (see :mod:`genesys_analytics.sinks.paths`).
    """
    path = Path(path)
    if fmt == "duckdb":
        store = DuckDBStore(path, storages=storages, scratch_dir=scratch_path(path))
        sweep_scratch(scratch_path(path))
        return store
    if fmt in ("parquet", "jsonl", "csv"):
        return FileSink(
            path,
            fmt,
            storages=storages,
            timestamps=DEFAULT_TIMESTAMPS if timestamps is None else timestamps,
            resume=resume,
            interval=interval,
            force=force,
        )
    raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")


#: Where conversations are placed in time, for callers that name no timestamps.
DEFAULT_TIMESTAMPS = {CONVERSATIONS_STORAGE.dataset: "conversationStart"}


class FileSink:
    """A file output built from per-chunk parts and assembled into place on :meth:`commit`."""

    json_records = True  # ``write`` reads a record's fields and its JSON (``record_json``)

    def __init__(
        self,
        path: Path,
        fmt: str,
        *,
        storages: Sequence[Storage] = (CONVERSATIONS_STORAGE,),
        timestamps: Mapping[str, str] = DEFAULT_TIMESTAMPS,
        resume: bool = False,
        interval: Interval | None = None,
        force: bool = False,
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.interval = interval
        self.force = force
        self.layout = layout(path, fmt)
        if self.layout == "file" and [s.dataset for s in storages] != ["conversations"]:
            raise ConfigError(
                f"{path} is one {fmt} file, which holds the conversations table only; "
                f"give a directory (such as {path.with_suffix('')}) for one file per table."
            )
        self._storages = {s.dataset: s for s in storages}
        self._timestamps = dict(timestamps)
        self._routes = {s.dataset: _router(s) for s in storages}
        self.parts = Parts(parts_path(path))
        self._created = not resume or not self.parts.root.exists()
        self.parts.open(
            {
                "format": fmt,
                "layout": self.layout,
                "interval": None if interval is None else interval.iso(),
            },
            fresh=not resume,
        )
        if resume:
            self._keep_what_resumes()
        self._checkpointed = False
        self.spool: Spool | None = Spool(self.parts.root / SPOOL)
        self.writer = PartWriter(fmt, self.parts.root / SPILL)

    # -- the Sink surface -------------------------------------------------------------

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        """Spool records (to disk, by day) until their chunk is checkpointed."""
        spool = self._spool()
        storage = self._storage(dataset)
        field, route = self._timestamps.get(dataset), self._routes[dataset]
        by_day: dict[str, list[bytes]] = {}
        n = 0
        for record in records:
            key = record.get(storage.key_field)
            table = route(record)
            if not isinstance(key, str) or table is None:
                log.warning("skipping a %s record without a %s", dataset, storage.key_field)
                continue
            ts, day = "", ALL
            if field is not None:
                stamp = record.get(field)
                try:
                    ts = canonical(stamp) if isinstance(stamp, str) and stamp else ""
                except GenesysError:
                    ts = ""
                if not ts:
                    log.warning("skipping a %s record without a valid %s", dataset, field)
                    continue
                day = ts[:10]
            # the line in pieces: the record is not copied into a line of its own
            by_day.setdefault(day, []).extend(
                (head(ts, table, orjson.dumps(key)), record_json(record), b"\n")
            )
            n += 1
        for day, lines in by_day.items():
            spool.add(dataset, day, lines)
        return n

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        """Write the chunk's part of every table from the spool, then record it durably."""
        spool = self._spool()
        storage = self._storage(dataset)
        if dataset in self._timestamps:
            lo, hi = str(meta["start"]), str(meta["end"])
            records = spool.take(dataset, lo, hi)
        else:
            records = spool.take(dataset, "", None)
        tmp = self.parts.new_chunk()
        rows = self.writer.write(storage, records, tmp)
        self.parts.finish(tmp, chunk_key, dataset, meta, rows)
        self._checkpointed = True

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self.parts.done_chunks(dataset)

    def begin_snapshot(self, dataset: str) -> None:
        self._storage(dataset)
        self._spool().discard(dataset)

    def commit(self) -> None:
        """Assemble the output from the parts, rename it into place, drop the parts.

        What is at the final path is checked again first (it may have changed during a
        long export): only an earlier export of ours is replaced, or anything with
        ``force``.
        """
        ours_to_replace(self.path, self.fmt, force=self.force)
        self._spool().remove()
        self.spool = None
        self.writer.close()
        storages = list(self._storages.values())
        chunks = self.parts.chunks()
        built = self.parts.root / OUTPUT
        remove(built)
        rows = assemble(self.fmt, storages, chunks, built)
        if self.layout == "file":  # the one table's file is the output
            self._replace(built / table_file(storages[0].tables[0], self.fmt))
        else:
            self._mark(built, storages, rows)
            self._replace(built)
        self.parts.remove()

    def close(self) -> None:
        """Close; the parts directory is removed if this sink created it and never
        checkpointed into it, else kept (what a resume continues)."""
        if self.spool is not None:
            self.spool.remove()
            self.spool = None
        self.writer.close()
        if self._created and not self._checkpointed:
            self.parts.remove()

    # -- internals ----------------------------------------------------------------------

    def _spool(self) -> Spool:
        if self.spool is None:
            raise RuntimeError(f"the {self.fmt} sink for {self.path} is closed")
        return self.spool

    def _storage(self, dataset: str) -> Storage:
        storage = self._storages.get(dataset)
        if storage is None:
            raise ValueError(f"{self.path} was not opened for the {dataset} dataset")
        return storage

    def _keep_what_resumes(self) -> None:
        """Drop staged chunks a resume cannot keep: of another format, or (time-based)
        not inside the requested interval, whose records the output must not hold."""
        info = self.parts.info() or {}
        stale = []
        for chunk in self.parts.chunks():
            if info.get("format", self.fmt) != self.fmt:
                stale.append(chunk)
            elif chunk.dataset in self._timestamps and self.interval is not None:
                span = chunk.interval
                inside = span is not None and self.interval.start <= span.start
                if not inside or span is None or span.end > self.interval.end:
                    stale.append(chunk)
        if stale:
            log.info("dropping %d staged chunks outside %s", len(stale), self.interval)
            self.parts.drop(stale)

    def _mark(self, built: Path, storages: list[Storage], rows: dict[str, int]) -> None:
        """The marker file that makes the directory recognisably ours; written last."""
        tables = record_tables if self.fmt == "jsonl" else (lambda s: s.tables)
        marker = {
            "written_by": "genesys-analytics",
            "format": self.fmt,
            "datasets": [s.dataset for s in storages],
            "interval": None if self.interval is None else self.interval.iso(),
            "tables": {
                t.name: {"path": table_file(t, self.fmt), "rows": rows.get(t.name, 0)}
                for s in storages
                for t in tables(s)
            },
            "finished_at": fmt(datetime.now(UTC)),
        }
        path = built / MARKER
        with path.open("wb") as f:
            f.write(orjson.dumps(marker, option=orjson.OPT_INDENT_2))
            f.flush()
            os.fsync(f.fileno())

    def _replace(self, built: Path) -> None:
        """Move the built output to ``path``, replacing what is there (checked as ours).

        A file replaces a file in one rename. A directory cannot, so what is there is
        first moved into the parts directory, then removed once the new one is in place.
        """
        if built.is_dir() and (self.path.exists() or self.path.is_symlink()):
            previous = self.parts.root / PREVIOUS
            remove(previous)
            os.replace(self.path, previous)
            os.replace(built, self.path)
            remove(previous)
        else:
            os.replace(built, self.path)
        fsync_dir(self.path.parent)


def _router(storage: Storage) -> Callable[[dict[str, Any]], int | None]:
    """Which of the storage's record tables a record goes to (JSON Lines has one file each)."""
    route = getattr(storage, "route", None)
    if route is None or len(record_tables(storage)) == 1:
        return lambda _record: 0
    field, values = route
    index = {value: i for i, value in enumerate(values)}
    return lambda record: index.get(record.get(field))


__all__ = ["DEFAULT_TIMESTAMPS", "FORMATS", "FileSink", "Format", "Sink", "open_sink"]
