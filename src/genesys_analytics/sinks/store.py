"""The DuckDB store: typed tables, batched upserts and chunk checkpoints in one file.

Writes are upserts keyed by ``conversation_id``: when a conversation is written again,
its old row and all its child rows (participants, sessions, segments, session metrics)
are deleted and the new copy inserted, so a re-run or a retried chunk never duplicates
and the newer copy wins. Only ``conversations`` carries a PRIMARY KEY constraint: child
rows are replaced per conversation, and a constraint on them would reject real records
that lack an id (missing keys are NULL, never an error).

A batch goes in as one NDJSON file (``orjson`` per conversation, which is also the
lossless ``raw``) that DuckDB parses and flattens itself (:mod:`genesys_analytics.sinks.flatten`):
no per-row Python work, and the pending batch is held as compact bytes, not dicts.

Transactions: rows written since the last checkpoint sit in one open transaction;
:meth:`DuckDBStore.checkpoint` records the chunk in ``_export_chunks`` and commits, so
a chunk is never recorded without its rows. A crash (or :meth:`close` without a
checkpoint) rolls uncheckpointed rows back; they are re-read on resume. A very long
chunk is committed every ``commit_every`` conversations *without* a checkpoint, which
keeps the transaction bounded and still never records an incomplete chunk.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson

from genesys_analytics.sinks import flatten as flattener
from genesys_analytics.sinks.schema import SCHEMA, Table
from genesys_analytics.sinks.views import create_views

log = logging.getLogger(__name__)

CHUNKS_TABLE = "_export_chunks"
# A batch is flushed at this many conversations or this many bytes of JSON, whichever
# comes first, so memory is bounded by the batch whatever the size of the export.
BATCH_SIZE = 2000
BATCH_BYTES = 8 << 20
# DuckDB's buffer pool defaults to 80% of RAM and is never given back during an export:
# RSS then grows with the size of the export. A fixed limit keeps it flat (it spills to
# a temp directory beside the file if ever needed).
MEMORY_LIMIT = "80MB"
# One DuckDB thread while writing: a batch is one stream that a second thread barely
# speeds up, each thread needs its own buffers under the cap, and the other core is
# left to the HTTP workers. Readers (file sink commits) reset it.
WRITE_THREADS = 1


def table_ddl(table: Table, *, enforce_key: bool) -> str:
    # ``raw`` compresses ~10x with zstd, and checkpoints it ~3x faster than the default.
    cols = ", ".join(
        f"{c.name} {c.sql_type}" + (" USING COMPRESSION zstd" if c.name == "raw" else "")
        for c in table.columns
    )
    key = f", PRIMARY KEY ({', '.join(table.key)})" if enforce_key else ""
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({cols}{key})"


def _json_default(value: Any) -> Any:
    raise TypeError(f"cannot serialize {type(value).__name__}")


class DuckDBStore:
    """Conversation tables + checkpoints in one DuckDB file. One writer at a time."""

    def __init__(
        self,
        path: Path,
        *,
        tables: Iterable[str] = tuple(SCHEMA),
        batch_size: int = BATCH_SIZE,
        batch_bytes: int = BATCH_BYTES,
        commit_every: int = 10_000,
        keys_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.tables = [SCHEMA[name] for name in tables]
        if keys_only and [t.name for t in self.tables] != ["conversations"]:
            raise ValueError("keys_only stages the conversations table only")
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.commit_every = commit_every
        self.keys_only = keys_only  # stage only what a JSON Lines file needs (flattener)
        self._lock = threading.RLock()
        self._pending: dict[str, bytes] = {}  # conversation id -> its JSON
        self._pending_bytes = 0
        self._uncommitted = 0
        self._in_txn = False
        self._tmpdir = Path(tempfile.mkdtemp(prefix="genesys-analytics-batch-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path))
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET threads = {WRITE_THREADS}")
        for table in self.tables:
            self.con.execute(table_ddl(table, enforce_key=table.name == "conversations"))
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} "
            "(chunk_key VARCHAR PRIMARY KEY, meta JSON, finished_at TIMESTAMPTZ)"
        )
        create_views(self.con)  # report views: genesys_analytics.sinks.views

    # -- the Sink surface -------------------------------------------------------------

    def write(self, conversations: Iterable[dict[str, Any]]) -> int:
        """Buffer conversations (newer copy of an id wins) and flush full batches."""
        n = 0
        with self._lock:
            for conv in conversations:
                cid = conv.get("conversationId")
                if not isinstance(cid, str):
                    log.warning("skipping a conversation record without a conversationId")
                    continue
                line = orjson.dumps(conv)
                old = self._pending.pop(cid, None)  # re-insert: the batch keeps arrival order
                if old is not None:
                    self._pending_bytes -= len(old) + 1
                self._pending[cid] = line
                self._pending_bytes += len(line) + 1
                n += 1
                if len(self._pending) >= self.batch_size or self._pending_bytes >= self.batch_bytes:
                    self._flush()
        return n

    def checkpoint(self, chunk_key: str, meta: dict[str, Any]) -> None:
        """Flush, record the chunk and commit: the chunk and its rows become durable together."""
        with self._lock:
            self._flush()
            self._begin()
            self.con.execute(
                f"INSERT OR REPLACE INTO {CHUNKS_TABLE} VALUES (?, ?, ?)",
                [chunk_key, orjson.dumps(meta, default=_json_default).decode(), _now()],
            )
            self._commit()

    def done_chunks(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self.con.execute(f"SELECT chunk_key, meta FROM {CHUNKS_TABLE}").fetchall()
        return {key: orjson.loads(meta) if meta else {} for key, meta in rows}

    def commit(self) -> None:
        """Flush and commit everything written, then fold the WAL into the file."""
        with self._lock:
            self._flush()
            self._commit()
            self.con.execute("CHECKPOINT")

    def close(self) -> None:
        """Close; rows written after the last checkpoint/commit are rolled back."""
        with self._lock:
            if self.con is None:
                return
            self._pending.clear()
            self._pending_bytes = 0
            if self._in_txn:
                self.con.execute("ROLLBACK")
                self._in_txn = False
            self.con.close()
            self.con = None  # type: ignore[assignment]
            self._cleanup()

    # -- internals ----------------------------------------------------------------------

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
        if not self._pending:
            return
        count = len(self._pending)
        path = self._tmpdir / "batch.ndjson"
        with path.open("wb") as f:
            f.write(b"\n".join(self._pending.values()))
        self._pending.clear()
        self._pending_bytes = 0
        self._begin()
        self._upsert(str(path))
        self._uncommitted += count
        if self._uncommitted >= self.commit_every:
            self._commit()

    def _upsert(self, path: str) -> None:
        names = [t.name for t in self.tables]
        self.con.execute(flattener.stage_sql(keys_only=self.keys_only), [path])
        if flattener.needs_children(names):
            for sql in flattener.CHILD_STAGES:
                self.con.execute(sql)
        existing = self.con.execute(
            f"SELECT count(*) FROM conversations WHERE conversation_id IN ({flattener.BATCH_IDS})"
        ).fetchone()
        if existing and existing[0]:
            for name in names:
                self.con.execute(
                    f"DELETE FROM {name} WHERE conversation_id IN ({flattener.BATCH_IDS})"
                )
        for name in names:
            self.con.execute(flattener.insert_sql(name, keys_only=self.keys_only))


def _now() -> datetime:
    return datetime.now(timezone.utc)
