"""What the checkpoints of earlier runs cover: the gaps to read, where to continue. Pure.

A checkpoint is *complete* when its chunk can no longer change as far as the tool can
tell: it is not live (its end was not near "now" when it was read) and it held no open
record (a conversation without ``conversationEnd``, a status without ``endTime``). The
*resume point* of a dataset is the end of its complete stretch of checkpoints
(:func:`incremental_start`), so open records keep it at or before them until they close.
An incremental run reads every gap before its *re-read point* and everything from there
on, where the re-read point is the resume point minus the lookback (decisions.md §9),
never before the store's first checkpoint (:func:`continuation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import GenesysError
from genesys_analytics.extraction.datasets import Dataset
from genesys_analytics.extraction.plan import remaining
from genesys_analytics.timeutil import Interval, parse_instant

#: How far before its resume point an incremental run reads again (decisions.md §9).
DEFAULT_LOOKBACK = timedelta(hours=72)


def matching(done: dict[str, dict[str, Any]], filters: Filters) -> dict[str, dict[str, Any]]:
    """The checkpoints of exports with exactly these filters (they mean other data)."""
    wanted = filters.as_meta()
    return {key: meta for key, meta in done.items() if meta.get("filters", {}) == wanted}


def complete(meta: dict[str, Any]) -> bool:
    """Whether a checkpointed chunk is done for good: not live, no open record in it."""
    return not meta.get("live") and not meta.get("open")


def covered(done: dict[str, dict[str, Any]], *, settled: bool = False) -> list[Interval]:
    """The spans of the finished, non-live checkpoints, sorted: what ``--resume`` need not
    read again. ``settled``: only the complete ones (no open record either), what an
    incremental run need not read again."""
    spans = []
    for meta in done.values():
        if meta.get("live") or (settled and not complete(meta)):
            continue
        span = _span(meta)
        if span is not None:
            spans.append(span)
    return sorted(spans)


def incremental_start(done: dict[str, dict[str, Any]]) -> datetime | None:
    """Where an incremental run continues: the end of the complete stretch of checkpoints.

    That is the first point after the earliest checkpoint that no complete chunk covers:
    a live chunk or one with open records (read again), or a hole left by a run
    interrupted without ``--resume`` (chunks finish out of order), else the end of the
    last chunk. ``None`` when there is no checkpoint at all.
    """
    spans = covered(done, settled=True)
    first = first_start(done)
    if not spans or first is None:
        return first
    last = max(span.end for span in spans)
    holes = remaining(Interval(min(first, spans[0].start), last), spans)
    return holes[0].start if holes else last


def first_start(done: dict[str, dict[str, Any]]) -> datetime | None:
    """The start of the earliest checkpoint (complete or not)."""
    starts = [span.start for span in map(_span, done.values()) if span is not None]
    return min(starts) if starts else None


def reread_from(done: dict[str, dict[str, Any]], lookback: timedelta) -> datetime | None:
    """Where an incremental run starts reading: the resume point minus ``lookback``, not
    before the first checkpoint (the store never grows backwards by itself)."""
    resume, first = incremental_start(done), first_start(done)
    if resume is None or first is None:
        return None
    return max(resume - lookback, first)


@dataclass(frozen=True)
class Continuation:
    """How an incremental run continues one dataset (see :func:`continuation`)."""

    pieces: list[Interval]  # what to read
    kept: list[Interval]  # complete checkpoints that are not read again
    resume: datetime | None = None  # the resume point (None: nothing checkpointed yet)
    reread: Interval | None = None  # what earlier runs had that is read again


def continuation(
    interval: Interval, done: dict[str, dict[str, Any]], lookback: timedelta
) -> Continuation:
    """What an incremental run of ``interval`` reads: every part no complete checkpoint
    covers, and all of it from the re-read point on (covered or not)."""
    start = reread_from(done, lookback)
    spans = covered(done, settled=True)
    if start is None:
        return Continuation(remaining(interval, spans), spans)
    kept = [span for span in spans if span.end <= start]
    before = [Interval(span.start, min(span.end, start)) for span in spans if span.start < start]
    held = max(span.end for span in map(_span, done.values()) if span is not None)
    lo, hi = max(start, interval.start), min(held, interval.end)
    return Continuation(
        remaining(interval, before),
        kept,
        resume=incremental_start(done),
        reread=Interval(lo, hi) if lo < hi else None,
    )


class OpenRecords:
    """The records of one chunk still open (no end yet), by key; a later closed copy of a
    record clears it. Their count goes into the chunk's checkpoint (``open``)."""

    def __init__(self, dataset: Dataset) -> None:
        self._key = dataset.key
        source = None if dataset.snapshot else dataset.details
        self._timestamp, self._end = (source.timestamp, source.end) if source else ("", "")
        self._open: dict[str, str] = {}  # key → timestamp (API text)

    def __len__(self) -> int:
        return len(self._open)

    def note(self, records: list[dict[str, Any]]) -> None:
        if not self._end:  # a snapshot: its records do not run
            return
        for record in records:
            k = record.get(self._key)
            if not isinstance(k, str):
                continue
            if record.get(self._end):
                self._open.pop(k, None)
            else:
                self._open[k] = str(record.get(self._timestamp) or "")

    def within(self, span: Interval) -> int:
        """How many have their timestamp in ``span`` (one that cannot be read counts
        everywhere: a chunk is never called complete on a guess)."""
        n = 0
        for text in self._open.values():
            try:
                n += span.contains(parse_instant(text))
            except GenesysError:
                n += 1
        return n


def _span(meta: dict[str, Any]) -> Interval | None:
    try:
        return Interval.of(meta["start"], meta["end"])
    except (KeyError, GenesysError):
        return None


__all__ = [
    "DEFAULT_LOOKBACK",
    "Continuation",
    "OpenRecords",
    "complete",
    "continuation",
    "covered",
    "first_start",
    "incremental_start",
    "matching",
    "reread_from",
]
