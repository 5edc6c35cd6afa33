"""Upserts tell new records from updated ones (content changed) and from unchanged ones."""

from __future__ import annotations

from pathlib import Path

from genesys_analytics.extraction.datasets import USER_DETAILS_DATASET
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.store import DuckDBStore


def conv(cid: str, end: str | None = None) -> dict[str, object]:
    c: dict[str, object] = {"conversationId": cid, "conversationStart": "2024-05-01T08:00:00.000Z"}
    if end:
        c["conversationEnd"] = end
    return c


def test_new_updated_and_unchanged_conversations_are_told_apart(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store = DuckDBStore(db, batch_size=2)
    store.write("conversations", [conv("a"), conv("b"), conv("c")])
    store.commit()
    assert store.changes == {"conversations": [3, 0]}
    store.close()
    again = DuckDBStore(db, batch_size=2, storages=(CONVERSATIONS_STORAGE,))
    # b closes (content changed), a is read again as it was, d is new
    again.write("conversations", [conv("a"), conv("b", "2024-05-01T08:05:00.000Z"), conv("d")])
    again.commit()
    assert again.changes == {"conversations": [1, 1]}
    again.close()


def test_status_records_closing_count_as_updated(tmp_path: Path) -> None:
    storage = USER_DETAILS_DATASET.storage
    start = "2024-05-01T08:00:00.000Z"
    record = {"recordKey": f"u|routing|{start}", "userId": "u", "kind": "routing"}
    open_ = {**record, "startTime": start, "routingStatus": "IDLE"}
    store = DuckDBStore(tmp_path / "u.duckdb", storages=(storage,))
    store.write("user-details", [open_])
    store.commit()
    store.write("user-details", [open_, {**open_, "recordKey": "u|presence|x", "kind": "presence"}])
    store.commit()
    store.write("user-details", [{**open_, "endTime": "2024-05-01T09:00:00.000Z"}])
    store.commit()
    assert store.changes == {"user-details": [2, 1]}
    store.close()
