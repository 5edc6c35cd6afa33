"""Ctrl-C during an export: stop at a safe point, so the output stays resumable."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stop_on_interrupt() -> Iterator[threading.Event]:
    """Turn the first SIGINT into an event the export checks between writes.

    The default handler raises ``KeyboardInterrupt`` wherever the main thread is, which
    can be inside DuckDB (it then reports "Query interrupted" and aborts its
    transaction). The export instead sees the event, stops its workers and raises
    ``KeyboardInterrupt`` itself, between two writes. A second Ctrl-C stops at once.
    """
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["stop_on_interrupt"]
