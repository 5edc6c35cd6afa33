"""Write N tiny conversations into ``DuckDBStore`` with its default settings.

Checks that the store's memory stays under its cap as the file grows (issue: the primary
key's ART index overran the 80 MB cap at ~700,000 conversations). Conversations arrive as
an export writes them: one chunk (day) after another, ``--per-chunk`` per checkpoint,
starts increasing within a chunk.

    python -m bench.store_scale --n 1000000 [--memory 80MB] [--out /tmp/scale.duckdb]

Prints one JSON line per 100,000 conversations (elapsed s, RSS MB) and a summary with the
peak RSS (``ru_maxrss``), or the error that stopped it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

from genesys_analytics.config import StoreSettings
from genesys_analytics.sinks.store import DuckDBStore

RNG = random.Random(14)
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def tiny(i: int, per_chunk: int) -> dict[str, object]:
    day, k = divmod(i, per_chunk)
    start = T0 + timedelta(days=day, seconds=k * 86_000 // per_chunk)
    stamp = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        # random like the API's: shared prefixes would make an ART index look small
        "conversationId": str(uuid.UUID(int=RNG.getrandbits(128), version=4)),
        "conversationStart": stamp,
        "conversationEnd": stamp,
        "originatingDirection": "inbound",
        "participants": [],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--per-chunk", type=int, default=10_000)
    ap.add_argument("--memory", default=None, help="GENESYS_DUCKDB_MEMORY (default: the default)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    settings = StoreSettings.from_env()
    if args.memory:
        settings = StoreSettings(memory_limit=args.memory, threads=settings.threads)
    out = args.out or Path(tempfile.mkdtemp(prefix="store-scale-")) / "scale.duckdb"
    proc = psutil.Process()
    store = DuckDBStore(out, settings=settings)
    t0 = time.perf_counter()
    written, error = 0, None
    try:
        while written < args.n:
            chunk = range(written, min(written + args.per_chunk, args.n))
            store.write("conversations", (tiny(i, args.per_chunk) for i in chunk))
            store.checkpoint("conversations", f"chunk-{written}", {})
            written = chunk.stop
            if written % 100_000 == 0:
                rss = proc.memory_info().rss >> 20
                line = {"written": written, "s": round(time.perf_counter() - t0, 1), "rss_mb": rss}
                print(json.dumps(line), flush=True)
        store.commit()
    except Exception as exc:  # the measurement: report whatever stopped it
        error = f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    summary = {
        "n": args.n,
        "written": written,
        "seconds": round(time.perf_counter() - t0, 1),
        "peak_rss_mb": peak,
        "memory_limit": settings.memory_limit,
        "threads": settings.threads,
        "error": error,
    }
    print(json.dumps(summary), flush=True)
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
