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
import gallery.services.search.tables as tables

K1, B = 1.2, 0.75  # BM25 defaults, as Whoosh's BM25F uses them
PREFIX_TERMS = 200  # a prefix like "a*" must not turn into thousands of terms
# A term in fewer than 1 in RARE_TERM documents is scored from its documents' lengths when its
# field's whole-index norms are not kept yet; a commoner one makes and keeps them.
RARE_TERM = 8
# Bytes of gallery codes per term a searcher keeps for the galleries a search's words name
# (View.gallery_counts); past it they are read again. A common word names a few thousand.
GALLERY_TERMS_KEPT = 16 << 20
# Facets with few values are counted together: one code per document for its combination of
# values, one count of the hits over them, then a sum per facet. At most this many combinations.
JOINT_BINS = 1 << 21


@dataclass
class Outcome:
    """Total hits, the global doc numbers of one page in order, facet counts by facet name."""

    total: int
    docnums: list[int]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)


@dataclass
class Joint:
    """Several facet fields' value codes combined into one per document (View.joint)."""

    fields: tuple[str, ...]
    sizes: tuple[int, ...]  # each field's codes run from 0 (no value) to its size - 1
    bins: int
    codes: np.ndarray


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
            ids, tfs = tables.postings(self.store, r, seg, fieldname, text)
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

    def frequencies(self, fieldname: str, texts: list[str],
                    keys: np.ndarray | None = None) -> np.ndarray | None:
        """Each term's total frequency over the index (Whoosh's reader.frequency), read from the
        saved tables; None when a segment has no table of the field. keys: the texts' keys, when
        already made (tables.term_keys)."""
        keys = tables.term_keys(texts) if keys is None else keys
        total = np.zeros(len(texts), dtype=np.float64)
        for _r, _off, seg in self.leaves:
            table = tables.saved(seg, fieldname)
            if table is None:
                return None
            total += table.totals(keys)
        return total

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

    def shown(self, exclude: wq.Query | None) -> np.ndarray | None:
        """True for documents neither deleted nor excluded (None: every one), kept on the searcher.

        The exclusion is who may see what (engine.hidden_from): two or three kinds of user, the
        same for every search until the index changes.
        """
        if exclude is None:
            return self.live()
        kept = self._kept()
        key = ("shown", exclude)
        found = kept.get(key)
        if found is None:
            found = ~self.evaluate(exclude, False)[0]
            live = self.live()
            if live is not None:
                found &= live
            kept[key] = found
        return found

    def idf(self, fieldname: str, text: str, df: int) -> float:
        """Whoosh's inverse document frequency, so scores read like Whoosh's."""
        key = (fieldname, text)
        if key not in self._idf:
            self._idf[key] = math.log(self.size / (df + 1)) + 1.0
        return self._idf[key]

    def _kept(self) -> dict:
        """Whole-index arrays kept on the searcher (its segments are fixed): one read per query
        instead of one per segment, for the price of a copy per worker."""
        return self.searcher.__dict__.setdefault("_gallery_kept", {})

    def doc_codes(self, fieldname: str) -> np.ndarray:
        """Every document's process-wide value code plus one of an exact-value field (0: none)."""
        kept = self._kept()
        found = kept.get(("codes", fieldname))
        if found is None:
            parts = [arrays.global_codes(r, seg, fieldname) for r, _off, seg in self.leaves]
            found = kept[("codes", fieldname)] = (np.concatenate(parts) if parts
                                                  else np.zeros(0, dtype=np.uint16))
        return found

    def norms(self, fieldname: str) -> np.ndarray:
        """BM25's length part of every document in a field: K1 x ((1 - B) + B x length / average)."""
        kept = self._kept()
        found = kept.get(("norms", fieldname))
        if found is None:
            parts = [_lengths(r, seg, fieldname) for r, _off, seg in self.leaves]
            found = kept[("norms", fieldname)] = self._length_norms(
                fieldname, np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32))
        return found

    def norms_at(self, fieldname: str, leaf: int, local: np.ndarray) -> np.ndarray:
        """norms() at some documents of one segment (local numbers): read from the whole-index
        array when kept, else made from the segment's lengths for these documents alone.

        An And (a phrase over a metadata field) scores few documents of a field no single word
        reads: a 4 MB array per field per worker, 7 ms the first time, was not worth keeping.
        """
        r, off, seg = self.leaves[leaf]
        kept = self._kept().get(("norms", fieldname))
        if kept is not None:
            return kept[off:off + seg.size][local]
        return self._length_norms(fieldname, _lengths(r, seg, fieldname)[local])

    def _length_norms(self, fieldname: str, lengths: np.ndarray) -> np.ndarray:
        """K1 x ((1 - B) + B x length / average) of some documents' lengths in a field."""
        avg = self.avg_length(fieldname) or 1.0
        return np.float32(K1) * (np.float32(1 - B) + np.float32(B) * lengths / np.float32(avg))

    def avg_length(self, fieldname: str) -> float:
        """A field's average length per document: Whoosh's, or summed from an "any" field's arrays."""
        # Kept on the searcher: its segments are fixed, and Whoosh sums them on every call.
        cache = self.searcher.__dict__.setdefault("_gallery_avg", {})
        if fieldname not in cache:
            if not tables.is_any(fieldname):
                cache[fieldname] = self.searcher.avg_field_length(fieldname)
            else:
                total = sum(float(tables.any_lengths(r, seg, fieldname).sum(dtype=np.float64))
                            for r, _off, seg in self.leaves)
                cache[fieldname] = total / self.size if self.size else 0.0
        return cache[fieldname]

    # Evaluating

    def evaluate(self, q: wq.Query, scored: bool = True,
                 top: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """(matching mask, score per document or None) of a query tree.

        top: scores are read only where the mask is true (run's hits), so a non-match's score
        may be left as it is; otherwise it is zero.
        """
        while isinstance(q, (wq.And, wq.Or)) and len(q.subqueries) == 1 and q.boost == 1:
            q = q.subqueries[0]  # a phrase of two words is an And of one word pair
        if isinstance(q, wq.Term):
            coded = self._coded(q)
            if coded is not None:
                return coded, None
            return self._term(q.fieldname, q.text, q.boost, scored)
        if isinstance(q, wq.Or):
            return self._combine(q.subqueries, scored, np.logical_or)
        if isinstance(q, wq.And):
            return self._combine(q.subqueries, scored, np.logical_and, top)
        if isinstance(q, wq.AndNot):
            mask, score = self.evaluate(q.a, scored, top)
            neg, _ = self.evaluate(q.b, False)
            mask &= ~neg
            if score is not None and not top:
                np.multiply(score, mask, out=score)  # an excluded document lifts no parent Or
            return mask, score
        if isinstance(q, wq.Every):
            return np.ones(self.size, dtype=bool), None
        if isinstance(q, wq.Prefix):
            return self._prefix(q, scored)
        if isinstance(q, wq.DateRange):
            return self._date_range(q), None
        if isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, dtype=bool), None
        raise TypeError(f"search: no array evaluation for {type(q).__name__}")

    def _coded(self, q: wq.Term) -> np.ndarray | None:
        """The documents holding one value of an exact-value field, from its per-document codes
        when kept (warm keeps the facets'); None otherwise.

        A filter (a category, a year) then reads no posting list: a new worker read each value's
        from Whoosh's files the first time, 7-13 ms at a million assets.
        """
        codes = self._kept().get(("codes", q.fieldname))
        if codes is None:
            return None
        code = arrays.VOCABULARY.code(q.fieldname, q.text)
        # Every value in the index has a code (doc_codes made them); no code: no document.
        return np.zeros(self.size, dtype=bool) if code is None else codes == code + 1

    def _term(self, fieldname: str, text: str, boost: float, scored: bool):
        mask = np.zeros(self.size, dtype=bool)
        return mask, self._term_into(fieldname, text, boost, scored, mask, None, np.add)

    def _term_into(self, fieldname: str, text: str, boost: float, scored: bool, mask: np.ndarray,
                   score: np.ndarray | None, fold) -> np.ndarray | None:
        """Mark a term's documents in `mask` and fold its scores into `score` (made when None).

        Writing into the caller's arrays touches only the term's postings: an Or over ten fields
        no longer makes, adds and drops ten arrays the size of the index.
        """
        combined = tables.is_any(fieldname)
        if not combined and fieldname not in self.searcher.schema:  # an older schema's index
            return score
        parts = self.term_parts(fieldname, text)
        # Each segment's slice of the whole-index arrays, indexed by its local numbers (made
        # native integers once): half the time of adding offsets and indexing the whole arrays.
        spans = [(i, slice(self.leaves[i][1], self.leaves[i][1] + self.leaves[i][2].size),
                  ids.astype(np.intp), tfs) for i, ids, tfs in parts]
        for _i, span, local, _tfs in spans:
            mask[span][local] = True
        if not scored or not parts or not (combined or self.searcher.schema[fieldname].scorable):
            return score
        found_in = sum(len(ids) for _i, ids, _tf in parts)
        weight = self.idf(fieldname, text, found_in) * boost
        fresh = score is None
        if fresh:
            score = np.zeros(self.size, dtype=np.float32)
        norms = self._kept().get(("norms", fieldname))
        if norms is None and found_in * RARE_TERM >= self.size:
            norms = self.norms(fieldname)
        for i, span, local, tfs in spans:
            # A document is once in a term's postings: no repeated index. A rare term of a field
            # whose whole-index norms no query has needed yet (a phrase's word pair, credit:...)
            # reads its documents' lengths alone: making the array took a new worker 2-14 ms a field.
            found = (self._bm25(norms[span], local, tfs, weight) if norms is not None
                     else self._bm25(self.norms_at(fieldname, i, local), None, tfs, weight))
            part = score[span]
            # Scores are never negative: folding one into a zero (add or maximum) gives itself.
            part[local] = found if fresh else fold(part[local], found)
        return score

    @staticmethod
    def _bm25(norms: np.ndarray, docs: np.ndarray | None, tfs: np.ndarray, weight: float) -> np.ndarray:
        """Whoosh's BM25F score of a term at some documents (numbers into norms, or None when
        norms holds just theirs; weight: idf x boost)."""
        # One array made, the rest in place: a common word has a posting in most documents.
        if docs is None:
            out = norms + tfs
        else:
            out = norms[docs]
            out += tfs
        np.divide(tfs, out, out=out)
        out *= np.float32(weight * (K1 + 1))
        return out

    def _and_terms(self, terms: list[wq.Term], scored: bool, mask: np.ndarray | None = None,
                   score: np.ndarray | None = None):
        """An And of terms by intersecting their posting lists, rarest first (a phrase over the
        metadata fields: every word in one field), never touching arrays the size of the index
        per term; marked into `mask` and added into `score` when given (the parts of an Or)."""
        mask = np.zeros(self.size, dtype=bool) if mask is None else mask
        found = []
        for t in terms:
            if not tables.is_any(t.fieldname) and t.fieldname not in self.searcher.schema:
                return mask, score
            parts = {i: (ids, tfs) for i, ids, tfs in self.term_parts(t.fieldname, t.text)}
            if not parts:
                return mask, score
            scorable = tables.is_any(t.fieldname) or self.searcher.schema[t.fieldname].scorable
            weight = self.idf(t.fieldname, t.text, sum(len(ids) for ids, _tf in parts.values())) \
                * t.boost if scorable else None
            found.append((t.fieldname, parts, weight))
        if scored and score is None and any(w is not None for _f, _p, w in found):
            score = np.zeros(self.size, dtype=np.float32)
        for i in sorted(set.intersection(*(set(parts) for _f, parts, _w in found))):
            size = self.leaves[i][2].size
            order = sorted(range(len(found)), key=lambda k: len(found[k][1][i][0]))
            common = found[order[0]][1][i][0]
            # Each term's positions in its own postings at the common documents, narrowed with
            # them: its frequencies are then read off its postings, not spread over the segment.
            at = {order[0]: np.arange(len(common))}
            for k in order[1:]:
                ids = found[k][1][i][0]
                if len(ids) == len(common) and np.array_equal(ids, common):
                    # Words always found together (a category's name, a set phrase's pairs): the
                    # same documents, so no map. A comparison, against a pass over the segment.
                    at[k] = np.arange(len(common))
                    continue
                where = np.full(size, -1, dtype=np.int32)  # a map of the segment: linear, no search
                where[ids] = np.arange(len(ids), dtype=np.int32)
                pos = where[common]
                hit = pos >= 0
                if not hit.all():
                    common, pos = common[hit], pos[hit]
                    at = {j: p[hit] for j, p in at.items()}
                at[k] = pos
                if not len(common):
                    break
            if not len(common):
                continue
            span, local = slice(self.leaves[i][1], self.leaves[i][1] + size), common.astype(np.intp)
            mask[span][local] = True
            if score is None or not scored:
                continue
            # The terms' scores summed at the common documents, then added to the whole array
            # once; terms of one field (most Ands here) read their documents' norms once.
            total, field_norms = None, {}
            for k, (fieldname, parts, weight) in enumerate(found):
                if weight is not None:
                    if fieldname not in field_norms:
                        field_norms[fieldname] = self.norms_at(fieldname, i, local)
                    part = self._bm25(field_norms[fieldname], None, parts[i][1][at[k]], weight)
                    total = part if total is None else np.add(total, part, out=total)
            if total is not None:
                score[span][local] += total
        return mask, score

    def _combine(self, subs, scored: bool, op, top: bool = False):
        if op is np.logical_or and subs:
            return self._or(subs, scored)
        kept = self._kept()
        if len(subs) > 1 and all(isinstance(sub, wq.Term) and ("codes", sub.fieldname) not in kept
                                 for sub in subs):
            return self._and_terms(subs, scored)
        # In place: every array evaluate returns is made for its caller.
        mask, score = None, None
        for sub in subs:
            if score is not None and isinstance(sub, wq.Or) and sub.subqueries:
                # Two words: the second word's fields add straight into the first's scores.
                m, score = self._or(sub.subqueries, scored, score)
            else:
                m, s = self.evaluate(sub, scored)
                if s is not None:
                    score = s if score is None else np.add(score, s, out=score)
            mask = m if mask is None else op(mask, m, out=mask)
        if mask is None:  # an empty And matches everything, an empty Or nothing, as in Whoosh
            mask = np.full(self.size, op is np.logical_and, dtype=bool)
        if score is not None and op is np.logical_and and not top:
            np.multiply(score, mask, out=score)  # a part that matched alone must not lift a parent Or
        return mask, score

    def _or(self, subs, scored: bool, score: np.ndarray | None = None):
        """An Or summed into one mask and one score array (a word over every text field); its
        scores are added to `score` when given."""
        mask = np.zeros(self.size, dtype=bool)
        for sub in subs:
            while isinstance(sub, (wq.And, wq.Or)) and len(sub.subqueries) == 1 and sub.boost == 1:
                sub = sub.subqueries[0]
            if isinstance(sub, wq.Term):
                score = self._term_into(sub.fieldname, sub.text, sub.boost, scored, mask, score,
                                        np.add)
                continue
            if isinstance(sub, wq.And) and len(sub.subqueries) > 1 \
                    and all(isinstance(t, wq.Term) for t in sub.subqueries):
                mask, score = self._and_terms(sub.subqueries, scored, mask, score)
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
        # A prefix scores like one word: its best-matching expansion counts, not their sum.
        mask, score = np.zeros(self.size, dtype=bool), None
        for text in self._expand(q):
            score = self._term_into(q.fieldname, text, q.boost, scored, mask, score, np.maximum)
        return mask, score

    def _expand(self, q: wq.Prefix) -> list[str]:
        """A prefix's terms in the index, the first PREFIX_TERMS of them (none: no such field)."""
        if not tables.is_any(q.fieldname) and q.fieldname not in self.searcher.schema:
            return []
        # The first PREFIX_TERMS of the whole index are among each segment's first ones.
        return sorted({t for r, _off, seg in self.leaves
                       for t in tables.expand(r, seg, q.fieldname, q.text, PREFIX_TERMS)})[:PREFIX_TERMS]

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

    def facets(self, hits: np.ndarray, fieldnames: tuple[str, ...], limit: int = 0) -> list[dict[str, int]]:
        """facet_counts of several fields, those with few values counted in one pass over the hits."""
        joint = self.joint(fieldnames)
        totals: dict[str, np.ndarray] = {}
        if joint is not None and _joint_pays(joint, len(hits)):
            table = np.bincount(joint.codes[hits], minlength=joint.bins).reshape(joint.sizes)
            axes = range(len(joint.sizes))
            for axis, name in enumerate(joint.fields):
                totals[name] = table.sum(axis=tuple(a for a in axes if a != axis))
        return [self.facet_counts(hits, name, limit, totals.get(name)) for name in fieldnames]

    def joint(self, fieldnames: tuple[str, ...]) -> Joint | None:
        """The combined value codes of the fields among these with fewest values (None: under two)."""
        kept = self._kept()
        key = ("joint", tuple(sorted(fieldnames)))
        if key in kept:
            return kept[key]
        sizes = {name: int(codes.max()) + 1 if len(codes) else 1
                 for name in fieldnames for codes in [self.doc_codes(name)]}
        chosen, bins = [], 1
        for name in sorted(sizes, key=lambda n: (sizes[n], n)):
            if bins * sizes[name] > JOINT_BINS:
                break
            chosen.append(name)
            bins *= sizes[name]
        found = None
        if len(chosen) > 1:
            codes = np.zeros(self.size, dtype=np.int32)
            for name in chosen:
                codes *= sizes[name]
                codes += self.doc_codes(name)
            found = Joint(tuple(chosen), tuple(sizes[n] for n in chosen), bins, codes)
        kept[key] = found
        return found

    def facet_counts(self, hits: np.ndarray | None, fieldname: str, limit: int = 0,
                     total: np.ndarray | None = None) -> dict[str, int]:
        """How many of the matching documents (sorted global numbers) hold each value of a field.

        limit: only the most frequent values (ties: the first numbered), when above 0;
        total: the count per value code, when already made (View.facets, gallery_counts).
        """
        if total is None:
            total = np.bincount(self.doc_codes(fieldname)[hits])
        total = total[1:]  # code 0: no value
        found = np.flatnonzero(total)
        if limit and len(found) > limit:
            found = found[np.argsort(-total[found], kind="stable")[:limit]]
        return {arrays.VOCABULARY.value(fieldname, int(c)): int(total[c]) for c in found}

    # Galleries

    def gallery_counts(self, q: wq.Query, exclude: wq.Query | None, limit: int,
                       field: str = "gallery_id") -> dict[str, int]:
        """The galleries whose own words match q (a query on the gallery text fields only), each
        with its documents not excluded; the `limit` with most, ties: the first numbered.

        Every document of a gallery carries the gallery's title and description, so q is read
        per gallery: a term's documents name its galleries once (kept, GALLERY_TERMS_KEPT), and no
        array the size of the index is made per query (a common gallery word matched 115,000
        documents a query at a million assets).
        """
        codes = self.doc_codes(field)
        if not len(codes):
            return {}
        kept = self._kept()
        key = ("gallery_shown", field, exclude)
        shown = kept.get(key)
        if shown is None:  # how many documents each gallery shows: once per kind of user
            visible = self.shown(exclude)
            shown = kept[key] = np.bincount(codes if visible is None else codes[visible],
                                            minlength=int(codes.max()) + 1)
        matched = self._galleries_of(q, field, codes, len(shown))
        return self.facet_counts(None, field, limit, np.where(matched, shown, 0))

    def _galleries_of(self, q: wq.Query, field: str, codes: np.ndarray, bins: int) -> np.ndarray:
        """Which gallery codes a query on the gallery fields matches (a mask of `bins`)."""
        if isinstance(q, wq.And):
            out = np.ones(bins, dtype=bool)
            for sub in q.subqueries:
                out &= self._galleries_of(sub, field, codes, bins)
            return out
        out = np.zeros(bins, dtype=bool)
        if isinstance(q, wq.Or):
            for sub in q.subqueries:
                out |= self._galleries_of(sub, field, codes, bins)
        elif isinstance(q, wq.Term):
            out[self._term_galleries(q.fieldname, q.text, field, codes, bins)] = True
        elif isinstance(q, wq.Prefix):
            for text in self._expand(q):
                out[self._term_galleries(q.fieldname, text, field, codes, bins)] = True
        else:
            raise TypeError(f"search: no gallery evaluation for {type(q).__name__}")
        return out

    def _term_galleries(self, fieldname: str, text: str, field: str, codes: np.ndarray,
                        bins: int) -> np.ndarray:
        """The codes of the galleries whose documents hold a term, kept on the searcher."""
        held = self._kept().setdefault(("gallery_terms", field), [0, {}])  # [bytes, {term: codes}]
        found = held[1].get((fieldname, text))
        if found is None:
            mark = np.zeros(bins, dtype=bool)
            if tables.is_any(fieldname) or fieldname in self.searcher.schema:
                for i, ids, _tfs in self.term_parts(fieldname, text):
                    off, seg = self.leaves[i][1], self.leaves[i][2]
                    mark[codes[off:off + seg.size][ids]] = True
            found = np.flatnonzero(mark).astype(np.int32)
            if held[0] + found.nbytes > GALLERY_TERMS_KEPT:
                held[0], held[1] = 0, {}
            held[0] += found.nbytes
            held[1][fieldname, text] = found
        return found


