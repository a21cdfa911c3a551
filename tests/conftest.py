"""Fixtures: apps on temporary dirs, SQLite by default or PostgreSQL when GALLERY_TEST_DATABASE_URL is set."""
from __future__ import annotations

import io
import os
import shutil
import time
import uuid
from typing import Callable

import pytest
from flask import request_started
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gallery import create_app
from gallery.db import Base
from gallery.extensions import db

PG_URL = os.environ.get("GALLERY_TEST_DATABASE_URL")
# Every app a test builds (and the commands it runs) runs queued jobs when the test calls
# jobs.wait_idle(), not in a thread of its own: a thread still querying when a test disposes its
# engine leaves a connection behind. Tests of the thread, and the browser's live server, turn it on.
os.environ.setdefault("GALLERY_JOB_THREAD", "false")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate and seed one database per test session; tests get a copy (SQLite) or a reset (PostgreSQL)."""
    from gallery import migrate
    from gallery.services import reference

    if PG_URL:
        server = make_url(PG_URL)
        name = f"gallery_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
    else:
        path = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite"
        url = f"sqlite:///{path}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test",
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("u")),
                      "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("s"))})
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        db.engine.dispose()
    yield url
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 endpoint (moto's standalone server) on 127.0.0.1, stopped when the session ends."""
    from tests.s3_server import S3Server

    server = S3Server(str(tmp_path_factory.mktemp("moto") / "moto.log")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_settings(s3_server, monkeypatch) -> dict:
    """Settings of an app storing in a new bucket of the test S3 server (credentials from the env)."""
    from tests.s3_server import AWS_ENV, REGION

    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    bucket = s3_server.new_bucket()
    return {"STORAGE_URL": f"s3://{bucket}/media", "S3_ENDPOINT_URL": s3_server.url,
            "S3_REGION": REGION}


@pytest.fixture
def app_settings() -> dict:
    """Extra settings of the `app` fixture: a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def app(database_template, tmp_path, app_settings):
    """An app on a fresh copy of the seeded database, with its own upload and index dirs."""
    from gallery.services import reference, storage

    if PG_URL:
        url = database_template
    else:
        path = tmp_path / "gallery.sqlite"
        shutil.copy(make_url(database_template).database, path)
        url = f"sqlite:///{path}"
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        "SERVER_NAME": None,
        # Queued work runs when a test calls jobs.wait_idle(); tests/test_jobs.py turns it on.
        "JOB_THREAD": False,
        **app_settings,
    })
    app.instance_path = str(tmp_path / "instance")
    # Test requests share the fixture's app context (and so `g`); in production each request has
    # its own. Forget the previous request's user so each request authenticates afresh.
    request_started.connect(_forget_request_user, app)
    with app.app_context():
        if PG_URL:
            _reset_postgres()
            reference.seed(db.session)
        yield app
        db.session.close()
        db.engine.dispose()
        storage.close_stores(app)


def _forget_request_user(sender, **extra) -> None:
    from flask import g

    for name in ("_login_user", "api_token_id"):
        g.pop(name, None)


def _reset_postgres() -> None:
    """Empty every table but the countries and restart ids, so each test starts from the seeded state.

    DELETE on these small tables is much faster than TRUNCATE, which touches files per table.
    """
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name != "countries"]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        for table in tables:
            if "id" in table.c and table.c.id.autoincrement is not False:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"))


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app) -> Callable:
    """Factory: make_user(role="member", email=None, **fields) -> User."""
    from gallery.services import accounts

    counter = iter(range(1, 10_000))

    def make(role: str = "member", email: str | None = None, **fields):
        email = email or f"{role}{next(counter)}@example.org"
        return accounts.create_user(email=email, password=PASSWORD, role=role, **fields)

    return make


@pytest.fixture
def login(client):
    """Log a user in through the login form: login(user) or login(email, password)."""

    def do(user_or_email, password: str = PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return client.post("/login", data={"email": email, "password": password})

    return do


def bearer(token: str) -> dict[str, str]:
    """The header a script sends to authenticate with an API token."""
    return {"Authorization": f"Bearer {token}"}


def image_bytes(size=(640, 480), color=(200, 80, 40), fmt="JPEG", mode="RGB", **save) -> bytes:
    """An image made in memory with Pillow."""
    im = Image.new(mode, size, color)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


@pytest.fixture
def make_gallery(app) -> Callable:
    """Factory: make_gallery(title=..., category="Health", country="KEN", status="published", ...)."""
    from gallery.services import galleries

    def make(title: str = "Water in Turkana", category: str = "Health", country: str | None = "KEN",
             status: str = "published", **kwargs):
        return galleries.create_gallery(dict(title=title, category=category, country=country,
                                             status=status, **kwargs), None, script=True)

    return make


@pytest.fixture
def make_asset(app) -> Callable:
    """Factory: make_asset(gallery, caption=..., color=..., **fields) -> Asset, ingested for real."""
    from gallery.services import ingest

    counter = iter(range(1, 100_000))

    def make(gallery, color=None, size=(640, 480), filename=None, **fields):
        n = next(counter)
        color = color or ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)
        data = image_bytes(size=size, color=color)
        result = ingest.ingest(gallery, io.BytesIO(data), filename or f"photo-{n}.jpg",
                                  fields, user=None)
        assert result.status == "accepted", result.reason
        return result.asset

    return make


@pytest.fixture
def login_as(client):
    """Log a user in by setting the session (until /login exists): login_as(user)."""

    def do(user):
        from flask import g

        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        # Requests share the fixture's app context, so forget the user Flask-Login cached in g.
        g.pop("_login_user", None)
        return user

    return do


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a `with count_queries() as counter:` block (counter.count)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    class Counter:
        count = 0
        statements: list[str] = []

    @contextmanager
    def counting():
        counter = Counter()
        counter.statements = []
        # The schedule's look for due embargoes (services/schedule.py) runs on a request at most
        # every few seconds per process, not per page: it is not part of what a page costs.
        app.extensions["gallery.schedule_checked"] = time.monotonic()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def set_clock(monkeypatch) -> Callable:
    """Move the one clock (`gallery.clock.now`, read by server threads too): set_clock(datetime)."""
    from gallery import clock

    def move(when) -> None:
        monkeypatch.setattr(clock, "now", lambda: when)
    return move


@pytest.fixture
def editor(make_user):
    """An editor account."""
    return make_user("editor")


@pytest.fixture
def admin(make_user):
    """An admin account."""
    return make_user("admin")


@pytest.fixture
def member(make_user):
    """A member account."""
    return make_user("member")


def stored_files(app) -> list[str]:
    """Every file under the upload directory (temp files included), relative to it."""
    root = app.config["UPLOAD_DIR"]
    found = []
    for folder, _dirs, files in os.walk(root):
        found.extend(os.path.relpath(os.path.join(folder, f), root) for f in files)
    return sorted(found)


def zip_bytes(entries: dict, **kwargs) -> bytes:
    """A zip archive made in memory: {name: bytes} or {name: (bytes, ZipInfo-attributes)}."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as zf:
        for name, value in entries.items():
            data, attrs = value if isinstance(value, tuple) else (value, {})
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            for key, attr in attrs.items():
                setattr(info, key, attr)
            zf.writestr(info, data)
    return buf.getvalue()


GPS_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/" '
    'exif:GPSLatitude="14,0.998N" exif:GPSLongitude="86,34.998W">'
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Shelter roof</rdf:li></rdf:Alt></dc:description>'
    '<Iptc4xmpCore:Location>Danlí, barrio El Zarzal</Iptc4xmpCore:Location>'
    '<exif:GPSAltitude>812/1</exif:GPSAltitude>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode("utf-8")


def gps_exif():
    """A Pillow Exif with an artist, a date and a GPS IFD (latitude 14°N, longitude 86°W)."""
    exif = Image.Exif()
    exif[0x013B] = "Lucia Fernandez"
    exif[0x0132] = "2023:06:21 10:30:00"
    gps = exif.get_ifd(0x8825)
    gps.update({0: b"\x02\x03\x00\x00", 1: "N", 2: (14.0, 0.0, 59.88), 3: "W",
                4: (86.0, 34.0, 59.88)})
    return exif


def gps_image_bytes(fmt="JPEG", size=(320, 240), xmp=True, **save) -> bytes:
    """A noisy image (so the scan data is not trivial) carrying EXIF GPS and XMP location."""
    im = Image.effect_noise(size, 40).convert("RGB")
    buf = io.BytesIO()
    extra = {"exif": gps_exif()}
    if fmt == "TIFF":
        from PIL import TiffImagePlugin

        ifd = TiffImagePlugin.ImageFileDirectory_v2()
        ifd[0x013B] = "Lucia Fernandez"
        ifd[0x8825] = {1: "N", 2: (14.0, 0.0, 59.88), 3: "W", 4: (86.0, 34.0, 59.88)}
        if xmp:
            ifd[700] = GPS_XMP
        extra = {"tiffinfo": ifd}
    elif xmp and fmt in ("JPEG", "WEBP"):
        extra["xmp"] = GPS_XMP
    if fmt == "PNG" and xmp:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", GPS_XMP.decode("utf-8"))
        extra["pnginfo"] = info
    im.save(buf, fmt, **extra, **save)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _close_search_searchers():
    """Close searchers the search service cached during a test (they hold index files open)."""
    yield
    from gallery.services.search import store

    store.close_all()


@pytest.fixture
def search_ids(app) -> Callable:
    """Factory: search_ids("water", field="caption") -> ids of publicly visible assets in the index."""
    from whoosh.qparser import QueryParser
    from whoosh.query import And, Term

    from gallery.services.search import store

    def find(text: str, field: str = "caption", visible_only: bool = True) -> set[int]:
        with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as searcher:
            query = QueryParser(field, searcher.schema).parse(text)
            if visible_only:
                query = And([query, Term("visible", "1")])
            return {int(hit["id"]) for hit in searcher.search(query, limit=None)}

    return find
