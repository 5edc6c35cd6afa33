"""The store flattens with Arrow (sinks/ndjson.py): exactly the rows of the reference."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.sinks.files import open_sink
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.sinks.store import DuckDBStore
from tests.sinks.reference import flatten_many


def odd_conversations() -> list[dict[str, Any]]:
    """Hand-made shapes the API could plausibly send, including the awkward ones."""
    base: dict[str, Any] = {
        "conversationId": "odd-0",
        "conversationStart": "2024-05-01T23:58:00.000Z",
        "conversationEnd": "2024-05-02T00:03:30.5005Z",
        "originatingDirection": "inbound",
        "divisionIds": ["d2", "d1", "d2", None, 7],
        "participants": [
            {
                "participantId": "p1",
                "purpose": "teleporter",  # unknown enum: passes through
                "participantName": 'Zoë "the" \u2028 customer',
                "attributes": {"tier": "gold", "nested": {"a": [1, 2.5, None, True]}},
                "sessions": [
                    {
                        "sessionId": "s1",
                        "mediaType": "hologram",
                        "ani": "tel:+1",
                        "segments": [
                            None,
                            {},
                            {
                                "segmentStart": "2024-05-01T23:59:00+02:00",
                                "segmentEnd": "not a time",
                                "segmentType": "interact",
                                "queueId": "qB",
                                "wrapUpCode": "wc",
                                "disconnectType": "peer",
                            },
                            {"segmentStart": "2024-05-01T23:59:00", "queueId": "qA"},
                        ],
                        "metrics": [
                            {"name": "tTalk", "value": 2.5, "emitDate": "2024-05-01T23:59:00Z"},
                            {"name": "tHeld", "value": 3.5},
                            {"name": "nFlag", "value": True},
                            {"name": "tText", "value": "12"},
                            {"name": "big", "value": 2**62},
                            None,
                        ],
                    },
                    None,
                    {"sessionId": "s2", "mediaType": "voice", "segments": "nope"},
                ],
            },
            {"purpose": "agent", "attributes": None, "sessions": []},
            {"participantId": "p3", "sessions": [{"segments": [{}]}], "attributes": {}},
            None,
        ],
    }
    ongoing = {
        "conversationId": "odd-1",
        "conversationStart": "2024-05-02T10:00:00.123456Z",
        "participants": [{"participantId": "x", "sessions": [{"mediaType": "chat"}]}],
    }
    bare = {"conversationId": "odd-2"}
    no_list = {"conversationId": "odd-3", "participants": {"not": "a list"}, "divisionIds": "d"}
    wrong_types = {
        "conversationId": "odd-4",
        "conversationStart": 1714557600000,
        "originatingDirection": 5,
        "participants": [{"participantId": 12, "purpose": ["agent"], "userId": {"u": 1}}],
    }
    return [base, ongoing, bare, no_list, wrong_types]


def sample() -> list[dict[str, Any]]:
    org = Org(OrgSpec(days=2, per_day=400, now=OrgSpec().now))
    convs: list[dict[str, Any]] = []
    for d in (org.last_day - timedelta(days=1), org.last_day):
        convs.extend(org.day(d)[:250])  # the last day holds ongoing conversations
    return [*convs, *odd_conversations()]


def _norm(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def table_rows(db: Path, name: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cols = ", ".join(SCHEMA[name].names)
        rows = con.execute(f"SELECT {cols} FROM {name}").fetchall()
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)


def test_sql_flattening_matches_the_python_reference(tmp_path: Path) -> None:
    convs = sample()
    assert any("conversationEnd" not in c for c in convs)  # ongoing ones are in
    expected = flatten_many(convs)
    assert len({r[3] for r in expected.sessions}) >= 4  # several media types
    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db, batch_size=97)  # several batches, one odd batch boundary
    store.write("conversations", convs)
    store.commit()
    store.close()
    for name in (t.name for t in CONVERSATIONS_STORAGE.tables):
        want = sorted((tuple(_norm(v) for v in r) for r in expected.table(name)), key=repr)
        got = table_rows(db, name)
        assert len(got) == len(want), name
        assert got == want, name


def test_malformed_list_elements_are_skipped_as_the_reference_does(tmp_path: Path) -> None:
    """A non-object list element is skipped (and not counted), as the reference does."""
    conv = {"conversationId": "n", "participants": [5, {"participantId": "p"}]}
    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db)
    store.write("conversations", [conv])
    store.commit()
    store.close()
    assert table_rows(db, "participants") == [("n", "p", None, None, None, None)]
    assert table_rows(db, "conversations")[0][8] == 1  # participant_count
    assert table_rows(db, "participants") == flatten_many([conv]).table("participants")


def test_raw_is_byte_exact_and_batches_split_by_bytes(tmp_path: Path) -> None:
    convs = [copy.deepcopy(c) for c in odd_conversations()]
    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db, batch_bytes=600)  # a flush every few conversations
    store.write("conversations", convs)
    store.write("conversations", [convs[0]])  # the same id again, newer copy, in a later batch
    store.commit()
    store.close()
    with duckdb.connect(str(db), read_only=True) as con:
        raws = dict(con.execute("SELECT conversation_id, raw FROM conversations").fetchall())
    assert raws == {c["conversationId"]: orjson.dumps(c).decode() for c in convs}


def test_jsonl_is_globally_ordered_whatever_order_chunks_finish_in(tmp_path: Path) -> None:
    org = Org(OrgSpec(days=2, per_day=300))
    days = (org.last_day - timedelta(days=1), org.last_day)
    convs = [c for d in days for c in org.day(d)]
    shuffled = convs[1::2] + convs[::2]
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", shuffled)
    for d in reversed(days):  # the later day's chunk finishes first
        interval = {"start": f"{d}T00:00:00.000Z", "end": f"{d + timedelta(days=1)}T00:00:00.000Z"}
        sink.checkpoint("conversations", f"k {d}", interval)
    sink.commit()
    sink.close()
    lines = out.read_bytes().splitlines()
    want = sorted(convs, key=lambda c: (c["conversationStart"], c["conversationId"]))
    assert lines == [orjson.dumps(c) for c in want]
    assert date.fromisoformat(want[0]["conversationStart"][:10]) < org.last_day


def test_duckdb_memory_cap_and_threads_come_from_the_settings(tmp_path: Path) -> None:
    from genesys_analytics.config import StoreSettings

    store = DuckDBStore(tmp_path / "out.duckdb", settings=StoreSettings("64MB", 2))
    try:
        memory, threads = store.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()  # type: ignore[misc]
    finally:
        store.close()
    assert threads == 2
    assert memory.replace(" ", "") in {"64.0MB", "61.0MiB", "64MB"}


def test_conversations_and_other_datasets_share_a_store(tmp_path: Path) -> None:
    from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE

    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db, storages=[CONVERSATIONS_STORAGE, USER_DETAILS_STORAGE])
    status = {"recordKey": "u|routing|t", "userId": "u", "kind": "routing"}
    for i in range(2):  # each dataset after the other, twice
        store.write("user-details", [{**status, "recordKey": f"u|routing|{i}"}])
        store.checkpoint("user-details", f"u{i}", {})
        store.write("conversations", [{"conversationId": f"c{i}"}])
        store.checkpoint("conversations", f"c{i}", {})
    store.close()
    assert [r[0] for r in table_rows(db, "conversations")] == ["c0", "c1"]
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM user_routing_status").fetchone()
    assert found == (2,)
