"""The DuckDB store: typed tables, batched upserts and chunk checkpoints in one file.

Writes are upserts keyed by ``conversation_id``: when a conversation is written again,
its old row and all its child rows (participants, sessions, segments, session metrics)
are deleted and the new copy inserted, so a re-run or a retried chunk never duplicates
and the newer copy wins. That delete-then-insert, by key, inside the open transaction,
is what keeps keys unique: no dataset table carries a PRIMARY KEY, whose ART index lives in
DuckDB's capped memory and outgrew it (at 580,000–700,000 conversations under 80 MB).
Files written before (with ``PRIMARY KEY (conversation_id)``) keep their index and work as
before. The lookup of a batch's keys among stored rows is limited to the batch's range of
the storage's ``start`` column (a conversation's start never changes), so it does not grow
with the file.

A batch is held as one line of JSON per record (``record_json``: the bytes the service
sent, or ``orjson``'s; also the lossless ``raw``), compact bytes rather than dicts. A full
batch of conversations is flattened to Arrow tables on the caller's thread
(:mod:`genesys_analytics.sinks.ndjson`'s C++ JSON reader, beside the fetch threads, off the
writer's path), and DuckDB inserts from them as they are; a batch of another dataset goes
in as one NDJSON file (in ``scratch_dir``, by default a new directory in the system temp
folder) that DuckDB parses and flattens itself (:mod:`genesys_analytics.sinks.flat`).

Upserts tell *new* records from *updated* ones (an existing key whose ``raw`` changed):
:attr:`DuckDBStore.changes` counts both per dataset, so an incremental run can say what
it changed. A rewritten record with the same content counts as neither.

Every statement runs on a thread of its own (:mod:`genesys_analytics.sinks.worker`), in the
order the calls came in: DuckDB releases the GIL, so it inserts one batch while the
caller's thread gathers and flattens the next (two cores busy instead of one).
:meth:`write` hands a full batch over and returns (it waits only while a batch is already
queued: the bound on batches in memory); :meth:`checkpoint`, :meth:`commit`, :meth:`done_chunks` and
:attr:`changes` wait for what was handed over (a checkpoint that returned is durable);
:meth:`close` lets it finish (a second interrupt cuts it short), then rolls back what was
not committed. A failed statement is raised by the next call.

Transactions: each batch is committed once inserted (``commit_every`` batches' worth of
records: 1 by default). DuckDB keeps an Arrow table registered inside a transaction until
the transaction ends, so a transaction over many batches held them all (~6 MB each);
committing each one keeps two batches in memory at most. :meth:`DuckDBStore.checkpoint`
records the chunk in ``_export_chunks`` (with its dataset in ``meta``) after its last
batch, in the same commit, so a chunk is never recorded without its rows. A crash leaves
the committed rows of an unrecorded chunk in the file: resume reads the chunk again and
upserts it by key, so nothing is lost or doubled.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson

from genesys_analytics.api.records import record_json
from genesys_analytics.config import StoreSettings
from genesys_analytics.sinks.arrow_batch import ArrowBatch
from genesys_analytics.sinks.checkpoints import CHUNKS_TABLE, of_dataset
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE, ConversationStorage
from genesys_analytics.sinks.lookup import WITHIN, batch_range, replace_stored
from genesys_analytics.sinks.refusal import output_error
from genesys_analytics.sinks.schema import Storage, Table
from genesys_analytics.sinks.sql import as_str
from genesys_analytics.sinks.views import create_views
from genesys_analytics.sinks.worker import Worker

log = logging.getLogger(__name__)

# A batch is flushed at this many conversations or this many bytes of JSON, whichever
# comes first, so memory is bounded by the batch whatever the size of the export.
BATCH_SIZE = 2000
BATCH_BYTES = 8 << 20
#: DuckDB folds its WAL into the file once the WAL holds this much (its default: 16MB). Each
#: fold rewrites every table's last, partly filled row group, so folding after every commit
#: (~40 MB of WAL per 10,000 conversations) costs a fifth of the store's CPU; this bounds
#: the WAL a crash leaves to replay instead. :meth:`DuckDBStore.commit` folds it at the end.
CHECKPOINT_THRESHOLD = "1GB"
#: When the writer thread's queue has stayed empty this long, it commits what is written
#: and folds a WAL of ``IDLE_FOLD_BYTES`` into the file (``_fold_if_due``): a rate-bound
#: export's end then holds only its last batch (its pacing run ended 2.2 s after the last
#: response, 0.4 s with this), while a feeder that keeps the writer busy (a cpu-bound
#: export) leaves the fold to the end (one fold costs least).
IDLE_AFTER = 0.25
IDLE_FOLD_BYTES = 1 << 20
#: The NDJSON files batches go through, in the store's scratch directory: one being read by
#: the worker, one queued, one just written (taken in turn).
BATCH_FILES = tuple(f"batch-{i}.ndjson" for i in range(3))
# DuckDB's memory cap and thread count while writing: config.StoreSettings, from
# GENESYS_DUCKDB_MEMORY and GENESYS_DUCKDB_THREADS (readers, e.g. file sink commits, reset
# the threads).


def table_ddl(table: Table) -> str:
    """The table, without a key constraint: the store's upsert keeps keys unique (module doc)."""
    # ``raw`` compresses ~10x with zstd, and checkpoints it ~3x faster than the default.
    cols = ", ".join(
        f"{c.name} {c.sql_type}" + (" USING COMPRESSION zstd" if c.name == "raw" else "")
        for c in table.columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({cols})"


def _json_default(value: Any) -> Any:
    raise TypeError(f"cannot serialize {type(value).__name__}")


class DuckDBStore:
    """Dataset tables + checkpoints in one DuckDB file. One writer at a time."""

    json_records = True  # ``write`` reads a record's key and its JSON (``record_json``)

    def __init__(
        self,
        path: Path,
        *,
        storages: Sequence[Storage] = (CONVERSATIONS_STORAGE,),
        tables: Iterable[str] | None = None,
        batch_size: int = BATCH_SIZE,
        batch_bytes: int = BATCH_BYTES,
        commit_every: int = 1,
        scratch_dir: Path | None = None,
        settings: StoreSettings | None = None,
    ) -> None:
        self.settings = settings or StoreSettings.from_env()
        self.path = Path(path)
        only = None if tables is None else set(tables)
        self._storages = {s.dataset: s for s in storages}
        self._tables: dict[str, list[Table]] = {
            s.dataset: [t for t in s.tables if only is None or t.name in only] for s in storages
        }
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.commit_every = commit_every
        self._lock = threading.RLock()
        self._pending: dict[str, dict[str, bytes]] = {name: {} for name in self._storages}
        self._pending_bytes = 0
        self._batches = 0  # batch files written: which of BATCH_FILES is next
        self._uncommitted = 0
        self._in_txn = False
        self._changes: dict[str, list[int]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path))
        # After connecting: a scratch directory is only touched by the file's one writer.
        self._cleanup: Callable[[], Any]
        if scratch_dir is None:  # a directory of its own in the system temp folder
            self._tmpdir = Path(tempfile.mkdtemp(prefix="genesys-analytics-batch-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        else:  # the caller's: the batch file goes, and the directory if that emptied it
            scratch_dir.mkdir(parents=True, exist_ok=True)
            self._tmpdir = scratch_dir
            self._cleanup = weakref.finalize(self, _clear_scratch, scratch_dir)
        translate = functools.partial(output_error, self.path, self.settings.memory_limit)
        try:
            self._create(storages)
        except duckdb.Error as exc:
            self.con.close()
            error = translate(exc)
            if error is exc:
                raise
            raise error from exc
        me = weakref.ref(self)  # the thread must not keep the store alive

        def idle() -> None:
            store = me()
            if store is not None:
                store._fold_if_due()

        # Runs every statement from here on.
        self._worker = Worker(depth=1, idle=idle, idle_after=IDLE_AFTER, translate=translate)
        self._stop_worker = weakref.finalize(self, self._worker.stop, abort=True)

    def _create(self, storages: Sequence[Storage]) -> None:
        """Settings, the dataset tables, the checkpoints table and the report views."""
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{self.settings.memory_limit}'")
        self.con.execute(f"SET threads = {self.settings.threads}")
        self.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        for storage in storages:
            for table in self._tables[storage.dataset]:
                self.con.execute(table_ddl(table))
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} "
            "(chunk_key VARCHAR PRIMARY KEY, meta JSON, finished_at TIMESTAMPTZ)"
        )
        create_views(self.con)  # report views: genesys_analytics.sinks.views

    @property
    def changes(self) -> dict[str, list[int]]:
        """dataset → [new, updated] records written by this store object (see module doc)."""
        if self.con is not None and not self._worker.failed:
            self._worker.call(lambda: None)  # what was handed over is counted
        return self._changes

    @property
    def tables(self) -> list[Table]:
        return [t for ts in self._tables.values() for t in ts]

    # -- the Sink surface -------------------------------------------------------------

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        """Buffer records (newer copy of a key wins) and flush full batches."""
        storage = self._storage(dataset)
        pending = self._pending[dataset]
        n = 0
        with self._lock:
            for record in records:
                key = record.get(storage.key_field)
                if not isinstance(key, str):
                    log.warning("skipping a %s record without a %s", dataset, storage.key_field)
                    continue
                line = record_json(record)
                old = pending.pop(key, None)  # re-insert: the batch keeps arrival order
                if old is not None:
                    self._pending_bytes -= len(old) + 1
                pending[key] = line
                self._pending_bytes += len(line) + 1
                n += 1
                if len(pending) >= self.batch_size or self._pending_bytes >= self.batch_bytes:
                    self._flush()
        return n

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        """Flush, record the chunk and commit: the chunk and its rows become durable together."""
        storage = self._storage(dataset)
        text = orjson.dumps({**meta, "dataset": dataset}, default=_json_default).decode()
        with self._lock:
            self._flush()
            # Waited for: once this returns, the chunk is durable (a kill -9 keeps it).
            self._worker.call(functools.partial(self._record, storage, chunk_key, text))

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        """The checkpoints of ``dataset``: chunk key → what was recorded with it."""
        sql = f"SELECT chunk_key, meta FROM {CHUNKS_TABLE}"
        with self._lock:
            rows = self._worker.call(lambda: self.con.execute(sql).fetchall())
        return of_dataset(rows, dataset)

    def commit(self) -> None:
        """Flush and commit everything written, then fold the WAL into the file."""
        with self._lock:
            self._flush()
            self._worker.call(self._commit_all)

    def close(self) -> None:
        """Close once what was handed over has run; what was not committed is rolled back."""
        with self._lock:
            if self.con is None:
                return
            for pending in self._pending.values():
                pending.clear()
            self._pending_bytes = 0
            try:
                self._worker.stop()
            except BaseException:  # interrupted again while waiting: cut it short
                self._worker.stop(abort=True, interrupt=self.con.interrupt)
                raise
            finally:
                self._stop_worker.detach()
                self._close()

    # -- on the worker thread -----------------------------------------------------------

    def _record(self, storage: Storage, chunk_key: str, meta: str) -> None:
        self._begin()
        if storage.snapshot:
            self._swap(storage.dataset)
        self.con.execute(
            f"INSERT OR REPLACE INTO {CHUNKS_TABLE} VALUES (?, ?, ?)", [chunk_key, meta, _now()]
        )
        self._commit()

    def _fold_if_due(self) -> None:
        """When idle (``IDLE_AFTER``): commit what is written, and fold the WAL into the file
        once it holds ``IDLE_FOLD_BYTES``."""
        if self._uncommitted:
            self._commit()
        wal = self.path.with_name(self.path.name + ".wal")
        try:
            size = wal.stat().st_size
        except OSError:
            return
        if size >= IDLE_FOLD_BYTES:
            self._commit_all()

    def _commit_all(self) -> None:
        self._commit()
        self.con.execute("CHECKPOINT")

    def _write_batch(self, storage: Storage, path: Path, count: int) -> None:
        """Upsert one batch of NDJSON in the open transaction; commit every ``commit_every``."""
        self._begin()
        self._upsert(storage, str(path), count)
        self._uncommitted += count
        if self._uncommitted >= self.commit_every:
            self._commit()

    def _close(self) -> None:
        if self._in_txn:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error as exc:  # already aborted (e.g. by an interrupted query)
                log.debug("rollback on close: %s", exc)
            self._in_txn = False
        self.con.close()
        self.con = None  # type: ignore[assignment]
        self._cleanup()

    # -- internals ----------------------------------------------------------------------

    def _storage(self, dataset: str) -> Storage:
        storage = self._storages.get(dataset)
        if storage is None:
            raise ValueError(f"{self.path} was not opened for the {dataset} dataset")
        return storage

    def _begin(self) -> None:
        if not self._in_txn:
            self.con.execute("BEGIN TRANSACTION")
            self._in_txn = True

    def _commit(self) -> None:
        if self._in_txn:
            self.con.execute("COMMIT")
            self._in_txn = False
        self._uncommitted = 0

    def _flush(self) -> None:
        """Hand the pending batches over to the worker: conversations as Arrow tables built
        here (beside the fetch threads), other datasets as NDJSON files."""
        for dataset, pending in self._pending.items():
            if not pending:
                continue
            storage = self._storages[dataset]
            lines = list(pending.values())
            pending.clear()
            if isinstance(storage, ConversationStorage):
                # Built once the batch before it is being inserted: two batches at most
                # (one inserted, one built), not a third waiting for its turn.
                self._worker.wait_for_room()
                batch = ArrowBatch.of(storage, lines)
                self._worker.submit(functools.partial(self._write_arrow, storage, batch))
                continue
            path = self._tmpdir / BATCH_FILES[self._batches % len(BATCH_FILES)]
            self._batches += 1
            with path.open("wb") as f:
                f.write(b"\n".join(lines))
            self._worker.submit(functools.partial(self._write_batch, storage, path, len(lines)))
        self._pending_bytes = 0

    def _upsert(self, storage: Storage, path: str, total: int) -> None:
        tables = self._tables[storage.dataset]
        self.con.execute(storage.stage_sql(), [path])
        if storage.child_stages and any(t.name not in storage.key_tables for t in tables):
            for sql in storage.child_stages:
                self.con.execute(sql)
        if storage.snapshot:
            # A snapshot fills staging tables; its checkpoint swaps them in (``_swap``).
            for table in tables:
                self._snapshot_stage(table)
                insert = storage.insert_sql(table.name)
                self.con.execute(
                    insert.replace(f"INTO {table.name} ", f"INTO {_staged(table)} ", 1)
                )
            return
        batch = f"SELECT {as_str('j.' + storage.key_field)} AS k, raw FROM _batch"
        self._replace(storage, storage.batch_keys, batch, *batch_range(self.con, storage), total)
        for table in tables:
            self.con.execute(storage.insert_sql(table.name))

    def _write_arrow(self, storage: ConversationStorage, batch: ArrowBatch) -> None:
        """Upsert one batch of Arrow tables in the open transaction (as ``_write_batch``).

        DuckDB sees each table as ``_batch_<table>`` (what ``storage.batch_keys`` reads).
        """
        self._begin()
        views = {name: f"_batch_{name}" for name in batch.tables}
        for name, view in views.items():
            self.con.register(view, batch.tables[name])
        try:
            within, bounds = "", []
            if batch.bounds is not None and storage.start is not None:
                within = WITHIN.format(storage.start[0])
                bounds = list(batch.bounds)
            first = views[storage.tables[0].name]
            raw = f"SELECT {storage.key_column} AS k, raw FROM {first}"
            self._replace(storage, storage.batch_keys, raw, within, bounds, batch.rows)
            for table in self._tables[storage.dataset]:
                names = ", ".join(storage.columns(table.name))
                self.con.execute(
                    f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {views[table.name]}"
                )
        finally:  # after a failed statement, the error that aborted the transaction counts
            for view in views.values():
                with contextlib.suppress(duckdb.Error):
                    self.con.unregister(view)
        self._uncommitted += batch.rows
        if self._uncommitted >= self.commit_every:
            self._commit()

    def _replace(
        self,
        storage: Storage,
        keys: str,
        batch: str,
        within: str,
        bounds: list[Any],
        total: int,
    ) -> None:
        """Count the batch's new and updated records and delete the stored copies of its keys
        (:func:`~genesys_analytics.sinks.lookup.replace_stored`)."""
        tables = self._tables[storage.dataset]
        existing, updated = replace_stored(self.con, storage, tables, keys, batch, within, bounds)
        counts = self._changes.setdefault(storage.dataset, [0, 0])
        counts[0] += total - existing
        counts[1] += updated

    # -- snapshots ----------------------------------------------------------------------

    def begin_snapshot(self, dataset: str) -> None:
        """Start reading ``dataset`` afresh: what an earlier, failed read staged is dropped."""
        storage = self._storage(dataset)

        def drop() -> None:
            for table in self._tables[dataset]:
                self.con.execute(f"DROP TABLE IF EXISTS {_staged(table)}")

        with self._lock:
            self._pending[dataset].clear()
            self._worker.call(drop)
        if not storage.snapshot:
            raise ValueError(f"the {dataset} dataset is not a snapshot")

    def _snapshot_stage(self, table: Table) -> None:
        self.con.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_staged(table)} AS "
            f"SELECT * FROM {table.name} LIMIT 0"
        )

    def _swap(self, dataset: str) -> None:
        """Replace the snapshot tables of ``dataset`` with what was staged (in the open txn)."""
        for table in self._tables[dataset]:
            self._snapshot_stage(table)
            self.con.execute(f"DELETE FROM {table.name}")
            self.con.execute(f"INSERT INTO {table.name} SELECT * FROM {_staged(table)}")
            self.con.execute(f"DROP TABLE {_staged(table)}")


def _staged(table: Table) -> str:
    return f"_snapshot_{table.name}"


def _clear_scratch(directory: Path) -> None:
    for name in BATCH_FILES:
        (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        directory.rmdir()


def _now() -> datetime:
    return datetime.now(timezone.utc)
