"""A web worker keeps the memory a request freed for the next one (glibc's malloc settings)."""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MAPPED_ABOVE = 32 * 1024 * 1024  # the largest threshold glibc accepts on 64-bit systems
KEPT_FREE = 64 * 1024 * 1024  # a search at a million holds 11-22 MB at its peak


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
