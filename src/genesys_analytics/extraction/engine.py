"""The one export loop: plan → fetch chunks in parallel → trim → dedupe → sink, with checkpoints.

It is generic over :class:`~genesys_analytics.extraction.datasets.Dataset`: every dataset
named in the request is planned into chunks (one details query or one async job each)
and all chunks are fetched by one pool of workers under the client's one shared limiter.
Workers stream pages of trimmed records through a queue to a single writer (this thread);
a worker fetches its next page only while the pages fetched and not yet written hold under
``OUTBOX_BYTES`` of JSON (estimated), so memory is bounded in bytes, not by the size of
the export or of a page.
A chunk is checkpointed in the sink only after all of its rows are written; anything not
checkpointed is fetched again on ``--resume`` and upserted, so a crash at any moment
loses nothing and doubles nothing (decisions.md §1, §3).

Stopping is scoped to one run: on an error or Ctrl-C the run interrupts the client's
waits so its workers end at once, and gives the client back, pacing again, when they
have.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from genesys_analytics.api.queries import Filters
from genesys_analytics.extraction.checkpoints import (
    DEFAULT_LOOKBACK,
    OpenRecords,
    continuation,
    covered,
    matching,
)
from genesys_analytics.extraction.datasets import CONVERSATIONS, Dataset
from genesys_analytics.extraction.fetch import (
    NO_FILTERS,
    REREAD,
    ExportClient,
    Sealed,
    fetch_job_chunk,
    fetch_query_chunk,
    fetch_snapshot,
)
from genesys_analytics.extraction.gctune import relaxed_gc
from genesys_analytics.extraction.inflight import InFlight, json_size
from genesys_analytics.extraction.keys import DistinctKeys
from genesys_analytics.extraction.plan import Chunk, plan_chunks, remaining
from genesys_analytics.extraction.recovery import recover
from genesys_analytics.extraction.stop import deferring
from genesys_analytics.timeutil import UTC, Interval, fmt

log = logging.getLogger(__name__)

Method = Literal["auto", "query", "job"]
# JSON bytes (estimated) of pages fetched and not yet written, at most (plus the first page
# of each worker's chunk, fetched before its size is known): ~2,000 conversations, ~23 MB as
# Python objects; room for a store flush's worth of pages (20 pages of 100, as before), so
# fetching goes on while the store flushes a batch.
OUTBOX_BYTES = 6 << 20


class Checkpointed(Protocol):
    """Where the checkpoints of earlier runs can be read (planning needs no more)."""

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]: ...


class ChunkSink(Checkpointed, Protocol):
    """What the engine writes into: a store, a file sink, or a collector.

    A sink whose ``json_records`` attribute is true reads records only by their fields
    (``get``) and their JSON (:func:`genesys_analytics.api.records.record_json`): it is
    given records that keep the JSON they came as, never decoded whole.
    """

    def write(self, dataset: str, records: list[dict[str, Any]]) -> int: ...
    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None: ...
    def begin_snapshot(self, dataset: str) -> None: ...


@dataclass(frozen=True)
class ExportRequest:
    interval: Interval
    datasets: tuple[Dataset, ...] = (CONVERSATIONS,)
    filters: Filters = NO_FILTERS
    method: Method = "auto"
    workers: int = 4
    resume: bool = False
    incremental: bool = False
    lookback: timedelta = DEFAULT_LOOKBACK  # re-read before the resume point (incremental)
    page_size: int = 100
    page_parallel: int = 4  # pages of one query chunk fetched at once, after its first page
    job_page_size: int = 1000
    live_margin: timedelta = timedelta(seconds=60)


@dataclass
class ExportStats:
    chunks_planned: int = 0
    chunks_done: int = 0
    chunks_skipped: int = 0
    chunks_split: int = 0
    chunks_retried: int = 0
    rereads: int = 0
    pages: int = 0
    days_sealed: int = 0  # UTC days of job chunks checkpointed before their job ended
    records: dict[str, int] = field(default_factory=dict)  # distinct records per dataset
    live_chunks: int = 0
    open_chunks: int = 0  # chunks checkpointed with open records (read again later)
    methods: dict[str, int] = field(default_factory=dict)
    reread: dict[str, Interval] = field(default_factory=dict)  # dataset → span read again
    changes: dict[str, tuple[int, int]] = field(default_factory=dict)  # (new, updated), by sink

    @property
    def conversations(self) -> int:
        return self.records.get(CONVERSATIONS.name, 0)


class Progress(Protocol):
    def planned(self, chunks: int) -> None: ...
    def page(self, records: int) -> None: ...
    def chunk_done(self, chunk: Chunk) -> None: ...


class _NoProgress:
    def planned(self, chunks: int) -> None:
        pass

    def page(self, records: int) -> None:
        pass

    def chunk_done(self, chunk: Chunk) -> None:
        pass


class Exporter:
    """Runs one export of ``request.interval`` from ``client`` into ``sink``."""

    def __init__(
        self,
        client: ExportClient,
        request: ExportRequest,
        *,
        progress: Progress | None = None,
        now: Callable[[], datetime] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """``cancel``: set it (from a signal handler, say) to stop the run at a safe point,
        between two writes; the run then raises ``KeyboardInterrupt``."""
        self.client = client
        self.request = request
        self.progress = progress or _NoProgress()
        self.now = now or (lambda: datetime.now(UTC))
        self.stats = ExportStats()
        self._stop = threading.Event()
        self._cancel = cancel or threading.Event()
        self._datasets = {d.name: d for d in request.datasets}
        self._availability: dict[str, datetime] = {}
        self._in_flight = InFlight(OUTBOX_BYTES)
        self._as_json = False  # records keep their JSON (the sink asks for it)

    # -- planning -----------------------------------------------------------------
    def plan(self, sink: Checkpointed) -> list[Chunk]:
        """Every dataset's chunks (only what is not checkpointed, when continuing)."""
        req = self.request
        chunks: list[Chunk] = []
        for dataset in req.datasets:
            pieces = [req.interval]
            if req.resume or req.incremental:
                done = matching(sink.done_chunks(dataset.name), req.filters)
                spans = covered(done)
                pieces = remaining(req.interval, spans)
                if req.incremental and not dataset.snapshot:
                    plan = continuation(req.interval, done, req.lookback)
                    pieces, spans = plan.pieces, plan.kept
                    if plan.reread is not None:
                        self.stats.reread[dataset.name] = plan.reread
                self.stats.chunks_skipped += sum(
                    1
                    for span in spans
                    if span.start < req.interval.end and span.end > req.interval.start
                )
            if dataset.snapshot:
                if pieces:  # a list is read whole, once per export
                    chunks.append(Chunk(req.interval, "snapshot", dataset.name))
                continue
            availability: datetime | None = None
            if req.method in ("auto", "job") and pieces:
                availability = self._job_availability(dataset)
            for piece in pieces:
                method = req.method
                if method == "job" and availability is not None and piece.end > availability:
                    # Jobs cannot see data newer than the data lake; read that with queries.
                    method = "auto"
                chunks.extend(
                    plan_chunks(
                        piece, method=method, availability=availability, dataset=dataset.name
                    )
                )
        return chunks

    def _job_availability(self, dataset: Dataset) -> datetime:
        if dataset.name not in self._availability:
            api = dataset.details.api
            self._availability[dataset.name] = self.client.job_availability(api)
        return self._availability[dataset.name]

    # -- running ------------------------------------------------------------------
    def run(self, sink: ChunkSink) -> ExportStats:
        try:
            with relaxed_gc():  # pages are many small containers (see .gctune)
                return self._run(sink)
        finally:
            # Every worker has ended by now: later calls on the client wait and pace again.
            if self._stop.is_set():
                self.client.resume()

    def _run(self, sink: ChunkSink) -> ExportStats:
        self._as_json = bool(getattr(sink, "json_records", False))
        chunks = self.plan(sink)
        self.stats.chunks_planned = len(chunks)
        self.progress.planned(len(chunks))
        if not chunks:
            return self.stats
        # Pages waiting for the writer: bounded in bytes by ``self._in_flight``.
        outbox: queue.Queue[tuple[str, Chunk, Any]] = queue.Queue()
        attempts: dict[str, int] = {}
        pending = 0
        with (
            deferring(self._cancel),
            ThreadPoolExecutor(
                max_workers=max(1, self.request.workers), thread_name_prefix="chunk"
            ) as pool,
        ):

            def submit(chunk: Chunk) -> None:
                nonlocal pending
                pending += 1
                pool.submit(self._work, chunk, outbox)

            for chunk in chunks:
                submit(chunk)
            try:
                while pending:
                    kind, chunk, payload = self._next(outbox)
                    if kind == "page":
                        page, new, size = payload
                        if page:
                            sink.write(chunk.dataset, page)
                        page = payload = None  # not held while waiting for the next one
                        self._in_flight.release(size)
                        self.stats.pages += 1
                        self.progress.page(new)
                    elif kind == "reread":
                        self.stats.rereads += 1
                    elif kind == "begin":
                        sink.begin_snapshot(chunk.dataset)
                    elif kind == "sealed":
                        span, still_open = payload
                        part = Chunk(span, chunk.method, chunk.dataset)
                        meta = self._meta(part, None, still_open)
                        sink.checkpoint(chunk.dataset, part.key, meta)
                        log.info("checkpointed %s, passed by the job of %s", part.key, chunk.key)
                        self.stats.days_sealed += 1
                    elif kind == "done":
                        pending -= 1
                        count, still_open = payload
                        meta = self._meta(chunk, count, still_open)
                        sink.checkpoint(chunk.dataset, chunk.key, meta)
                        log.info("checkpointed chunk %s (%d records)", chunk.key, count)
                        records = self.stats.records
                        records[chunk.dataset] = records.get(chunk.dataset, 0) + count
                        self.stats.chunks_done += 1
                        self.stats.methods[chunk.method] = (
                            self.stats.methods.get(chunk.method, 0) + 1
                        )
                        self.stats.live_chunks += int(meta["live"])
                        self.stats.open_chunks += int(meta["open"] > 0)
                        self.progress.chunk_done(chunk)
                    elif kind == "error":
                        pending -= 1
                        for retry in self._recover(chunk, payload, attempts):
                            submit(retry)
            except BaseException:
                self._stop.set()
                self.client.interrupt()  # workers asleep in a backoff or pacing wait stop now
                _drain(outbox)
                raise
        return self.stats

    def _next(self, outbox: queue.Queue[tuple[str, Chunk, Any]]) -> tuple[str, Chunk, Any]:
        """The next item for the writer; ``KeyboardInterrupt`` once ``cancel`` is set."""
        while not self._cancel.is_set():
            try:
                return outbox.get(timeout=0.1)
            except queue.Empty:
                continue
        raise KeyboardInterrupt("the export was cancelled")

    def _recover(self, chunk: Chunk, exc: BaseException, attempts: dict[str, int]) -> list[Chunk]:
        """The chunks to read in place of one that failed (see :mod:`.recovery`)."""
        dataset = self._datasets[chunk.dataset]
        try:
            decided = recover(
                chunk, exc, attempts, availability=lambda: self._job_availability(dataset)
            )
        except BaseException:
            self._stop.set()
            raise
        if decided.how == "split":
            self.stats.chunks_split += 1
            self.stats.chunks_planned += len(decided.chunks) - 1
            self.progress.planned(self.stats.chunks_planned)
        elif decided.how == "job":
            log.info("%s is over the details query's cap; reading it with a job", chunk.key)
        else:
            self.stats.chunks_retried += 1
            log.warning("chunk %s failed (%s); fetching it again", chunk.key, exc)
        return decided.chunks

    def _meta(self, chunk: Chunk, records: int | None, still_open: int = 0) -> dict[str, Any]:
        """What a checkpoint records; ``open``: records of the chunk still running (an
        incremental run reads the chunk again until there are none, decisions.md §9)."""
        live = (
            chunk.method != "snapshot"
            and chunk.interval.end > self.now() - self.request.live_margin
        )
        return {
            "start": fmt(chunk.interval.start),
            "end": fmt(chunk.interval.end),
            "method": chunk.method,
            "records": records,
            "filters": self.request.filters.as_meta(),
            "live": live,
            "open": still_open,
            "finished_at": fmt(self.now()),
        }

    def _work(self, chunk: Chunk, outbox: queue.Queue[tuple[str, Chunk, Any]]) -> None:
        req = self.request
        live = chunk.interval.end > self.now() - req.live_margin
        dataset = self._datasets[chunk.dataset]
        seen = DistinctKeys(dataset)  # keys of this chunk so far: re-reads are not new records
        pages: Iterator[list[dict[str, Any]] | Sealed | None]
        try:
            if chunk.method == "snapshot":
                self._put(outbox, ("begin", chunk, None))
                pages = fetch_snapshot(self.client, dataset, stop=self._stop)
            elif chunk.method == "query":
                pages = fetch_query_chunk(
                    self.client,
                    dataset,
                    chunk,
                    page_size=req.page_size,
                    stop=self._stop,
                    live=live,
                    parallel=req.page_parallel,
                    filters=req.filters,
                    as_json=self._as_json,
                )
            else:
                pages = fetch_job_chunk(
                    self.client,
                    dataset,
                    chunk,
                    page_size=req.job_page_size,
                    stop=self._stop,
                    filters=req.filters,
                    as_json=self._as_json,
                )
            running = OpenRecords(dataset)  # records of this chunk still running
            for page, size in self._paced(pages):
                if page is REREAD:
                    self._put(outbox, ("reread", chunk, None))
                    continue
                if isinstance(page, Sealed):
                    inside = running.within(page.interval)
                    seen.passed(page.interval.end)
                    self._put(outbox, ("sealed", chunk, (page.interval, inside)))
                    continue
                new = seen.add(page)
                running.note(page)
                self._put(outbox, ("page", chunk, (page, new, size)))
                del page  # the writer's now: not held while the next one is fetched
            if not self._stop.is_set():
                self._put(outbox, ("done", chunk, (len(seen), len(running))))
        except BaseException as exc:  # handed to the writer, which decides
            if not self._stop.is_set():
                self._put(outbox, ("error", chunk, exc))

    def _paced(
        self, pages: Iterator[list[dict[str, Any]] | Sealed | None]
    ) -> Iterator[tuple[list[dict[str, Any]] | Sealed | None, int]]:
        """Each item of ``pages`` with its size, fetched only once there is room for it: a
        page as large as this chunk's last one is reserved before the next is fetched."""
        expect = 0
        while True:
            self._in_flight.reserve(expect, self._stop)
            try:
                page = next(pages)
            except StopIteration:
                self._in_flight.release(expect)
                return
            except BaseException:  # handed on to the caller, which reports it
                self._in_flight.release(expect)
                raise
            if page is REREAD or isinstance(page, Sealed):
                self._in_flight.release(expect)
                yield page, 0
                continue
            size = json_size(page)
            self._in_flight.release(expect - size)  # the reservation becomes the page's size
            expect = size
            yield page, size
            del page  # not held while the next page is fetched

    def _put(
        self, outbox: queue.Queue[tuple[str, Chunk, Any]], item: tuple[str, Chunk, Any]
    ) -> None:
        while not self._stop.is_set():
            try:
                outbox.put(item, timeout=0.2)
                return
            except queue.Full:
                continue


def _drain(outbox: queue.Queue[Any]) -> None:
    try:
        while True:
            outbox.get_nowait()
    except queue.Empty:
        pass
