"""`gallery import-folder --workers N`: the preparation in a process pool gives what one process gives."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.engine import make_url

from gallery import create_app
from gallery.extensions import db
from gallery.models import Asset
from gallery.services import ingest, integrity, preparation, reference, search
from gallery.services.search.schema import make_document
from tests.conftest import (
    PG_URL,
    _reset_postgres,
    gps_image_bytes,
    image_bytes,
    stored_files,
    zip_bytes,
)
from tests.pool_modules import loaded

FORBIDDEN = ("flask", "sqlalchemy", "gallery.models", "gallery.extensions", "gallery.db")


def photo(seed: int, size=(900, 600)) -> bytes:
    """A small camera-like JPEG: noise over a colour, with an EXIF caption, artist and orientation."""
    base = Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    grain = Image.effect_noise(size, 30 + seed).convert("RGB")
    im = Image.blend(base, grain, 0.3)
    exif = Image.Exif()
    exif[0x010E] = f"Water point number {seed}"  # ImageDescription: the caption
    exif[0x013B] = f"Photographer {seed}"
    exif[0x0112] = 6 if seed % 3 == 0 else 1
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


def write(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def shoot(tmp_path):
    """Photos, one with GPS (a location-free copy is made), a corrupt one, duplicates near and far."""
    root = tmp_path / "shoot"
    photos = {n: photo(n) for n in range(1, 11)}  # made once: the noise differs on every call
    for n in range(1, 9):
        write(root / f"a{n:02}.jpg", photos[n])
    write(root / "a02b-copy.jpg", photos[2])  # in flight together with a02.jpg
    write(root / "b-broken.jpg", photos[9][:3000])
    write(root / "c-gps.jpg", gps_image_bytes(size=(640, 480)))
    write(root / "d.zip", zip_bytes({"z1.jpg": photos[10], "z2.jpg": photos[5]}))
    write(root / "e-png.png", image_bytes(color=(1, 2, 3), fmt="PNG"))
    write(root / "f-late-copy.jpg", photos[1])
    return root


def fresh_app(template_url: str, folder):
    """Another app on the seeded database (its own SQLite copy, or PostgreSQL reset) and its own directories."""
    folder.mkdir()
    if PG_URL:
        url = template_url  # one database per session: reset below, as the app fixture does
    else:
        path = folder / "gallery.sqlite"
        shutil.copy(make_url(template_url).database, path)
        url = f"sqlite:///{path}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test",
                      "UPLOAD_DIR": str(folder / "uploads"),
                      "SEARCH_INDEX_DIR": str(folder / "search_index")})
    if PG_URL:
        with app.app_context():
            _reset_postgres()
            reference.seed(db.session)
            db.session.close()
    return app


def import_shoot(app, shoot, workers: int, batch_size: int = 4):
    """Run import-folder in app (batches of batch_size); its output and a snapshot of what it made."""
    app.config["INGEST_BATCH_SIZE"] = batch_size
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[
            "import-folder", str(shoot), "--gallery", "Water points", "--category", "Health",
            "--country", "KEN", "--date", "2023-05-01", "--status", "published",
            "--workers", str(workers)])
        db.session.expire_all()  # read what the background jobs committed (Large renditions)
        snapshot = {"output": result.output, "exit": result.exit_code, "rows": rows(app),
                    "files": stored_files(app), "pending": search.pending().entries,
                    "check": integrity.check(now=time.time() + 10 ** 7)}
        db.session.close()
        db.engine.dispose()
    return snapshot


def rows(app) -> list[dict]:
    """Every asset with its renditions (and their pixels' hashes) and its search document."""
    out = []
    for a in db.session.scalars(select(Asset).order_by(Asset.position)):
        values = {c.name: getattr(a, c.name) for c in Asset.__table__.columns
                  if c.name not in ("created_at", "updated_at")}
        values["renditions"] = sorted(
            (r.size, r.width, r.height, r.bytes, r.storage_key,
             _digest(os.path.join(app.config["UPLOAD_DIR"], r.storage_key))) for r in a.renditions)
        values["document"] = make_document(a)
        out.append(values)
    return out


def _digest(path: str) -> str:
    """The hash of a rendition's pixels (its sRGB profile carries the time the process made it)."""
    with Image.open(path) as im:
        return hashlib.sha256(im.tobytes()).hexdigest()


def test_two_workers_make_what_one_makes(app, database_template, shoot, tmp_path):
    one = import_shoot(fresh_app(database_template, tmp_path / "one"), shoot, workers=1)
    two = import_shoot(fresh_app(database_template, tmp_path / "two"), shoot, workers=2)

    lines = two["output"].splitlines()
    assert two["exit"] == 1  # the broken file
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["accepted", "a01.jpg"], ["accepted", "a02.jpg"], ["duplicate", "a02b-copy.jpg"],
        ["accepted", "a03.jpg"], ["accepted", "a04.jpg"], ["accepted", "a05.jpg"],
        ["accepted", "a06.jpg"], ["accepted", "a07.jpg"], ["accepted", "a08.jpg"],
        ["rejected", "b-broken.jpg:"], ["accepted", "c-gps.jpg"], ["accepted", "d.zip/z1.jpg"],
        ["duplicate", "d.zip/z2.jpg"], ["accepted", "e-png.png"], ["duplicate", "f-late-copy.jpg"]]
    assert lines[-1] == "Imported 11, duplicates 3, rejected 1."
    assert "duplicate  a02b-copy.jpg (already asset 2)" in lines
    assert "duplicate  d.zip/z2.jpg (already asset 5)" in lines
    assert "duplicate  f-late-copy.jpg (already asset 1)" in lines
    assert "rejected   b-broken.jpg: " in two["output"]

    assert two["output"] == one["output"]
    assert two["rows"] == one["rows"]
    assert [r["position"] for r in two["rows"]] == list(range(1, 12))
    assert [r["original_filename"] for r in two["rows"]][:3] == ["a01.jpg", "a02.jpg", "a03.jpg"]
    gps = next(r for r in two["rows"] if r["original_filename"] == "c-gps.jpg")
    assert gps["served_key"].startswith("served/") and gps["served_key"] != gps["storage_key"]
    assert all(r["document"]["caption"] for r in two["rows"] if r["original_filename"].startswith("a"))
    assert two["files"] == one["files"]
    assert not [f for f in two["files"] if f.startswith("tmp/") or f.endswith(".part")]
    assert two["pending"] == 0  # every search document was written
    report = two["check"]
    assert report.clean, report
    assert report.orphans == [] and report.stale_temp == [] and report.assets == 11


