"""The search index follows the database: outbox drain, helpers, rebuild, check."""
from __future__ import annotations

import os

from sqlalchemy import select

from gallery.extensions import db
from gallery.models import SearchOutbox
from gallery.services import search
from gallery.services.search import changelog, store, sync


def _ids(app) -> set[int]:
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        return {int(f["id"]) for f in s.reader().all_stored_fields()}


def _backlog() -> int:
    """Log entries this server's index has not applied."""
    return search.pending().entries


def _pending_ids() -> set[int]:
    # Past the cursor's position and not in its applied set: on PostgreSQL the position stays
    # below entries while an older transaction of this database runs.
    return set(db.session.scalars(select(SearchOutbox.asset_id).where(
        changelog.unapplied(sync.local_cursor()))))


def test_ingest_indexes_and_applies_the_log(app, make_gallery, make_asset):
    gallery = make_gallery()
    a = make_asset(gallery, caption="Women collect water")
    b = make_asset(gallery, caption="Children at school")
    assert _ids(app) == {a.id, b.id}
    assert _backlog() == 0
    assert search.check().clean


def test_busy_writer_leaves_rows_queued_then_next_writer_drains(app, make_gallery, make_asset):
    gallery = make_gallery()
    first = make_asset(gallery, caption="First")
    with store.writer_lock(app.config["SEARCH_INDEX_DIR"], timeout=1):
        second = make_asset(gallery, caption="Second")  # ingest succeeds; no LockError
        assert _backlog() == 1
        assert search.drain(timeout=0.05).busy
    assert second.id not in _ids(app)
    result = search.drain()
    assert not result.busy and result.indexed == 1 and result.remaining == 0
    assert _ids(app) == {first.id, second.id}


def test_queue_gallery_and_category_reindex_all_assets(app, make_gallery, make_asset):
    health = make_gallery(title="Clinics")
    a = make_asset(health)
    b = make_asset(health)
    other = make_asset(make_gallery(title="Shelter kits", category="Shelter"))
    search.queue_gallery(health.id)
    db.session.commit()
    assert _pending_ids() == {a.id, b.id}
    search.queue_category(health.category_id)
    search.queue_category(other.gallery.category_id)
    db.session.commit()
    assert _backlog() == 5
    search.after_commit()
    assert _backlog() == 0


def test_deleted_asset_leaves_the_index(app, make_gallery, make_asset):
    gallery = make_gallery()
    keep = make_asset(gallery)
    gone = make_asset(gallery)
    search.queue_gallery(gallery.id, "delete")
    db.session.delete(gone)
    db.session.commit()
    search.after_commit()
    assert _ids(app) == {keep.id}
    assert search.check().clean


def test_rebuild_swaps_in_a_new_version(app, make_gallery, make_asset):
    root = app.config["SEARCH_INDEX_DIR"]
    gallery = make_gallery()
    assets = [make_asset(gallery) for _ in range(3)]
    before = store.current_name(root)
    assert search.rebuild() == 3
    after = store.current_name(root)
    assert after != before
    assert _ids(app) == {a.id for a in assets}
    search.rebuild()
    versions = sorted(p for p in __import__("os").listdir(root) if p.startswith("v"))
    assert len(versions) == 2 and store.current_name(root) in versions and before not in versions


def test_cached_searcher_sees_merges_without_stale_segments(app, make_gallery, make_asset):
    # whoosh-reloaded's searcher.refresh() keeps merged-away segments; the cache must not.
    gallery = make_gallery()
    assets = [make_asset(gallery) for _ in range(4)]
    assert _ids(app) == {a.id for a in assets}
    ix = store.open_current(app.config["SEARCH_INDEX_DIR"])
    with ix.writer() as w:
        w.mergetype = __import__("whoosh.writing", fromlist=["OPTIMIZE"]).OPTIMIZE
    ix.close()
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        assert s.doc_count() == 4 and len(list(s.reader().all_stored_fields())) == 4


def test_cli_check_and_reindex(app, runner, make_gallery, make_asset):
    gallery = make_gallery()
    a = make_asset(gallery)
    ok = runner.invoke(args=["check"])
    assert ok.exit_code == 0, ok.output
    with store.writer_lock(app.config["SEARCH_INDEX_DIR"], timeout=1):
        b = make_asset(gallery)
    app.config["SEARCH_BACKLOG_GRACE"] = -1
    drift = runner.invoke(args=["check"])
    assert drift.exit_code == 1 and "change log backlog 1" in drift.output
    pending = runner.invoke(args=["reindex", "--pending"])
    assert pending.exit_code == 0 and "1 indexed" in pending.output
    assert runner.invoke(args=["check"]).exit_code == 0
    full = runner.invoke(args=["reindex"])
    assert full.exit_code == 0 and "Indexed 2 assets" in full.output
    assert _ids(app) == {a.id, b.id}


