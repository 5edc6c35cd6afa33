"""The distinct keys of one chunk, counted without holding them all for the whole chunk.

A chunk's records are counted once per key (a re-read or a repeated record is not a new
one), which needs the keys seen so far. A job chunk spans up to a week: at 71,000
conversations a day its keys alone held ~50 MB by the end, so peak memory grew with the
export. Keys are therefore held per UTC day of the record's timestamp (a record's
timestamp never changes, so a key always falls on the same day), and the days a job has
passed (``fetch.Sealed``) are counted and forgotten: no record of them comes again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from genesys_analytics.extraction.datasets import Dataset, Record
from genesys_analytics.extraction.fetch import canonical
from genesys_analytics.timeutil import fmt

_NO_DAY = ""  # records without a timestamp (a snapshot's): held until the chunk ends


class DistinctKeys:
    """The keys of one chunk's records so far, by UTC day; ``len`` counts them all."""

    def __init__(self, dataset: Dataset) -> None:
        self._key = dataset.key
        self._timestamp = "" if dataset.snapshot else dataset.details.timestamp
        self._days: dict[str, set[str]] = {}
        self._forgotten = 0  # keys of days passed, counted and no longer held

    def __len__(self) -> int:
        return self._forgotten + self.held

    @property
    def held(self) -> int:
        """How many keys are in memory."""
        return sum(len(keys) for keys in self._days.values())

    def add(self, records: Iterable[Record]) -> int:
        """Note the keys of ``records``; how many of them were new."""
        key, timestamp, days = self._key, self._timestamp, self._days
        new = 0
        for record in records:
            k = record.get(key)
            if not isinstance(k, str):
                continue
            stamp = record.get(timestamp) if timestamp else None
            day = canonical(stamp)[:10] if isinstance(stamp, str) and stamp else _NO_DAY
            keys = days.get(day)
            if keys is None:
                keys = days[day] = set()
            if k not in keys:
                keys.add(k)
                new += 1
        return new

    def passed(self, end: datetime) -> None:
        """Count and forget the keys of the UTC days before ``end``: they are all in."""
        bound = fmt(end)[:10]
        for day in [d for d in self._days if d != _NO_DAY and d < bound]:
            self._forgotten += len(self._days.pop(day))


__all__ = ["DistinctKeys"]
