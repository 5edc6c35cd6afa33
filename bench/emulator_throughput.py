"""How many 100-conversation details pages a second the emulator serves (faults off), and
the emulator's CPU per page (what it takes from the client on a shared machine).

Not a test. Run: ``.venv/bin/python bench/emulator_throughput.py [--seconds 10]``.
Target: at least 100 pages/s on one client thread, so the emulator is never the
bottleneck when the client is measured. The client only counts the bytes (no JSON
decoding), so pages/s is the emulator's and the connection's, not the client's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
import psutil

from genesys_analytics.timeutil import UTC, fmt

QUERY = "/api/v2/analytics/conversations/details/query"


@contextmanager
def emulator_process(per_day: int, now: datetime) -> Iterator[dict[str, str]]:
    """The emulator in its own process (its own core and GIL), as a user would run it."""
    cmd = [
        sys.executable, "-m", "genesys_analytics", "emulator", "--port", "0", "--seed", "7",
        "--days", "3", "--per-day", str(per_day), "--now", fmt(now),
        "--rate-limit", "1000000000/60",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield {**json.loads(proc.stdout.readline()), "pid": str(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--per-day", type=int, default=20_000)
    args = parser.parse_args()
    now = datetime(2024, 5, 15, 12, tzinfo=UTC)
    day = now.replace(hour=0) - timedelta(days=1)
    body = {"interval": f"{fmt(day)}/{fmt(day + timedelta(days=1))}"}
    with (
        emulator_process(args.per_day, now) as emu,
        httpx.Client(base_url=emu["base_url"], timeout=60) as http,
    ):
        token = http.post(
            "/oauth/token",
            auth=(emu["client_id"], emu["client_secret"]),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        warm = http.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": 1}})
        pages_in_day = max(1, warm.json()["totalHits"] // 100)
        server = psutil.Process(int(emu["pid"]))
        pages = size = 0
        cpu = sum(server.cpu_times()[:2])
        began = time.perf_counter()
        while time.perf_counter() - began < args.seconds:
            number = pages % pages_in_day + 1
            r = http.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": number}})
            r.raise_for_status()
            size += len(r.content)
            pages += 1
        elapsed = time.perf_counter() - began
        cpu = sum(server.cpu_times()[:2]) - cpu
    print(
        f"{pages} pages ({size / pages / 1024:.0f} KiB/page) in {elapsed:.1f} s: "
        f"{pages / elapsed:.0f} pages/s (target >= 100; {pages_in_day} pages in the day); "
        f"emulator CPU {1000 * cpu / pages:.1f} ms a page, {cpu / pages * 250:.2f} s "
        "per 25,000 conversations"
    )


if __name__ == "__main__":
    main()
