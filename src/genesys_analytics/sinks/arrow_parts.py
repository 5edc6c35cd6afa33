"""A chunk's conversations as CSV or Parquet parts, a piece at a time, pieces side by side.

The records are cut into pieces of :data:`PIECE`; each piece is flattened by Arrow
(:func:`~genesys_analytics.sinks.ndjson.conversation_tables_json`) and encoded
(:mod:`~genesys_analytics.sinks.arrow_files`) on one of :data:`THREADS` threads, while the
caller's thread reads the next records. Arrow's C++ (the JSON reader, the kernels, the
Parquet writer) runs without the GIL, so two pieces use both cores, and a chunk that ends
last (a serial tail after the last fetch) takes about half as long. What the parts hold
does not change: CSV text is appended to each table's part in piece order by the caller's
thread; a Parquet piece writes its own directory, ``<table>/<piece>/``. At most
:data:`AHEAD` pieces are in flight, so memory stays bounded however large a chunk is.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from genesys_analytics.sinks.arrow_files import csv_text, write_parquet
from genesys_analytics.sinks.ndjson import conversation_tables_json
from genesys_analytics.sinks.schema import Storage, Table

if TYPE_CHECKING:
    import pyarrow as pa

#: Conversations flattened at a time. When they were flattened from dicts, 2,500 peaked at
#: 348 MB RSS on a day of 15,000, 1,000 at 272 MB; from JSON lines, 1,000, 2,500 and 5,000
#: cost about the same CPU.
PIECE = 1000
#: Pieces flattened at once (the machine's cores), and at most in flight.
THREADS = 2
AHEAD = THREADS + 1

#: One piece's result: rows per table, and (CSV) each table's text to append, in order.
_Result = tuple[dict[str, int], list[tuple[str, memoryview]]]


def date_column(table: Table) -> str | None:
    return next((c.name for c in table.columns if c.sql_type == "DATE"), None)


class ArrowParts:
    """Writes chunks' conversations as their CSV or Parquet parts (see the module doc)."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._pool: ThreadPoolExecutor | None = None
        # Arrow's modules take a second to import: done beside the first pages' fetching
        self._warm = threading.Thread(target=_import_arrow, args=(fmt,), name="arrow-import")
        self._warm.start()

    def write(
        self, storage: Storage, records: Iterable[tuple[int, bytes]], directory: Path
    ) -> dict[str, int]:
        """Write ``(table, record)`` pairs in order into ``directory``; the rows per table."""
        rows: dict[str, int] = {t.name: 0 for t in storage.tables}
        pending: deque[Future[_Result]] = deque()

        def submit(piece: list[bytes], index: int) -> None:
            pool = self._executor()
            pending.append(pool.submit(self._piece, storage, piece, directory, index))
            while len(pending) >= AHEAD:
                self._collect(pending.popleft().result(), directory, rows)

        piece: list[bytes] = []
        index = 0
        try:
            for _table, record in records:
                piece.append(record)
                if len(piece) >= PIECE:
                    submit(piece, index)
                    piece, index = [], index + 1
            if piece or not index:
                submit(piece, index)
            while pending:
                self._collect(pending.popleft().result(), directory, rows)
        finally:
            for future in pending:  # after a failure: nothing still writes into ``directory``
                future.cancel()
                if not future.cancelled():
                    future.exception()
        return rows

    def close(self) -> None:
        self._warm.join()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # -- internals ----------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="part")
        return self._pool

    def _collect(self, result: _Result, directory: Path, rows: dict[str, int]) -> None:
        counts, texts = result
        for name, n in counts.items():
            rows[name] += n
        for name, text in texts:
            if len(text):
                with (directory / f"{name}.csv").open("ab") as out:
                    out.write(text)

    def _piece(self, storage: Storage, piece: list[bytes], directory: Path, index: int) -> _Result:
        """One piece: flattened, then its CSV text (appended by the caller, in order) or its
        Parquet files, ``<table>/<index>/``."""
        arrow = conversation_tables_json(piece)
        counts = {name: table.num_rows for name, table in arrow.items()}
        texts: list[tuple[str, memoryview]] = []
        for table in storage.tables:
            rows = arrow[table.name]
            if self.fmt == "csv":
                found = rows.drop_columns(["raw"]) if "raw" in table.names else rows
                texts.append((table.name, csv_text(found)))
            else:
                by, values = _partitions(storage, table, rows, arrow[storage.tables[0].name])
                write_parquet(rows, table, directory / table.name / str(index), by, values)
        return counts, texts


def _partitions(
    storage: Storage, table: Table, rows: pa.Table, first: pa.Table
) -> tuple[str | None, pa.ChunkedArray | None]:
    """The column a table's Parquet part is partitioned by, and each row's value of it: its
    own date column, or (a child table) its record's row's."""
    import pyarrow.compute as pc

    by = date_column(table) or date_column(storage.tables[0])
    if by is not None and by in table.names:
        return by, rows.column(by)
    if by is not None:
        key = storage.key_column
        at = pc.index_in(rows.column(key), value_set=first.column(key))
        return by, first.column(by).take(at)
    return None, None


def _import_arrow(fmt: str) -> None:
    """Import what writing parts uses; a failure here is left for the writing to report."""
    try:
        import pyarrow.compute
        import pyarrow.json

        if fmt == "parquet":
            import pyarrow.parquet  # noqa: F401
        conversation_tables_json([b"{}"])  # the reader's schema, built once
    except Exception:
        pass


__all__ = ["AHEAD", "PIECE", "THREADS", "ArrowParts", "date_column"]
