"""Every dataset through the CLI, as a process, against the emulator: equal to its truth."""

from __future__ import annotations

import json
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics import Client
from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, read_log_until, run_cli, start_cli

START, END = NOW - timedelta(days=3), NOW - timedelta(hours=2)
SPAN = ["--start", fmt(START), "--end", fmt(END)]
LISTS = {
    "users": ("users", "user_id"),
    "queues": ("queues", "queue_id"),
    "wrapup-codes": ("wrapup_codes", "wrapup_code_id"),
    "divisions": ("divisions", "division_id"),
    "presence-definitions": ("presence_definitions", "presence_definition_id"),
}
FAULTS = {"throttle": 0.05, "server-errors": 0.05, "drop": 0.03, "drift": 0.03}


def query(path: Path, sql: str) -> list[Any]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def statuses(path: Path, table: str) -> list[list[str]]:
    rows = query(
        path,
        f"select user_id, strftime(start_time, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' from {table}",
    )
    return sorted([list(r) for r in rows])


def assert_equal_to_truth(emu: Any, out: Path) -> None:
    truth = emu.truth(START, END, dataset="user-details")
    assert statuses(out, "user_presence") == sorted(truth["presence"])
    assert statuses(out, "user_routing_status") == sorted(truth["routing"])
    ids = sorted(r[0] for r in query(out, "select conversation_id from conversations"))
    assert ids == emu.truth(START, END)["ids"]
    for dataset, (table, key) in LISTS.items():
        expected = sorted(emu.truth(dataset=dataset)["ids"])
        got = sorted(
            r[0] for r in query(out, f"select {key} from {table} where {key} not like 'ININ-%'")
        )
        assert got == expected, dataset


@pytest.mark.parametrize("method", ["auto", "query"])
def test_export_every_dataset_with_faults_equals_the_truth(tmp_path: Path, method: str) -> None:
    settings = EmulatorSettings(seed=41, days=4, per_day=200, now=NOW, faults=FAULTS)
    with run_emulator(settings) as emu:
        out = tmp_path / "all.duckdb"
        args = ["export", *SPAN, "--out", str(out), "--dataset", "all", "--method", method]
        res = run_cli(args, cli_env(emu), tmp_path, timeout=240)
        assert res.returncode == 0, res.stderr
        assert_equal_to_truth(emu, out)
        names = query(out, "select count(*) from segments_named where queue_name is not null")
        assert names[0][0] > 0, "segments join queue names from the snapshot"
        system = query(out, "select count(*) from wrapup_codes where system")
        assert system[0][0] >= 1


def test_kill_then_resume_every_dataset_equals_the_truth(tmp_path: Path) -> None:
    settings = EmulatorSettings(seed=42, days=4, per_day=200, now=NOW, faults={"latency": 0.01})
    with run_emulator(settings) as emu:
        out = tmp_path / "all.duckdb"
        args = ["export", *SPAN, "--out", str(out), "--dataset", "all", "--method", "query"]
        args += ["--workers", "2", "--resume"]
        proc = start_cli(args, cli_env(emu), tmp_path)
        read_log_until(proc, 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        res = run_cli(args, cli_env(emu), tmp_path, timeout=240)
        assert res.returncode == 0, res.stderr
        assert "already done" in res.stderr and "; 0 already done" not in res.stderr
        assert_equal_to_truth(emu, out)


def test_a_client_that_stops_on_a_short_page_misses_records() -> None:
    from genesys_analytics.api.queries import USER_DETAILS

    settings = EmulatorSettings(seed=43, days=4, per_day=200, now=NOW)
    day = (START, START + timedelta(days=1))
    body = {"interval": f"{fmt(day[0])}/{fmt(day[1])}", "order": "asc"}
    naive: list[dict[str, Any]] = []
    with (
        run_emulator(settings) as emu,
        Client(emu.client_id, emu.client_secret, base_url=emu.base_url) as client,
    ):
        for page in client.details_pages(body, api=USER_DETAILS, page_size=25):
            naive.extend(page.items)
            if 0 < len(page.items) < 25:
                break  # the trap: a short page taken for the last one
        full = list(client.user_details(*day, page_size=25))

    def records(items: list[dict[str, Any]]) -> int:
        return sum(
            len(i.get("primaryPresence", [])) + len(i.get("routingStatus", [])) for i in items
        )

    assert records(naive) < records(full)


@pytest.mark.parametrize("by", ["user", "user,day", "hour"])
def test_agents_from_aggregates_equals_agents_from_details(tmp_path: Path, by: str) -> None:
    settings = EmulatorSettings(seed=44, days=4, per_day=150, now=NOW)
    with run_emulator(settings) as emu:
        args = ["agents", *SPAN, "--by", by, "--format", "json"]
        env = cli_env(emu)
        aggregated = run_cli([*args, "--source", "aggregates"], env, tmp_path)
        detailed = run_cli([*args, "--source", "details"], env, tmp_path, timeout=240)
        assert aggregated.returncode == 0, aggregated.stderr
        assert detailed.returncode == 0, detailed.stderr
        a, d = json.loads(aggregated.stdout), json.loads(detailed.stdout)
        assert a["rows"] and a["rows"] == d["rows"]  # to the millisecond
        assert a["totals"] == d["totals"]
