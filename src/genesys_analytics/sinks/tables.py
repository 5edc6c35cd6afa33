"""What a file export writes: each chunk's part of every table, then the output from the parts.

Per format, the tables of a dataset are those of the DuckDB store (:mod:`sinks.schema`):

- ``jsonl``: one file per record table, ``<table>.jsonl``, each line a record as the API
  gave it (a conversation with its participants, sessions, segments and metrics nested,
  as the ``raw`` column holds it). A part is the chunk's lines, written by Python alone.
- ``csv``: one file per table, ``<table>.csv``, with a header and without ``raw``; lists
  are comma-joined, timestamps UTC.
- ``parquet``: one directory per table, ``<table>/``, including ``raw``. A table of a
  time-based dataset is hive-partitioned by UTC date: by its own date column
  (``conversation_date``, ``start_date``), and a child table of conversations by its
  conversation's ``conversation_date``, so every table of a day sits in that day's
  partitions. A dimension list's table is one unpartitioned file.

CSV and Parquet parts are written a piece of a chunk at a time. Conversations go through
Arrow alone: the spooled JSON lines are read by Arrow's JSON reader
(:func:`~genesys_analytics.sinks.ndjson.conversation_tables_json`) and the tables written by
:mod:`~genesys_analytics.sinks.arrow_files` (CSV byte for byte as DuckDB's COPY writes it;
Parquet partitioned as DuckDB's ``PARTITION_BY`` lays it out), two pieces side by side
(:mod:`~genesys_analytics.sinks.arrow_parts`). The other datasets are
flattened by the store's own SQL in an in-memory DuckDB, which copies them out. The output
is then assembled in chunk order: JSON Lines and CSV parts concatenated (a CSV header once),
Parquet part files linked into place as ``data_<n>.parquet``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from genesys_analytics.sinks.arrow_parts import ArrowParts, date_column
from genesys_analytics.sinks.parts import PartChunk
from genesys_analytics.sinks.schema import Storage, Table
from genesys_analytics.sinks.store import table_ddl

NDJSON = "part.ndjson"
#: The dataset whose tables are flattened by :mod:`.columns`, not by DuckDB's SQL.
CONVERSATIONS = "conversations"
PARQUET_OPTIONS = "FORMAT parquet, ROW_GROUP_SIZE_BYTES '8MB'"
#: Records flattened by DuckDB at a time (CSV, Parquet): a few MB of JSON. Measured on
#: a day of 15,000 conversations: 1,000 peaks at 210 MB RSS but pays per-statement
#: overhead; 5,000 peaks at 250 MB; 2,500 at 236 MB, about as fast as 5,000.
PIECE = 2500
#: DuckDB's cap while flattening a piece, far above what one uses (the in-memory tables of a
#: piece cannot spill: 2,000 records ran out of memory at 64 MB).
MEMORY_LIMIT = "128MB"
THREADS = 1


def record_tables(storage: Storage) -> tuple[Table, ...]:
    """The tables with one row per record: what a JSON Lines export holds."""
    return tuple(t for t in storage.tables if t.name in storage.key_tables)


def table_file(table: Table, fmt: str) -> str:
    """A table's name in the output (a file, or a directory for Parquet)."""
    return table.name if fmt == "parquet" else f"{table.name}.{fmt}"


