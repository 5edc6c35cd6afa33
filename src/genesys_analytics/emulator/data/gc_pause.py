"""Pausing the cyclic garbage collector while the emulator builds a day of conversations."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off the conversations while a day is built.

    A day is up to a million small acyclic containers. Left alone, the collector would
    scan them while they are built and then again in every full collection for as long
    as the day stays cached (about a second per million objects, a stop-the-world pause
    in the emulator's server). So collection is paused during generation and, when the
    last generator finishes, the live objects are moved to the permanent generation
    (``gc.freeze``) before collection resumes. Reference counting still frees a day when
    the cache drops it, because conversations hold no reference cycles.

    Both steps act on the whole process (``gc.freeze`` moves *every* live object to the
    permanent generation), so this runs only when the org was made with ``pause_gc=True``.
    """
    global _gc_pausers
    with _gc_lock:
        if _gc_pausers == 0 and gc.isenabled():
            gc.disable()
            _gc_pausers = 1
        elif _gc_pausers:
            _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            if _gc_pausers:
                _gc_pausers -= 1
                if _gc_pausers == 0:
                    gc.freeze()
                    gc.enable()


__all__ = ["gc_paused"]
