"""The bulk path (search/bulk.py) writes exactly what Whoosh's own writer writes, in one process or several."""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
from array import array
from types import SimpleNamespace

import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3PostingsWriter, W3TermInfo
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Existence, Frequency
from whoosh.system import pack_uint

from gallery.services.search import store
from gallery.services.search.bulk import BlockPostingsWriter, write_parts
from gallery.services.search.indexing import write_all
from gallery.services.search.schema import make_document

WORDS = {
    "en": ("displaced families receive hygiene kits at the border crossing after the floods; "
           "children queue for vaccination, nurses train volunteers in Danlí and Cúcuta").split(),
    "fr": ("des familles déplacées reçoivent de l'eau potable à Goma ; les enfants attendent "
           "la vaccination d'urgence près de la frontière après les inondations").split(),
    "es": ("familias desplazadas reciben agua potable en la frontera; los niños esperan la "
           "vacunación tras las inundaciones en la Región Autónoma").split(),
}
KEYWORDS = {"en": ["water", "floods", "border", "vaccination"],
            "fr": ["inondations", "eau", "frontière", "santé"],
            "es": ["inundaciones", "agua", "frontera", "vacunación"]}


def _text(rng: random.Random, lang: str, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(rng.randint(low, high)))


def corpus(n: int, seed: int = 5) -> list[SimpleNamespace]:
    """Assets of English, French and Spanish galleries: translations, empty fields, trash, no dates."""
    rng = random.Random(seed)
    countries = [SimpleNamespace(alpha3="KEN", alpha2="KE", name="Kenya", official_name=None),
                 SimpleNamespace(alpha3="COD", alpha2="CD", name="Congo, The Democratic Republic of the",
                                 official_name="Democratic Republic of the Congo")]
    galleries = []
    for gid in range(1, 13):
        lang = ("en", "fr", "es")[gid % 3]
        galleries.append(SimpleNamespace(
            id=gid, title=_text(rng, lang, 2, 5), description=_text(rng, lang, 0, 12),
            language=lang, translations={"en": {"title": "Water"}} if gid % 4 == 0 else {},
            status="published" if gid % 5 else "draft", deleted_at=None, embargo_until=None,
            date=dt.date(2010 + gid, 1 + gid % 12, 3) if gid % 6 else None,
            category=SimpleNamespace(slug="health", name="Health") if gid % 2
            else SimpleNamespace(slug="shelter", name="Shelter"),
            country=countries[gid % 2] if gid % 7 else None))
    assets = []
    for i in range(1, n + 1):
        g = galleries[rng.randrange(len(galleries))]
        lang = g.language
        other = rng.choice([x for x in WORDS if x != lang])
        assets.append(SimpleNamespace(
            id=i, gallery=g, title=_text(rng, lang, 1, 4) if rng.random() < 0.4 else "",
            caption=_text(rng, lang, 0, 40), alt_text=_text(rng, lang, 1, 6) if i % 3 == 0 else "",
            translations={other: {"caption": _text(rng, other, 3, 20)}} if i % 5 == 0 else {},
            keywords=rng.sample(KEYWORDS[lang], rng.randint(0, 3)),
            credit=rng.choice(["Photo: J. Hernández", "Photo: A. Yusuf", ""]),
            creator=rng.choice(["Amina Yusuf", "José López", ""]), city=rng.choice(["Goma", "Danlí", ""]),
            country=countries[0] if i % 11 == 0 else None,
            media_type=rng.choice(["image", "image", "video", "audio"]), status="published",
            deleted_at=dt.datetime(2024, 1, 1) if i % 97 == 0 else None, consent="obtained",
            embargo_until=None, rights_expire_on=None,
            date_taken=dt.date(2020, 1 + i % 12, 1 + i % 28) if i % 13 else None,
            created_at=dt.datetime(2024, 2, 1) if i % 26 == 0 else None))
    return assets


def _new_index(path) -> index.Index:
    name = store.new_version(str(path))
    return index.open_dir(os.path.join(str(path), name))


