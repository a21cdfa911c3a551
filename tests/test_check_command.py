"""`gallery check [--repair]`: rows, stored files and the search index compared both ways."""
from __future__ import annotations

import io
import multiprocessing
import multiprocessing.connection
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset, Rendition
from gallery.services import ingest, integrity, search, served, storage
from gallery.services.search import store
from tests import integrity_workers
from tests.conftest import gps_image_bytes, image_bytes

DAYS_AGO = 2 * 24 * 60 * 60


def age(app, key: str, seconds: int = DAYS_AGO) -> None:
    """Move a stored file's clock back, as if it had been written `seconds` ago."""
    past = time.time() - seconds
    os.utime(os.path.join(app.config["UPLOAD_DIR"], key), (past, past))


def age_everything(app) -> None:
    for folder in (*storage.STORED_FOLDERS, storage.TMP_FOLDER):
        for found in storage.listing(folder):
            age(app, found.key)


def uploads(app) -> set[str]:
    """Every file under the upload directory, as keys."""
    return {f.key for folder in (*storage.STORED_FOLDERS, storage.TMP_FOLDER)
            for f in storage.listing(folder)}


def referenced() -> set[str]:
    keys = set(db.session.scalars(select(Asset.storage_key)))
    keys |= {k for k in db.session.scalars(select(Asset.served_key)) if k}
    return keys | set(db.session.scalars(select(Rendition.storage_key)))


def test_in_step_catalogue_is_clean(app, runner, make_gallery, make_asset):
    make_asset(make_gallery())
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "Orphan files (no row): 0" in result.output
    assert "Database, stored files and search index are in step." in result.output


def test_killed_import_leaves_orphans_that_check_reports_and_repair_removes(app, runner, tmp_path):
    """A real `gallery import-folder`, killed with SIGKILL while it reads its third file."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(gps_image_bytes())  # located: its served copy is background work
    (folder / "b.jpg").write_bytes(image_bytes(color=(10, 200, 30)))
    fifo = folder / "c.jpg"
    os.mkfifo(fifo)  # the import blocks reading it: the test knows exactly where the import is
    config = {k: app.config[k] for k in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
    proc = multiprocessing.get_context("spawn").Process(
        target=integrity_workers.import_folder, args=(config, str(folder)))
    proc.start()
    watchdog = threading.Thread(target=_release_if_gone, args=(proc, fifo), daemon=True)
    watchdog.start()
    # Opening the pipe returns once the import opened c.jpg: a.jpg and b.jpg are stored, their
    # rows not yet committed (one commit per INGEST_BATCH_SIZE files).
    with open(fifo, "wb", buffering=0) as pipe:
        assert proc.is_alive(), "the import ended before it reached c.jpg"
        data = memoryview(b"\xff\xd8\xff\xe0" + bytes(256 * 1024))
        while data:  # more than a pipe holds: done once the import reads, its temp file made
            data = data[pipe.write(data):]
        proc.kill()
        proc.join(timeout=60)
    assert proc.exitcode == -9
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    left = uploads(app)
    orphans = {k for k in left if not storage.is_temp(k)}
    temps = {k for k in left if storage.is_temp(k)}
    assert len(orphans) == 8  # 2 originals, 2 x (thumb, preview, large); served copies come later
    assert len(temps) == 1 and next(iter(temps)).startswith("tmp/")

    report = runner.invoke(args=["check"])
    assert report.exit_code == 1
    assert "Orphan files (no row): 8" in report.output
    assert all(f"  {key}" in report.output for key in orphans)
    assert "Stale temp files (older than an hour): 0" in report.output  # still fresh
    age_everything(app)  # the crash was two days ago
    report = runner.invoke(args=["check"])
    assert report.exit_code == 1 and "Stale temp files (older than an hour): 1" in report.output

    repaired = runner.invoke(args=["check", "--repair"])
    assert "Repair: 8 orphan files and 1 temp files removed" in repaired.output, repaired.output
    assert repaired.exit_code == 0
    assert uploads(app) == set()
    assert runner.invoke(args=["check"]).exit_code == 0


def _release_if_gone(proc, fifo) -> None:
    """If the import dies before opening the pipe, open it so the test's open() returns."""
    # Wait on the sentinel, not join(): a second join would race the test's own for the exit code.
    multiprocessing.connection.wait([proc.sentinel], timeout=120)
    try:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.fixture
