"""glibc's allocator gives large freed blocks back, whatever was freed before."""

from __future__ import annotations

import ctypes
import platform

import pytest

from genesys_analytics.extraction.allocator import return_freed_memory

glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]  # fmt: skip


@pytest.mark.skipif(not glibc, reason="glibc's allocator only")
def test_a_page_sized_block_is_mapped_on_its_own_after_a_larger_one_was_freed() -> None:
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = _Mallinfo2
    assert return_freed_memory()
    # By default freeing a mapped 8 MB block raises the threshold to 8 MB: a later 1 MB
    # block (a page's body) would come from a heap and stay with the process once freed.
    libc.free(libc.malloc(8 << 20))
    mapped = libc.mallinfo2().hblkhd
    block = libc.malloc(1 << 20)
    try:
        assert libc.mallinfo2().hblkhd - mapped >= 1 << 20
    finally:
        libc.free(block)


def test_applying_twice_is_harmless() -> None:
    assert return_freed_memory() is return_freed_memory()
