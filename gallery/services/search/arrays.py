"""Whoosh segments read into NumPy arrays once: posting lists, field lengths, facet codes, dates.

Whoosh's matchers visit one posting at a time in Python, so a common word over 100,000 captions
costs hundreds of milliseconds once facets need every hit. Segments never change after they are
written (only their deletion sets do), so what is read from one is cached by segment id and
shared by every searcher and thread of the process.

The per-document arrays (lengths, facet codes, dates) are also saved beside the segment as .npy
files and memory-mapped: reading them from a big segment's postings takes seconds, mapping them
takes microseconds, and every worker of the server shares one copy through the page cache. They
are derived data: named like the segment's own files, so Whoosh deletes them with the segment,
and rebuilt when missing or unreadable.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
import zlib
from collections import OrderedDict
from pickle import loads
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

# Posting lists kept in memory across all segments (ids and term frequencies: 8 bytes each).
POSTINGS_BUDGET = 6_000_000
MAX_SEGMENTS = 256
EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_TF = np.zeros(0, dtype=np.float32)
# Whoosh stores a field's length per document as one byte on a logarithmic scale.
LENGTH_TABLE = np.array([byte_to_length(i) or 0 for i in range(256)], dtype=np.float32)


class Segment:
    """What has been read from one segment: field lengths, facet codes and dates."""

    def __init__(self, segid: str, size: int, folder: str = "", name: str = "") -> None:
        self.segid = segid
        self.size = size
        self.folder = folder  # the index directory ("" : nowhere to save arrays)
        self.name = name  # Whoosh's segment id, the prefix of its files ("MAIN_x3k...")
        self.lengths: dict[str, np.ndarray] = {}
        self.codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.columns: dict[str, np.ndarray] = {}
        self.global_codes: dict[str, np.ndarray] = {}
        self.doc_codes: dict[str, np.ndarray] = {}  # global_codes, per process
        self.tables: dict[str, Any] = {}  # saved posting tables by field (tables.py); None: none


class Store:
    """The process-wide cache of segment arrays, bounded by posting count and segment count."""

    def __init__(self, budget: int = POSTINGS_BUDGET) -> None:
        self.budget = budget
        self.used = 0
        self.lock = threading.Lock()
        self.segments: OrderedDict[str, Segment] = OrderedDict()
        self.postings: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = \
            OrderedDict()

    def segment(self, reader: Any) -> Segment:
        """The cache entry of a segment reader, made on first use."""
        folder, name = _folder(reader.storage()), reader.segment().segment_id()
        segid = f"{folder}:{name}"
        with self.lock:
            seg = self.segments.get(segid)
            if seg is not None:
                self.segments.move_to_end(segid)
                return seg
            seg = self.segments[segid] = Segment(segid, reader.doc_count_all(), folder, name)
            while len(self.segments) > MAX_SEGMENTS:
                old, _ = self.segments.popitem(last=False)
                self._forget_postings(old)
            return seg

    def term(self, reader: Any, seg: Segment, field: str,
             text: str) -> tuple[np.ndarray, np.ndarray]:
        """Local doc numbers (sorted) and term frequencies of one term in one segment."""
        key = (seg.segid, field, text)
        with self.lock:
            hit = self.postings.get(key)
            if hit is not None:
                self.postings.move_to_end(key)
                return hit
        found = read_postings(reader, field, text)
        with self.lock:
            if key not in self.postings:
                self.postings[key] = found
                self.used += len(found[0])
                while self.used > self.budget and len(self.postings) > 1:
                    _, (ids, _tf) = self.postings.popitem(last=False)
                    self.used -= len(ids)
        return found

    def _forget_postings(self, segid: str) -> None:
        for key in [k for k in self.postings if k[0] == segid]:
            self.used -= len(self.postings.pop(key)[0])

    def forget(self, folder: str) -> None:
        """Drop what was read from an index directory (a replaced version): its mapped files go."""
        prefix = f"{folder}:"
        with self.lock:
            for segid in [k for k in self.segments if k.startswith(prefix)]:
                del self.segments[segid]
                self._forget_postings(segid)

    def clear_postings(self) -> None:
        """Drop the cached posting lists only (the benchmark's cold runs)."""
        with self.lock:
            self.postings.clear()
            self.used = 0

    def clear(self) -> None:
        """Drop everything (tests)."""
        with self.lock:
            self.segments.clear()
            self.postings.clear()
            self.used = 0


STORE = Store()


def _folder(storage: Any) -> str:
    """The directory of a segment's index: segment ids are random, but only unique per index."""
    while storage is not None and not hasattr(storage, "folder"):
        storage = getattr(storage, "b", None)  # a compound segment overlays the index storage
    return getattr(storage, "folder", "")


def read_postings(reader: Any, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's whole posting list as arrays, deleted documents included (masked later)."""
    try:
        m = reader.postings(field, text)
    except TermNotFound:
        return EMPTY_IDS, EMPTY_TF
    if isinstance(m, FilterMatcher):  # the reader's deletion filter: deletions are masked later
        m = m.child
        m.reset()  # the filter has already stepped over deleted documents at the start
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        return _read_blocks(m)
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)


def _read_blocks(m: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """Whole blocks at a time: unpickle once, undo the delta coding with cumsum."""
    id_parts, tf_parts = [], []
    while m.is_active():
        size = m._blocklength
        raw = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
        if m._compression:
            raw = zlib.decompress(raw)
        deltas, weights, _values = loads(raw)
        id_parts.append(np.cumsum(np.array(deltas, dtype=np.int64)))
        if weights is None:
            tf_parts.append(np.ones(size, dtype=np.float32))
        elif isinstance(weights, float):
            tf_parts.append(np.full(size, weights, dtype=np.float32))
        else:
            tf_parts.append(np.array(weights, dtype=np.float32))
        m._next_block()
    if not id_parts:
        return EMPTY_IDS, EMPTY_TF
    return np.concatenate(id_parts).astype(np.int32), np.concatenate(tf_parts)


def field_lengths(reader: Any, seg: Segment, field: str) -> np.ndarray:
    """Each document's length in a text field (float32; 0 where the field is empty)."""
    found = seg.lengths.get(field)
    if found is None:
        found = seg.lengths[field] = _saved(seg, "len", field, np.float32, lambda: LENGTH_TABLE[
            _column_bytes(reader, _lenfield(field), LENGTHS_COLUMN, "u1", seg.size)])
    return found


def numeric_column(reader: Any, seg: Segment, field: str) -> np.ndarray:
    """A sortable numeric column (dates) as uint64 values, one per document."""
    found = seg.columns.get(field)
    if found is None:
        column = reader.schema[field].column_type
        found = seg.columns[field] = _saved(seg, "col", field, np.uint64, lambda: _column_bytes(
            reader, field, column, f">{column._typecode}", seg.size).astype(np.uint64))
    return found


def codes(reader: Any, seg: Segment, field: str) -> tuple[np.ndarray, list[str]]:
    """Exact-value field as (code per document, -1 for none; the values), read from its postings."""
    found = seg.codes.get(field)
    if found is None:
        found = seg.codes[field] = _load_codes(seg, field) or _save_codes(
            seg, field, *_read_codes(reader, seg, field))
    return found


class Vocabulary:
    """Process-wide numbers for every value of an exact-value field, shared by all segments.

    Facet counts then add one array per segment instead of merging a dict per segment: a
    gallery facet over 40,000 galleries in 20 segments was 800,000 dict updates a search.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.numbers: dict[str, dict[str, int]] = {}
        self.values: dict[str, list[str]] = {}

    def codes_of(self, seg: Segment, field: str, values: list[str]) -> np.ndarray:
        """A segment's local value codes mapped to global ones (made once per segment)."""
        found = seg.global_codes.get(field)
        if found is None:
            with self.lock:
                numbers = self.numbers.setdefault(field, {})
                names = self.values.setdefault(field, [])
                out = np.empty(len(values), dtype=np.int64)
                for i, value in enumerate(values):
                    code = numbers.get(value)
                    if code is None:
                        code = numbers[value] = len(names)
                        names.append(value)
                    out[i] = code
            found = seg.global_codes[field] = out
        return found

    def value(self, field: str, code: int) -> str:
        """The value behind a global code."""
        return self.values[field][code]

    def code(self, field: str, value: str) -> int | None:
        """The global code of a value; None when no segment read so far holds it."""
        return self.numbers.get(field, {}).get(value)


VOCABULARY = Vocabulary()


def global_codes(reader: Any, seg: Segment, field: str) -> np.ndarray:
    """Each document's process-wide value code of an exact-value field plus one (0: none), made once per segment.

    Plus one, so counting needs no pass to drop the documents without a value.
    """
    found = seg.doc_codes.get(field)
    if found is None:
        local, values = codes(reader, seg, field)
        mapped = np.concatenate([[0], VOCABULARY.codes_of(seg, field, values) + 1])
        # Two bytes where the numbers fit: counting gathers half the memory.
        small = not len(mapped) or int(mapped.max()) < np.iinfo(np.uint16).max
        found = seg.doc_codes[field] = mapped.astype(np.uint16 if small else np.int32)[local + 1]
    return found


def _read_codes(reader: Any, seg: Segment, field: str) -> tuple[np.ndarray, list[str]]:
    out = np.full(seg.size, -1, dtype=np.int32)
    values: list[str] = []
    for term in reader.lexicon(field):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        ids, _tf = read_postings(reader, field, text)
        out[ids] = len(values)
        values.append(text)
    return out, values


# Saved arrays

def _path(seg: Segment, kind: str, field: str, ext: str) -> str | None:
    """Where an array of a segment is saved: Whoosh's segment file pattern, so it goes with it."""
    if not seg.folder or not seg.name:
        return None
    return os.path.join(seg.folder, f"{seg.name}.ga_{kind}{'_' + field if field else ''}.{ext}")


def _saved(seg: Segment, kind: str, field: str, dtype, compute) -> np.ndarray:
    """The saved array of a segment, memory-mapped; computed and saved when missing or unreadable."""
    path = _path(seg, kind, field, "npy")
    if path is not None:
        found = _load(path, dtype, seg.size)
        if found is not None:
            return found
    found = np.ascontiguousarray(compute(), dtype=dtype)
    if path is not None:
        _write(path, lambda fh: np.save(fh, found, allow_pickle=False))
    return found


def _load(path: str, dtype, size: int) -> np.ndarray | None:
    try:
        found = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):  # missing, truncated or not an array: rebuild it
        return None
    if found.dtype != dtype or found.shape != (size,):
        return None
    # A plain array over the same mapping: np.memmap's indexing wraps every result (a tenth of a
    # search's time at a million documents).
    return np.asarray(found)


def _load_codes(seg: Segment, field: str) -> tuple[np.ndarray, list[str]] | None:
    path = _path(seg, "codes", field, "npy")
    if path is None:
        return None
    found = _load(path, np.dtype(np.int32), seg.size)
    try:
        with open(_path(seg, "values", field, "json"), encoding="utf-8") as fh:
            saved = json.load(fh)
    except (OSError, ValueError):
        return None
    # The values say which segment and size they belong to: a file from elsewhere is not used.
    if not isinstance(saved, dict) or saved.get("segment") != seg.name \
            or saved.get("size") != seg.size:
        return None
    values = saved.get("values")
    if found is None or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    if len(found) and (int(found.max()) >= len(values) or int(found.min()) < -1):
        return None
    return found, values


def _save_codes(seg: Segment, field: str, out: np.ndarray,
                values: list[str]) -> tuple[np.ndarray, list[str]]:
    path = _path(seg, "codes", field, "npy")
    if path is not None:
        # The values first: codes without their values are never read (see _load_codes).
        if _write(_path(seg, "values", field, "json"),
                  lambda fh: fh.write(json.dumps({"segment": seg.name, "size": seg.size, "values": values},
                                             ensure_ascii=False).encode("utf-8"))):
            _write(path, lambda fh: np.save(fh, out, allow_pickle=False))
    return out, values


def _write(path: str, dump) -> bool:
    """Write a file whole or not at all (temp file, rename); False when the folder is read-only."""
    # A leading dot: Whoosh's clean-up skips it, and so does the segment pattern.
    tmp = os.path.join(os.path.dirname(path), f".ga-{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            dump(fh)
        os.replace(tmp, path)
        return True
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            return False
        raise


def _column_bytes(reader: Any, name: str, column: Any, dtype: str, size: int) -> np.ndarray:
    """A fixed-width column read in one call; documents past its end get the column default."""
    perdoc = reader._perdoc
    if not perdoc.has_column(name):
        return np.zeros(size, dtype=dtype)
    creader = perdoc.column_reader(name, column)
    count = min(creader._count, size)
    raw = creader._dbfile.get(creader._basepos, count * creader._fixedlen)
    values = np.frombuffer(raw, dtype=dtype)
    if count < size:
        pad = np.full(size - count, creader._default or 0, dtype=dtype)
        values = np.concatenate([values, pad])
    return values
