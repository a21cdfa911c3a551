"""Running a parsed Whoosh query as array operations: Boolean logic, BM25F, facets, sort, page.

The index, its analysis and its query objects are Whoosh's; only the evaluation is done here,
over posting lists read into NumPy arrays (see arrays.py), so its cost grows with the number
of distinct terms in a query rather than with the number of documents they match.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq

import gallery.services.search.arrays as arrays

K1, B = 1.2, 0.75  # BM25 defaults, as Whoosh's BM25F uses them
PREFIX_TERMS = 200  # a prefix like "a*" must not turn into thousands of terms


@dataclass
class Outcome:
    """Total hits, the global doc numbers of one page in order, facet counts by facet name."""

    total: int
    docnums: list[int]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)


class View:
    """One searcher's segments laid end to end: a global doc number is offset + local number."""

    def __init__(self, searcher: Any, store: arrays.Store | None = None) -> None:
        self.searcher = searcher
        self.store = store or arrays.STORE
        reader = searcher.reader()
        # An index with no document yet has one empty reader and no segment: nothing to lay out.
        self.leaves = [(r, off, self.store.segment(r)) for r, off in reader.leaf_readers()
                       if r.doc_count_all()]
        self.size = sum(seg.size for _r, _o, seg in self.leaves)
        self.starts = np.array([off for _r, off, _seg in self.leaves], dtype=np.int64)
        self._idf: dict[tuple[str, str], float] = {}

    # Reading

    def term_parts(self, fieldname: str, text: str) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(leaf index, local doc numbers, term frequencies) of a term in each segment holding it."""
        parts = []
        for i, (r, _off, seg) in enumerate(self.leaves):
            ids, tfs = self.store.term(r, seg, fieldname, text)
            if len(ids):
                parts.append((i, ids, tfs))
        return parts

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global doc numbers and term frequencies of a term over all segments."""
        parts = self.term_parts(fieldname, text)
        if not parts:
            return arrays.EMPTY_IDS, arrays.EMPTY_TF
        return (np.concatenate([ids + self.leaves[i][1] for i, ids, _tf in parts]),
                np.concatenate([tfs for _i, _ids, tfs in parts]))

    def split(self, docs: np.ndarray):
        """(leaf, its offset, the local numbers) of sorted global doc numbers, segment by segment.

        Per-document arrays stay per segment (memory-mapped, shared): a query gathers the
        documents it needs from each instead of joining whole columns.
        """
        bounds = np.searchsorted(docs, self.starts)
        for i, (r, off, seg) in enumerate(self.leaves):
            end = bounds[i + 1] if i + 1 < len(bounds) else len(docs)
            if end > bounds[i]:
                yield (r, seg), off, docs[bounds[i]:end] - off

    def gather(self, read, fieldname: str, docs: np.ndarray, dtype) -> np.ndarray:
        """One per-document column's values at sorted global doc numbers."""
        parts = [read(r, seg, fieldname)[local] for (r, seg), _off, local in self.split(docs)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def live(self) -> np.ndarray | None:
        """True for documents not deleted; None when none is (kept on the searcher: its
        segments' deletions are fixed when it opens)."""
        found = getattr(self.searcher, "_gallery_live", False)
        if found is not False:
            return found
        out = None
        for r, off, _seg in self.leaves:
            if r.has_deletions():
                out = np.ones(self.size, dtype=bool) if out is None else out
                gone = np.fromiter(r.deleted_docs_set, dtype=np.int64)
                out[gone + off] = False
        self.searcher._gallery_live = out
        return out

    def idf(self, fieldname: str, text: str, df: int) -> float:
        """Whoosh's inverse document frequency, so scores read like Whoosh's."""
        key = (fieldname, text)
        if key not in self._idf:
            self._idf[key] = math.log(self.size / (df + 1)) + 1.0
        return self._idf[key]

    # Evaluating

    def evaluate(self, q: wq.Query, scored: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(matching mask, score per document or None) of a query tree."""
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost, scored)
        if isinstance(q, wq.Or):
            return self._combine(q.subqueries, scored, np.logical_or)
        if isinstance(q, wq.And):
            return self._combine(q.subqueries, scored, np.logical_and)
        if isinstance(q, wq.AndNot):
            mask, score = self.evaluate(q.a, scored)
            neg, _ = self.evaluate(q.b, False)
            return mask & ~neg, score
        if isinstance(q, wq.Every):
            return np.ones(self.size, dtype=bool), None
        if isinstance(q, wq.Prefix):
            return self._prefix(q, scored)
        if isinstance(q, wq.DateRange):
            return self._date_range(q), None
        if isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, dtype=bool), None
        raise TypeError(f"search: no array evaluation for {type(q).__name__}")

    def _term(self, fieldname: str, text: str, boost: float, scored: bool):
        mask = np.zeros(self.size, dtype=bool)
        return mask, self._term_into(fieldname, text, boost, scored, mask, None, np.add)

    def _term_into(self, fieldname: str, text: str, boost: float, scored: bool, mask: np.ndarray,
                   score: np.ndarray | None, fold) -> np.ndarray | None:
        """Mark a term's documents in `mask` and fold its scores into `score` (made when None).

        Writing into the caller's arrays touches only the term's postings: an Or over ten fields
        no longer makes, adds and drops ten arrays the size of the index.
        """
        if fieldname not in self.searcher.schema:  # an index built with an older schema
            return score
        parts = self.term_parts(fieldname, text)
        for i, ids, _tfs in parts:
            mask[ids + self.leaves[i][1]] = True
        if not scored or not parts or not self.searcher.schema[fieldname].scorable:
            return score
        avg = self.searcher.avg_field_length(fieldname) or 1.0
        weight = self.idf(fieldname, text, sum(len(ids) for _i, ids, _tf in parts)) * boost
        if score is None:
            score = np.zeros(self.size, dtype=np.float32)
        for i, ids, tfs in parts:
            r, off, seg = self.leaves[i]
            lengths = arrays.field_lengths(r, seg, fieldname)[ids]
            docs = ids + off  # a document is once in a term's postings: no repeated index
            score[docs] = fold(score[docs], weight * tfs * (K1 + 1)
                               / (tfs + K1 * ((1 - B) + B * lengths / avg)))
        return score

    def _combine(self, subs, scored: bool, op):
        if op is np.logical_or and subs:
            return self._or(subs, scored)
        mask, score = None, None
        for sub in subs:
            m, s = self.evaluate(sub, scored)
            mask = m if mask is None else op(mask, m)
            if s is not None:
                score = s if score is None else score + s
        if mask is None:  # an empty And matches everything, an empty Or nothing, as in Whoosh
            mask = np.full(self.size, op is np.logical_and, dtype=bool)
        if score is not None and op is np.logical_and:
            score[~mask] = 0  # a part that matched alone must not lift a parent Or
        return mask, score

    def _or(self, subs, scored: bool):
        """An Or summed into one mask and one score array (a word over every text field)."""
        mask, score = np.zeros(self.size, dtype=bool), None
        for sub in subs:
            if isinstance(sub, wq.Term):
                score = self._term_into(sub.fieldname, sub.text, sub.boost, scored, mask, score,
                                        np.add)
                continue
            m, s = self.evaluate(sub, scored)
            mask |= m
            if s is not None:
                if score is None:
                    score = s
                else:
                    score += s
        return mask, score

    def _prefix(self, q: wq.Prefix, scored: bool):
        reader = self.searcher.reader()
        terms = []
        if q.fieldname not in self.searcher.schema:
            return np.zeros(self.size, dtype=bool), None
        for term in reader.expand_prefix(q.fieldname, q.text):
            terms.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(terms) >= PREFIX_TERMS:
                break
        # A prefix scores like one word: its best-matching expansion counts, not their sum.
        mask, score = np.zeros(self.size, dtype=bool), None
        for text in terms:
            score = self._term_into(q.fieldname, text, q.boost, scored, mask, score, np.maximum)
        return mask, score

    def _date_range(self, q: wq.DateRange) -> np.ndarray:
        fieldobj = self.searcher.schema[q.fieldname]
        mask = np.zeros(self.size, dtype=bool)
        for r, off, seg in self.leaves:
            codes, _values = arrays.codes(r, seg, "f_year")
            part = codes >= 0  # documents with no date have no year term
            values = arrays.numeric_column(r, seg, q.fieldname)
            if q.startdate is not None:
                part &= values >= np.uint64(fieldobj.to_column_value(q.startdate))
            if q.enddate is not None:
                part &= values <= np.uint64(fieldobj.to_column_value(q.enddate))
            mask[off:off + seg.size] = part
        return mask

    # Counting

    def facet_counts(self, hits: np.ndarray, fieldname: str, limit: int = 0) -> dict[str, int]:
        """How many of the matching documents (sorted global numbers) hold each value of a field.

        limit: only the most frequent values (ties: the first numbered), when above 0.
        """
        total: np.ndarray | None = None
        for (r, seg), _off, docs in self.split(hits):
            codes, values = arrays.codes(r, seg, fieldname)
            if not values:
                continue
            local = codes[docs]
            tally = np.bincount(local[local >= 0], minlength=len(values))
            mapped = arrays.VOCABULARY.codes_of(seg, fieldname, values)
            part = np.bincount(mapped, weights=tally, minlength=int(mapped.max()) + 1)
            if total is None:
                total = part
            elif len(part) > len(total):  # values this segment numbered first
                part[:len(total)] += total
                total = part
            else:
                total[:len(part)] += part
        if total is None:
            return {}
        found = np.flatnonzero(total)
        if limit and len(found) > limit:
            found = found[np.argsort(-total[found], kind="stable")[:limit]]
        return {arrays.VOCABULARY.value(fieldname, int(c)): int(total[c]) for c in found}

def warm(searcher: Any, facets: tuple[str, ...], scored: tuple[str, ...],
         date_field: str = "date") -> None:
    """Read every segment's facet codes, field lengths and dates now, not in the first search.

    Segments never change, so after a drain only the new small segment is read.
    """
    view = View(searcher)
    for r, _off, seg in view.leaves:
        for name in facets:
            arrays.codes(r, seg, name)
        for name in scored:
            arrays.field_lengths(r, seg, name)
        arrays.numeric_column(r, seg, date_field)


def run(searcher: Any, q: wq.Query, exclude: wq.Query | None = None, allow: wq.Query | None = None,
        sort: str = "relevance", page: int = 1, per_page: int = 24,
        facets: dict[str, str] | None = None, date_field: str = "date",
        facet_limit: int = 0) -> Outcome:
    """Evaluate a query with an exclusion mask and a filter; count, facet, sort and cut a page.

    sort: "relevance" (score, ties newest first), "newest" or "oldest"; per_page 0 orders nothing;
    facet_limit: the most frequent values of each facet only, when above 0.
    """
    view = View(searcher)
    scored = sort == "relevance"
    mask, score = view.evaluate(q, scored)
    live = view.live()
    if live is not None:
        mask &= live
    if allow is not None:
        mask &= view.evaluate(allow, False)[0]
    if exclude is not None:
        mask &= ~view.evaluate(exclude, False)[0]
    hits = np.flatnonzero(mask)
    out = Outcome(total=int(len(hits)), docnums=[])
    if facets:
        out.facets = {name: view.facet_counts(hits, fieldname, facet_limit)
                      for name, fieldname in facets.items()}
    start = (page - 1) * per_page
    if per_page <= 0 or start >= len(hits):  # per_page 0: counts and facets only
        return out
    page_hits = _order(view, hits, score, sort, start + per_page, date_field)[start:]
    out.docnums = [int(d) for d in page_hits]
    if score is not None:
        out.scores = [float(score[d]) for d in page_hits]
    return out


def _order(view: View, hits: np.ndarray, score: np.ndarray | None, sort: str, want: int,
           date_field: str) -> np.ndarray:
    """The first `want` hits in order; ties broken by date (newest) then doc number."""
    dates = view.gather(arrays.numeric_column, date_field, hits, np.uint64).astype(np.float64)
    if sort == "oldest":
        primary = dates
    elif sort == "newest" or score is None:
        primary = -dates
    else:
        primary = -score[hits].astype(np.float64)
    if len(hits) > want:
        keep = np.argpartition(primary, want - 1)[:want]
        # argpartition breaks ties at the cut arbitrarily: take every hit tied with the last.
        edge = primary[keep].max()
        keep = np.flatnonzero(primary <= edge)
        hits, primary, dates = hits[keep], primary[keep], dates[keep]
    order = np.lexsort((hits, -dates, primary))
    return hits[order][:want]