def test_an_import_stopped_early_leaves_no_file_without_its_row(app, make_gallery, shoot):
    items = [ingest.IngestItem(p.name, open(p, "rb")) for p in sorted(shoot.glob("a0*.jpg"))]
    results = ingest.ingest_many(make_gallery(), items, batch_size=2, workers=2)
    assert next(results).status == "accepted"  # the first batch is committed, more files in flight
    results.close()  # and the caller stops: the pool stops, what it was working on goes
    for item in items:
        item.stream.close()
    kept = db.session.scalars(select(Asset).order_by(Asset.position)).all()
    assert [a.original_filename for a in kept] == ["a01.jpg", "a02.jpg"]
    report = integrity.check(now=time.time() + 10 ** 7)
    assert report.orphans == [] and report.stale_temp == [] and report.missing_renditions == []
    assert len(stored_files(app)) == 2 * 3  # each original with its two renditions


def test_pool_workers_load_no_web_app_or_database(app):
    pool = preparation.Pool(1, {})
    try:
        modules = pool.executor.submit(loaded).result(timeout=60)
    finally:
        pool.close(abort=False)
    assert "gallery.services.preparation" in modules and "gallery.formats.probe" in modules
    found = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert found == []
    services = [m for m in modules if m.startswith("gallery.services.")]
    assert services == ["gallery.services.preparation"]


def _stuck(pool: preparation.Pool, tmp_path):
    """Submit a file that is a named pipe nobody writes: its worker blocks opening it."""
    fifo = tmp_path / "stuck.part"
    os.mkfifo(fifo)
    return pool.submit(str(fifo), "stuck.jpg", 1)


def test_a_worker_that_gives_no_result_stops_the_import_in_time(app, tmp_path):
    pool = preparation.Pool(1, ingest._Run(None, None, 1).config)
    future = _stuck(pool, tmp_path)
    processes = list(pool.executor._processes.values())
    with pytest.raises(preparation.PoolFailure, match="stuck.jpg: no result from the preparation pool"):
        preparation.result(future, "stuck.jpg", timeout=0.5)
    pool.close(abort=True)  # what ingest_many does on the way out
    assert [p.is_alive() for p in processes] == [False]


def test_a_worker_killed_mid_file_stops_the_import_with_a_message(app, tmp_path):
    pool = preparation.Pool(1, ingest._Run(None, None, 1).config)
    future = _stuck(pool, tmp_path)
    try:
        (process,) = pool.executor._processes.values()
        process.kill()
        with pytest.raises(preparation.PoolFailure, match="stuck.jpg: a worker of the preparation pool stopped"):
            preparation.result(future, "stuck.jpg", timeout=60)
    finally:
        pool.close(abort=True)


def test_workers_of_a_script_that_imports_the_app_load_no_web_app():
    """The `gallery` script imports the app; multiprocessing would run it again in each worker."""
    script = os.path.join(os.path.dirname(__file__), "pool_script.py")
    out = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120,
                         check=True)
    modules = json.loads(out.stdout)
    assert "gallery.services.preparation" in modules
    assert [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)] == []
    assert "gallery.app" not in modules