def _whoosh_build(ix, assets) -> None:
    """The previous path: Whoosh's SegmentWriter and its posting pool, one segment."""
    writer = store.writer(ix, compound=False, limitmb=512)
    for asset in assets:
        writer.add_document(**make_document(asset))
    writer.commit(merge=False)


def _segment_files(ix) -> dict[str, bytes]:
    folder = ix.storage.folder
    out = {}
    for name in os.listdir(folder):
        m = re.fullmatch(r"MAIN_[a-z0-9]+(\..+)", name)
        if m:
            with open(os.path.join(folder, name), "rb") as fh:
                out[m.group(1)] = fh.read()
    return out


def test_a_bulk_segment_has_the_bytes_of_whooshs_own_writer(tmp_path):
    assets = corpus(2600)  # some terms span three posting blocks of 1,024
    old, new = _new_index(tmp_path / "old"), _new_index(tmp_path / "new")
    _whoosh_build(old, assets)
    assert write_all(new, assets, procs=1, chunk=10_000) == 2600
    before, after = _segment_files(old), _segment_files(new)
    assert {".pst", ".trm", "._caption_fr_len.col", ".keywords_fr"} - set(after) == {".keywords_fr"}
    assert sorted(after) == sorted(before)
    different = [ext for ext in before if after[ext] != before[ext]]
    assert different == []


def _content(ix) -> dict:
    """Everything a search reads, per document id: terms with weights and values, lengths, columns."""
    with ix.reader() as reader:
        schema = reader.schema
        ids = {}
        for leaf, offset in reader.leaf_readers():
            for docnum in range(leaf.doc_count_all()):
                ids[offset + docnum] = leaf.stored_fields(docnum)["id"]
        postings = {}
        for fieldname, text in reader.all_terms():
            m = reader.postings(fieldname, text)
            items = []
            while m.is_active():
                items.append((ids[m.id()], m.weight(), m.value()))
                m.next()
            postings[(fieldname, text)] = sorted(items)
        lengths = {(ids[d], f): reader.doc_field_length(d, f) for d in ids
                   for f in schema.scorable_names()}
        columns = {}
        for f in schema.names():
            if schema[f].column_type and reader.has_column(f):
                col = reader.column_reader(f, translate=False)
                columns.update({(ids[d], f): col[d] for d in ids})
        stored = {ids[d]: reader.stored_fields(d) for d in ids}
        totals = {f: reader.field_length(f) for f in schema.scorable_names()}
        return {"postings": postings, "lengths": lengths, "columns": columns, "stored": stored,
                "totals": totals, "count": reader.doc_count_all()}


def test_segments_built_in_several_processes_hold_the_same_index(tmp_path):
    assets = corpus(1400, seed=9)
    old, new = _new_index(tmp_path / "old"), _new_index(tmp_path / "new")
    _whoosh_build(old, assets)
    # Parts of 300, two forked processes at a time (each part made here while the others are
    # indexed), the last one a remainder under a chunk.
    assert write_all(new, assets, procs=2, chunk=300) == 1400
    with new.reader() as reader:
        sizes = [leaf.doc_count_all() for leaf, _offset in reader.leaf_readers()]
    assert sizes == [300, 300, 300, 300, 200]
    content = _content(new)
    assert content["count"] == 1400 and ("keywords_fr", "inond".encode()) in content["postings"]
    assert content == _content(old)


def test_a_failure_while_processes_index_commits_nothing(tmp_path):
    assets = corpus(400, seed=2)
    del assets[350].gallery  # the fourth part's documents fail, made here while others are indexed
    ix = _new_index(tmp_path / "ix")
    with pytest.raises(AttributeError, match="gallery"):
        write_all(ix, assets, procs=2, chunk=100)
    assert index.open_dir(ix.storage.folder).doc_count_all() == 0
    assert write_all(ix, corpus(50), procs=1) == 50  # the lock was released
    assert index.open_dir(ix.storage.folder).doc_count_all() == 50


