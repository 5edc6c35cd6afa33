"""One run at a time per output: a second export stops at once; a killed one leaves no lock."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from genesys_analytics.emulator import EmulatorSettings, RunningEmulator, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, read_log_until, run_cli, start_cli

START = NOW - timedelta(days=3)
END = NOW - timedelta(hours=2)
BUSY = 11  # the exit code of "another export is writing this output"


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(seed=31, days=4, per_day=150, now=NOW, rate_limit=(6000, 60.0))
    with run_emulator(settings) as emu:
        yield emu


def ids_in(out: Path, fmt_name: str) -> list[str]:
    if fmt_name == "duckdb":
        with duckdb.connect(str(out), read_only=True) as con:
            rows = con.execute("select conversation_id from conversations").fetchall()
    else:
        with duckdb.connect() as con:
            rows = con.execute(
                f"select conversationId::VARCHAR from read_json_auto('{out}', "
                "format='newline_delimited')"
            ).fetchall()
    return sorted(r[0] for r in rows)


@pytest.mark.parametrize("fmt_name", ["duckdb", "jsonl"])
def test_a_second_export_into_the_same_output_stops_at_once(
    slow_emulator: RunningEmulator, tmp_path: Path, fmt_name: str
) -> None:
    emu = slow_emulator
    out = tmp_path / f"shared.{fmt_name}"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
    args += ["--format", fmt_name, "--method", "query", "--workers", "1"]
    first = start_cli(args, cli_env(emu), tmp_path)
    try:
        read_log_until(first, 1)
        first.send_signal(signal.SIGSTOP)  # held mid-run, however fast the machine
        try:
            second = run_cli(args, cli_env(emu), tmp_path, timeout=60)
        finally:
            first.send_signal(signal.SIGCONT)
        assert second.returncode == BUSY, second.stderr
        message = second.stderr.strip()
        assert message.count("\n") == 0, message
        assert str(out) in message and "another export" in message, message
        assert f"pid {first.pid}" in message and "--out" in message, message
        assert first.poll() is None, "the first export goes on"
        assert first.stderr is not None
        rest = first.stderr.read()
        assert first.wait(timeout=120) == 0, rest
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert ids_in(out, fmt_name) == emu.truth(START, END)["ids"]
    assert not Path(f"{out}.lock").exists(), "a finished export removes its lock file"


def test_a_killed_export_leaves_no_stuck_lock(
    slow_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emu = slow_emulator
    out = tmp_path / "killed.duckdb"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
    args += ["--method", "query", "--workers", "1"]
    proc = start_cli(args, cli_env(emu), tmp_path)
    try:
        read_log_until(proc, 1)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    lock = Path(f"{out}.lock")
    assert lock.exists() and str(proc.pid) in lock.read_text(), "kill -9 leaves the file"
    res = run_cli([*args, "--resume"], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert ids_in(out, "duckdb") == emu.truth(START, END)["ids"]
    assert not lock.exists()
