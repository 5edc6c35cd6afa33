"""Where an export goes: a DuckDB file (default), Parquet, JSON Lines or CSV.

Every sink has the same surface (:class:`Sink`): ``write`` conversations, ``checkpoint``
a finished chunk, list ``done_chunks`` (for ``--resume``/``--incremental``), ``commit``
when the export is complete, ``close``. ``write`` and ``checkpoint`` belong to one
writer thread.

- ``duckdb`` writes straight into the target file (see :mod:`genesys_analytics.store`):
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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from genesys_analytics.errors import ConfigError
from genesys_analytics.records import CONVERSATIONS
from genesys_analytics.store import DuckDBStore

log = logging.getLogger(__name__)

Format = Literal["duckdb", "parquet", "jsonl", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)


class Sink(Protocol):
    def write(self, conversations: Iterable[dict[str, Any]]) -> int: ...
    def checkpoint(self, chunk_key: str, meta: dict[str, Any]) -> None: ...
    def done_chunks(self) -> dict[str, dict[str, Any]]: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


def open_sink(path: Path | str, fmt: str = "duckdb", *, resume: bool = False) -> Sink:
    """Open the sink for ``fmt`` at ``path`` (see the module docstring for each format)."""
    path = Path(path)
    if fmt == "duckdb":
        return DuckDBStore(path)
    if fmt in ("parquet", "jsonl", "csv"):
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
        self.path = path
        self.fmt = fmt
        self.staging = staging_path(path)
        self.tmp = temp_path(path)
        _remove(self.tmp)
        if not resume:
            self._drop_staging()
        elif self.staging.exists():
            log.info("resuming from %s", self.staging)
        self.store: DuckDBStore | None = DuckDBStore(
            self.staging, tables=(CONVERSATIONS.name,), keys_only=fmt == "jsonl"
        )

    def write(self, conversations: Iterable[dict[str, Any]]) -> int:
        return self._store().write(conversations)

    def checkpoint(self, chunk_key: str, meta: dict[str, Any]) -> None:
        self._store().checkpoint(chunk_key, meta)

    def done_chunks(self) -> dict[str, dict[str, Any]]:
        return self._store().done_chunks()

    def commit(self) -> None:
        store = self._store()
        store.commit()
        store.con.execute("RESET threads")
        _remove(self.tmp)
        if self.fmt == "jsonl":
            self._write_jsonl(store)
        elif self.fmt == "csv":
            store.con.execute("RESET memory_limit")
            self._copy(store, self._csv_select(), "FORMAT csv, HEADER true")
        else:
            # One ordered copy of the whole table: lift the writer's memory cap for it.
            store.con.execute("RESET memory_limit")
            order = "ORDER BY conversation_start, conversation_id"
            self._copy(
                store,
                f"SELECT * FROM conversations {order}",
                "FORMAT parquet, PARTITION_BY (conversation_date)",
            )
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
        """Stream the raw lines in order, one bounded time window at a time.

        A single ``ORDER BY`` over the whole table would sort every raw document at once
        (gigabytes for a large export); a window of at most ``JSONL_WINDOW`` rows sorts
        in a few MB under the store's memory cap, so memory stays flat.
        """
        with self.tmp.open("w", encoding="utf-8", newline="\n") as f:
            for sql, params in _jsonl_queries(store.con):
                cur = store.con.execute(sql, params)
                while batch := cur.fetchmany(1000):
                    f.writelines(f"{raw}\n" for (raw,) in batch)
            f.flush()
            os.fsync(f.fileno())

    @staticmethod
    def _csv_select() -> str:
        cols = []
        for c in CONVERSATIONS.columns:
            if c.name == "raw":
                continue
            if c.sql_type.endswith("[]"):
                cols.append(f"array_to_string({c.name}, ',') AS {c.name}")
            else:
                cols.append(c.name)
        return (
            f"SELECT {', '.join(cols)} FROM conversations "
            "ORDER BY conversation_start, conversation_id"
        )

    def _copy(self, store: DuckDBStore, select: str, options: str) -> None:
        target = str(self.tmp).replace("'", "''")
        store.con.execute(f"COPY ({select}) TO '{target}' ({options})")
        files = [p for p in self.tmp.rglob("*") if p.is_file()] if self.tmp.is_dir() else [self.tmp]
        for file in files:
            _fsync_file(file)

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


#: At most this many rows (unless one minute holds more) per ordered JSON Lines query.
JSONL_WINDOW = 5000


def _jsonl_queries(con: Any) -> Iterator[tuple[str, list[Any]]]:
    """Queries that together give every raw line, ordered by (start, id), NULL starts last."""
    minutes = con.execute(
        "SELECT date_trunc('minute', conversation_start) AS m, count(*) FROM conversations "
        "WHERE conversation_start IS NOT NULL GROUP BY m ORDER BY m"
    ).fetchall()
    window = (
        "SELECT raw FROM conversations WHERE conversation_start >= ? {} "
        "ORDER BY conversation_start, conversation_id"
    )
    lo, n = None, 0
    for minute, count in minutes:
        if lo is None:
            lo = minute
        elif n + count > JSONL_WINDOW:
            yield window.format("AND conversation_start < ?"), [lo, minute]
            lo, n = minute, 0
        n += count
    if lo is not None:
        yield window.format(""), [lo]
    yield (
        "SELECT raw FROM conversations WHERE conversation_start IS NULL ORDER BY conversation_id",
        [],
    )


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
