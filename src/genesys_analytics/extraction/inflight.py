"""What the export holds in flight: bytes of fetched pages not yet written, bounded.

A worker reserves room for its next page (:meth:`InFlight.reserve`, sized by
:func:`json_size`) before it fetches it, and the writer releases it once the page is
written, so what waits for the writer is bounded in bytes, not in pages.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from genesys_analytics.api.records import JsonRecord, record_json


class InFlight:
    """Bytes of pages fetched and not yet written; a worker reserves room before it fetches."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.waiting = 0  # workers waiting for room
        self._cond = threading.Condition()

    def reserve(self, nbytes: int, stop: threading.Event) -> None:
        """Wait until ``nbytes`` more fit (or nothing else is held, or ``stop``), take them."""
        with self._cond:
            self.waiting += 1
            while self.used and self.used + nbytes > self.limit and not stop.is_set():
                self._cond.wait(0.2)
            self.waiting -= 1
            self.used += nbytes

    def release(self, nbytes: int) -> None:
        with self._cond:
            self.used -= nbytes
            self._cond.notify_all()


def json_size(records: list[dict[str, Any]]) -> int:
    """About how many bytes of JSON ``records`` came as: their count times the mean size of
    the first and the last (records of one dataset are alike), never every one encoded."""
    if not records:
        return 0
    if type(records[0]) is JsonRecord:  # their JSON at hand: the exact size
        return sum(map(len, map(record_json, records)))
    ends = len(orjson.dumps(records[0], default=str)) + len(orjson.dumps(records[-1], default=str))
    return len(records) * ends // 2


__all__ = ["InFlight", "json_size"]
