"""The CLI as a user runs it, against a real emulator, checked against its truth."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

START = NOW - timedelta(days=3, hours=5)
END = NOW - timedelta(minutes=30)


def _ids_in(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("select conversation_id from conversations").fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("method", ["query", "job", "auto"])
def test_volume_json_matches_truth(emulator: Any, tmp_path: Path, method: str) -> None:
    args = [
        "volume",
        "--start",
        fmt(START),
        "--end",
        fmt(END),
        "--format",
        "json",
        "--method",
        method,
    ]
    res = run_cli(args, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    report = orjson.loads(res.stdout)
    truth = emulator.truth(START, END)
    assert set(report) == {"start", "end", "by", "source", "counts", "total"}
    assert report["by"] == "mediaType" and report["source"] == "details"
    assert report["total"] == truth["total"] > 0
    assert report["counts"] == truth["counts"]


def test_export_duckdb_ids_exact_and_rerun_no_duplicates(emulator: Any, tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(db)]
    truth = emulator.truth(START, END)
    for _ in range(2):
        res = run_cli(args, cli_env(emulator), tmp_path)
        assert res.returncode == 0, res.stderr
        ids = _ids_in(db)
        assert len(ids) == len(set(ids))
        assert sorted(ids) == truth["ids"]


@pytest.mark.parametrize("fmt_name", ["jsonl", "csv", "parquet"])
def test_export_file_formats_exact(emulator: Any, tmp_path: Path, fmt_name: str) -> None:
    out = tmp_path / f"out.{fmt_name}"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--format", fmt_name]
    res = run_cli([*args, "--out", str(out)], cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    truth = emulator.truth(START, END)
    con = duckdb.connect()
    if fmt_name == "jsonl":
        ids = [orjson.loads(line)["conversationId"] for line in out.read_text().splitlines()]
    elif fmt_name == "csv":
        ids = [
            r[0]
            for r in con.execute(f"select conversation_id from read_csv_auto('{out}')").fetchall()
        ]
    else:
        glob = f"{out}/conversations/**/*.parquet"
        ids = [
            r[0]
            for r in con.execute(f"select conversation_id from read_parquet('{glob}')").fetchall()
        ]
    assert sorted(ids) == truth["ids"]


@pytest.mark.parametrize("method", ["auto", "query"])
def test_export_with_every_fault_is_exact(tmp_path: Path, method: str) -> None:
    faults = {
        "throttle": 0.08,
        "server-errors": 0.08,
        "drop": 0.1,
        "drift": 0.03,
        "token-expiry": 2.0,
        "job-failure": 0.5,
    }
    settings = EmulatorSettings(
        seed=5, days=4, per_day=1200, now=NOW, faults=faults, rate_limit=(6000, 60.0)
    )
    with run_emulator(settings) as emu:
        db = tmp_path / "faults.duckdb"
        args = [
            "export",
            "--start",
            fmt(START),
            "--end",
            fmt(END),
            "--out",
            str(db),
            "--method",
            method,
            # One worker in auto mode keeps the order of fault rolls, so the seeded faults repeat.
            "--workers",
            "3" if method == "query" else "1",
        ]
        res = run_cli(args, cli_env(emu), tmp_path, timeout=240)
        assert res.returncode == 0, res.stderr
        truth = emu.truth(START, END)
        ids = _ids_in(db)
        assert len(ids) == len(set(ids))
        assert sorted(ids) == truth["ids"]
        injected = emu.app_state.faults_injected
        expected = ("throttle", "server-errors", "drop", "drift") if method == "query" else ()
        for name in (*expected, "token-expiry"):
            assert injected.get(name, 0) > 0, (name, injected)


def test_no_credentials_says_what_to_set(tmp_path: Path) -> None:
    env = cli_env(type("E", (), {"client_id": "", "client_secret": "", "base_url": ""})())
    for key in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_BASE_URL"):
        env.pop(key)
    res = run_cli(["volume", "--last", "7d"], env, tmp_path)
    assert res.returncode == 2
    assert "GENESYS_CLIENT_ID" in res.stderr and "genesys-analytics demo" in res.stderr


def test_bad_credentials_exit_auth(emulator: Any, tmp_path: Path) -> None:
    env = cli_env(emulator, GENESYS_CLIENT_SECRET="wrong-secret")
    res = run_cli(["volume", "--last", "1d"], env, tmp_path)
    assert res.returncode == 3
    assert "wrong-secret" not in res.stderr + res.stdout
    assert "GENESYS_BASE_URL" in res.stderr  # the base URL replaces the region here


def test_malformed_date_is_usage_error(emulator: Any, tmp_path: Path) -> None:
    res = run_cli(["volume", "--start", "05/01/2024"], cli_env(emulator), tmp_path)
    assert res.returncode == 2
    assert "ISO-8601" in res.stderr


def test_quota_retry_after_stops_with_wait(tmp_path: Path) -> None:
    settings = EmulatorSettings(seed=1, days=2, per_day=50, now=NOW, faults={"quota": 1.0})
    with run_emulator(settings) as emu:
        res = run_cli(["volume", "--last", "1d", "--method", "query"], cli_env(emu), tmp_path)
    assert res.returncode == 6
    assert "wait" in res.stderr


def test_live_emulator_interval_refused_when_too_long_for_query(
    emulator: Any, tmp_path: Path
) -> None:
    # A 20-day query-only export is planned into day chunks; nothing is refused.
    start = NOW - timedelta(days=20)
    res = run_cli(
        [
            "volume",
            "--start",
            fmt(start),
            "--end",
            fmt(NOW),
            "--method",
            "query",
            "--format",
            "json",
        ],
        cli_env(emulator),
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert orjson.loads(res.stdout)["total"] == emulator.truth(start, NOW)["total"]


def test_incremental_continues_from_the_store(emulator: Any, tmp_path: Path) -> None:
    db = tmp_path / "inc.duckdb"
    middle = START + timedelta(days=1, hours=7)
    first = ["export", "--start", fmt(START), "--end", fmt(middle), "--out", str(db)]
    res = run_cli(first, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    assert sorted(_ids_in(db)) == emulator.truth(START, middle)["ids"]
    second = ["export", "--incremental", "--end", fmt(END), "--out", str(db), "--method", "query"]
    res = run_cli(second, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    ids = _ids_in(db)
    assert len(ids) == len(set(ids))
    assert sorted(ids) == emulator.truth(START, END)["ids"]


def test_incremental_without_history_is_a_usage_error(emulator: Any, tmp_path: Path) -> None:
    res = run_cli(
        ["export", "--incremental", "--out", str(tmp_path / "none.duckdb")],
        cli_env(emulator),
        tmp_path,
    )
    assert res.returncode == 2
    assert "--start" in res.stderr


def test_jobs_that_always_fail_end_in_incomplete_export(tmp_path: Path) -> None:
    settings = EmulatorSettings(
        seed=2, days=3, per_day=100, now=NOW, faults={"job-failure": 1.0}, rate_limit=(6000, 60.0)
    )
    with run_emulator(settings) as emu:
        db = tmp_path / "jobs.duckdb"
        args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(db)]
        res = run_cli([*args, "--method", "job"], cli_env(emu), tmp_path)
        assert res.returncode == 10, res.stderr
        assert "--resume" in res.stderr and "FAILED" in res.stderr
        assert emu.app_state.faults_injected["job-failure"] >= 2