def test_a_failing_process_commits_nothing(tmp_path):
    docs = [make_document(a) for a in corpus(300, seed=4)]
    docs[250]["no_such_field"] = "x"  # fails in the third part's process
    ix = _new_index(tmp_path / "ix")
    with pytest.raises(RuntimeError, match="no_such_field"):
        write_parts(ix, [docs[:100], docs[100:200], docs[200:]], 2, {"codec": store.codec()},
                    store.writer(ix))
    assert index.open_dir(ix.storage.folder).doc_count_all() == 0
    assert write_all(ix, corpus(20), procs=1) == 20


@pytest.mark.parametrize("n", [1, 5, 1023, 1024, 1025, 2048, 3000])
@pytest.mark.parametrize("fmt", [Frequency(), Existence()])
def test_a_whole_posting_list_is_written_as_add_posting_writes_it(n, fmt):
    rng = random.Random(n)
    ids = sorted(rng.sample(range(10 * n), n))
    counts = [rng.choice([1, 1, 1, 2, 5]) if isinstance(fmt, Frequency) else 1 for _ in ids]
    values = [pack_uint(c) if isinstance(fmt, Frequency) else b"" for c in counts]
    weights = [float(c) for c in counts]

    def written(bulk: bool) -> tuple[bytes, bytes]:
        f = StructFile(io.BytesIO())
        f.write(b"HEAD")
        cls = BlockPostingsWriter if bulk else W3PostingsWriter
        pw = cls(f, blocklimit=1024, compression=3, inlinelimit=1)
        pw.start_postings(fmt, W3TermInfo())
        if bulk:
            size = fmt.fixed_value_size()
            pw.write_list(array("I", ids), weights, b"".join(values) if size else values, size,
                          lambda s, e: max(0, max(weights[s:e])))
        else:
            for i, w, v in zip(ids, weights, values):
                pw.add_posting(i, w, v, 0)
        info = pw.finish_postings()
        return f.file.getvalue(), info.to_bytes()

    assert written(True) == written(False)


def test_reindex_reads_the_documents_the_orm_objects_give(app, make_gallery, make_asset):
    from sqlalchemy import select

    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services.search.indexing import iter_assets

    fr = make_gallery(title="Inondations à Goma", category="Health", country="COD",
                      description="Les équipes de santé.")
    fr.language = "fr"
    fr.translations = {"en": {"title": "Floods in Goma"}}
    en = make_gallery(title="Water in Lodwar", category="Shelter", country=None)
    made = [make_asset(fr, caption="Des enfants déplacés à Goma.", keywords=["inondations", "eau"]),
            make_asset(fr, caption="Une infirmière.", title="Santé", city="Goma"),
            make_asset(en, caption="Clean water.", keywords=["water"], credit="Photo: A. Yusuf",
                       country="KEN", date_taken=dt.date(2021, 1, 4)),
            make_asset(en, caption="A borehole.")]
    made[0].translations = {"es": {"caption": "Niños desplazados en Goma."}}
    made[3].deleted_at = dt.datetime(2024, 1, 1)
    db.session.commit()
    expected = [make_document(a) for a in db.session.scalars(select(Asset).order_by(Asset.id))]
    got = [make_document(a) for a in iter_assets(batch=3)]  # two batches, galleries shared
    assert got == expected
    assert len(got) == 4 and got[0]["keywords_fr"] == "inondations eau"
    assert got[2]["f_country"] == "KEN" and got[3]["trashed"] == "1"


