from __future__ import annotations

import csv
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.files import open_sink
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.parts import parts_path
from genesys_analytics.sinks.paths import MARKER
from genesys_analytics.sinks.staging import (
    Staged,
    remove_unused_store,
    scratch_path,
    staged_export,
)
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE
from genesys_analytics.timeutil import Interval

UTC = timezone.utc


def conv(
    cid: str,
    start: str,
    *,
    version: int = 1,
    media: tuple[str, ...] = ("voice",),
    ended: bool = True,
) -> dict[str, Any]:
    sessions = [
        {
            "sessionId": f"{cid}-s{i}",
            "mediaType": m,
            "direction": "inbound",
            "segments": [
                {"segmentStart": start, "segmentType": "interact", "queueId": f"q{version}"}
                for _ in range(version)
            ],
            "metrics": [{"name": "nConnected", "value": version, "emitDate": start}],
        }
        for i, m in enumerate(media)
    ]
    c: dict[str, Any] = {
        "conversationId": cid,
        "conversationStart": start,
        "originatingDirection": "inbound",
        "participants": [
            {"participantId": f"{cid}-p", "purpose": "customer", "sessions": sessions}
        ],
        "version": version,
    }
    if ended:
        c["conversationEnd"] = start.replace("00.000Z", "59.000Z")
    return c


A = conv("a", "2024-05-01T10:00:00.000Z", media=("voice", "callback"))
B = conv("b", "2024-05-01T09:00:00.000Z", ended=False)
C = conv("c", "2024-05-02T08:00:00.000Z", media=("chat",))


