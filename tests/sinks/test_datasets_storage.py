"""User details and dimension snapshots in the DuckDB store: keys, upserts, replacement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from genesys_analytics.sinks.dimensions import PRESENCE_DEFINITIONS_STORAGE, QUEUES_STORAGE
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return sorted(con.execute(sql).fetchall(), key=repr)


def status(user: str, kind: str, start: str, end: str | None = None, **fields: str) -> dict:
    record = {"recordKey": f"{user}|{kind}|{start}", "userId": user, "kind": kind}
    record["startTime"] = start
    if end:
        record["endTime"] = end
    return {**record, **fields}


def test_user_details_go_to_their_table_once_per_key(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    store = DuckDBStore(db, storages=[USER_DETAILS_STORAGE])
    t0, t1 = "2024-05-01T08:00:00.000Z", "2024-05-01T08:30:00.000Z"
    store.write(
        "user-details",
        [
            status("u1", "presence", t0, t1, systemPresence="ON_QUEUE", organizationPresenceId="p"),
            status("u1", "routing", t0, None, routingStatus="IDLE"),
        ],
    )
    store.checkpoint("user-details", "k1", {})
    # the open routing record closes later: the newer copy replaces it
    store.write("user-details", [status("u1", "routing", t0, t1, routingStatus="IDLE")])
    store.checkpoint("user-details", "k2", {})
    store.close()
    presence = rows(db, "select user_id, system_presence, open, duration_ms from user_presence")
    assert presence == [("u1", "ON_QUEUE", False, 1_800_000)]
    routing = rows(
        db, "select user_id, routing_status, open, end_time is null from user_routing_status"
    )
    assert routing == [("u1", "IDLE", False, False)]


def test_a_snapshot_is_replaced_only_when_its_read_is_checkpointed(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    queue = {
        "id": "q1",
        "name": "Sales",
        "mediaSettings": {"call": {"serviceLevel": {"percentage": 0.8, "durationMs": 20000}}},
    }
    store = DuckDBStore(db, storages=[QUEUES_STORAGE])
    store.begin_snapshot("queues")
    store.write("queues", [queue, {"id": "q2", "name": "Billing"}])
    store.checkpoint("queues", "queues", {})
    store.begin_snapshot("queues")
    store.write("queues", [{"id": "q3", "name": "New"}])
    store.close()  # the second read never finished: the first snapshot stays
    assert rows(db, "select queue_id from queues") == [("q1",), ("q2",)]
    sl = rows(
        db,
        "select service_level_call_percentage, service_level_call_duration_ms "
        "from queues where queue_id = 'q1'",
    )
    assert sl == [(0.8, 20000)]
    store = DuckDBStore(db, storages=[QUEUES_STORAGE])
    store.begin_snapshot("queues")
    store.write("queues", [{"id": "q3", "name": "New"}])
    store.checkpoint("queues", "queues", {})
    store.close()
    assert rows(db, "select queue_id, name from queues") == [("q3", "New")]
    assert rows(db, "select count(*) from queues where fetched_at is null") == [(0,)]


def test_presence_definitions_keep_the_analytics_spelling(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    store = DuckDBStore(db, storages=[PRESENCE_DEFINITIONS_STORAGE])
    store.begin_snapshot("presence-definitions")
    definition = {"id": "p1", "systemPresence": "OnQueue", "languageLabels": {"en_US": "On Queue"}}
    store.write("presence-definitions", [definition, {"id": "p2", "systemPresence": "Available"}])
    store.checkpoint("presence-definitions", "presence-definitions", {})
    store.close()
    got = rows(db, "select presence_definition_id, name, system_presence from presence_definitions")
    assert got == [("p1", "On Queue", "ON_QUEUE"), ("p2", None, "AVAILABLE")]


def test_views_join_names_once_the_snapshots_are_there(tmp_path: Path) -> None:
    from genesys_analytics.sinks.dimensions import USERS_STORAGE, WRAPUP_CODES_STORAGE
    from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE

    db = tmp_path / "v.duckdb"
    conv = {
        "conversationId": "c1",
        "conversationStart": "2024-05-01T08:00:00.000Z",
        "participants": [
            {
                "purpose": "agent",
                "sessions": [
                    {
                        "sessionId": "s1",
                        "mediaType": "voice",
                        "segments": [
                            {"segmentType": "interact", "queueId": "q1"},
                            {"segmentType": "wrapup", "queueId": "gone", "wrapUpCode": "w1"},
                        ],
                    }
                ],
            }
        ],
    }
    storages = [CONVERSATIONS_STORAGE, QUEUES_STORAGE, WRAPUP_CODES_STORAGE, USERS_STORAGE]
    store = DuckDBStore(db, storages=storages)
    store.write("conversations", [conv])
    store.checkpoint("conversations", "c", {})
    store.begin_snapshot("queues")
    store.write("queues", [{"id": "q1", "name": "Sales"}])
    store.checkpoint("queues", "q", {})
    store.begin_snapshot("wrapup-codes")
    store.write("wrapup-codes", [{"id": "w1", "name": "Sold"}])
    store.checkpoint("wrapup-codes", "w", {})
    store.close()
    named = rows(db, "select queue_id, queue_name, wrap_up_name from segments_named")
    assert named == [("gone", None, "Sold"), ("q1", "Sales", None)]
    volume = rows(db, "select queue_id, queue_name, conversations from volume_by_queue_name_day")
    assert volume == [("gone", None, 1), ("q1", "Sales", 1)]
