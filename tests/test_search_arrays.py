"""The array evaluation counts, facets and scores exactly like Whoosh's own matchers."""
from __future__ import annotations

import datetime as dt
import math
import os
import random

import numpy as np
import pytest
from whoosh import index, sorting
from whoosh import query as wq

from gallery.services.search import arrays, execute, store, tables
from gallery.services.search.analysis import stem
from gallery.services.search.query import parse
from gallery.services.search.schema import FACET_FIELDS, FACETS, any_field, make_schema

WORDS = ("water vaccines vaccination shelter displaced displacement border children floods drought "
         "cholera nurses farmers migrants hygiene kits clean emergency Danlí Región Autónoma "
         "Türkiye santé école familias returnees classroom trafficking").split()
QUERIES = ["water", "vaccines", "clean water", '"clean water"', '"hygiene kits"',
           "water OR floods", "shelter -children", "water NOT drought", "vacc*", "danl*",
           "credit:lopez", "caption:water", "caption:wat*", "country:kenya", "danli", "region autonoma", "turkiye", "", "nosuchword", "a*",
           '"emergency shelter" border', "keywords:cholera OR keywords:floods",
           '"pedro sula"', '"San Pedro" water']


def _doc(i: int, rng: random.Random) -> dict:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30)))
    when = dt.datetime(2010 + i % 14, 1 + i % 12, 1 + i % 27)
    doc = {"id": str(i), "caption": words, "title": " ".join(rng.sample(WORDS, 2)),
           "gallery": words[:40], "keywords": rng.choice(WORDS),
           "credit": rng.choice(["López", "Martin"]),
           "country": rng.choice(["Kenya KEN", "Honduras HND"]), "plain": words, "shingle": words,
           # Words always found together, at different frequencies (View._and_terms' shortcut).
           "city": ("San Pedro Sula" + (", near San Pedro Sula" if i % 2 else "")) if i % 3 == 0 else "Lodwar",
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
@pytest.mark.parametrize("joint", [True, False])
def test_totals_facets_and_scores_match_whoosh(searcher, text, staff, joint, monkeypatch):
    # Facets counted together (View.facets, what a common word over a big catalogue does) or
    # one at a time: the same counts as Whoosh's either way.
    monkeypatch.setattr(execute, "_joint_pays", lambda _joint, _hits: joint)
    parsed = parse(text)
    mask = None if staff else wq.Term("visible", "0")
    groups = {name: sorting.FieldFacet(FACET_FIELDS[name], maptype=sorting.Count)
              for name in FACETS}
    reference = _in_whoosh_fields(parsed.query, searcher.schema)
    expected = searcher.search(reference, limit=None, mask=mask, groupedby=groups)
    if isinstance(reference, wq.AndNot):
        # Whoosh's AndNot matcher can keep an excluded document at a segment start; sets cannot.
        wanted = _docs(searcher, reference.a) - _docs(searcher, reference.b)
        expected = searcher.search(wq.Every(), filter=wanted, limit=None, mask=mask,
                                   groupedby=groups)
    got = execute.run(searcher, parsed.query, exclude=mask, per_page=20,
                      facets={name: FACET_FIELDS[name] for name in FACETS})
    assert got.total == len(expected)
    for name in FACETS:
        want = {k: v for k, v in expected.groups(name).items() if k not in (None, "")}
        assert got.facets[name] == want, name
    if parsed.empty or "*" in text or isinstance(parsed.query, wq.AndNot) \
            or _has_any(parsed.query):
        # Every has no scores; a prefix scores its best expansion, Whoosh sums them; an "any"
        # field scores its summed fields once (test_any_field_scores_are_bm25_of_summed_fields)
        return
    whoosh_scores = {hit.docnum: hit.score for hit in expected}
    for docnum, score in zip(got.docnums, got.scores):
        assert score == pytest.approx(whoosh_scores[docnum], rel=1e-4)
    best = sorted(whoosh_scores.values(), reverse=True)[:20]
    assert got.scores == pytest.approx(best, rel=1e-4)


def _docs(searcher, q) -> set[int]:
    return {hit.docnum for hit in searcher.search(q, limit=None)}


def _in_whoosh_fields(q, schema):
    """The same query over Whoosh's own fields: an "any" field matches where any of its fields does."""
    if isinstance(q, (wq.Term, wq.Prefix)) and tables.is_any(q.fieldname):
        return wq.Or([type(q)(name, q.text) for name, _b in tables.parts_of(q.fieldname, schema)])
    if isinstance(q, (wq.And, wq.Or)):
        return type(q)([_in_whoosh_fields(sub, schema) for sub in q.subqueries])
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_in_whoosh_fields(q.a, schema), _in_whoosh_fields(q.b, schema))
    return q


