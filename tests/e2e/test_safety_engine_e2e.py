"""The export engine under interruption and drift: the CLI as a process against the emulator."""

from __future__ import annotations

import os
import random
import re
import signal
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli, start_cli

START = NOW - timedelta(days=4)
END = NOW - timedelta(hours=2)
#: SIGINT runs per format; CI runs 3, `GA_SIGINT_RUNS=10 make test` the full 10.
SIGINT_RUNS = int(os.environ.get("GA_SIGINT_RUNS", "3"))


def stored_ids(out: Path, fmt_name: str) -> list[str]:
    if fmt_name == "duckdb":
        con = duckdb.connect(str(out), read_only=True)
        try:
            rows = con.execute("select conversation_id from conversations").fetchall()
        finally:
            con.close()
        return sorted(r[0] for r in rows)
    lines = out.read_text().splitlines()
    return sorted(line.split('"conversationId":"')[1].split('"')[0] for line in lines)


def interrupt_after(args: list[str], env: dict[str, str], cwd: Path, lines: int) -> tuple[int, str]:
    """Run the CLI with -vv and send SIGINT after it logged ``lines`` lines (a random moment:
    a request, a page written, a checkpoint); return its exit code and the rest of stderr."""
    proc = start_cli(args, env, cwd, verbosity="-vv")
    assert proc.stderr is not None
    for n, _ in enumerate(proc.stderr, start=1):
        if n >= lines:
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    return proc.wait(timeout=60), rest


@pytest.mark.parametrize("fmt_name", ["duckdb", "jsonl"])
def test_sigint_at_random_moments_exits_130_and_resume_is_exact(
    tmp_path: Path, fmt_name: str
) -> None:
    settings = EmulatorSettings(seed=23, days=5, per_day=200, now=NOW, faults={"latency": 0.005})
    rng = random.Random(fmt_name)
    with run_emulator(settings) as emu:
        env = cli_env(emu)
        out = tmp_path / f"export.{fmt_name}"
        args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
        args += ["--format", fmt_name, "--method", "query", "--workers", "2", "--resume"]
        for _ in range(SIGINT_RUNS):
            code, rest = interrupt_after(args, env, tmp_path, rng.randint(3, 60))
            if code == 0:
                continue  # it finished before the signal: nothing to interrupt
            assert code == 130, rest[-2000:]
            assert "Traceback" not in rest, rest[-2000:]
            last = rest.strip().splitlines()[-1]
            assert last.startswith("interrupted") and "run the same command" in last, last
            if fmt_name != "duckdb":
                assert not out.exists(), "an interrupted file export must not look finished"
        res = run_cli(args, env, tmp_path)
        assert res.returncode == 0, res.stderr
        assert stored_ids(out, fmt_name) == emu.truth(START, END)["ids"]


def test_a_chunk_that_keeps_moving_is_split_until_a_read_holds_still(tmp_path: Path) -> None:
    # Every details request has a 30% chance of inserting a conversation before the page
    # being read, so a day's read of several pages nearly always moves; its halves move less.
    settings = EmulatorSettings(seed=31, days=6, per_day=400, now=NOW, faults={"drift": 0.3})
    with run_emulator(settings) as emu:
        out = tmp_path / "drift.duckdb"
        start, end = NOW - timedelta(days=5), NOW - timedelta(hours=2)
        args = ["export", "--start", fmt(start), "--end", fmt(end), "--out", str(out)]
        res = run_cli([*args, "--method", "query"], cli_env(emu), tmp_path, timeout=240)
        assert res.returncode == 0, res.stderr
        truth = emu.truth(start, end)
        assert stored_ids(out, "duckdb") == truth["ids"]
        exported = re.search(r"exported ([\d,]+) conversations", res.stderr)
        assert exported, res.stderr
        assert int(exported.group(1).replace(",", "")) == truth["total"], "re-reads counted once"


def test_volume_over_a_moving_interval_is_exact(tmp_path: Path) -> None:
    settings = EmulatorSettings(seed=32, days=6, per_day=400, now=NOW, faults={"drift": 0.3})
    with run_emulator(settings) as emu:
        start, end = NOW - timedelta(days=5), NOW - timedelta(hours=2)
        args = ["volume", "--start", fmt(start), "--end", fmt(end), "--method", "query"]
        res = run_cli([*args, "--format", "json"], cli_env(emu), tmp_path, timeout=240)
        assert res.returncode == 0, res.stderr
        assert f'"total":{emu.truth(start, end)["total"]}' in res.stdout.replace(" ", "")


def test_a_job_checkpoints_each_day_it_has_passed(tmp_path: Path) -> None:
    # One 6-day job: before, nothing was kept until the whole job had been read.
    settings = EmulatorSettings(seed=33, days=8, per_day=700, now=NOW)
    with run_emulator(settings) as emu:
        env = cli_env(emu)
        out = tmp_path / "jobs.duckdb"
        start, end = NOW - timedelta(days=7), NOW - timedelta(days=1)
        args = ["export", "--start", fmt(start), "--end", fmt(end), "--out", str(out)]
        args += ["--method", "job", "--resume"]
        proc = start_cli(args, env, tmp_path)
        assert proc.stderr is not None
        sealed = 0
        for line in proc.stderr:
            if "passed by the job" in line:
                sealed += 1
                if sealed == 2:
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=60)
        assert sealed == 2, "the job checkpointed no day before it ended"
        con = duckdb.connect(str(out), read_only=True)
        try:
            kept = con.execute("select count(*) from _export_chunks").fetchone()
        finally:
            con.close()
        # at least the two days logged (one more may land before the kill does)
        assert kept is not None and kept[0] >= 2
        res = run_cli(args, env, tmp_path)
        assert res.returncode == 0, res.stderr
        done = re.search(r"([\d,]+) already done", res.stderr)
        assert done and int(done.group(1)) == kept[0]
        assert stored_ids(out, "duckdb") == emu.truth(start, end)["ids"]
