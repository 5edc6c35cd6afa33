from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.plan import (
    Chunk,
    day_cuts,
    plan_chunks,
    remaining,
    split_chunk,
)
from genesys_analytics.timeutil import Interval

UTC = timezone.utc


def iv(a: str, b: str) -> Interval:
    return Interval.of(a, b)


def assert_tiles(chunks: list[Chunk], interval: Interval) -> None:
    assert chunks, "a plan is never empty"
    assert chunks[0].start == interval.start
    assert chunks[-1].end == interval.end
    for a, b in itertools.pairwise(chunks):
        assert a.end == b.start, f"gap or overlap between {a.key} and {b.key}"


def crosses_midnight(i: Interval) -> bool:
    return len(i.days_touched()) > 1


# -- day cuts ----------------------------------------------------------------------------


def test_day_cuts_cut_at_every_utc_midnight() -> None:
    cuts = day_cuts(iv("2024-05-01T10:00:00Z", "2024-05-03T05:00:00Z"))
    assert [c.iso() for c in cuts] == [
        "2024-05-01T10:00:00.000Z/2024-05-02T00:00:00.000Z",
        "2024-05-02T00:00:00.000Z/2024-05-03T00:00:00.000Z",
        "2024-05-03T00:00:00.000Z/2024-05-03T05:00:00.000Z",
    ]


def test_interval_within_one_day_is_one_cut() -> None:
    i = iv("2024-05-01T10:00:00Z", "2024-05-02T00:00:00Z")
    assert day_cuts(i) == [i]


def test_query_plan_is_one_chunk_per_utc_day() -> None:
    i = iv("2024-05-01", "2024-05-04")
    chunks = plan_chunks(i, method="query")
    assert [c.method for c in chunks] == ["query"] * 3
    assert [c.start.day for c in chunks] == [1, 2, 3]
    assert_tiles(chunks, i)


# -- jobs and availability ---------------------------------------------------------------


def test_job_chunks_merge_days_up_to_max_days() -> None:
    i = iv("2024-05-01", "2024-05-17")
    chunks = plan_chunks(i, method="job", max_days=7)
    assert [(c.start.day, c.end.day) for c in chunks] == [(1, 8), (8, 15), (15, 17)]
    assert {c.method for c in chunks} == {"job"}
    assert all(c.interval.duration <= timedelta(days=7) for c in chunks)


def test_job_chunks_off_midnight_stay_within_max_days() -> None:
    i = iv("2024-05-01T12:00:00Z", "2024-05-10T06:00:00Z")
    chunks = plan_chunks(i, method="job", max_days=2)
    assert_tiles(chunks, i)
    assert all(c.interval.duration <= timedelta(days=2) for c in chunks)


def test_auto_cuts_at_the_availability_instant() -> None:
    i = iv("2024-05-01", "2024-05-04")
    avail = datetime(2024, 5, 3, 7, 30, tzinfo=UTC)
    chunks = plan_chunks(i, method="auto", availability=avail)
    assert_tiles(chunks, i)
    jobs = [c for c in chunks if c.method == "job"]
    queries = [c for c in chunks if c.method == "query"]
    assert jobs[-1].end == avail and queries[0].start == avail
    assert all(c.end <= avail for c in jobs)
    assert all(c.start >= avail for c in queries)
    # the job part may cross midnights, the query part may not
    assert len(jobs) == 1 and crosses_midnight(jobs[0].interval)
    assert [q.interval.iso() for q in queries] == [
        "2024-05-03T07:30:00.000Z/2024-05-04T00:00:00.000Z"
    ]


def test_auto_without_availability_or_before_it_is_all_query() -> None:
    i = iv("2024-05-01", "2024-05-03")
    assert {c.method for c in plan_chunks(i, method="auto", availability=None)} == {"query"}
    early = datetime(2024, 4, 1, tzinfo=UTC)
    assert {c.method for c in plan_chunks(i, method="auto", availability=early)} == {"query"}
    late = datetime(2024, 6, 1, tzinfo=UTC)
    assert {c.method for c in plan_chunks(i, method="auto", availability=late)} == {"job"}


