"""Reading one chunk of a time-based dataset: a details query paged to the end, or one job.

A query chunk is paged by the client's one ``Pager``: page 1, then the pages its
``totalHits`` promises, ``parallel`` at a time under the client's shared limiter and in
order, then page by page past that estimate until a page comes back empty — never
stopping on ``totalHits`` alone, which is approximate (decisions.md §3). Records are
trimmed to the dataset's timestamp in the chunk and yielded page by page, so the caller
writes them while later pages are still in flight.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any, Protocol

from genesys_analytics.api.paging import Page
from genesys_analytics.api.queries import DetailsApi
from genesys_analytics.errors import PaginationError
from genesys_analytics.extraction.datasets import Dataset, Record
from genesys_analytics.extraction.plan import Chunk
from genesys_analytics.timeutil import Interval, fmt, parse_instant

log = logging.getLogger(__name__)

MIN_SPLIT = timedelta(minutes=1)  # a chunk too heavy at this length is not split further
MAX_READS = 5
JOB_BATCH = 200  # job results are handed to the writer in batches this size, bounding memory
REREAD = None  # yielded between two reads of a chunk that moved while it was paged


class ExportClient(Protocol):
    """What the export engine needs of a client (``genesys_analytics.Client`` has it)."""

    def details_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = ...,
        start_page: int = 1,
        page_size: int = 100,
        prefetch: int = 1,
    ) -> Iterator[Page]: ...

    def job_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = ...,
        page_size: int = 1000,
        stop: threading.Event | None = None,
    ) -> Iterator[Page]: ...

    def job_availability(self, api: DetailsApi = ...) -> Any: ...

    def interrupt(self) -> None: ...

    def resume(self) -> None: ...


@contextlib.contextmanager
def _closing(pages: Iterator[Page]) -> Iterator[None]:
    """Close a generator of pages however the reading ends (a job is deleted, a pool joined)."""
    try:
        yield
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def trim(records: Iterable[Record], timestamp: str, interval: Interval) -> list[Record]:
    """Keep the records whose ``timestamp`` field lies in ``[start, end)``."""
    lo, hi = fmt(interval.start), fmt(interval.end)
    kept = []
    for record in records:
        start = record.get(timestamp)
        if not start:
            continue
        key = start if len(start) == 24 and start.endswith("Z") else fmt(parse_instant(start))
        if lo <= key < hi:
            kept.append(record)
    return kept


class _Read:
    """What one read of a query chunk saw: totals, item ids, and whether pages shifted."""

    def __init__(self, page_key: str) -> None:
        self.page_key = page_key
        self.totals: list[int] = []
        self.ids: set[str] = set()
        self.shifted = 0

    def see(self, page: Page) -> None:
        if page.total_hits is not None:
            self.totals.append(page.total_hits)
        for item in page.items:
            item_id = item.get(self.page_key, "")
            self.shifted += item_id in self.ids
            self.ids.add(item_id)

    @property
    def moved(self) -> bool:
        return len(set(self.totals)) > 1 or self.shifted > 0


def fetch_query_chunk(
    client: ExportClient,
    dataset: Dataset,
    chunk: Chunk,
    *,
    page_size: int,
    stop: threading.Event,
    live: bool = False,
    parallel: int = 4,
) -> Iterator[list[Record] | None]:
    """Page one details query; read it again while it moved during a read.

    A record inserted before the current page while paging is missed by that read and
    shifts the others, so one shows on two pages. A read is trusted only when
    ``totalHits`` held still through it and no item showed twice; counting the ids
    cannot replace that, because ``totalHits`` is approximate. The sink merges the reads
    by key. A ``live`` chunk keeps growing by nature: after two merged reads it is
    accepted (and checkpointed as live, to be read again).
    """
    source = dataset.source
    body = source.query_body(chunk.interval)
    for attempt in range(1, MAX_READS + 1):
        read = _Read(source.page_key)
        pages = client.details_pages(body, api=source.api, page_size=page_size, prefetch=parallel)
        with _closing(pages):
            for page in pages:
                if stop.is_set():
                    return
                read.see(page)
                yield trim(source.records(page.items), source.timestamp, chunk.interval)
        if not read.moved:
            return
        if live and attempt >= 2:
            log.info("%s is live and still growing; keeping the merged reads", chunk.key)
            return
        log.info(
            "%s moved while paging (totalHits %s → %s, %d seen twice); reading it again",
            chunk.key,
            read.totals[0] if read.totals else "?",
            read.totals[-1] if read.totals else "?",
            read.shifted,
        )
        if attempt < MAX_READS:
            yield REREAD
    raise PaginationError(
        f"totalHits kept moving over {MAX_READS} reads of {chunk.interval}; "
        "the interval is still receiving data"
    )


def fetch_job_chunk(
    client: ExportClient,
    dataset: Dataset,
    chunk: Chunk,
    *,
    page_size: int,
    stop: threading.Event,
) -> Iterator[list[Record]]:
    """Run one async job; yield its trimmed records in batches of at most ``JOB_BATCH``."""
    source = dataset.source
    pages = client.job_pages(
        source.job_body(chunk.interval), api=source.api, page_size=page_size, stop=stop
    )
    with _closing(pages):
        for page in pages:
            records = trim(source.records(page.items), source.timestamp, chunk.interval)
            for i in range(0, len(records), JOB_BATCH):
                if stop.is_set():
                    return
                yield records[i : i + JOB_BATCH]


__all__ = [
    "JOB_BATCH",
    "MAX_READS",
    "MIN_SPLIT",
    "REREAD",
    "ExportClient",
    "fetch_job_chunk",
    "fetch_query_chunk",
    "trim",
]
