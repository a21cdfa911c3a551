"""Where the index lives: a versioned directory behind a pointer file, one writer lock, a cached searcher."""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from typing import Iterator

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import LockError
from whoosh.util.filelock import FileLock

from gallery.services.search.execute import warm
from gallery.services.search.schema import (
    DEFAULT_FIELDS,
    FACET_FIELDS,
    SCHEMA_VERSION,
    make_schema,
)

POINTER = "CURRENT"
LOCKFILE = "writer.lock"
VERSION_FILE = "SCHEMA"
# Read when a searcher opens: every search needs them (see execute.warm).
WARM_FACETS = (*FACET_FIELDS.values(), "gallery_id")
WARM_SCORED = tuple(name for name, _boost in DEFAULT_FIELDS)
SCHEMA_FIELDS = {*WARM_FACETS, *WARM_SCORED, "date"}


def codec() -> W3Codec:
    """Whoosh's codec without per-block length statistics.

    They only serve Whoosh's own top-N scoring shortcuts, which the array evaluation does not
    use, and reading a length back for every posting is a third of the time of a commit.
    """
    found = W3Codec()
    found.length_stats = False
    return found


def writer(ix: index.Index, **kwargs):
    """A writer of this index with the project's codec."""
    return ix.writer(codec=codec(), **kwargs)


def schema_version(root: str, name: str | None = None) -> str | None:
    """The schema version an index version was built with (None: before versions were kept)."""
    name = name or current_name(root)
    if name is None:
        return None
    try:
        with open(os.path.join(root, name, VERSION_FILE), encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return None


def outdated(root: str) -> bool:
    """True when the current index was built with another schema and needs `gallery reindex`."""
    name = current_name(root)
    return name is not None and os.path.isdir(os.path.join(root, name)) \
        and schema_version(root, name) != SCHEMA_VERSION


def current_name(root: str) -> str | None:
    """Name of the index version the pointer file names, or None before the first build."""
    try:
        with open(os.path.join(root, POINTER), encoding="ascii") as fh:
            name = fh.read().strip()
    except FileNotFoundError:
        return None
    return name or None


def new_version(root: str) -> str:
    """Create an empty index in a fresh version directory and return its name."""
    name = f"v{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path = os.path.join(root, name)
    os.makedirs(path)
    index.create_in(path, make_schema())
    with open(os.path.join(path, VERSION_FILE), "w", encoding="ascii") as fh:
        fh.write(SCHEMA_VERSION)
    return name


def point_to(root: str, name: str) -> None:
    """Make `name` the current version atomically (write a temp file, then os.replace)."""
    tmp = os.path.join(root, f".{POINTER}.{uuid.uuid4().hex}")
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, os.path.join(root, POINTER))


def remove_old_versions(root: str, keep: set[str]) -> list[str]:
    """Delete version directories not in `keep`."""
    removed = []
    for entry in os.listdir(root):
        if entry.startswith("v") and entry not in keep and os.path.isdir(os.path.join(root, entry)):
            shutil.rmtree(os.path.join(root, entry), ignore_errors=True)
            removed.append(entry)
    return removed


def open_current(root: str, create: bool = True, timeout: float = 10.0) -> index.Index | None:
    """Open the current index version (for reading), creating the first one if asked.

    Creating it takes the writer lock for at most `timeout` seconds (LockError past it): a
    request passes its configured short wait.
    """
    os.makedirs(root, exist_ok=True)
    name = current_name(root)
    if name is None or not os.path.isdir(os.path.join(root, name)):
        if not create:
            return None
        with writer_lock(root, timeout=timeout):
            return open_locked(root)
    return index.open_dir(os.path.join(root, name))


def open_locked(root: str) -> index.Index:
    """Open the current version for writing; the caller holds the writer lock."""
    name = current_name(root)
    if name is None or not os.path.isdir(os.path.join(root, name)):
        name = new_version(root)
        point_to(root, name)
    return index.open_dir(os.path.join(root, name))


@contextlib.contextmanager
def writer_lock(root: str, timeout: float) -> Iterator[None]:
    """Hold the one writer lock of this index root (across processes and threads) or raise LockError.

    flock is released by the kernel when a process dies, so a killed worker never leaves it held.
    """
    os.makedirs(root, exist_ok=True)
    lock = FileLock(os.path.join(root, LOCKFILE))
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise LockError(f"search index writer busy: {root}")
        time.sleep(0.02)
    try:
        yield
    finally:
        lock.release()


class _Entry:
    """One open searcher and how many requests are using it."""

    def __init__(self, name: str, ix: index.Index) -> None:
        self.name = name
        self.ix = ix
        self.searcher = ix.searcher()
        self.users = 0
        self.retired = False
        if SCHEMA_FIELDS <= set(self.searcher.schema.names()):
            warm(self.searcher, WARM_FACETS, WARM_SCORED)


class SearcherCache:
    """A searcher shared by all threads, replaced when the index or its version changes."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.entry: _Entry | None = None

    @contextlib.contextmanager
    def lease(self, timeout: float = 10.0) -> Iterator:
        """A searcher that stays open while the caller uses it, even if a refresh happens meanwhile.

        timeout: the longest wait for the writer lock when the first index version has to be made.
        """
        with self.lock:
            entry = self._fresh(timeout)
            entry.users += 1
        try:
            yield entry.searcher
        finally:
            with self.lock:
                entry.users -= 1
                if entry.retired and entry.users == 0:
                    entry.searcher.close()

    def _fresh(self, timeout: float) -> _Entry:
        name = current_name(self.root)
        entry = self.entry
        if entry is not None and name == entry.name and entry.searcher.up_to_date():
            return entry
        # A new searcher rather than searcher.refresh(): refresh() reuses the old reader's
        # segments, and whoosh-reloaded 2.7.5 then keeps segments a merge removed (stale and
        # duplicate hits); it also closes readers another thread may still be using.
        if entry is not None and name == entry.name:
            fresh = _Entry(name, entry.ix)
        else:
            ix = open_current(self.root, timeout=timeout)
            fresh = _Entry(current_name(self.root) or "", ix)
        if entry is not None:
            entry.retired = True
            if entry.users == 0:
                entry.searcher.close()
        self.entry = fresh
        return fresh

    def close(self) -> None:
        """Close the cached searcher (tests, shutdown)."""
        with self.lock:
            if self.entry is not None:
                self.entry.retired = True
                if self.entry.users == 0:
                    self.entry.searcher.close()
                self.entry = None


_caches: dict[str, SearcherCache] = {}
_caches_lock = threading.Lock()


def searcher_cache(root: str) -> SearcherCache:
    """The process-wide searcher cache of an index root."""
    with _caches_lock:
        cache = _caches.get(root)
        if cache is None:
            cache = _caches[root] = SearcherCache(root)
        return cache


def close_all() -> None:
    """Close every cached searcher of this process."""
    with _caches_lock:
        caches = list(_caches.values())
        _caches.clear()
    for cache in caches:
        cache.close()