def _has_any(q) -> bool:
    if isinstance(q, (wq.Term, wq.Prefix)):
        return tables.is_any(q.fieldname)
    return any(_has_any(sub) for sub in q.children())


@pytest.mark.parametrize("lang,word", [("en", "water"), ("en", "lopez"), ("en", "kenya"),
                                       ("en", "danli"), ("fr", "eau")])
def test_any_field_scores_are_bm25_of_summed_fields(searcher, lang, word):
    """A word's frequency is summed over the language's fields times their boosts, and so is the length."""
    fieldname, word = any_field(lang), stem(word, lang)
    parts = tables.parts_of(fieldname, searcher.schema)
    reader = searcher.reader()
    size = reader.doc_count_all()
    length = {d: sum(b * reader.doc_field_length(d, f, 0) for f, b in parts) for d in range(size)}
    avg = sum(length.values()) / size
    tf: dict[int, float] = {}
    for leaf, off in reader.leaf_readers():  # deleted documents too: they count in the idf
        for name, boost in parts:
            if (name, word) not in leaf:
                continue
            m = leaf.postings(name, word)
            m = getattr(m, "child", m)
            m.reset()
            for d, w in m.items_as("weight"):
                tf[d + off] = tf.get(d + off, 0.0) + boost * w
    idf = math.log(size / (len(tf) + 1)) + 1
    want = {d: idf * t * 2.2 / (t + 1.2 * (0.25 + 0.75 * length[d] / avg)) for d, t in tf.items()}
    got = execute.run(searcher, wq.Term(fieldname, word), per_page=1000)
    live = {d for d in want if not reader.is_deleted(d)}
    assert set(got.docnums) == live
    if lang == "en":
        assert len(live) > 5
    for d, score in zip(got.docnums, got.scores):
        assert score == pytest.approx(want[d], rel=1e-4)


@pytest.mark.parametrize("text", ["clean water", "shelter displaced border", "water -children"])
def test_a_query_of_several_words_scores_the_sum_of_its_words(searcher, text):
    """The words' fields add into one score array; a hit's score is the sum of its words' alone."""
    words = [w for w in text.split() if not w.startswith("-")]
    alone = [dict(zip(*_ranked(searcher, w))) for w in words]
    docnums, scores = _ranked(searcher, text)
    assert docnums and len(docnums) == len(set(docnums))
    for d, score in zip(docnums, scores):
        assert score == pytest.approx(sum(a[d] for a in alone), rel=1e-5)
    # Inside another query (not at the top) a document that matched one word only scores 0.
    mask, score = execute.View(searcher).evaluate(parse(text).query, True)
    assert not score[~mask].any() and (score[mask] > 0).all()


def test_an_excluded_part_of_an_or_adds_nothing_to_its_score(searcher):
    """In (water ANDNOT children) OR floods a document with children scores for floods alone."""
    water, children, floods = (wq.Term(any_field("en"), stem(w, "en")) for w in ("water", "children", "floods"))
    left, right, wet = (dict(zip(*_ranked(searcher, q)))
                        for q in (wq.AndNot(water, children), floods, water))
    docnums, scores = _ranked(searcher, wq.Or([wq.AndNot(water, children), floods]))
    assert set(docnums) == set(left) | set(right)
    assert any(d in wet and d not in left for d in right)  # the exclusion removed its water
    for d, score in zip(docnums, scores):
        assert score == pytest.approx(left.get(d, 0) + right.get(d, 0), rel=1e-5)


def _ranked(searcher, q) -> tuple[list[int], list[float]]:
    got = execute.run(searcher, parse(q).query if isinstance(q, str) else q, per_page=1000)
    return got.docnums, got.scores


