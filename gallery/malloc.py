"""A web worker keeps the memory a request freed for the next one (glibc's malloc settings), and
has it before its first request."""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MAPPED_ABOVE = 32 * 1024 * 1024  # the largest threshold glibc accepts on 64-bit systems
KEPT_FREE = 64 * 1024 * 1024  # a search at a million holds 11-22 MB at its peak
# What a worker's heap grew by over its first 50 searches at a million (fragmentation on top of
# the peak); under KEPT_FREE, or glibc hands it back at once.
WARMED = 56 * 1024 * 1024


def keep_freed_memory(mapped_above: int = MAPPED_ABOVE, kept_free: int = KEPT_FREE) -> bool:
    """Serve blocks below mapped_above from the heap and keep up to kept_free of it free; False
    where the C library has no mallopt (not glibc).

    A search at a million assets makes and frees arrays of 1 to 8 MB (masks, scores, the hits).
    By default glibc gives each of them back to the kernel when it is freed, so the next request's
    arrays fault their pages in again: about 280 page faults and 0.9 ms of kernel time a search,
    paid by every worker on the same cores.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(M_MMAP_THRESHOLD, mapped_above) == 1 and mallopt(M_TRIM_THRESHOLD, kept_free) == 1


def warm_heap(size: int = WARMED, block: int = 8 * 1024 * 1024) -> None:
    """Grow the heap by `size` now and leave it free (with keep_freed_memory: kept), so a new
    worker's first searches reuse pages already mapped instead of faulting in fresh ones.

    At a million assets a new worker's first 50 searches faulted in 47 MB of heap: about 300 page
    faults a search under gunicorn -w 4, 80 with the heap grown first (docs/benchmarks.md).
    """
    blocks = [bytearray(block) for _ in range(max(1, size // block))]  # zeroed: every page touched
    del blocks
