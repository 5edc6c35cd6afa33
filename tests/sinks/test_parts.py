"""The part-file bookkeeping of file exports: the spool, chunk directories, upsert by chunk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genesys_analytics.sinks.dimensions import USERS_STORAGE
from genesys_analytics.sinks.files import open_sink
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.parts import CHUNK, Parts, parts_path
from genesys_analytics.sinks.spool import Spool, line
from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE

DAY1 = {"start": "2024-05-01T00:00:00.000Z", "end": "2024-05-02T00:00:00.000Z"}


def spooled(spool: Spool, day: str, *items: tuple[str, str, int]) -> None:
    """Spool ``(timestamp, key, version)`` records of table 0."""
    spool.add(
        "d",
        day,
        [line(ts, 0, orjson.dumps(key), orjson.dumps({"k": key, "v": v})) for ts, key, v in items],
    )


def taken(spool: Spool, lo: str, hi: str | None) -> list[tuple[str, int]]:
    return [(r["k"], r["v"]) for _t, body in spool.take("d", lo, hi) for r in [orjson.loads(body)]]


def test_take_gives_its_interval_newest_copy_in_order_and_leaves_the_rest(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    # two half-day chunks of one day read at once, and a re-read copy of "b"
    spooled(spool, "2024-05-01", ("2024-05-01T13:00:00.000Z", "x", 1))
    spooled(spool, "2024-05-01", ("2024-05-01T02:00:00.000Z", "b", 1))
    spooled(spool, "2024-05-01", ("2024-05-01T01:00:00.000Z", "a", 1))
    spooled(spool, "2024-05-01", ("2024-05-01T02:00:00.000Z", "b", 2))
    spooled(spool, "2024-05-02", ("2024-05-02T01:00:00.000Z", "c", 1))
    noon = "2024-05-01T12:00:00.000Z"
    assert taken(spool, "2024-05-01T00:00:00.000Z", noon) == [("a", 1), ("b", 2)]
    assert taken(spool, "2024-05-01T00:00:00.000Z", noon) == [], "taken once"
    spooled(spool, "2024-05-01", ("2024-05-01T14:00:00.000Z", "y", 1))  # appends after a take
    assert taken(spool, noon, "2024-05-02T00:00:00.000Z") == [("x", 1), ("y", 1)]
    assert [p.name for p in (tmp_path / "spool").iterdir()] == ["d~2024-05-02.spool"]
    spool.remove()
    assert not (tmp_path / "spool").exists()


def test_a_list_takes_everything_and_discard_forgets(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.add("d", "all", [line("", 0, b'"u1"', b'{"k":"u1","v":1}')])
    spool.discard("d")  # a list read afresh
    spool.add("d", "all", [line("", 0, b'"u2"', b'{"k":"u2","v":1}')])
    assert taken(spool, "", None) == [("u2", 1)]


def chunk_dir(parts: Parts, key: str, meta: dict[str, Any], dataset: str = "d") -> Path:
    tmp = parts.new_chunk()
    (tmp / "t.jsonl").write_bytes(key.encode())
    return parts.finish(tmp, key, dataset, meta, {"t": 1}).path


def test_a_chunk_exists_whole_or_not_at_all(tmp_path: Path) -> None:
    parts = Parts(tmp_path / "p")
    parts.open({"format": "jsonl"})
    first = chunk_dir(parts, "k1", DAY1)
    assert (first / CHUNK).is_file() and first.name.startswith("00000001-")
    half = parts.new_chunk()  # killed while writing the second chunk
    (half / "t.jsonl").write_bytes(b"half")
    unrecorded = parts.chunks_dir / "00000003-feedface"  # renamed without its chunk.json
    unrecorded.mkdir()
    again = Parts(tmp_path / "p")
    assert list(again.done_chunks("d")) == ["k1"]
    again.open({"format": "jsonl"})
    assert sorted(p.name for p in again.chunks_dir.iterdir()) == [first.name, unrecorded.name]
    assert chunk_dir(again, "k2", DAY1).name.startswith("00000004-"), "numbers never reused"


def test_upsert_by_chunk_the_same_key_replaces_a_covering_one_does_not(tmp_path: Path) -> None:
    parts = Parts(tmp_path / "p")
    parts.open({"format": "jsonl"})
    week = {"start": DAY1["start"], "end": "2024-05-08T00:00:00.000Z"}
    sealed = chunk_dir(parts, "d day1", DAY1)  # a job checkpointed the day it passed
    whole = chunk_dir(parts, "d week", week)  # then its whole chunk: the other days' records
    assert sealed.exists() and whole.exists()
    reread = chunk_dir(parts, "d day1", {**DAY1, "again": True})  # read again later
    assert not sealed.exists() and reread.exists()
    assert parts.done_chunks("d")["d day1"]["again"] is True
    assert [c.key for c in parts.chunks("d")] == ["d week", "d day1"]


def test_a_crash_between_the_new_chunk_and_the_removal_of_the_old_keeps_the_new(
    tmp_path: Path,
) -> None:
    parts = Parts(tmp_path / "p")
    parts.open({"format": "jsonl"})
    old = chunk_dir(parts, "k", DAY1)
    kept = tmp_path / "kept"
    shutil.copytree(old, kept)
    new = chunk_dir(parts, "k", {**DAY1, "v": 2})
    assert not old.exists()
    os.rename(kept, old)  # as if the process died before removing it
    again = Parts(tmp_path / "p")
    assert again.done_chunks("d")["k"]["v"] == 2
    again.open({"format": "jsonl"})
    assert [p.name for p in again.chunks_dir.iterdir()] == [new.name]


def test_a_new_read_of_a_list_replaces_every_earlier_one(tmp_path: Path) -> None:
    parts = Parts(tmp_path / "p")
    parts.open({"format": "jsonl"})
    snap = {"method": "snapshot", "start": DAY1["start"], "end": DAY1["end"]}
    first = chunk_dir(parts, "users 1", snap, dataset="users")
    other = chunk_dir(parts, "d k", DAY1)
    second = chunk_dir(parts, "users 2", snap, dataset="users")
    assert not first.exists() and other.exists() and second.exists()


def test_a_jobs_sealed_days_then_its_whole_chunk_hold_every_record_once(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = open_sink(out, "jsonl")
    conv = [
        {"conversationId": f"c{d}", "conversationStart": f"2024-05-0{d}T10:00:00.000Z"}
        for d in (1, 2, 3)
    ]
    sink.write("conversations", conv[:2])
    sink.checkpoint("conversations", "day 1", DAY1)  # sealed: the job passed day 1
    sink.write("conversations", conv[2:])
    whole = {"start": DAY1["start"], "end": "2024-05-04T00:00:00.000Z"}
    sink.checkpoint("conversations", "job", whole)
    sink.commit()
    sink.close()
    assert [orjson.loads(x)["conversationId"] for x in out.read_bytes().splitlines()] == [
        "c1",
        "c2",
        "c3",
    ]


def test_jsonl_puts_each_record_in_its_tables_file(tmp_path: Path) -> None:
    out = tmp_path / "lake"
    sink = open_sink(
        out,
        "jsonl",
        storages=[CONVERSATIONS_STORAGE, USER_DETAILS_STORAGE, USERS_STORAGE],
        timestamps={"conversations": "conversationStart", "user-details": "startTime"},
    )
    start = "2024-05-01T08:00:00.000Z"
    presence = {"recordKey": "u|presence|s", "userId": "u", "kind": "presence", "startTime": start}
    routing = {**presence, "recordKey": "u|routing|s", "kind": "routing"}
    odd = {**presence, "recordKey": "u|odd|s", "kind": "odd"}  # in no table, as in DuckDB
    sink.write("user-details", [routing, presence, odd])
    sink.checkpoint("user-details", "ud", DAY1)
    sink.begin_snapshot("users")
    sink.write("users", [{"id": "u", "name": "Ann"}])
    sink.checkpoint("users", "users", {"method": "snapshot"})
    sink.checkpoint("conversations", "c", DAY1)
    sink.commit()
    sink.close()
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "_genesys_analytics.json",
        "conversations.jsonl",
        "user_presence.jsonl",
        "user_routing_status.jsonl",
        "users.jsonl",
    ]
    assert orjson.loads((out / "user_presence.jsonl").read_bytes()) == presence
    assert orjson.loads((out / "user_routing_status.jsonl").read_bytes()) == routing
    assert (out / "conversations.jsonl").read_bytes() == b""
    marker = orjson.loads((out / "_genesys_analytics.json").read_bytes())
    assert marker["datasets"] == ["conversations", "user-details", "users"]
    assert marker["tables"]["users"] == {"path": "users.jsonl", "rows": 1}


def test_one_file_holds_the_conversations_dataset_only(tmp_path: Path) -> None:
    from genesys_analytics.errors import ConfigError

    with pytest.raises(ConfigError, match="holds the conversations table only"):
        open_sink(tmp_path / "x.csv", "csv", storages=[CONVERSATIONS_STORAGE, USERS_STORAGE])
    assert not parts_path(tmp_path / "x.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_chunk_flattened_in_pieces_equals_one_piece(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesys_analytics.emulator.data.org import Org, OrgSpec
    from genesys_analytics.sinks import arrow_parts

    org = Org(OrgSpec(days=1, per_day=40))
    convs = org.day(org.last_day)
    day = {"start": f"{org.last_day}T00:00:00.000Z", "end": f"{org.now.date()}T23:59:59.999Z"}
    outs = []
    for piece in (10_000, 7):  # one piece, then pieces of 7 records (flattened side by side)
        monkeypatch.setattr(arrow_parts, "PIECE", piece)
        out = tmp_path / f"{fmt}-{piece}"
        sink = open_sink(out, fmt)
        sink.write("conversations", convs)
        sink.checkpoint("conversations", "day", day)
        sink.commit()
        sink.close()
        outs.append(out)
    with duckdb.connect() as con:
        for table in ("conversations", "segments"):
            got = []
            for out in outs:
                source = (
                    f"read_csv('{out}/{table}.csv', all_varchar = true)"
                    if fmt == "csv"
                    else f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = true)"
                )
                got.append(con.execute(f"SELECT * FROM {source}").fetchall())
            assert got[0] == got[1] and len(got[0]) >= len(convs), table
    if fmt == "csv":  # the same bytes, pieces in order
        for table in ("conversations", "participants", "sessions", "segments", "session_metrics"):
            one, pieces = ((out / f"{table}.csv").read_bytes() for out in outs)
            assert one == pieces and one.count(b"\n") > len(convs) / 2, table
    if fmt == "parquet":
        files = list((outs[1] / "conversations").rglob("*.parquet"))
        assert len(files) == -(-len(convs) // 7), "a file per piece"


def test_a_piece_that_fails_fails_the_chunk_after_the_others_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesys_analytics.sinks import arrow_parts

    real = arrow_parts.conversation_tables_json
    seen: list[int] = []

    def flatten(lines: Any) -> Any:
        seen.append(len(lines))
        if len(seen) == 2:
            raise OSError("disk full")
        return real(lines)

    monkeypatch.setattr(arrow_parts, "conversation_tables_json", flatten)
    monkeypatch.setattr(arrow_parts, "PIECE", 1)
    parts = arrow_parts.ArrowParts("parquet")
    records = [(0, orjson.dumps({"conversationId": f"c{i}"})) for i in range(6)]
    with pytest.raises(OSError, match="disk full"):
        parts.write(CONVERSATIONS_STORAGE, records, tmp_path)
    written = sorted(p.name for p in (tmp_path / "conversations").iterdir())
    parts.close()
    assert written == sorted(p.name for p in (tmp_path / "conversations").iterdir())
    assert len(seen) < 6  # the pieces after a failure are not all flattened
