"""The server shell: background start/stop, determinism, and the CLI's first line."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import httpx
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.emulator.server import RunningEmulator
from tests.emulator.conftest import QUERY, all_pages, api_client, day, interval, small_settings


def _ids(emu: RunningEmulator) -> list[str]:
    with api_client(emu) as api:
        return [c["conversationId"] for c in all_pages(api, {"interval": interval(day(2), day(1))})]


def test_same_seed_same_ids_other_seed_other_ids() -> None:
    with run_emulator(small_settings(days=3)) as one:
        first = _ids(one)
    with run_emulator(small_settings(days=3)) as two:
        again = _ids(two)
    with run_emulator(small_settings(days=3, seed=12)) as three:
        other = _ids(three)
    assert first == again
    assert len(first) > 100
    assert set(first).isdisjoint(other)


def test_stops_cleanly_and_frees_the_port() -> None:
    with run_emulator(small_settings(days=1, per_day=5)) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{emu.base_url}/_emulator/stats").status_code == 200
        base = emu.base_url
        assert "demo-secret" not in repr(emu)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/_emulator/stats", timeout=2)


def test_app_state_counts_requests() -> None:
    with run_emulator(small_settings(days=2, per_day=20)) as emu, api_client(emu) as api:
        api.post(QUERY, json={"interval": interval(day(1), day(0))})
        counters = emu.app_state.counters
        assert counters["requests"] == 2
        assert counters["tokens_issued"] == 1
        assert counters["details_pages"] == 1
        assert counters["status.200"] == 2


def test_default_settings_serve() -> None:
    with run_emulator(EmulatorSettings(days=1, per_day=10)) as emu:
        assert emu.now.minute == 0 and emu.now.tzinfo is not None


def test_in_process_emulator_leaves_the_garbage_collector_alone() -> None:
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    with run_emulator(small_settings(days=2, per_day=300)) as emu:
        truth = emu.truth(day(1), day(0))  # the server thread generates that day
        assert truth["total"] > 100
        assert day(1).date() in emu.app_state.org.cached_days
        assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, frozen)
    assert enabled
    assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, frozen)


def test_gc_pause_is_opt_in_and_collection_resumes() -> None:
    # In a fresh interpreter: gc.freeze() would freeze this test process's objects too.
    script = (
        "import gc\n"
        "from genesys_analytics.emulator.data.org import Org, OrgSpec\n"
        "org = Org(OrgSpec(days=1, per_day=200), pause_gc=True)\n"
        "assert gc.get_freeze_count() == 0\n"
        "print(len(org.day(org.last_day)), gc.isenabled(), gc.get_freeze_count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    count, enabled, frozen = done.stdout.split()
    assert int(count) > 0
    assert enabled == "True"
    assert int(frozen) > 0  # what the day built was moved to the permanent generation


def test_cli_prints_json_first_and_serves() -> None:
    cmd = [
        sys.executable, "-m", "genesys_analytics", "emulator", "--port", "0", "--days", "2",
        "--per-day", "20", "--now", "2024-05-15T12:00:00Z", "--rate-limit", "50/10",
        "--fault", "drift=0",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert set(first) == {"base_url", "client_id", "client_secret", "now"}
        assert first["now"] == "2024-05-15T12:00:00.000Z"
        assert "http://127.0.0.1:" in proc.stdout.readline()
        r = httpx.post(
            f"{first['base_url']}/oauth/token",
            auth=(first["client_id"], first["client_secret"]),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        assert r.status_code == 200
        assert r.headers["inin-ratelimit-allowed"] == "50"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_rejects_unknown_fault() -> None:
    cmd = [
        sys.executable,
        "-m",
        "genesys_analytics",
        "emulator",
        "--port",
        "0",
        "--fault",
        "gremlins",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "unknown fault" in done.stderr