def test_index_of_an_older_schema_is_reported_then_rebuilt_by_init(app, runner, make_gallery,
                                                                   make_asset):
    root = app.config["SEARCH_INDEX_DIR"]
    gallery = make_gallery()
    a = make_asset(gallery, caption="Nurses vaccinate children in Danlí")
    # An index left by an earlier release: no schema version beside it.
    os.remove(os.path.join(root, store.current_name(root), store.VERSION_FILE))
    assert store.outdated(root)
    b = make_asset(gallery, caption="Nurses at the border")
    assert _backlog() == 1  # the new document waits for the rebuild; nothing is lost
    report = runner.invoke(args=["check"])
    assert report.exit_code == 1 and "older search schema" in report.output
    pending = runner.invoke(args=["reindex", "--pending"])
    assert pending.exit_code == 1 and "older search schema" in pending.output
    init = runner.invoke(args=["init"])
    assert init.exit_code == 0 and "Search index rebuilt" in init.output
    assert not store.outdated(root) and _backlog() == 0
    assert _ids(app) == {a.id, b.id}
    assert runner.invoke(args=["check"]).exit_code == 0
    again = runner.invoke(args=["init"])
    assert "Search index rebuilt" not in again.output


def test_bulk_write_in_chunks_and_processes_indexes_everything(app, make_gallery, make_asset):
    from whoosh import index

    from gallery.services.search.indexing import write_all

    gallery = make_gallery()
    assets = [make_asset(gallery) for _ in range(12)]
    root = app.config["SEARCH_INDEX_DIR"]
    ix = index.open_dir(os.path.join(root, store.new_version(root)))
    # Chunks of 4 per process with 2 processes: 8 documents in two processes, a segment each,
    # then the 4 left in this process.
    assert write_all(ix, assets, procs=2, chunk=4) == 12
    with ix.searcher() as s:
        assert [leaf.doc_count_all() for leaf, _ in s.reader().leaf_readers()] == [4, 4, 4]
        assert {int(f["id"]) for f in s.reader().all_stored_fields()} == {a.id for a in assets}
    ix.close()


def test_a_searcher_refresh_never_makes_other_searches_wait(app, make_gallery, make_asset,
                                                             monkeypatch):
    import threading

    gallery = make_gallery()
    make_asset(gallery, caption="First")
    cache = store.searcher_cache(app.config["SEARCH_INDEX_DIR"])
    with cache.lease() as searcher:
        assert searcher.doc_count() == 1
    make_asset(gallery, caption="Second")  # a new segment: the cached searcher is stale
    opening, release = threading.Event(), threading.Event()
    real = store._Entry.__init__

    def slow_open(self, name, ix):
        opening.set()
        assert release.wait(30)
        real(self, name, ix)

    monkeypatch.setattr(store._Entry, "__init__", slow_open)
    counts: dict[str, int] = {}

    def search(key: str) -> None:
        with cache.lease() as s:
            counts[key] = s.doc_count()

    refresher = threading.Thread(target=search, args=("refresher",))
    refresher.start()
    assert opening.wait(30)
    # While one thread opens and warms the new searcher, another search answers at once from
    # the previous one instead of waiting for it.
    other = threading.Thread(target=search, args=("other",))
    other.start()
    other.join(timeout=10)
    assert not other.is_alive() and counts["other"] == 1
    release.set()
    refresher.join(timeout=30)
    assert counts["refresher"] == 2
    search("after")
    assert counts["after"] == 2


