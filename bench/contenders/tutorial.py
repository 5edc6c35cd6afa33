"""The tutorial's loop (``shared/seed/analytics-pagination-tutorial.txt``) on the real SDK.

Faithful to its algorithm, with the real field names: one query per interval of at most
7 days, pages of 100 (the real maximum), ``time.sleep(0.5)`` between pages, the
tutorial's backoff on 429 (``2 ** (max_retries - 1)``, ``max_retries`` = 5 counting down
over the whole loop), stop on an empty page or at the page count (the real response has
no ``pageCount``: ``ceil(totalHits / 100)``). Like the tutorial it keeps every entity as
it comes: no trimming to the interval, no dedupe.
"""

from __future__ import annotations

import time
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

MAX_DAYS = timedelta(days=7)


def fetch_all_pages(api: Any, start: datetime, end: datetime, stats: dict[str, int]) -> list[Any]:
    all_entities: list[Any] = []
    current_page = 1
    total_pages = None
    max_retries = 5
    while True:
        try:
            response = api.post_analytics_conversations_details_query(
                details_query(start, end, current_page)
            )
            stats["requests"] += 1
            if total_pages is None:
                total_pages = page_count(response.total_hits)
            if response.conversations:
                all_entities.extend(response.conversations)
            else:
                break
            if current_page >= total_pages:
                break
            current_page += 1
            time.sleep(0.5)
        except Exception as exc:
            if is_429(exc):
                stats["seen_429"] += 1
                if max_retries > 0:
                    time.sleep(2 ** (max_retries - 1))
                    max_retries -= 1
                    continue
                raise Exception("Rate limit exceeded.") from exc
            raise
    return all_entities


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    start, end = instants(args)
    api = analytics_api()
    stats = {"requests": 0, "seen_429": 0}
    ids: list[str] = []
    cursor = start
    while cursor < end:
        stop = min(cursor + MAX_DAYS, end)
        ids.extend(c.conversation_id for c in fetch_all_pages(api, cursor, stop, stats))
        cursor = stop
    finish(ids, args.ids, **stats)


if __name__ == "__main__":
    main()
