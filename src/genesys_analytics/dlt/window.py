"""Which interval an incremental dlt run reads, and what it keeps in dlt's state. Pure.

A time-based resource keeps, in its dlt resource state:

- ``start``: the earliest instant it has read from (the ``start`` of its first run);
- ``resume_from``: the end of the complete stretch of its last run's checkpoints (a live
  chunk is not complete: decisions.md §9), where the next run continues;
- ``lookback``: the trailing window re-read before ``resume_from``, in seconds;
- ``last_read``: the interval the last run read, for people reading the state.

The next run reads ``[resume_from - lookback, end)`` (never before ``start``), so data the
service reprocessed, and conversations or statuses still open, are read again and merged
over their earlier copies. A ``start`` earlier than the state's reads from that ``start``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt, parse_duration, parse_instant

DEFAULT_LOOKBACK = timedelta(hours=72)


def lookback_of(value: timedelta | str) -> timedelta:
    """``timedelta(hours=72)`` or ``"72h"`` (also ``s``, ``m``, ``d``, ``w``); not negative."""
    span = parse_duration(value) if isinstance(value, str) else value
    if not isinstance(span, timedelta) or span < timedelta(0):
        raise ConfigError(f"lookback {value!r} is not a duration; use e.g. '72h' or '3d'.")
    return span


def reading_window(
    state: Mapping[str, Any], start: datetime, end: datetime, lookback: timedelta
) -> Interval | None:
    """The interval this run reads (``None``: nothing, the state is ahead of ``end``)."""
    if start >= end:
        raise ConfigError(
            f"start {fmt(start)} is not before end {fmt(end)}; "
            "give an earlier start or a later end."
        )
    begin = start
    resume = state.get("resume_from")
    earliest = state.get("start")
    if resume is not None and (earliest is None or parse_instant(earliest) <= start):
        begin = max(start, parse_instant(resume) - lookback)
    if begin >= end:
        return None
    return Interval(begin, end)


def remember(
    state: MutableMapping[str, Any],
    read: Interval,
    resume_from: datetime | None,
    lookback: timedelta,
) -> None:
    """Record a finished run: ``resume_from`` is where its complete stretch ended (``None``
    when nothing it read was complete yet). The resume point never moves back: what lay
    before the earlier one was complete then."""
    earliest = state.get("start")
    if earliest is None or read.start < parse_instant(earliest):
        state["start"] = fmt(read.start)
    points = [p for p in (resume_from, state.get("resume_from")) if p is not None]
    resume = max(parse_instant(p) for p in points) if points else read.start
    state["resume_from"] = fmt(resume)
    state["lookback"] = lookback.total_seconds()
    state["last_read"] = read.iso()


__all__ = ["DEFAULT_LOOKBACK", "lookback_of", "reading_window", "remember"]
