"""The array evaluation counts, facets and scores exactly like Whoosh's own matchers."""
from __future__ import annotations

import datetime as dt
import os
import random

import numpy as np
import pytest
from whoosh import index, sorting
from whoosh import query as wq

from gallery.services.search import arrays, execute
from gallery.services.search.query import parse
from gallery.services.search.schema import FACET_FIELDS, FACETS, make_schema

WORDS = ("water vaccines vaccination shelter displaced displacement border children floods drought "
         "cholera nurses farmers migrants hygiene kits clean emergency Danlí Región Autónoma "
         "Türkiye santé école familias returnees classroom trafficking").split()
QUERIES = ["water", "vaccines", "clean water", '"clean water"', '"hygiene kits"',
           "water OR floods", "shelter -children", "water NOT drought", "vacc*", "danl*",
           "credit:lopez", "caption:water", "country:kenya", "danli", "region autonoma", "turkiye", "", "nosuchword", "a*",
           '"emergency shelter" border', "keywords:cholera OR keywords:floods"]


def _doc(i: int, rng: random.Random) -> dict:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30)))
    when = dt.datetime(2010 + i % 14, 1 + i % 12, 1 + i % 27)
    doc = {"id": str(i), "caption": words, "title": " ".join(rng.sample(WORDS, 2)),
           "gallery": words[:40], "keywords": rng.choice(WORDS),
           "credit": rng.choice(["López", "Martin"]),
           "country": rng.choice(["Kenya KEN", "Honduras HND"]), "plain": words, "shingle": words,
           "f_category": rng.choice(["health", "shelter", "crisis"]), "f_media_type": "image",
           "f_country": rng.choice(["KEN", "HND"]), "gallery_id": str(i % 7),
           "visible": "1" if i % 5 else "0"}
    if i % 9:  # some documents have no date and no year
        doc.update(date=when, f_year=str(when.year), f_credit=doc["credit"])
    return doc


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """Three segments with updates and deletions, as drains leave a live index."""
    arrays.STORE.clear()
    ix = index.create_in(str(tmp_path_factory.mktemp("arrays")), make_schema())
    rng = random.Random(3)
    for start in (0, 150, 300):
        with ix.writer(merge=False) as w:
            for i in range(start, start + 150):
                w.add_document(**_doc(i, rng))
    with ix.writer(merge=False) as w:
        for i in range(0, 400, 7):  # updates: the old copy is deleted in its segment
            w.update_document(**_doc(i, rng))
        for i in range(1, 400, 11):
            w.delete_by_term("id", str(i))
    s = ix.searcher()
    assert len(list(s.reader().leaf_readers())) > 1
    yield s
    s.close()


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("staff", [True, False])
def test_totals_facets_and_scores_match_whoosh(searcher, text, staff):
    parsed = parse(text)
    mask = None if staff else wq.Term("visible", "0")
    groups = {name: sorting.FieldFacet(FACET_FIELDS[name], maptype=sorting.Count)
              for name in FACETS}
    expected = searcher.search(parsed.query, limit=None, mask=mask, groupedby=groups)
    if isinstance(parsed.query, wq.AndNot):
        # Whoosh's AndNot matcher can keep an excluded document at a segment start; sets cannot.
        wanted = _docs(searcher, parsed.query.a) - _docs(searcher, parsed.query.b)
        expected = searcher.search(wq.Every(), filter=wanted, limit=None, mask=mask,
                                   groupedby=groups)
    got = execute.run(searcher, parsed.query, exclude=mask, per_page=20,
                      facets={name: FACET_FIELDS[name] for name in FACETS})
    assert got.total == len(expected)
    for name in FACETS:
        want = {k: v for k, v in expected.groups(name).items() if k not in (None, "")}
        assert got.facets[name] == want, name
    if parsed.empty or "*" in text or isinstance(parsed.query, wq.AndNot):
        return  # Every has no scores; a prefix scores its best expansion, Whoosh sums them
    whoosh_scores = {hit.docnum: hit.score for hit in expected}
    for docnum, score in zip(got.docnums, got.scores):
        assert score == pytest.approx(whoosh_scores[docnum], rel=1e-4)
    best = sorted(whoosh_scores.values(), reverse=True)[:20]
    assert got.scores == pytest.approx(best, rel=1e-4)


