"""Posting lists saved beside each segment as arrays, and the "any" field an unqualified word is looked up in.

Reading a term from Whoosh's files unpickles one block per 1,024 postings, and at a million
assets a two-word query over ten text fields read about two million postings. So when a segment
has been written (store.save_arrays), every posting list of its text fields is saved as four
arrays in one file per segment (`.ga_tables.bin`, described by `.ga_tables.json`, written
last), memory-mapped by every worker and shared through the page cache: term keys (sorted),
where each term's postings start, doc numbers and term frequencies. A term is then a binary
search and two slices, nothing is kept per worker, and a segment costs one file descriptor.

The "any" field of a language ("any", "any_fr", "any_es") holds, per word and document, the sum
of the word's frequencies in that language's text fields weighted by their boosts (title 3,
caption 2, keywords 1.5, the rest 1), with the document's weighted length beside it: an
unqualified word is one posting list scored once (BM25F), not ten scored and summed. A segment
without saved arrays (an older index, a read-only folder) merges the fields' postings per term.

Term keys are the first 8 bytes of the term's BLAKE2b hash: two terms of a field sharing one is
detected when saving (that field then keeps being read from Whoosh's files); a query term that
is not in the segment matching another's key has a chance of about 1 in 10^14.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import json
from typing import Any

import numpy as np

import gallery.services.search.arrays as arrays
from gallery.services.search.analysis import LANGUAGES
from gallery.services.search.schema import any_field, lang_fields

PARTS = (("keys", np.dtype("<u8")), ("starts", np.dtype("<i8")), ("docs", np.dtype("<i4")),
         ("tfs", np.dtype("<f4")))
LEXICON_PARTS = (("offsets", np.dtype("<i8")), ("blob", np.dtype("u1")))
PACK = "pack"  # the key of a segment's mapped tables file in Segment.tables
# Exact-value fields read whole by most queries (the access mask, stop words' languages).
EXACT = ("lang", "visible", "consent", "trashed")


def term_key(text: str) -> int:
    """A term's 64-bit key."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def term_keys(texts: list[str]) -> np.ndarray:
    """The keys of several terms, as one array."""
    return np.fromiter((term_key(t) for t in texts), dtype=np.uint64, count=len(texts))


@functools.lru_cache(maxsize=100_000)
def _lookup_key(text: str) -> np.uint64:
    # A query looks a term up in every segment (twenty at a million documents): hashed once.
    return np.uint64(term_key(text))


