"""What an export would do, without doing it: its chunks, their sizes and the requests.

``estimate()`` plans exactly as the export would (resume and incremental included) and
sizes each chunk with one ``pageSize=1`` details query per UTC day it covers: about one
request a day, against the thousands an export can take. ``totalHits`` is approximate,
and a details query over part of a day also counts conversations that started earlier
that day, so the figures are an upper estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from genesys_analytics.api.paging import Page
from genesys_analytics.extraction.datasets import Dataset
from genesys_analytics.extraction.engine import Checkpointed, Exporter, ExportRequest
from genesys_analytics.extraction.fetch import ExportClient
from genesys_analytics.extraction.plan import Chunk, day_cuts
from genesys_analytics.timeutil import Interval

#: Requests a job costs besides its results pages: submit, about three polls, delete.
JOB_OVERHEAD = 5


@dataclass(frozen=True)
class ChunkEstimate:
    chunk: Chunk
    records: int  # about this many records (the service's totalHits)
    requests: int


@dataclass(frozen=True)
class Estimate:
    chunks: tuple[ChunkEstimate, ...]
    probes: int  # requests the estimate itself made

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chunks)

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.chunks)


def estimate(client: ExportClient, request: ExportRequest, sink: Checkpointed) -> Estimate:
    """Plan ``request`` as the export would and size every chunk (see the module docstring)."""
    exporter = Exporter(client, request)
    datasets = {d.name: d for d in request.datasets}
    out: list[ChunkEstimate] = []
    chunks = exporter.plan(sink)
    # the jobs API's availability, asked once per dataset when jobs may be used
    timed = {c.dataset for c in chunks if not datasets[c.dataset].snapshot}
    probes = len(timed) if request.method in ("auto", "job") else 0
    for chunk in chunks:
        dataset = datasets[chunk.dataset]
        if dataset.snapshot:
            out.append(ChunkEstimate(chunk, 0, 1))  # a list: a page or a few
            continue
        hits = 0
        for day in day_cuts(chunk.interval):
            hits += _hits(client, dataset, day, request)
            probes += 1
        if chunk.method == "query":
            requests = math.ceil(hits / request.page_size) + 1  # the empty page that ends it
        else:
            requests = JOB_OVERHEAD + max(1, math.ceil(hits / request.job_page_size))
        out.append(ChunkEstimate(chunk, hits, requests))
    return Estimate(tuple(out), probes)


def _hits(client: ExportClient, dataset: Dataset, day: Interval, request: ExportRequest) -> int:
    source = dataset.details
    body = source.query_body(day, request.filters)
    pages: Iterator[Page] = client.details_pages(body, api=source.api, page_size=1)
    try:
        first = next(pages, None)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    return first.total_hits or 0 if first is not None else 0


__all__ = ["JOB_OVERHEAD", "ChunkEstimate", "Estimate", "estimate"]
