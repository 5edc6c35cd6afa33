"""The progress display as a person sees it: the CLI under a pseudo-terminal 80 columns wide."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from datetime import timedelta
from pathlib import Path
from typing import Any

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def run_in_terminal(
    args: list[str], env: dict[str, str], cwd: Path, *, columns: int, timeout: float = 120
) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal ``columns`` wide; (code, stdout, screen)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesys_analytics", *args],
        env={**env, "COLUMNS": str(columns), "TERM": "xterm-256color"},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                raise TimeoutError(f"no output for {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        stdout = proc.stdout.read().decode() if proc.stdout else ""
        code = proc.wait(timeout=timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, stdout, b"".join(chunks).decode(errors="replace")


def screen_lines(raw: str) -> list[str]:
    """What stays readable: every line and every carriage-return rewrite, escapes removed."""
    text = _ANSI.sub("", raw)
    return [part.rstrip() for line in text.split("\n") for part in line.split("\r") if part.strip()]


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in {text!r}"
    return int(found[1].replace(",", ""))


def test_final_progress_line_at_80_columns_has_chunks_conversations_requests(
    emulator: Any, tmp_path: Path
) -> None:
    # Jobs for the older part, a details query for the last hour: both kinds of chunk.
    args = ["export", "--start", fmt(NOW - timedelta(days=2)), "--end", fmt(NOW)]
    args += ["--out", str(tmp_path / "out.duckdb")]
    code, stdout, screen = run_in_terminal(args, cli_env(emulator), tmp_path, columns=80)
    lines = screen_lines(screen)
    assert code == 0, screen
    assert stdout.strip().endswith("out.duckdb")
    summary = next(line for line in lines if line.startswith("exported "))
    conversations = number(r"exported ([\d,]+) conversations", summary)
    chunks = number(r"\((\d+) chunks", summary)
    assert conversations > 0 and chunks >= 2
    progress = [line for line in lines[: lines.index(summary)] if "chunks" in line]
    assert progress, screen
    final = progress[-1]
    assert len(final) <= 80, final
    assert f"{chunks}/{chunks} chunks" in final, final
    assert f"{conversations:,} conv" in final, final
    assert number(r"\b([\d,]+) req", final) > chunks, final


def test_with_v_retries_are_logged_above_the_display_never_through_it(tmp_path: Path) -> None:
    # Seed 1's first roll (0.13) throttles the first query page: at least one 429 for sure.
    settings = EmulatorSettings(
        seed=3, days=2, per_day=150, now=NOW, faults={"throttle": 0.2}, fault_seed=1
    )
    with run_emulator(settings) as emu:
        args = ["-v", "export", "--method", "query", "--start", fmt(NOW - timedelta(days=1))]
        args += ["--end", fmt(NOW), "--out", str(tmp_path / "out.duckdb")]
        code, _, screen = run_in_terminal(args, cli_env(emu), tmp_path, columns=80)
        assert emu.app_state.faults_injected["throttle"] >= 1
    lines = screen_lines(screen)
    assert code == 0, screen
    # Log lines wrap at the terminal's width; read them as one text.
    assert re.search(
        r"INFO genesys_analytics\.api\.http: retrying POST\s+\S+\s+in [\d.]+ s:\s+429 throttled",
        " ".join(lines),
    ), screen
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")
    mixed = [line for line in lines if stamp.search(line) and not stamp.match(line)]
    assert not mixed, mixed  # a log line always starts a line of its own
    display = [line for line in lines if "chunks" in line and not line.startswith("exported ")]
    assert display, screen
    final = display[-1]
    assert number(r"\b(\d+) thr(?:ottled)?\b", final) >= 1, final
    assert number(r"\b(\d+) (?:rty|retry|retries)\b", final) >= 1, final
