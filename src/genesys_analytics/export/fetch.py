"""Reading one chunk: a details query paged to the end, or one async job.

A query chunk's first page says how many pages there are (``totalHits``); the rest
are fetched ``parallel`` at a time under the client's shared limiter, in order, and
then page by page past that estimate until a page comes back without conversations —
never stopping on ``totalHits`` alone, which is approximate (decisions.md §3). Pages
are trimmed to ``conversationStart`` in the chunk and yielded as they arrive, so the
caller writes them while later pages are still in flight.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from genesys_analytics.api import queries
from genesys_analytics.api.paging import RESULT_CAP
from genesys_analytics.errors import PaginationError
from genesys_analytics.export.plan import Chunk
from genesys_analytics.timeutil import Interval, fmt, parse_instant

log = logging.getLogger(__name__)

MIN_SPLIT = timedelta(minutes=1)  # a chunk too heavy at this length is not split further
MAX_READS = 5
JOB_BATCH = 200  # job results are handed to the writer in batches this size, bounding memory
REREAD = None  # yielded between two reads of a chunk that moved while it was paged


class TooBig(Exception):
    """A query chunk's first page reports more hits than the deep-paging cap allows."""


def trim(conversations: list[dict[str, Any]], interval: Interval) -> list[dict[str, Any]]:
    """Keep the conversations whose ``conversationStart`` lies in ``[start, end)``."""
    lo, hi = fmt(interval.start), fmt(interval.end)
    kept = []
    for conv in conversations:
        start = conv.get(queries.CONVERSATION_START)
        if not start:
            continue
        key = start if len(start) == 24 and start.endswith("Z") else fmt(parse_instant(start))
        if lo <= key < hi:
            kept.append(conv)
    return kept


class _Read:
    """What one read of a query chunk saw: totals, ids, and whether pages shifted."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.ids: set[str] = set()
        self.shifted = 0
        self._previous: list[str] | None = None

    def see(self, page: Any) -> None:
        self.totals.append(page.total_hits)
        ids = [c.get(queries.CONVERSATION_ID, "") for c in page.conversations]
        if ids and ids == self._previous:
            raise PaginationError(f"the service returned page {page.number} twice in a row.")
        self._previous = ids
        for cid in ids:
            self.shifted += cid in self.ids
            self.ids.add(cid)

    @property
    def moved(self) -> bool:
        return len(set(self.totals)) > 1 or self.shifted > 0


def _pages(
    client: Any,
    body: dict[str, Any],
    *,
    page_size: int,
    parallel: int,
    pool: ThreadPoolExecutor | None,
    stop: threading.Event,
    chunk: Chunk,
) -> Iterator[Any]:
    """Every page of one read, in order: page 1, then 2..N in parallel, then one by one."""
    first = client.details_page(body, 1, page_size=page_size)
    if first.total_hits > RESULT_CAP:
        raise TooBig(
            f"{chunk.key} reports {first.total_hits:,} conversations, more than the "
            f"{RESULT_CAP:,} a details query can page, even cut to "
            f"{MIN_SPLIT.total_seconds():.0f} s; read it with --method job"
        )
    yield first
    if not first.conversations:
        return
    estimate = max(1, math.ceil(first.total_hits / page_size))
    number = 2
    if pool is not None and estimate >= 2:
        window: deque[Future[Any]] = deque()
        upcoming = iter(range(2, estimate + 1))
        for n in upcoming:
            window.append(pool.submit(client.details_page, body, n, page_size=page_size))
            if len(window) >= parallel:
                break
        while window:
            if stop.is_set():
                for future in window:
                    future.cancel()
                return
            page = window.popleft().result()
            nxt = next(upcoming, None)
            if nxt is not None:
                window.append(pool.submit(client.details_page, body, nxt, page_size=page_size))
            yield page
            number = page.number + 1
            if not page.conversations:
                for future in window:
                    future.cancel()
                return
    while not stop.is_set():
        if number * page_size > RESULT_CAP:
            raise TooBig(f"{chunk.key} grew past the {RESULT_CAP:,}-result cap while paging")
        page = client.details_page(body, number, page_size=page_size)
        yield page
        if not page.conversations:
            return
        number += 1


def fetch_query_chunk(
    client: Any,
    chunk: Chunk,
    *,
    page_size: int,
    stop: threading.Event,
    live: bool = False,
    parallel: int = 4,
) -> Iterator[list[dict[str, Any]] | None]:
    """Page one details query; read it again while it moved during a read.

    A conversation inserted before the current page while paging is missed by that
    read and shifts the others, so one shows on two pages. A read is trusted only when
    ``totalHits`` held still through it and no conversation showed twice; counting
    the ids cannot replace that, because ``totalHits`` is approximate. The sink
    merges the reads by ``conversationId``. A ``live`` chunk keeps growing by nature:
    after two merged reads it is accepted (and checkpointed as live, to be read again).
    """
    body = queries.details_query(chunk.interval, page_size=page_size)
    pool = ThreadPoolExecutor(parallel, thread_name_prefix="page") if parallel > 1 else None
    try:
        for attempt in range(1, MAX_READS + 1):
            read = _Read()
            pages = _pages(
                client,
                body,
                page_size=page_size,
                parallel=parallel,
                pool=pool,
                stop=stop,
                chunk=chunk,
            )
            for page in pages:
                if stop.is_set():
                    return
                read.see(page)
                yield trim(page.conversations, chunk.interval)
            if not read.moved:
                return
            if live and attempt >= 2:
                log.info("%s is live and still growing; keeping the merged reads", chunk.key)
                return
            log.info(
                "%s moved while paging (totalHits %d → %d, %d seen twice); reading it again",
                chunk.key,
                read.totals[0],
                read.totals[-1],
                read.shifted,
            )
            if attempt < MAX_READS:
                yield REREAD
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    raise PaginationError(
        f"totalHits kept moving over {MAX_READS} reads of {chunk.interval}; "
        "the interval is still receiving data"
    )


def fetch_job_chunk(
    client: Any, chunk: Chunk, *, page_size: int, stop: threading.Event
) -> Iterator[list[dict[str, Any]]]:
    """Run one async job; yield its results in batches."""
    batch: list[dict[str, Any]] = []
    results = client.conversation_job(
        chunk.interval.start, chunk.interval.end, page_size=page_size, stop=stop
    )
    try:
        for conv in results:
            if stop.is_set():
                return
            batch.append(conv)
            if len(batch) >= JOB_BATCH:
                yield trim(batch, chunk.interval)
                batch = []
        if batch:
            yield trim(batch, chunk.interval)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
