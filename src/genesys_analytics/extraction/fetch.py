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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from genesys_analytics.api.paging import Page
from genesys_analytics.api.queries import DetailsApi, Filters
from genesys_analytics.errors import PaginationError
from genesys_analytics.extraction.datasets import Dataset, Record, Snapshot
from genesys_analytics.extraction.plan import Chunk
from genesys_analytics.timeutil import Interval, day_start, fmt, parse_instant

log = logging.getLogger(__name__)

MIN_SPLIT = timedelta(minutes=1)  # a chunk too heavy (or too busy) at this length is not split
MOVING_READS = 2  # reads of a chunk that moved each time, before it is split instead
MAX_READS = 5  # reads of a chunk too short to split, before it fails
NO_FILTERS = Filters()
REREAD = None  # yielded between two reads of a chunk that moved while it was paged


class ChunkMoving(PaginationError):
    """Pages kept shifting while a chunk was read: split it (fewer pages to shift between)."""


@dataclass(frozen=True)
class Sealed:
    """Yielded by a job once its results have passed ``interval``: every record of it is in.

    Job results come ordered by the dataset's timestamp, so once a record of a later UTC
    day arrives, the earlier days are complete and can be checkpointed on their own: an
    interrupted job then resumes from the first unfinished day, not from the job's start.
    """

    interval: Interval


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
        fields: Sequence[str] = ...,
    ) -> Iterator[Page]: ...

    def job_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = ...,
        page_size: int = 1000,
        stop: threading.Event | None = None,
        fields: Sequence[str] = ...,
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


def json_fields(dataset: Dataset) -> dict[str, Any]:
    """What to ask of a client for records that keep their JSON (``fields=``: the fields the
    export reads of a record), or nothing when a dataset's records are not its items."""
    source = dataset.details
    if not source.items_are_records:
        return {}
    wanted = (dataset.key, source.timestamp, source.end, source.page_key)
    return {"fields": tuple(dict.fromkeys(f for f in wanted if f))}


def trim(records: Iterable[Record], timestamp: str, interval: Interval) -> list[Record]:
    """Keep the records whose ``timestamp`` field lies in ``[start, end)``."""
    lo, hi = fmt(interval.start), fmt(interval.end)
    kept = []
    for record in records:
        start = record.get(timestamp)
        if start and lo <= canonical(start) < hi:
            kept.append(record)
    return kept


def canonical(stamp: str) -> str:
    """An API timestamp as ``YYYY-MM-DDTHH:MM:SS.mmmZ``, whose text orders like time."""
    return stamp if len(stamp) == 24 and stamp.endswith("Z") else fmt(parse_instant(stamp))


