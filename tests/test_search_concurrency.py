"""Two processes writing to one index lose nothing; a drain killed mid-way is recovered."""
from __future__ import annotations

import multiprocessing

from gallery.services import search
from gallery.services.search import store
from tests import search_workers


def _config(app) -> dict:
    return {key: app.config[key] for key in ("DATABASE_URL", "SEARCH_INDEX_DIR", "UPLOAD_DIR")}


def _index_ids(app) -> set[int]:
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as s:
        return {int(f["id"]) for f in s.reader().all_stored_fields()}


def test_two_processes_write_at_once_and_nothing_is_lost(app, make_gallery):
    gallery = make_gallery()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=search_workers.write_concurrently,
                         args=(_config(app), gallery.id, 25, tag, out)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    reports = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert all(r[0] == "ok" for r in reports), reports
    written = {i for r in reports for i in r[2]}
    assert len(written) == 50
    # Whatever a busy writer left queued is drained by the next writer.
    result = search.drain(timeout=5)
    assert not result.busy and result.remaining == 0
    assert _index_ids(app) == written
    assert search.run("concurrent water", None, per_page=100).total == 50
    assert search.check().clean


def test_killed_drain_is_recovered_by_reindex_pending(app, runner, make_gallery, make_asset):
    gallery = make_gallery()
    with store.writer_lock(app.config["SEARCH_INDEX_DIR"], timeout=1):
        assets = [make_asset(gallery, caption=f"Queued photo {i}") for i in range(3)]
    assert search.pending().entries == 3
    proc = multiprocessing.get_context("spawn").Process(
        target=search_workers.drain_and_die, args=(_config(app),))
    proc.start()
    proc.join(timeout=120)
    assert proc.exitcode == -9  # killed after the Whoosh commit, before the cursor was written
    assert search.pending().entries == 3
    assert _index_ids(app) == {a.id for a in assets}  # committed to Whoosh, cursor still behind
    app.config["SEARCH_BACKLOG_GRACE"] = -1
    assert runner.invoke(args=["check"]).exit_code == 1
    pending = runner.invoke(args=["reindex", "--pending"])
    assert pending.exit_code == 0 and "3 indexed" in pending.output, pending.output
    report = runner.invoke(args=["check"])
    assert report.exit_code == 0, report.output
    assert _index_ids(app) == {a.id for a in assets}
    assert search.run("queued photo", None).total == 3
