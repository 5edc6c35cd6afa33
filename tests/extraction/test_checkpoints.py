"""The incremental rules (decisions.md §9): complete chunks, the resume point, the lookback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.checkpoints import (
    OpenRecords,
    continuation,
    covered,
    incremental_start,
    reread_from,
)
from genesys_analytics.extraction.datasets import CONVERSATIONS, DATASETS, USER_DETAILS_DATASET
from genesys_analytics.extraction.run import parse_lookback
from genesys_analytics.timeutil import Interval, fmt

DAY = datetime(2024, 5, 1, tzinfo=timezone.utc)
H72 = timedelta(hours=72)


def at(days: float) -> datetime:
    return DAY + timedelta(days=days)


def chunk(a: float, b: float, **meta: Any) -> dict[str, Any]:
    return {"start": fmt(at(a)), "end": fmt(at(b)), "live": False, "open": 0, **meta}


def days(n: int, **overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Checkpoints of days 0..n-1, with per-day overrides keyed ``"d<i>"``."""
    return {f"d{i}": {**chunk(i, i + 1), **overrides.get(f"d{i}", {})} for i in range(n)}


@pytest.mark.parametrize(
    ("text", "hours"),
    [("72h", 72), ("3d", 72), ("90m", 1.5), ("0h", 0), ("1w", 168), (" 48H ", 48)],
)
def test_lookback_takes_a_duration(text: str, hours: float) -> None:
    assert parse_lookback(text) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "72", "3 days", "-1h", "1.5h", "h", "72hours"])
def test_a_bad_lookback_is_one_sentence_naming_the_option(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_lookback(text)
    message = err.value.message
    assert message.startswith("--lookback ") and "e.g. 72h" in message
    assert "\n" not in message and message.endswith(".")


def test_the_resume_point_is_the_end_of_the_complete_stretch() -> None:
    assert incremental_start({}) is None
    assert incremental_start(days(3)) == at(3)
    # an open record (a conversation not ended, a status still running) keeps it back
    assert incremental_start(days(3, d1={"open": 2})) == at(1)
    # a live chunk too, and a hole
    assert incremental_start(days(3, d2={"live": True})) == at(2)
    done = days(4)
    del done["d1"]
    assert incremental_start(done) == at(1)


def test_an_open_first_chunk_keeps_the_resume_point_at_the_start() -> None:
    # complete chunks after an incomplete first one do not move the resume point past it
    assert incremental_start(days(3, d0={"open": 1})) == at(0)
    assert incremental_start(days(2, d0={"open": 1}, d1={"open": 1})) == at(0)


def test_resume_skips_finished_chunks_with_open_records_incremental_does_not() -> None:
    done = days(3, d1={"open": 1})
    assert covered(done) == [Interval(at(i), at(i + 1)) for i in range(3)]
    assert covered(done, settled=True) == [Interval(at(0), at(1)), Interval(at(2), at(3))]


def test_the_reread_point_is_the_resume_point_minus_the_lookback() -> None:
    done = days(10, d8={"open": 1})  # resume point: day 8
    assert reread_from(done, H72) == at(5)
    assert reread_from(done, timedelta(0)) == at(8)
    # never before the store's first checkpoint
    assert reread_from(done, timedelta(days=30)) == at(0)
    assert reread_from({}, H72) is None


def test_an_incremental_run_reads_the_lookback_and_everything_after_it() -> None:
    done = days(10, d8={"open": 1})
    plan = continuation(Interval(at(0), at(12)), done, H72)
    assert plan.pieces == [Interval(at(5), at(12))]
    assert plan.kept == [Interval(at(i), at(i + 1)) for i in range(5)]
    assert plan.resume == at(8)
    assert plan.reread == Interval(at(5), at(10))  # what earlier runs had, read again


def test_an_incremental_run_still_fills_holes_before_the_lookback() -> None:
    done = days(10)
    del done["d1"]  # an interrupted run left day 1 out: the resume point is day 1
    plan = continuation(Interval(at(0), at(12)), done, timedelta(hours=12))
    assert plan.pieces == [Interval(at(0.5), at(12))]
    done = days(10)
    done.update({"x": chunk(-3, -2)})  # an old export, a gap, then the rest
    plan = continuation(Interval(at(-3), at(12)), done, timedelta(0))
    assert plan.pieces == [Interval(at(-2), at(12))]  # from the gap on
    assert plan.kept == [Interval(at(-3), at(-2))]


def test_without_checkpoints_an_incremental_run_reads_everything() -> None:
    plan = continuation(Interval(at(0), at(2)), {}, H72)
    assert plan.pieces == [Interval(at(0), at(2))] and plan.reread is None


def test_the_reread_span_stays_inside_the_interval() -> None:
    plan = continuation(Interval(at(7), at(12)), days(10), H72)
    assert plan.reread == Interval(at(7), at(10)) and plan.pieces == [Interval(at(7), at(12))]


def test_open_records_are_counted_by_their_latest_copy() -> None:
    running = OpenRecords(CONVERSATIONS)
    running.note([{"conversationId": "a", "conversationStart": fmt(at(0.5))}])
    running.note([{"conversationId": "b", "conversationStart": fmt(at(1.5))}])
    running.note([{"conversationId": "c", "conversationStart": "not a time"}])
    assert len(running) == 3
    assert running.within(Interval(at(0), at(1))) == 2  # a, and c (unreadable: anywhere)
    running.note([{"conversationId": "a", "conversationEnd": fmt(at(0.6))}])
    assert len(running) == 2 and running.within(Interval(at(0), at(1))) == 1


def test_status_records_without_an_end_are_open() -> None:
    running = OpenRecords(USER_DETAILS_DATASET)
    running.note(
        [
            {"recordKey": "u|presence|1", "startTime": fmt(at(0)), "endTime": fmt(at(0.1))},
            {"recordKey": "u|routing|1", "startTime": fmt(at(0))},
        ]
    )
    assert len(running) == 1


def test_snapshot_records_are_never_open() -> None:
    running = OpenRecords(DATASETS["users"])
    running.note([{"id": "u1", "name": "Ann"}])
    assert len(running) == 0
