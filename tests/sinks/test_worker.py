"""The thread that runs a store's DuckDB statements (sinks/worker.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics.errors import OutputFailed
from genesys_analytics.sinks import store as store_module
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.sinks.worker import Worker
from tests.sinks.test_files import conv


def test_jobs_run_in_order_and_stop_lets_the_queued_ones_finish() -> None:
    worker = Worker(depth=1)
    ran: list[int] = []
    for i in range(5):
        worker.submit(lambda i=i: ran.append(i))
    assert worker.call(lambda: len(ran)) == 5
    worker.submit(lambda: ran.append(5))
    worker.stop()
    assert ran == [0, 1, 2, 3, 4, 5]


def test_a_failed_job_is_raised_by_the_next_call_and_later_jobs_are_skipped() -> None:
    worker = Worker()
    ran: list[str] = []

    def fail() -> None:
        raise ValueError("no such table")

    worker.submit(fail)
    with pytest.raises(ValueError, match="no such table"):
        worker.call(lambda: ran.append("after"))
    with pytest.raises(ValueError):
        worker.submit(lambda: ran.append("later"))
    worker.stop()
    assert ran == []


def test_abort_drops_queued_jobs_and_interrupts_the_running_one() -> None:
    worker = Worker(depth=4)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(timeout=30)
        ran.append("slow")

    worker.submit(slow)
    worker.submit(lambda: ran.append("queued"))
    assert started.wait(timeout=30)
    worker.stop(abort=True, interrupt=release.set)
    assert ran == ["slow"]  # cut short (here: let go), and what was queued never ran


def test_a_batch_that_fails_on_the_writer_thread_is_raised_by_the_next_call(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.duckdb"
    store = DuckDBStore(db, batch_size=1)
    day = "2024-05-01T10:00:00.000Z"
    store.write("conversations", [conv("a", day)])
    store.checkpoint("conversations", "k1", {})

    def full(*_: Any) -> None:
        raise duckdb.IOException("No space left on device")

    assert store.done_chunks("conversations").keys() == {"k1"}  # "a" is in: nothing queued
    store._replace = full  # type: ignore[method-assign]
    store.write("conversations", [conv("b", day)])  # handed over: returns at once
    with pytest.raises(OutputFailed, match=r"\(No space left on device\); free disk space"):
        store.checkpoint("conversations", "k2", {})  # waits for what was handed over
    store.close()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT conversation_id FROM conversations").fetchall() == [("a",)]
        assert con.execute("SELECT chunk_key FROM _export_chunks").fetchall() == [("k1",)]


def test_idle_work_runs_once_the_queue_is_empty_not_between_queued_jobs() -> None:
    ran: list[str] = []
    gate, idled = threading.Event(), threading.Event()

    def idle() -> None:
        ran.append("idle")
        idled.set()

    worker = Worker(depth=4, idle=idle)

    def slow() -> None:
        gate.wait(timeout=30)
        ran.append("slow")

    worker.submit(slow)
    worker.submit(lambda: ran.append("a"))
    worker.submit(lambda: ran.append("b"))
    gate.set()
    assert idled.wait(timeout=30)
    worker.stop()
    assert ran == ["slow", "a", "b", "idle"]


@pytest.mark.parametrize("commit_every", [1, 100])
@pytest.mark.parametrize("due", [True, False])
def test_an_idle_fold_commits_what_was_written_and_folds_a_wal_that_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commit_every: int, due: bool
) -> None:
    monkeypatch.setattr(store_module, "IDLE_FOLD_BYTES", 1 if due else 1 << 40)
    db = tmp_path / "s.duckdb"
    store = DuckDBStore(db, batch_size=1, commit_every=commit_every)
    store.write("conversations", [conv("a", "2024-05-01T10:00:00.000Z")])
    store._worker.call(store._fold_if_due)  # what the thread runs when idle
    assert not store._in_txn  # committed, by the batch or by the idle fold
    wal = db.with_name(db.name + ".wal")
    assert (not wal.exists() or wal.stat().st_size == 0) == due
    store.close()  # no checkpoint: the row was committed all the same
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT conversation_id FROM conversations").fetchall()
    assert rows == [("a",)]


def test_idle_work_waits_for_a_pause_as_long_as_idle_after() -> None:
    ran: list[str] = []
    worker = Worker(depth=4, idle=lambda: ran.append("idle"), idle_after=3600)
    worker.submit(lambda: ran.append("a"))
    assert worker.call(lambda: ran.append("b") or "done") == "done"
    worker.stop()  # the queue was empty between jobs, never for an hour
    assert ran == ["a", "b"]


def test_wait_for_room_returns_once_the_queued_job_is_taken_not_when_it_is_done() -> None:
    worker = Worker(depth=2)
    gate, second = threading.Event(), threading.Event()
    worker.submit(lambda: gate.wait(timeout=30))
    worker.submit(lambda: (second.set(), gate.wait(timeout=30)))
    waited = threading.Event()
    waiter = threading.Thread(target=lambda: (worker.wait_for_room(), waited.set()))
    waiter.start()
    assert not waited.wait(timeout=0.2)  # the second job still waits behind the first
    gate.set()
    assert second.wait(timeout=30)
    assert waited.wait(timeout=30)
    waiter.join()
    worker.stop()


def test_a_batch_is_committed_once_inserted_so_its_arrow_tables_go(tmp_path: Path) -> None:
    """DuckDB keeps a view registered inside a transaction, and its Arrow table, until the
    transaction ends: each batch is committed once inserted, so none is kept."""
    import weakref

    store = DuckDBStore(tmp_path / "s.duckdb", batch_size=1)
    seen: list[weakref.ref[Any]] = []
    build = store_module.ArrowBatch.of

    def of(storage: Any, lines: Any) -> store_module.ArrowBatch:
        batch = build(storage, lines)
        seen.extend(weakref.ref(t) for t in batch.tables.values())
        return batch

    store_module.ArrowBatch.of = of  # type: ignore[method-assign]
    try:
        day = "2024-05-01T10:00:00.000Z"
        for cid in ("a", "b", "c"):
            store.write("conversations", [conv(cid, day)])
        assert store.done_chunks("conversations") == {}  # all inserted, no chunk recorded
        assert not store._in_txn
        assert len(seen) >= 15 and all(r() is None for r in seen)
    finally:
        store_module.ArrowBatch.of = build  # type: ignore[method-assign]
        store.close()  # no checkpoint: the rows were committed all the same
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM conversations").fetchall() == [(3,)]


def test_translate_turns_a_jobs_error_into_the_callers_with_the_original_as_cause() -> None:
    worker = Worker(translate=lambda exc: RuntimeError(f"said: {exc}"))

    def fail() -> None:
        raise ValueError("disk full")

    worker.submit(fail)
    with pytest.raises(RuntimeError, match="said: disk full") as caught:
        worker.call(lambda: None)
    assert isinstance(caught.value.__cause__, ValueError)
    worker.stop()