def test_gallery_reindex_builds_its_segments_in_processes(app, runner, make_gallery, make_asset,
                                                          monkeypatch):
    from gallery.extensions import db
    from gallery.services import search

    goma = make_gallery(title="Goma", category="Health", country="COD")
    goma.language = "fr"
    db.session.commit()
    made = [make_asset(goma, caption=f"Des familles déplacées, photo {i}.", keywords=["inondées"])
            for i in range(5)]
    monkeypatch.setitem(app.config, "SEARCH_SEGMENT_DOCS", 2)
    result = runner.invoke(args=["reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 assets" in result.output
    # Parts of at most 2 assets, four (a multiple of the processes: no round with one idle), each
    # read, made into documents and indexed in a forked process of its own, two at a time; the
    # app's session is still usable after the forks.
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        assert [r.doc_count_all() for r, _offset in s.reader().leaf_readers()] == [1, 1, 1, 2]
    found = search.run("inondé déplacés", None)
    assert {h.asset.id for h in found.hits} == {a.id for a in made}


def test_reindex_parts_hold_every_asset_once_across_gaps_in_ids(app, runner, make_gallery,
                                                                 make_asset, admin, monkeypatch):
    from gallery.services import search, trash

    gallery = make_gallery(title="Kakuma", category="Shelter", country="KEN")
    made = [make_asset(gallery, caption=f"Shelters in Kakuma, photo {i}.") for i in range(9)]
    for gone in (made[1], made[2], made[6]):  # purged: their ids are gaps the parts step over
        trash.trash_asset(gone.id, admin)
        trash.purge_asset(gone.id, admin)
    kept = [a for a in made if a not in (made[1], made[2], made[6])]
    monkeypatch.setitem(app.config, "SEARCH_SEGMENT_DOCS", 4)
    result = runner.invoke(args=["reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "Indexed 6 assets" in result.output
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        # Two even parts (at most 4 each): one for each process, both busy to the end.
        assert [r.doc_count_all() for r, _offset in s.reader().leaf_readers()] == [3, 3]
        ids = [int(f["id"]) for f in s.reader().all_stored_fields()]
    assert sorted(ids) == [a.id for a in kept]
    assert {h.asset.id for h in search.run("shelters kakuma", None).hits} == {a.id for a in kept}


@pytest.mark.parametrize("procs, sizes", [(1, [3, 3, 4]), (2, [2, 3, 2, 3]), (3, [3, 3, 4])])
def test_reindex_parts_are_even_and_keep_every_process_busy(app, runner, make_gallery, make_asset,
                                                            monkeypatch, procs, sizes):
    from gallery.services import search

    gallery = make_gallery(title="Cox's Bazar", category="Shelter", country="BGD")
    made = [make_asset(gallery, caption=f"Bamboo shelters before the monsoon, photo {i}.")
            for i in range(10)]
    monkeypatch.setitem(app.config, "SEARCH_SEGMENT_DOCS", 4)
    result = runner.invoke(args=["reindex", "--procs", str(procs)])
    assert result.exit_code == 0, result.output
    # Never over 4 a segment, never one much smaller than the others; on two processes four
    # parts, not three: a third round would have one process indexing alone.
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        assert [r.doc_count_all() for r, _offset in s.reader().leaf_readers()] == sizes
    assert {h.asset.id for h in search.run("bamboo shelters", None, per_page=50).hits} \
        == {a.id for a in made}


def test_a_reindex_whose_process_fails_keeps_the_index_that_served(app, runner, make_gallery,
                                                                    make_asset, monkeypatch):
    from gallery.services import search
    from gallery.services.search import indexing

    gallery = make_gallery(title="Goma", category="Health", country="COD")
    made = [make_asset(gallery, caption=f"Cholera vaccination in Goma, photo {i}.") for i in range(5)]
    real = indexing.make_document

    def broken(asset):
        if asset.id == made[3].id:  # in the second part, read and made in its own process
            raise ValueError("unreadable caption")
        return real(asset)

    monkeypatch.setattr(indexing, "make_document", broken)
    monkeypatch.setitem(app.config, "SEARCH_SEGMENT_DOCS", 2)
    result = runner.invoke(args=["reindex", "--procs", "2"])
    assert result.exit_code != 0
    assert "unreadable caption" in str(result.exception)
    # The index that served before still does, with every asset, and the writer was released.
    assert {h.asset.id for h in search.run("cholera goma", None).hits} == {a.id for a in made}
    monkeypatch.setattr(indexing, "make_document", real)
    assert runner.invoke(args=["reindex", "--procs", "2"]).exit_code == 0
    assert {h.asset.id for h in search.run("cholera goma", None).hits} == {a.id for a in made}
