"""The best a careful SDK user would write: per-day queries, pages on a thread pool.

The same SDK; one query per UTC day of the interval (the day is the unit the details
query indexes by); the first page of each day gives ``totalHits``, then pages 2..N of
every day go to a pool of ``--threads`` threads (the urllib3 pool widened to match);
a 429 waits for its ``Retry-After``; conversations outside the interval are dropped and
ids deduplicated. The SDK's own urllib3 retries are left on, as a user would.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from bench.contenders.sdk_common import (
    analytics_api,
    details_query,
    finish,
    instants,
    is_429,
    page_count,
    parse_args,
)
from genesys_analytics.timeutil import day_start


class Fetcher:
    def __init__(self, api: Any) -> None:
        self.api = api
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "seen_429": 0}

    def page(self, start: datetime, end: datetime, number: int) -> Any:
        for _ in range(20):
            try:
                response = self.api.post_analytics_conversations_details_query(
                    details_query(start, end, number)
                )
                with self.lock:
                    self.stats["requests"] += 1
                return response
            except Exception as exc:
                if not is_429(exc):
                    raise
                with self.lock:
                    self.stats["seen_429"] += 1
                headers = getattr(exc, "headers", None) or {}
                retry_after = headers.get("Retry-After") or headers.get("retry-after") or "1"
                time.sleep(float(retry_after))
        raise RuntimeError("still rate limited after 20 attempts")


def days_of(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    cursor = start
    while cursor < end:
        stop = min(day_start(cursor.date()) + timedelta(days=1), end)
        out.append((cursor, stop))
        cursor = stop
    return out


def run(api: Any, start: datetime, end: datetime, threads: int) -> tuple[list[Any], dict[str, int]]:
    fetcher = Fetcher(api)
    days = days_of(start, end)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        firsts = list(pool.map(lambda d: fetcher.page(d[0], d[1], 1), days))
        rest = [
            pool.submit(fetcher.page, d[0], d[1], n)
            for d, first in zip(days, firsts, strict=True)
            for n in range(2, page_count(first.total_hits) + 1)
        ]
        pages = firsts + [f.result() for f in rest]
    lo, hi = start, end
    seen: dict[str, Any] = {}
    for page in pages:
        for conv in page.conversations or []:
            if lo <= conv.conversation_start < hi:
                seen[conv.conversation_id] = conv
    return list(seen.values()), fetcher.stats


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], [("--threads", {"type": int, "default": 8})])
    start, end = instants(args)
    api = analytics_api(pool_size=args.threads)
    began = time.perf_counter()
    convs, stats = run(api, start, end, args.threads)
    seconds = time.perf_counter() - began
    finish(
        [c.conversation_id for c in convs],
        args.ids,
        seconds=seconds,
        conversations_per_s=len(convs) / seconds if seconds else 0.0,
        **stats,
    )


if __name__ == "__main__":
    main()
