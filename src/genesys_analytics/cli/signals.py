"""Ctrl-C during an export: stop at a safe point, so the output stays resumable."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from genesys_analytics.extraction.stop import StopSignal


@contextmanager
def stop_on_interrupt() -> Iterator[StopSignal]:
    """Turn a SIGINT while the export writes into a request it honours between writes.

    The default handler raises ``KeyboardInterrupt`` wherever the main thread is, which
    can be inside DuckDB (it then reports "Query interrupted" and aborts its
    transaction). While the export writes (``StopSignal.deferred``), the handler only
    records the request, and the export stops its workers and raises
    ``KeyboardInterrupt`` itself at the next safe point. At any other moment (logging
    in, planning: nothing is written) it stops at once. A second Ctrl-C always does.
    """
    event = StopSignal()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if event.is_set() or not event.deferred:
            event.set()
            raise KeyboardInterrupt
        event.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["stop_on_interrupt"]
