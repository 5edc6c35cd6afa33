"""Stopping an export: a request honoured at once, or at the next safe point while writing."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class StopSignal(threading.Event):
    """A stop request that knows when it must wait for a safe point.

    While ``deferred`` (the writer is between two writes into the sink), a stop is only
    recorded and the run stops at the next safe point. Otherwise (logging in, planning)
    the caller may stop at once: nothing is being written. A SIGINT handler reads it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.deferred = False

    @contextlib.contextmanager
    def deferring(self) -> Iterator[None]:
        self.deferred = True
        try:
            yield
        finally:
            self.deferred = False


@contextlib.contextmanager
def deferring(cancel: threading.Event | None) -> Iterator[None]:
    """While writing: a ``StopSignal`` waits for a safe point (any other event always does)."""
    if isinstance(cancel, StopSignal):
        with cancel.deferring():
            yield
    else:
        yield


__all__ = ["StopSignal", "deferring"]
