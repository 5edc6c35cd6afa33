"""glibc's allocator gives large freed blocks back, whatever was freed before."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys

import pytest

from genesys_analytics.extraction.allocator import return_freed_memory

glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


#: Run in a fresh interpreter: a long-lived process (the test runner) may hold a free heap
#: chunk of 1 MB or more, which would serve the block from the heap whatever the threshold.
_PROBE = """
import ctypes
from genesys_analytics.extraction.allocator import return_freed_memory

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Mallinfo2
assert return_freed_memory()
# By default freeing a mapped 8 MB block raises the threshold to 8 MB: a later 1 MB
# block (a page's body) would come from a heap and stay with the process once freed.
libc.free(libc.malloc(8 << 20))
mapped = libc.mallinfo2().hblkhd
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblkhd - mapped)
libc.free(block)
"""


@pytest.mark.skipif(not glibc, reason="glibc's allocator only")
def test_a_page_sized_block_is_mapped_on_its_own_after_a_larger_one_was_freed() -> None:
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 1 << 20


def test_applying_twice_is_harmless() -> None:
    assert return_freed_memory() is return_freed_memory()
