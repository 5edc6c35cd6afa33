"""Keys stay unique without a PRIMARY KEY: the store's upsert is what keeps them so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from bench.store_scale import tiny

from genesys_analytics.config import StoreSettings
from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.sinks.store import DuckDBStore, table_ddl
from tests.sinks.test_files import conv

DAY1 = "2024-05-01T10:00:00.000Z"
DAY2 = "2024-05-02T10:00:00.000Z"


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_unique(db: Path, expected: dict[str, int]) -> None:
    """One conversation row per key, and children from the newest copy (its version) only."""
    got = rows(db, "SELECT conversation_id, raw->>'$.version' FROM conversations ORDER BY 1")
    assert got == [(cid, str(v)) for cid, v in sorted(expected.items())]
    # conv(version=v) has v segments, each with queue q<v>: older copies would add others
    segs = rows(
        db,
        "SELECT conversation_id, count(*), min(queue_id), max(queue_id) FROM segments "
        "GROUP BY 1 ORDER BY 1",
    )
    assert segs == [(cid, v, f"q{v}", f"q{v}") for cid, v in sorted(expected.items())]


def test_keys_stay_unique_under_rewrites_overlapping_batches_and_resume(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store = DuckDBStore(db, batch_size=2)  # several flushes per chunk
    store.write("conversations", [conv("a", DAY1), conv("b", DAY1), conv("c", DAY2)])
    store.write("conversations", [conv("b", DAY1, version=2), conv("d", DAY2)])
    store.checkpoint("conversations", "k1", {})
    # an overlapping chunk: a and d again (a changed), e new
    store.write("conversations", [conv("a", DAY1, version=3), conv("d", DAY2), conv("e", DAY2)])
    store.checkpoint("conversations", "k2", {})
    # an interrupted chunk: its flushed batch was committed, its checkpoint never made
    store.write("conversations", [conv("c", DAY2, version=4), conv("f", DAY1)])
    assert store.changes == {"conversations": [6, 3]}
    store.close()
    assert_unique(db, {"a": 3, "b": 2, "c": 4, "d": 1, "e": 1, "f": 1})
    assert "k3" not in DuckDBStore(db).done_chunks("conversations")
    # resume: the interrupted chunk is read again, over the same file: nothing doubled
    again = DuckDBStore(db, batch_size=2)
    again.write("conversations", [conv("c", DAY2, version=4), conv("f", DAY1), conv("a", DAY1)])
    again.checkpoint("conversations", "k3", {})
    again.commit()
    assert again.changes == {"conversations": [0, 1]}
    again.close()
    assert_unique(db, {"a": 1, "b": 2, "c": 4, "d": 1, "e": 1, "f": 1})


def test_copies_without_a_start_are_still_found(tmp_path: Path) -> None:
    """The lookup is limited to the batch's start range; rows or batches without one are not."""
    db = tmp_path / "s.duckdb"
    no_start = {**conv("a", DAY1), "conversationStart": None}
    store = DuckDBStore(db, batch_size=10)
    store.write("conversations", [no_start, conv("b", DAY1)])
    store.commit()
    # a stored without a start, now with one; b again, in a batch holding a record without one
    store.write("conversations", [conv("a", DAY2, version=2)])
    store.commit()
    store.write("conversations", [conv("b", DAY1, version=2), {**no_start, "version": 3}])
    store.commit()
    assert store.changes == {"conversations": [2, 3]}
    store.close()
    assert rows(db, "SELECT conversation_id, raw->>'$.version' FROM conversations ORDER BY 1") == [
        ("a", "3"),
        ("b", "2"),
    ]


def test_files_written_with_the_primary_key_keep_working(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:  # as the store created them before
        ddl = table_ddl(SCHEMA["conversations"])
        con.execute(ddl.removesuffix(")") + ", PRIMARY KEY (conversation_id))")
    store = DuckDBStore(db, batch_size=2)
    store.write("conversations", [conv("a", DAY1), conv("b", DAY1)])
    store.checkpoint("conversations", "k1", {})
    store.write("conversations", [conv("a", DAY1, version=2), conv("c", DAY2)])
    store.checkpoint("conversations", "k2", {})
    store.close()
    assert_unique(db, {"a": 2, "b": 1, "c": 1})
    kinds = rows(
        db, "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'conversations'"
    )
    assert ("PRIMARY KEY",) in kinds


def test_a_small_memory_cap_holds_as_the_file_grows(tmp_path: Path) -> None:
    """With a PRIMARY KEY, a 20 MB cap failed at 6,000 of these (its index held the memory)."""
    store = DuckDBStore(
        tmp_path / "s.duckdb", settings=StoreSettings(memory_limit="20MB", threads=1)
    )
    n, per_chunk = 12_000, 1000
    for first in range(0, n, per_chunk):
        store.write("conversations", (tiny(i, per_chunk) for i in range(first, first + per_chunk)))
        store.checkpoint("conversations", f"k{first}", {})
    store.commit()
    assert store.changes == {"conversations": [n, 0]}
    store.close()