def _lengths(reader: Any, seg: arrays.Segment, fieldname: str) -> np.ndarray:
    """Each document's length in a field of one segment ("any" fields: their weighted sum)."""
    return (tables.any_lengths if tables.is_any(fieldname) else arrays.field_lengths)(reader, seg, fieldname)


def _joint_pays(joint: Joint, hits: int) -> bool:
    """Whether counting the hits jointly is cheaper than one count per field."""
    # The joint count also adds up every combination of values, matched or not: worth it only
    # when the hits outnumber them (a common word over a big catalogue).
    return hits * (len(joint.fields) - 1) >= joint.bins


def warm(searcher: Any, facets: tuple[str, ...], scored: tuple[str, ...],
         date_field: str = "date", joint: tuple[str, ...] = ()) -> None:
    """Read every segment's facet codes, field lengths and dates now, not in the first search.

    Segments never change, so after a drain only the new small segment is read.
    joint: the facet fields a search counts together (View.facets), combined now.
    """
    view = View(searcher)
    for r, _off, seg in view.leaves:
        for name in facets:
            arrays.codes(r, seg, name)
        for name in scored:
            _lengths(r, seg, name)
        arrays.numeric_column(r, seg, date_field)
    for name in facets:
        view.doc_codes(name)
    for name in scored:
        if tables.is_any(name):
            view.norms(name)
    if joint:
        view.joint(joint)