def q(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


# -- duckdb ------------------------------------------------------------------------------


def test_duckdb_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    assert sink.write("conversations", [A, B]) == 2
    sink.checkpoint("conversations", "chunk-1", {"hits": 2, "live": False})
    sink.write("conversations", [C])
    sink.checkpoint("conversations", "chunk-2", {"hits": 1})
    sink.commit()
    sink.close()

    assert q(
        db,
        "SELECT conversation_id, ongoing, media_types, participant_count "
        "FROM conversations ORDER BY conversation_id",
    ) == [
        ("a", False, ["callback", "voice"], 1),
        ("b", True, ["voice"], 1),
        ("c", False, ["chat"], 1),
    ]
    start, end = q(
        db,
        "SELECT conversation_start, conversation_end FROM conversations "
        "WHERE conversation_id = 'a'",
    )[0]
    assert start == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert end == datetime(2024, 5, 1, 10, 0, 59, tzinfo=UTC)
    raw = q(db, "SELECT raw FROM conversations WHERE conversation_id = 'a'")[0][0]
    assert raw == orjson.dumps(A).decode()
    assert q(
        db,
        "SELECT raw->>'$.participants[0].purpose' FROM conversations WHERE conversation_id = 'b'",
    ) == [("customer",)]
    counts = {
        t: q(db, f"SELECT count(*) FROM {t}")[0][0]
        for t in ("participants", "sessions", "segments", "session_metrics")
    }
    assert counts == {"participants": 3, "sessions": 4, "segments": 4, "session_metrics": 4}
    assert q(db, "SELECT chunk_key, meta->>'$.hits' FROM _export_chunks ORDER BY 1") == [
        ("chunk-1", "2"),
        ("chunk-2", "1"),
    ]


def test_duckdb_timestamp_columns_are_timestamptz(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.commit()
    sink.close()
    types = dict(
        q(db, "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns")
    )
    for col in (
        "conversations.conversation_start",
        "conversations.conversation_end",
        "segments.segment_start",
        "segments.segment_end",
        "session_metrics.emit_date",
        "_export_chunks.finished_at",
    ):
        assert types[col] == "TIMESTAMP WITH TIME ZONE", col
    assert types["conversations.conversation_date"] == "DATE"
    assert types["conversations.media_types"] == "VARCHAR[]"
    # No key constraint: its ART index outgrew DuckDB's memory cap at scale; the upsert
    # keeps keys unique (tests/sinks/test_store_keys.py).
    pk = q(
        db,
        "SELECT table_name FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' AND table_name <> '_export_chunks'",
    )
    assert pk == []


def test_rewrite_upserts_and_newer_copy_wins(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.write("conversations", [conv("a", "2024-05-01T10:00:00.000Z", version=3), B])
    sink.checkpoint("conversations", "k1", {})
    sink.commit()
    sink.close()
    # a second run (no resume) over the same file, with a newer copy of "a"
    sink = open_sink(db, "duckdb", resume=False)
    sink.write("conversations", [conv("a", "2024-05-01T10:00:00.000Z", version=2)])
    sink.checkpoint("conversations", "k1", {"again": True})
    sink.commit()
    sink.close()
    assert q(db, "SELECT conversation_id, raw->>'$.version' FROM conversations ORDER BY 1") == [
        ("a", "2"),
        ("b", "1"),
    ]
    assert q(db, "SELECT count(*), min(queue_id) FROM segments WHERE conversation_id = 'a'") == [
        (2, "q2")
    ]
    assert q(db, "SELECT value FROM session_metrics WHERE conversation_id = 'a'") == [(2,)]
    assert q(db, "SELECT count(*) FROM _export_chunks") == [(1,)]


def test_same_id_twice_in_one_batch_keeps_the_later(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.write(
        "conversations",
        [
            conv("a", "2024-05-01T10:00:00.000Z", version=1),
            conv("a", "2024-05-01T10:00:00.000Z", version=4),
        ],
    )
    sink.commit()
    sink.close()
    assert q(db, "SELECT raw->>'$.version' FROM conversations") == [("4",)]
    assert q(db, "SELECT count(*) FROM segments") == [(4,)]


def test_many_batches_and_intermediate_commits(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db, batch_size=7, commit_every=20)
    convs = [conv(f"id{i:03d}", "2024-05-01T10:00:00.000Z") for i in range(100)]
    assert store.write("conversations", iter(convs)) == 100
    store.write("conversations", convs[:10])  # rewritten across batches: still no duplicates
    store.checkpoint("conversations", "all", {})
    store.close()
    assert q(db, "SELECT count(*), count(DISTINCT conversation_id) FROM conversations") == [
        (100, 100)
    ]
    assert q(db, "SELECT count(*) FROM sessions") == [(100,)]


def test_rows_without_checkpoint_are_not_kept(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", {})
    sink.write("conversations", [B, C])  # the process dies before this chunk is checkpointed
    sink.close()
    assert q(db, "SELECT conversation_id FROM conversations") == [("a",)]
    assert q(db, "SELECT chunk_key FROM _export_chunks") == [("k1",)]


def test_failed_checkpoint_leaves_neither_rows_nor_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.write("conversations", [A, B])
    with pytest.raises(TypeError):
        sink.checkpoint(
            "conversations", "k1", {"not json": object()}
        )  # fails after the rows went in
    # another connection sees nothing of the open transaction
    with duckdb.connect(str(db)) as other:
        assert other.execute("SELECT count(*) FROM conversations").fetchone() == (0,)
        assert other.execute("SELECT count(*) FROM _export_chunks").fetchone() == (0,)
    sink.close()
    assert q(db, "SELECT count(*) FROM conversations") == [(0,)]
    assert q(db, "SELECT count(*) FROM segments") == [(0,)]
    assert q(db, "SELECT count(*) FROM _export_chunks") == [(0,)]


def test_done_chunks_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    sink = open_sink(db, "duckdb")
    sink.write("conversations", [A])
    key = "conversations 2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"
    sink.checkpoint("conversations", key, {"hits": 1, "live": True})
    sink.close()  # no commit(): the checkpointed chunk is durable anyway
    sink = open_sink(db, "duckdb", resume=True)
    assert sink.done_chunks("conversations") == {
        key: {"hits": 1, "live": True, "dataset": "conversations"}
    }
    assert sink.done_chunks("users") == {}  # checkpoints belong to their dataset
    sink.close()


def test_checkpoints_written_before_datasets_had_names_are_conversations(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    sink = open_sink(db, "duckdb")
    sink.close()
    con = duckdb.connect(str(db))  # as version 0.1.0 recorded a chunk: no dataset in meta
    con.execute(
        "INSERT INTO _export_chunks VALUES ('2024-05-01/2024-05-02', '{\"live\": false}', now())"
    )
    con.close()
    sink = open_sink(db, "duckdb", resume=True)
    assert sink.done_chunks("conversations") == {"2024-05-01/2024-05-02": {"live": False}}
    sink.close()


def test_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        open_sink(tmp_path / "x", "xlsx")


# -- file formats ------------------------------------------------------------------------

MAY1 = {"start": "2024-05-01T00:00:00.000Z", "end": "2024-05-02T00:00:00.000Z"}
MAY2 = {"start": "2024-05-02T00:00:00.000Z", "end": "2024-05-03T00:00:00.000Z"}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_jsonl_round_trip_is_ordered_and_deduped(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A, C])
    newer_a = conv("a", "2024-05-01T10:00:00.000Z", version=9)
    sink.write("conversations", [B, newer_a])  # a re-read page gives "a" again
    sink.checkpoint("conversations", "k1", MAY1)
    sink.checkpoint("conversations", "k2", MAY2)
    assert not out.exists(), "the final path stays absent until commit"
    assert parts_path(out).is_dir()
    sink.commit()
    sink.close()
    assert read_jsonl(out) == [B, newer_a, C]  # by conversationStart, newest copy of "a"
    assert out.read_text().count("\n") == 3
    assert not parts_path(out).exists()


def test_jsonl_keeps_raw_text_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    odd = {
        "conversationId": "z",
        "conversationStart": "2024-05-01T00:00:00.000Z",
        "mos": 4.10,
        "name": 'Zoë \u2028 "quoted"\t\n',
        "n": 12345678901234567,
    }
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [odd])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.commit()
    sink.close()
    assert out.read_bytes() == orjson.dumps(odd) + b"\n"


def test_file_sink_crash_then_resume_continues(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A, C])
    sink.checkpoint("conversations", "k1", {**MAY1, "n": 1})
    sink.close()  # crash: no commit; C (of the unfinished chunk k2) is not kept
    assert not out.exists()

    sink = open_sink(out, "jsonl", resume=True)
    assert sink.done_chunks("conversations") == {"k1": {**MAY1, "n": 1, "dataset": "conversations"}}
    sink.write("conversations", [C])
    sink.checkpoint("conversations", "k2", MAY2)
    sink.commit()
    sink.close()
    assert [c["conversationId"] for c in read_jsonl(out)] == ["a", "c"]


def test_file_sink_without_resume_starts_fresh(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.close()
    sink = open_sink(out, "jsonl", resume=False)
    assert sink.done_chunks("conversations") == {}
    sink.write("conversations", [C])
    sink.checkpoint("conversations", "k2", MAY2)
    sink.commit()
    sink.close()
    assert [c["conversationId"] for c in read_jsonl(out)] == ["c"]


def test_commit_replaces_an_earlier_export(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(orjson.dumps(C) + b"\n")
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", MAY1)
    assert read_jsonl(out) == [C]  # untouched until commit
    sink.commit()
    sink.close()
    assert read_jsonl(out) == [A]


def test_commit_keeps_a_file_that_appeared_meanwhile_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", MAY1)
    out.write_text("mine\n")  # written by someone else during the export
    with pytest.raises(ConfigError, match="not an earlier jsonl export"):
        sink.commit()
    sink.close()
    assert out.read_text() == "mine\n"
    sink = open_sink(out, "jsonl", resume=True, force=True)  # the staged chunks are kept
    assert list(sink.done_chunks("conversations")) == ["k1"]
    sink.commit()
    sink.close()
    assert read_jsonl(out) == [A]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_resume_drops_the_staged_chunks_outside_its_interval(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    sink = open_sink(out, fmt)  # an interrupted run of a longer interval staged two days
    sink.write("conversations", [A, B, C])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.checkpoint("conversations", "k2", MAY2)
    sink.close()
    interval = Interval.of("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")
    sink = open_sink(out, fmt, resume=True, interval=interval)
    assert list(sink.done_chunks("conversations")) == ["k1"], "k2 is read again if asked"
    sink.commit()
    sink.close()
    with duckdb.connect() as con:
        if fmt == "jsonl":
            ids = [c["conversationId"] for c in read_jsonl(out)]
        else:
            source = "read_csv(?)" if fmt == "csv" else "read_parquet(?)"
            where = str(out) if fmt == "csv" else f"{out}/conversations/**/*.parquet"
            ids = [
                r[0]
                for r in con.execute(f"SELECT conversation_id FROM {source}", [where]).fetchall()
            ]
    assert ids == ["b", "a"]


def test_a_staged_export_says_what_it_is(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    interval = Interval.of("2024-05-01", "2024-05-03")
    assert staged_export(out) is None
    sink = open_sink(out, "csv", interval=interval)
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.close()
    staged = staged_export(out)
    assert staged == Staged(parts_path(out), "csv", interval.iso(), 1)
    assert staged.describe() == f"an interrupted csv export of {interval.iso()}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv.parts"]


def test_a_staged_export_counts_its_checkpointed_chunks(tmp_path: Path) -> None:
    # One export at a time per output is the output lock's rule (sinks.lock, test_lock).
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.write("conversations", [B])  # not checkpointed: not counted
    sink.close()
    staged = staged_export(out)
    assert staged is not None and staged.chunks == 1


def test_a_sink_that_never_checkpointed_leaves_nothing(tmp_path: Path) -> None:
    for fmt in ("jsonl", "csv", "parquet"):
        sink = open_sink(tmp_path / f"out.{fmt}", fmt)
        sink.write("conversations", [A, B])  # the run fails before its first chunk is done
        sink.close()
    assert list(tmp_path.iterdir()) == []


def test_a_parts_directory_we_did_not_write_is_in_the_way(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    parts_path(out).write_text("precious\n")
    with pytest.raises(ConfigError, match="is in the way"):
        staged_export(out)
    parts_path(out).unlink()
    parts_path(out).mkdir()
    (parts_path(out) / "mine.txt").write_text("precious\n")
    with pytest.raises(ConfigError, match="is in the way"):
        staged_export(out)


def test_what_a_killed_run_left_is_cleared_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    sink.write("conversations", [A, C])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.close()
    parts = parts_path(out)
    (parts / "spool").mkdir()  # what SIGKILL leaves: spooled records, a half chunk, output
    (parts / "spool" / "conversations~2024-05-02.spool").write_text("debris")
    (parts / "chunks" / ".tmp-00000002").mkdir()
    (parts / "chunks" / ".tmp-00000002" / "conversations.jsonl").write_text("half")
    (parts / "output").mkdir()
    (parts / "mine.txt").write_text("precious")
    sink = open_sink(out, "jsonl", resume=True)
    assert sorted(p.name for p in (parts / "chunks").iterdir())[0].startswith("00000001-")
    assert len(list((parts / "chunks").iterdir())) == 1
    sink.commit()
    sink.close()
    assert read_jsonl(out) == [A]
    assert [p.name for p in parts.iterdir()] == ["mine.txt"], "only what we write is removed"


def test_csv_is_the_flat_conversations_table(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    sink = open_sink(out, "csv")
    sink.write("conversations", [C, A, B])
    sink.checkpoint("conversations", "k2", MAY2)
    sink.checkpoint("conversations", "k1", MAY1)
    assert not out.exists()
    sink.commit()
    sink.close()
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["conversation_id"] for r in rows] == ["b", "a", "c"]
    assert "raw" not in rows[0]
    assert rows[1]["media_types"] == "callback,voice"
    assert rows[0]["ongoing"] == "true" and rows[0]["conversation_end"] == ""
    assert rows[1]["conversation_start"].startswith("2024-05-01 10:00:00")
    assert rows[1]["conversation_start"].endswith("+00")
    assert not parts_path(out).exists()


def test_parquet_is_a_directory_per_table_partitioned_by_utc_day(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sink = open_sink(out, "parquet")
    sink.write("conversations", [A, B, C])
    sink.checkpoint("conversations", "k1", MAY1)
    sink.checkpoint("conversations", "k2", MAY2)
    assert not out.exists()
    sink.commit()
    sink.close()
    tables = ["conversations", "participants", "sessions", "segments", "session_metrics"]
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, *tables])
    for table in tables:
        assert sorted(p.name for p in (out / table).iterdir()) == [
            "conversation_date=2024-05-01",
            "conversation_date=2024-05-02",
        ]
    marker = orjson.loads((out / MARKER).read_bytes())
    assert marker["format"] == "parquet" and marker["tables"]["conversations"]["rows"] == 3
    assert marker["tables"]["sessions"] == {"path": "sessions", "rows": 4}
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT conversation_id, conversation_date::VARCHAR, raw, "
            "typeof(conversation_start) FROM read_parquet(?, hive_partitioning = true) ORDER BY 1",
            [f"{out}/conversations/**/*.parquet"],
        ).fetchall()
        sessions = con.execute(
            "SELECT session_id, conversation_date::VARCHAR FROM read_parquet(?, "
            "hive_partitioning = true) ORDER BY 1",
            [f"{out}/sessions/**/*.parquet"],
        ).fetchall()
    assert [r[:2] for r in rows] == [("a", "2024-05-01"), ("b", "2024-05-01"), ("c", "2024-05-02")]
    assert orjson.loads(rows[0][2]) == A
    assert rows[0][3] == "TIMESTAMP WITH TIME ZONE"
    assert sessions == [
        ("a-s0", "2024-05-01"),
        ("a-s1", "2024-05-01"),
        ("b-s0", "2024-05-01"),
        ("c-s0", "2024-05-02"),
    ]
    assert not parts_path(out).exists()


def test_parquet_commit_replaces_an_older_directory(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    for batch, meta in (([A, C], MAY2), ([B], MAY1)):
        sink = open_sink(out, "parquet")
        sink.write("conversations", batch)
        sink.checkpoint("conversations", "k", meta)
        sink.commit()
        sink.close()
    assert [p.name for p in (out / "conversations").iterdir()] == ["conversation_date=2024-05-01"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def test_closed_file_sink_refuses_writes(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "x.jsonl", "jsonl")
    sink.close()
    with pytest.raises(RuntimeError):
        sink.write("conversations", [A])


def test_batches_go_through_a_scratch_directory_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    db = tmp_path / "out.duckdb"
    # Conversations go to the store as Arrow tables; the other datasets as NDJSON files.
    sink = open_sink(db, "duckdb", storages=[CONVERSATIONS_STORAGE, USER_DETAILS_STORAGE])
    sink.write("conversations", [A])
    sink.write("user-details", [{"recordKey": "u|routing|t", "userId": "u", "kind": "routing"}])
    sink.checkpoint("user-details", "k1", {})
    assert (scratch_path(db) / "batch-0.ndjson").is_file()
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.duckdb", "systmp"]
    assert list(systmp.iterdir()) == [], "nothing in the system temp folder to leak"


def test_remove_unused_store_removes_only_a_store_without_checkpoints(tmp_path: Path) -> None:
    used, unused = tmp_path / "used.duckdb", tmp_path / "unused.duckdb"
    for db in (used, unused):
        sink = open_sink(db, "duckdb")
        sink.write("conversations", [A])
        if db is used:
            sink.checkpoint("conversations", "k1", {})
        sink.close()
    assert not remove_unused_store(used) and used.exists()
    assert remove_unused_store(unused)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used.duckdb"]


def test_malformed_child_timestamp_becomes_null_not_a_failure(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    bad = conv("x", "2024-05-01T10:00:00.000Z")
    seg = bad["participants"][0]["sessions"][0]["segments"][0]
    seg["segmentStart"] = "yesterday-ish"
    seg["segmentEnd"] = "2024-05-01T12:00:00.250+02:00"
    sink = open_sink(db, "duckdb")
    sink.write("conversations", [bad])
    sink.commit()
    sink.close()
    assert q(db, "SELECT segment_start, segment_end FROM segments") == [
        (None, datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC))
    ]
