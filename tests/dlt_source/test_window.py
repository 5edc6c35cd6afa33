"""Which interval an incremental dlt run reads and what it remembers (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from genesys_analytics.dlt.window import DEFAULT_LOOKBACK, lookback_of, reading_window, remember
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
START = datetime(2024, 5, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_a_first_run_reads_from_start() -> None:
    assert reading_window({}, START, START + 10 * DAY, DEFAULT_LOOKBACK) == Interval(
        START, START + 10 * DAY
    )


def test_a_later_run_reads_the_lookback_before_the_resume_point() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + 10 * DAY), START + 10 * DAY, DEFAULT_LOOKBACK)
    window = reading_window(state, START, START + 11 * DAY, DEFAULT_LOOKBACK)
    assert window == Interval(START + 7 * DAY, START + 11 * DAY)
    assert state["lookback"] == 72 * 3600
    assert state["start"] == "2024-05-01T00:00:00.000Z"


def test_the_lookback_never_reaches_before_start() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + DAY), START + DAY, DEFAULT_LOOKBACK)
    assert reading_window(state, START, START + 2 * DAY, DEFAULT_LOOKBACK) == Interval(
        START, START + 2 * DAY
    )


def test_an_earlier_start_than_remembered_reads_from_it() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + 10 * DAY), START + 10 * DAY, timedelta(0))
    earlier = START - 5 * DAY
    assert reading_window(state, earlier, START + 11 * DAY, timedelta(0)) == Interval(
        earlier, START + 11 * DAY
    )


def test_nothing_to_read_when_the_state_is_ahead_of_end() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + 10 * DAY), START + 10 * DAY, timedelta(0))
    assert reading_window(state, START, START + 9 * DAY, timedelta(0)) is None


def test_the_resume_point_never_moves_back() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + 10 * DAY), START + 10 * DAY, DEFAULT_LOOKBACK)
    # A run whose chunks were all live (nothing complete) keeps the earlier point.
    remember(state, Interval(START + 7 * DAY, START + 11 * DAY), None, DEFAULT_LOOKBACK)
    assert state["resume_from"] == "2024-05-11T00:00:00.000Z"
    assert state["last_read"] == "2024-05-08T00:00:00.000Z/2024-05-12T00:00:00.000Z"


def test_a_first_run_with_nothing_complete_resumes_at_its_start() -> None:
    state: dict[str, Any] = {}
    remember(state, Interval(START, START + DAY), None, DEFAULT_LOOKBACK)
    assert state["resume_from"] == "2024-05-01T00:00:00.000Z"


def test_start_must_be_before_end() -> None:
    with pytest.raises(ConfigError, match="not before end"):
        reading_window({}, START, START, DEFAULT_LOOKBACK)


def test_lookback_takes_a_duration_or_text() -> None:
    assert lookback_of("72h") == DEFAULT_LOOKBACK
    assert lookback_of(timedelta(days=2)) == 2 * DAY
    with pytest.raises(ConfigError, match="not a duration"):
        lookback_of("soon")
    with pytest.raises(ConfigError, match="not a duration"):
        lookback_of(-DAY)
