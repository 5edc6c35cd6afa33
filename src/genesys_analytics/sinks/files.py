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
  ``conversations`` table with its ``raw`` column, plus the checkpoints): DuckDB does
  the dedupe (newer copy wins) on disk, so memory stays flat however large the export.
  ``commit()`` writes ``<path>.tmp``, renames it to ``<path>`` and removes the staging
  file, so a crash never leaves a file at the final path that looks complete.
  ``resume=True`` reuses the staging file and its checkpoints; ``resume=False`` deletes
  any staging left by an interrupted run and starts fresh.
  - ``jsonl``: the raw conversations, one per line, ordered by ``conversationStart``.
  - ``csv``: the flattened ``conversations`` table with a header and *without* the
    ``raw`` column (a JSON document per cell helps nobody in a spreadsheet; use jsonl
    or duckdb for lossless data). List columns are comma-joined strings; timestamps
    are UTC.
  - ``parquet``: a directory partitioned by UTC day, ``conversation_date=YYYY-MM-DD/``,
    of the flattened ``conversations`` table including ``raw``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import CONVERSATIONS, Storage

if TYPE_CHECKING:  # DuckDB loads when a sink opens, not when the CLI lists FORMATS
    from genesys_analytics.sinks.store import DuckDBStore

log = logging.getLogger(__name__)

Format = Literal["duckdb", "parquet", "jsonl", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)


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
) -> Sink:
    """Open the sink for ``fmt`` at ``path`` (see the module docstring for each format)."""
    from genesys_analytics.sinks.store import DuckDBStore

    path = Path(path)
    if fmt == "duckdb":
        return DuckDBStore(path, storages=storages)
    if fmt in ("parquet", "jsonl", "csv"):
        if [s.dataset for s in storages] != [CONVERSATIONS_STORAGE.dataset]:
            raise ConfigError(
                f"--format {fmt} holds the conversations dataset only; "
                "use --format duckdb for other datasets."
            )
        return FileSink(path, fmt, resume=resume)
    raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")


def staging_path(path: Path) -> Path:
    return path.with_name(path.name + ".staging.duckdb")


def temp_path(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class FileSink:
    """A file output staged in DuckDB and renamed into place on :meth:`commit`."""

    def __init__(self, path: Path, fmt: str, *, resume: bool) -> None:
        from genesys_analytics.sinks.store import DuckDBStore

        self.path = path
        self.fmt = fmt
        self.staging = staging_path(path)
        self.tmp = temp_path(path)
        for leftover in (self.tmp, self.tmp.with_name(self.tmp.name + ".part")):
            _remove(leftover)
        if not resume:
            self._drop_staging()
        elif self.staging.exists():
            log.info("resuming from %s", self.staging)
        self.store: DuckDBStore | None = DuckDBStore(
            self.staging, tables=(CONVERSATIONS.name,), raw_only=fmt == "jsonl"
        )

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        return self._store().write(dataset, records)

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        self._store().checkpoint(dataset, chunk_key, meta)

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self._store().done_chunks(dataset)

    def begin_snapshot(self, dataset: str) -> None:
        self._store().begin_snapshot(dataset)

    def commit(self) -> None:
        """Write ``<path>.tmp`` in bounded memory, rename it into place, drop the staging.

        Every format is written in pieces small enough to sort under the store's memory
        cap (which stays in force; DuckDB spills to its temp directory if ever needed):
        ordered windows of at most ``JSONL_WINDOW`` rows for JSON Lines and CSV, one
        ordered ``COPY`` per UTC day for Parquet.
        """
        store = self._store()
        store.commit()
        store.con.execute("RESET threads")
        _remove(self.tmp)
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
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- internals ----------------------------------------------------------------------

    def _store(self) -> DuckDBStore:
        if self.store is None:
            raise RuntimeError(f"the {self.fmt} sink for {self.path} is closed")
        return self.store

    def _drop_staging(self) -> None:
        for p in (self.staging, self.staging.with_name(self.staging.name + ".wal")):
            _remove(p)

    def _write_jsonl(self, store: DuckDBStore) -> None:
        """Stream the raw lines in order, one bounded window at a time.

        A single ``ORDER BY`` over the whole table would sort every raw document at once
        (gigabytes for a large export); a window of at most ``JSONL_WINDOW`` rows sorts
        in a few MB under the store's memory cap, so memory stays flat.
        """
        with self.tmp.open("w", encoding="utf-8", newline="\n") as f:
            for where, params in _windows(store.con):
                query = f"SELECT raw FROM conversations WHERE {where} {ORDER}"
                cur = store.con.execute(query, params)
                while batch := cur.fetchmany(1000):
                    f.writelines(f"{raw}\n" for (raw,) in batch)
            f.flush()
            os.fsync(f.fileno())

    def _write_csv(self, store: DuckDBStore) -> None:
        """The header, then each ordered window copied by DuckDB and appended in order."""
        part = self.tmp.with_name(self.tmp.name + ".part")
        select = f"SELECT {', '.join(_csv_columns())} FROM conversations"
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
            _remove(part)

    def _write_parquet(self, store: DuckDBStore) -> None:
        """One ordered ``COPY`` per UTC day into its ``conversation_date=...`` directory.

        The layout of ``PARTITION_BY (conversation_date)`` (the partition column lives
        in the path; NULL goes to ``__HIVE_DEFAULT_PARTITION__``), but a partitioned copy
        of the whole table keeps a writer per day open at once, so its memory grows with
        the number of days; one day at a time stays under the memory cap. Row groups are
        capped in bytes because the writer buffers a whole one (a day of raw documents
        by default), which would not fit.
        """
        days = store.con.execute(
            "SELECT DISTINCT conversation_date FROM conversations ORDER BY 1 NULLS LAST"
        ).fetchall()
        self.tmp.mkdir()
        select = "SELECT * EXCLUDE (conversation_date) FROM conversations"
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

    def _replace(self) -> None:
        """Move ``<path>.tmp`` to ``<path>``; an older output there is replaced."""
        if self.tmp.is_dir():
            old = self.path.with_name(self.path.name + ".old")
            if self.path.exists():
                _remove(old)
                os.replace(self.path, old)
            os.replace(self.tmp, self.path)
            _remove(old)
        else:
            os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)


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
        "SELECT date_trunc('minute', conversation_start) AS m, count(*) FROM conversations "
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


__all__ = ["FORMATS", "FileSink", "Format", "Sink", "open_sink", "staging_path", "temp_path"]
