"""Issues 11 and 14: Parquet, JSON Lines and CSV hold every dataset, one file (or partitioned
directory) per table, each equal to the emulator's truth and to the same export in DuckDB;
a file export killed with SIGKILL resumes exactly; nothing foreign is ever replaced."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.timeutil import fmt

from .conftest import NOW, CliResult, cli_env, read_log_until, run_cli, start_cli

START, END = NOW - timedelta(days=2, hours=7), NOW - timedelta(hours=2)
SPAN = ["--start", fmt(START), "--end", fmt(END)]
MARKER = "_genesys_analytics.json"
#: Dimension lists: dataset → (table, key column, key field of a JSON Lines record).
LISTS = {
    "users": ("users", "user_id"),
    "queues": ("queues", "queue_id"),
    "wrapup-codes": ("wrapup_codes", "wrapup_code_id"),
    "divisions": ("divisions", "division_id"),
    "presence-definitions": ("presence_definitions", "presence_definition_id"),
}
CONVERSATION_TABLES = ("conversations", "participants", "sessions", "segments", "session_metrics")
ALL_TABLES = (
    *CONVERSATION_TABLES,
    "user_presence",
    "user_routing_status",
    "users",
    "queues",
    "queue_members",
    "wrapup_codes",
    "divisions",
    "presence_definitions",
)
RECORD_TABLES = (
    "conversations",
    "user_presence",
    "user_routing_status",
    "users",
    "queues",
    "queue_members",
    "wrapup_codes",
    "divisions",
    "presence_definitions",
)


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    settings = EmulatorSettings(
        seed=51,
        days=3,
        per_day=150,
        now=NOW,
        rate_limit=(6000, 60.0),
        faults={"throttle": 0.03, "server-errors": 0.03, "latency": 0.005},
    )
    with run_emulator(settings) as running:
        yield running


@pytest.fixture(scope="module")
def reference(emu: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same export into DuckDB: every table, to compare the files with."""
    work = tmp_path_factory.mktemp("reference")
    out = work / "all.duckdb"
    res = export(emu, work, str(out), "--dataset", "all")
    assert res.returncode == 0, res.stderr
    return out


def export(emu: Any, cwd: Path, out: str, *extra: str) -> CliResult:
    args = ["export", *SPAN, "--out", out, "--method", "query", *extra]
    return run_cli(args, cli_env(emu), cwd, timeout=180)


def one_error_line(res: CliResult) -> str:
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


def reader(out: Path, fmt_name: str, table: str) -> str:
    """A DuckDB table function reading one table of a directory output."""
    if fmt_name == "parquet":
        return f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = true)"
    if fmt_name == "csv":
        return f"read_csv('{out}/{table}.csv', header = true)"
    return f"read_ndjson_objects('{out}/{table}.jsonl')"  # the lines as JSON, as written


def rows(sql: str) -> list[Any]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def statuses(source: str, fmt_name: str) -> list[list[str]]:
    if fmt_name == "jsonl":  # the records as the API gave them
        sql = f"SELECT json->>'userId', json->>'startTime' FROM {source}"
        return sorted([list(r) for r in rows(sql)])
    start = "strftime(start_time::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S.%g') || 'Z'"
    return sorted([list(r) for r in rows(f"SELECT user_id, {start} FROM {source}")])


def assert_files_equal_truth(emu: Any, out: Path, fmt_name: str) -> None:
    ids = "json->>'conversationId'" if fmt_name == "jsonl" else "conversation_id"
    got = [r[0] for r in rows(f"SELECT {ids} FROM {reader(out, fmt_name, 'conversations')}")]
    assert sorted(got) == emu.truth(START, END)["ids"]
    truth = emu.truth(START, END, dataset="user-details")
    assert statuses(reader(out, fmt_name, "user_presence"), fmt_name) == sorted(truth["presence"])
    assert statuses(reader(out, fmt_name, "user_routing_status"), fmt_name) == sorted(
        truth["routing"]
    )
    for dataset, (table, key) in LISTS.items():
        column = "json->>'id'" if fmt_name == "jsonl" else key
        found = rows(f"SELECT {column} FROM {reader(out, fmt_name, table)}")
        got = sorted(r[0] for r in found if not r[0].startswith("ININ-"))
        assert got == sorted(emu.truth(dataset=dataset)["ids"]), dataset


