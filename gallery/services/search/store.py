"""Where the index lives: versioned directories behind a pointer file, each with its log cursor; one writer lock; a cached searcher."""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Iterator

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import LockError
from whoosh.util.filelock import FileLock

import gallery.services.search.arrays as arrays
import gallery.services.search.tables as tables
from gallery.services.search.analysis import LANGUAGES
from gallery.services.search.changelog import Cursor
from gallery.services.search.execute import View, warm
from gallery.services.search.schema import (
    DEFAULT_FIELDS,
    FACET_FIELDS,
    SCHEMA_VERSION,
    SEARCH_FACETS,
    any_field,
    lang_field,
    lang_fields,
    make_schema,
)

POINTER = "CURRENT"
# How long after a directory's mtime a listing must come for the mtime to be trusted (ns): far
# above the coarse file-system clock's tick (a few ms).
STAMP_SLACK_NS = 100_000_000
LOCKFILE = "writer.lock"
VERSION_FILE = "SCHEMA"
CURSOR_FILE = "CURSOR"
# Read when a searcher opens: every search needs them (see execute.warm).
WARM_FACETS = (*FACET_FIELDS.values(), "gallery_id")
# Every language's text fields, and the unstemmed words a query typed without accents looks up.
WARM_SCORED = (*dict.fromkeys(name for lang in LANGUAGES for name, _boost in lang_fields(lang)),
               *(lang_field("plain", lang) for lang in LANGUAGES if lang != "en"),
               *(any_field(lang) for lang in LANGUAGES))
SCHEMA_FIELDS = {*WARM_FACETS, *(name for name, _boost in DEFAULT_FIELDS), "date"}


def codec() -> W3Codec:
    """Whoosh's codec without per-block length statistics.

    They only serve Whoosh's own top-N scoring shortcuts, which the array evaluation does not
    use, and reading a length back for every posting is a third of the time of a commit.
    Blocks of 1,024 postings instead of 128: the array search reads whole posting lists, and
    each block costs a pickle load (6 % less CPU to reindex 100,000 assets, too).
    """
    found = W3Codec(blocklimit=1024)
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


class IndexMissing(LookupError):
    """This server has no index yet, and the caller may not make one (a reader in sync mode)."""


def read_cursor(root: str, name: str) -> Cursor:
    """How far an index version has applied the change log (the start when it has no cursor file).

    An index older than the log has none: the entries still in the log are then exactly the
    changes it had not drained, and the start applies them.
    """
    try:
        with open(os.path.join(root, name, CURSOR_FILE), encoding="ascii") as fh:
            return Cursor.loads(fh.read())
    except FileNotFoundError:
        return Cursor()


def write_cursor(root: str, name: str, cursor: Cursor) -> None:
    """Record an index version's cursor atomically, after the index commit that applied it.

    A crash between the two leaves the cursor behind the index: the next pass applies those
    entries again, which is harmless (each writes the asset's current document or removes it).
    """
    path = os.path.join(root, name, CURSOR_FILE)
    tmp = f"{path}.{uuid.uuid4().hex}"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(cursor.dumps())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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


def save_arrays(ix: index.Index, procs: int = 1) -> None:
    """Read and save the arrays of segments that lack them, so no reader pays for it (arrays.py, tables.py).

    procs > 1 saves the posting tables of several segments at once (a rebuild's twenty).
    """
    with ix.searcher() as searcher:
        if not SCHEMA_FIELDS <= set(searcher.schema.names()):
            return
        warm(searcher, WARM_FACETS, _scored(searcher))
        leaves = View(searcher).leaves
        todo = [seg for _r, _off, seg in leaves if seg.folder and not tables.has_tables(seg)]
        if procs > 1 and len(todo) > 1:
            names = [seg.name for seg in todo]
            with ProcessPoolExecutor(min(procs, len(todo)), mp_context=get_context("fork")) as pool:
                list(pool.map(_save_tables, [todo[0].folder] * len(names), names))
            for seg in todo:
                seg.tables.clear()  # mapped from the new files next time
            return
        for r, _off, seg in leaves:
            if seg in todo:
                tables.save(r, seg, _tabled(searcher.schema))


def _tabled(schema) -> tuple[str, ...]:
    """The fields whose posting lists are saved as tables: every scored one, and the exact ones read whole."""
    return (*(name for name, f in schema.items() if f.scorable), *tables.EXACT)


def _save_tables(folder: str, name: str) -> None:
    """Save one segment's tables (in a pool process)."""
    ix = index.open_dir(folder)
    with ix.searcher() as searcher:
        for r, _off in searcher.reader().leaf_readers():
            if r.segment().segment_id() == name:
                tables.save(r, arrays.Store().segment(r), _tabled(searcher.schema))