def catalogue_with_every_problem(app, make_gallery, make_asset):
    """Assets in step, then each kind of problem made as a crash or a lost file would."""
    gallery = make_gallery()
    plain, lost = make_asset(gallery), make_asset(gallery)
    located = ingest.ingest(gallery, io.BytesIO(gps_image_bytes()), "located.jpg", {}, None).asset
    located = served.ensure(located)  # its served copy, made as the background piece would
    assert located.served_key != located.storage_key
    sha = "ab" * 32
    # What a killed ingest leaves: files written before their row, a spooled upload, and a
    # rendition's temp file beside its key (save_bytes writes there, then renames).
    orphans = [storage.save_bytes(image_bytes(), storage.original_key(sha, "jpg")).key,
               storage.save_bytes(b"jpeg", storage.rendition_key(sha, "thumb")).key,
               storage.save_bytes(b"jpeg", storage.served_key(sha, "jpg")).key]
    spooled = storage.spool(io.BytesIO(b"half an upload")).path
    beside = storage.rendition_key(sha, "preview") + ".x1y2.part"
    with open(storage.path(beside), "wb") as fh:
        fh.write(b"half a rendition")
    temps = [os.path.relpath(spooled, app.config["UPLOAD_DIR"]), beside]
    thumb = plain.rendition("thumb")
    os.unlink(storage.path(thumb.storage_key))
    os.unlink(storage.path(located.served_key))
    os.unlink(storage.path(lost.storage_key))
    # The index lost a document (a killed drain after its rows were deleted, say).
    ix = store.open_current(app.config["SEARCH_INDEX_DIR"])
    with ix.writer() as writer:
        writer.delete_by_term("id", str(located.id))
    ix.close()
    return {"plain": plain, "located": located, "lost": lost, "orphans": orphans, "temp": temps}


def test_check_reports_each_kind_and_repair_fixes_what_can_be(app, runner,
                                                             catalogue_with_every_problem):
    p = catalogue_with_every_problem
    plain, located, lost = p["plain"], p["located"], p["lost"]
    report = runner.invoke(args=["check"])
    out = report.output
    assert report.exit_code == 1
    assert f"Missing originals: 1\n  asset {lost.id}: {lost.storage_key}\n" in out
    assert (f"Missing renditions: 1\n  asset {plain.id} thumb: "
            f"{plain.rendition('thumb').storage_key}\n") in out
    assert f"Missing served copies: 1\n  asset {located.id}: {located.served_key}\n" in out
    assert "Orphan files (no row): 3\n" in out and all(f"  {k}\n" in out for k in p["orphans"])
    assert "Stale temp files (older than an hour): 0" in out  # fresh: a write may be under way
    assert f"Assets missing from the index: 1\n  {located.id}\n" in out

    for key in p["orphans"][:2] + p["temp"]:
        age(app, key)
    repaired = runner.invoke(args=["check", "--repair"])
    out = repaired.output
    assert ("Repair: 2 orphan files and 2 temp files removed; 1 renditions and 1 served copies "
            "remade; search index brought up to date.") in out
    # A young orphan may be an ingest's file written before its row: left for a later repair.
    assert ("Left: files with no row younger than a day (an import may not have committed yet): "
            f"1\n  {p['orphans'][2]}") in out
    assert f"Cannot be remade: the original is missing: 1\n  asset {lost.id} original" in out
    assert repaired.exit_code == 1  # the lost original is still lost
    assert "restore them from a backup" in out
    assert storage.exists(plain.rendition("thumb").storage_key)
    assert storage.exists(located.served_key)
    assert uploads(app) == referenced() - {lost.storage_key} | {p["orphans"][2]}

    # The lost item is deleted (its row only, as a crash half way through deleting would):
    # its renditions become orphans and its index entry drift; a later repair clears them.
    db.session.delete(db.session.get(Asset, lost.id))
    db.session.commit()
    age_everything(app)
    final = runner.invoke(args=["check", "--repair"])
    assert final.exit_code == 0, final.output
    assert "Repair: 3 orphan files and 0 temp files removed" in final.output
    assert uploads(app) == referenced()


def test_repair_never_removes_a_file_a_row_points_at(app, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    report = integrity.check(now=time.time() + 10 * DAYS_AGO)  # everything looks old
    assert report.clean
    integrity.repair(report, now=time.time() + 10 * DAYS_AGO)
    assert uploads(app) == referenced()
    assert search.pending().entries == 0
    assert storage.exists(asset.storage_key)