class _Read:
    """What one read of a query chunk saw: totals, item ids, and whether pages shifted."""

    def __init__(self, page_key: str | None) -> None:
        self.page_key = page_key
        self.totals: list[int] = []
        self.ids: set[str] = set()
        self.shifted = 0

    def see(self, page: Page) -> None:
        if page.total_hits is not None:
            self.totals.append(page.total_hits)
        if self.page_key is None:
            return
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
    filters: Filters = NO_FILTERS,
    as_json: bool = False,
) -> Iterator[list[Record] | None]:
    """Page one details query; read it again while it moved during a read.

    A record inserted before the current page while paging is missed by that read and
    shifts the others, so one shows on two pages. A read is trusted only when
    ``totalHits`` held still through it and no item showed twice; counting the ids
    cannot replace that, because ``totalHits`` is approximate. The sink merges the reads
    by key. A ``live`` chunk keeps growing by nature: after two merged reads it is
    accepted (and checkpointed as live, to be read again). Any other chunk that moves on
    ``MOVING_READS`` reads in a row raises ``ChunkMoving`` so the engine splits it: a
    smaller chunk has fewer pages, so fewer chances to move while it is read, until a
    read holds still. One too short to split is read up to ``MAX_READS`` times.
    ``as_json``: records keep the JSON they came as, where they are the page's items.
    """
    source = dataset.details
    body = source.query_body(chunk.interval, filters)
    extra = json_fields(dataset) if as_json else {}
    for attempt in range(1, MAX_READS + 1):
        read = _Read(source.page_key)
        pages = client.details_pages(
            body, api=source.api, page_size=page_size, prefetch=parallel, **extra
        )
        with _closing(pages):
            for page in pages:
                if stop.is_set():
                    return
                read.see(page)
                yield trim(source.records(page.items), source.timestamp, chunk.interval)
                del page  # not held while the next page is fetched
        if not read.moved:
            return
        if live and attempt >= 2:
            log.info("%s is live and still growing; keeping the merged reads", chunk.key)
            return
        if attempt >= MOVING_READS and chunk.interval.duration >= 2 * MIN_SPLIT:
            raise ChunkMoving(f"{chunk.interval} kept moving over {attempt} reads")
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
    filters: Filters = NO_FILTERS,
    as_json: bool = False,
) -> Iterator[list[Record] | Sealed]:
    """Run one async job; yield the trimmed records of each page of its results.

    A page is handed on whole: it is in memory anyway, and the engine bounds what is in
    flight by its bytes (``engine.OUTBOX_BYTES``). Between pages it yields :class:`Sealed`
    for each UTC day of the chunk that the results have passed (they come ordered by the
    timestamp). A result earlier than one
    already seen means the order does not hold: no more days are sealed for this job,
    and the chunk is checkpointed whole when it ends, as before. ``as_json``: as
    :func:`fetch_query_chunk`.
    """
    source = dataset.details
    extra = json_fields(dataset) if as_json else {}
    pages = client.job_pages(
        source.job_body(chunk.interval, filters),
        api=source.api,
        page_size=page_size,
        stop=stop,
        **extra,
    )
    sealed_to = chunk.interval.start  # every day before this point is checkpointed
    latest = ""  # the latest timestamp seen, as API text (which orders like time)
    ordered = True
    with _closing(pages):
        for page in pages:
            records = list(source.records(page.items))
            del page  # nothing of a page is held while the next is fetched
            if ordered:
                ordered, latest = _in_order(records, source.timestamp, latest)
                if not ordered:
                    log.info("%s: job results out of order; checkpointed whole", chunk.key)
            if stop.is_set():
                return
            yield trim(records, source.timestamp, chunk.interval)
            del records  # the writer's now
            if ordered and latest:
                passed = day_start(parse_instant(latest).date())
                if passed > sealed_to and passed < chunk.interval.end:
                    yield Sealed(Interval(sealed_to, passed))
                    sealed_to = passed


def _in_order(records: list[Record], timestamp: str, latest: str) -> tuple[bool, str]:
    """Whether ``records`` follow ``latest`` in timestamp order, and the latest after them."""
    for record in records:
        stamp = record.get(timestamp)
        if isinstance(stamp, str) and stamp:
            stamp = canonical(stamp)
            if stamp < latest:
                return False, latest
            latest = stamp
    return True, latest


SNAPSHOT_BATCH = 500  # snapshot records handed to the writer at a time


def fetch_snapshot(
    client: Any, dataset: Dataset, *, stop: threading.Event
) -> Iterator[list[Record]]:
    """Read a dimension list whole, in batches of at most ``SNAPSHOT_BATCH`` records."""
    if not isinstance(dataset.source, Snapshot):
        raise TypeError(f"the {dataset.name} dataset is not a snapshot")
    batch: list[Record] = []
    for record in dataset.source.read(client):
        if stop.is_set():
            return
        batch.append(record)
        if len(batch) >= SNAPSHOT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = [
    "MAX_READS",
    "MIN_SPLIT",
    "MOVING_READS",
    "REREAD",
    "ChunkMoving",
    "ExportClient",
    "Sealed",
    "canonical",
    "fetch_job_chunk",
    "fetch_query_chunk",
    "fetch_snapshot",
    "json_fields",
    "trim",
]