def _docs(searcher, q) -> set[int]:
    return {hit.docnum for hit in searcher.search(q, limit=None)}


def test_negation_excludes_at_segment_starts(searcher):
    parsed = parse("shelter -children")
    got = set(execute.run(searcher, parsed.query, per_page=1000).docnums)
    assert got == _docs(searcher, parsed.query.a) - _docs(searcher, parsed.query.b)


def test_filters_dates_and_sorting_match_whoosh(searcher):
    parsed = parse("water OR shelter")
    allow = wq.And([wq.Term("f_category", "health"),
                    wq.DateRange("date", dt.datetime(2012, 1, 1),
                                 dt.datetime(2018, 12, 31, 23, 59))])
    expected = searcher.search(parsed.query, limit=None, filter=allow,
                               sortedby=sorting.FieldFacet("date", reverse=True))
    got = execute.run(searcher, parsed.query, allow=allow, sort="newest", per_page=500)
    assert got.total == len(got.docnums) == len(expected) > 0
    assert set(got.docnums) == {hit.docnum for hit in expected}
    dates = searcher.reader().column_reader("date")
    column = [dates[d] for d in got.docnums]
    assert column == sorted(column, reverse=True)
    oldest = execute.run(searcher, parsed.query, allow=allow, sort="oldest", per_page=500)
    assert [dates[d] for d in oldest.docnums] == sorted(column)


def test_pages_cut_the_same_ranking(searcher):
    parsed = parse("water OR floods OR shelter")
    whole = execute.run(searcher, parsed.query, per_page=1000).docnums
    paged = [d for page in range(1, 8) for d in execute.run(searcher, parsed.query, page=page,
                                                             per_page=10).docnums]
    assert paged == whole[:len(paged)]
    assert execute.run(searcher, parsed.query, page=999, per_page=10).docnums == []


def test_block_reader_equals_the_generic_matcher(searcher):
    reader = searcher.reader()
    # "image" is in every document: posting lists longer than one block of 128.
    terms = [("caption", "water"), ("shingle", "clean water"), ("f_media_type", "image")]
    for leaf, _off in reader.leaf_readers():
        for field, term in terms:
            fast_ids, fast_tf = arrays.read_postings(leaf, field, term)
            if not leaf.doc_frequency(field, term):
                assert len(fast_ids) == 0
                continue
            m = leaf.postings(field, term)
            m = getattr(m, "child", m)
            m.reset()
            slow = list(m.items_as("weight"))
            assert [int(i) for i in fast_ids] == [i for i, _ in slow]
            assert [float(w) for w in fast_tf] == pytest.approx([w for _, w in slow])


def test_same_segment_ids_in_two_indexes_never_share_cached_arrays(tmp_path):
    # Whoosh draws segment ids from the global random generator, which a program may seed.
    searchers = []
    for name, word in (("one", "water"), ("two", "shelter")):
        random.seed(11)
        (tmp_path / name).mkdir()
        ix = index.create_in(str(tmp_path / name), make_schema())
        with ix.writer() as w:
            w.add_document(id="1", caption=word, f_media_type="image")
        searchers.append(ix.searcher())
    first, second = searchers
    assert [r.segment().segment_id() for r, _ in first.reader().leaf_readers()] == \
        [r.segment().segment_id() for r, _ in second.reader().leaf_readers()]
    assert execute.run(first, parse("water").query).total == 1
    assert execute.run(second, parse("water").query).total == 0
    assert execute.run(second, parse("shelter").query).total == 1
    for s in searchers:
        s.close()


# Saved arrays: what a searcher reads per document is memory-mapped from files beside the segment.

def _small_index(path, segments: int = 2, per: int = 60):
    ix = index.create_in(str(path), make_schema())
    rng = random.Random(5)
    for s in range(segments):
        with ix.writer(merge=False) as w:
            for i in range(s * per, (s + 1) * per):
                w.add_document(**_doc(i, rng))
    return ix


