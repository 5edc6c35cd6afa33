"""Reports from a store (`--from FILE.duckdb`) as a user runs them: equal to the API's.

One export of every dataset from a real emulator into a DuckDB file; then each report
runs twice as a process, once against the API and once `--from` the file (without
credentials), and the two JSON outputs must be equal. The file is never written to.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

EXPORTED = (NOW - timedelta(days=4), NOW - timedelta(hours=2))
#: Reports over the last days of the export: agents needs three days of lead before them.
ALL = "conversations,user-details,users,queues,wrapup-codes"
REPORTED = ["--start", fmt(NOW - timedelta(days=1)), "--end", fmt(NOW - timedelta(hours=3))]


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with run_emulator(EmulatorSettings(seed=23, days=5, per_day=100, now=NOW)) as server:
        yield server


def export(emu: Any, out: Path, *args: str) -> Path:
    span = ["--start", fmt(EXPORTED[0]), "--end", fmt(EXPORTED[1]), "--method", "query"]
    res = run_cli(["export", *span, *args, "--out", str(out)], cli_env(emu), out.parent)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture(scope="module")
def store(emu: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(emu, tmp_path_factory.mktemp("store") / "all.duckdb", "--dataset", ALL)


@pytest.fixture(scope="module")
def voice(emu: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Voice conversations only: no other dataset, no list."""
    return export(emu, tmp_path_factory.mktemp("store") / "voice.duckdb", "--media-type", "voice")


def offline_env() -> dict[str, str]:
    """No credentials and no base URL: `--from` needs neither."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "GENESYSCLOUD"))}
    return {**env, "PYTHONUNBUFFERED": "1"}


def both(emu: Any, store: Path, tmp: Path, args: list[str]) -> tuple[Any, Any]:
    api = run_cli([*args, "--format", "json", "--method", "query"], cli_env(emu), tmp)
    assert api.returncode == 0, api.stderr
    stored = run_cli([*args, "--format", "json", "--from", str(store)], offline_env(), tmp)
    assert stored.returncode == 0, stored.stderr
    return json.loads(api.stdout), json.loads(stored.stdout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "by",
    [
        ["--by", "mediaType"],
        ["--by", "queue,mediaType,day,hour", "--time-zone", "America/New_York"],
    ],
)
def test_volume_from_the_store_equals_the_api(
    emu: Any, store: Path, tmp_path: Path, by: list[str]
) -> None:
    before = digest(store)
    api, stored = both(emu, store, tmp_path, ["volume", *REPORTED, *by])
    assert stored == api
    assert stored["total"] > 40, "a real report, not an empty one"
    assert digest(store) == before, "--from never writes to the store"


@pytest.mark.parametrize("by", ["queue", "queue,mediaType,user,wrapUpCode,day,hour"])
def test_kpi_from_the_store_equals_the_api(emu: Any, store: Path, tmp_path: Path, by: str) -> None:
    before = digest(store)
    api, stored = both(emu, store, tmp_path, ["kpi", *REPORTED, "--by", by])
    assert stored == api
    total = stored["total"]
    assert total["offered"] > 20 and total["abandoned"] > 0 and total["service_level"] < 1
    if by == "queue":
        queues = [row for row in stored["rows"] if row["queueId"]]
        assert queues and all(row["queue"] != row["queueId"] for row in queues), "names"
    assert digest(store) == before


def test_a_filtered_report_from_a_store_exported_with_the_same_filters(
    emu: Any, voice: Path, tmp_path: Path
) -> None:
    args = ["volume", *REPORTED, "--by", "direction", "--media-type", "voice"]
    api, stored = both(emu, voice, tmp_path, args)
    assert stored == api and stored["total"] > 10


def test_agents_from_the_store_equals_the_api_details(
    emu: Any, store: Path, tmp_path: Path
) -> None:
    before = digest(store)
    args = ["agents", *REPORTED, "--by", "user,day", "--source", "details"]
    api, stored = both(emu, store, tmp_path, args)
    assert stored == api
    assert stored["totals"]["occupancy"] is not None and len(stored["rows"]) > 5
    assert all(row["user"] != row["userId"] for row in stored["rows"]), "names, not ids"
    # --from alone means details (the store holds records, not the aggregates API)
    res = run_cli(
        ["agents", *REPORTED, "--by", "user,day", "--format", "json", "--from", str(store)],
        offline_env(),
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == api
    assert digest(store) == before


def fails(args: list[str], tmp: Path) -> str:
    res = run_cli(args, offline_env(), tmp)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_a_store_that_is_not_there_or_not_ours_is_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    assert "no such file" in fails(["volume", *REPORTED, "--from", str(missing)], tmp_path)
    assert not missing.exists()
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n" * 100)
    assert "is not a DuckDB file" in fails(["volume", *REPORTED, "--from", str(text)], tmp_path)
    assert text.read_text() == "not a database\n" * 100
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    before = digest(other)
    message = fails(["agents", *REPORTED, "--from", str(other)], tmp_path)
    assert "not an export of genesys-analytics" in message
    assert digest(other) == before


def test_a_store_without_the_dataset_or_interval_says_what_to_export(
    store: Path, voice: Path, tmp_path: Path
) -> None:
    message = fails(["agents", *REPORTED, "--from", str(voice)], tmp_path)
    lead = fmt(NOW - timedelta(days=4))
    assert f"does not hold user-details for {lead}/" in message
    assert f"--dataset user-details --start {lead}" in message
    # the lead before the start is part of what agents needs from details
    early = ["--start", fmt(EXPORTED[0]), "--end", fmt(NOW - timedelta(days=3))]
    message = fails(["agents", *early, "--from", str(store)], tmp_path)
    assert f"--start {fmt(EXPORTED[0] - timedelta(days=3))}" in message
    # conversations past the end of the export
    late = ["--start", fmt(NOW - timedelta(days=1)), "--end", fmt(NOW)]
    message = fails(["volume", *late, "--from", str(store)], tmp_path)
    assert f"does not hold conversations for {fmt(EXPORTED[1])}/{fmt(NOW)}" in message
    # a filtered report from an unfiltered export would not be the API's numbers
    message = fails(["volume", *REPORTED, "--media-type", "chat", "--from", str(store)], tmp_path)
    assert "with filters media_type=chat" in message and "--media-type chat" in message
    # names come from the lists in the file
    by_queue = ["volume", *REPORTED, "--by", "queue", "--media-type", "voice"]
    message = fails([*by_queue, "--from", str(voice)], tmp_path)
    assert "holds no queues list" in message and "--dataset queues" in message


@pytest.mark.parametrize(
    "args",
    [
        ["volume", "--source", "aggregates"],
        ["volume", "--compare"],
        ["agents", "--compare"],
        ["kpi", "--source", "aggregates"],
    ],
)
def test_aggregates_with_from_is_refused(store: Path, tmp_path: Path, args: list[str]) -> None:
    cmd, *rest = args
    message = fails([cmd, *REPORTED, *rest, "--from", str(store)], tmp_path)
    assert "reads the aggregates API" in message and "drop" in message
