"""Filters on export and volume, and --dry-run: the CLI as a process against the emulator."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics import Client
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

START, END = NOW - timedelta(days=3), NOW - timedelta(hours=2)
SPAN = ["--start", fmt(START), "--end", fmt(END)]


def ids(path: Path, where: str = "true") -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(f"select conversation_id from conversations where {where}").fetchall()
    finally:
        con.close()
    return sorted(r[0] for r in rows)


@pytest.fixture(scope="module")
def everything(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("all") / "all.duckdb"
    res = run_cli(["export", *SPAN, "--out", str(out)], cli_env(emulator), out.parent)
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.parametrize("method", ["query", "job"])
def test_export_by_media_type_and_direction_is_exact(
    emulator: Any, everything: Path, tmp_path: Path, method: str
) -> None:
    out = tmp_path / "voice.duckdb"
    args = ["export", *SPAN, "--out", str(out), "--method", method]
    args += ["--media-type", "voice", "--direction", "inbound"]
    res = run_cli(args, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    expected = ids(
        everything, "list_contains(media_types, 'voice') and originating_direction = 'inbound'"
    )
    assert expected and ids(out) == expected
    assert len(expected) < len(ids(everything))


def test_export_by_queue_name_is_exact(emulator: Any, everything: Path, tmp_path: Path) -> None:
    with Client(emulator.client_id, emulator.client_secret, base_url=emulator.base_url) as c:
        sales = next(q for q in c.queues() if q["name"] == "Sales")
    out = tmp_path / "sales.duckdb"
    res = run_cli(
        ["export", *SPAN, "--out", str(out), "--queue", "sales"], cli_env(emulator), tmp_path
    )
    assert res.returncode == 0, res.stderr
    expected = ids(everything, f"list_contains(queue_ids, '{sales['id']}')")
    assert expected and ids(out) == expected


def test_an_unknown_queue_is_a_usage_error_naming_the_queues(emulator: Any, tmp_path: Path) -> None:
    res = run_cli(["volume", *SPAN, "--queue", "Nope"], cli_env(emulator), tmp_path)
    assert res.returncode == 2
    assert "'Nope' names no queue" in res.stderr and "Sales" in res.stderr


def test_checkpoints_of_a_filtered_export_do_not_count_for_another(
    emulator: Any, everything: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mixed.duckdb"
    env = cli_env(emulator)
    first = run_cli(["export", *SPAN, "--out", str(out), "--media-type", "chat"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_cli(["export", *SPAN, "--out", str(out), "--resume"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already done" not in again.stderr  # no checkpoint of the chat-only export counted
    assert ids(out) == ids(everything)


def test_volume_by_media_type_filter_counts_what_the_truth_counts(
    emulator: Any, tmp_path: Path
) -> None:
    args = ["volume", *SPAN, "--media-type", "email", "--format", "json"]
    res = run_cli(args, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["total"] == emulator.truth(START, END)["counts"]["email"]


def test_dry_run_prints_the_plan_and_writes_nothing(emulator: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.duckdb"
    args = ["export", *SPAN, "--out", str(out), "--method", "query", "--dry-run"]
    res = run_cli(args, cli_env(emulator), tmp_path)
    assert res.returncode == 0, res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
    lines = res.stdout.splitlines()
    assert sum(" query " in line for line in lines) == 4  # the UTC days the interval touches
    assert "4 chunks" in res.stdout and "requests" in res.stdout
    total = emulator.truth(START, END)["total"]
    estimated = int(res.stdout.split("chunks, ~")[1].split(" records")[0].replace(",", ""))
    assert estimated >= total  # totalHits over-counts whole days; never under