def test_saved_tables_hold_exactly_the_postings_whoosh_has(tmp_path):
    ix = _small_index(tmp_path, segments=2)
    store.save_arrays(ix)
    arrays.STORE.clear()
    with ix.searcher() as s:
        for r, _off in s.reader().leaf_readers():
            seg = arrays.STORE.segment(r)
            for name in ("caption", "keywords", "shingle", "plain", "visible", "lang"):
                table = tables.saved(seg, name)
                assert table is not None and _is_mapped(table.docs), name
                terms = [t.decode() for t in r.lexicon(name)]
                assert len(table.keys) == len(terms)
                for term in terms:
                    ids, tfs = table.get(term)
                    want_ids, want_tfs = arrays.read_postings(r, name, term)
                    assert ids.tolist() == want_ids.tolist()
                    assert tfs.tolist() == want_tfs.tolist()
                assert len(table.get("nosuchterm")[0]) == 0
            # The "any" table is what merging the fields' postings per term gives.
            table = tables.saved(seg, "any")
            assert table is not None
            for term in ("water", "lopez", "kenya", "danli", "nosuchterm"):
                ids, tfs = table.get(term)
                parts = [(arrays.read_postings(r, f, term), b)
                         for f, b in tables.parts_of("any", s.schema)]
                want_ids, want_tfs = tables.merged(parts)
                assert ids.tolist() == want_ids.tolist()
                assert tfs.tolist() == pytest.approx(want_tfs.tolist())
            assert tables.expand(r, seg, "caption", "", 10_000) == sorted(
                t.decode() for t in r.lexicon("caption"))
            lexicon = set(tables.expand(r, seg, "any", "", 10_000))
            assert lexicon == {t.decode() for f, _b in tables.parts_of("any", s.schema)
                               for t in r.lexicon(f)}


@pytest.mark.parametrize("text", ["water", "clean water", "vacc*", "danl*", "a*", "kenya -water",
                                  '"hygiene kits"'])
def test_saved_tables_and_whoosh_files_give_the_same_results(tmp_path, text):
    ix = _small_index(tmp_path, segments=3)
    arrays.STORE.clear()
    with ix.searcher() as s:
        before = _facet_run(s, text), execute.run(s, parse(text).query, per_page=40).scores
    store.save_arrays(ix, procs=2)  # one segment per pool process, as a rebuild does
    assert len([n for n in _saved_files(tmp_path) if n.endswith(".ga_tables.bin")]) == 3
    arrays.STORE.clear()
    with ix.searcher() as s:
        after = _facet_run(s, text), execute.run(s, parse(text).query, per_page=40).scores
    assert after[0] == before[0]
    assert after[1] == pytest.approx(before[1], rel=1e-5)


def test_negation_excludes_at_segment_starts(searcher):
    q = _in_whoosh_fields(parse("shelter -children").query, searcher.schema)
    got = set(execute.run(searcher, q, per_page=1000).docnums)
    assert got == _docs(searcher, q.a) - _docs(searcher, q.b)


def test_filters_dates_and_sorting_match_whoosh(searcher):
    parsed = parse("water OR shelter")
    allow = wq.And([wq.Term("f_category", "health"),
                    wq.DateRange("date", dt.datetime(2012, 1, 1),
                                 dt.datetime(2018, 12, 31, 23, 59))])
    expected = searcher.search(_in_whoosh_fields(parsed.query, searcher.schema), limit=None,
                               filter=allow, sortedby=sorting.FieldFacet("date", reverse=True))
    got = execute.run(searcher, parsed.query, allow=allow, sort="newest", per_page=500)
    assert got.total == len(got.docnums) == len(expected) > 0
    assert set(got.docnums) == {hit.docnum for hit in expected}
    dates = searcher.reader().column_reader("date")
    column = [dates[d] for d in got.docnums]
    assert column == sorted(column, reverse=True)
    oldest = execute.run(searcher, parsed.query, allow=allow, sort="oldest", per_page=500)
    assert [dates[d] for d in oldest.docnums] == sorted(column)