class PartWriter:
    """Writes one chunk's records as its part of each table, in a chunk directory."""

    def __init__(self, fmt: str, spill: Path) -> None:
        """``spill``: DuckDB's temp directory, should a piece ever outgrow its cap."""
        self.fmt = fmt
        self.spill = spill
        self._con: duckdb.DuckDBPyConnection | None = None
        self._created: set[str] = set()
        self._arrow = ArrowParts(fmt) if fmt in ("csv", "parquet") else None

    def write(
        self, storage: Storage, records: Iterable[tuple[int, bytes]], directory: Path
    ) -> dict[str, int]:
        """Write ``(table, record)`` pairs in order; the rows per table.

        CSV and Parquet are flattened ``PIECE`` records at a time (conversations: by
        :class:`~.arrow_parts.ArrowParts`), so memory stays small however large a chunk is
        (a busy day read by one job).
        """
        if self.fmt == "jsonl":
            return self._jsonl(storage, records, directory)
        if storage.dataset == CONVERSATIONS and self._arrow is not None:
            return self._arrow.write(storage, records, directory)
        rows: dict[str, int] = {t.name: 0 for t in storage.tables}
        piece: list[bytes] = []
        index = 0
        for _table, record in records:
            piece.append(record)
            if len(piece) >= PIECE:
                self._piece(storage, piece, directory, index, rows)
                piece, index = [], index + 1
        if piece or not index:
            self._piece(storage, piece, directory, index, rows)
        return rows

    def _piece(
        self,
        storage: Storage,
        piece: list[bytes],
        directory: Path,
        index: int,
        rows: dict[str, int],
    ) -> None:
        for name, n in self._flatten(storage, piece, directory, index).items():
            rows[name] += n

    def close(self) -> None:
        if self._arrow is not None:
            self._arrow.close()
        if self._con is not None:
            self._con.close()
            self._con = None
            self._created.clear()

    def _jsonl(
        self, storage: Storage, records: Iterable[tuple[int, bytes]], directory: Path
    ) -> dict[str, int]:
        tables = record_tables(storage)
        files: dict[int, BinaryIO] = {}
        rows: dict[str, int] = {}
        try:
            for table, record in records:
                f = files.get(table)
                if f is None:
                    name = tables[table].name
                    f = files[table] = (directory / f"{name}.jsonl").open("wb", buffering=1 << 20)
                    rows[name] = 0
                f.write(record)
                f.write(b"\n")
                rows[tables[table].name] += 1
        finally:
            for f in files.values():
                f.close()
        return rows

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            self._con.execute(f"SET threads = {THREADS}")
            spill = str(self.spill).replace("'", "''")
            self._con.execute(f"SET temp_directory = '{spill}'")
        return self._con

    def _flatten(
        self, storage: Storage, piece: list[bytes], directory: Path, index: int
    ) -> dict[str, int]:
        """One piece: its rows of each table, appended to each table's part."""
        con = self._connection()
        rows = self._staged(con, storage, piece, directory)
        for table in storage.tables:
            if self.fmt == "csv":
                target = directory / f"{table.name}.csv"
                scratch = directory / f"{table.name}.csv.piece"
                query = f"SELECT {', '.join(csv_columns(table))} FROM {table.name}"
                _copy(con, query, scratch, "FORMAT csv, HEADER false")
                with scratch.open("rb") as f, target.open("ab") as out:
                    shutil.copyfileobj(f, out, 1 << 20)
                scratch.unlink()
            else:
                part = directory / table.name / str(index)
                part.parent.mkdir(exist_ok=True)
                self._parquet(con, storage, table, part)
        return rows

    def _staged(
        self, con: duckdb.DuckDBPyConnection, storage: Storage, piece: list[bytes], directory: Path
    ) -> dict[str, int]:
        """Other datasets: parsed and flattened by the store's own SQL into DuckDB tables."""
        source = directory / NDJSON
        with source.open("wb") as f:
            f.writelines(record + b"\n" for record in piece)
        try:
            for table in storage.tables:
                if table.name not in self._created:
                    con.execute(table_ddl(table))
                    self._created.add(table.name)
                con.execute(f"DELETE FROM {table.name}")
            con.execute(storage.stage_sql(), [str(source)])
        finally:
            source.unlink()
        for sql in storage.child_stages:
            con.execute(sql)
        rows: dict[str, int] = {}
        for table in storage.tables:
            con.execute(storage.insert_sql(table.name))
            found = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()
            rows[table.name] = found[0] if found else 0
        return rows

    def _parquet(self, con: Any, storage: Storage, table: Table, target: Path) -> None:
        own = date_column(table)
        first = storage.tables[0]
        parent = date_column(first)
        if own is not None:
            query, by = f"SELECT * FROM {table.name}", own
        elif parent is not None:
            key = storage.key_column
            query = (
                f"SELECT t.*, p.{parent} FROM {table.name} t "
                f"JOIN (SELECT {key}, {parent} FROM {first.name}) p USING ({key})"
            )
            by = parent
        else:
            target.mkdir()
            _copy(con, f"SELECT * FROM {table.name}", target / "data_0.parquet", PARQUET_OPTIONS)
            return
        _copy(con, query, target, f"{PARQUET_OPTIONS}, PARTITION_BY ({by})")


