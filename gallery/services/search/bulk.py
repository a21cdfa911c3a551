"""Bulk segments without Whoosh's posting pool, built in forked processes (the rebuild's path).

Whoosh's SegmentWriter puts every posting in a pool as a tuple, sorts millions of them at
commit and hands them one by one to the codec: three quarters of a build's time. Here a
segment's postings are kept per field and term as they come (documents arrive in order, so
each list is already sorted), and each term's list is written in whole blocks: the same bytes
Whoosh writes (tests/test_search_bulk.py compares every term, posting, length and stored
field). It relies on whoosh-reloaded 2.7's codec internals; setup.cfg pins below 2.8.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import struct
import traceback
from array import array
from collections import Counter, deque
from itertools import chain, islice
from operator import methodcaller, sub
from typing import Callable, Iterable, Sequence

from whoosh.codec.whoosh3 import W3PostingsWriter
from whoosh.fields import UnknownFieldError
from whoosh.writing import SegmentWriter

from gallery.services.search.analysis import Counts, FoldingAnalyzer

MEMO_VALUES = 4096  # distinct values remembered per field
_consume = deque(maxlen=0).extend  # runs an iterator to its end in C


class BlockPostingsWriter(W3PostingsWriter):
    """Whoosh 3's postings writer, given a term's whole posting list at once."""

    def write_list(self, ids: array, weights: list[float] | array, values: bytes | list,
                   value_size: int | None, maxweight: Callable[[int, int], float]) -> None:
        """Write one term's postings (between start_postings and finish_postings).

        Blocks are cut where add_posting cuts them: a full block is written as soon as the next
        posting arrives, and the last one is left for finish_postings.
        """
        limit = self._blocklimit
        n = len(ids)
        for start in range(0, n, limit):
            end = min(n, start + limit)
            self._new_block()
            self._ids = ids[start:end]
            self._weights = array("f", weights[start:end])
            if value_size is None:
                self._values = [v for v in values[start:end] if v]
            elif value_size:
                self._values = [values[start * value_size:end * value_size]]
            self._maxweight = maxweight(start, end)
            if end < n:
                self._write_block()

    def _mini_ids(self):
        # Whoosh's delta_encode, without a generator step per posting.
        ids = self._ids
        if self._byteids:
            return tuple(ids)
        return tuple(map(sub, ids, chain((0,), ids)))

    def _mini_weights(self):
        weights = self._weights
        n = len(weights)
        if weights.count(1.0) == n:
            return None
        if weights.count(weights[0]) == n:
            return weights[0]
        return tuple(weights)


class BulkWriter(SegmentWriter):
    """A SegmentWriter that keeps postings per term instead of pooling and sorting tuples.

    Only add_document and commit: no merging of other segments into it, no boosts or custom
    stored values, no spelling or vector fields (the asset schema has none), and the codec must
    not keep per-block length statistics (store.codec()).
    """

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        if self.codec.length_stats:
            raise ValueError("BulkWriter needs a codec without length statistics")
        self._plans: dict[str, tuple] = {}
        self._postings: dict[str, dict] = {}
        self._memo: dict[str, dict] = {}

    def _plan(self, name: str) -> tuple:
        """How a field is indexed: (field, counting analyzer or None, its terms, field boost)."""
        if name.startswith("_"):
            raise ValueError(f"BulkWriter takes no boosts or custom stored values: {name}")
        if name not in self.schema:
            raise UnknownFieldError(f"No field named {name!r} in {self.schema}")
        field = self.schema[name]
        if field.separate_spelling() or field.vector:
            raise ValueError(f"BulkWriter cannot index spelling or vectors: {name}")
        counted = (field.analyzer if field.indexed and isinstance(field.format, Counts)
                   and isinstance(getattr(field, "analyzer", None), FoldingAnalyzer) else None)
        # A text field's terms: ({term: docnums}, {term: counts}); another's {term bytes: postings}.
        terms = ({}, {}) if counted is not None else {}
        plan = self._plans[name] = (field, counted, self._postings.setdefault(name, terms),
                                    field.format.field_boost if field.indexed else 1.0)
        return plan

    def _index(self, name: str, field, value) -> list:
        """field.index(value), remembered: ids, facets, dates and flags repeat across documents."""
        if field.unique or not isinstance(value, (str, dt.datetime)):
            return list(field.index(value))
        memo = self._memo.setdefault(name, {})
        found = memo.get(value)
        if found is None:
            if len(memo) >= MEMO_VALUES:
                memo.clear()
            found = memo[value] = list(field.index(value))
        return found

    def add_reader(self, reader) -> None:
        raise NotImplementedError("BulkWriter builds new segments only (commit with merge=False)")

    def add_document(self, **fields) -> None:
        """Index one document: its postings go straight to their terms' lists."""
        self._check_state()
        pdw = self.perdocwriter
        docnum = self.docnum
        plans = self._plans
        pdw.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                field, counted, terms, _boost = plans.get(name) or self._plan(name)
                length = 0
                if counted is not None:
                    if not isinstance(value, str):
                        raise ValueError(f"BulkWriter indexes text from strings: {name}={value!r}")
                    # Counts.word_values' terms and counts, appended to their terms' lists
                    # by C loops (map), without a tuple or a line of Python per posting.
                    words = counted.terms(value) if value else ()
                    if words:
                        ids_of, counts_of = terms
                        counts = Counter(words)
                        try:
                            id_lists = list(map(ids_of.__getitem__, counts))
                        except KeyError:
                            for term in counts:
                                if term not in ids_of:
                                    ids_of[term], counts_of[term] = array("I"), array("I")
                            id_lists = list(map(ids_of.__getitem__, counts))
                        _consume(map(methodcaller("append", docnum), id_lists))
                        _consume(map(array.append, map(counts_of.__getitem__, counts),
                                     counts.values()))
                        if field.scorable:
                            length = len(words)
                elif field.indexed:
                    for tbytes, freq, weight, vbytes in self._index(name, field, value):
                        entry = terms.get(tbytes)
                        if entry is None:
                            entry = terms[tbytes] = (array("I"), [], [])
                        entry[0].append(docnum)
                        entry[1].append(weight)
                        entry[2].append(vbytes)
                        if field.scorable:
                            length += freq
                if length or field.stored:  # else add_field does nothing
                    pdw.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    pdw.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            pdw.cancel_doc()
            raise
        pdw.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write every field's terms in order, each term's postings in whole blocks."""
        self.perdocwriter.close()
        fw = self.fieldwriter
        codec = self.codec
        for name in sorted(self._postings):
            terms = self._postings[name]
            field, counted, _terms, boost = self._plans[name]
            if not (terms[0] if counted is not None else terms):
                continue
            fw.start_field(name, field)
            pw = fw._postwriter = BlockPostingsWriter(
                fw._postfile, codec._blocklimit, compression=codec._compression,
                inlinelimit=codec._inlinelimit)
            if counted is not None:
                # str order is the order of the UTF-8 bytes Whoosh sorts by.
                ids_of, counts_of = terms
                for term in sorted(ids_of):
                    ids, counts = ids_of[term], counts_of[term]
                    fw.start_term(term.encode("utf-8"))
                    pw.write_list(ids, array("f", counts) if boost == 1.0 else [n * boost for n in counts],
                                  struct.pack(f">{len(counts)}I", *counts), 4,
                                  lambda s, e, c=counts, b=boost: max(c[s:e]) * b)
                    fw.finish_term()
            else:
                size = field.format.fixed_value_size()
                for tbytes in sorted(terms):
                    ids, weights, values = terms[tbytes]
                    fw.start_term(tbytes)
                    pw.write_list(ids, weights, b"".join(values) if size else values, size,
                                  lambda s, e, w=weights: max(0, max(w[s:e])))
                    fw.finish_term()
            fw.finish_field()
        self._postings.clear()
        fw.close()


def build_segment(ix, docs: Iterable[dict], writer_kwargs: dict):
    """Index documents into one new segment of `ix`; its Segment (None: no documents).

    The caller holds the index's write lock and commits the segment into the table of contents.
    """
    writer = BulkWriter(ix, _lk=False, compound=False, **writer_kwargs)
    try:
        for doc in docs:
            writer.add_document(**doc)
        if not writer._added:
            writer._close_segment()
            return None
        return writer._finalize_segment()
    except BaseException:
        writer._close_segment()
        raise


def _documents_of(part: Sequence[dict] | Callable[[], Iterable[dict]]) -> Iterable[dict]:
    """A part's documents: the list itself, or what its function makes."""
    return part() if callable(part) else part


