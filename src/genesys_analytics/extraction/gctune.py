"""The cyclic garbage collector's thresholds, relaxed while an export runs.

An export decodes pages of about 10,000 small containers each (a page of 100
conversations). With Python's default thresholds (700, 10, 10) the collector runs a
young collection every 700 of them and, every hundred of those, a full collection over
everything alive, pages in flight included: decoding pages ran at 14,500 conversations
a second, 39,000 with the thresholds below, 52,000 with collection off. Conversations
hold no reference cycles, so reference counting frees them either way; collection is
only made rarer, never turned off, so a cycle made elsewhere is still freed.

The thresholds are the whole process's: the first of any concurrent runs saves and
relaxes them, the last one restores them. Thresholds someone already set higher are
kept.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Young collections every 100,000 net allocations; the older generations as by default.
RELAXED = (100_000, 50, 1000)

_lock = threading.Lock()
_runs = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Relax the collector's thresholds for the ``with`` block (see the module docstring)."""
    global _runs, _saved
    with _lock:
        if _runs == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*(max(now, new) for now, new in zip(_saved, RELAXED, strict=True)))
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None


__all__ = ["RELAXED", "relaxed_gc"]
