"""Scheduled incremental runs converge: late data, open records closing, new days.

A store refreshed with ``export --incremental`` once a (emulated) day, while the emulator
revises conversations after serving them and its "now" moves on, ends equal, row for row,
to a fresh full export of the whole interval, for conversations and user details alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics.emulator import EmulatorSettings, RunningEmulator, run_emulator
from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

START = NOW.replace(hour=0) - timedelta(days=2)
TABLES = ("conversations", "participants", "sessions", "segments", "session_metrics")
STATUS_TABLES = ("user_presence", "user_routing_status")
BOTH = "conversations,user-details"


@pytest.fixture()
def late_emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(
        seed=23,
        days=3,
        per_day=120,
        now=NOW,
        late_data=0.4,
        rate_limit=(6000, 60.0),
        job_run_seconds=0.2,
    )
    with run_emulator(settings) as emu:
        yield emu


def rows(db: Path, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``, sorted (lists and JSON compared as text)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in tables:
            cols = ", ".join(f"CAST({c} AS VARCHAR)" for c in SCHEMA[table].names)
            out[table] = sorted(con.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def export(emu: RunningEmulator, tmp: Path, *args: str) -> str:
    res = run_cli(["export", "--dataset", BOTH, *args], cli_env(emu), tmp)
    assert res.returncode == 0, res.stderr
    return res.stderr


def test_daily_incremental_runs_converge_to_a_full_export(
    late_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emu = late_emulator
    store = tmp_path / "daily.duckdb"
    export(emu, tmp_path, "--start", fmt(START), "--end", fmt(NOW), "--out", str(store))
    first = rows(store, ("conversations",))["conversations"]
    now: datetime = NOW
    reports = []
    for _ in range(3):  # three scheduled runs, one emulated day apart
        now = emu.set_now(advance="1d")
        reports.append(
            export(emu, tmp_path, "--incremental", "--end", fmt(now), "--out", str(store))
        )
    full = tmp_path / "full.duckdb"
    export(emu, tmp_path, "--start", fmt(START), "--end", fmt(now), "--out", str(full))

    truth = emu.truth(START, now, content=True)
    statuses = emu.truth(START, now, dataset="user-details", content=True)
    got, want = rows(store, TABLES + STATUS_TABLES), rows(full, TABLES + STATUS_TABLES)
    assert sorted(r[0] for r in want["conversations"]) == truth["ids"]
    assert len(want["user_presence"]) + len(want["user_routing_status"]) == len(statuses["records"])
    for table in TABLES + STATUS_TABLES:
        assert got[table] == want[table], f"{table} differs from a full export"
    # the runs really had late data to catch: conversations of the first run changed since
    final = {r[0]: r for r in want["conversations"]}
    assert sum(1 for r in first if final[r[0]] != r) > 10
    # each run says what it re-read and what changed
    for report in reports:
        assert "re-read" in report and "lookback 72h" in report, report
        assert "conversations:" in report and "user-details:" in report, report
    assert any(" updated" in r and " 0 updated" not in r.split("user-details:")[0] for r in reports)


def statuses_in(db: Path) -> list[tuple[str, str, str, str | None, str]]:
    """(userId, kind, startTime, endTime, status) of every stored status record, as the
    API writes times."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        ts = "strftime({c}, '%Y-%m-%dT%H:%M:%S.%gZ')"
        found = []
        for table, kind, status in (
            ("user_presence", "presence", "system_presence"),
            ("user_routing_status", "routing", "routing_status"),
        ):
            start, end = ts.format(c="start_time"), ts.format(c="end_time")
            sql = f"SELECT user_id, '{kind}', {start}, {end}, {status} FROM {table}"
            found.extend(con.execute(f"SET TimeZone = 'UTC'; {sql}").fetchall())
        return sorted(found, key=repr)
    finally:
        con.close()


def test_incremental_user_details_end_to_end(
    late_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emu = late_emulator
    store, start = tmp_path / "statuses.duckdb", NOW - timedelta(days=1)
    first = ["export", "--dataset", "user-details", "--out", str(store)]
    res = run_cli([*first, "--start", fmt(start), "--end", fmt(NOW)], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    opened = {row[:3] for row in statuses_in(store) if row[3] is None}
    assert opened, "records open at the first now"
    now = emu.set_now(advance="2d")
    res = run_cli([*first, "--incremental", "--end", fmt(now)], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    truth = emu.truth(start, now, dataset="user-details", content=True)["records"]
    want = sorted(
        (
            r["userId"],
            r["kind"],
            r["startTime"],
            r.get("endTime"),
            r.get("systemPresence") or r.get("routingStatus"),
        )
        for r in truth
    )
    got = statuses_in(store)
    assert got == sorted(want, key=repr)
    assert all(r[3] is not None for r in got if r[:3] in opened), "they closed since"
    assert "user-details: re-read" in res.stderr and " updated." in res.stderr
