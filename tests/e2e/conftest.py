"""End-to-end fixtures: a real emulator on a free port and the CLI run as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def cli_env(emu: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "GENESYSCLOUD"))}
    env.update(
        GENESYS_CLIENT_ID=emu.client_id,
        GENESYS_CLIENT_SECRET=emu.client_secret,
        GENESYS_BASE_URL=emu.base_url,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "genesys_analytics", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def start_cli(
    args: list[str], env: dict[str, str], cwd: Path, verbosity: str = "-v"
) -> subprocess.Popen[str]:
    """The CLI as a running process, logging (``-v``): its log is read from ``proc.stderr``."""
    return subprocess.Popen(
        [sys.executable, "-m", "genesys_analytics", verbosity, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def read_log_until(
    proc: subprocess.Popen[str], n: int, marker: str = "checkpointed chunk"
) -> list[str]:
    """Read the process's log until ``n`` lines hold ``marker`` (checkpointed chunks by default)."""
    assert proc.stderr is not None
    lines, seen = [], 0
    for line in proc.stderr:
        lines.append(line)
        seen += marker in line
        if seen >= n:
            return lines
    raise AssertionError(f"the process ended before {n} × {marker!r}:\n" + "".join(lines))


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    settings = EmulatorSettings(seed=11, days=5, per_day=300, now=NOW, rate_limit=(6000, 60.0))
    with run_emulator(settings) as emu:
        yield emu