class Table:
    """One field's posting lists in one segment: keys, starts (one more than keys), docs, tfs."""

    __slots__ = ("keys", "starts", "docs", "tfs")

    def __init__(self, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray,
                 tfs: np.ndarray) -> None:
        self.keys, self.starts, self.docs, self.tfs = keys, starts, docs, tfs

    def get(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Local doc numbers (sorted) and frequencies of a term; empty when the segment lacks it."""
        key = _lookup_key(text)
        keys = self.keys
        i = int(keys.searchsorted(key))
        if i < len(keys) and keys[i] == key:
            start, end = int(self.starts[i]), int(self.starts[i + 1])
            return self.docs[start:end], self.tfs[start:end]
        return arrays.EMPTY_IDS, arrays.EMPTY_TF

    def totals(self, keys: np.ndarray) -> np.ndarray:
        """Each key's total frequency in this segment (0 where the segment lacks it), in one lookup."""
        out = np.zeros(len(keys), dtype=np.float64)
        if not len(self.keys):
            return out
        at = np.minimum(self.keys.searchsorted(keys), len(self.keys) - 1)
        for j in np.flatnonzero(self.keys[at] == keys).tolist():
            start, end = int(self.starts[at[j]]), int(self.starts[at[j] + 1])
            out[j] = self.tfs[start:end].sum(dtype=np.float64)
        return out

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The four arrays, in the order of PARTS."""
        return self.keys, self.starts, self.docs, self.tfs


def is_any(fieldname: str) -> bool:
    """Whether a field name is a language's "any" field (no Whoosh field of that name exists)."""
    return fieldname in ANY_FIELDS


ANY_FIELDS = {any_field(lang): lang for lang in LANGUAGES}


def parts_of(fieldname: str, schema: Any) -> tuple[tuple[str, float], ...]:
    """(field, boost) of the text fields an "any" field sums, those this index has."""
    return tuple((name, boost) for name, boost in lang_fields(ANY_FIELDS[fieldname])
                 if name in schema)


# Reading

def _pack(seg: arrays.Segment) -> dict | None:
    """A segment's saved tables file, mapped once: {"map": bytes, "fields": ..., "lexicons": ...}."""
    found = seg.tables.get(PACK, False)
    if found is False:
        found = seg.tables[PACK] = _load_pack(seg)
    return found


def has_tables(seg: arrays.Segment) -> bool:
    """Whether a segment's tables file is saved and readable."""
    return _pack(seg) is not None


def saved(seg: arrays.Segment, fieldname: str) -> Table | None:
    """A field's saved table in a segment; None when it has none (read Whoosh's files)."""
    found = seg.tables.get(fieldname, False)
    if found is False:
        pack = _pack(seg)
        found = seg.tables[fieldname] = (Table(*_views(pack, pack["fields"][fieldname], PARTS))
                                         if pack is not None and fieldname in pack["fields"] else None)
    return found


def postings(store: arrays.Store, reader: Any, seg: arrays.Segment, fieldname: str,
             text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's local doc numbers and frequencies in one segment, from the fastest source there is."""
    table = saved(seg, fieldname)
    if table is not None:
        return table.get(text)
    if is_any(fieldname):
        return merged([(postings(store, reader, seg, name, text), boost)
                       for name, boost in parts_of(fieldname, reader.schema)])
    return store.term(reader, seg, fieldname, text)


def merged(parts: list[tuple[tuple[np.ndarray, np.ndarray], float]]) -> tuple[np.ndarray, np.ndarray]:
    """Postings of several fields summed per document, each field's frequency times its boost."""
    parts = [(p, boost) for p, boost in parts if len(p[0])]
    if not parts:
        return arrays.EMPTY_IDS, arrays.EMPTY_TF
    ids = np.concatenate([p[0] for p, _b in parts])
    weights = np.concatenate([p[1] * np.float32(boost) for p, boost in parts])
    docs, where = np.unique(ids, return_inverse=True)
    tfs = np.zeros(len(docs), dtype=np.float32)
    np.add.at(tfs, where, weights)
    return docs.astype(np.int32), tfs


def any_lengths(reader: Any, seg: arrays.Segment, fieldname: str) -> np.ndarray:
    """Each document's weighted length in an "any" field: its fields' lengths times their boosts."""
    found = seg.lengths.get(fieldname)
    if found is None:
        def compute() -> np.ndarray:
            total = np.zeros(seg.size, dtype=np.float32)
            for name, boost in parts_of(fieldname, reader.schema):
                total += np.float32(boost) * arrays.field_lengths(reader, seg, name)
            return total
        found = seg.lengths[fieldname] = arrays._saved(seg, "len", fieldname, np.float32, compute)
    return found


class Lexicon:
    """A field's terms in one segment, sorted, as UTF-8 bytes laid end to end with their offsets."""

    def __init__(self, offsets: np.ndarray, blob: np.ndarray) -> None:
        self.offsets, self.blob = offsets, blob

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[int(self.offsets[i]):int(self.offsets[i + 1])].tobytes().decode("utf-8")

    def expand(self, prefix: str, limit: int) -> list[str]:
        """Up to `limit` terms starting with a prefix, in order."""
        out = []
        i = bisect.bisect_left(self, prefix)
        while i < len(self) and len(out) < limit:
            term = self[i]
            if not term.startswith(prefix):
                break
            out.append(term)
            i += 1
        return out


def expand(reader: Any, seg: arrays.Segment, fieldname: str, prefix: str, limit: int) -> list[str]:
    """Up to `limit` terms of a field in one segment starting with a prefix, in order (its saved
    lexicon, else Whoosh's: an "any" field's are its fields')."""
    pack = _pack(seg)
    if pack is not None and fieldname in pack["lexicons"]:
        return Lexicon(*_views(pack, pack["lexicons"][fieldname], LEXICON_PARTS)).expand(prefix, limit)
    terms: set[str] = set()
    for name in ([n for n, _b in parts_of(fieldname, reader.schema)] if is_any(fieldname)
                 else [fieldname] if fieldname in reader.schema else []):
        for term in reader.expand_prefix(name, prefix):
            terms.add(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(terms) >= limit:
                break
    return sorted(terms)[:limit]


def _views(pack: dict, where: dict, parts) -> list[np.ndarray]:
    """Arrays over the mapped file, at the offsets its description gives."""
    data = pack["map"]
    return [data[where[kind][0]:where[kind][0] + where[kind][1] * dtype.itemsize].view(dtype)
            for kind, dtype in parts]


def _load_pack(seg: arrays.Segment) -> dict | None:
    described, path = arrays._path(seg, "tables", "", "json"), arrays._path(seg, "tables", "", "bin")
    if described is None:
        return None
    try:
        with open(described, encoding="utf-8") as fh:
            info = json.load(fh)
        data = np.asarray(np.memmap(path, dtype=np.uint8, mode="r"))
    except (OSError, ValueError):  # missing, damaged or empty: read Whoosh's files
        return None
    # The description says which segment and file it belongs to: a file from elsewhere is not used.
    if not isinstance(info, dict) or info.get("segment") != seg.name or info.get("size") != seg.size \
            or info.get("bytes") != len(data):
        return None
    try:
        for group, parts in (("fields", PARTS), ("lexicons", LEXICON_PARTS)):
            for where in info[group].values():
                for kind, dtype in parts:
                    offset, count = where[kind]
                    if offset % 8 or offset < 0 or count < 0 or offset + count * dtype.itemsize > len(data):
                        return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return {"map": data, "fields": info["fields"], "lexicons": info["lexicons"]}


# Saving

def save(reader: Any, seg: arrays.Segment, fields: tuple[str, ...]) -> None:
    """Save a segment's tables (each field's, and each language's "any" field) if it has none."""
    if not seg.folder or _pack(seg) is not None:
        return
    tables: dict[str, Table] = {}
    for name in fields:
        if name in reader.schema:
            table = read_table(reader, name)
            if table is not None:
                tables[name] = table
    # Prefixes are expanded on words, never on word pairs.
    lexicons = {name: sorted(t.decode("utf-8") if isinstance(t, bytes) else t
                             for t in reader.lexicon(name))
                for name in tables if not name.startswith("shingle") and name not in EXACT}
    for fieldname in ANY_FIELDS:
        parts = parts_of(fieldname, reader.schema)
        if parts and all(name in tables for name, _boost in parts):
            tables[fieldname] = combine([(tables[name], boost) for name, boost in parts])
            lexicons[fieldname] = sorted({t for name, _boost in parts for t in lexicons[name]})
        any_lengths(reader, seg, fieldname)
    if _write_pack(seg, tables, lexicons):
        seg.tables.clear()  # mapped from the file next time


def read_table(reader: Any, fieldname: str) -> Table | None:
    """Every posting list of a field in one segment, read from Whoosh's files (None: a key collision)."""
    texts = [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)]
    keys = term_keys(texts)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if len(keys) > 1 and bool((keys[1:] == keys[:-1]).any()):
        return None
    lists = [arrays.read_postings(reader, fieldname, texts[i]) for i in order]
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids, _tf in lists], out=starts[1:])
    docs = np.concatenate([ids for ids, _tf in lists]) if lists else arrays.EMPTY_IDS
    tfs = np.concatenate([tf for _ids, tf in lists]) if lists else arrays.EMPTY_TF
    return Table(keys, starts, docs.astype(np.int32), tfs.astype(np.float32))


