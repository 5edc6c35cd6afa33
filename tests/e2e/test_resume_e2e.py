"""Kill an export with SIGKILL at several points; --resume must end with exactly the truth."""

from __future__ import annotations

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


def _export_until(args: list[str], env: dict[str, str], cwd: Path, chunks_before_kill: int) -> int:
    """Run an export with -v and SIGKILL it after it logged `chunks_before_kill` finished chunks."""
    proc = start_cli(args, env, cwd)
    seen = 0
    assert proc.stderr is not None
    for line in proc.stderr:
        if "checkpointed chunk" in line:
            seen += 1
            if seen >= chunks_before_kill:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    return seen


@pytest.mark.parametrize("fmt_name", ["duckdb", "jsonl"])
def test_sigkill_then_resume_is_exact(tmp_path: Path, fmt_name: str) -> None:
    settings = EmulatorSettings(seed=21, days=6, per_day=150, now=NOW, faults={"latency": 0.01})
    with run_emulator(settings) as emu:
        out = tmp_path / f"export.{fmt_name}"
        base = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
        base += ["--format", fmt_name, "--method", "query", "--workers", "2"]
        env = cli_env(emu)
        for kill_after in (1, 3):
            seen = _export_until([*base, "--resume"], env, tmp_path, kill_after)
            assert seen >= kill_after
            if fmt_name != "duckdb":
                assert not out.exists(), "a killed file export must not look finished"
        res = run_cli([*base, "--resume"], env, tmp_path)
        assert res.returncode == 0, res.stderr
        truth = emu.truth(START, END)
        con = duckdb.connect()
        if fmt_name == "duckdb":
            con = duckdb.connect(str(out), read_only=True)
            ids = [
                r[0] for r in con.execute("select conversation_id from conversations").fetchall()
            ]
        else:
            ids = [
                r[0]
                for r in con.execute(
                    "select conversationId::VARCHAR from "
                    f"read_json_auto('{out}', format='newline_delimited')"
                ).fetchall()
            ]
        assert len(ids) == len(set(ids))
        assert sorted(ids) == truth["ids"]


def test_ctrl_c_says_how_to_resume_and_resume_is_exact(tmp_path: Path) -> None:
    settings = EmulatorSettings(seed=22, days=6, per_day=150, now=NOW, faults={"latency": 0.01})
    with run_emulator(settings) as emu:
        out = tmp_path / "export.jsonl"
        args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
        args += ["--format", "jsonl", "--method", "query", "--workers", "2"]
        proc = start_cli(args, cli_env(emu), tmp_path)
        assert proc.stderr is not None
        for line in proc.stderr:
            if "checkpointed chunk" in line:
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130
        assert "Traceback" not in rest
        assert rest.strip().splitlines()[-1].startswith("interrupted: ")
        assert "--resume" in rest
        assert not out.exists(), "an interrupted file export must not look finished"
        res = run_cli([*args, "--resume"], cli_env(emu), tmp_path)
        assert res.returncode == 0, res.stderr
        ids = [r.split('"conversationId":"')[1].split('"')[0] for r in out.read_text().splitlines()]
        assert sorted(ids) == emu.truth(START, END)["ids"]


def test_a_store_over_its_memory_cap_says_what_to_set_and_resume_is_exact(
    tmp_path: Path,
) -> None:
    settings = EmulatorSettings(seed=23, days=6, per_day=150, now=NOW)
    with run_emulator(settings) as emu:
        out = tmp_path / "export.duckdb"
        args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
        args += ["--format", "duckdb", "--method", "query", "--workers", "2"]
        res = run_cli(args, cli_env(emu, GENESYS_DUCKDB_MEMORY="2MB"), tmp_path)
        assert res.returncode == 12, res.stderr
        assert "Traceback" not in res.stderr
        last = res.stderr.strip().splitlines()[-1]
        assert last.startswith("error: DuckDB needed more memory than its cap (2MB) to write ")
        assert "GENESYS_DUCKDB_MEMORY" in last and "--resume" in last
        res = run_cli([*args, "--resume"], cli_env(emu), tmp_path)
        assert res.returncode == 0, res.stderr
        con = duckdb.connect(str(out), read_only=True)
        ids = [r[0] for r in con.execute("select conversation_id from conversations").fetchall()]
        assert len(ids) == len(set(ids))
        assert sorted(ids) == emu.truth(START, END)["ids"]