def csv_columns(table: Table) -> list[str]:
    """A table's columns in CSV: without ``raw``; lists become comma-joined strings."""
    return [
        f"array_to_string({c.name}, ',') AS {c.name}" if c.sql_type.endswith("[]") else c.name
        for c in table.columns
        if c.name != "raw"
    ]


def csv_header(table: Table) -> bytes:
    return (",".join(c.name for c in table.columns if c.name != "raw") + "\n").encode()


def assemble(
    fmt: str, storages: Sequence[Storage], chunks: Sequence[PartChunk], out: Path
) -> dict[str, int]:
    """Build the output directory ``out`` from the parts; the rows per table."""
    out.mkdir()
    rows: dict[str, int] = {}
    for storage in storages:
        mine = sorted((c for c in chunks if c.dataset == storage.dataset), key=_order)
        tables = record_tables(storage) if fmt == "jsonl" else storage.tables
        for table in tables:
            rows[table.name] = sum(c.rows.get(table.name, 0) for c in mine)
            target = out / table_file(table, fmt)
            if fmt == "parquet":
                link_parquet(table, mine, target)
            else:
                concatenate(table, fmt, mine, target)
    return rows


def concatenate(table: Table, fmt: str, chunks: Sequence[PartChunk], target: Path) -> None:
    """One JSON Lines or CSV file from the chunks' parts of ``table``, in chunk order."""
    name = f"{table.name}.{fmt}"
    with target.open("wb") as out:
        if fmt == "csv":
            out.write(csv_header(table))
        for chunk in chunks:
            part = chunk.path / name
            if part.is_file():
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())


def link_parquet(table: Table, chunks: Sequence[PartChunk], target: Path) -> None:
    """A table's directory from the chunks' Parquet parts: hard links (copies if linking
    fails), named ``data_<n>.parquet`` in each partition in chunk order. A table without
    rows gets one empty file, so that readers find its columns."""
    target.mkdir()
    numbers: dict[Path, int] = {}
    for chunk in chunks:
        part = chunk.path / table.name
        if not part.is_dir():
            continue
        for piece in sorted((p for p in part.iterdir() if p.name.isdigit()), key=_number):
            for file in sorted(piece.rglob("*.parquet")):
                where = target / file.parent.relative_to(piece)
                n = numbers.get(where, 0)
                numbers[where] = n + 1
                where.mkdir(parents=True, exist_ok=True)
                dest = where / f"data_{n}.parquet"
                try:
                    os.link(file, dest)
                except OSError:
                    shutil.copyfile(file, dest)
    if not numbers:
        with duckdb.connect() as con:
            con.execute(table_ddl(table))
            _copy(con, f"SELECT * FROM {table.name}", target / "data_0.parquet", PARQUET_OPTIONS)


def _number(path: Path) -> int:
    return int(path.name)


def _order(chunk: PartChunk) -> tuple[str, int]:
    return (str(chunk.meta.get("start", "")), chunk.seq)


def _copy(con: Any, query: str, target: Path, options: str) -> None:
    path = str(target).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{path}' ({options})")


__all__ = [
    "PartWriter",
    "assemble",
    "csv_columns",
    "csv_header",
    "date_column",
    "record_tables",
    "table_file",
]