def combine(tables: list[tuple[Table, float]]) -> Table:
    """One table summing several fields' tables per term and document, frequencies times boosts."""
    keys = np.concatenate([np.repeat(t.keys, np.diff(t.starts)) for t, _b in tables])
    docs = np.concatenate([t.docs for t, _b in tables])
    weights = np.concatenate([t.tfs * np.float32(b) for t, b in tables])
    order = np.lexsort((docs, keys))
    keys, docs, weights = keys[order], docs[order], weights[order]
    if not len(keys):
        return Table(keys, np.zeros(1, dtype=np.int64), docs, weights)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
    at = np.flatnonzero(first)
    keys, docs, weights = keys[at], docs[at], np.add.reduceat(weights, at)
    new_term = np.ones(len(keys), dtype=bool)
    new_term[1:] = keys[1:] != keys[:-1]
    starts = np.append(np.flatnonzero(new_term), len(keys)).astype(np.int64)
    return Table(keys[new_term], starts, docs.astype(np.int32), weights.astype(np.float32))


def _write_pack(seg: arrays.Segment, tables: dict[str, Table],
                lexicons: dict[str, list[str]]) -> bool:
    """Write the tables file whole, then its description: a file without one is never read."""
    chunks: list[np.ndarray] = []
    info: dict[str, Any] = {"segment": seg.name, "size": seg.size, "fields": {}, "lexicons": {}}
    at = 0

    def place(kind_arrays) -> dict:
        nonlocal at
        where = {}
        for kind, dtype, data in kind_arrays:
            data = np.ascontiguousarray(data, dtype=dtype)
            where[kind] = [at, len(data)]
            pad = -data.nbytes % 8  # every array starts on 8 bytes
            chunks.append(data.view(np.uint8))
            chunks.append(np.zeros(pad, dtype=np.uint8))
            at += data.nbytes + pad
        return where

    for name, table in tables.items():
        info["fields"][name] = place((kind, dtype, data) for (kind, dtype), data
                                     in zip(PARTS, table.arrays()))
    for name, terms in lexicons.items():
        encoded = [t.encode("utf-8") for t in terms]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        info["lexicons"][name] = place((kind, dtype, data) for (kind, dtype), data
                                       in zip(LEXICON_PARTS, (offsets, blob)))
    info["bytes"] = at

    def dump(fh) -> None:
        for chunk in chunks:
            fh.write(chunk.tobytes())

    return arrays._write(arrays._path(seg, "tables", "", "bin"), dump) and arrays._write(
        arrays._path(seg, "tables", "", "json"),
        lambda fh: fh.write(json.dumps(info).encode("utf-8")))