def test_query_method_ignores_availability() -> None:
    i = iv("2024-05-01", "2024-05-03")
    late = datetime(2024, 6, 1, tzinfo=UTC)
    assert {c.method for c in plan_chunks(i, method="query", availability=late)} == {"query"}


def test_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        plan_chunks(iv("2024-05-01", "2024-05-02"), method="fast")


# -- split_chunk, keys, remaining --------------------------------------------------------


def test_split_chunk_halves_and_keeps_the_method_and_dataset() -> None:
    c = Chunk(iv("2024-05-01T00:00:00Z", "2024-05-01T06:00:00Z"), "query", "conversations")
    a, b = split_chunk(c)
    assert (a.start, a.end, b.end) == (c.start, datetime(2024, 5, 1, 3, tzinfo=UTC), c.end)
    assert a.method == b.method == "query"
    assert a.dataset == b.dataset == "conversations"


def test_split_chunk_refuses_a_chunk_too_short_to_halve() -> None:
    t = datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        split_chunk(Chunk(Interval(t, t + timedelta(milliseconds=1)), "query"))


def test_chunk_key_is_stable_and_names_its_dataset_and_interval() -> None:
    i = iv("2024-05-01T00:00:00Z", "2024-05-01T06:00:00Z")
    assert Chunk(i, "query", "users").key == Chunk(i, "job", "users").key == f"users {i.iso()}"
    assert Chunk(i, "query", "users").key != Chunk(i, "query", "conversations").key
    assert plan_chunks(i, method="query", dataset="x")[0].key == f"x {i.iso()}"


def test_remaining_returns_the_uncovered_gaps() -> None:
    i = iv("2024-05-01", "2024-05-05")
    done = [iv("2024-05-02", "2024-05-03"), iv("2024-04-20", "2024-05-01T06:00:00Z")]
    assert [g.iso() for g in remaining(i, done)] == [
        "2024-05-01T06:00:00.000Z/2024-05-02T00:00:00.000Z",
        "2024-05-03T00:00:00.000Z/2024-05-05T00:00:00.000Z",
    ]
    assert remaining(i, [i]) == []
    assert remaining(i, []) == [i]


# -- the tiling property -----------------------------------------------------------------

BASE = datetime(2024, 5, 1, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=20 * 86_400_000).map(
    lambda ms: BASE + timedelta(milliseconds=ms)
)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    a = draw(instants)
    b = draw(instants.filter(lambda x: x != a))
    return Interval(min(a, b), max(a, b))


@settings(max_examples=200, deadline=None)
@given(
    interval=intervals(),
    method=st.sampled_from(["auto", "query", "job"]),
    availability=st.one_of(st.none(), instants),
    max_days=st.integers(min_value=1, max_value=7),
)
def test_plan_tiles_the_interval_exactly(
    interval: Interval,
    method: str,
    availability: datetime | None,
    max_days: int,
) -> None:
    chunks = plan_chunks(interval, method=method, availability=availability, max_days=max_days)
    assert_tiles(chunks, interval)
    for c in chunks:
        if c.method == "query":
            assert not crosses_midnight(c.interval)
        else:
            assert c.interval.duration <= timedelta(days=max_days)
        if method == "auto" and availability is not None:
            # queries only after the availability date; jobs before it
            if c.method == "query":
                assert c.start >= availability
            else:
                assert c.end <= availability
        if method == "auto" and availability is None:
            assert c.method == "query"
        if method == "job":
            assert c.method == "job"
    assert len({c.key for c in chunks}) == len(chunks)


@settings(max_examples=100, deadline=None)
@given(interval=intervals(), n=st.integers(min_value=1, max_value=5))
def test_repeated_splits_still_tile(interval: Interval, n: int) -> None:
    chunks = [Chunk(interval, "query")]
    for _ in range(n):
        chunks = [
            half
            for c in chunks
            for half in (
                split_chunk(c) if c.interval.duration >= timedelta(milliseconds=2) else [c]
            )
        ]
    assert_tiles(chunks, interval)


def test_day_aligned_bounds_are_exact_midnights() -> None:
    chunks = plan_chunks(iv("2024-05-01T13:00:00Z", "2024-05-03T02:00:00Z"), method="query")
    assert [c.start.time() for c in chunks[1:]] == [time(0, 0)] * 2
