"""The file sinks' own cost: ``python -m bench.file_sinks [--days 2 --per-day 15000]``.

Feeds emulator conversations from memory (no network, no emulator process) into each
format's sink the way the engine does (pages of 100, one checkpoint per UTC day, then
``commit``) and prints, per format, the CPU seconds of this process (DuckDB's threads
included) and conversations per CPU second. CPU time, unlike wall time, barely moves when
other work shares the machine, so this isolates the writer's share of the cpu-bound row.
Not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.sinks.files import open_sink
from genesys_analytics.timeutil import fmt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--per-day", type=int, default=15_000)
    parser.add_argument("--format", action="append", choices=["jsonl", "csv", "parquet", "duckdb"])
    args = parser.parse_args()
    org = Org(OrgSpec(days=args.days, per_day=args.per_day))
    days = [org.first_day + timedelta(days=i) for i in range(args.days)]
    data = {d: org.day(d) for d in days}
    total = sum(len(v) for v in data.values())
    for name in args.format or ["jsonl", "csv", "parquet", "duckdb"]:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / ("out.duckdb" if name == "duckdb" else "out")
            cpu, wall = time.process_time(), time.perf_counter()
            sink = open_sink(out, name)
            for d in days:
                convs = data[d]
                for i in range(0, len(convs), 100):
                    sink.write("conversations", convs[i : i + 100])
                lo = fmt(org.day_start(d)) if hasattr(org, "day_start") else f"{d}T00:00:00.000Z"
                hi = f"{d + timedelta(days=1)}T00:00:00.000Z"
                sink.checkpoint("conversations", f"c {d}", {"start": lo, "end": hi})
            sink.commit()
            sink.close()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{name:8} {total:,} conversations: {cpu:6.2f} CPU s ({total / cpu:,.0f}/CPU s), "
            f"{wall:6.2f} wall s"
        )


if __name__ == "__main__":
    main()