def test_merge_tiers_pick_the_smallest_full_tier_below_the_cap():
    from gallery.services.search import merging

    assert [merging.tier(n) for n in (0, 1, 9, 10, 99, 100, 54_321)] == [0, 0, 0, 1, 1, 2, 4]
    assert merging.to_merge([1] * 9, 1_000) == []
    assert merging.to_merge([50_000, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1_000) == list(range(1, 11))
    # Ten tier-1 segments and nine tier-0: the full tier merges, the other waits.
    sizes = [20] * 10 + [3] * 9
    assert merging.to_merge(sizes, 1_000) == list(range(10))
    # Segments from the cap up are a rebuild's: a commit never merges them, however many.
    assert merging.to_merge([2_000] * 30, 1_000) == []


def test_drains_keep_few_small_segments_and_never_merge_the_big_ones(app, make_gallery,
                                                                      make_asset, monkeypatch):
    from gallery.services.search import merging

    gallery = make_gallery()
    assets = [make_asset(gallery, caption=f"Clean water point {i}") for i in range(8)]
    monkeypatch.setitem(app.config, "SEARCH_SEGMENT_DOCS", 4)
    sync.rebuild()
    root = app.config["SEARCH_INDEX_DIR"]

    def segments() -> dict[str, int]:
        with store.searcher_cache(root).lease() as s:
            return {r.segment().segment_id(): r.doc_count_all() for r, _ in s.reader().leaf_readers()}

    big = segments()
    assert sorted(big.values()) == [4, 4]
    # Small numbers stand for the real ones: tiers of 2 (1, 2-3, 4-7...), nothing from 4 up.
    monkeypatch.setattr(merging, "FACTOR", 2)
    monkeypatch.setattr(merging, "INLINE_MAX_DOCS", 4)
    for n in range(14):
        search.queue_assets([assets[n % 8].id])
        db.session.commit()
        sync.after_commit()
        now = segments()
        # The rebuild's segments are never merged: each stays as it is until every asset in it
        # (0-3, then 4-7) has a newer copy, and then goes.
        assert [segid for segid in big if segid in now] == \
            [segid for segid, last in zip(big, (3, 7)) if n < last]
        small = [size for segid, size in now.items() if segid not in big]
        for level in {merging.tier(size) for size in small if size < 4}:
            assert sum(1 for size in small if size < 4 and merging.tier(size) == level) <= 2
    assert len(segments()) <= 2 + 2 * 2  # the big ones, and at most FACTOR in each small tier
    assert _ids(app) == {a.id for a in assets}
    assert search.run("water", user=None).total == 8


def test_a_segment_left_without_live_documents_is_dropped_by_the_next_commit(app, make_gallery,
                                                                           make_asset):
    gallery = make_gallery()
    water = make_asset(gallery, caption="Cholera vaccination point")
    borehole = make_asset(gallery, caption="A borehole")
    sync.rebuild()  # one segment of both
    for _ in range(3):  # edited three times: each drain adds its copy and deletes the last one
        search.queue_assets([water.id])
        db.session.commit()
        sync.after_commit()
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        leaves = [(r.doc_count_all(), r.doc_count()) for r, _ in s.reader().leaf_readers()]
    # The rebuild's segment (the borehole and the first copy, deleted) and the latest copy: the
    # copies in between held nothing and are gone.
    assert leaves == [(2, 1), (1, 1)]
    assert [h.asset.id for h in search.run("vaccination", user=None).hits] == [water.id]
    search.queue_assets([water.id, borehole.id])
    db.session.commit()
    sync.after_commit()
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        assert [r.doc_count() for r, _ in s.reader().leaf_readers()] == [2]  # the rebuild's too
    assert search.run("vaccination OR borehole", user=None).total == 2


def test_a_rebuild_lets_go_of_the_old_versions_arrays(app, make_gallery, make_asset):
    from gallery.services.search import arrays

    gallery = make_gallery()
    make_asset(gallery, caption="Clean water point")
    root = app.config["SEARCH_INDEX_DIR"]
    assert search.run("water", user=None).total == 1
    old = os.path.join(root, store.current_name(root))
    assert any(k.startswith(f"{old}:") for k in arrays.STORE.segments)
    sync.rebuild()
    assert search.run("water", user=None).total == 1
    new = os.path.join(root, store.current_name(root))
    assert new != old
    assert not any(k.startswith(f"{old}:") for k in arrays.STORE.segments)
    assert any(k.startswith(f"{new}:") for k in arrays.STORE.segments)


def test_a_worker_opens_the_index_as_it_starts_and_its_first_search_uses_it(app, make_gallery,
                                                                           make_asset, caplog):
    make_asset(make_gallery(), caption="Warm start at the clinic")
    store.close_all()  # as a new worker process: nothing open yet
    cache = store.searcher_cache(app.config["SEARCH_INDEX_DIR"])
    assert cache.entry is None
    assert search.warm_up()
    assert "could not" not in caplog.text  # the index opened and the rows' statements ran
    opened = cache.entry
    assert opened is not None
    assert search.run("clinic", None).total == 1
    assert cache.entry is opened  # the first visitor did not pay for opening it


def test_warming_up_never_makes_an_index(app, tmp_path):
    """A worker that starts before `gallery init` (or before the sync's first pass) still starts."""
    root = tmp_path / "no-index-yet"
    app.config["SEARCH_INDEX_DIR"] = str(root)
    assert search.warm_up() is False
    assert not root.exists() or not any(p.is_dir() for p in root.iterdir())
