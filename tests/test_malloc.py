"""A web worker keeps freed memory for its next request instead of faulting it in again, and
grows its heap before its first request."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Rounds of what a search at a million assets makes and frees (arrays of 8 MB, 48 MB in all); the
# page faults of the third are printed, or of the first ("first", "warm": a new worker's).
ROUNDS = """
import resource, sys
import numpy as np
from gallery import malloc
if sys.argv[1] != "default":
    assert malloc.keep_freed_memory()
if sys.argv[1] == "warm":
    malloc.warm_heap()
def search_sized_round():
    arrays = [np.ones(2_000_000, dtype=np.float32) for _ in range(6)]
    del arrays
rounds = 0 if sys.argv[1] in ("first", "warm") else 2  # first, warm: a new worker's first round
for _ in range(rounds):
    search_sized_round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
search_sized_round()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_arrays_are_reused_without_page_faults():
    pages = 48 * 1024 * 1024 // 4096
    assert _faults("default") > pages // 8  # given back to the kernel, faulted in again
    assert _faults("keep") < pages // 100


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_warmed_heap_serves_the_first_search_without_page_faults():
    pages = 48 * 1024 * 1024 // 4096
    assert _faults("first") > pages // 8  # a new worker's first search maps its arrays' pages
    assert _faults("warm") < pages // 100


def test_wsgi_sets_it_before_the_app_starts():
    source = (Path(__file__).resolve().parent.parent / "wsgi.py").read_text(encoding="utf-8")
    assert source.index("malloc.keep_freed_memory()") < source.index("create_app()")
    assert source.index("search.warm_up()") < source.index("malloc.warm_heap()")
