"""Cut an export interval into chunks, each fetched by a details query or an async job.

Pure: no I/O.

Why query chunks never cross a UTC midnight: the details query searches whole UTC
day-indexes, returning every conversation that *started on a day the interval touches*
and was active in the interval (decisions.md §5). A chunk spanning 23:00-01:00 therefore
reads two full days of candidates for two hours of data, and its ``totalHits`` counts
both days. Day-aligned chunks read each day exactly once, so the UTC day is the
efficient unit; a busy day is halved into sub-day slices (whose totals shrink, though a
slice still carries the long-running conversations of that day that are active in it).
The engine halves a chunk whose first page reports more than the cap, and reads a slice
still over it with a job.

Job chunks may cross midnights: jobs match on lifetime overlap, which the export trims
anyway. They are merged up to ``max_days`` long.

With ``method="auto"``, everything before the jobs API's ``dataAvailabilityDate`` goes
to jobs (bulk, data lake) and everything after it to the query (fresh data); without
an availability date, everything goes to the query.

The returned chunks are sorted and tile ``[start, end)`` exactly: no gaps, no overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, day_start

Method = Literal["query", "job", "snapshot"]

_MIN_SPLIT = timedelta(milliseconds=2)


@dataclass(frozen=True)
class Chunk:
    """One unit of fetching and of checkpointing."""

    interval: Interval
    method: Method
    dataset: str = ""

    @property
    def key(self) -> str:
        """Stable checkpoint id: the dataset and the interval in API form.

        The method is deliberately not part of it: a resumed run may choose the other
        method for the same interval (the availability date moves), and after trimming
        both read exactly the same records.
        """
        return f"{self.dataset} {self.interval.iso()}".lstrip()

    @property
    def start(self) -> datetime:
        return self.interval.start

    @property
    def end(self) -> datetime:
        return self.interval.end


def plan_chunks(
    interval: Interval,
    *,
    method: str = "auto",
    availability: datetime | None = None,
    max_days: int = 7,
    dataset: str = "",
) -> list[Chunk]:
    """Plan the chunks of ``interval`` (see the module docstring for the rules)."""
    if method not in ("auto", "query", "job"):
        raise ConfigError(f"unknown method {method!r}; use auto, query or job.")
    if max_days < 1:
        raise ConfigError("max_days must be positive.")
    chunks: list[Chunk] = []
    jobs: list[Interval] = []  # consecutive job pieces waiting to be merged
    for piece, m in _pieces(interval, method, availability):
        if m == "job":
            jobs.append(piece)
            continue
        chunks.extend(_merge_jobs(jobs, max_days, dataset))
        jobs = []
        chunks.append(Chunk(piece, "query", dataset))
    chunks.extend(_merge_jobs(jobs, max_days, dataset))
    return chunks


def split_chunk(chunk: Chunk) -> list[Chunk]:
    """Halve a chunk (after a 504, or when paging finds it too big); same method."""
    if chunk.interval.duration < _MIN_SPLIT:
        raise ValueError(f"chunk {chunk.key} is too short to split")
    return [Chunk(half, chunk.method, chunk.dataset) for half in chunk.interval.halves()]


def day_cuts(interval: Interval) -> list[Interval]:
    """``interval`` cut at every UTC midnight inside it."""
    out: list[Interval] = []
    start = interval.start
    for day in interval.days_touched()[1:]:
        midnight = day_start(day)
        out.append(Interval(start, midnight))
        start = midnight
    out.append(Interval(start, interval.end))
    return out


def remaining(interval: Interval, done: Iterable[Interval]) -> list[Interval]:
    """The parts of ``interval`` not covered by ``done`` (e.g. checkpointed chunks).

    Lets a resumed run re-plan only what is left, even if the new plan would cut
    differently from the interrupted one.
    """
    gaps: list[Interval] = []
    cursor = interval.start
    for d in sorted(done, key=lambda iv: iv.start):
        if d.end <= cursor or d.start >= interval.end:
            continue
        if d.start > cursor:
            gaps.append(Interval(cursor, d.start))
        cursor = max(cursor, d.end)
        if cursor >= interval.end:
            break
    if cursor < interval.end:
        gaps.append(Interval(cursor, interval.end))
    return gaps


def _pieces(
    interval: Interval, method: str, availability: datetime | None
) -> list[tuple[Interval, Method]]:
    out: list[tuple[Interval, Method]] = []
    for day in day_cuts(interval):
        if method == "job":
            out.append((day, "job"))
        elif method == "query" or availability is None or availability <= day.start:
            out.append((day, "query"))
        elif availability >= day.end:
            out.append((day, "job"))
        else:
            before, after = day.split_at(availability)
            out.extend([(before, "job"), (after, "query")])
    return out


def _merge_jobs(pieces: list[Interval], max_days: int, dataset: str) -> list[Chunk]:
    """Merge adjacent job pieces into chunks at most ``max_days`` long."""
    limit = timedelta(days=max_days)
    out: list[Chunk] = []
    current: Interval | None = None
    for piece in pieces:
        if current is not None and piece.end - current.start <= limit:
            current = Interval(current.start, piece.end)
        else:
            if current is not None:
                out.append(Chunk(current, "job", dataset))
            current = piece
    if current is not None:
        out.append(Chunk(current, "job", dataset))
    return out


__all__ = [
    "Chunk",
    "Method",
    "day_cuts",
    "plan_chunks",
    "remaining",
    "split_chunk",
]