def _scored(searcher) -> tuple[str, ...]:
    """The scored fields to warm that this index has (one of an older schema has fewer)."""
    return tuple(name for name in WARM_SCORED if name in searcher.schema
                 or (tables.is_any(name) and tables.parts_of(name, searcher.schema)))


class _Entry:
    """One open searcher and how many requests are using it."""

    def __init__(self, name: str, ix: index.Index) -> None:
        self.name = name
        self.ix = ix
        self.searcher = ix.searcher()
        self.users = 0
        self.retired = False
        self.listed: int | None = None  # the directory mtime its last listing found up to date
        if SCHEMA_FIELDS <= set(self.searcher.schema.names()):
            warm(self.searcher, WARM_FACETS, _scored(self.searcher), joint=tuple(SEARCH_FACETS.values()))


class SearcherCache:
    """A searcher shared by all threads, replaced when the index or its version changes.

    Every lease checks the pointer file and the index's generation (a read and a directory
    listing): a commit by this server's writer is seen by the next search. While one thread
    opens and warms the new searcher, the others keep searching with the previous one.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.opening = threading.Lock()  # only for the very first searcher
        self.entry: _Entry | None = None
        self.refreshing = False

    @contextlib.contextmanager
    def lease(self, timeout: float = 10.0, create: bool = True) -> Iterator:
        """A searcher that stays open while the caller uses it, even if a refresh happens meanwhile.

        timeout: the longest wait for the writer lock when the first index version has to be made;
        create=False raises IndexMissing instead of making one (readers of a synced server).
        """
        entry = self._acquire(timeout, create)
        try:
            yield entry.searcher
        finally:
            with self.lock:
                entry.users -= 1
                if entry.retired and entry.users == 0:
                    entry.searcher.close()

    def _acquire(self, timeout: float, create: bool) -> _Entry:
        """The current entry with one more user; refreshed first by one thread when stale."""
        with self.lock:
            entry = self.entry
            if entry is not None and (self.refreshing or self._is_fresh(entry)):
                entry.users += 1
                return entry
            if entry is not None:
                self.refreshing = True  # this thread refreshes; the others keep the old searcher
        if entry is None:
            # Nothing older to search meanwhile: the first requests wait for the first searcher.
            with self.opening:
                with self.lock:
                    if self.entry is not None:
                        self.entry.users += 1
                        return self.entry
                return self._install(self._open(None, timeout, create))
        try:
            fresh = self._open(entry, timeout, create)
        except BaseException:
            with self.lock:
                self.refreshing = False
            raise
        return self._install(fresh)

    def _is_fresh(self, entry: _Entry) -> bool:
        try:
            if current_name(self.root) != entry.name:
                return False
            # Whoosh adds a table of contents file per commit, which changes the directory's
            # mtime: the listing (thousands of files at a million documents) is skipped while it
            # stays the one seen at the last listing. That one is trusted only if the listing came
            # well after it: a change within the same clock tick would keep the same mtime.
            stamp = os.stat(os.path.join(self.root, entry.name)).st_mtime_ns
            if stamp == entry.listed:
                return True
            started = time.time_ns()
            fresh = entry.searcher.up_to_date()
            if fresh and started - stamp > STAMP_SLACK_NS:
                entry.listed = stamp
            return fresh
        except OSError:  # a version directory removed under us: open the current one
            return False

    def _open(self, old: _Entry | None, timeout: float, create: bool) -> _Entry:
        """A new searcher (opened and warmed outside the lock: warming reads columns)."""
        # A new searcher rather than searcher.refresh(): refresh() reuses the old reader's
        # segments, and whoosh-reloaded 2.7.5 then keeps segments a merge removed (stale and
        # duplicate hits); it also closes readers another thread may still be using.
        name = current_name(self.root)
        if old is not None and name == old.name:
            return _Entry(name, old.ix)
        ix = open_current(self.root, create=create, timeout=timeout)
        if ix is None:
            raise IndexMissing(f"no search index in {self.root}")
        return _Entry(current_name(self.root) or "", ix)

    def _install(self, fresh: _Entry) -> _Entry:
        with self.lock:
            old, self.entry = self.entry, fresh
            self.refreshing = False
            fresh.users += 1
            if old is not None and old is not fresh:
                old.retired = True
                if old.users == 0:
                    old.searcher.close()
        if old is not None and old.name != fresh.name:
            # A rebuild's new version: the old one's arrays are not read again (queries in
            # flight keep their own references), and its directory is deleted after the next.
            arrays.STORE.forget(os.path.join(self.root, old.name))
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
