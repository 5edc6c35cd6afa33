"""Cut an export interval into chunks, each fetched by a details query or an async job.

Pure: no I/O. The only outside knowledge, a chunk's ``totalHits``, comes from the
``probe`` callback.

Why query chunks never cross a UTC midnight: the details query searches whole UTC
day-indexes, returning every conversation that *started on a day the interval touches*
and was active in the interval (decisions.md §5). A chunk spanning 23:00-01:00 therefore
reads two full days of candidates for two hours of data, and its ``totalHits`` counts
both days. Day-aligned chunks read each day exactly once, so the UTC day is the
efficient unit; a busy day is halved into sub-day slices (whose totals shrink, though a
slice still carries the long-running conversations of that day that are active in it).
A slice still over the cap at ``min_slice`` can never be paged by the query (100,000
results at most) and becomes a job chunk instead.

Job chunks may cross midnights: jobs match on lifetime overlap, which the export trims
anyway. They are merged up to ``max_days`` long.

With ``method="auto"``, everything before the jobs API's ``dataAvailabilityDate`` goes
to jobs (bulk, data lake) and everything after it to the query (fresh data); without
an availability date, everything goes to the query.

The returned chunks are sorted and tile ``[start, end)`` exactly: no gaps, no overlaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from genesys_analytics.api.paging import RESULT_CAP
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, day_start

Method = Literal["query", "job"]
Probe = Callable[[Interval], int]

DEFAULT_CAP = RESULT_CAP  # the details query's deep-paging cap
_MIN_SPLIT = timedelta(milliseconds=2)


@dataclass(frozen=True)
class Chunk:
    """One unit of fetching and of checkpointing."""

    interval: Interval
    method: Method
    est_hits: int | None = None

    @property
    def key(self) -> str:
        """Stable checkpoint id: the interval in API form.

        The method is deliberately not part of it: a resumed run may choose the other
        method for the same interval (the availability date moves), and after trimming
        both read exactly the same conversations.
        """
        return self.interval.iso()

    @property
    def start(self) -> datetime:
        return self.interval.start

    @property
    def end(self) -> datetime:
        return self.interval.end


def plan_chunks(
    interval: Interval,
    *,
    probe: Probe | None = None,
    method: str = "auto",
    availability: datetime | None = None,
    cap: int = DEFAULT_CAP,
    max_days: int = 7,
    min_slice: timedelta = timedelta(minutes=5),
) -> list[Chunk]:
    """Plan the chunks of ``interval`` (see the module docstring for the rules)."""
    if method not in ("auto", "query", "job"):
        raise ConfigError(f"unknown method {method!r}; use auto, query or job.")
    if cap < 1 or max_days < 1 or min_slice <= timedelta(0):
        raise ConfigError("cap, max_days and min_slice must be positive.")
    chunks: list[Chunk] = []
    jobs: list[Interval] = []  # consecutive job pieces waiting to be merged
    for piece, m in _pieces(interval, method, availability):
        if m == "job":
            jobs.append(piece)
            continue
        chunks.extend(_merge_jobs(jobs, max_days))
        jobs = []
        if probe is None:
            chunks.append(Chunk(piece, "query"))
        else:
            chunks.extend(_fit(piece, probe, cap, min_slice))
    chunks.extend(_merge_jobs(jobs, max_days))
    return chunks


def split_chunk(chunk: Chunk) -> list[Chunk]:
    """Halve a chunk (after a 504, or when paging finds it too big); same method."""
    if chunk.interval.duration < _MIN_SPLIT:
        raise ValueError(f"chunk {chunk.key} is too short to split")
    return [Chunk(half, chunk.method) for half in chunk.interval.halves()]


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


def interval_of(chunk_key: str) -> Interval:
    """The interval a :attr:`Chunk.key` names."""
    return Interval.parse(chunk_key)


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


def _merge_jobs(pieces: list[Interval], max_days: int) -> list[Chunk]:
    """Merge adjacent job pieces into chunks at most ``max_days`` long."""
    limit = timedelta(days=max_days)
    out: list[Chunk] = []
    current: Interval | None = None
    for piece in pieces:
        if current is not None and piece.end - current.start <= limit:
            current = Interval(current.start, piece.end)
        else:
            if current is not None:
                out.append(Chunk(current, "job"))
            current = piece
    if current is not None:
        out.append(Chunk(current, "job"))
    return out


def _fit(piece: Interval, probe: Probe, cap: int, min_slice: timedelta) -> list[Chunk]:
    """Halve a query piece until every slice's probe is within ``cap``.

    A slice over the cap whose halves would be shorter than ``min_slice`` becomes a job.
    """
    out: list[Chunk] = []
    stack = [piece]
    while stack:
        iv = stack.pop()
        hits = probe(iv)
        if hits <= cap:
            out.append(Chunk(iv, "query", hits))
        elif iv.duration / 2 < min_slice or iv.duration < _MIN_SPLIT:
            out.append(Chunk(iv, "job", hits))
        else:
            first, second = iv.halves()
            stack.extend([second, first])  # depth first, in time order
    return out


__all__ = [
    "DEFAULT_CAP",
    "Chunk",
    "Method",
    "Probe",
    "day_cuts",
    "interval_of",
    "plan_chunks",
    "remaining",
    "split_chunk",
]
