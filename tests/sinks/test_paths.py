"""What an export may replace: only what is recognisably an earlier export of ours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.paths import MARKER, check_target, parquet_is_ours

CONVERSATION = {"conversationId": "c1", "conversationStart": "2024-05-01T00:00:00.000Z"}
CSV_HEADER = "conversation_id,conversation_start,conversation_end,ongoing\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def parquet_dir(root: Path, *, marker: bool = True) -> Path:
    write(root / "conversation_date=2024-05-01" / "data_0.parquet", "PAR1")
    if marker:
        write(root / MARKER, "{}")
    return root


def test_nothing_there_is_fine_and_missing_parents_are_listed(tmp_path: Path) -> None:
    target = check_target(tmp_path / "a" / "b" / "out.jsonl", "jsonl")
    assert target.note is None and not target.replace_first
    assert target.missing == (tmp_path / "a", tmp_path / "a" / "b")
    assert target.path == tmp_path / "a" / "b" / "out.jsonl"
    assert list(tmp_path.iterdir()) == [], "a check creates nothing"


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_target("x/../out.csv", "csv").path == tmp_path / "out.csv"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "duckdb"])
def test_a_parent_that_is_a_file_is_refused(tmp_path: Path, fmt: str) -> None:
    write(tmp_path / "f", "x")
    with pytest.raises(ConfigError, match=r"f is a file, not a directory\.$"):
        check_target(tmp_path / "f" / "sub" / "out", fmt)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir(mode=0o555)
    with pytest.raises(ConfigError, match="no permission"):
        check_target(tmp_path / "ro" / "out.jsonl", "jsonl")


@pytest.mark.parametrize(
    ("fmt", "content", "note"),
    [
        ("jsonl", orjson.dumps(CONVERSATION).decode() + "\n", "replacing the earlier jsonl"),
        ("csv", CSV_HEADER + "c1,2024-05-01,,false\n", "replacing the earlier csv"),
        ("jsonl", "", "replacing the empty file"),
        ("csv", "", "replacing the empty file"),
        ("parquet", "", "replacing the empty file"),
        ("duckdb", "", "replacing the empty file"),
    ],
)
def test_an_earlier_export_or_an_empty_file_is_replaced_and_said(
    tmp_path: Path, fmt: str, content: str, note: str
) -> None:
    out = write(tmp_path / "out", content)
    target = check_target(out, fmt)
    assert target.note is not None and target.note.startswith(note)
    assert target.replace_first == (fmt == "duckdb")
    assert out.read_text() == content, "checking changes nothing"


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("jsonl", "precious\n"),
        ("jsonl", '{"id": 1}\n'),  # JSON, but not a conversation
        ("jsonl", "[1, 2]\n"),
        ("csv", "name,amount\nrent,900\n"),
        ("csv", "conversation_id,salary\n"),  # not only our columns
        ("parquet", "precious\n"),
        ("duckdb", "precious\n"),
    ],
)
def test_a_file_we_did_not_write_needs_force(tmp_path: Path, fmt: str, content: str) -> None:
    out = write(tmp_path / "out", content)
    with pytest.raises(ConfigError, match="--force"):
        check_target(out, fmt)
    target = check_target(out, fmt, force=True)
    assert target.note is not None and target.note.startswith(f"replacing {out} (--force)")
    assert target.replace_first == (fmt == "duckdb")
    assert out.read_text() == content


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "duckdb"])
def test_a_directory_is_refused_for_a_one_file_format(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"x.{fmt}"
    out.mkdir()
    said = "--format duckdb writes one" if fmt == "duckdb" else f"an --out ending in .{fmt} is one"
    for force in (False, True):
        with pytest.raises(ConfigError, match=f"is a directory; {said}"):
            check_target(out, fmt, force=force)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_file_format_without_its_ending_is_a_directory_of_tables(
    tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "lake"
    assert check_target(out, fmt, tables=["conversations", "users"]).note is None
    out.mkdir()
    write(out / MARKER, '{"format": "csv"}')
    write(out / "users.csv", "user_id\n")
    write(out / "conversations" / "conversation_date=2024-05-01" / "data_0.parquet", "PAR1")
    write(out / "users" / "data_0.parquet", "PAR1")
    note = check_target(out, fmt).note
    assert note is not None and note.startswith(f"replacing the earlier csv export in {out}")
    write(out / "users" / "notes.txt", "mine")
    with pytest.raises(ConfigError, match="did not write \\(users\\)"):
        check_target(out, fmt, force=True)


def test_one_file_holds_the_conversations_tables_only(tmp_path: Path) -> None:
    check_target(tmp_path / "x.jsonl", "jsonl", tables=["conversations", "segments"])
    with pytest.raises(ConfigError, match=r"one jsonl file.*also writes users; give a directory"):
        check_target(tmp_path / "x.jsonl", "jsonl", tables=["conversations", "users"])


def test_a_parquet_directory_of_ours_is_replaced(tmp_path: Path) -> None:
    out = parquet_dir(tmp_path / "out")
    assert parquet_is_ours(out)
    note = check_target(out, "parquet").note
    assert note is not None and note.startswith("replacing the earlier parquet export")
    assert check_target(tmp_path / "empty", "parquet").note is None
    (tmp_path / "empty").mkdir()
    assert check_target(tmp_path / "empty", "parquet").note is None


def test_parquet_partitions_without_our_marker_need_force(tmp_path: Path) -> None:
    out = parquet_dir(tmp_path / "out", marker=False)
    assert not parquet_is_ours(out)
    with pytest.raises(ConfigError, match=f"no {MARKER}.*--force"):
        check_target(out, "parquet")
    assert check_target(out, "parquet", force=True).note == (
        f"replacing {out} (--force) when this export completes."
    )


@pytest.mark.parametrize(
    "extra",
    [
        "a.txt",  # a file of the user's beside our partitions
        "conversation_date=2024-05-01/notes.txt",  # inside a partition
        "conversation_date=2024-05-02/data_0.parquet/x",  # a directory where a file goes
        "other=1/data_0.parquet",
    ],
)
def test_a_directory_with_anything_we_do_not_write_is_refused_even_forced(
    tmp_path: Path, extra: str
) -> None:
    out = parquet_dir(tmp_path / "out")
    write(out / extra, "precious")
    assert not parquet_is_ours(out)
    for force in (False, True):
        with pytest.raises(ConfigError, match=f"did not write \\({extra.split('/')[0]}"):
            check_target(out, "parquet", force=force)
    assert (out / extra).read_text() == "precious"


def test_the_current_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for out in (".", ".."):
        with pytest.raises(ConfigError, match="current directory"):
            check_target(out, "parquet")


def test_a_duckdb_store_of_ours_or_an_empty_database_is_written_into(tmp_path: Path) -> None:
    ours, empty = tmp_path / "ours.duckdb", tmp_path / "empty.duckdb"
    with duckdb.connect(str(ours)) as con:
        con.execute("CREATE TABLE _export_chunks (chunk_key VARCHAR)")
        con.execute("CREATE TABLE conversations (conversation_id VARCHAR)")
    duckdb.connect(str(empty)).close()
    assert check_target(ours, "duckdb").note == f"adding to the earlier export in {ours}."
    assert check_target(empty, "duckdb").note is None
    assert not check_target(ours, "duckdb").replace_first


def test_a_duckdb_database_of_someone_else_is_added_to_only_when_forced(tmp_path: Path) -> None:
    db = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE budget (amount INT)")
    with pytest.raises(ConfigError, match=r"it holds budget.*--force"):
        check_target(db, "duckdb")
    target = check_target(db, "duckdb", force=True)
    assert target.note == f"adding the export's tables to {db} (--force)."
    assert not target.replace_first, "a database is never replaced"


@pytest.mark.parametrize("name", ["conversations", "volume_by_channel_day"])
def test_a_database_with_a_table_named_like_ours_is_refused_even_forced(
    tmp_path: Path, name: str
) -> None:
    db = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE {name} (x INT)")
    with pytest.raises(ConfigError, match=f"whose {name} was not written"):
        check_target(db, "duckdb", force=True, tables=["conversations"])


def test_a_database_another_process_writes_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(ConfigError, match="is open in another process"):
            check_target(db, "duckdb")
    finally:
        holder.communicate("")


HOLD_LOCK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
"""