def _facet_run(s, text="water OR shelter"):
    got = execute.run(s, parse(text).query, per_page=50, sort="newest",
                      facets={name: FACET_FIELDS[name] for name in FACETS})
    return got.total, got.docnums, got.facets


def _saved_files(path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if ".ga_" in p.name)


def test_a_new_process_maps_the_saved_arrays_instead_of_reading_postings(tmp_path, monkeypatch):
    ix = _small_index(tmp_path)
    arrays.STORE.clear()
    with ix.searcher() as s:
        execute.warm(s, tuple(FACET_FIELDS.values()), ("caption", "title"))
        first = _facet_run(s)
        saved = _saved_files(tmp_path)
        segids = {r.segment().segment_id() for r, _ in s.reader().leaf_readers()}
    assert {name.split(".")[0] for name in saved} == segids
    assert any(".ga_codes_f_country.npy" in n for n in saved)
    assert any(".ga_values_f_country.json" in n for n in saved)
    assert any(".ga_len_caption.npy" in n for n in saved)
    assert any(".ga_col_date.npy" in n for n in saved)

    arrays.STORE.clear()  # as a freshly started worker

    def no_reading(*args):
        raise AssertionError("saved arrays should have been mapped")

    monkeypatch.setattr(arrays, "_read_codes", no_reading)
    with ix.searcher() as s:
        assert _facet_run(s) == first
        seg = arrays.STORE.segment(next(iter(s.reader().leaf_readers()))[0])
        assert _is_mapped(arrays.codes(None, seg, "f_country")[0])
        assert _is_mapped(arrays.field_lengths(None, seg, "caption"))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong_values", "delete_values"])
def test_damaged_saved_arrays_are_rebuilt(tmp_path, damage):
    ix = _small_index(tmp_path)
    arrays.STORE.clear()
    with ix.searcher() as s:
        first = _facet_run(s)
    for name in _saved_files(tmp_path):
        path = tmp_path / name
        if damage == "truncate" and name.endswith(".npy"):
            path.write_bytes(path.read_bytes()[:100])
        elif damage == "garbage":
            path.write_bytes(b"\x93NUMPY not really" if name.endswith(".npy") else b"{[")
        elif damage == "wrong_values" and name.endswith(".json"):
            path.write_text('{"segment": "MAIN_other", "size": 60, "values": ["only-one"]}')
        elif damage == "delete_values" and name.endswith(".json"):
            path.unlink()
    arrays.STORE.clear()
    with ix.searcher() as s:
        assert _facet_run(s) == first
    arrays.STORE.clear()  # and they were written again, whole
    with ix.searcher() as s:
        assert _facet_run(s) == first
        seg = arrays.STORE.segment(next(iter(s.reader().leaf_readers()))[0])
        assert _is_mapped(arrays.codes(None, seg, "f_country")[0])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_saved_arrays_go_with_their_segment_when_whoosh_merges(tmp_path):
    ix = _small_index(tmp_path, segments=3)
    arrays.STORE.clear()
    with ix.searcher() as s:
        before = _facet_run(s, "water")
    old = {n.split(".")[0] for n in _saved_files(tmp_path)}
    assert len(old) == 3
    ix.optimize()
    arrays.STORE.clear()
    with ix.searcher() as s:
        assert _facet_run(s, "water")[0] == before[0]
    left = {n.split(".")[0] for n in _saved_files(tmp_path)}
    assert len(left) == 1 and not left & old


def test_a_read_only_index_folder_still_searches(tmp_path, monkeypatch):
    ix = _small_index(tmp_path)
    arrays.STORE.clear()
    with ix.searcher() as s:
        expected = _facet_run(s)
    for name in _saved_files(tmp_path):
        (tmp_path / name).unlink()
    arrays.STORE.clear()
    real = os.replace

    def refuse(src, dst):
        if ".ga-" in str(src):
            raise PermissionError(13, "Read-only file system")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with ix.searcher() as s:
        assert _facet_run(s) == expected
    assert _saved_files(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ga-")]


def _is_mapped(array) -> bool:
    """Whether an array's memory is a mapping of its saved file (a view of an np.memmap)."""
    while array is not None and not isinstance(array, np.memmap):
        array = getattr(array, "base", None)
    return array is not None
