"""Where an export goes: a DuckDB file (default), Parquet, JSON Lines or CSV.

Every sink has the same surface (:class:`Sink`): ``write`` a dataset's records,
``checkpoint`` a finished chunk of a dataset, list a dataset's ``done_chunks`` (for
``--resume``/``--incremental``), ``commit`` when the export is complete, ``close``.
``write`` and ``checkpoint`` belong to one writer thread. DuckDB holds any number of
datasets; the file formats hold one (conversations).

- ``duckdb`` writes straight into the target file (see :mod:`genesys_analytics.sinks.store`):
  upserts keyed by ``conversation_id``, checkpoints in ``_export_chunks`` committed in
  the same transaction as the chunk's rows. Opening an existing file always upserts
  into it, with or without ``resume``, so a re-run leaves no duplicates.
- File formats stage into ``<path>.staging.duckdb`` beside the output (the
  ``conversations`` table with its ``raw`` column, plus the checkpoints and the format
  and interval staged): DuckDB does the dedupe (newer copy wins) on disk, so memory
  stays flat however large the export. ``commit()`` writes the output into the scratch
  directory, renames it to ``<path>`` and removes the staging file, so a crash never
  leaves a file at the final path that looks complete. The output holds only the
  records that start in the requested interval. ``resume=True`` reuses the staging
  file and its checkpoints; ``resume=False`` deletes any staging left by an
  interrupted run and starts fresh (the caller refuses that when the staging holds
  checkpoints, see :func:`staged_export`).
- Every DuckDB file has a scratch directory beside it, ``<db>.tmp/`` (DuckDB's own temp
  directory for it): the store's batch file, DuckDB's spill files and a file output
  being written go there, and it is removed on close. A run killed with SIGKILL leaves
  it; the next run on the same output clears it.
  - ``jsonl``: the raw conversations, one per line, ordered by ``conversationStart``.
  - ``csv``: the flattened ``conversations`` table with a header and *without* the
    ``raw`` column (a JSON document per cell helps nobody in a spreadsheet; use jsonl
    or duckdb for lossless data). List columns are comma-joined strings; timestamps
    are UTC.
  - ``parquet``: a directory partitioned by UTC day, ``conversation_date=YYYY-MM-DD/``,
    of the flattened ``conversations`` table including ``raw``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks import FORMATS, Format
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.paths import MARKER, ours_to_replace
from genesys_analytics.sinks.schema import CONVERSATIONS, Storage
from genesys_analytics.sinks.staging import (
    OUTPUT,
    PART,
    PREVIOUS,
    RUN_TABLE,
    remove,
    scratch_path,
    staging_path,
    sweep_scratch,
    tidy_scratch,
)
from genesys_analytics.sinks.store import DuckDBStore
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
    resume: bool = False,
    interval: Interval | None = None,
    force: bool = False,
) -> Sink:
    """Open the sink for ``fmt`` at ``path`` (see the module docstring for each format).

    ``interval`` restricts what a file output holds to records that start in it;
    ``force`` lets a file output replace a file that is not an earlier export of ours
    (see :mod:`genesys_analytics.sinks.paths`).
    """
    path = Path(path)
    if fmt == "duckdb":
        store = DuckDBStore(path, storages=storages, scratch_dir=scratch_path(path))
        sweep_scratch(scratch_path(path))
        return store
    if fmt in ("parquet", "jsonl", "csv"):
        if [s.dataset for s in storages] != [CONVERSATIONS_STORAGE.dataset]:
            raise ConfigError(
                f"--format {fmt} holds the conversations dataset only; "
                "use --format duckdb for other datasets."
            )
        return FileSink(path, fmt, resume=resume, interval=interval, force=force)
    raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")


class FileSink:
    """A file output staged in DuckDB and renamed into place on :meth:`commit`."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        *,
        resume: bool,
        interval: Interval | None = None,
        force: bool = False,
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.interval = interval
        self.force = force
        self.staging = staging_path(path)
        self.scratch = scratch_path(self.staging)
        self.tmp = self.scratch / OUTPUT
        if not resume:
            self._drop_staging()
        elif self.staging.exists():
            log.info("resuming from %s", self.staging)
        self._created = not self.staging.exists()
        self._checkpointed = False
        self.store: DuckDBStore | None = DuckDBStore(
            self.staging,
            tables=(CONVERSATIONS.name,),
            raw_only=fmt == "jsonl",
            scratch_dir=self.scratch,
        )
        sweep_scratch(self.scratch)
        con = self.store.con
        con.execute(f"CREATE TABLE IF NOT EXISTS {RUN_TABLE} (format VARCHAR, interval VARCHAR)")
        con.execute(f"DELETE FROM {RUN_TABLE}")
        con.execute(
            f"INSERT INTO {RUN_TABLE} VALUES (?, ?)",
            [fmt, None if interval is None else interval.iso()],
        )

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        return self._store().write(dataset, records)

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        self._store().checkpoint(dataset, chunk_key, meta)
        self._checkpointed = True

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self._store().done_chunks(dataset)

    def begin_snapshot(self, dataset: str) -> None:
        self._store().begin_snapshot(dataset)

    def commit(self) -> None:
        """Write the output in bounded memory, rename it into place, drop the staging.

        The output holds the records that start in ``interval``, whatever else the
        staging holds (a resumed run may ask for another interval than the one staged).
        What is at the final path is checked again first (it may have changed during a
        long export): only an earlier export of ours is replaced, or anything with
        ``force``.

        Every format is written in pieces small enough to sort under the store's memory
        cap (which stays in force; DuckDB spills to its temp directory if ever needed):
        ordered windows of at most ``JSONL_WINDOW`` rows for JSON Lines and CSV, one
        ordered ``COPY`` per UTC day for Parquet.
        """
        ours_to_replace(self.path, self.fmt, force=self.force)
        store = self._store()
        store.commit()
        store.con.execute("RESET threads")
        _select_rows(store.con, self.interval)
        remove(self.tmp)
        if self.fmt == "jsonl":
            self._write_jsonl(store)
        elif self.fmt == "csv":
            self._write_csv(store)
        else:
            self._write_parquet(store)
        store.close()
        self.store = None
        self._replace()
        self._drop_staging()

    def close(self) -> None:
        """Close; a staging file this sink created and never checkpointed into is removed."""
        if self.store is None:
            return
        self.store.close()
        self.store = None
        if self._created and not self._checkpointed:
            self._drop_staging()
        else:
            tidy_scratch(self.scratch)

    # -- internals ----------------------------------------------------------------------

    def _store(self) -> DuckDBStore:
        if self.store is None:
            raise RuntimeError(f"the {self.fmt} sink for {self.path} is closed")
        return self.store

    def _drop_staging(self) -> None:
        for p in (self.staging, self.staging.with_name(self.staging.name + ".wal")):
            remove(p)
        tidy_scratch(self.scratch)

    def _write_jsonl(self, store: DuckDBStore) -> None:
        """Stream the raw lines in order, one bounded window at a time.

        A single ``ORDER BY`` over the whole table would sort every raw document at once
        (gigabytes for a large export); a window of at most ``JSONL_WINDOW`` rows sorts
        in a few MB under the store's memory cap, so memory stays flat.
        """
        with self.tmp.open("w", encoding="utf-8", newline="\n") as f:
            for where, params in _windows(store.con):
                query = f"SELECT raw FROM {ROWS} WHERE {where} {ORDER}"
                cur = store.con.execute(query, params)
                while batch := cur.fetchmany(1000):
                    f.writelines(f"{raw}\n" for (raw,) in batch)
            f.flush()
            os.fsync(f.fileno())

    def _write_csv(self, store: DuckDBStore) -> None:
        """The header, then each ordered window copied by DuckDB and appended in order."""
        part = self.scratch / PART
        select = f"SELECT {', '.join(_csv_columns())} FROM {ROWS}"
        try:
            _copy(store.con, f"{select} LIMIT 0", [], self.tmp, "FORMAT csv, HEADER true")
            with self.tmp.open("ab") as out:
                for where, params in _windows(store.con):
                    query = f"{select} WHERE {where} {ORDER}"
                    _copy(store.con, query, params, part, "FORMAT csv, HEADER false")
                    with part.open("rb") as f:
                        shutil.copyfileobj(f, out)
                out.flush()
                os.fsync(out.fileno())
        finally:
            remove(part)

    def _write_parquet(self, store: DuckDBStore) -> None:
        """One ordered ``COPY`` per UTC day into its ``conversation_date=...`` directory.

        The layout of ``PARTITION_BY (conversation_date)`` (the partition column lives
        in the path; NULL goes to ``__HIVE_DEFAULT_PARTITION__``), but a partitioned copy
        of the whole table keeps a writer per day open at once, so its memory grows with
        the number of days; one day at a time stays under the memory cap. Row groups are
        capped in bytes because the writer buffers a whole one (a day of raw documents
        by default), which would not fit. The marker file (:data:`paths.MARKER`) that
        makes the directory recognisably ours is written last.
        """
        days = store.con.execute(
            f"SELECT DISTINCT conversation_date FROM {ROWS} ORDER BY 1 NULLS LAST"
        ).fetchall()
        self.tmp.mkdir()
        select = f"SELECT * EXCLUDE (conversation_date) FROM {ROWS}"
        for (day,) in days:
            if day is None:
                name, where, params = "__HIVE_DEFAULT_PARTITION__", "IS NULL", []
            else:
                name, where, params = day.isoformat(), "= ?", [day]
            target = self.tmp / f"conversation_date={name}" / "data_0.parquet"
            target.parent.mkdir()
            query = f"{select} WHERE conversation_date {where} {ORDER}"
            _copy(store.con, query, params, target, PARQUET_OPTIONS)
            _fsync_file(target)
        found = store.con.execute(f"SELECT count(*) FROM {ROWS}").fetchone()
        marker = {
            "written_by": "genesys-analytics",
            "format": "parquet",
            "dataset": CONVERSATIONS.name,
            "interval": None if self.interval is None else self.interval.iso(),
            "conversations": found[0] if found else 0,
            "finished_at": fmt(datetime.now(UTC)),
        }
        (self.tmp / MARKER).write_bytes(orjson.dumps(marker, option=orjson.OPT_INDENT_2))
        _fsync_file(self.tmp / MARKER)

    def _replace(self) -> None:
        """Move the written output to ``path``, replacing what is there (checked as ours).

        A file replaces a file in one rename. A directory cannot, so what is there is
        first moved into the scratch directory, then removed once the new one is in place.
        """
        if self.tmp.is_dir() and (self.path.exists() or self.path.is_symlink()):
            previous = self.scratch / PREVIOUS
            remove(previous)
            os.replace(self.path, previous)
            os.replace(self.tmp, self.path)
            remove(previous)
        else:
            os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)


