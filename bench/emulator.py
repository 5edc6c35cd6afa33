"""The emulator as a separate process (its own core and GIL), plus its stats and truth."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from genesys_analytics.timeutil import fmt

NOW = datetime.fromisoformat("2024-05-15T12:00:00+00:00")


@dataclass(frozen=True)
class EmulatorSpec:
    days: int
    per_day: int
    rate_limit: str = "1000000000/60"
    latency: str | None = None  # "0.1-0.3"
    rate_window: str = "first-request"  # or "clock": fixed windows on the clock
    seed: int = 7
    now: datetime = NOW
    cache_mb: int = 2048  # the emulator's serialized days (about 3.5 KB a conversation)


@dataclass(frozen=True)
class Emulator:
    base_url: str
    client_id: str
    client_secret: str
    spec: EmulatorSpec

    def counters(self) -> dict[str, int]:
        """The emulator's request counters (this call itself counts one request)."""
        counters: dict[str, int] = self.stats()["counters"]
        return counters

    def stats(self, *, restart_arrivals: bool = False) -> dict[str, Any]:
        """Counters and the first / last API arrival (``restart_arrivals``: forget those)."""
        params = {"restart_arrivals": "1"} if restart_arrivals else None
        r = httpx.get(f"{self.base_url}/_emulator/stats", params=params, timeout=60)
        r.raise_for_status()
        stats: dict[str, Any] = r.json()
        return stats

    def truth_ids(self, start: datetime, end: datetime) -> set[str]:
        r = httpx.get(
            f"{self.base_url}/_emulator/truth",
            params={"start": fmt(start), "end": fmt(end)},
            # The emulator generates (and keeps) every day first: ~2 minutes for 1,000,000
            # conversations on a quiet machine, over 5 on a loaded one.
            timeout=1800,
        )
        r.raise_for_status()
        return set(r.json()["ids"])

    def env(self) -> dict[str, str]:
        return {
            "GENESYS_CLIENT_ID": self.client_id,
            "GENESYS_CLIENT_SECRET": self.client_secret,
            "GENESYS_BASE_URL": self.base_url,
        }


def _wait_ready(emu: Emulator, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    """The first line comes before the server accepts connections: poll until it does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{emu.base_url}/_emulator/stats", timeout=5).raise_for_status()
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start serving") from None
            time.sleep(0.05)


@contextmanager
def emulator_process(spec: EmulatorSpec) -> Iterator[Emulator]:
    cmd = [
        sys.executable, "-m", "genesys_analytics", "emulator", "--port", "0",
        "--seed", str(spec.seed), "--days", str(spec.days), "--per-day", str(spec.per_day),
        "--now", fmt(spec.now), "--rate-limit", spec.rate_limit,
        "--rate-window", spec.rate_window, "--cache-mb", str(spec.cache_mb),
    ]  # fmt: skip
    if spec.latency:
        cmd += ["--fault", f"latency={spec.latency}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator did not start: {' '.join(cmd)}")
        info: dict[str, Any] = json.loads(line)
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain the rest
        emu = Emulator(info["base_url"], info["client_id"], info["client_secret"], spec)
        _wait_ready(emu, proc)
        yield emu
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