def same_as_duckdb(out: Path, fmt_name: str, reference: Path, table: str) -> None:
    """Every row of ``table`` equals the DuckDB export's (CSV: as text, without ``raw``)."""
    cols = [c.name for c in SCHEMA[table].columns if c.name not in ("raw", "fetched_at")]
    with duckdb.connect(str(reference), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        if fmt_name == "csv":
            shown = [
                f"array_to_string({c.name}, ',')" if c.sql_type.endswith("[]") else c.name
                for c in SCHEMA[table].columns
                if c.name in cols
            ]
            want = con.execute(f"SELECT {', '.join(f'({s})::VARCHAR' for s in shown)} FROM {table}")
        else:
            want = con.execute(f"SELECT {', '.join(cols)} FROM {table}")
        expected = sorted(want.fetchall(), key=repr)
        if fmt_name == "csv":
            src = f"read_csv('{out}/{table}.csv', header = true, all_varchar = true)"
            got = con.execute(f"SELECT {', '.join(cols)} FROM {src}").fetchall()
            normal = [tuple(_csv_text(v) for v in r) for r in got]
            expected = [tuple(_csv_text(v) for v in r) for r in expected]
            assert sorted(normal, key=repr) == sorted(expected, key=repr), table
        else:
            got = con.execute(f"SELECT {', '.join(cols)} FROM {reader(out, fmt_name, table)}")
            assert sorted(got.fetchall(), key=repr) == expected, table


def _csv_text(value: Any) -> Any:
    """CSV and DuckDB's VARCHAR cast spell booleans and empty lists alike but for case."""
    if value is None or value == "":
        return None
    return str(value).lower()


@pytest.mark.parametrize("fmt_name", ["parquet", "jsonl", "csv"])
def test_every_dataset_into_files_equals_the_truth_per_table(
    emu: Any, reference: Path, tmp_path: Path, fmt_name: str
) -> None:
    out = tmp_path / "lake"
    res = export(emu, tmp_path, str(out), "--dataset", "all", "--format", fmt_name)
    assert res.returncode == 0, res.stderr
    tables = RECORD_TABLES if fmt_name == "jsonl" else ALL_TABLES
    ext = "" if fmt_name == "parquet" else f".{fmt_name}"
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, *(t + ext for t in tables)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"], "no parts left beside it"
    assert_files_equal_truth(emu, out, fmt_name)
    marker = orjson.loads((out / MARKER).read_bytes())
    assert marker["format"] == fmt_name and set(marker["tables"]) == set(tables)
    with duckdb.connect(str(reference), read_only=True) as con:
        for table in tables:
            found = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert found is not None
            assert marker["tables"][table]["rows"] == found[0], table
    if fmt_name != "jsonl":
        for table in tables:
            same_as_duckdb(out, fmt_name, reference, table)
    if fmt_name == "parquet":  # a day's child rows sit in that day's partitions
        days = {p.name for p in (out / "conversations").iterdir()}
        assert len(days) == 3 and all(d.startswith("conversation_date=") for d in days)
        assert {p.name for p in (out / "segments").iterdir()} <= days
        joined = rows(
            f"SELECT count(*) FROM {reader(out, 'parquet', 'segments')} s "
            f"JOIN {reader(out, 'parquet', 'conversations')} c USING (conversation_id) "
            "WHERE s.conversation_date <> c.conversation_date"
        )
        assert joined == [(0,)]
        assert (out / "users" / "data_0.parquet").is_file()
        assert {p.name[:11] for p in (out / "user_presence").iterdir()} == {"start_date="}


def test_kill_then_resume_a_file_export_equals_the_truth(emu: Any, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    args = ["export", *SPAN, "--out", str(out), "--dataset", "all", "--format", "parquet"]
    args += ["--method", "query", "--workers", "1"]
    proc = start_cli(args, cli_env(emu), tmp_path)
    read_log_until(proc, 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not out.exists(), "nothing at the final path that looks complete"
    res = run_cli([*args, "--resume"], cli_env(emu), tmp_path, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "already done" in res.stderr and "; 0 already done" not in res.stderr
    assert_files_equal_truth(emu, out, "parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]


@pytest.mark.parametrize("fmt_name", ["jsonl", "csv", "parquet"])
def test_a_directory_with_files_it_did_not_write_is_never_replaced(
    emu: Any, tmp_path: Path, fmt_name: str
) -> None:
    out = tmp_path / "lake"
    out.mkdir()
    (out / "conversations.csv").write_text("mine\n")
    (out / "notes.txt").write_text("precious\n")
    for extra in ([], ["--force"]):
        res = export(emu, tmp_path, str(out), "--format", fmt_name, *extra)
        assert res.returncode == 2, res.stderr
        assert "notes.txt" in one_error_line(res)
    assert sorted(p.name for p in out.iterdir()) == ["conversations.csv", "notes.txt"]
    assert (out / "notes.txt").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]


def test_a_rerun_replaces_its_own_directory_and_one_file_holds_conversations_only(
    emu: Any, tmp_path: Path
) -> None:
    out = tmp_path / "lake"
    assert export(emu, tmp_path, str(out), "--format", "csv").returncode == 0
    res = export(emu, tmp_path, str(out), "--format", "jsonl", "--dataset", "conversations,users")
    assert res.returncode == 0, res.stderr
    assert f"replacing the earlier csv export in {out}" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "conversations.jsonl", "users.jsonl"]
    one = tmp_path / "one.jsonl"
    res = export(emu, tmp_path, str(one), "--format", "jsonl", "--dataset", "all")
    assert res.returncode == 2
    line = one_error_line(res)
    assert "one jsonl file" in line and "give a directory" in line
    assert not one.exists()
