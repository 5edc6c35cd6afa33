"""glibc's allocator, told to give freed memory back to the system while an export runs.

An export frees page after page of decoded JSON (a job's page of 1,000 conversations is
~3 MB of body and ~12 MB of objects) while the next ones arrive, from several threads.
With glibc's defaults every thread that allocates gets a heap of its own (up to eight per
core), and the mmap threshold rises to the largest block freed so far (up to 32 MB), so
page bodies end up in those heaps and what is freed between them stays with the process:
30-45 MB of free heap at the peak of a 100,000-conversation export. Two settings fix that,
applied once, before the export's threads start:

- ``M_MMAP_THRESHOLD`` fixed at 128 KB (glibc's initial value): blocks that large are
  mapped on their own and unmapped when freed, whatever was freed before;
- ``M_ARENA_MAX`` 2: threads share two heaps, so free memory is not spread over many.

Linux with glibc only (elsewhere this does nothing). A ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_ARENA_MAX`` set in the environment is the user's choice and is left alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import threading

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters (malloc.h)
M_ARENA_MAX = -8
#: parameter, value, and the environment variable that overrides it
SETTINGS = (
    (M_MMAP_THRESHOLD, 128 * 1024, "MALLOC_MMAP_THRESHOLD_"),
    (M_ARENA_MAX, 2, "MALLOC_ARENA_MAX"),
)

_lock = threading.Lock()
_done = False


def return_freed_memory() -> bool:
    """Apply :data:`SETTINGS` once per process (see the module docstring); ``True`` if they
    are in effect (applied now or before), ``False`` where glibc's ``mallopt`` is not."""
    global _done
    with _lock:
        if _done:
            return True
        if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
            return False
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # pragma: no cover - glibc always has it
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        for param, value, env in SETTINGS:
            if env not in os.environ and not mallopt(param, value):
                log.debug("mallopt(%d, %d) was refused", param, value)  # pragma: no cover
        _done = True
        return True


__all__ = ["SETTINGS", "return_freed_memory"]