#: The rows a file output holds: a view restricted to the requested interval at commit.
ROWS = "_output_rows"


def _select_rows(con: Any, interval: Interval | None) -> None:
    where = ""
    if interval is not None:
        lo, hi = (_timestamptz(t) for t in (interval.start, interval.end))
        where = f" WHERE conversation_start >= {lo} AND conversation_start < {hi}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {ROWS} AS SELECT * FROM conversations{where}")


def _timestamptz(t: datetime) -> str:
    return f"TIMESTAMPTZ '{t.astimezone(UTC).isoformat()}'"


ORDER = "ORDER BY conversation_start, conversation_id"

PARQUET_OPTIONS = "FORMAT parquet, ROW_GROUP_SIZE_BYTES '8MB'"

#: At most this many rows (unless one minute holds more) per ordered window
#: (JSON Lines and CSV).
JSONL_WINDOW = 5000


def _windows(con: Any) -> Iterator[tuple[str, list[Any]]]:
    """``WHERE`` clauses that, each sorted by ``ORDER``, give every row in that order.

    Windows of whole minutes of ``conversation_start``, then the rows without a start
    (last, where ``ORDER`` puts NULLs).
    """
    minutes = con.execute(
        f"SELECT date_trunc('minute', conversation_start) AS m, count(*) FROM {ROWS} "
        "WHERE conversation_start IS NOT NULL GROUP BY m ORDER BY m"
    ).fetchall()
    lo, n = None, 0
    for minute, count in minutes:
        if lo is None:
            lo = minute
        elif n + count > JSONL_WINDOW:
            yield "conversation_start >= ? AND conversation_start < ?", [lo, minute]
            lo, n = minute, 0
        n += count
    if lo is not None:
        yield "conversation_start >= ?", [lo]
    yield "conversation_start IS NULL", []


def _csv_columns() -> list[str]:
    """The flat columns without ``raw``; lists become comma-joined strings."""
    return [
        f"array_to_string({c.name}, ',') AS {c.name}" if c.sql_type.endswith("[]") else c.name
        for c in CONVERSATIONS.columns
        if c.name != "raw"
    ]


def _copy(con: Any, query: str, params: list[Any], target: Path, options: str) -> None:
    path = str(target).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{path}' ({options})", params)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


__all__ = ["FORMATS", "FileSink", "Format", "Sink", "open_sink"]
