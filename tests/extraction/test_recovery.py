"""The recovery rules for a failed chunk, on hand-built chunks and errors (no client)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from genesys_analytics.api.paging import ResultCapExceeded
from genesys_analytics.errors import IncompleteExport, ServerError
from genesys_analytics.extraction.fetch import ChunkMoving
from genesys_analytics.extraction.plan import Chunk
from genesys_analytics.extraction.recovery import CHUNK_ATTEMPTS, recover
from genesys_analytics.timeutil import Interval

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
HOUR = Chunk(Interval(T0, T0 + timedelta(hours=1)), "query", "conversations")
MINUTE = Chunk(Interval(T0, T0 + timedelta(minutes=1)), "query", "conversations")
LATER, EARLIER = T0 + timedelta(days=1), T0


def never() -> datetime:
    raise AssertionError("availability asked for when the rule does not need it")


def test_a_heavy_chunk_is_split_in_two() -> None:
    for exc in (ResultCapExceeded("cap"), ChunkMoving("moved"), ServerError("slow", status=504)):
        decided = recover(HOUR, exc, {}, availability=never)
        assert decided.how == "split"
        assert [c.interval for c in decided.chunks] == [
            Interval(T0, T0 + timedelta(minutes=30)),
            Interval(T0 + timedelta(minutes=30), T0 + timedelta(hours=1)),
        ]


def test_an_unsplittable_query_over_the_cap_is_read_by_a_job_or_stops() -> None:
    decided = recover(MINUTE, ResultCapExceeded("cap"), {}, availability=lambda: LATER)
    assert decided.how == "job" and decided.chunks == [
        Chunk(MINUTE.interval, "job", "conversations")
    ]
    with pytest.raises(IncompleteExport, match="newer than the data the jobs API has"):
        recover(MINUTE, ResultCapExceeded("cap"), {}, availability=lambda: EARLIER)


def test_server_errors_are_retried_up_to_the_attempts_then_stop() -> None:
    attempts: dict[str, int] = {}
    for _ in range(CHUNK_ATTEMPTS - 1):
        assert recover(HOUR, ServerError("boom", status=500), attempts, availability=never).how == (
            "retry"
        )
    with pytest.raises(IncompleteExport, match=f"after {CHUNK_ATTEMPTS} attempts"):
        recover(HOUR, ServerError("boom", status=500), attempts, availability=never)


def test_no_answer_and_other_errors_stop_with_the_error_itself() -> None:
    unreachable = ServerError("no answer", status=None)
    with pytest.raises(ServerError) as raised:
        recover(HOUR, unreachable, {}, availability=never)
    assert raised.value is unreachable
    with pytest.raises(ValueError, match="bug"):
        recover(HOUR, ValueError("bug"), {}, availability=never)
