"""What to do with a chunk that failed: split it, read it with a job, retry it, or give up.

Pure: :func:`recover` only decides. The engine's writer calls it with the chunk's error
and applies the answer (counts it, logs it, submits the chunks); giving up is raising.
The rules, in order:

1. Too heavy (over the details query's result cap, moving under a re-read, or a 504),
   and still at least two ``MIN_SPLIT`` long: split it.
2. Over the cap as a query and not splittable: read it with a job if the jobs API has
   its data yet, else stop (:class:`IncompleteExport`).
3. No answer at all (a ``ServerError`` without a status): stop at once with that error.
4. A server, pagination or job error: retry, up to ``CHUNK_ATTEMPTS`` reads in all.
5. Anything else: stop with that error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from genesys_analytics.api.paging import ResultCapExceeded
from genesys_analytics.errors import IncompleteExport, JobFailed, PaginationError, ServerError
from genesys_analytics.extraction.fetch import MIN_SPLIT, ChunkMoving
from genesys_analytics.extraction.plan import Chunk, split_chunk
from genesys_analytics.timeutil import fmt

CHUNK_ATTEMPTS = 3


@dataclass(frozen=True)
class Recovery:
    """How a failed chunk is read again: the chunks to submit in its place."""

    how: Literal["split", "job", "retry"]
    chunks: list[Chunk]


def recover(
    chunk: Chunk,
    exc: BaseException,
    attempts: dict[str, int],
    *,
    availability: Callable[[], datetime],
) -> Recovery:
    """Decide for ``chunk``, which failed with ``exc``; raise to give up.

    ``attempts`` counts the retries per chunk key (updated here); ``availability`` is
    when the jobs API's data ends for the chunk's dataset (asked only when needed).
    """
    over_cap = isinstance(exc, ResultCapExceeded)
    too_heavy = (
        over_cap
        or isinstance(exc, ChunkMoving)
        or (isinstance(exc, ServerError) and exc.status == 504)
    )
    if too_heavy and chunk.method != "snapshot" and chunk.interval.duration >= 2 * MIN_SPLIT:
        parts = split_chunk(chunk)
        if len(parts) > 1:
            return Recovery("split", parts)
    if over_cap and chunk.method == "query":
        if chunk.interval.end <= availability():
            return Recovery("job", [Chunk(chunk.interval, "job", chunk.dataset)])
        raise IncompleteExport(
            f"{chunk.interval} is over the details query's cap even cut to "
            f"{MIN_SPLIT.total_seconds():.0f} s ({str(exc).rstrip('.')}), and it is newer "
            f"than the data the jobs API has (up to {fmt(availability())}); "
            "export it after that."
        ) from exc
    unreachable = isinstance(exc, ServerError) and exc.status is None
    if unreachable:
        # No answer at all, after the transport's own retries (login included): reading
        # the chunk again would only wait as long once more. Stop; checkpoints stay.
        raise exc
    if isinstance(exc, ServerError | PaginationError | JobFailed):
        n = attempts.get(chunk.key, 0) + 1
        attempts[chunk.key] = n
        if n < CHUNK_ATTEMPTS:
            return Recovery("retry", [chunk])
        raise IncompleteExport(
            f"chunk {chunk.interval} ({chunk.method}) could not be read completely after "
            f"{n} attempts: {str(exc).rstrip('.')}. "
            "Run the same command with --resume to continue."
        ) from exc
    raise exc


__all__ = ["CHUNK_ATTEMPTS", "Recovery", "recover"]