def _child(send, ix, docs: Sequence[dict] | Callable[[], Iterable[dict]], writer_kwargs: dict,
           forked: Callable[[], None] | None) -> None:
    try:
        if forked is not None:
            forked()
        send.send(("ok", build_segment(ix, _documents_of(docs), writer_kwargs)))
    except BaseException:
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()


def write_parts(ix, parts: Iterable[Sequence[dict] | Callable[[], Iterable[dict]]], procs: int,
                writer_kwargs: dict, lock_writer: SegmentWriter,
                forked: Callable[[], None] | None = None) -> int:
    """A segment from each part's documents, each in a forked process, at most `procs` at a time
    (one part, or one process: here); committed once, in the parts' order, after the segments
    already in the index. Returns the documents indexed; raises, committing nothing, if any fails.

    A part is a list of documents, or a function that makes them, called in its process: then
    no process holds documents another made (a forked child keeps its own copy of every page the
    parent writes to afterwards, so documents the parent made while children indexed ended up in
    every child too). `parts` is read lazily: the next part is made while the others are indexed.
    `forked` runs first in each child (an engine's connections are the parent's).
    lock_writer is a plain writer of `ix`: it holds the index lock and commits the table of
    contents (no merge).
    """
    segments: dict[int, object] = {}
    running: dict = {}
    todo = enumerate(parts)
    try:
        peek = list(islice(todo, 2))
        here = procs <= 1 or len(peek) <= 1  # starting a process costs more than it saves
        todo = chain(peek, todo)
        del peek  # a list part is freed once it is indexed
        if here:
            for i, part in todo:
                segments[i] = build_segment(ix, _documents_of(part), writer_kwargs)
        else:
            ctx = multiprocessing.get_context("fork")
            for i, part in todo:
                while len(running) >= procs:
                    _collect(running, segments)
                receive, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(send, ix, part, writer_kwargs, forked),
                                   daemon=True)
                proc.start()
                send.close()
                running[receive] = (i, proc)
                del part
            while running:
                _collect(running, segments)
        built = [segments[i] for i in sorted(segments) if segments[i] is not None]
        final = lock_writer._merge_segments(None, False, False) + built
        lock_writer._close_segment()
        lock_writer._commit_toc(final)
        lock_writer._finish()
    except BaseException:
        for _receive, (_i, proc) in running.items():
            if proc.is_alive():
                proc.terminate()
            proc.join()
        lock_writer.cancel()
        raise
    return sum(segment.doc_count_all() for segment in built)


def _collect(running: dict, segments: dict) -> None:
    """Wait for one or more of the running processes; their segments go into `segments`."""
    for receive in multiprocessing.connection.wait(list(running)):
        i, proc = running.pop(receive)
        try:
            status, value = receive.recv()
        except EOFError:
            status, value = "error", "an indexing process died"
        proc.join()
        if status == "error":
            raise RuntimeError(f"indexing process failed:\n{value}")
        segments[i] = value
