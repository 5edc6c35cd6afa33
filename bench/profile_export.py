"""Profile the export's hot path: ``python -m bench.profile_export [--days 2 --per-day 20000]``.

Runs the library's ``Exporter`` in this process (pyinstrument samples the writer
thread, which is the bottleneck) against an emulator process with no rate limit and no
latency, into a DuckDB file, and prints the profile. Not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pyinstrument import Profiler

from bench.emulator import NOW, EmulatorSpec, emulator_process
from genesys_analytics.api.client import Client
from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.sinks.files import open_sink
from genesys_analytics.timeutil import Interval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--method", default="query", choices=["query", "job", "auto"])
    parser.add_argument("--format", default="duckdb", choices=["duckdb", "jsonl"])
    args = parser.parse_args()
    interval = Interval(NOW - timedelta(days=args.days), NOW)
    with (
        emulator_process(EmulatorSpec(days=args.days, per_day=args.per_day)) as emu,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client = Client(
            client_id=emu.client_id, client_secret=emu.client_secret, base_url=emu.base_url
        )
        sink = open_sink(Path(tmp) / f"out.{args.format}", args.format)
        profiler = Profiler()
        began = time.perf_counter()
        with profiler:
            stats = Exporter(client, ExportRequest(interval, method=args.method)).run(sink)
            sink.commit()
        seconds = time.perf_counter() - began
        sink.close()
        client.close()
    print(profiler.output_text(unicode=True, color=False))
    rate = stats.conversations / seconds
    print(f"{stats.conversations:,} conversations in {seconds:.1f} s: {rate:,.0f}/s")


if __name__ == "__main__":
    main()