def run(searcher: Any, q: wq.Query, exclude: wq.Query | None = None, allow: wq.Query | None = None,
        sort: str = "relevance", page: int = 1, per_page: int = 24,
        facets: dict[str, str] | None = None, date_field: str = "date",
        facet_limit: int = 0) -> Outcome:
    """Evaluate a query with an exclusion mask and a filter; count, facet, sort and cut a page.

    sort: "relevance" (score, ties newest first), "newest" or "oldest"; per_page 0 orders nothing;
    facet_limit: the most frequent values of each facet only, when above 0.
    """
    view = View(searcher)
    scored = sort == "relevance" and per_page > 0  # counts and facets need no scores
    mask, score = view.evaluate(q, scored, top=True)
    shown = view.shown(exclude)
    if shown is not None:
        mask &= shown
    if allow is not None:
        mask &= view.evaluate(allow, False)[0]
    hits = np.flatnonzero(mask)
    out = Outcome(total=int(len(hits)), docnums=[])
    if facets:
        out.facets = dict(zip(facets, view.facets(hits, tuple(facets.values()), facet_limit)))
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
    if sort == "relevance" and score is not None:
        primary = -score[hits]
        if len(hits) > want:  # the best by score first: dates only for those
            hits, primary = _best(hits, primary, want)
        if len(hits) > want:
            # Ties at the cut (a field where every hit scores the same): the newest of them.
            edge = primary.max()
            better = primary < edge
            tied = hits[~better]
            dates = view.gather(arrays.numeric_column, date_field, tied, np.uint64)
            tied, _key = _best(tied, -dates.astype(np.float64), want - int(better.sum()))
            hits = np.concatenate([hits[better], tied])
            primary = np.concatenate([primary[better], np.full(len(tied), edge, primary.dtype)])
            order = np.argsort(hits, kind="stable")  # gather reads sorted doc numbers
            hits, primary = hits[order], primary[order]
        dates = view.gather(arrays.numeric_column, date_field, hits, np.uint64).astype(np.float64)
    else:
        dates = view.gather(arrays.numeric_column, date_field, hits, np.uint64).astype(np.float64)
        primary = dates if sort == "oldest" else -dates
        if len(hits) > want:
            hits, primary, dates = _best(hits, primary, want, dates)
    order = np.lexsort((hits, -dates, primary))
    return hits[order][:want]


def _best(hits: np.ndarray, primary: np.ndarray, want: int, *others: np.ndarray):
    """The hits with the `want` lowest primary keys, and every hit tied with the last of them."""
    stride = len(primary) // (want * 64)
    if stride > 1:
        # A cut guessed from every stride-th key: the second lowest of them has about 2 x stride
        # keys at or below it. Exact whenever at least `want` do, as checked; else the full pass.
        cut = np.partition(primary[::stride], 1)[1]
        near = np.flatnonzero(primary <= cut)
        if len(near) >= want:
            hits, primary = hits[near], primary[near]
            others = tuple(o[near] for o in others)
    keep = np.argpartition(primary, want - 1)[:want]
    # argpartition breaks ties at the cut arbitrarily: take every hit tied with the last.
    keep = np.flatnonzero(primary <= primary[keep].max())
    return (hits[keep], primary[keep], *(o[keep] for o in others))