@pytest.mark.parametrize("warmed", [False, True])
def test_facet_filters_match_whoosh_from_codes_or_postings(tmp_path, warmed):
    """A web worker's searcher (warmed: the facets' codes kept) reads filters from the codes."""
    ix = _small_index(tmp_path, segments=3)
    with ix.writer(merge=False) as w:  # deletions, as drains leave them
        for i in range(0, 180, 13):
            w.delete_by_term("id", str(i))
    arrays.STORE.clear()
    with ix.searcher() as s:
        if warmed:
            execute.warm(s, (*FACET_FIELDS.values(), "gallery_id"), ())
        assert (("codes", "f_category") in s.__dict__.get("_gallery_kept", {})) == warmed
        for allow in (wq.Term("f_category", "health"), wq.Term("f_country", "KEN"),
                      wq.And([wq.Term("f_category", "shelter"), wq.Term("f_year", "2015")]),
                      wq.And([wq.Term("gallery_id", "3"), wq.Term("f_credit", "López")]),
                      wq.Term("f_category", "nosuchcategory"), wq.Term("f_year", "1900")):
            want = {hit.docnum for hit in s.search(wq.Every(), filter=allow, limit=None)}
            got = execute.run(s, parse("water OR shelter OR kenya").query, allow=allow, per_page=500)
            also = {hit.docnum for hit in s.search(
                _in_whoosh_fields(parse("water OR shelter OR kenya").query, s.schema), limit=None)}
            assert set(got.docnums) == want & also and got.total == len(want & also), allow
        assert any(execute.run(s, wq.Every(), allow=wq.Term("f_category", "health")).docnums)


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


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other_segment", "no_description"])
def test_a_damaged_tables_file_is_not_read_and_is_written_again(tmp_path, damage):
    ix = _small_index(tmp_path, segments=2)
    store.save_arrays(ix)
    arrays.STORE.clear()
    with ix.searcher() as s:
        expected = _facet_run(s, "water OR danl*")
    for path in tmp_path.glob("*.ga_tables.*"):
        if damage == "truncate" and path.suffix == ".bin":
            path.write_bytes(path.read_bytes()[:-8])
        elif damage == "garbage" and path.suffix == ".json":
            path.write_text('{"segment": ')
        elif damage == "other_segment" and path.suffix == ".json":
            path.write_text(path.read_text().replace('"segment": "', '"segment": "x'))
        elif damage == "no_description" and path.suffix == ".json":
            path.unlink()
    arrays.STORE.clear()
    with ix.searcher() as s:
        assert _facet_run(s, "water OR danl*") == expected
        assert all(tables.saved(arrays.STORE.segment(r), "any") is None
                   for r, _off in s.reader().leaf_readers())
    store.save_arrays(ix)
    arrays.STORE.clear()
    with ix.searcher() as s:
        assert _facet_run(s, "water OR danl*") == expected
        assert all(tables.saved(arrays.STORE.segment(r), "any") is not None
                   for r, _off in s.reader().leaf_readers())


@pytest.mark.parametrize("ties", [False, True])
def test_the_best_of_many_hits_are_those_a_full_sort_gives(ties):
    rng = np.random.default_rng(4)
    primary = -rng.random(300_000).astype(np.float32)
    if ties:  # scores of short captions repeat: many hits share the cut
        primary = np.round(primary * 40) / 40
    hits = np.arange(len(primary), dtype=np.int64) * 3
    for want in (1, 24, 500, 5000):
        got, _primary = execute._best(hits, primary, want)
        edge = np.sort(primary)[want - 1]
        assert set(got.tolist()) == set(hits[primary <= edge].tolist())


def test_hits_tied_on_score_come_newest_first_and_pages_agree(searcher):
    q = parse("country:kenya").query  # every hit scores the same in a one-word field
    whole = execute.run(searcher, q, per_page=1000)
    assert len(whole.docnums) > 100 and len(set(whole.scores)) < 5
    dates = searcher.reader().column_reader("date", translate=False)  # no date: the lowest
    key = {d: (-s, -dates[d], d) for d, s in zip(whole.docnums, whole.scores)}
    assert whole.docnums == sorted(whole.docnums, key=key.__getitem__)
    paged = [d for page in range(1, 6) for d in execute.run(searcher, q, page=page, per_page=7).docnums]
    assert paged == whole.docnums[:len(paged)]
